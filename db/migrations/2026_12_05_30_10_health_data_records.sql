-- Migration: health data pushed from phones — what each pushed record became, so a phone can
-- send the same records again without duplicating anything.
-- Version: 2026_12_05_30_10
--
-- One row per (user, source, kind, record_key):
--   source       who sent it ("HealthKit", "Health Connect", "api", a Shortcut's name);
--   kind         the measurement type it was stored as (steps, weight, active_calories, a
--                custom type…) or 'workout';
--   record_key   what tells two records of that kind apart: the sender's id for a workout,
--                else the record's time (RFC 3339, UTC), else its day (YYYY-MM-DD), plus the
--                activity for a workout without a time;
--   fingerprint  the stored values, so an identical resend is skipped and a changed one (a
--                day's step total that grew) replaces what the first one wrote;
--   measurement_id / exercise_diary_id   the row it wrote. Deleting that row (the user removed
--                it) clears the link and keeps this row: resending the same values then stays
--                skipped, so a deleted reading does not come back.
-- The owner alone reads and writes these rows; family members never push for someone else.
CREATE TABLE health_data_records (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source text NOT NULL
        CONSTRAINT health_data_records_source_check CHECK (char_length(source) BETWEEN 1 AND 64),
    kind text NOT NULL
        CONSTRAINT health_data_records_kind_check CHECK (char_length(kind) BETWEEN 1 AND 64),
    record_key text NOT NULL
        CONSTRAINT health_data_records_record_key_check CHECK (char_length(record_key) BETWEEN 1 AND 300),
    fingerprint text NOT NULL
        CONSTRAINT health_data_records_fingerprint_check CHECK (char_length(fingerprint) BETWEEN 1 AND 1000),
    measurement_id uuid REFERENCES measurements(id) ON DELETE SET NULL,
    exercise_diary_id uuid REFERENCES exercise_diary(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT health_data_records_one_target_check
        CHECK (measurement_id IS NULL OR exercise_diary_id IS NULL),
    CONSTRAINT health_data_records_key UNIQUE (user_id, source, kind, record_key)
);
COMMENT ON TABLE health_data_records IS
    'Health data pushed from phones: per (user, source, kind, record_key), the values last stored and the row they became; makes resending safe.';
-- Deleting a measurement or workout finds its link through these (ON DELETE SET NULL).
CREATE INDEX idx_health_data_records_measurement ON health_data_records (measurement_id)
    WHERE measurement_id IS NOT NULL;
CREATE INDEX idx_health_data_records_exercise_diary ON health_data_records (exercise_diary_id)
    WHERE exercise_diary_id IS NOT NULL;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON health_data_records
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE health_data_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE health_data_records FORCE ROW LEVEL SECURITY;
-- The unique key leads with user_id: it is the index behind the policies.
CREATE POLICY health_data_records_select ON health_data_records FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY health_data_records_insert ON health_data_records FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY health_data_records_update ON health_data_records FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY health_data_records_delete ON health_data_records FOR DELETE
    USING (user_id = (SELECT auth.uid()));

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.health_data_records TO %I',
                   current_setting('sparky.app_role'));
END
$$;
