//! Meal plan templates, their items and the plans applied to days.

use super::*;

pub(super) const MEAL_PLAN_TEMPLATES: FileSpec = FileSpec {
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
};

pub(super) const MEAL_PLAN_ITEMS: FileSpec = FileSpec {
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
};

pub(super) const MEAL_PLANS: FileSpec = FileSpec {
    file: "meal_plans.csv",
    tables: &["meal_plans"],
    has_ref: true,
    cols: &[
        req("name", Kind::Text, "name").name_of(255),
        req("planned_date", Kind::Date, "planned_date"),
        col("total_calories", Kind::Num, "total_calories").limit(NUTRIENT),
        Col {
            import: Some("meal_plan_template_id"),
            ..col(
                "template",
                Kind::Ref("meal_plan_templates.csv"),
                "meal_plan_template_id",
            )
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
};
