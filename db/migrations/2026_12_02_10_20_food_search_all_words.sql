-- Migration: food search matches every word of the query, in any order, singular or plural.
--
-- "whole milk" must find "Milk, whole, 3.25% milkfat", and "eggs" must find "Egg, whole, raw".
-- The previous candidates needed the query as one substring ("%whole milk%"). Now each query
-- word arrives as a prefix that all its forms start with ("eggs" → "egg", "berries" → "berr"):
-- catalog words starting with the longest one drive an index range scan, and a food is a
-- candidate when it also has a word starting with each of the others (probed through
-- idx_food_search_words_food, a few rows per food). Substring candidates use the trigram index
-- for the longest prefix and check the rest on the rows found. Ranking happens in the
-- application (sparky_core::food_search), over these bounded candidate sets.
--
-- Typo tolerance matches at a word similarity of 0.5 instead of pg_trgm's default 0.6: at 0.6
-- "chiken" missed "chicken" (0.5), while 0.5 still keeps "chickpeas" (0.43) out.
--
-- p_text: the query, lower-cased (typo tolerance compares it whole).
-- p_name_prefix/p_name_upper: names starting with it (byte order), for one-word queries.
-- p_word/p_word_upper: the longest word prefix; p_prefixes: every word prefix;
-- p_patterns: '%prefix%' per word (LIKE-escaped); p_pattern: the longest one's.
DROP FUNCTION public.food_search_candidates(text, text, text, text, text, integer, boolean, boolean);
CREATE FUNCTION public.food_search_candidates(p_text text, p_name_prefix text, p_name_upper text,
                                              p_word text, p_word_upper text, p_prefixes text[],
                                              p_pattern text, p_patterns text[], p_limit integer,
                                              p_substring boolean, p_fuzzy boolean)
    RETURNS SETOF uuid
    LANGUAGE plpgsql
    STABLE
    SECURITY DEFINER
    SET search_path = pg_catalog, public
    SET pg_trgm.word_similarity_threshold = 0.5
AS $$
BEGIN
    RETURN QUERY
    SELECT c.id FROM (
        (SELECT f.id FROM food_items f
         WHERE f.user_id IS NULL
           AND lower(f.name) COLLATE "C" >= p_name_prefix COLLATE "C"
           AND lower(f.name) COLLATE "C" < p_name_upper COLLATE "C"
           AND f.search_text LIKE ALL (p_patterns)
         ORDER BY lower(f.name) COLLATE "C"
         LIMIT p_limit)
        UNION
        (SELECT w.food_item_id FROM food_search_words w
         WHERE w.word >= p_word AND w.word < p_word_upper
           AND (cardinality(p_prefixes) < 2 OR NOT EXISTS (
                SELECT 1 FROM unnest(p_prefixes) AS p(prefix)
                WHERE NOT EXISTS (SELECT 1 FROM food_search_words w2
                                  WHERE w2.food_item_id = w.food_item_id
                                    AND starts_with(w2.word, p.prefix))))
         ORDER BY w.word, w.food_item_id
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE p_substring AND f.user_id IS NULL AND f.search_text LIKE p_pattern
           AND f.search_text LIKE ALL (p_patterns)
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE p_fuzzy AND f.user_id IS NULL AND p_text <% f.search_text
           AND NOT f.search_text LIKE ALL (p_patterns)
         LIMIT p_limit)
    ) c
    WHERE (SELECT auth.uid()) IS NOT NULL;
END
$$;
REVOKE ALL ON FUNCTION public.food_search_candidates(text, text, text, text, text, text[], text, text[], integer, boolean, boolean) FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION public.food_search_candidates(text, text, text, text, text, text[], text, text[], integer, boolean, boolean) TO %I',
                   current_setting('sparky.app_role'));
END
$$;
