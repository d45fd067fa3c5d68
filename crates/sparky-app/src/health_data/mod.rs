//! Health data pushed from a phone: batches of records (steps, weight, body fat, water, active
//! calories, sleep, workouts, anything else as a custom measurement type) from Apple Health or
//! Health Connect through the SparkyFitness mobile app, an iOS Shortcut or a script.
//!
//! Where each record goes:
//!
//! | record | stored as |
//! |---|---|
//! | steps, weight, body fat, water, a built-in type (waist, height, resting heart rate…) | a measurement of that type, converted to its canonical unit |
//! | active calories | a measurement of the custom type `active_calories` (kcal) |
//! | sleep | a measurement of the custom type `sleep_hours` (hours) |
//! | distance | a measurement of the custom type `distance_km` (km) |
//! | workout | an exercise diary entry, matched to the exercise catalog by name when possible |
//! | food | skipped: food is logged in Sparky |
//! | anything else | a measurement of a custom type of that name, created on first use |
//!
//! Active calories are a measurement, not an exercise entry: a phone's active energy already
//! contains the energy of its workouts, so adding it to the summary's `burned` (the exercise
//! diary) would count every workout twice. Workouts carry their own calories into `burned`.
//!
//! Resending is safe. `health_data_records` remembers, per (source, kind, key), the values a
//! record stored and the row it became; the key is the sender's id for a workout, else the
//! record's time, else its day. The same values again are skipped; different values replace
//! what the first record wrote (a day's step total that grew during the day replaces the
//! morning's total, it is not added to it); a row the user deleted stays deleted while the
//! phone keeps sending the same values.
//!
//! A batch is one transaction. A record that cannot be stored (a body fat of 150 %, a unit
//! that does not fit its type) is reported with its index and does not stop the others; a
//! request that breaks the documented shape is refused whole (422).

pub mod compat;
mod day_values;
mod input;
mod plan;
mod write;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::outside_readings::LARGER_STORED;
use day_values::{largest_of_each_day, lowers_anothers_total, meet_other_doors};
use input::{bounded, clean_source, too_many, Incoming};
use plan::{
    fail, instant_key, kind_of, measurement_body, measurement_key, measurement_value, plan_native,
    workout_key, DefaultUnit, Draft, DraftBody, Planned, Ready, Settings, Write,
};
use write::{resolve_types, settings, write_measurements, write_workouts};

use crate::error::AppResult;
use crate::workouts::MAX_WORKOUTS_PER_DAY;

pub(crate) use input::{workout_kcal, workout_seconds, workout_speed};
pub use input::{Batch, HealthRecordInput};
pub(crate) use write::match_exercises;

/// Records one request may carry (the SparkyFitness app sends up to 5,000 at once).
pub const MAX_RECORDS: usize = 5000;
/// Measurement types one request may create (a user has at most 200 of their own).
pub const MAX_NEW_TYPES: usize = 50;
/// Longest `type` as sent.
pub const MAX_TYPE: usize = 64;
/// Longest `source`.
pub const MAX_SOURCE: usize = 64;
/// Longest `unit`.
pub const MAX_UNIT: usize = 20;
/// Longest workout name.
pub const MAX_NAME: usize = 100;
/// Longest sender's record id (`source_id`).
pub const MAX_SOURCE_ID: usize = 200;
/// The source of a native record that names none.
pub const DEFAULT_SOURCE: &str = "api";

/// `measurements.value` keeps 6 decimal places.
const VALUE_SCALE: u32 = 6;

// ---------------------------------------------------------------------------------------------
// Outcome
// ---------------------------------------------------------------------------------------------

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Written: a new row, or new values for the row an earlier push of it wrote.
    Stored,
    /// Not written, on purpose: already stored with the same values, repeated later in the
    /// same request, or a kind Sparky does not import.
    Skipped(String),
    /// Not written: what is wrong with it.
    Failed(String),
}

/// What became of each record of a batch, in order.
#[derive(Debug, Clone)]
pub struct PushOutcome {
    pub records: Vec<(String, RecordOutcome)>,
}

impl PushOutcome {
    pub fn processed(&self) -> usize {
        self.count(|o| matches!(o, RecordOutcome::Stored))
    }
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, RecordOutcome::Skipped(_)))
    }
    fn count(&self, f: impl Fn(&RecordOutcome) -> bool) -> usize {
        self.records.iter().filter(|(_, o)| f(o)).count()
    }
}

/// A record that was not stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordError {
    /// Its position in the request, from 0.
    pub index: usize,
    pub message: String,
}

/// The answer to `POST /api/v1/health-data`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthDataResult {
    /// Records written (new, or replacing what an earlier push of the same record wrote).
    pub processed: usize,
    /// Records already stored with the same values (a resend), repeated later in the same
    /// request, or of a kind Sparky does not import (food).
    pub skipped: usize,
    /// Records that could not be stored, and why; the others were stored regardless.
    #[schema(max_items = 5000)]
    pub errors: Vec<RecordError>,
}

impl From<&PushOutcome> for HealthDataResult {
    fn from(o: &PushOutcome) -> HealthDataResult {
        HealthDataResult {
            processed: o.processed(),
            skipped: o.skipped(),
            errors: o
                .records
                .iter()
                .enumerate()
                .filter_map(|(index, (_, r))| match r {
                    RecordOutcome::Failed(message) => Some(RecordError {
                        index,
                        message: message.clone(),
                    }),
                    _ => None,
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Storing
// ---------------------------------------------------------------------------------------------

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".into())
}

/// Reads, checks and stores a batch in the caller's transaction (the caller commits): every
/// record's outcome, in order. Only the caller's own data: a phone pushes its owner's.
pub async fn push(tx: &mut UserTx, batch: Batch) -> AppResult<PushOutcome> {
    // One push at a time per user, so two phones resending at once cannot both insert.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('health_data:' || auth.uid()::text, 0))",
        &[],
    )
    .await?;
    let settings = settings(tx).await?;
    let mut outcomes: Vec<(String, RecordOutcome)> = Vec::with_capacity(batch.len());
    let mut drafts: Vec<(usize, Draft)> = Vec::new();
    for (i, r) in batch.records.iter().enumerate() {
        let (label, planned) = match r {
            Incoming::Native(r) => (r.kind.trim().to_string(), plan_native(r, settings)),
            Incoming::Compat(obj) => compat::plan(obj, settings),
        };
        outcomes.push((
            label,
            planned
                .as_ref()
                .err()
                .cloned()
                .unwrap_or(RecordOutcome::Stored),
        ));
        if let Ok(d) = planned {
            drafts.push((i, d));
        }
    }

    let types = resolve_types(tx, &drafts).await?;
    let workout_names: Vec<String> = drafts
        .iter()
        .filter_map(|(_, d)| match &d.body {
            DraftBody::Workout { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let exercises = match_exercises(tx, &workout_names).await?;

    let mut ready: Vec<Ready> = Vec::with_capacity(drafts.len());
    for (i, d) in drafts {
        let kind = kind_of(&d);
        let note_from = format!("from {}", d.source);
        let write = match d.body {
            DraftBody::Measurement {
                type_name,
                value,
                unit,
                converted,
                default_unit,
            } => {
                let dimension = match &types[&type_name] {
                    Ok(dim) => *dim,
                    Err(problem) => {
                        outcomes[i].1 = fail(problem.clone());
                        continue;
                    }
                };
                match measurement_value(
                    value,
                    unit.as_deref(),
                    converted,
                    default_unit,
                    &type_name,
                    dimension,
                    settings.units,
                ) {
                    Ok((value, unit, raw_unit)) => Write::Measurement {
                        type_name,
                        value,
                        unit,
                        day: d.day,
                        at: d.at,
                        note: match raw_unit {
                            Some(u) => format!("{note_from}, in {u}"),
                            None => note_from,
                        },
                    },
                    Err(o) => {
                        outcomes[i].1 = o;
                        continue;
                    }
                }
            }
            DraftBody::Workout {
                name,
                seconds,
                km,
                kcal,
            } => {
                let hit = exercises.get(&name);
                Write::Workout {
                    exercise_id: hit.map(|h| h.0),
                    name: hit.map(|h| h.1.clone()).unwrap_or_else(|| name.clone()),
                    seconds,
                    km,
                    kcal,
                    day: d.day,
                    at: d.at,
                    note: format!("{name}, {note_from}"),
                }
            }
        };
        let fingerprint = match &write {
            Write::Measurement {
                value,
                unit,
                day,
                at,
                ..
            } => format!(
                // The value second: `day_values::lowers_anothers_total` reads it back.
                "m|{}|{unit}|{day}|{}",
                value.normalize(),
                opt(&at.map(instant_key))
            ),
            Write::Workout {
                seconds,
                km,
                kcal,
                day,
                at,
                note,
                ..
            } => format!(
                "w|{note}|{}|{}|{}|{day}|{}",
                // Whole minutes as they were before durations had seconds, so that pushing the
                // same workout again still finds it unchanged.
                opt(&seconds.map(|s| if s % 60 == 0 {
                    (s / 60).to_string()
                } else {
                    format!("{s}s")
                })),
                opt(&km.map(|k| k.normalize())),
                opt(&kcal.map(|k| k.normalize())),
                opt(&at.map(instant_key))
            ),
        };
        ready.push(Ready {
            index: i,
            source: d.source,
            kind,
            key: d.key,
            fingerprint,
            write,
        });
    }

    // A record repeated in the same request: the last one that can be stored counts (a
    // later one that fails does not take an earlier good one's place).
    let mut last: HashMap<(String, String, String), usize> = HashMap::new();
    for r in &ready {
        last.insert((r.source.clone(), r.kind.clone(), r.key.clone()), r.index);
    }
    ready.retain(|r| {
        let latest = last[&(r.source.clone(), r.kind.clone(), r.key.clone())] == r.index;
        if !latest {
            outcomes[r.index].1 =
                RecordOutcome::Skipped("the same record comes again later in this request".into());
        }
        latest
    });

    // What earlier pushes of these records stored.
    let sources: Vec<&str> = ready.iter().map(|r| r.source.as_str()).collect();
    let kinds: Vec<&str> = ready.iter().map(|r| r.kind.as_str()).collect();
    let keys: Vec<&str> = ready.iter().map(|r| r.key.as_str()).collect();
    let rows = tx
        .query(
            "SELECT h.source, h.kind, h.record_key, h.fingerprint, h.measurement_id,
                    h.exercise_diary_id, m.type::text, m.value
             FROM health_data_records h
             JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(source, kind, record_key)
               ON (h.source, h.kind, h.record_key) = (k.source, k.kind, k.record_key)
             LEFT JOIN measurements m ON m.id = h.measurement_id
             WHERE h.user_id = auth.uid()",
            &[&sources, &kinds, &keys],
        )
        .await?;
    type Known = (
        String,
        Option<Uuid>,
        Option<Uuid>,
        Option<String>,
        Option<Decimal>,
    );
    let known: HashMap<(String, String, String), Known> = rows
        .iter()
        .map(|r| {
            (
                (r.get(0), r.get(1), r.get(2)),
                (r.get(3), r.get(4), r.get(5), r.get(6), r.get(7)),
            )
        })
        .collect();

    // Inserts get their ids here, so the ledger can point at them without a round trip each.
    let mut inserts: Vec<(Uuid, &Ready)> = Vec::new();
    let mut updates: Vec<(Uuid, &Ready)> = Vec::new();
    let mut links: Vec<(Uuid, &Ready)> = Vec::new();
    for r in &ready {
        match known.get(&(r.source.clone(), r.kind.clone(), r.key.clone())) {
            Some((fp, ..)) if *fp == r.fingerprint => {
                outcomes[r.index].1 =
                    RecordOutcome::Skipped("already stored with the same values (a resend)".into());
            }
            // Only a reading of the record's own type is updated: a ledger row pointing at
            // another type's (an edited archive) made every later push "processed" and lost.
            Some((fp, Some(m), _, Some(t), Some(now))) if matches!(&r.write, Write::Measurement { type_name, .. } if type_name == t) => {
                if lowers_anothers_total(&r.write, fp, *now) {
                    outcomes[r.index].1 = RecordOutcome::Skipped(LARGER_STORED.into());
                    links.push((*m, r));
                } else {
                    updates.push((*m, r))
                }
            }
            Some((_, _, Some(w), ..)) if matches!(r.write, Write::Workout { .. }) => {
                updates.push((*w, r))
            }
            _ => inserts.push((Uuid::new_v4(), r)),
        }
    }

    links.extend(meet_other_doors(tx, &mut inserts, &mut updates, &mut outcomes).await?);
    largest_of_each_day(&mut inserts, &mut updates, &mut links, &mut outcomes);

    // A diary day holds at most MAX_WORKOUTS_PER_DAY workouts.
    let workout_days: Vec<NaiveDate> = inserts
        .iter()
        .filter_map(|(_, r)| match &r.write {
            Write::Workout { day, .. } => Some(*day),
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut per_day: HashMap<NaiveDate, i64> = HashMap::new();
    if !workout_days.is_empty() {
        let rows = tx
            .query(
                "SELECT entry_date, workouts::bigint FROM diary_day_totals
                 WHERE user_id = auth.uid() AND entry_date = ANY($1)",
                &[&workout_days],
            )
            .await?;
        per_day.extend(
            rows.iter()
                .map(|r| (r.get::<_, NaiveDate>(0), r.get::<_, i64>(1))),
        );
    }
    inserts.retain(|(_, r)| {
        let Write::Workout { day, .. } = &r.write else {
            return true;
        };
        let n = per_day.entry(*day).or_insert(0);
        if *n >= MAX_WORKOUTS_PER_DAY {
            outcomes[r.index].1 = fail(format!(
                "a diary day holds at most {MAX_WORKOUTS_PER_DAY} workouts"
            ));
            return false;
        }
        *n += 1;
        true
    });

    let tz = settings.tz.name();
    write_measurements(tx, &inserts, &updates, tz).await?;
    write_workouts(tx, &inserts, &updates, tz).await?;

    // Remember what each stored record became.
    let stored: Vec<&(Uuid, &Ready)> = inserts
        .iter()
        .chain(updates.iter())
        .chain(links.iter())
        .collect();
    if !stored.is_empty() {
        let sources: Vec<&str> = stored.iter().map(|(_, r)| r.source.as_str()).collect();
        let kinds: Vec<&str> = stored.iter().map(|(_, r)| r.kind.as_str()).collect();
        let keys: Vec<&str> = stored.iter().map(|(_, r)| r.key.as_str()).collect();
        let fps: Vec<&str> = stored.iter().map(|(_, r)| r.fingerprint.as_str()).collect();
        let measurement_ids: Vec<Option<Uuid>> = stored
            .iter()
            .map(|(id, r)| matches!(r.write, Write::Measurement { .. }).then_some(*id))
            .collect();
        let workout_ids: Vec<Option<Uuid>> = stored
            .iter()
            .map(|(id, r)| matches!(r.write, Write::Workout { .. }).then_some(*id))
            .collect();
        tx.execute(
            "INSERT INTO health_data_records (user_id, source, kind, record_key, fingerprint,
                                              measurement_id, exercise_diary_id)
             SELECT auth.uid(), k.source, k.kind, k.record_key, k.fingerprint, k.m, k.w
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::uuid[])
                  AS k(source, kind, record_key, fingerprint, m, w)
             ON CONFLICT (user_id, source, kind, record_key) DO UPDATE
                SET fingerprint = EXCLUDED.fingerprint,
                    measurement_id = EXCLUDED.measurement_id,
                    exercise_diary_id = EXCLUDED.exercise_diary_id",
            &[
                &sources,
                &kinds,
                &keys,
                &fps,
                &measurement_ids,
                &workout_ids,
            ],
        )
        .await?;
    }
    day_values::settle_day_totals(tx, &stored).await?;
    Ok(PushOutcome { records: outcomes })
}
