DROP FUNCTION IF EXISTS public.food_search_candidates(text, text, text, text, text, integer, boolean, boolean);
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
DROP TRIGGER IF EXISTS food_search_words_insert ON food_items;
DROP TRIGGER IF EXISTS food_search_words_update ON food_items;
DROP FUNCTION IF EXISTS public.food_search_words_sync();
DROP TABLE IF EXISTS food_search_words;
DROP FUNCTION IF EXISTS public.food_search_words_of(text);
