-- Migration: each day's "eaten" object of the daily summary, as JSON text stored with the day's
-- totals.
--
-- A year of summaries is 365 of these objects. Encoding them once when a day changes, rather
-- than decoding 15 NUMERIC columns and encoding JSON again for every day on every request,
-- halves the work of GET /api/v1/summary?from=&to=. The text is what the API printed before:
-- the nutrients known that day, in the API's order, as exact decimals without trailing zeros
-- (a whole number keeps ".0", as a JSON float would print it).

-- A NUMERIC as the API prints amounts: 644.3000 -> 644.3, 379.0000 -> 379.0.
CREATE FUNCTION public.json_number(x numeric)
    RETURNS text
    LANGUAGE sql
    IMMUTABLE
    PARALLEL SAFE
AS $$
    SELECT CASE WHEN scale(trim_scale(x)) = 0 THEN trim_scale(x)::text || '.0'
                ELSE trim_scale(x)::text END
$$;

ALTER TABLE diary_day_totals ADD COLUMN eaten_json text NOT NULL GENERATED ALWAYS AS (
    '{' || rtrim(
        coalesce('"calories":' || public.json_number(calories) || ',', '') ||
        coalesce('"protein":' || public.json_number(protein) || ',', '') ||
        coalesce('"carbohydrates":' || public.json_number(carbohydrates) || ',', '') ||
        coalesce('"fat":' || public.json_number(fat) || ',', '') ||
        coalesce('"fiber":' || public.json_number(fiber) || ',', '') ||
        coalesce('"sugar":' || public.json_number(sugar) || ',', '') ||
        coalesce('"sodium":' || public.json_number(sodium) || ',', '') ||
        coalesce('"saturated_fat":' || public.json_number(saturated_fat) || ',', '') ||
        coalesce('"trans_fat":' || public.json_number(trans_fat) || ',', '') ||
        coalesce('"cholesterol":' || public.json_number(cholesterol) || ',', '') ||
        coalesce('"potassium":' || public.json_number(potassium) || ',', '') ||
        coalesce('"calcium":' || public.json_number(calcium) || ',', '') ||
        coalesce('"iron":' || public.json_number(iron) || ',', '') ||
        coalesce('"vitamin_a":' || public.json_number(vitamin_a) || ',', '') ||
        coalesce('"vitamin_c":' || public.json_number(vitamin_c) || ',', ''),
        ',') || '}'
) STORED;
COMMENT ON COLUMN diary_day_totals.eaten_json IS
    'The day''s nutrient sums as the JSON object the API returns ("eaten"); generated from the columns.';
