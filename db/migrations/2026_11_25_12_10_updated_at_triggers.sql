-- Migration: updated_at kept by a trigger
-- Version: 2026_11_25_12_10
--
-- The seed says updated_at is "updated via triggers" but defines none. One trigger function,
-- attached BEFORE UPDATE to every public table that has an updated_at column, so no code path
-- (app, CLI, import) can forget it or set it to something else. now() is the transaction's
-- start time, the same clock created_at's default uses.

CREATE FUNCTION public.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION public.set_updated_at() IS 'BEFORE UPDATE trigger: sets NEW.updated_at to now().';

-- Only triggers call it (firing a trigger needs no EXECUTE privilege), so nobody else may.
REVOKE ALL ON FUNCTION public.set_updated_at() FROM PUBLIC;

-- Every table that has an updated_at column (all seed tables and meal_plans at this point).
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = 'public'
          AND c.relkind IN ('r', 'p')
          AND a.attname = 'updated_at'
          AND NOT a.attisdropped
        ORDER BY c.relname
    LOOP
        EXECUTE format(
            'CREATE TRIGGER set_updated_at BEFORE UPDATE ON public.%I '
            'FOR EACH ROW EXECUTE FUNCTION public.set_updated_at()', t);
    END LOOP;
END
$$;
