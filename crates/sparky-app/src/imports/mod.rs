//! Importers from other trackers: the records `sparky_import` read from a file checked against the user's data and written in one
//! transaction, or only counted (a dry run).
//!
//! Every front door (`sparky import-from`, `POST /api/v1/import/{kind}`) calls [`run`] in the
//! user's own RLS transaction; the caller commits. Nothing here decides who may write: the
//! rows are the caller's own and RLS checks that.
//!
//! Re-importing is safe: `import_records` remembers, per (source, record key), the row each
//! record became. A record whose key is there is skipped ("already imported"), so a second run
//! of the same file creates nothing, and a row the user deleted since is not brought back.
//!
//! Writes are batched: one `INSERT … SELECT FROM unnest(…)` per table and area, whatever the
//! number of rows, in chunks of [`CHUNK`].

pub mod sparkyfitness;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sparky_core::measure::{self, Dimension, MeasureUnit};
use sparky_core::DistanceUnit;
use sparky_db::UserTx;
use sparky_import::{
    Area, DiaryRecord, FoodRecord, MeasurementRecord, Parsed, Record, Source, WorkoutRecord,
};
use uuid::Uuid;

use crate::diary::MAX_ENTRIES_PER_DAY;
use crate::error::{AppError, AppResult};
use crate::workouts::MAX_WORKOUTS_PER_DAY;

pub use sparky_import;

/// Rows one statement writes at most (PostgreSQL arrays of this size are cheap).
pub const CHUNK: usize = 5000;
/// Distinct skip reasons listed in a preview; the counts cover all of them.
pub const MAX_REASONS: usize = 100;
/// `measurements.value` keeps 6 decimal places.
const VALUE_SCALE: u32 = 6;
const ALREADY: &str = "already imported";

mod checks;
mod preview;
mod write;

use checks::*;
pub(crate) use preview::Skips;
use preview::MAX_COLUMNS;
pub use preview::{AreaCounts, ColumnRead, ImportPreview, SkipReason};
use write::*;
pub(crate) use write::{remember, remember_named};

/// Checks `parsed` against the user's data and writes what is new, unless `dry_run`; returns
/// what was (or would be) created and skipped. Runs in the caller's transaction; the caller
/// commits (or, for a dry run, may simply drop it).
pub async fn run(
    tx: &mut UserTx,
    source: Source,
    mut parsed: Parsed,
    dry_run: bool,
) -> AppResult<ImportPreview> {
    // One import at a time per user, so two runs of one file cannot both insert.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('import:' || auth.uid()::text, 0))",
        &[],
    )
    .await?;
    let (tz, units) = settings(tx).await?;
    if source.times_are_wall_clock() {
        let zone: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
        for at in parsed.records.iter_mut().filter_map(Record::at_mut) {
            *at = at.map(|wall| checks::wall_clock_in(zone, wall));
        }
    }
    let mut preview = ImportPreview::new(source.as_str(), dry_run);
    preview.columns = parsed
        .columns
        .iter()
        .take(MAX_COLUMNS)
        .map(|c| ColumnRead {
            column: c.column.clone(),
            field: c.field,
        })
        .collect();
    let mut skips = Skips::default();
    for s in &parsed.skipped {
        skips.add_many(s.area, Some(s.line), s.reason.clone(), s.count);
    }

    // The same key twice in one file (Apple Health can repeat a sample): the first counts.
    let mut seen = HashSet::new();
    let mut records = Vec::with_capacity(parsed.records.len());
    for r in parsed.records {
        if seen.insert(r.key().to_string()) {
            records.push(r);
        } else {
            skips.add(
                Some(r.area()),
                Some(r.line()),
                "the same row comes again in the file",
            );
        }
    }

    // What earlier imports stored.
    let mut done: HashSet<String> = HashSet::new();
    for chunk in records.chunks(CHUNK) {
        let keys: Vec<&str> = chunk.iter().map(Record::key).collect();
        let rows = tx
            .query(
                "SELECT record_key FROM import_records
                 WHERE user_id = auth.uid() AND source = $1 AND record_key = ANY($2)",
                &[&source.as_str(), &keys],
            )
            .await?;
        done.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    }
    records.retain(|r| {
        let new = !done.contains(r.key());
        if !new {
            skips.add(Some(r.area()), Some(r.line()), ALREADY);
        }
        new
    });

    let mut foods: Vec<Ready<FoodRecord>> = Vec::new();
    let mut diary: Vec<Ready<DiaryRecord>> = Vec::new();
    let mut measurements: Vec<Ready<MeasurementRecord>> = Vec::new();
    let mut workouts: Vec<Ready<WorkoutRecord>> = Vec::new();
    for r in records {
        if let Some(problem) = r.when().and_then(|(date, at)| out_of_range(date, at)) {
            skips.add(Some(r.area()), Some(r.line()), problem);
            continue;
        }
        let id = Uuid::new_v4();
        let key = r.key().to_string();
        match r {
            Record::Food(record) => foods.push(Ready { id, key, record }),
            Record::Diary(record) => diary.push(Ready { id, key, record }),
            Record::Measurement(record) => measurements.push(Ready { id, key, record }),
            Record::Workout(record) => workouts.push(Ready { id, key, record }),
        }
    }

    // Foods.
    let mut food_rows: Vec<(Uuid, String, FoodRecord)> = Vec::new();
    for f in foods {
        let r = &f.record;
        let problem = if r.name.trim().is_empty() || r.name.chars().count() > 255 {
            Some("the name must be 1 to 255 characters".to_string())
        } else if r.brand.as_ref().is_some_and(|b| b.chars().count() > 255) {
            Some("the brand must be at most 255 characters".into())
        } else if r.serving_size <= Decimal::ZERO || r.serving_size > Decimal::from(100_000) {
            Some("the serving size must be greater than 0 and at most 100,000".into())
        } else if r.serving_unit.trim().is_empty() || r.serving_unit.chars().count() > 50 {
            Some("the serving unit must be 1 to 50 characters".into())
        } else if r
            .weight_g
            .is_some_and(|w| w <= Decimal::ZERO || w > Decimal::from(100_000))
        {
            Some("the serving weight must be greater than 0 and at most 100,000 g".into())
        } else {
            None
        };
        let checked = match problem {
            Some(p) => Err(p),
            None => check_nutrients(&r.nutrients),
        };
        match checked {
            Ok(n) => {
                let mut record = f.record;
                record.nutrients = n;
                food_rows.push((f.id, f.key, record));
            }
            Err(p) => skips.add(Some(Area::Foods), Some(f.record.line), p),
        }
    }

    // Diary: the nutrients checked, and no day past its limit.
    let days: Vec<NaiveDate> = diary
        .iter()
        .map(|d| d.record.date)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut per_day: HashMap<NaiveDate, (i64, i64)> = HashMap::new();
    if !days.is_empty() {
        let rows = tx
            .query(
                "SELECT entry_date, entries::bigint, workouts::bigint FROM diary_day_totals
                 WHERE user_id = auth.uid() AND entry_date = ANY($1)",
                &[&days],
            )
            .await?;
        for r in rows {
            per_day.insert(r.get(0), (r.get(1), r.get(2)));
        }
    }
    // A day's total goes last, so that it sees the food entries of this import too.
    diary.sort_by_key(|d| d.record.day_total);
    let mut diary_rows: Vec<Ready<DiaryRecord>> = Vec::new();
    for mut d in diary {
        let line = Some(d.record.line);
        let name = d.record.name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            skips.add(
                Some(Area::Diary),
                line,
                "the name must be 1 to 255 characters",
            );
            continue;
        }
        if !(1900..=2199).contains(&chrono::Datelike::year(&d.record.date)) {
            skips.add(
                Some(Area::Diary),
                line,
                "the date is not between 1900 and 2199",
            );
            continue;
        }
        match check_nutrients(&d.record.nutrients) {
            Ok(n) => d.record.nutrients = n,
            Err(p) => {
                skips.add(Some(Area::Diary), line, p);
                continue;
            }
        }
        let n = per_day.entry(d.record.date).or_insert((0, 0));
        if d.record.day_total && n.0 > 0 {
            skips.add(
                Some(Area::Diary),
                line,
                "a day's total, but the day already has food diary entries (it would count them twice)",
            );
            continue;
        }
        if n.0 >= MAX_ENTRIES_PER_DAY {
            skips.add(
                Some(Area::Diary),
                line,
                format!("a diary day holds at most {MAX_ENTRIES_PER_DAY} entries"),
            );
            continue;
        }
        n.0 += 1;
        diary_rows.push(d);
    }

    // Measurements: known types only, converted to their canonical unit.
    let names: Vec<&str> = measurements
        .iter()
        .map(|m| m.record.kind.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut dims: HashMap<String, Dimension> = HashMap::new();
    if !names.is_empty() {
        let rows = tx
            .query(
                "SELECT DISTINCT ON (name) name, dimension FROM measurement_types
                 WHERE name = ANY($1) AND (user_id IS NULL OR user_id = auth.uid())
                 ORDER BY name, user_id NULLS FIRST",
                &[&names],
            )
            .await?;
        for r in rows {
            if let Ok(d) = Dimension::parse(r.get::<_, &str>(1)) {
                dims.insert(r.get(0), d);
            }
        }
    }
    let mut measurement_rows: Vec<(Uuid, String, Measured)> = Vec::new();
    for m in measurements {
        let r = m.record;
        let line = Some(r.line);
        let Some(dim) = dims.get(&r.kind).copied() else {
            skips.add(
                Some(Area::Measurements),
                line,
                format!(
                    "no measurement type \"{}\": create it (Check-in → add a type) and import again",
                    r.kind
                ),
            );
            continue;
        };
        let unit = r
            .unit
            .clone()
            .unwrap_or_else(|| dim.display_unit(units).as_str().to_string());
        match measure::parse_measurement(r.value, &unit, dim, VALUE_SCALE) {
            Ok(value) => measurement_rows.push((
                m.id,
                m.key,
                Measured {
                    kind: r.kind,
                    value,
                    unit: dim.canonical_unit().as_str(),
                    date: r.date,
                    at: r.at,
                },
            )),
            Err(e) => {
                let reason = match MeasureUnit::parse(&unit) {
                    Err(_) => format!("{}: unknown unit \"{unit}\"", r.kind),
                    Ok(_) => format!("{}: {e}", r.kind),
                };
                skips.add(Some(Area::Measurements), line, reason);
            }
        }
    }

    // Workouts: bounds, the day's limit, the catalog exercise.
    let workout_names: Vec<String> = workouts
        .iter()
        .map(|w| w.record.name.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let exercises = crate::health_data::match_exercises(tx, &workout_names).await?;
    let mut workout_days: HashMap<NaiveDate, i64> = HashMap::new();
    let wdays: Vec<NaiveDate> = workouts
        .iter()
        .map(|w| w.record.date)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !wdays.is_empty() {
        let rows = tx
            .query(
                "SELECT entry_date, workouts::bigint FROM diary_day_totals
                 WHERE user_id = auth.uid() AND entry_date = ANY($1)",
                &[&wdays],
            )
            .await?;
        for r in rows {
            workout_days.insert(r.get(0), r.get(1));
        }
    }
    let mut workout_rows: Vec<(Uuid, String, Worked)> = Vec::new();
    for w in workouts {
        let r = w.record;
        let line = Some(r.line);
        let checked = (|| -> Result<Worked, String> {
            let name = r.name.trim().chars().take(100).collect::<String>();
            if name.is_empty() {
                return Err("the workout has no name".into());
            }
            let minutes = crate::health_data::workout_minutes(r.minutes).map_err(outcome_text)?;
            let kcal = crate::health_data::workout_kcal(r.kcal).map_err(outcome_text)?;
            let km = r.km.or(r
                .unitless_distance
                .map(|d| DistanceUnit::of(units).to_km(d)));
            if km.is_some_and(|k| k.is_sign_negative() || k > sparky_core::health::MAX_DISTANCE_KM)
            {
                return Err("the distance must be 0 to 100,000 km".into());
            }
            let hit = exercises.get(&r.name);
            Ok(Worked {
                exercise_id: hit.map(|h| h.0),
                name: hit.map(|h| h.1.clone()).unwrap_or_else(|| name.clone()),
                note: format!("{name}, from {}", unit_name(source)),
                minutes,
                km: km.map(|k| sparky_core::units::round_dp(k, VALUE_SCALE)),
                kcal,
                date: r.date,
                at: r.at,
                sets: import_sets(&r.sets, units)?,
            })
        })();
        match checked {
            Ok(worked) => {
                let n = workout_days.entry(worked.date).or_insert(0);
                if *n >= MAX_WORKOUTS_PER_DAY {
                    skips.add(
                        Some(Area::Workouts),
                        line,
                        format!("a diary day holds at most {MAX_WORKOUTS_PER_DAY} workouts"),
                    );
                    continue;
                }
                *n += 1;
                workout_rows.push((w.id, w.key, worked));
            }
            Err(p) => skips.add(Some(Area::Workouts), line, p),
        }
    }

    // A day total from an earlier import gives way to this import's food entries for its day.
    let detailed_days: Vec<NaiveDate> = diary_rows
        .iter()
        .filter(|d| !d.record.day_total)
        .map(|d| d.record.date)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut replaced: Vec<Uuid> = Vec::new();
    if !detailed_days.is_empty() {
        let rows = tx
            .query(
                "SELECT d.id FROM food_diary d
                 JOIN import_records r ON r.target_id = d.id AND r.user_id = auth.uid()
                     AND r.source = $1 AND r.area = 'diary'
                 WHERE d.user_id = auth.uid() AND d.entry_date = ANY($2) AND d.food_name = $3",
                &[
                    &source.as_str(),
                    &detailed_days,
                    &sparky_import::macrofactor::DAY_TOTAL_NAME,
                ],
            )
            .await?;
        replaced = rows.iter().map(|r| r.get(0)).collect();
    }
    preview.replaced_day_totals = replaced.len();
    preview.created.foods = food_rows.len();
    preview.created.diary = diary_rows.len();
    preview.created.measurements = measurement_rows.len();
    preview.created.workouts = workout_rows.len();
    skips.into_preview(&mut preview);
    if dry_run {
        return Ok(preview);
    }

    if !replaced.is_empty() {
        // Its ledger row stays, so importing the totals again does not bring it back.
        tx.execute(
            "DELETE FROM food_diary WHERE user_id = auth.uid() AND id = ANY($1)",
            &[&replaced],
        )
        .await?;
    }
    let mut ledger: Vec<(String, Area, Uuid)> = Vec::new();
    for chunk in food_rows.chunks(CHUNK) {
        insert_foods(tx, chunk).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Foods, *id)),
        );
    }
    for chunk in diary_rows.chunks(CHUNK) {
        insert_diary(tx, chunk, &tz).await?;
        ledger.extend(chunk.iter().map(|d| (d.key.clone(), Area::Diary, d.id)));
    }
    for chunk in measurement_rows.chunks(CHUNK) {
        insert_measurements(tx, chunk, &tz, source).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Measurements, *id)),
        );
    }
    for chunk in workout_rows.chunks(CHUNK) {
        insert_workouts(tx, chunk, &tz).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Workouts, *id)),
        );
    }
    remember(tx, source, &ledger).await?;
    Ok(preview)
}

/// A file that cannot be read: a 422 naming the file (and line), nothing written.
pub fn file_error(file: &str, e: sparky_import::ImportError) -> AppError {
    AppError::invalid(file, e.to_string())
}

/// The account an import from the command line writes into (maintenance, as the owner): the
/// one with `email`, or the only account when none is named.
pub async fn find_user(client: &tokio_postgres::Client, email: Option<&str>) -> AppResult<Uuid> {
    let internal = |e: tokio_postgres::Error| AppError::internal(e.to_string());
    match email {
        Some(email) => client
            .query_opt(
                "SELECT id FROM users WHERE lower(email::text) = lower($1)",
                &[&email.trim()],
            )
            .await
            .map_err(internal)?
            .map(|r| r.get(0))
            .ok_or_else(|| AppError::invalid("user", format!("no account with the email {email}"))),
        None => {
            let rows = client
                .query("SELECT id FROM users ORDER BY created_at LIMIT 2", &[])
                .await
                .map_err(internal)?;
            match rows.as_slice() {
                [one] => Ok(one.get(0)),
                [] => Err(AppError::invalid(
                    "user",
                    "there is no account yet: create one first",
                )),
                _ => Err(AppError::invalid(
                    "user",
                    "there are several accounts: name one with --user EMAIL",
                )),
            }
        }
    }
}
