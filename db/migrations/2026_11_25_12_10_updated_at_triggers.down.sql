-- Rollback: updated_at kept by a trigger
-- Drops every trigger that calls public.set_updated_at(), then the function.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT tg.tgname, c.relname
        FROM pg_catalog.pg_trigger tg
        JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
        WHERE tg.tgfoid = 'public.set_updated_at()'::regprocedure
    LOOP
        EXECUTE format('DROP TRIGGER %I ON public.%I', r.tgname, r.relname);
    END LOOP;
END
$$;

DROP FUNCTION IF EXISTS public.set_updated_at();
