-- Migration: food search reads accented letters as plain ones.
-- Version: 2026_12_10_11_20
--
-- "müsli" did not find "Müsli", "creme brulee" not "Crème brûlée". search_text (lower-cased name
-- and brand, what every search matches against) now folds accents, as the query does
-- (sparky_core::food_search::fold_accents: the same table, held together by a test). A
-- generated column's expression cannot be changed in place before PostgreSQL 17, so it is
-- made again, with its index, and the catalog's word index is rebuilt from it.
CREATE FUNCTION public.search_fold(p_text text)
    RETURNS text
    LANGUAGE sql
    IMMUTABLE
    PARALLEL SAFE
    RETURN replace(replace(replace(
        translate(p_text, 'àáâãäåāăąçćčďđèéêëēėęěğìíîïīįıłñńňòóôõöøōőřśšşșťţțùúûüūůűųýÿźżž',
                          'aaaaaaaaacccddeeeeeeeegiiiiiiilnnnoooooooorsssstttuuuuuuuuyyzzz'),
        'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe');

-- Writes to the catalog would be missed while the word index is rebuilt.
LOCK TABLE food_items IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE food_items DROP COLUMN search_text;
ALTER TABLE food_items
    ADD COLUMN search_text text
        GENERATED ALWAYS AS (public.search_fold(lower(name || ' ' || coalesce(brand, '')))) STORED;
CREATE INDEX idx_food_items_search_trgm ON food_items USING gin (search_text gin_trgm_ops);
COMMENT ON COLUMN food_items.search_text IS
    'Lower-cased name and brand with accents folded (public.search_fold): what food search matches.';

TRUNCATE food_search_words;
-- As an owner that FORCEd RLS would otherwise filter (a managed database's plain owner).
ALTER TABLE food_items NO FORCE ROW LEVEL SECURITY;
INSERT INTO food_search_words (word, food_item_id)
SELECT w.word, f.id
FROM food_items f, public.food_search_words_of(f.search_text) AS w(word)
WHERE f.user_id IS NULL;
ALTER TABLE food_items FORCE ROW LEVEL SECURITY;
