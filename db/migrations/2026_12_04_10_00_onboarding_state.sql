-- Migration: user_preferences.onboarded_at — when the user finished or skipped the web app's
-- onboarding (units, timezone, body, goal → targets).
-- Version: 2026_12_04_10_00
--
-- NULL means "not yet": the first sign-in in a browser leads there. Accounts that exist before
-- this migration already use Sparky, so they count as onboarded. Covered by the table-wide
-- SELECT/UPDATE grant and the own-row policies of user_preferences.

ALTER TABLE user_preferences ADD COLUMN onboarded_at timestamptz;
COMMENT ON COLUMN user_preferences.onboarded_at IS
    'When the web onboarding was finished or skipped; NULL = not yet.';

-- As an owner that FORCEd RLS would otherwise filter (a managed database's plain owner).
ALTER TABLE user_preferences NO FORCE ROW LEVEL SECURITY;
UPDATE user_preferences SET onboarded_at = now();
ALTER TABLE user_preferences FORCE ROW LEVEL SECURITY;
