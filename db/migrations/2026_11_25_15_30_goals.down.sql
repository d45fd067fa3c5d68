-- Rollback of 2026_11_25_15_30_goals. Goals of the new types are deleted (the seed's CHECK
-- cannot hold them); values narrow back to the seed's DECIMAL(10,2).
DROP INDEX idx_goals_one_active_per_type;

ALTER TABLE goals NO FORCE ROW LEVEL SECURITY;
DELETE FROM goals WHERE type NOT IN ('weight_loss', 'muscle_gain', 'calorie_target');
ALTER TABLE goals FORCE ROW LEVEL SECURITY;

ALTER TABLE goals
    DROP CONSTRAINT goals_type_check,
    DROP CONSTRAINT goals_target_value_check,
    DROP CONSTRAINT goals_start_value_check,
    ALTER COLUMN status DROP NOT NULL,
    DROP COLUMN start_value,
    DROP COLUMN start_date,
    ALTER COLUMN target_value TYPE numeric(10,2),
    ALTER COLUMN current_value TYPE numeric(10,2),
    ADD CONSTRAINT goals_type_check CHECK (type IN ('weight_loss', 'muscle_gain', 'calorie_target'));
