-- Back to eaten_json as a stored generated column.

LOCK TABLE diary_day_totals IN ACCESS EXCLUSIVE MODE;

DROP TRIGGER set_eaten_json ON diary_day_totals;
DROP FUNCTION public.diary_day_totals_set_eaten_json();

ALTER TABLE diary_day_totals DROP COLUMN eaten_json;
ALTER TABLE diary_day_totals ADD COLUMN eaten_json text NOT NULL GENERATED ALWAYS AS (
    public.day_eaten_json(calories, protein, carbohydrates, fat, fiber, sugar, sodium, saturated_fat,
                          trans_fat, cholesterol, potassium, calcium, iron, vitamin_a, vitamin_c)
) STORED;
COMMENT ON COLUMN diary_day_totals.eaten_json IS
    'The day''s nutrient sums as the JSON object the API returns ("eaten"); generated from the columns.';
