//! Own exercises, workouts and their sets.

use super::*;

pub(super) const EXERCISES: FileSpec = FileSpec {
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
};

pub(super) const WORKOUTS: FileSpec = FileSpec {
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
        // Exact; an archive without it (or an empty one) has the minutes as the duration.
        added_optional("duration_seconds", Kind::Int, "w.duration_seconds").range(0.0, 604_800.0),
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
};

pub(super) const WORKOUT_SETS: FileSpec = FileSpec {
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
        added_optional("duration_seconds", Kind::Int, "s.duration_seconds").range(1.0, 86_400.0),
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
};
