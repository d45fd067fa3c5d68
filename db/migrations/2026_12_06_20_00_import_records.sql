-- Migration: importers from other trackers (MyFitnessPal, Cronometer, Apple Health, CSV,
-- SparkyFitness) — what each imported source row became, so importing the same file again
-- creates nothing.
-- Version: 2026_12_06_20_00
--
-- One row per (user, source, record_key):
--   source      the importer ('mfp', 'cronometer', 'apple-health', 'csv', 'sparkyfitness');
--   record_key  a key that is stable for the same source row across runs (a hash of the row's
--               content with its repeat count, a record's time, a day, or a source id);
--   area        what it became (foods, diary, measurements, workouts, goals);
--   target_id   the row it became (no foreign key: it points into one of several tables).
--               Deleting that row keeps this one, so a re-import does not bring it back.
-- The owner alone reads and writes these rows.
CREATE TABLE import_records (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source text NOT NULL
        CONSTRAINT import_records_source_check CHECK (char_length(source) BETWEEN 1 AND 32),
    record_key text NOT NULL
        CONSTRAINT import_records_record_key_check CHECK (char_length(record_key) BETWEEN 1 AND 300),
    area text NOT NULL
        CONSTRAINT import_records_area_check
        CHECK (area IN ('foods', 'diary', 'measurements', 'workouts', 'goals')),
    target_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT import_records_key UNIQUE (user_id, source, record_key)
);
COMMENT ON TABLE import_records IS
    'Rows imported from other trackers: per (user, source, record_key), what each became; makes re-importing a file create nothing.';
CREATE TRIGGER set_updated_at BEFORE UPDATE ON import_records
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE import_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_records FORCE ROW LEVEL SECURITY;
-- The unique key leads with user_id: it is the index behind the policies.
CREATE POLICY import_records_select ON import_records FOR SELECT
    USING (user_id = (SELECT auth.uid()));
CREATE POLICY import_records_insert ON import_records FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY import_records_update ON import_records FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY import_records_delete ON import_records FOR DELETE
    USING (user_id = (SELECT auth.uid()));

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.import_records TO %I',
                   current_setting('sparky.app_role'));
END
$$;
