//! Foods, their servings, recipe ingredients and the food diary.

use super::*;

pub(super) const CUSTOM_NUTRIENTS: FileSpec = FileSpec {
    file: "custom_nutrients.csv",
    tables: &["custom_nutrients"],
    has_ref: false,
    cols: &[
        req("name", Kind::Text, "name").name_of(40),
        req("unit", Kind::Text, "unit").one_of(&crate::custom_nutrients::UNITS),
        col("daily_min", Kind::Num, "daily_min").range(0.0, 1_000_000.0),
        col("daily_max", Kind::Num, "daily_max").positive(1_000_000.0),
        col("created_at", Kind::Ts, "created_at"),
        col("updated_at", Kind::Ts, "updated_at"),
    ],
    from: "custom_nutrients WHERE user_id = (SELECT auth.uid())",
    id: "id",
    order: "lower(name), id",
    import: Import::Insert {
        table: "custom_nutrients",
        owner: Some("user_id"),
        extra: &[],
        conflict: "",
    },
};

pub(super) const FOODS: FileSpec = FileSpec {
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
        added_optional(
            "recipe_cooked_weight_g",
            Kind::Num,
            "recipe_cooked_weight_g",
        )
        .positive(MAX_API_QUANTITY),
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
};

pub(super) const SERVINGS: FileSpec = FileSpec {
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
        added("custom_nutrients", Kind::Json, "n.custom_nutrients", "{}")
            .limit(Limit::CustomAmounts),
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
};

pub(super) const RECIPE_INGREDIENTS: FileSpec = FileSpec {
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
};

pub(super) const DIARY: FileSpec = FileSpec {
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
        added("custom_per_serving", Kind::Json, "d.custom_per_serving", "{}")
            .limit(Limit::CustomAmounts),
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
};
