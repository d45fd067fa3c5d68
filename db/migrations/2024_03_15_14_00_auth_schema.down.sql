-- Rollback: auth schema and auth.uid()
-- Runs after meal_plans (whose seed policy calls auth.uid()) has been rolled back.
DROP FUNCTION IF EXISTS auth.uid();
DROP SCHEMA IF EXISTS auth;
