-- Migration: Measurements — exact canonical values, the owner's local day, notes, and a
-- catalog of measurement types (built-in and per-user custom ones).
-- Version: 2026_11_25_15_20
--
-- Values are stored in the canonical unit of their type (kg, cm, ml, %, count, bpm) at full
-- precision (numeric(14,6)); the app converts to the user's units only for display, so 90 lb
-- is shown as 90 lb again. `unit` keeps the canonical unit the value is in.
-- entry_date is the calendar day of measured_at in the owner's timezone (like food_diary's),
-- filled by a trigger when a writer does not give it.

-- Data changes below must see every user's rows even under a non-superuser owner.
ALTER TABLE measurements NO FORCE ROW LEVEL SECURITY;

ALTER TABLE measurements
    ALTER COLUMN value TYPE numeric(14,6),
    ADD COLUMN entry_date date,
    ADD COLUMN note text;

-- Seed-era rows: bring imperial values to the canonical units, then fill the day.
UPDATE measurements SET value = value * 0.45359237, unit = 'kg'
WHERE lower(unit) IN ('lb', 'lbs', 'pound', 'pounds');
UPDATE measurements SET value = value * 2.54, unit = 'cm'
WHERE lower(unit) IN ('in', 'inch', 'inches');
UPDATE measurements m SET entry_date = (m.measured_at AT TIME ZONE coalesce(
    (SELECT p.timezone FROM user_preferences p WHERE p.user_id = m.user_id LIMIT 1), 'UTC'))::date;

ALTER TABLE measurements
    ALTER COLUMN entry_date SET NOT NULL,
    ADD CONSTRAINT measurements_value_check CHECK (value >= 0),
    ADD CONSTRAINT measurements_note_check CHECK (note IS NULL OR length(note) <= 2000);
CREATE INDEX idx_measurements_user_entry_date ON measurements (user_id, entry_date);

-- The day is the calendar date of measured_at in the owner's timezone, unless the writer set
-- it; moving measured_at without naming a day moves the day with it.
CREATE FUNCTION public.measurements_fill_entry_date() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.entry_date IS NULL
       OR (TG_OP = 'UPDATE' AND NEW.measured_at IS DISTINCT FROM OLD.measured_at
           AND NEW.entry_date IS NOT DISTINCT FROM OLD.entry_date) THEN
        NEW.entry_date := (NEW.measured_at AT TIME ZONE coalesce(
            (SELECT p.timezone FROM public.user_preferences p WHERE p.user_id = NEW.user_id LIMIT 1),
            'UTC'))::date;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER measurements_fill_entry_date BEFORE INSERT OR UPDATE ON measurements
    FOR EACH ROW EXECUTE FUNCTION public.measurements_fill_entry_date();

ALTER TABLE measurements FORCE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------------------------
-- measurement_types: what can be measured, in which canonical unit. user_id NULL = built-in
-- (readable by every signed-in user, written by nobody but the owner role); otherwise a
-- user's custom type: the owner's to create, change and delete; readable by the family
-- members who may read the owner's measurements ('checkin', 'reports').
-- ---------------------------------------------------------------------------------------------
CREATE TABLE measurement_types (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid REFERENCES users(id) ON DELETE CASCADE,
    name varchar(50) NOT NULL,
    unit varchar(20) NOT NULL,
    dimension text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT measurement_types_name_check CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT measurement_types_dimension_check
        CHECK (dimension IN ('mass', 'length', 'percent', 'count', 'volume', 'rate')),
    -- The unit is the canonical unit of the dimension: what values are stored in.
    CONSTRAINT measurement_types_unit_check CHECK (
        (dimension, unit) IN (('mass', 'kg'), ('length', 'cm'), ('percent', '%'),
                              ('count', 'count'), ('volume', 'ml'), ('rate', 'bpm'))),
    CONSTRAINT measurement_types_user_id_name_key UNIQUE NULLS NOT DISTINCT (user_id, name)
);
COMMENT ON TABLE measurement_types IS 'Measurement types: user_id NULL = built-in, else a user''s custom type; unit is the canonical unit values are stored in.';
CREATE TRIGGER set_updated_at BEFORE UPDATE ON measurement_types
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

INSERT INTO measurement_types (user_id, name, unit, dimension) VALUES
    (NULL, 'weight', 'kg', 'mass'),
    (NULL, 'body_fat', '%', 'percent'),
    (NULL, 'muscle_mass', 'kg', 'mass'),
    (NULL, 'waist', 'cm', 'length'),
    (NULL, 'hips', 'cm', 'length'),
    (NULL, 'neck', 'cm', 'length'),
    (NULL, 'chest', 'cm', 'length'),
    (NULL, 'height', 'cm', 'length'),
    (NULL, 'resting_heart_rate', 'bpm', 'rate'),
    (NULL, 'steps', 'count', 'count'),
    (NULL, 'water', 'ml', 'volume');

ALTER TABLE measurement_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE measurement_types FORCE ROW LEVEL SECURITY;
CREATE POLICY measurement_types_select ON measurement_types FOR SELECT
    USING (
        (user_id IS NULL AND (SELECT auth.uid()) IS NOT NULL)
        OR user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid())
                         AND fa.access_type IN ('checkin', 'reports'))
    );
CREATE POLICY measurement_types_insert ON measurement_types FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY measurement_types_update ON measurement_types FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY measurement_types_delete ON measurement_types FOR DELETE
    USING (user_id = (SELECT auth.uid()));
-- The unique (user_id, name) index leads with user_id: it is the index behind the policies.

DO $$
DECLARE
    r text := current_setting('sparky.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON measurement_types TO %I', r);
    -- New columns of measurements are covered by the existing table grant.
END
$$;
