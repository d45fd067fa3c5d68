-- Migration: a word-prefix index of the shared catalog for food search.
--
-- Substring candidates came from the trigram GIN index, which has to build a bitmap of every
-- match before it can stop: "chi" or "strawberry" in a 300,000-food catalog is 10,000-36,000
-- matches and 15-20 ms, per search. People type the start of a word ("chi" for chicken,
-- "straw"), so the catalog's words get a B-tree of their own: a prefix range scan stops after
-- the first few hundred, whatever the catalog size. The trigram index stays for substrings
-- inside words, several-word phrases and typo tolerance.
--
-- Words are search_text (lower-cased name and brand) split at spaces and ASCII punctuation.
-- Kept by statement triggers on food_items (catalog rows only). Nobody but the owner reads or
-- writes the table; searches reach it through food_search_candidates (SECURITY DEFINER).

-- Writes to the catalog would be missed while the table is filled.
LOCK TABLE food_items IN SHARE MODE;

CREATE TABLE food_search_words (
    word text COLLATE "C" NOT NULL,
    food_item_id uuid NOT NULL REFERENCES food_items(id) ON DELETE CASCADE,
    PRIMARY KEY (word, food_item_id)
);
CREATE INDEX idx_food_search_words_food ON food_search_words (food_item_id);
COMMENT ON TABLE food_search_words IS
    'Derived from the shared catalog (food_items with user_id IS NULL) by triggers: one row per word of a food''s search_text. No user data.';

CREATE FUNCTION public.food_search_words_of(p_text text)
    RETURNS SETOF text
    LANGUAGE sql
    IMMUTABLE
    PARALLEL SAFE
AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(p_text, '[[:space:][:punct:]]+') AS w WHERE w <> ''
$$;

CREATE FUNCTION public.food_search_words_sync()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM food_search_words w
        USING old_rows o
        WHERE w.food_item_id = o.id AND o.user_id IS NULL;
    END IF;
    INSERT INTO food_search_words (word, food_item_id)
    SELECT w.word, n.id
    FROM new_rows n, public.food_search_words_of(n.search_text) AS w(word)
    WHERE n.user_id IS NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION public.food_search_words_sync() FROM PUBLIC;

CREATE TRIGGER food_search_words_insert AFTER INSERT ON food_items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.food_search_words_sync();
CREATE TRIGGER food_search_words_update AFTER UPDATE ON food_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.food_search_words_sync();
-- Deleting a food deletes its words (ON DELETE CASCADE).

-- As an owner that FORCEd RLS would otherwise filter (a managed database's plain owner).
ALTER TABLE food_items NO FORCE ROW LEVEL SECURITY;
INSERT INTO food_search_words (word, food_item_id)
SELECT w.word, f.id
FROM food_items f, public.food_search_words_of(f.search_text) AS w(word)
WHERE f.user_id IS NULL;
ALTER TABLE food_items FORCE ROW LEVEL SECURITY;

-- Candidates now also come from catalog words starting with p_word (the query's longest
-- word), and substring matches only when asked (several words, or too few results).
-- PL/pgSQL, not SQL: a SQL function's query is planned on every call (1-2 ms here), a
-- PL/pgSQL one once per connection.
DROP FUNCTION public.food_search_candidates(text, text, text, integer, boolean);
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
