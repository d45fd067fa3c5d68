-- Migration: auth schema and auth.uid()
-- Version: 2024_03_15_14_00
--
-- The seed's RLS policies call auth.uid(). In Sparky the acting user is a transaction-local
-- setting: every request starts with set_config('app.user_id', <uuid>, true), so a pooled
-- connection never carries a user into the next request. An unset or empty setting means
-- "no user" (NULL), and since NULL never equals a user_id, no user = no rows.
-- STABLE (not VOLATILE) so the planner may evaluate `(select auth.uid())` once per statement.
-- A malformed value raises an error instead of matching anything (fail closed).

CREATE SCHEMA auth;

CREATE FUNCTION auth.uid() RETURNS uuid
    LANGUAGE sql
    STABLE
AS $$
    SELECT nullif(current_setting('app.user_id', true), '')::uuid
$$;

COMMENT ON FUNCTION auth.uid() IS
    'The acting user of the current transaction (setting app.user_id), NULL when none is set.';
