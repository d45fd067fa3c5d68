-- Rollback of 2026_11_25_15_40_meal_plans: template items, the plan ↔ template link and the
-- diary's plan marker are dropped (diary entries and meal_plans rows themselves stay).
DROP INDEX idx_food_diary_meal_plan;
ALTER TABLE food_diary DROP COLUMN meal_plan_id;

DROP INDEX idx_meal_plans_template;
ALTER TABLE meal_plans DROP CONSTRAINT meal_plans_user_date_template_key;
ALTER TABLE meal_plans DROP COLUMN meal_plan_template_id;

DROP TABLE meal_plan_template_items;
