DROP TRIGGER IF EXISTS recent_foods_insert ON food_diary;
DROP TRIGGER IF EXISTS recent_foods_update ON food_diary;
DROP TRIGGER IF EXISTS recent_foods_delete ON food_diary;
DROP FUNCTION IF EXISTS public.recent_foods_sync();
DROP TABLE IF EXISTS recent_foods;
