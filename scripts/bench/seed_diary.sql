-- Seeds a year of food diary for the benchmark users (scripts/bench-nutrition).
-- psql variables: email_like (LIKE pattern of the users' emails), days (diary length in days,
-- ending today, UTC), pool (how many catalog foods the users eat from).
--
-- Each user gets 6 entries a day (2 breakfast, 2 lunch, 1 snack, 1 dinner) from about 150
-- "usual" foods of their own among the first :pool catalog foods, with a snapshot like the one
-- POST /api/v1/diary takes: name, brand, default serving, servings eaten and the entry's
-- nutrients. created_at = consumed_at, as if logged when eaten, so "recent foods" (last 60
-- days) are realistic. Runs as the owner role, which bypasses row level security.
\set ON_ERROR_STOP 1
BEGIN;
CREATE TEMP TABLE bench_foods ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY f.source_id) - 1)::int AS k,
       f.id, f.name, f.brand, n.id AS nid, n.serving_size, n.serving_unit, n.serving_weight_g,
       n.calories, n.protein, n.carbohydrates, n.fat, n.fiber, n.sugar, n.sodium
FROM food_items f
JOIN nutrition_data n ON n.food_item_id = f.id AND n.is_default
WHERE f.user_id IS NULL AND n.serving_unit = 'g' AND n.serving_size > 0
ORDER BY f.source_id
LIMIT :pool;
CREATE UNIQUE INDEX ON bench_foods (k);
ANALYZE bench_foods;

INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
    consumed_at, entry_date, food_name, brand, serving_size, serving_unit, serving_weight_g,
    servings, calories, protein, carbohydrates, fat, fiber, sugar, sodium, per_serving,
    created_at, updated_at)
SELECT e.user_id, f.id, f.nid, e.qty, 'g', e.meal, e.at, e.d, f.name, f.brand,
       f.serving_size, f.serving_unit, f.serving_weight_g,
       round(e.qty / f.serving_size, 8),
       round(f.calories * e.qty / f.serving_size, 4),
       round(f.protein * e.qty / f.serving_size, 4),
       round(f.carbohydrates * e.qty / f.serving_size, 4),
       round(f.fat * e.qty / f.serving_size, 4),
       round(f.fiber * e.qty / f.serving_size, 4),
       round(f.sugar * e.qty / f.serving_size, 4),
       round(f.sodium * e.qty / f.serving_size, 4),
       jsonb_strip_nulls(jsonb_build_object(
           'calories', f.calories::text, 'protein', f.protein::text,
           'carbohydrates', f.carbohydrates::text, 'fat', f.fat::text, 'fiber', f.fiber::text,
           'sugar', f.sugar::text, 'sodium', f.sodium::text)),
       e.at, e.at
FROM (
    SELECT u.id AS user_id, u.un, d.d, s.slot, s.meal,
           ((d.d + make_interval(hours => s.hour, mins => s.slot * 4)) AT TIME ZONE 'UTC') AS at,
           (30 + abs(hashtext(u.id::text || d.d::text || s.slot)) % 271)::numeric AS qty,
           (u.un * 97 + abs(hashtext(d.d::text || u.id::text || s.slot)) % 150) % :pool AS k
    FROM (SELECT id, row_number() OVER (ORDER BY email)::int AS un
          FROM users WHERE email LIKE :'email_like') u
    CROSS JOIN (SELECT generate_series(current_date - (:days - 1), current_date, interval '1 day')::date AS d) d
    CROSS JOIN (VALUES (1, 'breakfast', 7), (2, 'breakfast', 7), (3, 'lunch', 12),
                       (4, 'lunch', 12), (5, 'snack', 15), (6, 'dinner', 19)) s(slot, meal, hour)
) e
JOIN bench_foods f ON f.k = e.k;
COMMIT;
VACUUM ANALYZE;
