-- Migration: food search matches every word of the query, in any order, singular or plural.
--
-- "whole milk" must find "Milk, whole, 3.25% milkfat", and "eggs" must find "Egg, whole, raw".
-- The previous candidates needed the query as one substring ("%whole milk%"). Now each query
-- word arrives as a prefix that all its forms start with ("eggs" → "egg", "berries" → "berr").
-- One word: catalog words starting with it, an index range scan that stops after p_limit, and
-- when that finds too little (p_substring), names containing it through the trigram index.
-- Several: the foods containing each of (up to) three of them, the longest ones of at least
-- three letters (p_prefixes), in one trigram index scan that intersects their posting lists
-- (4-10 ms for "whole milk" in a 300,000-food catalog on a busy machine, where probing each
-- food with a word starting "whole" for one starting "milk" took 80 ms and intersecting the two
-- word ranges 25-30 ms). Shorter words are checked by the caller. The name-prefix branch
-- takes the first p_limit names in index order and checks nothing else: with one more
-- condition, generic plans read every name with the prefix and sort them (25 ms for "chi").
-- Ranking happens in the application (sparky_core::food_search), over these bounded sets.
--
-- Typo tolerance matches at a word similarity of 0.5 instead of pg_trgm's default 0.6: at 0.6
-- "chiken" missed "chicken" (0.5), while 0.5 still keeps "chickpeas" (0.43) out.
--
-- p_text: the query, lower-cased (typo tolerance compares it whole).
-- p_name_prefix/p_name_upper: names starting with it (byte order), for one-word queries.
-- p_word/p_word_upper: the longest word prefix, for the one-word scan; p_prefixes: the longest
-- three prefixes of at least three letters (fewer than two: the one-word scan of p_word);
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
         ORDER BY lower(f.name) COLLATE "C"
         LIMIT p_limit)
        UNION
        (SELECT w.food_item_id FROM food_search_words w
         WHERE cardinality(p_prefixes) < 2
           AND w.word >= p_word AND w.word < p_word_upper
         ORDER BY w.word, w.food_item_id
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE cardinality(p_prefixes) = 2 AND f.user_id IS NULL
           AND f.search_text LIKE '%' || p_prefixes[1] || '%'
           AND f.search_text LIKE '%' || p_prefixes[2] || '%'
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE cardinality(p_prefixes) >= 3 AND f.user_id IS NULL
           AND f.search_text LIKE '%' || p_prefixes[1] || '%'
           AND f.search_text LIKE '%' || p_prefixes[2] || '%'
           AND f.search_text LIKE '%' || p_prefixes[3] || '%'
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE p_substring AND cardinality(p_prefixes) < 2 AND f.user_id IS NULL
           AND f.search_text LIKE p_pattern
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
