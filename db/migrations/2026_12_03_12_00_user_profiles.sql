-- Migration: user_profiles — what the energy equations need to know about a person (sex, birth
-- date, height, activity level), kept once so `/goals/suggest` and goal setting need not ask.
-- Version: 2026_12_03_12_00
--
-- One row per user, written only by its owner. Family members the owner shared anything with
-- may read it, like user_preferences (a shared summary or goal needs the owner's numbers).
-- Weight is not here: it is the latest `weight` measurement.

CREATE TABLE user_profiles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE
        CONSTRAINT user_profiles_user_id_key UNIQUE,
    -- As the Mifflin-St Jeor equation distinguishes it.
    sex text CONSTRAINT user_profiles_sex_check CHECK (sex IN ('male', 'female')),
    birth_date date CONSTRAINT user_profiles_birth_date_check
        CHECK (birth_date BETWEEN date '1900-01-01' AND date '2199-12-31'),
    height_cm numeric(6,2) CONSTRAINT user_profiles_height_cm_check
        CHECK (height_cm BETWEEN 50 AND 272),
    activity_level text CONSTRAINT user_profiles_activity_level_check
        CHECK (activity_level IN ('sedentary', 'light', 'moderate', 'active', 'very_active')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE user_profiles IS
    'Per user: sex, birth date, height (cm) and activity level for the energy equations. NULL = not given.';
CREATE TRIGGER set_updated_at BEFORE UPDATE ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

ALTER TABLE user_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_profiles FORCE ROW LEVEL SECURITY;
-- The unique index on user_id is the index behind every policy.
CREATE POLICY user_profiles_select ON user_profiles FOR SELECT
    USING (
        user_id = (SELECT auth.uid())
        OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                       WHERE fa.grantee_user_id = (SELECT auth.uid()))
    );
CREATE POLICY user_profiles_insert ON user_profiles FOR INSERT
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY user_profiles_update ON user_profiles FOR UPDATE
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));
CREATE POLICY user_profiles_delete ON user_profiles FOR DELETE
    USING (user_id = (SELECT auth.uid()));

DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE public.user_profiles TO %I',
                   current_setting('sparky.app_role'));
END
$$;
