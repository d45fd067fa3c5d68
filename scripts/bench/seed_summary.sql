-- Seeds the rest of a year for the daily-summary benchmark (scripts/bench-nutrition): for every
-- benchmark user a workout every other day (calories given), a morning weight and three water
-- entries a day, and active calorie and protein targets. Same psql variables as seed_diary.sql.
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, calories_burned, calories_source, performed_at)
SELECT u.id, (SELECT id FROM exercises WHERE user_id IS NULL ORDER BY name LIMIT 1), 40,
       250 + abs(hashtext(u.id::text || d::text)) % 300, 'user', (d + time '18:00') AT TIME ZONE 'UTC'
FROM users u
CROSS JOIN generate_series(current_date - (:days - 1), current_date, interval '2 days') d
WHERE u.email LIKE :'email_like';
INSERT INTO measurements (user_id, type, value, unit, measured_at)
SELECT u.id, 'weight', 80 - (current_date - d::date) * 0.01, 'kg', (d + time '07:00') AT TIME ZONE 'UTC'
FROM users u CROSS JOIN generate_series(current_date - (:days - 1), current_date, interval '1 day') d
WHERE u.email LIKE :'email_like';
INSERT INTO measurements (user_id, type, value, unit, measured_at)
SELECT u.id, 'water', 500, 'ml', (d + make_interval(hours => h)) AT TIME ZONE 'UTC'
FROM users u CROSS JOIN generate_series(current_date - (:days - 1), current_date, interval '1 day') d
CROSS JOIN (VALUES (9), (13), (17)) w(h)
WHERE u.email LIKE :'email_like';
INSERT INTO goals (user_id, type, target_value, status)
SELECT u.id, t.type, t.v, 'active' FROM users u
CROSS JOIN (VALUES ('calorie_target', 2200), ('protein_target', 140)) t(type, v)
WHERE u.email LIKE :'email_like';
COMMIT;
VACUUM ANALYZE;
