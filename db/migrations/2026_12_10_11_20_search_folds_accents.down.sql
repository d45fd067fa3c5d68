-- Back to search_text without folded accents.
LOCK TABLE food_items IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE food_items DROP COLUMN search_text;
ALTER TABLE food_items
    ADD COLUMN search_text text GENERATED ALWAYS AS (lower(name || ' ' || coalesce(brand, ''))) STORED;
CREATE INDEX idx_food_items_search_trgm ON food_items USING gin (search_text gin_trgm_ops);
TRUNCATE food_search_words;
INSERT INTO food_search_words (word, food_item_id)
SELECT w.word, f.id
FROM food_items f, public.food_search_words_of(f.search_text) AS w(word)
WHERE f.user_id IS NULL;
DROP FUNCTION public.search_fold(text);
