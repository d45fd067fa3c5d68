-- Migration: fast food-search candidates from the shared catalog.
--
-- Under row level security PostgreSQL evaluates a query's non-leakproof conditions (LIKE, the
-- trigram operators, text range comparisons) only after the policy, so they cannot use the
-- trigram and prefix indexes: a search of 300,000 catalog foods read the whole table. Catalog
-- rows (user_id IS NULL) are readable by every signed-in user anyway, so this function finds
-- candidate ids among them with the indexes, as the owner. It returns only catalog ids, only
-- for a signed-in caller; the ranking query then reads the rows under RLS as usual.
-- Name-prefix candidates are the first 200 names in byte order (shorter names first among
-- those sharing a prefix); substring and fuzzy candidates are capped at p_limit.
CREATE FUNCTION public.food_search_candidates(p_q text, p_pattern text, p_upper text,
                                              p_limit integer, p_fuzzy boolean)
    RETURNS SETOF uuid
    LANGUAGE sql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
    SELECT c.id FROM (
        (SELECT f.id FROM food_items f
         WHERE f.user_id IS NULL
           AND lower(f.name) COLLATE "C" >= p_q COLLATE "C"
           AND lower(f.name) COLLATE "C" < p_upper COLLATE "C"
         ORDER BY lower(f.name) COLLATE "C"
         LIMIT least(p_limit, 200))
        UNION
        (SELECT f.id FROM food_items f
         WHERE f.user_id IS NULL AND f.search_text LIKE p_pattern
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE p_fuzzy AND f.user_id IS NULL AND p_q <% f.search_text
           AND f.search_text NOT LIKE p_pattern
         LIMIT p_limit)
    ) c
    WHERE (SELECT auth.uid()) IS NOT NULL
$$;
REVOKE ALL ON FUNCTION public.food_search_candidates(text, text, text, integer, boolean) FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.food_search_candidates(text, text, text, integer, boolean) TO %I',
                   current_setting('sparky.app_role'));
END
$$;
