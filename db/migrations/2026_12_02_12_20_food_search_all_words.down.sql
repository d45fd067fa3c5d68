DROP FUNCTION public.food_search_candidates(text, text, text, text, text, text[], text, text[], integer, boolean, boolean);
CREATE FUNCTION public.food_search_candidates(p_q text, p_pattern text, p_upper text,
                                              p_word text, p_word_upper text, p_limit integer,
                                              p_substring boolean, p_fuzzy boolean)
    RETURNS SETOF uuid
    LANGUAGE plpgsql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    RETURN QUERY
    SELECT c.id FROM (
        (SELECT f.id FROM food_items f
         WHERE f.user_id IS NULL
           AND lower(f.name) COLLATE "C" >= p_q COLLATE "C"
           AND lower(f.name) COLLATE "C" < p_upper COLLATE "C"
         ORDER BY lower(f.name) COLLATE "C"
         LIMIT p_limit)
        UNION
        (SELECT w.food_item_id FROM food_search_words w
         WHERE w.word >= p_word AND w.word < p_word_upper
         ORDER BY w.word, w.food_item_id
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE p_substring AND f.user_id IS NULL AND f.search_text LIKE p_pattern
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE p_fuzzy AND f.user_id IS NULL AND p_q <% f.search_text
           AND f.search_text NOT LIKE p_pattern
         LIMIT p_limit)
    ) c
    WHERE (SELECT auth.uid()) IS NOT NULL;
END
$$;
REVOKE ALL ON FUNCTION public.food_search_candidates(text, text, text, text, text, integer, boolean, boolean) FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.food_search_candidates(text, text, text, text, text, integer, boolean, boolean) TO %I',
                   current_setting('sparky.app_role'));
END
$$;
