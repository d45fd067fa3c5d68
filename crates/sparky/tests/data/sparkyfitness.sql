-- A small SparkyFitness database for `sparky import-from sparkyfitness` tests: the tables the
-- importer reads, as SparkyFitness's first schema had them, plus the later columns it relies
-- on (food_entries' snapshot columns, exercise_entries.exercise_name,
-- check_in_measurements.height and body_fat_percentage). Made-up people and values.
CREATE SCHEMA auth;
CREATE TABLE auth.users (
    id uuid PRIMARY KEY,
    email text UNIQUE,
    password_hash text NOT NULL,
    raw_user_meta_data jsonb,
    created_at timestamptz,
    updated_at timestamptz
);
CREATE TABLE foods (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid,
    name text NOT NULL,
    brand text,
    barcode text,
    provider_external_id text,
    is_custom boolean DEFAULT false,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    shared_with_public boolean DEFAULT false,
    provider_type text
);
CREATE TABLE food_variants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    food_id uuid NOT NULL REFERENCES foods(id),
    serving_size numeric DEFAULT 1 NOT NULL,
    serving_unit text DEFAULT 'g' NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    calories numeric DEFAULT 0, protein numeric DEFAULT 0, carbs numeric DEFAULT 0,
    fat numeric DEFAULT 0, saturated_fat numeric DEFAULT 0,
    polyunsaturated_fat numeric DEFAULT 0, monounsaturated_fat numeric DEFAULT 0,
    trans_fat numeric DEFAULT 0, cholesterol numeric DEFAULT 0, sodium numeric DEFAULT 0,
    potassium numeric DEFAULT 0, dietary_fiber numeric DEFAULT 0, sugars numeric DEFAULT 0,
    vitamin_a numeric DEFAULT 0, vitamin_c numeric DEFAULT 0, calcium numeric DEFAULT 0,
    iron numeric DEFAULT 0,
    is_default boolean DEFAULT false
);
CREATE TABLE food_entries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    food_id uuid NOT NULL REFERENCES foods(id),
    meal_type text NOT NULL CHECK (meal_type IN ('breakfast', 'lunch', 'dinner', 'snacks')),
    quantity numeric DEFAULT 1 NOT NULL,
    unit text DEFAULT 'g',
    entry_date date DEFAULT CURRENT_DATE NOT NULL,
    created_at timestamptz DEFAULT now(),
    variant_id uuid,
    -- later: what the entry recorded of its food
    food_name text, brand_name text, serving_size numeric, serving_unit text,
    calories numeric, protein numeric, carbs numeric, fat numeric, saturated_fat numeric,
    polyunsaturated_fat numeric, monounsaturated_fat numeric, trans_fat numeric,
    cholesterol numeric, sodium numeric, potassium numeric, dietary_fiber numeric,
    sugars numeric, vitamin_a numeric, vitamin_c numeric, calcium numeric, iron numeric
);
CREATE TABLE exercises (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    category text DEFAULT 'general',
    calories_per_hour numeric DEFAULT 300,
    description text,
    user_id uuid,
    is_custom boolean DEFAULT false,
    shared_with_public boolean DEFAULT false,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);
CREATE TABLE exercise_entries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    exercise_id uuid NOT NULL REFERENCES exercises(id),
    duration_minutes numeric NOT NULL,
    calories_burned numeric NOT NULL,
    entry_date date DEFAULT CURRENT_DATE,
    notes text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now() NOT NULL,
    exercise_name text,
    calories_per_hour numeric
);
CREATE TABLE check_in_measurements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    entry_date date DEFAULT CURRENT_DATE NOT NULL,
    weight numeric, neck numeric, waist numeric, hips numeric, steps integer,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL,
    height numeric,
    body_fat_percentage numeric
);
CREATE TABLE custom_categories (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    name varchar(50) NOT NULL,
    measurement_type varchar(50) NOT NULL,
    frequency text NOT NULL CHECK (frequency IN ('All', 'Daily', 'Hourly')),
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT now() NOT NULL
);
CREATE TABLE custom_measurements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    category_id uuid NOT NULL REFERENCES custom_categories(id),
    value numeric NOT NULL,
    entry_date date NOT NULL,
    entry_hour integer,
    entry_timestamp timestamptz DEFAULT now() NOT NULL,
    created_at timestamptz DEFAULT now() NOT NULL,
    updated_at timestamptz DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE user_goals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    goal_date date,
    calories numeric DEFAULT 2000, protein numeric DEFAULT 150, carbs numeric DEFAULT 250,
    fat numeric DEFAULT 67, water_goal integer DEFAULT 8,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now()
);

INSERT INTO auth.users (id, email, password_hash, raw_user_meta_data, created_at) VALUES
    ('00000000-0000-4000-8000-00000000000a', 'ann@example.com', '$2b$10$notarealhash', '{"full_name": "Ann"}', '2025-01-01'),
    ('00000000-0000-4000-8000-00000000000c', 'cat@example.com', '$2b$10$notarealhash', '{"full_name": "Cat"}', '2025-01-02');

INSERT INTO foods (id, user_id, name, brand, is_custom) VALUES
    ('00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-00000000000a', 'Porridge', 'Home', true),
    ('00000000-0000-4000-8000-0000000000f2', NULL, 'Tomato soup', NULL, false);
INSERT INTO food_variants (id, food_id, serving_size, serving_unit, calories, protein, carbs, fat, sodium, is_default) VALUES
    ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000f1', 100, 'g', 150, 5, 27, 3, 40, true),
    ('00000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000f2', 250, 'ml', 90, 2, 15, 2, 600, true);
INSERT INTO food_entries (id, user_id, food_id, meal_type, quantity, unit, entry_date, variant_id, food_name, serving_size, calories, protein) VALUES
    -- 200 g of a 100 g serving of 150 kcal: 300 kcal.
    ('00000000-0000-4000-8000-0000000000e1', '00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000f1', 'breakfast', 200, 'g', '2025-02-01', '00000000-0000-4000-8000-0000000000b1', NULL, NULL, NULL, NULL),
    -- The entry's own snapshot wins: 500 ml of 250 ml at 100 kcal: 200 kcal.
    ('00000000-0000-4000-8000-0000000000e2', '00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000f2', 'snacks', 500, 'ml', '2025-02-01', NULL, 'Tomato soup (as logged)', 250, 100, 3),
    ('00000000-0000-4000-8000-0000000000e3', '00000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-0000000000f2', 'lunch', 250, 'ml', '2025-02-02', NULL, NULL, NULL, NULL, NULL);

INSERT INTO exercises (id, name, user_id, is_custom) VALUES
    ('00000000-0000-4000-8000-0000000000c1', 'Running', NULL, false);
INSERT INTO exercise_entries (id, user_id, exercise_id, duration_minutes, calories_burned, entry_date) VALUES
    ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000c1', 30, 310, '2025-02-01');

INSERT INTO check_in_measurements (id, user_id, entry_date, weight, waist, steps, body_fat_percentage) VALUES
    ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-00000000000a', '2025-02-01', 80.5, 90, 9000, 21);
INSERT INTO custom_categories (id, user_id, name, measurement_type, frequency) VALUES
    ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-00000000000a', 'Blood Glucose', 'numeric', 'Daily');
INSERT INTO custom_measurements (id, user_id, category_id, value, entry_date, entry_timestamp) VALUES
    ('00000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000a2', 5.4, '2025-02-01', '2025-02-01 08:00:00+00');

INSERT INTO user_goals (user_id, goal_date, calories, protein, carbs, fat) VALUES
    ('00000000-0000-4000-8000-00000000000a', NULL, 2100, 140, 230, 70),
    ('00000000-0000-4000-8000-00000000000a', '2024-12-01', 1800, 120, 200, 60);
