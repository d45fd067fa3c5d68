DROP TABLE catalog_loads;
-- Units longer than 50 characters are shortened to fit the seed's column again.
ALTER TABLE nutrition_data NO FORCE ROW LEVEL SECURITY;
UPDATE nutrition_data SET serving_unit = left(serving_unit, 50) WHERE length(serving_unit) > 50;
ALTER TABLE nutrition_data FORCE ROW LEVEL SECURITY;
ALTER TABLE nutrition_data ALTER COLUMN serving_unit TYPE varchar(50);
