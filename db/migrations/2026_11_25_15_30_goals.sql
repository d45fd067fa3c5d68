-- Migration: Goals — every goal type the app tracks, a start point for progress, exact values,
-- and at most one active goal per type.
-- Version: 2026_11_25_15_30
--
-- Values are stored in the canonical unit of the goal's type: kg for weight goals
-- (weight_loss, muscle_gain, weight_target), kcal for calorie_target, g for protein_target,
-- carbs_target and fat_target, ml for water_target; `target_unit` names that unit. The app
-- converts weights to the owner's unit system for display only.
-- current_value is derived from measurements and the diary when a goal is read; the column is
-- kept for seed compatibility and is not written by the app.
-- start_value (the weight when a weight goal was set) and start_date anchor progress.
-- Access is unchanged (2026_11_25_12_00_security_model.sql): the owner alone writes goals;
-- 'calorie' and 'reports' grantees read them.

-- Data changes below must see every user's rows even under a non-superuser owner.
ALTER TABLE goals NO FORCE ROW LEVEL SECURITY;

ALTER TABLE goals
    DROP CONSTRAINT goals_type_check,
    ALTER COLUMN target_value TYPE numeric(14,6),
    ALTER COLUMN current_value TYPE numeric(14,6),
    ADD COLUMN start_value numeric(14,6),
    ADD COLUMN start_date date;

-- Seed-era rows: a missing status is the default one; the start is when the goal was made.
UPDATE goals SET status = 'active' WHERE status IS NULL;
UPDATE goals SET start_date = coalesce(created_at, now())::date WHERE start_date IS NULL;
-- Several active goals of one type (allowed before): keep the newest active, pause the rest.
UPDATE goals g SET status = 'paused'
WHERE g.status = 'active'
  AND EXISTS (SELECT 1 FROM goals o
              WHERE o.user_id = g.user_id AND o.type = g.type AND o.status = 'active'
                AND (o.created_at, o.id) > (g.created_at, g.id));

ALTER TABLE goals
    ALTER COLUMN status SET NOT NULL,
    ALTER COLUMN start_date SET DEFAULT CURRENT_DATE,
    ALTER COLUMN start_date SET NOT NULL,
    ADD CONSTRAINT goals_type_check CHECK (type IN (
        'weight_loss', 'muscle_gain', 'calorie_target', 'protein_target', 'carbs_target',
        'fat_target', 'water_target', 'weight_target')),
    -- Seed-era rows may hold anything; new and changed rows must be positive.
    ADD CONSTRAINT goals_target_value_check CHECK (target_value IS NULL OR target_value > 0) NOT VALID,
    ADD CONSTRAINT goals_start_value_check CHECK (start_value IS NULL OR start_value > 0);

-- One active goal per type and user (paused and completed ones are history). Leads with
-- user_id, so it also serves the policies (idx_goals_user stays for the other statuses).
CREATE UNIQUE INDEX idx_goals_one_active_per_type ON goals (user_id, type) WHERE status = 'active';

ALTER TABLE goals FORCE ROW LEVEL SECURITY;
-- Grants: the existing table grant covers the new columns; updated_at keeps its trigger.
