-- Reverts 2026_12_22_09_00_custom_nutrients: custom nutrient definitions and the amounts
-- foods and diary entries hold of them are lost.
ALTER TABLE food_diary DROP COLUMN custom_per_serving;
ALTER TABLE nutrition_data DROP COLUMN custom_nutrients;
DROP TABLE custom_nutrients;
