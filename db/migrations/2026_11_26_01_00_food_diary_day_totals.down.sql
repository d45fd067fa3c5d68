DROP TRIGGER IF EXISTS food_diary_day_totals_insert ON food_diary;
DROP TRIGGER IF EXISTS food_diary_day_totals_update ON food_diary;
DROP TRIGGER IF EXISTS food_diary_day_totals_delete ON food_diary;
DROP FUNCTION IF EXISTS public.food_diary_day_totals_sync();
DROP TABLE IF EXISTS food_diary_day_totals;
