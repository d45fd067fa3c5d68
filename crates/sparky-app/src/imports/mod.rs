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

use sparky_db::UserTx;
use sparky_import::{
    Area, DiaryRecord, FoodRecord, MeasurementRecord, Parsed, Record, Source, WorkoutRecord,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub use sparky_import;

/// Rows one statement writes at most (PostgreSQL arrays of this size are cheap).
pub const CHUNK: usize = 5000;
/// Distinct skip reasons listed in a preview; the counts cover all of them.
pub const MAX_REASONS: usize = 100;
/// `measurements.value` keeps 6 decimal places.
const VALUE_SCALE: u32 = 6;
const ALREADY: &str = "already imported";

mod areas;
mod checks;
mod custom;
mod preview;
mod write;

use checks::*;
pub(crate) use preview::Skips;
use preview::MAX_COLUMNS;
pub use preview::{
    AreaCounts, ColumnRead, CustomNutrientColumn, ImportNote, ImportPreview, SkipReason,
};
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
    preview.notes = parsed
        .notes
        .iter()
        .map(|n| ImportNote {
            area: n.area.as_str().to_string(),
            note: n.message.clone(),
            count: n.count,
            first_line: Some(n.line).filter(|l| *l > 0),
        })
        .collect();
    preview.notes.sort_by_key(|n| std::cmp::Reverse(n.count));
    let custom = custom::columns(tx, &parsed.extra_columns, &mut preview.custom_nutrients).await?;
    let extra_columns = std::mem::take(&mut parsed.extra_columns);
    let mut skips = Skips::default();
    for s in &parsed.skipped {
        skips.add_many(s.area, Some(s.line), s.reason.clone(), s.count);
    }

    let (records, revised, renamed) = new_records(tx, source, parsed.records, &mut skips).await?;
    // Each workout record's version, for the ledger.
    let versions: HashMap<String, String> = records
        .iter()
        .filter_map(|r| match r {
            Record::Workout(w) => Some((w.key.clone(), w.version.clone()?)),
            _ => None,
        })
        .collect();

    let mut foods: Vec<Ready<FoodRecord>> = Vec::new();
    let mut diary: Vec<Ready<DiaryRecord>> = Vec::new();
    let mut measurements: Vec<Ready<MeasurementRecord>> = Vec::new();
    let mut workouts: Vec<Ready<WorkoutRecord>> = Vec::new();
    for r in records {
        if let Some(problem) = r.when().and_then(|(date, at)| out_of_range(date, at)) {
            skips.add(Some(r.area()), Some(r.line()), problem);
            continue;
        }
        // PostgreSQL's text cannot hold a NUL: said here with the row's line, not by the
        // database at the end.
        if texts_of(&r).iter().any(|t| t.contains('\0')) {
            skips.add(
                Some(r.area()),
                Some(r.line()),
                "a name contains a NUL character",
            );
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
    let food_rows = areas::foods(foods, &custom, &extra_columns, &mut skips);
    let (diary_rows, diary_custom) =
        areas::diary(tx, diary, &custom, &extra_columns, &mut skips).await?;
    let measurement_rows = areas::measurements(tx, measurements, units, &mut skips).await?;
    let workout_rows = areas::workouts(tx, source, workouts, units, &mut skips).await?;
    let mut replaced = areas::replaced_day_totals(tx, source, &diary_rows).await?;
    preview.replaced_day_totals = replaced.len();
    let (older_versions, slots) = areas::replaced_versions(tx, source, &diary_rows).await?;
    // Sessions changed since an earlier import: their newer versions replace those rows.
    // (new row, the row it replaces).
    let newer_workouts: (Vec<Uuid>, Vec<Uuid>) = workout_rows
        .iter()
        .filter_map(|(id, key, _)| Some((*id, *revised.get(key)?)))
        .unzip();
    preview.replaced_entries = older_versions.len() + newer_workouts.1.len();
    // A newer version of a row takes its place: the older one's content key no longer stands
    // for anything (a row with that content in a later file is new: a second identical apple
    // logged after the first was corrected was skipped as already imported).
    let superseded = older_versions.clone();
    replaced.extend(older_versions);

    preview.created.foods = food_rows.len();
    preview.created.diary = diary_rows.len();
    preview.created.measurements = measurement_rows.new.len();
    preview.replaced_day_values = measurement_rows.replacing.len();
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
    if !superseded.is_empty() {
        tx.execute(
            "DELETE FROM import_records
             WHERE user_id = auth.uid() AND source = $1 AND area = 'diary'
               AND target_id = ANY($2) AND record_key NOT LIKE 'diary-slot:%'",
            &[&source.as_str(), &superseded],
        )
        .await?;
    }
    let mut ledger: Vec<(String, Area, Uuid)> = Vec::new();
    for chunk in food_rows.chunks(CHUNK) {
        insert_foods(tx, chunk).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _, _)| (key.clone(), Area::Foods, *id)),
        );
    }
    for (chunk, custom) in diary_rows.chunks(CHUNK).zip(diary_custom.chunks(CHUNK)) {
        insert_diary(tx, chunk, custom, &tz).await?;
        ledger.extend(chunk.iter().map(|d| (d.key.clone(), Area::Diary, d.id)));
    }
    for chunk in measurement_rows.new.chunks(CHUNK) {
        insert_measurements(tx, chunk, &tz, source).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Measurements, *id)),
        );
    }
    for chunk in measurement_rows.replacing.chunks(CHUNK) {
        replace_measurements(tx, chunk, source).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Measurements, *id)),
        );
    }
    ledger.extend(
        measurement_rows
            .linked
            .iter()
            .map(|(id, key)| (key.clone(), Area::Measurements, *id)),
    );
    for chunk in workout_rows.chunks(CHUNK) {
        insert_workouts(tx, chunk, &tz).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Workouts, *id)),
        );
    }
    if !newer_workouts.0.is_empty() {
        // What the user typed in Sparky on the older version (a note, their own calories)
        // stays on the newer one; then the older goes.
        tx.execute(
            "UPDATE exercise_diary n
             SET notes = coalesce(o.notes, n.notes),
                 calories_burned = CASE WHEN o.calories_source = 'user'
                                        THEN o.calories_burned ELSE n.calories_burned END,
                 calories_source = CASE WHEN o.calories_source = 'user'
                                        THEN 'user' ELSE n.calories_source END
             FROM unnest($1::uuid[], $2::uuid[]) AS k(new_id, old_id)
             JOIN exercise_diary o ON o.id = k.old_id
             WHERE n.id = k.new_id AND n.user_id = auth.uid()",
            &[&newer_workouts.0, &newer_workouts.1],
        )
        .await?;
        tx.execute(
            "DELETE FROM exercise_diary WHERE user_id = auth.uid() AND id = ANY($1)",
            &[&newer_workouts.1],
        )
        .await?;
    }
    // Rows an earlier Sparky imported under its older keys are remembered under today's too.
    ledger.extend(
        renamed
            .iter()
            .map(|r| (r.key.clone(), Area::Workouts, r.target)),
    );
    remember(tx, source, &ledger).await?;
    write::remember_slots(tx, source, &slots).await?;
    // Day totals keep the value they were imported at: a day's value is settled as the largest
    // any source sent (health_data::day_values).
    let day_total_values: Vec<(String, String)> = measurement_rows
        .new
        .iter()
        .chain(measurement_rows.replacing.iter())
        .filter(|(_, key, m)| {
            m.at.is_none() && *key == crate::outside_readings::day_value_key(&m.kind, m.date)
        })
        .map(|(_, key, m)| (key.clone(), m.value.normalize().to_string()))
        .collect();
    let day_total_ids: HashMap<&str, Uuid> = measurement_rows
        .new
        .iter()
        .chain(measurement_rows.replacing.iter())
        .map(|(id, key, _)| (key.as_str(), *id))
        .collect();
    let stored_versions: Vec<(&str, Uuid, &str)> = workout_rows
        .iter()
        .filter_map(|(id, key, _)| Some((key.as_str(), *id, versions.get(key)?.as_str())))
        .chain(
            day_total_values
                .iter()
                .map(|(key, v)| (key.as_str(), day_total_ids[key.as_str()], v.as_str())),
        )
        .chain(
            renamed
                .iter()
                .map(|r| (r.key.as_str(), r.target, r.version.as_str())),
        )
        .collect();
    write::remember_versions(tx, source, &stored_versions).await?;
    Ok(preview)
}

/// The texts of a record that are stored.
fn texts_of(r: &Record) -> Vec<&str> {
    match r {
        Record::Diary(d) => vec![d.name.as_str()],
        Record::Measurement(m) => vec![m.kind.as_str()],
        Record::Workout(w) => vec![w.name.as_str()],
        Record::Food(f) => {
            let mut t = vec![f.name.as_str(), f.serving_unit.as_str()];
            t.extend(f.brand.as_deref());
            t
        }
    }
}

/// A workout an earlier import stored under the record's older key, unchanged since: it is
/// remembered under the record's key and version too.
struct Rekeyed {
    key: String,
    target: Uuid,
    version: String,
}

/// The records no earlier import stored and not repeated in the file; the rest are skipped
/// with their reason. Also: the rows newer versions replace (by key), and the rows stored
/// under an older key.
async fn new_records(
    tx: &mut UserTx,
    source: Source,
    parsed: Vec<Record>,
    skips: &mut Skips,
) -> AppResult<(Vec<Record>, HashMap<String, Uuid>, Vec<Rekeyed>)> {
    // The same key twice in one file (Apple Health can repeat a sample): the first counts.
    let mut seen = HashSet::new();
    let mut records = Vec::with_capacity(parsed.len());
    for r in parsed {
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

    // What earlier imports stored, whether that row is still there, and which version of it.
    let mut done: HashMap<String, Stored> = HashMap::new();
    for chunk in records.chunks(CHUNK) {
        let keys: Vec<&str> = chunk
            .iter()
            .flat_map(|r| {
                let earlier = match r {
                    Record::Workout(w) => w.earlier.as_ref().map(|e| e.key.as_str()),
                    _ => None,
                };
                std::iter::once(r.key()).chain(earlier)
            })
            .collect();
        let rows = tx
            .query(
                "SELECT i.record_key, i.target_id,
                        i.area = 'measurements'
                        AND EXISTS (SELECT 1 FROM measurements m WHERE m.id = i.target_id),
                        i.fingerprint,
                        CASE WHEN i.area = 'workouts' AND EXISTS (
                                 SELECT 1 FROM exercise_diary w WHERE w.id = i.target_id)
                             THEN i.target_id END
                 FROM import_records i
                 WHERE i.user_id = auth.uid() AND i.source = $1 AND i.record_key = ANY($2)",
                &[&source.as_str(), &keys],
            )
            .await?;
        done.extend(rows.iter().map(|r| {
            (
                r.get(0),
                Stored {
                    target: r.get(1),
                    measurement_there: r.get(2),
                    fingerprint: r.get(3),
                    workout: r.get(4),
                },
            )
        }));
    }
    let mut revised: HashMap<String, Uuid> = HashMap::new();
    let mut rekeyed = Vec::new();
    records.retain(|r| {
        let new = match done.get(r.key()) {
            None => match r {
                Record::Workout(WorkoutRecord {
                    key,
                    version: Some(version),
                    earlier: Some(earlier),
                    ..
                }) => match done.get(&earlier.key) {
                    None => true,
                    Some(stored) => match (&stored.fingerprint, stored.workout) {
                        (Some(was), Some(row)) if *was != earlier.version => {
                            revised.insert(key.clone(), row);
                            true
                        }
                        _ => {
                            rekeyed.extend(stored.target.map(|target| Rekeyed {
                                key: key.clone(),
                                target,
                                version: version.clone(),
                            }));
                            false
                        }
                    },
                },
                _ => true,
            },
            Some(stored) if stored.measurement_there && is_day_value(r) => true,
            Some(stored) => match (r, &stored.fingerprint, stored.workout) {
                // A newer version of a session an earlier import stored: it replaces that row.
                (Record::Workout(w), Some(was), Some(row)) if w.version.as_ref() != Some(was) => {
                    revised.insert(w.key.clone(), row);
                    true
                }
                _ => false,
            },
        };
        if !new {
            skips.add(Some(r.area()), Some(r.line()), ALREADY);
        }
        new
    });
    Ok((records, revised, rekeyed))
}

/// What an earlier import stored under a key.
struct Stored {
    /// The row it became (which may since have been deleted).
    target: Option<Uuid>,
    /// A measurement that is still there.
    measurement_there: bool,
    /// The version it had ([`sparky_import::WorkoutRecord::version`]).
    fingerprint: Option<String>,
    /// The workout it became, if it is still there.
    workout: Option<Uuid>,
}

/// A measurement that is a whole day's value (Apple Health's steps and water sums).
fn is_day_value(r: &Record) -> bool {
    matches!(r, Record::Measurement(m)
        if m.at.is_none() && m.key == crate::outside_readings::day_value_key(&m.kind, m.date))
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
