-- Migration: food search takes name-prefix candidates from the starter catalog's supplement
-- (source 'usda-fdc-starter', FoodData Central foods SR24 lacks) apart from the rest of the
-- catalog, each the first p_limit names in its own index's order (the two migrations before),
-- so that neither crowds the other out; ranking (sparky_core::food_search) then puts SR24's
-- food first where both answer a query alike. The supplement, half SR24's size and ranked
-- after it, gets a third as many: each candidate costs a row read and a ranking, and 60 more
-- for "chi" cost 15 % of the search rate on a 300,000-food catalog (the catalog's words find
-- its foods too). Each branch's conditions are exactly its partial
-- index's predicate plus the name range, so generic plans keep the ordered index scan that
-- stops after p_limit. The index they replace is dropped.
CREATE OR REPLACE FUNCTION public.food_search_candidates(p_text text, p_name_prefix text, p_name_upper text,
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
         WHERE f.user_id IS NULL AND f.source IS DISTINCT FROM 'usda-fdc-starter'
           AND lower(f.name) COLLATE "C" >= p_name_prefix COLLATE "C"
           AND lower(f.name) COLLATE "C" < p_name_upper COLLATE "C"
         ORDER BY lower(f.name) COLLATE "C"
         LIMIT p_limit)
        UNION
        (SELECT f.id FROM food_items f
         WHERE f.user_id IS NULL AND f.source = 'usda-fdc-starter'
           AND lower(f.name) COLLATE "C" >= p_name_prefix COLLATE "C"
           AND lower(f.name) COLLATE "C" < p_name_upper COLLATE "C"
         ORDER BY lower(f.name) COLLATE "C"
         LIMIT (p_limit + 2) / 3)
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
DROP INDEX IF EXISTS idx_food_items_name_c;
