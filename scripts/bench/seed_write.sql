-- Seeds the data for scripts/bench-write: a small shared catalog and, for each benchmark user,
-- :days days of food diary ending today (6 entries a day, snapshots like POST /api/v1/diary
-- takes) and a workout every other day, so that the per-day totals the triggers keep are
-- realistic. Then a copy of food_diary without triggers for the trigger-free baseline.
-- psql variables: email_like (LIKE pattern of the users' emails), days, foods (catalog size),
-- app_role (the request role).
-- Runs as the owner role, which bypasses row level security.
\set ON_ERROR_STOP 1
BEGIN;
-- Catalog foods with a default 100 g serving; every third one lacks the minor nutrients, as
-- real catalog rows do (unknown stays NULL).
INSERT INTO food_items (name, brand, source, source_id)
SELECT 'Bench food ' || i, CASE WHEN i % 2 = 0 THEN 'Bench brand' END, 'bench', 'bench-' || i
FROM generate_series(1, :foods) i;
INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, serving_weight_g, is_default,
    calories, protein, carbohydrates, fat, fiber, sugar, sodium,
    saturated_fat, cholesterol, potassium, calcium, iron, vitamin_c)
SELECT f.id, 100, 'g', 100, true,
       50 + k % 400, (k % 30) + 0.5, (k % 60) + 0.25, (k % 25) + 0.1, k % 9, k % 20, k % 700,
       CASE WHEN k % 3 <> 0 THEN (k % 10) + 0.3 END, CASE WHEN k % 3 <> 0 THEN k % 90 END,
       CASE WHEN k % 3 <> 0 THEN k % 500 END, CASE WHEN k % 3 <> 0 THEN k % 300 END,
       CASE WHEN k % 3 <> 0 THEN (k % 7) + 0.05 END, CASE WHEN k % 3 <> 0 THEN k % 40 END
FROM (SELECT id, substr(source_id, 7)::int AS k FROM food_items WHERE source = 'bench') f;

CREATE TEMP TABLE bench_foods ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY f.source_id) - 1)::int AS k, f.id, f.name, f.brand, n.id AS nid,
       n.calories, n.protein, n.carbohydrates, n.fat, n.fiber, n.sugar, n.sodium,
       n.saturated_fat, n.cholesterol, n.potassium, n.calcium, n.iron, n.vitamin_c
FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id AND n.is_default
WHERE f.source = 'bench';
CREATE UNIQUE INDEX ON bench_foods (k);

INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
    consumed_at, entry_date, food_name, brand, serving_size, serving_unit, serving_weight_g,
    servings, calories, protein, carbohydrates, fat, fiber, sugar, sodium, saturated_fat,
    cholesterol, potassium, calcium, iron, vitamin_c, created_at, updated_at)
SELECT e.user_id, f.id, f.nid, e.qty, 'g', e.meal, e.at, e.d, f.name, f.brand, 100, 'g', 100,
       round(e.qty / 100, 8), round(f.calories * e.qty / 100, 4), round(f.protein * e.qty / 100, 4),
       round(f.carbohydrates * e.qty / 100, 4), round(f.fat * e.qty / 100, 4),
       round(f.fiber * e.qty / 100, 4), round(f.sugar * e.qty / 100, 4), round(f.sodium * e.qty / 100, 4),
       round(f.saturated_fat * e.qty / 100, 4), round(f.cholesterol * e.qty / 100, 4),
       round(f.potassium * e.qty / 100, 4), round(f.calcium * e.qty / 100, 4),
       round(f.iron * e.qty / 100, 4), round(f.vitamin_c * e.qty / 100, 4), e.at, e.at
FROM (
    SELECT u.id AS user_id, d.d, s.meal,
           ((d.d + make_interval(hours => s.hour, mins => s.slot * 4)) AT TIME ZONE 'UTC') AS at,
           (30 + abs(hashtext(u.id::text || d.d::text || s.slot)) % 271)::numeric AS qty,
           abs(hashtext(d.d::text || u.id::text || s.slot)) % :foods AS k
    FROM (SELECT id FROM users WHERE email LIKE :'email_like') u
    CROSS JOIN (SELECT generate_series(current_date - (:days - 1), current_date, interval '1 day')::date AS d) d
    CROSS JOIN (VALUES (1, 'breakfast', 7), (2, 'breakfast', 7), (3, 'lunch', 12),
                       (4, 'lunch', 12), (5, 'snack', 15), (6, 'dinner', 19)) s(slot, meal, hour)
) e
JOIN bench_foods f ON f.k = e.k;

INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, calories_burned, calories_source, performed_at)
SELECT u.id, (SELECT id FROM exercises WHERE user_id IS NULL ORDER BY name LIMIT 1), 40,
       250 + abs(hashtext(u.id::text || d::text)) % 300, 'user', (d + time '18:00') AT TIME ZONE 'UTC'
FROM users u
CROSS JOIN generate_series(current_date - (:days - 1), current_date, interval '2 days') d
WHERE u.email LIKE :'email_like';

-- The trigger-free baseline: food_diary's columns, defaults, constraints and indexes, its
-- foreign keys and its row level security, and no triggers (LIKE copies none).
DROP TABLE IF EXISTS bench_food_diary_plain;
CREATE TABLE bench_food_diary_plain (LIKE food_diary INCLUDING ALL);
ALTER TABLE bench_food_diary_plain
    ADD FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
    ADD FOREIGN KEY (food_item_id) REFERENCES food_items(id) ON DELETE SET NULL,
    ADD FOREIGN KEY (nutrition_data_id) REFERENCES nutrition_data(id) ON DELETE SET NULL;
INSERT INTO bench_food_diary_plain SELECT * FROM food_diary;
ALTER TABLE bench_food_diary_plain ENABLE ROW LEVEL SECURITY;
ALTER TABLE bench_food_diary_plain FORCE ROW LEVEL SECURITY;
CREATE POLICY bench_insert ON bench_food_diary_plain FOR INSERT WITH CHECK (
    (user_id = (SELECT auth.uid())
     OR user_id IN (SELECT fa.grantor_user_id FROM family_access fa
                    WHERE fa.grantee_user_id = (SELECT auth.uid()) AND fa.access_type = 'calorie'))
    AND (food_item_id IS NULL OR EXISTS (SELECT 1 FROM food_items f WHERE f.id = bench_food_diary_plain.food_item_id)));
GRANT INSERT ON bench_food_diary_plain TO :"app_role";
COMMIT;
VACUUM ANALYZE;
