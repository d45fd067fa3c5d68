-- Migration: diary_day_totals.eaten_json is kept by a row trigger instead of being a stored
-- generated column.
--
-- PostgreSQL reads a generated column's expression back from the catalog and prepares it again
-- in every statement that writes the table; it is not part of the statement's cached plan. For
-- the one-row upsert that logging a food makes (food_diary's insert trigger) that preparation
-- was a sixth of PostgreSQL's whole transaction: with the column generated, pgbench committed
-- 0.61 of the trigger-free insert rate; with a trigger computing the same text, 0.67 to 0.69
-- (scripts/bench-write, (b)/(a)). The text is the same function's, character for character,
-- and every writer of the table gets it, as before.

LOCK TABLE diary_day_totals IN ACCESS EXCLUSIVE MODE;

CREATE FUNCTION public.diary_day_totals_set_eaten_json()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
AS $$
BEGIN
    NEW.eaten_json := public.day_eaten_json(
        NEW.calories, NEW.protein, NEW.carbohydrates, NEW.fat, NEW.fiber, NEW.sugar, NEW.sodium,
        NEW.saturated_fat, NEW.trans_fat, NEW.cholesterol, NEW.potassium, NEW.calcium, NEW.iron,
        NEW.vitamin_a, NEW.vitamin_c);
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION public.diary_day_totals_set_eaten_json() FROM PUBLIC;

-- Keeps every row's value; the column stays NOT NULL.
ALTER TABLE diary_day_totals ALTER COLUMN eaten_json DROP EXPRESSION;

CREATE TRIGGER set_eaten_json BEFORE INSERT OR UPDATE ON diary_day_totals
    FOR EACH ROW EXECUTE FUNCTION public.diary_day_totals_set_eaten_json();

COMMENT ON COLUMN diary_day_totals.eaten_json IS
    'The day''s nutrient sums as the JSON object the API returns ("eaten"); set from the columns by the set_eaten_json trigger on every write.';
