-- Migration: room for the built-in starter food catalog (USDA SR, data/fooddata/).
--
-- USDA household measures name their unit in words, up to 77 characters ("breast, bone
-- removed (yield from 1 lb ready-to-cook chicken)"); the seed's VARCHAR(50) would cut them.
-- Widening a varchar is a catalog-only change: no table rewrite.
ALTER TABLE nutrition_data ALTER COLUMN serving_unit TYPE varchar(100);

-- Which built-in catalog data set was last loaded, so a start loads it only when the binary
-- carries a different one (first start, or an upgrade with updated data). Shared, no personal
-- data; only the owner role (startup, `sparky foods import`) reads or writes it.
CREATE TABLE catalog_loads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    dataset text NOT NULL UNIQUE CHECK (length(btrim(dataset)) > 0),
    -- SHA-256 of the data files as built into the binary.
    checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
    foods integer NOT NULL CHECK (foods >= 0),
    servings integer NOT NULL CHECK (servings >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE catalog_loads IS 'sparky:shared — which built-in food catalog data set was loaded; no personal data';
CREATE TRIGGER catalog_loads_set_updated_at BEFORE UPDATE ON catalog_loads
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
