-- Back to estimates written by the application: the stored values stay as they are.
DROP TRIGGER workout_calories_insert ON measurements;
DROP TRIGGER workout_calories_update ON measurements;
DROP TRIGGER workout_calories_delete ON measurements;
DROP TRIGGER workout_calories_estimate ON exercise_diary;
DROP FUNCTION public.workout_calories_follow_weights();
DROP FUNCTION public.workout_calories_refresh(uuid[], date[]);
DROP FUNCTION public.exercise_diary_estimate_calories();
DROP FUNCTION public.workout_calories_estimate(uuid, date, numeric, integer);
DROP FUNCTION public.workout_body_weight_kg(uuid, date);
