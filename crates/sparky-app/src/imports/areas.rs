//! Each area's records checked against the user's data before anything is written: what
//! would break a bound or a day's limit is skipped with its reason.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sparky_core::measure::{self, Dimension, MeasureUnit};
use sparky_core::{DistanceUnit, UnitsSystem};
use sparky_db::UserTx;
use sparky_import::{
    Area, DiaryRecord, ExtraColumn, FoodRecord, MeasurementRecord, Source, WorkoutRecord,
};

use super::custom::CustomColumns;
use uuid::Uuid;

use super::checks::*;
use super::{Skips, CHUNK, VALUE_SCALE};
use crate::diary::MAX_ENTRIES_PER_DAY;
use crate::error::AppResult;
use crate::outside_readings::{self, Arriving, Meeting};
use crate::workouts::MAX_WORKOUTS_PER_DAY;

/// Foods: name, brand, serving and nutrients within their bounds; with each, its serving's
/// amounts of the user's custom nutrients (as stored).
pub(super) fn foods(
    foods: Vec<Ready<FoodRecord>>,
    custom: &CustomColumns,
    extra_columns: &[ExtraColumn],
    skips: &mut Skips,
) -> Vec<(Uuid, String, FoodRecord, serde_json::Value)> {
    let mut food_rows: Vec<(Uuid, String, FoodRecord, serde_json::Value)> = Vec::new();
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
            None => check_nutrients(&r.nutrients)
                .and_then(|n| Ok((n, custom.amounts(&r.extra, extra_columns)?))),
        };
        match checked {
            Ok((n, amounts)) => {
                let mut record = f.record;
                record.nutrients = n;
                let amounts = crate::custom_nutrients::to_json(&amounts);
                food_rows.push((f.id, f.key, record, amounts));
            }
            Err(p) => skips.add(Some(Area::Foods), Some(f.record.line), p),
        }
    }
    food_rows
}

/// Diary entries: the nutrients checked, and no day past its limit (counting the entries the
/// day has). With each, its amounts of the user's custom nutrients (as stored).
pub(super) async fn diary(
    tx: &mut UserTx,
    mut diary: Vec<Ready<DiaryRecord>>,
    custom: &CustomColumns,
    extra_columns: &[ExtraColumn],
    skips: &mut Skips,
) -> AppResult<(Vec<Ready<DiaryRecord>>, Vec<serde_json::Value>)> {
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
    let mut customs: Vec<serde_json::Value> = Vec::new();
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
        let amounts = match custom.amounts(&d.record.extra, extra_columns) {
            Ok(a) => a,
            Err(p) => {
                skips.add(Some(Area::Diary), line, p);
                continue;
            }
        };
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
        customs.push(crate::custom_nutrients::to_json(&amounts));
    }
    Ok((diary_rows, customs))
}

/// Measurements: known types only, converted to their canonical unit.
pub(super) async fn measurements(
    tx: &mut UserTx,
    measurements: Vec<Ready<MeasurementRecord>>,
    units: UnitsSystem,
    skips: &mut Skips,
) -> AppResult<MeasurementRows> {
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
    // The types phones push into (sleep hours, active calories, distance) are created on first
    // use, as a push does, so a file's sleep and the phone's meet in one type.
    let missing: Vec<String> = names
        .iter()
        .filter(|n| !dims.contains_key(**n) && sparky_core::health::PHONE_TYPES.contains(*n))
        .map(|n| n.to_string())
        .collect();
    for name in missing {
        let new = crate::measurement_types::NewMeasurementType {
            name: name.clone(),
            dimension: Dimension::Count,
        };
        match crate::measurement_types::create(tx, &new).await {
            Ok(_) => {
                dims.insert(name, Dimension::Count);
            }
            // The most custom types a user may have: its rows are skipped, saying so below.
            Err(crate::AppError::Invalid(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let mut measurement_rows: Vec<(Uuid, String, Measured)> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
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
        let read = measure::parse_measurement(r.value, &unit, dim, VALUE_SCALE)
            .and_then(|v| measure::check_plausible(&r.kind, v).map(|_| v));
        match read {
            Ok(value) => {
                measurement_rows.push((
                    m.id,
                    m.key,
                    Measured {
                        kind: r.kind,
                        value,
                        unit: dim.canonical_unit().as_str(),
                        date: r.date,
                        at: r.at,
                    },
                ));
                lines.push(r.line);
            }
            Err(e) => {
                let reason = match MeasureUnit::parse(&unit) {
                    Err(_) => format!("{}: unknown unit \"{unit}\"", r.kind),
                    Ok(_) => format!("{}: {e}", r.kind),
                };
                skips.add(Some(Area::Measurements), line, reason);
            }
        }
    }
    meet_other_doors(tx, measurement_rows, lines, skips).await
}

/// Measurements checked: new rows, day values replacing what a push or an earlier import
/// stored, and readings already stored that the ledger links to.
#[derive(Default)]
pub(super) struct MeasurementRows {
    pub(super) new: Vec<(Uuid, String, Measured)>,
    /// (the row replaced, key, values).
    pub(super) replacing: Vec<(Uuid, String, Measured)>,
    /// (the row already holding it, key).
    pub(super) linked: Vec<(Uuid, String)>,
}

/// Readings a phone push or an earlier import already stored ([`outside_readings`]): a larger
/// day value replaces that row; one already there is skipped and linked to it.
async fn meet_other_doors(
    tx: &mut UserTx,
    rows: Vec<(Uuid, String, Measured)>,
    lines: Vec<u64>,
    skips: &mut Skips,
) -> AppResult<MeasurementRows> {
    let arriving: Vec<Arriving> = rows
        .iter()
        .map(|(_, _, m)| Arriving {
            kind: &m.kind,
            day: m.date,
            at: m.at,
            value: m.value,
        })
        .collect();
    let there = outside_readings::already_there(tx, &arriving).await?;
    let meetings: Vec<Option<Meeting>> = there
        .iter()
        .zip(&arriving)
        .map(|(hit, a)| hit.map(|h| h.meet(a)))
        .collect();
    drop(arriving);
    let mut out = MeasurementRows::default();
    for ((row, line), meeting) in rows.into_iter().zip(lines).zip(meetings) {
        match meeting {
            None => out.new.push(row),
            Some(Meeting::Replaces(id)) => out.replacing.push((id, row.1, row.2)),
            Some(Meeting::Kept(id, why)) => {
                skips.add(Some(Area::Measurements), Some(line), why);
                out.linked.push((id, row.1));
            }
        }
    }
    Ok(out)
}

/// Workouts: bounds, the day's limit, the catalog exercise.
pub(super) async fn workouts(
    tx: &mut UserTx,
    source: Source,
    workouts: Vec<Ready<WorkoutRecord>>,
    units: UnitsSystem,
    skips: &mut Skips,
) -> AppResult<Vec<(Uuid, String, Worked)>> {
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
            let seconds = crate::health_data::workout_seconds(r.minutes).map_err(outcome_text)?;
            let kcal = crate::health_data::workout_kcal(r.kcal).map_err(outcome_text)?;
            let km = r.km.or(r
                .unitless_distance
                .map(|d| DistanceUnit::of(units).to_km(d)));
            if km.is_some_and(|k| k.is_sign_negative() || k > sparky_core::health::MAX_DISTANCE_KM)
            {
                return Err("the distance must be 0 to 100,000 km".into());
            }
            crate::health_data::workout_speed(seconds, km).map_err(outcome_text)?;
            let hit = exercises.get(&r.name);
            Ok(Worked {
                exercise_id: hit.map(|h| h.0),
                name: hit.map(|h| h.1.clone()).unwrap_or_else(|| name.clone()),
                note: workout_note(&name, unit_name(source), &r.notes),
                seconds,
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
    Ok(workout_rows)
}

/// Entries an earlier import stored for the slots this import's diary rows are newer
/// versions of (see `DiaryRecord::replaces`), with the slots' new entries.
pub(super) async fn replaced_versions(
    tx: &mut UserTx,
    source: Source,
    diary_rows: &[Ready<DiaryRecord>],
) -> AppResult<(Vec<Uuid>, Vec<(String, Uuid)>)> {
    let slots: Vec<(String, Uuid)> = diary_rows
        .iter()
        .filter_map(|d| Some((d.record.replaces.clone()?, d.id)))
        .collect();
    let mut replaced = Vec::new();
    for chunk in slots.chunks(CHUNK) {
        let keys: Vec<&str> = chunk.iter().map(|(k, _)| k.as_str()).collect();
        let rows = tx
            .query(
                "SELECT d.id FROM import_records r
                 JOIN food_diary d ON d.id = r.target_id AND d.user_id = auth.uid()
                 WHERE r.user_id = auth.uid() AND r.source = $1 AND r.record_key = ANY($2)",
                &[&source.as_str(), &keys],
            )
            .await?;
        replaced.extend(rows.iter().map(|r| r.get::<_, Uuid>(0)));
    }
    Ok((replaced, slots))
}

/// Day totals from an earlier import that this import's food entries replace (their days).
pub(super) async fn replaced_day_totals(
    tx: &mut UserTx,
    source: Source,
    diary_rows: &[Ready<DiaryRecord>],
) -> AppResult<Vec<Uuid>> {
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
    Ok(replaced)
}

/// An imported workout's notes: its name as the file gave it and the app it came from, then
/// what the file says of it that its sets cannot hold (an assisting weight, RPE, a set's
/// note), within the notes' length.
fn workout_note(name: &str, source: &str, notes: &[String]) -> String {
    let mut note = format!("{name}, from {source}");
    if !notes.is_empty() {
        note.push_str("\n\n");
        note.push_str(&notes.join("\n"));
    }
    note.chars()
        .take(crate::workouts::input::MAX_NOTES_CHARS)
        .collect()
}
