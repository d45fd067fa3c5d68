-- Rollback of 2026_11_25_14_00_nutrition. Snapshots, extra nutrients and the catalog import
-- function are dropped; amounts narrow back to the seed's DECIMAL(10,2).
DROP TABLE idempotency_keys;
DROP TABLE provider_cache;
DROP FUNCTION public.import_catalog_food(jsonb);

DROP POLICY food_diary_insert ON food_diary;
DROP POLICY food_diary_update ON food_diary;
CREATE POLICY food_diary_insert ON food_diary FOR INSERT
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id)
    );
CREATE POLICY food_diary_update ON food_diary FOR UPDATE
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type = 'calorie')
    )
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id)
    );

DROP TRIGGER food_diary_fill_defaults ON food_diary;
DROP FUNCTION public.food_diary_fill_defaults();
DROP INDEX idx_food_diary_user_entry_date;
DROP INDEX idx_food_diary_nutrition_data;
ALTER TABLE food_diary DROP CONSTRAINT food_diary_servings_check;
ALTER TABLE food_diary DROP CONSTRAINT food_diary_calories_check;
ALTER TABLE food_diary DROP CONSTRAINT food_diary_nutrition_data_id_fkey;
ALTER TABLE food_diary DROP CONSTRAINT food_diary_food_item_id_fkey;
-- Entries whose food was deleted cannot satisfy the seed's NOT NULL foreign key.
ALTER TABLE food_diary NO FORCE ROW LEVEL SECURITY;
DELETE FROM food_diary WHERE food_item_id IS NULL;
ALTER TABLE food_diary FORCE ROW LEVEL SECURITY;
ALTER TABLE food_diary ADD CONSTRAINT food_diary_food_item_id_fkey
    FOREIGN KEY (food_item_id) REFERENCES food_items(id);
ALTER TABLE food_diary
    ALTER COLUMN food_item_id SET NOT NULL,
    ALTER COLUMN quantity TYPE numeric(10,2),
    DROP COLUMN entry_date, DROP COLUMN nutrition_data_id, DROP COLUMN food_name, DROP COLUMN brand,
    DROP COLUMN serving_size, DROP COLUMN serving_unit, DROP COLUMN serving_weight_g,
    DROP COLUMN servings, DROP COLUMN calories, DROP COLUMN protein, DROP COLUMN carbohydrates,
    DROP COLUMN fat, DROP COLUMN fiber, DROP COLUMN sugar, DROP COLUMN sodium,
    DROP COLUMN saturated_fat, DROP COLUMN trans_fat, DROP COLUMN cholesterol,
    DROP COLUMN potassium, DROP COLUMN calcium, DROP COLUMN iron, DROP COLUMN vitamin_a,
    DROP COLUMN vitamin_c, DROP COLUMN per_serving;

DROP INDEX idx_nutrition_data_one_default;
ALTER TABLE nutrition_data
    DROP COLUMN saturated_fat, DROP COLUMN trans_fat, DROP COLUMN cholesterol,
    DROP COLUMN potassium, DROP COLUMN calcium, DROP COLUMN iron, DROP COLUMN vitamin_a,
    DROP COLUMN vitamin_c, DROP COLUMN serving_weight_g, DROP COLUMN is_default,
    ALTER COLUMN serving_size  TYPE numeric(10,2),
    ALTER COLUMN calories      TYPE numeric(10,2),
    ALTER COLUMN protein       TYPE numeric(10,2),
    ALTER COLUMN carbohydrates TYPE numeric(10,2),
    ALTER COLUMN fat           TYPE numeric(10,2),
    ALTER COLUMN fiber         TYPE numeric(10,2),
    ALTER COLUMN sugar         TYPE numeric(10,2),
    ALTER COLUMN sodium        TYPE numeric(10,2);
COMMENT ON COLUMN nutrition_data.sodium IS NULL;

ALTER TABLE food_items DROP CONSTRAINT food_items_name_check;
DROP INDEX idx_food_items_catalog_source;
DROP INDEX idx_food_items_barcode;
DROP INDEX idx_food_items_name_lower;
DROP INDEX idx_food_items_search_trgm;
ALTER TABLE food_items DROP COLUMN search_text;
-- pg_trgm stays: other objects of an administrator's may use it.
