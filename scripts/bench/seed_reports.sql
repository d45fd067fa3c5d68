-- Seeds a year of everything the reports read, for one user (scripts/bench-reports): 6 diary
-- entries a day with 15 nutrients (about one day in 17 left empty), two weights a day, a waist
-- and a custom girth each week, active calorie and protein targets, and four strength exercises
-- of 4 sets on four days a week. psql variables: email, days.
\set ON_ERROR_STOP 1
BEGIN;
CREATE TEMP TABLE bench_user AS SELECT id FROM users WHERE email = :'email';
CREATE TEMP TABLE bench_days AS
    SELECT d::date AS d FROM generate_series(current_date - (:days - 1), current_date, interval '1 day') d;
INSERT INTO food_diary (user_id, food_name, quantity, unit, meal_type, consumed_at, entry_date,
    calories, protein, carbohydrates, fat, fiber, sugar, sodium, saturated_fat, trans_fat,
    cholesterol, potassium, calcium, iron, vitamin_a, vitamin_c)
SELECT u.id, 'Bench food ' || k, 1, 'serving', (ARRAY['breakfast', 'lunch', 'dinner', 'snack'])[1 + k % 4],
       (d.d + time '12:00') AT TIME ZONE 'UTC', d.d,
       250 + (abs(hashtext(d.d::text || k)) % 250), 10 + k * 3, 30 + k * 5, 8 + k, 2 + k % 5, 5 + k,
       300 + k * 50, 2 + k % 4, 0.1, 20 + k * 10, 400 + k * 60, 120 + k * 20, 1.5 + k * 0.5,
       80 + k * 30, 8 + k * 4
FROM bench_user u CROSS JOIN bench_days d CROSS JOIN generate_series(1, 6) k
WHERE extract(doy FROM d.d)::int % 17 <> 0;
INSERT INTO measurements (user_id, type, value, unit, measured_at)
SELECT u.id, 'weight', 82 - (d.d - current_date + :days) * 0.01 + (abs(hashtext(d.d::text || h)) % 100) / 100.0,
       'kg', (d.d + make_interval(hours => h)) AT TIME ZONE 'UTC'
FROM bench_user u CROSS JOIN bench_days d CROSS JOIN (VALUES (7), (21)) w(h);
INSERT INTO measurement_types (user_id, name, unit, dimension)
SELECT id, 'left_arm', 'cm', 'length' FROM bench_user;
INSERT INTO measurements (user_id, type, value, unit, measured_at)
SELECT u.id, t.type, t.v + (d.d - current_date) * 0.005, 'cm', (d.d + time '08:00') AT TIME ZONE 'UTC'
FROM bench_user u CROSS JOIN bench_days d CROSS JOIN (VALUES ('waist', 90), ('left_arm', 35)) t(type, v)
WHERE extract(isodow FROM d.d) = 1;
INSERT INTO goals (user_id, type, target_value, status)
SELECT u.id, t.type, t.v, 'active' FROM bench_user u
CROSS JOIN (VALUES ('calorie_target', 2200), ('protein_target', 140)) t(type, v);
WITH ex AS (SELECT id FROM exercises WHERE user_id IS NULL AND name IN
                ('Barbell bench press', 'Barbell back squat', 'Barbell deadlift', 'Bent-over barbell row')),
     ins AS (INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, calories_burned,
                                         calories_source, performed_at)
             SELECT u.id, ex.id, 15, 120, 'user', (d.d + time '18:00') AT TIME ZONE 'UTC'
             FROM bench_user u CROSS JOIN ex CROSS JOIN bench_days d
             WHERE extract(isodow FROM d.d) IN (1, 2, 4, 5)
             RETURNING id, entry_date)
INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg)
SELECT ins.id, s, 4 + s % 4, 60 + (ins.entry_date - current_date + :days) * 0.1 + s * 2.5
FROM ins CROSS JOIN generate_series(1, 4) s;
COMMIT;
VACUUM ANALYZE;
