-- Migration: Nutrition — servings with the full nutrient set, a food diary that keeps what was
-- eaten even when the food changes, typo-tolerant food search, provider cache, idempotent writes.
-- Version: 2026_11_25_14_00
--
-- Nutrient values are NUMERIC (exact). The seed's DECIMAL(10,2) loses real data (0.125 mg
-- iron), so amounts widen to 4 decimal places.
--
-- food_diary rows carry a snapshot (name, brand, serving, servings eaten, and the entry's
-- nutrients) taken when the entry is logged: editing or deleting a food never rewrites
-- history, and a day's totals are plain sums of stored values.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Data changes below must see every user's rows even under a non-superuser owner.
ALTER TABLE nutrition_data NO FORCE ROW LEVEL SECURITY;
ALTER TABLE food_diary     NO FORCE ROW LEVEL SECURITY;
ALTER TABLE food_items     NO FORCE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------------------------
-- food_items: search text, normalised barcode lookups, provider identity.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE food_items
    ADD COLUMN search_text text GENERATED ALWAYS AS (lower(name || ' ' || coalesce(brand, ''))) STORED;
CREATE INDEX idx_food_items_search_trgm ON food_items USING gin (search_text gin_trgm_ops);
CREATE INDEX idx_food_items_name_lower ON food_items (lower(name) text_pattern_ops);
CREATE INDEX idx_food_items_barcode ON food_items (barcode) WHERE barcode IS NOT NULL;
-- A provider's product is imported once into the shared catalog.
CREATE UNIQUE INDEX idx_food_items_catalog_source ON food_items (source, source_id)
    WHERE user_id IS NULL AND source_id IS NOT NULL;
ALTER TABLE food_items
    ADD CONSTRAINT food_items_name_check CHECK (length(btrim(name)) > 0);

-- ---------------------------------------------------------------------------------------------
-- nutrition_data: one or more servings per food, one of them the default.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE nutrition_data
    ALTER COLUMN serving_size  TYPE numeric(14,4),
    ALTER COLUMN calories      TYPE numeric(14,4),
    ALTER COLUMN protein       TYPE numeric(14,4),
    ALTER COLUMN carbohydrates TYPE numeric(14,4),
    ALTER COLUMN fat           TYPE numeric(14,4),
    ALTER COLUMN fiber         TYPE numeric(14,4),
    ALTER COLUMN sugar         TYPE numeric(14,4),
    ALTER COLUMN sodium        TYPE numeric(14,4),
    ADD COLUMN saturated_fat numeric(14,4) CHECK (saturated_fat >= 0),
    ADD COLUMN trans_fat     numeric(14,4) CHECK (trans_fat >= 0),
    ADD COLUMN cholesterol   numeric(14,4) CHECK (cholesterol >= 0),
    ADD COLUMN potassium     numeric(14,4) CHECK (potassium >= 0),
    ADD COLUMN calcium       numeric(14,4) CHECK (calcium >= 0),
    ADD COLUMN iron          numeric(14,4) CHECK (iron >= 0),
    ADD COLUMN vitamin_a     numeric(14,4) CHECK (vitamin_a >= 0),
    ADD COLUMN vitamin_c     numeric(14,4) CHECK (vitamin_c >= 0),
    -- "1 slice (28 g)": size 1, unit slice, weight 28 g, so grams can be logged against it.
    ADD COLUMN serving_weight_g numeric(14,4) CHECK (serving_weight_g > 0),
    ADD COLUMN is_default boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN nutrition_data.sodium IS 'mg; calories kcal; protein, carbohydrates, fat, fiber, sugar, saturated_fat, trans_fat g; cholesterol, potassium, calcium, iron, vitamin_c mg; vitamin_a µg RAE';

-- Existing foods: their first serving becomes the default.
UPDATE nutrition_data n SET is_default = true
WHERE n.id = (SELECT n2.id FROM nutrition_data n2 WHERE n2.food_item_id = n.food_item_id
              ORDER BY n2.created_at, n2.id LIMIT 1);
CREATE UNIQUE INDEX idx_nutrition_data_one_default ON nutrition_data (food_item_id) WHERE is_default;

-- ---------------------------------------------------------------------------------------------
-- food_diary: the day an entry belongs to, the serving it used, and the snapshot.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE food_diary
    ALTER COLUMN quantity TYPE numeric(14,4),
    ALTER COLUMN food_item_id DROP NOT NULL,
    ADD COLUMN entry_date date,
    ADD COLUMN nutrition_data_id uuid,
    ADD COLUMN food_name text,
    ADD COLUMN brand text,
    ADD COLUMN serving_size numeric(14,4),
    ADD COLUMN serving_unit text,
    ADD COLUMN serving_weight_g numeric(14,4),
    ADD COLUMN servings numeric(20,8),
    ADD COLUMN calories      numeric(14,4),
    ADD COLUMN protein       numeric(14,4),
    ADD COLUMN carbohydrates numeric(14,4),
    ADD COLUMN fat           numeric(14,4),
    ADD COLUMN fiber         numeric(14,4),
    ADD COLUMN sugar         numeric(14,4),
    ADD COLUMN sodium        numeric(14,4),
    ADD COLUMN saturated_fat numeric(14,4),
    ADD COLUMN trans_fat     numeric(14,4),
    ADD COLUMN cholesterol   numeric(14,4),
    ADD COLUMN potassium     numeric(14,4),
    ADD COLUMN calcium       numeric(14,4),
    ADD COLUMN iron          numeric(14,4),
    ADD COLUMN vitamin_a     numeric(14,4),
    ADD COLUMN vitamin_c     numeric(14,4),
    -- Nutrients of one serving at logging time, so a quantity edit rescales without the food.
    ADD COLUMN per_serving jsonb;

-- Deleting a food keeps the diary entries that used it (they carry their snapshot).
ALTER TABLE food_diary DROP CONSTRAINT food_diary_food_item_id_fkey;
ALTER TABLE food_diary ADD CONSTRAINT food_diary_food_item_id_fkey
    FOREIGN KEY (food_item_id) REFERENCES food_items(id) ON DELETE SET NULL;
ALTER TABLE food_diary ADD CONSTRAINT food_diary_nutrition_data_id_fkey
    FOREIGN KEY (nutrition_data_id) REFERENCES nutrition_data(id) ON DELETE SET NULL;
CREATE INDEX idx_food_diary_nutrition_data ON food_diary (nutrition_data_id);

-- Snapshot existing entries (upgrades from the seed-era schema): the day in the user's
-- timezone, the food's name and its default serving; nutrients where the unit allows it.
UPDATE food_diary d SET
    entry_date = (d.consumed_at AT TIME ZONE coalesce(
        (SELECT p.timezone FROM user_preferences p WHERE p.user_id = d.user_id LIMIT 1), 'UTC'))::date,
    food_name = f.name,
    brand = f.brand,
    nutrition_data_id = n.id,
    serving_size = n.serving_size,
    serving_unit = n.serving_unit,
    servings = CASE
        WHEN lower(d.unit) IN ('serving', 'servings') THEN d.quantity
        WHEN n.serving_size > 0 AND lower(d.unit) = lower(n.serving_unit) THEN d.quantity / n.serving_size
    END
FROM food_items f
LEFT JOIN nutrition_data n ON n.food_item_id = f.id AND n.is_default
WHERE f.id = d.food_item_id;
UPDATE food_diary d SET entry_date = (d.consumed_at AT TIME ZONE 'UTC')::date WHERE entry_date IS NULL;
UPDATE food_diary d SET
    calories = round(n.calories * d.servings, 4), protein = round(n.protein * d.servings, 4),
    carbohydrates = round(n.carbohydrates * d.servings, 4), fat = round(n.fat * d.servings, 4),
    fiber = round(n.fiber * d.servings, 4), sugar = round(n.sugar * d.servings, 4),
    sodium = round(n.sodium * d.servings, 4),
    per_serving = jsonb_strip_nulls(jsonb_build_object(
        'calories', n.calories::text, 'protein', n.protein::text, 'carbohydrates', n.carbohydrates::text,
        'fat', n.fat::text, 'fiber', n.fiber::text, 'sugar', n.sugar::text, 'sodium', n.sodium::text))
FROM nutrition_data n
WHERE n.id = d.nutrition_data_id AND d.servings IS NOT NULL;
UPDATE food_diary SET food_name = '(unknown food)' WHERE food_name IS NULL;

ALTER TABLE food_diary
    ALTER COLUMN entry_date SET NOT NULL,
    ALTER COLUMN food_name SET NOT NULL,
    ADD CONSTRAINT food_diary_servings_check CHECK (servings IS NULL OR servings > 0),
    ADD CONSTRAINT food_diary_calories_check CHECK (calories IS NULL OR calories >= 0);
CREATE INDEX idx_food_diary_user_entry_date ON food_diary (user_id, entry_date);

-- Seed-style inserts (food, quantity, unit, meal, consumed_at only) keep working: the day and
-- the food's name are filled in when missing. The day is the calendar date of consumed_at in
-- the diary owner's timezone, so a late dinner in Auckland is not logged on the UTC day.
CREATE FUNCTION public.food_diary_fill_defaults() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.entry_date IS NULL THEN
        NEW.entry_date := (NEW.consumed_at AT TIME ZONE coalesce(
            (SELECT p.timezone FROM public.user_preferences p WHERE p.user_id = NEW.user_id LIMIT 1),
            'UTC'))::date;
    END IF;
    IF NEW.food_name IS NULL THEN
        SELECT f.name, f.brand INTO NEW.food_name, NEW.brand
        FROM public.food_items f WHERE f.id = NEW.food_item_id;
        NEW.food_name := coalesce(NEW.food_name, '(unknown food)');
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER food_diary_fill_defaults BEFORE INSERT ON food_diary
    FOR EACH ROW EXECUTE FUNCTION public.food_diary_fill_defaults();

-- An entry whose food was deleted keeps food_item_id NULL; writes must still only reference
-- foods the writer can see.
DROP POLICY food_diary_insert ON food_diary;
DROP POLICY food_diary_update ON food_diary;
CREATE POLICY food_diary_insert ON food_diary FOR INSERT
    WITH CHECK (
        (user_id = (SELECT auth.uid())
         OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                        WHERE fa.grantee_user_id = (SELECT auth.uid())
                          AND fa.access_type = 'calorie'))
        AND (food_item_id IS NULL
             OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id))
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
        AND (food_item_id IS NULL
             OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = food_diary.food_item_id))
    );

ALTER TABLE nutrition_data FORCE ROW LEVEL SECURITY;
ALTER TABLE food_diary     FORCE ROW LEVEL SECURITY;
ALTER TABLE food_items     FORCE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------------------------
-- Shared catalog imports: provider data is not personal, so one import serves the household.
-- The request role cannot write catalog rows; this function is the one way in, and it only
-- ever inserts (deduplicated by source + source_id), never changes or deletes.
-- p_food: {"name","brand","barcode","source","source_id","servings":[{"size","unit",
--          "weight_g","is_default", "calories", ... }]}
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION public.import_catalog_food(p_food jsonb)
    RETURNS uuid
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_id uuid;
    v_serving jsonb;
BEGIN
    IF (SELECT auth.uid()) IS NULL THEN
        RAISE EXCEPTION 'import_catalog_food needs a signed-in user' USING ERRCODE = '42501';
    END IF;
    IF coalesce(p_food->>'source', '') = '' OR coalesce(p_food->>'source_id', '') = ''
       OR coalesce(btrim(p_food->>'name'), '') = '' THEN
        RAISE EXCEPTION 'a catalog food needs source, source_id and name' USING ERRCODE = '22023';
    END IF;
    -- Serialise imports of one product so two users scanning it at once get one row.
    PERFORM pg_advisory_xact_lock(hashtextextended((p_food->>'source') || ':' || (p_food->>'source_id'), 0));
    SELECT id INTO v_id FROM food_items
    WHERE user_id IS NULL AND source = p_food->>'source' AND source_id = p_food->>'source_id';
    IF v_id IS NOT NULL THEN
        RETURN v_id;
    END IF;
    INSERT INTO food_items (name, brand, barcode, source, source_id, user_id)
    VALUES (left(btrim(p_food->>'name'), 255), left(nullif(btrim(p_food->>'brand'), ''), 255),
            nullif(p_food->>'barcode', ''), p_food->>'source', p_food->>'source_id', NULL)
    RETURNING id INTO v_id;
    FOR v_serving IN SELECT * FROM jsonb_array_elements(coalesce(p_food->'servings', '[]'::jsonb)) LOOP
        INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, serving_weight_g, is_default,
            calories, protein, carbohydrates, fat, fiber, sugar, sodium, saturated_fat, trans_fat,
            cholesterol, potassium, calcium, iron, vitamin_a, vitamin_c)
        VALUES (v_id, (v_serving->>'size')::numeric, v_serving->>'unit', (v_serving->>'weight_g')::numeric,
            coalesce((v_serving->>'is_default')::boolean, false),
            (v_serving->>'calories')::numeric, (v_serving->>'protein')::numeric,
            (v_serving->>'carbohydrates')::numeric, (v_serving->>'fat')::numeric,
            (v_serving->>'fiber')::numeric, (v_serving->>'sugar')::numeric,
            (v_serving->>'sodium')::numeric, (v_serving->>'saturated_fat')::numeric,
            (v_serving->>'trans_fat')::numeric, (v_serving->>'cholesterol')::numeric,
            (v_serving->>'potassium')::numeric, (v_serving->>'calcium')::numeric,
            (v_serving->>'iron')::numeric, (v_serving->>'vitamin_a')::numeric,
            (v_serving->>'vitamin_c')::numeric);
    END LOOP;
    RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION public.import_catalog_food(jsonb) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- provider_cache: answers of food providers, shared by all users (no personal data in it:
-- the key is a provider, an operation and a query). Marked shared for `sparky doctor`.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE provider_cache (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cache_key text NOT NULL UNIQUE,
    response jsonb NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE provider_cache IS 'sparky:shared — cached food provider answers; no personal data';
CREATE INDEX idx_provider_cache_expires ON provider_cache (expires_at);
CREATE TRIGGER provider_cache_set_updated_at BEFORE UPDATE ON provider_cache
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- idempotency_keys: a retried write with the same Idempotency-Key returns the first answer.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE idempotency_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_path text NOT NULL,
    response_status integer NOT NULL,
    response_body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys (created_at);
CREATE TRIGGER idempotency_keys_set_updated_at BEFORE UPDATE ON idempotency_keys
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
-- The key belongs to whoever made the request (a family member logging for someone else
-- retries with their own keys).
CREATE POLICY idempotency_keys_select ON idempotency_keys FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY idempotency_keys_insert ON idempotency_keys FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY idempotency_keys_delete ON idempotency_keys FOR DELETE
    USING (user_id = (SELECT auth.uid()));

DO $$
DECLARE
    r text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON idempotency_keys TO %I', r);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON provider_cache TO %I', r);
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.import_catalog_food(jsonb) TO %I', r);
    -- New columns of food_diary and nutrition_data are covered by the existing table grants.
END
$$;
