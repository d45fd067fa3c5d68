ALTER TABLE diary_day_totals DROP COLUMN IF EXISTS eaten_json;
DROP FUNCTION IF EXISTS public.json_number(numeric);
