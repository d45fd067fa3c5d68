//! A SparkyFitness database (the system whose schema Sparky's seed describes) read into the
//! same records as the file importers, one set per SparkyFitness user, so a household can
//! switch in one command (`sparky import-from sparkyfitness`).
//!
//! | SparkyFitness | Sparky |
//! |---|---|
//! | `auth.users` (email, `raw_user_meta_data.full_name`) | the account with that email, created when missing |
//! | `food_entries` + `foods` + `food_variants` (the entry's snapshot columns when present) | diary entries with the nutrients of the amount eaten (`variant value × quantity ÷ serving size`) |
//! | `foods` of a user + their default `food_variants` row | the user's own foods |
//! | `exercise_entries` + `exercises` | workouts (matched to the exercise catalog by name) |
//! | `check_in_measurements` (weight kg, neck/waist/hips/height cm, steps, body_fat_percentage) | measurements |
//! | `custom_measurements` + `custom_categories` | measurements of a custom type named after the category (created when missing) |
//! | `user_goals` (the default row, else the latest) | calorie, protein, carbs and fat targets |
//!
//! Keys are the source rows' ids, so running the import again creates nothing. The source
//! database is only read.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sparky_core::measure::Dimension;
use sparky_core::nutrition::Nutrients;
use sparky_core::{GoalStatus, GoalType, MealType};
use sparky_db::UserTx;
use sparky_import::{
    DiaryRecord, FoodRecord, MeasurementRecord, Parsed, Record, Source, WorkoutRecord,
};
use tokio_postgres::Client;
use uuid::Uuid;

use super::{remember_named, run, ImportPreview, SkipReason, ALREADY};
use crate::error::{AppError, AppResult};

/// One SparkyFitness user and everything of theirs that Sparky imports.
#[derive(Debug, Default)]
pub struct SourceUser {
    pub id: Uuid,
    pub email: String,
    pub full_name: Option<String>,
    pub parsed: Parsed,
    /// Custom measurement categories their measurements use (Sparky type names).
    pub custom_types: Vec<String>,
    /// (key, type, target).
    pub goals: Vec<(String, GoalType, Decimal)>,
}

fn source_error(e: tokio_postgres::Error) -> AppError {
    AppError::invalid(
        "source_database_url",
        format!("cannot read the SparkyFitness database: {e}"),
    )
}

const NUTRIENT_COLUMNS: [(&str, &str); 13] = [
    ("calories", "calories"),
    ("protein", "protein"),
    ("carbohydrates", "carbs"),
    ("fat", "fat"),
    ("saturated_fat", "saturated_fat"),
    ("trans_fat", "trans_fat"),
    ("cholesterol", "cholesterol"),
    ("sodium", "sodium"),
    ("potassium", "potassium"),
    ("fiber", "dietary_fiber"),
    ("sugar", "sugars"),
    ("vitamin_c", "vitamin_c"),
    ("calcium", "calcium"),
];

fn nutrients_from(row: &tokio_postgres::Row, first: usize, factor: Decimal) -> Nutrients {
    let mut n = Nutrients::default();
    for (i, (name, _)) in NUTRIENT_COLUMNS.iter().enumerate() {
        let v: Option<Decimal> = row.get(first + i);
        n.set(name, v.map(|v| (v * factor).round_dp(2)));
    }
    n
}

/// Reads every user of the SparkyFitness database behind `source`.
pub async fn read(source: &Client) -> AppResult<Vec<SourceUser>> {
    let mut users: BTreeMap<Uuid, SourceUser> = BTreeMap::new();
    for r in source
        .query(
            "SELECT id, email, raw_user_meta_data->>'full_name' FROM auth.users
             WHERE email IS NOT NULL ORDER BY created_at, email",
            &[],
        )
        .await
        .map_err(source_error)?
    {
        let id: Uuid = r.get(0);
        users.insert(
            id,
            SourceUser {
                id,
                email: r.get(1),
                full_name: r.get(2),
                ..SourceUser::default()
            },
        );
    }
    let snapshot = |col: &str| format!("coalesce(fe.{col}, v.{col})");
    let entry_nutrients: Vec<String> = NUTRIENT_COLUMNS.iter().map(|(_, c)| snapshot(c)).collect();
    let sql = format!(
        "SELECT fe.id, fe.user_id, fe.entry_date, fe.meal_type, fe.quantity, fe.unit,
                coalesce(fe.food_name, f.name), coalesce(fe.serving_size, v.serving_size),
                {}
         FROM food_entries fe
         JOIN foods f ON f.id = fe.food_id
         LEFT JOIN LATERAL (
             SELECT * FROM food_variants x
             WHERE x.id = fe.variant_id OR (fe.variant_id IS NULL AND x.food_id = f.id)
             ORDER BY x.id = fe.variant_id DESC, x.is_default DESC, x.created_at LIMIT 1) v ON true
         ORDER BY fe.entry_date, fe.created_at, fe.id",
        entry_nutrients.join(", ")
    );
    for r in source.query(&sql, &[]).await.map_err(source_error)? {
        let Some(u) = users.get_mut(&r.get::<_, Uuid>(1)) else {
            continue;
        };
        let id: Uuid = r.get(0);
        let quantity: Decimal = r.get(4);
        let unit: Option<String> = r.get(5);
        let serving: Option<Decimal> = r.get(7);
        let factor = match serving {
            Some(s) if s > Decimal::ZERO => quantity / s,
            _ => Decimal::ONE,
        };
        let name: String = r.get(6);
        let amount = format!(
            "{} {}",
            quantity.normalize(),
            unit.unwrap_or_else(|| "g".into())
        );
        let meal =
            MealType::parse(r.get::<_, &str>(3).trim_end_matches('s')).unwrap_or(MealType::Snack);
        u.parsed.records.push(Record::Diary(DiaryRecord {
            key: format!("diary:{id}"),
            line: 0,
            date: r.get(2),
            at: None,
            meal,
            name: format!("{name} ({amount})").chars().take(255).collect(),
            nutrients: nutrients_from(&r, 8, factor),
            day_total: false,
            replaces: None,
            extra: Vec::new(),
        }));
    }
    let variant_nutrients: Vec<String> = NUTRIENT_COLUMNS
        .iter()
        .map(|(_, c)| format!("v.{c}"))
        .collect();
    let sql = format!(
        "SELECT f.id, f.user_id, f.name, f.brand, v.serving_size, v.serving_unit, {}
         FROM foods f
         JOIN LATERAL (SELECT * FROM food_variants x WHERE x.food_id = f.id
                       ORDER BY x.is_default DESC, x.created_at LIMIT 1) v ON true
         WHERE f.user_id IS NOT NULL ORDER BY f.created_at, f.id",
        variant_nutrients.join(", ")
    );
    for r in source.query(&sql, &[]).await.map_err(source_error)? {
        let Some(u) = users.get_mut(&r.get::<_, Uuid>(1)) else {
            continue;
        };
        let id: Uuid = r.get(0);
        u.parsed.records.push(Record::Food(FoodRecord {
            key: format!("foods:{id}"),
            line: 0,
            name: r.get(2),
            brand: r.get(3),
            serving_size: r.get(4),
            serving_unit: r.get(5),
            weight_g: None,
            nutrients: nutrients_from(&r, 6, Decimal::ONE),
            extra: Vec::new(),
        }));
    }
    for r in source
        .query(
            "SELECT ee.id, ee.user_id, ee.entry_date, coalesce(ee.exercise_name, e.name),
                    ee.duration_minutes, ee.calories_burned
             FROM exercise_entries ee JOIN exercises e ON e.id = ee.exercise_id
             ORDER BY ee.entry_date, ee.created_at, ee.id",
            &[],
        )
        .await
        .map_err(source_error)?
    {
        let Some(u) = users.get_mut(&r.get::<_, Uuid>(1)) else {
            continue;
        };
        let id: Uuid = r.get(0);
        u.parsed.records.push(Record::Workout(WorkoutRecord {
            key: format!("workouts:{id}"),
            line: 0,
            date: r.get::<_, Option<NaiveDate>>(2).unwrap_or_default(),
            at: None,
            name: r.get(3),
            minutes: r.get(4),
            kcal: r.get(5),
            km: None,
            unitless_distance: None,
            sets: Vec::new(),
            notes: Vec::new(),
            version: None,
            earlier: None,
        }));
    }
    for r in source
        .query(
            "SELECT id, user_id, entry_date, weight, neck, waist, hips, steps::numeric, height,
                    body_fat_percentage
             FROM check_in_measurements ORDER BY entry_date, id",
            &[],
        )
        .await
        .map_err(source_error)?
    {
        let Some(u) = users.get_mut(&r.get::<_, Uuid>(1)) else {
            continue;
        };
        let id: Uuid = r.get(0);
        let columns = [
            (3, "weight", "kg"),
            (4, "neck", "cm"),
            (5, "waist", "cm"),
            (6, "hips", "cm"),
            (7, "steps", "count"),
            (8, "height", "cm"),
            (9, "body_fat", "%"),
        ];
        for (i, kind, unit) in columns {
            if let Some(value) = r.get::<_, Option<Decimal>>(i) {
                u.parsed
                    .records
                    .push(Record::Measurement(MeasurementRecord {
                        key: format!("measurements:{id}:{kind}"),
                        line: 0,
                        date: r.get(2),
                        at: None,
                        kind: kind.into(),
                        value,
                        unit: Some(unit.into()),
                    }));
            }
        }
    }
    for r in source
        .query(
            "SELECT cm.id, cm.user_id, cm.entry_date, cm.entry_timestamp, cc.name, cm.value
             FROM custom_measurements cm JOIN custom_categories cc ON cc.id = cm.category_id
             ORDER BY cm.entry_date, cm.id",
            &[],
        )
        .await
        .map_err(source_error)?
    {
        let Some(u) = users.get_mut(&r.get::<_, Uuid>(1)) else {
            continue;
        };
        let id: Uuid = r.get(0);
        let kind = sparky_import::measurement_kind(r.get::<_, &str>(4));
        if !u.custom_types.contains(&kind)
            && sparky_import::builtin_dimension(&kind).is_none()
            && sparky_core::health::valid_type_name(&kind)
        {
            u.custom_types.push(kind.clone());
        }
        u.parsed
            .records
            .push(Record::Measurement(MeasurementRecord {
                key: format!("measurements:{id}"),
                line: 0,
                date: r.get(2),
                at: r.get::<_, Option<DateTime<Utc>>>(3),
                kind,
                value: r.get(5),
                unit: None,
            }));
    }
    for r in source
        .query(
            "SELECT DISTINCT ON (user_id) id, user_id, calories, protein, carbs, fat
             FROM user_goals ORDER BY user_id, goal_date DESC NULLS FIRST, updated_at DESC",
            &[],
        )
        .await
        .map_err(source_error)?
    {
        let Some(u) = users.get_mut(&r.get::<_, Uuid>(1)) else {
            continue;
        };
        let id: Uuid = r.get(0);
        for (i, t) in [
            (2, GoalType::CalorieTarget),
            (3, GoalType::ProteinTarget),
            (4, GoalType::CarbsTarget),
            (5, GoalType::FatTarget),
        ] {
            if let Some(v) = r
                .get::<_, Option<Decimal>>(i)
                .filter(|v| *v > Decimal::ZERO)
            {
                u.goals.push((format!("goals:{id}:{}", t.as_str()), t, v));
            }
        }
    }
    Ok(users.into_values().collect())
}

/// Imports one SparkyFitness user's data into the Sparky user of `tx` (the caller commits,
/// or rolls back for a dry run): custom measurement types first, then the records, then the
/// goals.
pub async fn import_user(
    tx: &mut UserTx,
    user: SourceUser,
    dry_run: bool,
) -> AppResult<ImportPreview> {
    if !user.custom_types.is_empty() {
        let rows = tx
            .query(
                "SELECT name FROM measurement_types
                 WHERE name = ANY($1) AND (user_id IS NULL OR user_id = auth.uid())",
                &[&user.custom_types],
            )
            .await?;
        let have: HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
        for name in user.custom_types.iter().filter(|n| !have.contains(*n)) {
            let new = crate::measurement_types::NewMeasurementType {
                name: name.clone(),
                dimension: Dimension::Count,
            };
            match crate::measurement_types::create(tx, &new).await {
                Ok(_) | Err(AppError::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let mut preview = run(tx, Source::SparkyFitness, user.parsed, dry_run).await?;
    if user.goals.is_empty() {
        return Ok(preview);
    }
    let keys: Vec<&str> = user.goals.iter().map(|(k, _, _)| k.as_str()).collect();
    let done: HashSet<String> = tx
        .query(
            "SELECT record_key FROM import_records
             WHERE user_id = auth.uid() AND source = $1 AND record_key = ANY($2)",
            &[&Source::SparkyFitness.as_str(), &keys],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut ledger = Vec::new();
    for (key, goal_type, target) in user.goals {
        if done.contains(&key) {
            *skipped.entry(ALREADY.into()).or_default() += 1;
            continue;
        }
        let active: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM goals WHERE user_id = auth.uid() AND type = $1
                                AND status = 'active')",
                &[&goal_type.as_str()],
            )
            .await?
            .get(0);
        if active {
            *skipped
                .entry(format!(
                    "you already have an active {} goal",
                    goal_type.as_str()
                ))
                .or_default() += 1;
            continue;
        }
        let new = crate::goals::NewGoal {
            goal_type,
            target_value: target,
            target_unit: None,
            target_date: None,
            status: GoalStatus::Active,
            start_value: None,
            with_calorie_target: None,
            by_weekday: [None; 7],
        };
        match crate::goals::create(tx, crate::Acting::ME, &new).await {
            Ok(created) => {
                preview.created.goals += 1;
                ledger.push((key, "goals", created.goal.id));
            }
            Err(AppError::Invalid(f)) => {
                *skipped.entry(f.message()).or_default() += 1;
            }
            Err(AppError::Conflict(m)) => {
                *skipped.entry(m).or_default() += 1;
            }
            Err(e) => return Err(e),
        }
    }
    for (reason, count) in skipped {
        preview.skipped.goals += count;
        preview.skip_reasons.push(SkipReason {
            area: Some("goals".into()),
            reason,
            count,
            first_line: None,
        });
    }
    if !dry_run {
        remember_named(tx, Source::SparkyFitness, &ledger).await?;
    }
    Ok(preview)
}
