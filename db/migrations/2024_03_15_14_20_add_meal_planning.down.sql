-- Rollback: Add meal planning functionality
-- (The runner removes the tracking row itself.)
DROP TABLE IF EXISTS meal_plans;
