-- Migration: custom nutrients.
-- Version: 2026_12_22_09_00
--
-- A user may track nutrients beyond the fifteen built-in ones (caffeine, omega-3, iodine, ...):
-- each is defined once with its unit (custom_nutrients), a food's serving may hold an amount of
-- any of them (nutrition_data.custom_nutrients, keyed by name so that a food shared in a
-- family means the same to everyone who defines the name), and a diary entry keeps the
-- serving's amounts as it was logged (food_diary.custom_per_serving): an entry holds that
-- times its servings, so changing the amount needs no rewrite. A definition may carry a daily
-- range to stay within (at least, at most, or both). No data step.

CREATE TABLE custom_nutrients (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name text NOT NULL CONSTRAINT custom_nutrients_name_check
        CHECK (char_length(name) BETWEEN 1 AND 40 AND name = btrim(name)),
    unit text NOT NULL CONSTRAINT custom_nutrients_unit_check
        CHECK (unit IN ('g', 'mg', 'µg', 'IU')),
    -- What a day should hold, in the unit: at least daily_min, at most daily_max.
    daily_min numeric(12, 4) CONSTRAINT custom_nutrients_daily_min_check
        CHECK (daily_min >= 0 AND daily_min <= 1000000),
    daily_max numeric(12, 4) CONSTRAINT custom_nutrients_daily_max_check
        CHECK (daily_max > 0 AND daily_max <= 1000000),
    CONSTRAINT custom_nutrients_daily_range_check CHECK (daily_min <= daily_max),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE custom_nutrients IS
    'Nutrients a user tracks beyond the built-in ones; foods and diary entries key amounts by name.';
-- Names are unique per user whatever their case; the index leads with user_id for the policies.
CREATE UNIQUE INDEX custom_nutrients_user_name ON custom_nutrients (user_id, lower(name));
CREATE TRIGGER set_updated_at BEFORE UPDATE ON custom_nutrients
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE custom_nutrients ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_nutrients FORCE ROW LEVEL SECURITY;
-- Whoever may read a diary may read the units its custom nutrients are in.
CREATE POLICY custom_nutrients_select ON custom_nutrients FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('calorie', 'reports'))
    );
CREATE POLICY custom_nutrients_insert ON custom_nutrients FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY custom_nutrients_update ON custom_nutrients FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY custom_nutrients_delete ON custom_nutrients FOR DELETE
    USING (user_id = (SELECT auth.uid()));

-- Amounts of a whole serving, {"Caffeine": 95}: an object of non-negative numbers.
ALTER TABLE nutrition_data ADD COLUMN custom_nutrients jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT nutrition_data_custom_nutrients_check CHECK (jsonb_typeof(custom_nutrients) = 'object');
COMMENT ON COLUMN nutrition_data.custom_nutrients IS
    'Amounts of custom nutrients in the whole serving, keyed by the name the owner defined.';

-- The serving's custom amounts when the entry was logged; the entry holds them times servings.
ALTER TABLE food_diary ADD COLUMN custom_per_serving jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT food_diary_custom_per_serving_check CHECK (jsonb_typeof(custom_per_serving) = 'object');
COMMENT ON COLUMN food_diary.custom_per_serving IS
    'Custom nutrient amounts of one serving as logged; the entry holds them times servings.';

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.custom_nutrients TO %I',
                   current_setting('sparky.app_role'));
END
$$;
