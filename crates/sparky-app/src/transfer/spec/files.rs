//! The archive's files, in import order: each one's columns, the SQL that reads it out of the
//! database and the SQL that writes it back (see the module above for what the list promises).

use super::shape::{
    added, added_optional, col, info, req, Col, FileSpec, Import, Kind, Limit, NUTRIENT,
};

/// The meals a diary entry or plan item belongs to.
const MEALS: [&str; 4] = ["breakfast", "lunch", "dinner", "snack"];

/// Catalog food of a reference (`source`, `source_id` of a shared food), for files that link
/// foods: a shared catalog food is named, not numbered, so a server with the same catalog
/// links it again.
macro_rules! catalog_food {
    ($col:literal, $field:literal) => {
        concat!(
            "(SELECT c.",
            $field,
            " FROM food_items c WHERE c.id = ",
            $col,
            " AND c.user_id IS NULL AND c.source IS NOT NULL AND c.source_id IS NOT NULL)"
        )
    };
}

/// A field of the catalog serving a row links (see [`catalog_food!`]).
macro_rules! catalog_serving {
    ($col:literal, $field:literal) => {
        concat!(
            "(SELECT cn.",
            $field,
            " FROM nutrition_data cn JOIN food_items c ON c.id = cn.food_item_id WHERE cn.id = ",
            $col,
            " AND c.user_id IS NULL)"
        )
    };
}

macro_rules! catalog_exercise {
    ($col:literal, $field:literal) => {
        concat!(
            "(SELECT c.",
            $field,
            " FROM exercises c WHERE c.id = ",
            $col,
            " AND c.user_id IS NULL AND c.source IS NOT NULL AND c.source_id IS NOT NULL)"
        )
    };
}

/// The largest amount the API takes for a diary entry, recipe ingredient or plan item, and a
/// recipe's cooked weight: an archive holds whatever the API stored.
const MAX_API_QUANTITY: f64 = crate::diary::MAX_QUANTITY as f64;
/// What `food_diary.servings` (numeric(20,8)) can hold: an amount over a tiny serving.
const MAX_SERVINGS: f64 = 1e12;

/// The nutrient columns of servings and diary entries, in archive order.
pub(super) const NUTRIENTS: [&str; 15] = sparky_core::nutrition::Nutrients::NAMES;

pub static FILES: &[FileSpec] = &[
    FileSpec {
        file: "profile.csv",
        tables: &["users", "user_profiles"],
        has_ref: false,
        cols: &[
            col("full_name", Kind::Text, "u.full_name").name_of(255),
            col("sex", Kind::Text, "p.sex").one_of(&["male", "female"]),
            col("birth_date", Kind::Date, "p.birth_date").limit(Limit::NotFuture),
            col("height_cm", Kind::Num, "p.height_cm").positive(272.0),
            col("activity_level", Kind::Text, "p.activity_level").one_of(&["sedentary", "light", "moderate", "active", "very_active"]),
        ],
        from: "users u LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = (SELECT auth.uid())",
        id: "u.id",
        order: "u.id",
        import: Import::Custom(
            "WITH r AS (SELECT * FROM {rows}),
                  named AS (UPDATE users SET full_name = r.full_name FROM r WHERE users.id = (SELECT auth.uid()))
             INSERT INTO user_profiles (id, user_id, sex, birth_date, height_cm, activity_level)
             SELECT r.id::uuid, (SELECT auth.uid()), r.sex, r.birth_date::date, r.height_cm::numeric, r.activity_level
             FROM r
             WHERE num_nonnulls(r.sex, r.birth_date, r.height_cm, r.activity_level) > 0
             ON CONFLICT (user_id) DO UPDATE SET sex = EXCLUDED.sex, birth_date = EXCLUDED.birth_date,
                 height_cm = EXCLUDED.height_cm, activity_level = EXCLUDED.activity_level",
        ),
    },
    FileSpec {
        file: "preferences.csv",
        tables: &["user_preferences"],
        has_ref: false,
        cols: &[
            col("theme", Kind::Text, "theme").one_of(&["light", "dark", "system"]),
            col("ai_provider", Kind::Text, "ai_provider"),
            col("units_system", Kind::Text, "units_system").one_of(&["metric", "imperial"]),
            req("timezone", Kind::Text, "timezone").chars(64),
            col("onboarded_at", Kind::Ts, "onboarded_at"),
            added(
                "exercise_eat_back_percent",
                Kind::Int,
                "exercise_eat_back_percent",
                "100",
            )
            .range(0.0, 100.0),
            added("week_start", Kind::Text, "week_start", "monday").one_of(&[
                "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
            ]),
        ],
        from: "user_preferences WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "id",
        import: Import::Insert {
            table: "user_preferences",
            owner: Some("user_id"),
            extra: &[],
            conflict: "ON CONFLICT (user_id) DO UPDATE SET theme = EXCLUDED.theme,
                ai_provider = EXCLUDED.ai_provider, units_system = EXCLUDED.units_system,
                timezone = EXCLUDED.timezone, onboarded_at = EXCLUDED.onboarded_at,
                exercise_eat_back_percent = EXCLUDED.exercise_eat_back_percent,
                week_start = EXCLUDED.week_start",
        },
    },
    FileSpec {
        file: "assistant_settings.csv",
        tables: &["assistant_settings"],
        has_ref: false,
        cols: &[
            col("provider", Kind::Text, "provider"),
            col("base_url", Kind::Text, "base_url").chars(2000),
            col("model", Kind::Text, "model").chars(200),
            col("vision_model", Kind::Text, "vision_model").chars(200),
        ],
        from: "assistant_settings WHERE user_id = (SELECT auth.uid())",
        id: "user_id",
        order: "user_id",
        import: Import::Custom(
            "INSERT INTO assistant_settings (user_id, provider, base_url, model, vision_model)
             SELECT (SELECT auth.uid()), u.provider, u.base_url, u.model, u.vision_model FROM {rows}
             ON CONFLICT (user_id) DO UPDATE SET provider = EXCLUDED.provider,
                 base_url = EXCLUDED.base_url, model = EXCLUDED.model, vision_model = EXCLUDED.vision_model",
        ),
    },
    FileSpec {
        file: "foods.csv",
        tables: &["food_items"],
        has_ref: true,
        cols: &[
            req("name", Kind::Text, "name").name_of(255),
            col("brand", Kind::Text, "brand").chars(255),
            col("barcode", Kind::Text, "barcode").limit(Limit::Barcode),
            col("source", Kind::Text, "source").chars(64),
            col("source_id", Kind::Text, "source_id").chars(255),
            col("created_at", Kind::Ts, "created_at"),
            col("updated_at", Kind::Ts, "updated_at"),
            added_optional("recipe_servings", Kind::Num, "recipe_servings").positive(1000.0),
            added_optional("recipe_cooked_weight_g", Kind::Num, "recipe_cooked_weight_g").positive(MAX_API_QUANTITY),
        ],
        from: "food_items WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "created_at, id",
        import: Import::Insert {
            table: "food_items",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "servings.csv",
        tables: &["nutrition_data"],
        has_ref: true,
        cols: &[
            Col {
                import: Some("food_item_id"),
                required: true,
                ..col("food", Kind::Ref("foods.csv"), "n.food_item_id")
            },
            col("serving_size", Kind::Num, "n.serving_size").positive(100_000.0),
            col("serving_unit", Kind::Text, "n.serving_unit").name_of(50),
            col("serving_weight_g", Kind::Num, "n.serving_weight_g").positive(100_000.0),
            req("is_default", Kind::Bool, "n.is_default"),
            col(NUTRIENTS[0], Kind::Num, "n.calories").limit(NUTRIENT),
            col(NUTRIENTS[1], Kind::Num, "n.protein").limit(NUTRIENT),
            col(NUTRIENTS[2], Kind::Num, "n.carbohydrates").limit(NUTRIENT),
            col(NUTRIENTS[3], Kind::Num, "n.fat").limit(NUTRIENT),
            col(NUTRIENTS[4], Kind::Num, "n.fiber").limit(NUTRIENT),
            col(NUTRIENTS[5], Kind::Num, "n.sugar").limit(NUTRIENT),
            col(NUTRIENTS[6], Kind::Num, "n.sodium").limit(NUTRIENT),
            col(NUTRIENTS[7], Kind::Num, "n.saturated_fat").limit(NUTRIENT),
            col(NUTRIENTS[8], Kind::Num, "n.trans_fat").limit(NUTRIENT),
            col(NUTRIENTS[9], Kind::Num, "n.cholesterol").limit(NUTRIENT),
            col(NUTRIENTS[10], Kind::Num, "n.potassium").limit(NUTRIENT),
            col(NUTRIENTS[11], Kind::Num, "n.calcium").limit(NUTRIENT),
            col(NUTRIENTS[12], Kind::Num, "n.iron").limit(NUTRIENT),
            col(NUTRIENTS[13], Kind::Num, "n.vitamin_a").limit(NUTRIENT),
            col(NUTRIENTS[14], Kind::Num, "n.vitamin_c").limit(NUTRIENT),
            col("created_at", Kind::Ts, "n.created_at"),
            col("updated_at", Kind::Ts, "n.updated_at"),
        ],
        from: "nutrition_data n JOIN food_items f ON f.id = n.food_item_id WHERE f.user_id = (SELECT auth.uid())",
        id: "n.id",
        order: "f.created_at, f.id, n.created_at, n.id",
        import: Import::Insert {
            table: "nutrition_data",
            owner: None,
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "recipe_ingredients.csv",
        tables: &["recipe_ingredients"],
        has_ref: false,
        cols: &[
            Col {
                import: Some("recipe_food_id"),
                required: true,
                ..col("recipe", Kind::Ref("foods.csv"), "i.recipe_food_id")
            },
            info("food", Kind::Ref("foods.csv"), "i.food_item_id"),
            info("serving", Kind::Ref("servings.csv"), "i.nutrition_data_id"),
            info(
                "catalog_food_source",
                Kind::Text,
                catalog_food!("i.food_item_id", "source"),
            ),
            info(
                "catalog_food_source_id",
                Kind::Text,
                catalog_food!("i.food_item_id", "source_id"),
            ),
            info(
                "catalog_serving_size",
                Kind::Num,
                catalog_serving!("i.nutrition_data_id", "serving_size"),
            ),
            info(
                "catalog_serving_unit",
                Kind::Text,
                catalog_serving!("i.nutrition_data_id", "serving_unit"),
            ),
            req("food_name", Kind::Text, "i.food_name").name_of(255),
            req("quantity", Kind::Num, "i.quantity").positive(MAX_API_QUANTITY),
            req("unit", Kind::Text, "i.unit").name_of(50),
            req("position", Kind::Int, "i.position").range(0.0, 1000.0),
            col("created_at", Kind::Ts, "i.created_at"),
            col("updated_at", Kind::Ts, "i.updated_at"),
        ],
        from: "recipe_ingredients i JOIN food_items r ON r.id = i.recipe_food_id WHERE r.user_id = (SELECT auth.uid())",
        id: "i.id",
        order: "r.created_at, r.id, i.position, i.id",
        import: Import::Insert {
            table: "recipe_ingredients",
            owner: None,
            extra: &[
                ("food_item_id", CATALOG_FOOD_LINK),
                ("nutrition_data_id", CATALOG_SERVING_LINK),
            ],
            conflict: "",
        },
    },
    FileSpec {
        file: "exercises.csv",
        tables: &["exercises"],
        has_ref: true,
        cols: &[
            req("name", Kind::Text, "name").name_of(255),
            col("category", Kind::Text, "category").chars(100),
            col("muscle_groups", Kind::TextList, "muscle_groups"),
            col("equipment", Kind::Text, "equipment").chars(100),
            col("instructions", Kind::Text, "instructions").chars(5000),
            col("source", Kind::Text, "source").chars(64),
            col("source_id", Kind::Text, "source_id").chars(255),
            col("met_value", Kind::Num, "met_value").positive(30.0),
            col("compendium_code", Kind::Text, "compendium_code").chars(20),
            col("created_at", Kind::Ts, "created_at"),
            col("updated_at", Kind::Ts, "updated_at"),
        ],
        from: "exercises WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "created_at, id",
        import: Import::Insert {
            table: "exercises",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "measurement_types.csv",
        tables: &["measurement_types"],
        has_ref: false,
        cols: &[
            req("name", Kind::Text, "name").name_of(50),
            req("unit", Kind::Text, "unit").name_of(20),
            req("dimension", Kind::Text, "dimension").one_of(sparky_core::measure::Dimension::NAMES),
            col("created_at", Kind::Ts, "created_at"),
            col("updated_at", Kind::Ts, "updated_at"),
        ],
        from: "measurement_types WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "name, id",
        import: Import::Insert {
            table: "measurement_types",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "measurements.csv",
        tables: &["measurements"],
        has_ref: true,
        cols: &[
            req("entry_date", Kind::Date, "entry_date"),
            req("measured_at", Kind::Ts, "measured_at"),
            req("type", Kind::Text, "type").name_of(50),
            req("value", Kind::Num, "value"),
            req("unit", Kind::Text, "unit").name_of(20),
            col("note", Kind::Text, "note").chars(2000),
            col("created_at", Kind::Ts, "created_at"),
            col("updated_at", Kind::Ts, "updated_at"),
        ],
        from: "measurements WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "measured_at, created_at, id",
        import: Import::Insert {
            table: "measurements",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "goals.csv",
        tables: &["goals"],
        has_ref: false,
        cols: &[
            req("type", Kind::Text, "type"),
            col("target_value", Kind::Num, "target_value").range(0.0, 100_000.0),
            col("target_unit", Kind::Text, "target_unit").chars(20),
            col("target_date", Kind::Date, "target_date"),
            col("current_value", Kind::Num, "current_value").range(0.0, 100_000.0),
            col("start_value", Kind::Num, "start_value").range(0.0, 100_000.0),
            req("start_date", Kind::Date, "start_date"),
            req("status", Kind::Text, "status"),
            col("created_at", Kind::Ts, "created_at"),
            col("updated_at", Kind::Ts, "updated_at"),
            added_optional("weekday_targets", Kind::NumList, "weekday_targets"),
        ],
        from: "goals WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "created_at, id",
        import: Import::Insert {
            table: "goals",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "goal_target_history.csv",
        tables: &["goal_target_history"],
        has_ref: false,
        cols: &[
            req("type", Kind::Text, "type").one_of(&[
                "calorie_target",
                "protein_target",
                "carbs_target",
                "fat_target",
            ]),
            req("valid_from", Kind::Date, "valid_from"),
            col("target_value", Kind::Num, "target_value").range(0.0, 100_000.0),
            col("weekday_targets", Kind::NumList, "weekday_targets"),
        ],
        from: "goal_target_history WHERE user_id = (SELECT auth.uid())",
        id: "user_id",
        order: "type, valid_from",
        // Written by the trigger on goals only; an import hands the rows to the one function
        // that may add to them (for the importing user).
        import: Import::Custom(
            "SELECT public.goal_target_history_import(coalesce(jsonb_agg(jsonb_build_object(
                 'type', u.type, 'valid_from', u.valid_from, 'target_value', u.target_value,
                 'weekday_targets', u.weekday_targets::jsonb)), '[]'::jsonb))
             FROM {rows}",
        ),
    },
    FileSpec {
        file: "meal_plan_templates.csv",
        tables: &["meal_plan_templates"],
        has_ref: true,
        cols: &[
            req("name", Kind::Text, "name").name_of(255),
            col("description", Kind::Text, "description").chars(10_000),
            col("target_calories", Kind::Num, "target_calories").limit(NUTRIENT),
            col("is_active", Kind::Bool, "is_active"),
            col("created_at", Kind::Ts, "created_at"),
            col("updated_at", Kind::Ts, "updated_at"),
        ],
        from: "meal_plan_templates WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "created_at, id",
        import: Import::Insert {
            table: "meal_plan_templates",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "meal_plan_items.csv",
        tables: &["meal_plan_template_items"],
        has_ref: false,
        cols: &[
            Col {
                import: Some("meal_plan_template_id"),
                required: true,
                ..col("template", Kind::Ref("meal_plan_templates.csv"), "i.meal_plan_template_id")
            },
            info("food", Kind::Ref("foods.csv"), "i.food_item_id"),
            info("serving", Kind::Ref("servings.csv"), "i.nutrition_data_id"),
            info(
                "catalog_food_source",
                Kind::Text,
                catalog_food!("i.food_item_id", "source"),
            ),
            info(
                "catalog_food_source_id",
                Kind::Text,
                catalog_food!("i.food_item_id", "source_id"),
            ),
            info(
                "catalog_serving_size",
                Kind::Num,
                catalog_serving!("i.nutrition_data_id", "serving_size"),
            ),
            info(
                "catalog_serving_unit",
                Kind::Text,
                catalog_serving!("i.nutrition_data_id", "serving_unit"),
            ),
            req("food_name", Kind::Text, "i.food_name").name_of(255),
            req("quantity", Kind::Num, "i.quantity").positive(MAX_API_QUANTITY),
            req("unit", Kind::Text, "i.unit").name_of(100),
            req("meal_type", Kind::Text, "i.meal_type").one_of(&MEALS),
            col("day_of_week", Kind::Int, "i.day_of_week").range(0.0, 6.0),
            req("sort_order", Kind::Int, "i.sort_order").range(0.0, crate::meal_plans::MAX_SORT_ORDER as f64),
            col("created_at", Kind::Ts, "i.created_at"),
            col("updated_at", Kind::Ts, "i.updated_at"),
        ],
        from: "meal_plan_template_items i JOIN meal_plan_templates t ON t.id = i.meal_plan_template_id WHERE t.user_id = (SELECT auth.uid())",
        id: "i.id",
        order: "t.created_at, t.id, i.day_of_week, i.meal_type, i.sort_order, i.created_at, i.id",
        import: Import::Insert {
            table: "meal_plan_template_items",
            owner: None,
            extra: &[
                ("food_item_id", CATALOG_FOOD_LINK),
                ("nutrition_data_id", CATALOG_SERVING_LINK),
            ],
            conflict: "",
        },
    },
    FileSpec {
        file: "meal_plans.csv",
        tables: &["meal_plans"],
        has_ref: true,
        cols: &[
            req("name", Kind::Text, "name").name_of(255),
            req("planned_date", Kind::Date, "planned_date"),
            col("total_calories", Kind::Num, "total_calories").limit(NUTRIENT),
            Col {
                import: Some("meal_plan_template_id"),
                ..col("template", Kind::Ref("meal_plan_templates.csv"), "meal_plan_template_id")
            },
            col("created_at", Kind::Ts, "created_at"),
            col("updated_at", Kind::Ts, "updated_at"),
        ],
        from: "meal_plans WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "planned_date, created_at, id",
        import: Import::Insert {
            table: "meal_plans",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "diary.csv",
        tables: &["food_diary"],
        has_ref: false,
        cols: &[
            req("entry_date", Kind::Date, "d.entry_date"),
            req("meal_type", Kind::Text, "d.meal_type").one_of(&MEALS),
            req("consumed_at", Kind::Ts, "d.consumed_at"),
            info("food", Kind::Ref("foods.csv"), "d.food_item_id"),
            info("serving", Kind::Ref("servings.csv"), "d.nutrition_data_id"),
            info(
                "catalog_food_source",
                Kind::Text,
                catalog_food!("d.food_item_id", "source"),
            ),
            info(
                "catalog_food_source_id",
                Kind::Text,
                catalog_food!("d.food_item_id", "source_id"),
            ),
            req("quantity", Kind::Num, "d.quantity").positive(MAX_API_QUANTITY),
            req("unit", Kind::Text, "d.unit").name_of(100),
            col("servings", Kind::Num, "d.servings").positive(MAX_SERVINGS),
            req("food_name", Kind::Text, "d.food_name").name_of(255),
            col("brand", Kind::Text, "d.brand").chars(255),
            col("serving_size", Kind::Num, "d.serving_size").positive(100_000.0),
            col("serving_unit", Kind::Text, "d.serving_unit").name_of(50),
            col("serving_weight_g", Kind::Num, "d.serving_weight_g").positive(100_000.0),
            col(NUTRIENTS[0], Kind::Num, "d.calories").limit(NUTRIENT),
            col(NUTRIENTS[1], Kind::Num, "d.protein").limit(NUTRIENT),
            col(NUTRIENTS[2], Kind::Num, "d.carbohydrates").limit(NUTRIENT),
            col(NUTRIENTS[3], Kind::Num, "d.fat").limit(NUTRIENT),
            col(NUTRIENTS[4], Kind::Num, "d.fiber").limit(NUTRIENT),
            col(NUTRIENTS[5], Kind::Num, "d.sugar").limit(NUTRIENT),
            col(NUTRIENTS[6], Kind::Num, "d.sodium").limit(NUTRIENT),
            col(NUTRIENTS[7], Kind::Num, "d.saturated_fat").limit(NUTRIENT),
            col(NUTRIENTS[8], Kind::Num, "d.trans_fat").limit(NUTRIENT),
            col(NUTRIENTS[9], Kind::Num, "d.cholesterol").limit(NUTRIENT),
            col(NUTRIENTS[10], Kind::Num, "d.potassium").limit(NUTRIENT),
            col(NUTRIENTS[11], Kind::Num, "d.calcium").limit(NUTRIENT),
            col(NUTRIENTS[12], Kind::Num, "d.iron").limit(NUTRIENT),
            col(NUTRIENTS[13], Kind::Num, "d.vitamin_a").limit(NUTRIENT),
            col(NUTRIENTS[14], Kind::Num, "d.vitamin_c").limit(NUTRIENT),
            col("per_serving", Kind::Json, "d.per_serving").limit(Limit::Nutrients),
            Col {
                import: Some("meal_plan_id"),
                ..col("meal_plan", Kind::Ref("meal_plans.csv"), "d.meal_plan_id")
            },
            col("created_at", Kind::Ts, "d.created_at"),
            col("updated_at", Kind::Ts, "d.updated_at"),
        ],
        from: "food_diary d WHERE d.user_id = (SELECT auth.uid())",
        id: "d.id",
        order: "d.entry_date, d.consumed_at, d.created_at, d.id",
        import: Import::Insert {
            table: "food_diary",
            owner: Some("user_id"),
            extra: &[
                ("food_item_id", CATALOG_FOOD_LINK),
                (
                    "nutrition_data_id",
                    "coalesce(u.serving::uuid, (SELECT cn.id FROM nutrition_data cn JOIN food_items c ON c.id = cn.food_item_id
                        WHERE c.user_id IS NULL AND c.source = u.catalog_food_source AND c.source_id = u.catalog_food_source_id
                          AND cn.serving_size = u.serving_size::numeric AND cn.serving_unit = u.serving_unit
                        ORDER BY cn.is_default DESC, cn.id LIMIT 1))",
                ),
            ],
            conflict: "",
        },
    },
    FileSpec {
        file: "workouts.csv",
        tables: &["exercise_diary"],
        has_ref: true,
        cols: &[
            req("entry_date", Kind::Date, "w.entry_date"),
            req("performed_at", Kind::Ts, "w.performed_at"),
            info("exercise", Kind::Ref("exercises.csv"), "w.exercise_id"),
            info(
                "catalog_exercise_source",
                Kind::Text,
                catalog_exercise!("w.exercise_id", "source"),
            ),
            info(
                "catalog_exercise_source_id",
                Kind::Text,
                catalog_exercise!("w.exercise_id", "source_id"),
            ),
            req("exercise_name", Kind::Text, "w.exercise_name").name_of(255),
            col("duration_minutes", Kind::Int, "w.duration_minutes").range(0.0, 10_080.0),
            col("sets", Kind::Int, "w.sets").range(0.0, 100.0),
            col("reps", Kind::Int, "w.reps").range(0.0, 10_000.0),
            col("weight", Kind::Num, "w.weight").range(0.0, 5000.0),
            col("distance", Kind::Num, "w.distance").range(0.0, 100_000.0),
            col("distance_km", Kind::Num, "w.distance_km").range(0.0, 100_000.0),
            col("met_value", Kind::Num, "w.met_value").positive(30.0),
            col("calories_burned", Kind::Num, "w.calories_burned").range(0.0, 100_000.0),
            col("calories_source", Kind::Text, "w.calories_source").one_of(&["met", "user"]),
            col("notes", Kind::Text, "w.notes").chars(5000),
            col("created_at", Kind::Ts, "w.created_at"),
            col("updated_at", Kind::Ts, "w.updated_at"),
        ],
        from: "exercise_diary w WHERE w.user_id = (SELECT auth.uid())",
        id: "w.id",
        order: "w.entry_date, w.performed_at, w.created_at, w.id",
        import: Import::Insert {
            table: "exercise_diary",
            owner: Some("user_id"),
            extra: &[(
                "exercise_id",
                "coalesce(u.exercise::uuid, (SELECT c.id FROM exercises c WHERE c.user_id IS NULL
                    AND c.source = u.catalog_exercise_source AND c.source_id = u.catalog_exercise_source_id LIMIT 1))",
            )],
            conflict: "",
        },
    },
    FileSpec {
        file: "workout_sets.csv",
        tables: &["exercise_sets"],
        has_ref: false,
        cols: &[
            Col {
                import: Some("exercise_diary_id"),
                required: true,
                ..col("workout", Kind::Ref("workouts.csv"), "s.exercise_diary_id")
            },
            req("set_number", Kind::Int, "s.set_number").range(1.0, 100.0),
            col("reps", Kind::Int, "s.reps").range(0.0, 10_000.0),
            col("weight_kg", Kind::Num, "s.weight_kg").range(0.0, 5000.0),
            col("created_at", Kind::Ts, "s.created_at"),
            col("updated_at", Kind::Ts, "s.updated_at"),
        ],
        from: "exercise_sets s JOIN exercise_diary w ON w.id = s.exercise_diary_id WHERE w.user_id = (SELECT auth.uid())",
        id: "s.id",
        order: "w.entry_date, w.performed_at, w.created_at, w.id, s.set_number, s.id",
        import: Import::Insert {
            table: "exercise_sets",
            owner: None,
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "health_data.csv",
        tables: &["health_data_records"],
        has_ref: false,
        cols: &[
            req("source", Kind::Text, "source").name_of(64),
            req("kind", Kind::Text, "kind").name_of(64),
            req("record_key", Kind::Text, "record_key").name_of(400),
            req("fingerprint", Kind::Text, "fingerprint").name_of(200),
            Col {
                import: Some("measurement_id"),
                ..col("measurement", Kind::Ref("measurements.csv"), "measurement_id")
            },
            Col {
                import: Some("exercise_diary_id"),
                ..col("workout", Kind::Ref("workouts.csv"), "exercise_diary_id")
            },
            col("created_at", Kind::Ts, "created_at"),
            col("updated_at", Kind::Ts, "updated_at"),
        ],
        from: "health_data_records WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "source, kind, record_key, id",
        import: Import::Insert {
            table: "health_data_records",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "chat_conversations.csv",
        tables: &["chat_conversations"],
        has_ref: true,
        cols: &[
            req("title", Kind::Text, "title").name_of(200),
            req("created_at", Kind::Ts, "created_at"),
            req("updated_at", Kind::Ts, "updated_at"),
        ],
        from: "chat_conversations WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "created_at, id",
        import: Import::Insert {
            table: "chat_conversations",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "chat_messages.csv",
        tables: &["chat_messages"],
        has_ref: false,
        cols: &[
            Col {
                import: Some("conversation_id"),
                required: true,
                ..col("conversation", Kind::Ref("chat_conversations.csv"), "m.conversation_id")
            },
            req("role", Kind::Text, "m.role").one_of(&["user", "assistant", "tool"]),
            req("content", Kind::Text, "m.content").chars(100_000),
            col("images", Kind::Json, "m.images"),
            col("tool_calls", Kind::Json, "m.tool_calls"),
            col("tool_call_id", Kind::Text, "m.tool_call_id").chars(200),
            req("is_error", Kind::Bool, "m.is_error"),
            col("card", Kind::Json, "m.card"),
            col("provider", Kind::Text, "m.provider").chars(64),
            col("model", Kind::Text, "m.model").chars(200),
            col("tokens_in", Kind::Int, "m.tokens_in").range(0.0, 10_000_000.0),
            col("tokens_out", Kind::Int, "m.tokens_out").range(0.0, 10_000_000.0),
            col("latency_ms", Kind::Int, "m.latency_ms").range(0.0, 86_400_000.0),
            col("error", Kind::Text, "m.error").chars(10_000),
            req("created_at", Kind::Ts, "m.created_at"),
        ],
        from: "chat_messages m JOIN chat_conversations c ON c.id = m.conversation_id WHERE m.user_id = (SELECT auth.uid())",
        id: "m.id",
        // `seq` is a server-wide sequence: the file keeps the order, the import draws new
        // numbers in file order.
        order: "c.created_at, c.id, m.seq, m.id",
        import: Import::Insert {
            table: "chat_messages",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "assistant_requests.csv",
        tables: &["assistant_requests"],
        has_ref: false,
        cols: &[
            req("kind", Kind::Text, "kind").one_of(&["meal_photo", "nutrition_label"]),
            col("provider", Kind::Text, "provider").chars(64),
            col("model", Kind::Text, "model").chars(200),
            col("tokens_in", Kind::Int, "tokens_in").range(0.0, 10_000_000.0),
            col("tokens_out", Kind::Int, "tokens_out").range(0.0, 10_000_000.0),
            col("latency_ms", Kind::Int, "latency_ms").range(0.0, 86_400_000.0),
            col("error", Kind::Text, "error").chars(10_000),
            req("created_at", Kind::Ts, "created_at"),
            req("updated_at", Kind::Ts, "updated_at"),
        ],
        from: "assistant_requests WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "created_at, id",
        import: Import::Insert {
            table: "assistant_requests",
            owner: Some("user_id"),
            extra: &[],
            conflict: "",
        },
    },
    FileSpec {
        file: "api_keys.csv",
        tables: &["api_keys"],
        has_ref: false,
        cols: &[
            info("name", Kind::Text, "name"),
            info("created_at", Kind::Ts, "created_at"),
            info("expires_at", Kind::Ts, "expires_at"),
            info("last_used_at", Kind::Ts, "last_used_at"),
            info("read_only", Kind::Bool, "read_only"),
        ],
        from: "api_keys WHERE user_id = (SELECT auth.uid())",
        id: "id",
        order: "created_at, id",
        import: Import::Skip,
    },
    FileSpec {
        file: "family_access.csv",
        tables: &["family_access"],
        has_ref: false,
        cols: &[
            info(
                "grantee_email",
                Kind::Text,
                "(SELECT u.email FROM users u WHERE u.id = fa.grantee_user_id)",
            ),
            info("access_type", Kind::Text, "fa.access_type"),
            info("granted_at", Kind::Ts, "fa.granted_at"),
        ],
        from: "family_access fa WHERE fa.grantor_user_id = (SELECT auth.uid())",
        id: "fa.id",
        order: "fa.granted_at, fa.id",
        import: Import::Skip,
    },
];

/// The food a diary entry or plan item links: one of the archive's own foods, or the shared
/// catalog food with the same source and source id on this server (none: no link; the entry
/// keeps its own copy of the name and nutrients).
const CATALOG_FOOD_LINK: &str =
    "coalesce(u.food::uuid, (SELECT c.id FROM food_items c WHERE c.user_id IS NULL
    AND c.source = u.catalog_food_source AND c.source_id = u.catalog_food_source_id LIMIT 1))";

/// The serving a plan item or recipe ingredient links: one of the archive's own servings, or
/// the serving of the same size and unit of the catalog food it links (see
/// [`CATALOG_FOOD_LINK`]).
const CATALOG_SERVING_LINK: &str =
    "coalesce(u.serving::uuid, (SELECT cn.id FROM nutrition_data cn JOIN food_items c ON c.id = cn.food_item_id
        WHERE c.user_id IS NULL AND c.source = u.catalog_food_source AND c.source_id = u.catalog_food_source_id
          AND cn.serving_size = u.catalog_serving_size::numeric AND cn.serving_unit = u.catalog_serving_unit
        ORDER BY cn.is_default DESC, cn.id LIMIT 1))";
