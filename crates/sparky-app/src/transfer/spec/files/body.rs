//! Measurement types, measurements, goals with their target history, and health data pushed by phones.

use super::*;

pub(super) const MEASUREMENT_TYPES: FileSpec = FileSpec {
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
};

pub(super) const MEASUREMENTS: FileSpec = FileSpec {
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
};

pub(super) const GOALS: FileSpec = FileSpec {
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
};

pub(super) const GOAL_TARGET_HISTORY: FileSpec = FileSpec {
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
};

pub(super) const HEALTH_DATA: FileSpec = FileSpec {
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
            ..col(
                "measurement",
                Kind::Ref("measurements.csv"),
                "measurement_id",
            )
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
};
