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

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::health::{self, HealthType};
use sparky_core::measure::{self, Dimension, MeasureUnit};
use sparky_core::units::round_dp;
use sparky_core::{Amount, Date, DistanceUnit, Timestamp, UnitsSystem};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult, Validation};
use crate::measurement_types::{self, NewMeasurementType, MAX_CUSTOM_TYPES};
use crate::workouts::input::MAX_DURATION_MINUTES;
use crate::workouts::MAX_WORKOUTS_PER_DAY;

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
// Input (`POST /api/v1/health-data`)
// ---------------------------------------------------------------------------------------------

/// One health record. `type` decides what the other fields mean (see the endpoint's types
/// table); numbers out of range for their type, or a unit that does not fit it, are reported
/// for that record alone.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthRecordInput {
    /// What was measured: `steps`, `weight`, `body_fat`, `water`, `active_calories`, `sleep`,
    /// `distance`, `workout`, a built-in measurement type (`waist`, `height`,
    /// `resting_heart_rate`…) or any other name, which becomes a custom measurement type.
    /// Letter case, spaces, dashes and camelCase do not matter.
    #[serde(rename = "type")]
    #[schema(rename = "type", min_length = 1, max_length = 64)]
    pub kind: String,
    /// The reading, in `unit`; every type but `workout` needs one. At least 0.
    #[schema(value_type = Option<f64>)]
    pub value: Option<Amount>,
    /// The unit of `value`: a unit of the type (kg, lb, %, ml, fl oz, count, bpm, cm, in…;
    /// kcal or kJ for active calories; h, min or s for sleep; m, km or mi for distance).
    /// Default: your display unit (lb, in, fl oz for imperial; kg, cm, ml for metric), kcal,
    /// hours, and your distance unit.
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    /// The day it belongs to, in your timezone.
    pub date: Date,
    /// When it was measured (or a workout started). Records of one source and type with the
    /// same time are the same record; without a time, the same day is (one value a day, the
    /// latest replaces the earlier).
    pub timestamp: Option<Timestamp>,
    /// Who sent it, e.g. `HealthKit` or `Shortcuts`; records are told apart per source.
    /// Default: `api`.
    #[schema(max_length = 64)]
    pub source: Option<String>,
    /// Workouts: the activity, e.g. `Running`; matched to the exercise catalog when it can be.
    #[schema(max_length = 100)]
    pub name: Option<String>,
    /// Workouts: minutes, 0 to 10080.
    #[schema(value_type = Option<f64>)]
    pub duration_minutes: Option<Amount>,
    /// Workouts: distance in `distance_unit`, 0 to 100000.
    #[schema(value_type = Option<f64>)]
    pub distance: Option<Amount>,
    /// Workouts: km or mi (default: your units).
    pub distance_unit: Option<DistanceUnit>,
    /// Workouts: kcal burned, 0 to 100000 (default: estimated from the exercise's MET value
    /// when it matches the catalog).
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
}

/// A checked batch, ready for [`push`].
#[derive(Debug, Clone)]
pub struct Batch {
    records: Vec<Incoming>,
}

#[derive(Debug, Clone)]
enum Incoming {
    Native(HealthRecordInput),
    Compat(serde_json::Map<String, serde_json::Value>),
}

fn too_many(n: usize) -> AppError {
    AppError::invalid(
        "body",
        format!(
            "{n} records; one request takes at most {MAX_RECORDS}: send the rest in another request"
        ),
    )
}

impl Batch {
    /// Checks what the OpenAPI document promises to refuse: more than [`MAX_RECORDS`]
    /// records, and text longer than its field allows. Everything else is checked per record.
    pub fn native(records: Vec<HealthRecordInput>) -> AppResult<Batch> {
        if records.len() > MAX_RECORDS {
            return Err(too_many(records.len()));
        }
        let mut v = Validation::new();
        for (i, r) in records.iter().enumerate() {
            let mut check = |field: &str, text: Option<&str>, min: usize, max: usize| {
                if let Some(t) = text {
                    let n = t.chars().count();
                    if n < min || n > max {
                        v.add(
                            &format!("[{i}].{field}"),
                            format!("must be {min} to {max} characters"),
                        );
                    }
                }
            };
            check("type", Some(&r.kind), 1, MAX_TYPE);
            check("unit", r.unit.as_deref(), 0, MAX_UNIT);
            check("source", r.source.as_deref(), 0, MAX_SOURCE);
            check("name", r.name.as_deref(), 0, MAX_NAME);
        }
        v.finish()?;
        Ok(Batch {
            records: records.into_iter().map(Incoming::Native).collect(),
        })
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

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
// Planning: each record read into what it would store (pure)
// ---------------------------------------------------------------------------------------------

/// The owner's settings records are read with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub tz: chrono_tz::Tz,
    pub units: UnitsSystem,
}

/// A unit left out means the owner's display unit (Sparky's API) or the canonical unit
/// (SparkyFitness, whose senders convert to kg, cm and ml first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultUnit {
    Display,
    Canonical,
}

/// What one record would store.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub source: String,
    /// Tells records of one source and kind apart.
    pub key: String,
    pub day: NaiveDate,
    pub at: Option<DateTime<Utc>>,
    pub body: DraftBody,
}

#[derive(Debug, Clone)]
pub(crate) enum DraftBody {
    Measurement {
        type_name: String,
        value: Decimal,
        unit: Option<String>,
        /// `value` is final (kcal, hours, km) and the type a count.
        converted: bool,
        default_unit: DefaultUnit,
    },
    Workout {
        /// As sent.
        name: String,
        minutes: Option<i32>,
        km: Option<Decimal>,
        kcal: Option<Decimal>,
    },
}

/// A record that plans to nothing: skipped on purpose, or failed.
pub(crate) type Planned = Result<Draft, RecordOutcome>;

fn fail(message: impl Into<String>) -> RecordOutcome {
    RecordOutcome::Failed(message.into())
}

pub(crate) fn instant_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The key of a measurement: its time, else its day.
pub(crate) fn measurement_key(day: NaiveDate, at: Option<DateTime<Utc>>) -> String {
    match at {
        Some(at) => instant_key(at),
        None => day.format("%Y-%m-%d").to_string(),
    }
}

/// The key of a workout: the sender's id, else its start, else its day and activity.
pub(crate) fn workout_key(
    source_id: Option<&str>,
    day: NaiveDate,
    at: Option<DateTime<Utc>>,
    name: &str,
) -> String {
    match (source_id, at) {
        (Some(id), _) => format!("id:{id}"),
        (None, Some(at)) => instant_key(at),
        (None, None) => format!("{}|{}", day.format("%Y-%m-%d"), name.to_lowercase()),
    }
}

fn clean_source(source: Option<&str>, default: &str) -> Result<String, RecordOutcome> {
    let s = source.map(str::trim).unwrap_or_default();
    if s.chars().count() > MAX_SOURCE {
        return Err(fail(format!(
            "source must be at most {MAX_SOURCE} characters"
        )));
    }
    Ok(if s.is_empty() {
        default.to_string()
    } else {
        s.to_string()
    })
}

fn bounded(
    what: &str,
    v: Option<Decimal>,
    max: Decimal,
    unit: &str,
) -> Result<Option<Decimal>, RecordOutcome> {
    match v {
        Some(v) if v.is_sign_negative() && !v.is_zero() => {
            Err(fail(format!("{what} must not be negative")))
        }
        Some(v) if v > max => Err(fail(format!("{what} must be at most {max} {unit}"))),
        v => Ok(v),
    }
}

/// Whole minutes of a workout (0 to a week).
pub(crate) fn workout_minutes(minutes: Option<Decimal>) -> Result<Option<i32>, RecordOutcome> {
    let m = bounded(
        "duration_minutes",
        minutes,
        Decimal::from(MAX_DURATION_MINUTES),
        "minutes",
    )?;
    Ok(m.map(|m| {
        use rust_decimal::prelude::ToPrimitive;
        round_dp(m, 0).to_i32().unwrap_or(0)
    }))
}

/// A workout's kcal (0 to 100,000), 2 places as the diary keeps them.
pub(crate) fn workout_kcal(kcal: Option<Decimal>) -> Result<Option<Decimal>, RecordOutcome> {
    Ok(bounded("calories", kcal, health::MAX_ENERGY_KCAL, "kcal")?.map(|c| round_dp(c, 2)))
}

/// A measurement-like record's body: the value converted where the type is not a body
/// measurement (active calories, sleep, distance).
pub(crate) fn measurement_body(
    kind: &HealthType,
    value: Decimal,
    unit: Option<&str>,
    default_unit: DefaultUnit,
    distance_default: &str,
) -> Result<DraftBody, RecordOutcome> {
    let converted = match kind {
        HealthType::ActiveCalories => Some(health::energy_kcal(value, unit)),
        HealthType::Sleep => Some(health::sleep_hours(value, unit)),
        HealthType::Distance => Some(health::distance_km(value, unit, distance_default)),
        _ => None,
    };
    let type_name = kind
        .measurement_type()
        .ok_or_else(|| fail("not a measurement"))?
        .to_string();
    Ok(match converted {
        Some(Ok(v)) => DraftBody::Measurement {
            type_name,
            value: v,
            unit: None,
            converted: true,
            default_unit,
        },
        Some(Err(problem)) => return Err(fail(problem)),
        None => DraftBody::Measurement {
            type_name,
            value,
            unit: unit.map(str::to_string),
            converted: false,
            default_unit,
        },
    })
}

fn plan_native(r: &HealthRecordInput, settings: Settings) -> Planned {
    let kind = HealthType::classify(&r.kind).map_err(fail)?;
    let source = clean_source(r.source.as_deref(), DEFAULT_SOURCE)?;
    let day = r.date.get();
    let at = r.timestamp.map(Timestamp::get);
    let has_workout_fields = r.name.is_some()
        || r.duration_minutes.is_some()
        || r.distance.is_some()
        || r.distance_unit.is_some()
        || r.calories.is_some();
    match kind {
        HealthType::Nutrition => Err(RecordOutcome::Skipped(
            "food is not imported from the phone: log it in Sparky".into(),
        )),
        HealthType::Workout => {
            if r.value.is_some() || r.unit.is_some() {
                return Err(fail(
                    "a workout has name, duration_minutes, distance and calories, not value and unit",
                ));
            }
            let name = r
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| fail("a workout needs a name, e.g. Running"))?
                .to_string();
            let minutes = workout_minutes(r.duration_minutes.map(Amount::decimal))?;
            let distance_unit = r
                .distance_unit
                .unwrap_or_else(|| DistanceUnit::of(settings.units));
            let km = bounded(
                "distance",
                r.distance.map(Amount::decimal),
                health::MAX_DISTANCE_KM,
                "",
            )?
            .map(|d| round_dp(distance_unit.to_km(d), VALUE_SCALE));
            let kcal = workout_kcal(r.calories.map(Amount::decimal))?;
            Ok(Draft {
                key: workout_key(None, day, at, &name),
                source,
                day,
                at,
                body: DraftBody::Workout {
                    name,
                    minutes,
                    km,
                    kcal,
                },
            })
        }
        kind => {
            if has_workout_fields {
                return Err(fail(
                    "name, duration_minutes, distance, distance_unit and calories are for workouts",
                ));
            }
            let value = r.value.ok_or_else(|| fail("value is missing"))?.decimal();
            let unit = r.unit.as_deref().map(str::trim).filter(|u| !u.is_empty());
            let distance_default = match DistanceUnit::of(settings.units) {
                DistanceUnit::Km => "km",
                DistanceUnit::Mi => "mi",
            };
            let body =
                measurement_body(&kind, value, unit, DefaultUnit::Display, distance_default)?;
            Ok(Draft {
                key: measurement_key(day, at),
                source,
                day,
                at,
                body,
            })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Storing
// ---------------------------------------------------------------------------------------------

/// A record ready to write: what it stores and its fingerprint.
#[derive(Debug, Clone)]
struct Ready {
    index: usize,
    source: String,
    kind: String,
    key: String,
    fingerprint: String,
    write: Write,
}

#[derive(Debug, Clone)]
enum Write {
    Measurement {
        type_name: String,
        value: Decimal,
        unit: String,
        day: NaiveDate,
        at: Option<DateTime<Utc>>,
        note: String,
    },
    Workout {
        exercise_id: Option<Uuid>,
        name: String,
        minutes: Option<i32>,
        km: Option<Decimal>,
        kcal: Option<Decimal>,
        day: NaiveDate,
        at: Option<DateTime<Utc>>,
        note: String,
    },
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".into())
}

/// The owner's timezone and units.
async fn settings(tx: &mut UserTx) -> AppResult<Settings> {
    let row = tx
        .query_opt(
            "SELECT timezone, units_system FROM user_preferences WHERE user_id = auth.uid() LIMIT 1",
            &[],
        )
        .await?;
    let tz = row
        .as_ref()
        .and_then(|r| r.get::<_, Option<String>>(0))
        .and_then(|t| t.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let units = UnitsSystem::from_preference(
        row.as_ref()
            .and_then(|r| r.get::<_, Option<String>>(1))
            .as_deref(),
    );
    Ok(Settings { tz, units })
}

/// Whether a custom type made for health data may take the dimension `unit` names: body-like
/// units do; lengths (a girth is at most 500 cm, a walk is not) and grams (a nutrient shown in
/// kg) keep the value as sent in a count.
fn dimension_for_new_type(unit: Option<&str>) -> Dimension {
    match unit.map(MeasureUnit::parse) {
        Some(Ok(MeasureUnit::G)) | Some(Err(_)) | None => Dimension::Count,
        Some(Ok(u)) if u.dimension() == Dimension::Length => Dimension::Count,
        Some(Ok(u)) => u.dimension(),
    }
}

/// The dimension of each measurement type the drafts use, creating the missing ones as the
/// owner's custom types (at most [`MAX_NEW_TYPES`]). A type that could not be created maps to
/// the reason.
async fn resolve_types(
    tx: &mut UserTx,
    drafts: &[(usize, Draft)],
) -> AppResult<HashMap<String, Result<Dimension, String>>> {
    let mut first_unit: Vec<(String, Option<String>, bool)> = Vec::new();
    let mut seen = HashSet::new();
    for (_, d) in drafts {
        if let DraftBody::Measurement {
            type_name,
            unit,
            converted,
            ..
        } = &d.body
        {
            if seen.insert(type_name.clone()) {
                first_unit.push((type_name.clone(), unit.clone(), *converted));
            }
        }
    }
    let names: Vec<&str> = first_unit.iter().map(|(n, _, _)| n.as_str()).collect();
    let rows = tx
        .query(
            "SELECT DISTINCT ON (name) name, dimension FROM measurement_types
             WHERE name = ANY($1) AND (user_id IS NULL OR user_id = auth.uid())
             ORDER BY name, user_id NULLS FIRST",
            &[&names],
        )
        .await?;
    let mut out: HashMap<String, Result<Dimension, String>> = rows
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            let dim = Dimension::parse(r.get::<_, &str>(1)).unwrap_or(Dimension::Count);
            (name, Ok(dim))
        })
        .collect();
    let mut created = 0;
    for (name, unit, converted) in first_unit {
        if out.contains_key(&name) {
            continue;
        }
        if created >= MAX_NEW_TYPES {
            out.insert(
                name,
                Err(format!(
                    "one request creates at most {MAX_NEW_TYPES} new measurement types; send \
                     this record again to create its type"
                )),
            );
            continue;
        }
        let dimension = if converted {
            Dimension::Count
        } else {
            dimension_for_new_type(unit.as_deref())
        };
        let new = NewMeasurementType {
            name: name.clone(),
            dimension,
        };
        match measurement_types::create(tx, &new).await {
            Ok(_) => {
                created += 1;
                out.insert(name, Ok(dimension));
            }
            Err(AppError::Invalid(_)) => {
                out.insert(
                    name,
                    Err(format!(
                        "you have {MAX_CUSTOM_TYPES} custom measurement types, the most one user \
                         may have; delete one to store new kinds of data"
                    )),
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The stored value and unit of a measurement draft of a type of `dimension`, and the unit
/// as sent when it could not be converted (a custom count keeps the value as sent).
fn measurement_value(
    value: Decimal,
    unit: Option<&str>,
    converted: bool,
    default_unit: DefaultUnit,
    type_name: &str,
    dimension: Dimension,
    units: UnitsSystem,
) -> Result<(Decimal, String, Option<String>), RecordOutcome> {
    let check = |v: Decimal, d: Dimension| {
        measure::check_canonical(v, d)
            .map(|_| round_dp(v, VALUE_SCALE))
            .map_err(|e| fail(format!("value: {e}")))
    };
    if converted {
        if dimension != Dimension::Count {
            return Err(fail(format!(
                "your measurement type {type_name} measures {dimension}; phones store a count \
                 in it"
            )));
        }
        return Ok((check(value, dimension)?, "count".into(), None));
    }
    let canonical_unit = dimension.canonical_unit().as_str().to_string();
    let unit = match unit {
        Some(u) => u.to_string(),
        None => match default_unit {
            DefaultUnit::Display => dimension.display_unit(units).as_str().to_string(),
            DefaultUnit::Canonical => canonical_unit.clone(),
        },
    };
    match MeasureUnit::parse(&unit) {
        Ok(u) if u.dimension() == dimension => {
            let v = measure::to_canonical(value, u, dimension)
                .map_err(|e| fail(format!("value: {e}")))?;
            Ok((check(v, dimension)?, canonical_unit, None))
        }
        // A custom count keeps a value of any unit as sent, naming the unit in its note.
        _ if dimension == Dimension::Count => {
            let raw = (unit != "count").then_some(unit);
            Ok((check(value, dimension)?, canonical_unit, raw))
        }
        Ok(u) => Err(fail(format!(
            "unit: {u} is not a unit of {type_name} ({dimension}); use one of: {}",
            dimension
                .units()
                .iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Err(e) => Err(fail(format!("unit: {e}"))),
    }
}

/// The catalog exercise (or the owner's own) each workout name stands for.
pub(crate) async fn match_exercises(
    tx: &mut UserTx,
    names: &[String],
) -> AppResult<HashMap<String, (Uuid, String)>> {
    let candidates: Vec<(String, Vec<String>)> = names
        .iter()
        .map(|n| (n.clone(), health::activity_candidates(n)))
        .collect();
    let all: Vec<String> = candidates
        .iter()
        .flat_map(|(_, c)| c.iter().cloned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if all.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = tx
        .query(
            "SELECT DISTINCT ON (lower(name)) lower(name), id, name FROM exercises
             WHERE lower(name) = ANY($1) AND (user_id IS NULL OR user_id = auth.uid())
             ORDER BY lower(name), user_id NULLS LAST, id",
            &[&all],
        )
        .await?;
    let found: HashMap<String, (Uuid, String)> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), (r.get(1), r.get(2))))
        .collect();
    Ok(candidates
        .into_iter()
        .filter_map(|(name, c)| {
            c.iter()
                .find_map(|k| found.get(k).cloned())
                .map(|hit| (name, hit))
        })
        .collect())
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

    // A record repeated in the same request: the last one counts.
    let mut last: HashMap<(String, String, String), usize> = HashMap::new();
    for (i, d) in &drafts {
        last.insert((d.source.clone(), kind_of(d), d.key.clone()), *i);
    }
    drafts.retain(|(i, d)| {
        let latest = last[&(d.source.clone(), kind_of(d), d.key.clone())] == *i;
        if !latest {
            outcomes[*i].1 =
                RecordOutcome::Skipped("the same record comes again later in this request".into());
        }
        latest
    });

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
                minutes,
                km,
                kcal,
            } => {
                let hit = exercises.get(&name);
                Write::Workout {
                    exercise_id: hit.map(|h| h.0),
                    name: hit.map(|h| h.1.clone()).unwrap_or_else(|| name.clone()),
                    minutes,
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
                "m|{}|{unit}|{day}|{}",
                value.normalize(),
                opt(&at.map(instant_key))
            ),
            Write::Workout {
                minutes,
                km,
                kcal,
                day,
                at,
                note,
                ..
            } => format!(
                "w|{note}|{}|{}|{}|{day}|{}",
                opt(minutes),
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

    // What earlier pushes of these records stored.
    let sources: Vec<&str> = ready.iter().map(|r| r.source.as_str()).collect();
    let kinds: Vec<&str> = ready.iter().map(|r| r.kind.as_str()).collect();
    let keys: Vec<&str> = ready.iter().map(|r| r.key.as_str()).collect();
    let rows = tx
        .query(
            "SELECT h.source, h.kind, h.record_key, h.fingerprint, h.measurement_id,
                    h.exercise_diary_id
             FROM health_data_records h
             JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(source, kind, record_key)
               ON (h.source, h.kind, h.record_key) = (k.source, k.kind, k.record_key)
             WHERE h.user_id = auth.uid()",
            &[&sources, &kinds, &keys],
        )
        .await?;
    type Known = (String, Option<Uuid>, Option<Uuid>);
    let known: HashMap<(String, String, String), Known> = rows
        .iter()
        .map(|r| {
            (
                (r.get(0), r.get(1), r.get(2)),
                (r.get(3), r.get(4), r.get(5)),
            )
        })
        .collect();

    // Inserts get their ids here, so the ledger can point at them without a round trip each.
    let mut inserts: Vec<(Uuid, &Ready)> = Vec::new();
    let mut updates: Vec<(Uuid, &Ready)> = Vec::new();
    for r in &ready {
        match known.get(&(r.source.clone(), r.kind.clone(), r.key.clone())) {
            Some((fp, _, _)) if *fp == r.fingerprint => {
                outcomes[r.index].1 =
                    RecordOutcome::Skipped("already stored with the same values (a resend)".into());
            }
            Some((_, Some(m), _)) if matches!(r.write, Write::Measurement { .. }) => {
                updates.push((*m, r))
            }
            Some((_, _, Some(w))) if matches!(r.write, Write::Workout { .. }) => {
                updates.push((*w, r))
            }
            _ => inserts.push((Uuid::new_v4(), r)),
        }
    }

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
    let stored: Vec<&(Uuid, &Ready)> = inserts.iter().chain(updates.iter()).collect();
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
    Ok(PushOutcome { records: outcomes })
}

/// The ledger's kind of a draft: its measurement type, or `workout`.
fn kind_of(d: &Draft) -> String {
    match &d.body {
        DraftBody::Measurement { type_name, .. } => type_name.clone(),
        DraftBody::Workout { .. } => "workout".into(),
    }
}

async fn write_measurements(
    tx: &mut UserTx,
    inserts: &[(Uuid, &Ready)],
    updates: &[(Uuid, &Ready)],
    tz: &str,
) -> AppResult<()> {
    struct Cols<'a> {
        ids: Vec<Uuid>,
        types: Vec<&'a str>,
        values: Vec<Decimal>,
        units: Vec<&'a str>,
        ats: Vec<Option<DateTime<Utc>>>,
        days: Vec<NaiveDate>,
        notes: Vec<&'a str>,
    }
    fn cols<'a>(rows: &'a [(Uuid, &'a Ready)]) -> Cols<'a> {
        let mut c = Cols {
            ids: vec![],
            types: vec![],
            values: vec![],
            units: vec![],
            ats: vec![],
            days: vec![],
            notes: vec![],
        };
        for (id, r) in rows {
            if let Write::Measurement {
                type_name,
                value,
                unit,
                day,
                at,
                note,
            } = &r.write
            {
                c.ids.push(*id);
                c.types.push(type_name);
                c.values.push(*value);
                c.units.push(unit);
                c.ats.push(*at);
                c.days.push(*day);
                c.notes.push(note);
            }
        }
        c
    }
    let new = cols(inserts);
    if !new.ids.is_empty() {
        tx.execute(
            "INSERT INTO measurements (id, user_id, type, value, unit, measured_at, entry_date, note)
             SELECT m.id, auth.uid(), m.type, m.value, m.unit,
                    coalesce(m.at, (m.day + time '12:00') AT TIME ZONE $8), m.day, m.note
             FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[], $5::timestamptz[],
                         $6::date[], $7::text[]) AS m(id, type, value, unit, at, day, note)",
            &[
                &new.ids,
                &new.types,
                &new.values,
                &new.units,
                &new.ats,
                &new.days,
                &new.notes,
                &tz,
            ],
        )
        .await?;
    }
    let changed = cols(updates);
    if !changed.ids.is_empty() {
        tx.execute(
            "UPDATE measurements AS t SET value = m.value, unit = m.unit,
                    measured_at = coalesce(m.at, (m.day + time '12:00') AT TIME ZONE $8),
                    entry_date = m.day, note = m.note
             FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[], $5::timestamptz[],
                         $6::date[], $7::text[]) AS m(id, type, value, unit, at, day, note)
             WHERE t.id = m.id AND t.type = m.type",
            &[
                &changed.ids,
                &changed.types,
                &changed.values,
                &changed.units,
                &changed.ats,
                &changed.days,
                &changed.notes,
                &tz,
            ],
        )
        .await?;
    }
    Ok(())
}

async fn write_workouts(
    tx: &mut UserTx,
    inserts: &[(Uuid, &Ready)],
    updates: &[(Uuid, &Ready)],
    tz: &str,
) -> AppResult<()> {
    #[derive(Default)]
    struct Cols<'a> {
        ids: Vec<Uuid>,
        exercise_ids: Vec<Option<Uuid>>,
        names: Vec<&'a str>,
        minutes: Vec<Option<i32>>,
        km: Vec<Option<Decimal>>,
        kcal: Vec<Option<Decimal>>,
        ats: Vec<Option<DateTime<Utc>>>,
        days: Vec<NaiveDate>,
        notes: Vec<&'a str>,
    }
    fn cols<'a>(rows: &'a [(Uuid, &'a Ready)]) -> Cols<'a> {
        let mut c = Cols::default();
        for (id, r) in rows {
            if let Write::Workout {
                exercise_id,
                name,
                minutes,
                km,
                kcal,
                day,
                at,
                note,
            } = &r.write
            {
                c.ids.push(*id);
                c.exercise_ids.push(*exercise_id);
                c.names.push(name);
                c.minutes.push(*minutes);
                c.km.push(*km);
                c.kcal.push(*kcal);
                c.ats.push(*at);
                c.days.push(*day);
                c.notes.push(note);
            }
        }
        c
    }
    const INPUT: &str = "unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[], $5::numeric[],
                                $6::numeric[], $7::timestamptz[], $8::date[], $9::text[])
                         AS w(id, exercise_id, name, minutes, km, kcal, at, day, note)";
    let new = cols(inserts);
    if !new.ids.is_empty() {
        tx.execute(
            &format!(
                "INSERT INTO exercise_diary (id, user_id, exercise_id, exercise_name, met_value,
                     duration_minutes, distance_km, distance, notes, performed_at, entry_date,
                     calories_burned, calories_source)
                 SELECT w.id, auth.uid(), w.exercise_id, w.name, e.met_value, w.minutes, w.km,
                        round(w.km, 2), w.note,
                        coalesce(w.at, (w.day + time '12:00') AT TIME ZONE $10), w.day, w.kcal,
                        CASE WHEN w.kcal IS NULL THEN NULL ELSE 'user' END
                 FROM {INPUT} LEFT JOIN exercises e ON e.id = w.exercise_id"
            ),
            &[
                &new.ids,
                &new.exercise_ids,
                &new.names,
                &new.minutes,
                &new.km,
                &new.kcal,
                &new.ats,
                &new.days,
                &new.notes,
                &tz,
            ],
        )
        .await?;
    }
    let changed = cols(updates);
    if !changed.ids.is_empty() {
        tx.execute(
            &format!(
                "UPDATE exercise_diary AS d SET exercise_id = w.exercise_id, exercise_name = w.name,
                     met_value = w.met, duration_minutes = w.minutes, distance_km = w.km,
                     distance = round(w.km, 2), notes = w.note,
                     performed_at = coalesce(w.at, (w.day + time '12:00') AT TIME ZONE $10),
                     entry_date = w.day, calories_burned = w.kcal,
                     calories_source = CASE WHEN w.kcal IS NULL THEN NULL ELSE 'user' END
                 FROM (SELECT w.*, e.met_value AS met FROM {INPUT}
                       LEFT JOIN exercises e ON e.id = w.exercise_id) AS w
                 WHERE d.id = w.id"
            ),
            &[
                &changed.ids,
                &changed.exercise_ids,
                &changed.names,
                &changed.minutes,
                &changed.km,
                &changed.kcal,
                &changed.ats,
                &changed.days,
                &changed.notes,
                &tz,
            ],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn settings() -> Settings {
        Settings {
            tz: chrono_tz::Europe::Berlin,
            units: UnitsSystem::Metric,
        }
    }

    fn record(json: serde_json::Value) -> HealthRecordInput {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn native_records_plan_to_measurements_and_workouts() {
        let d = plan_native(
            &record(serde_json::json!({"type": "Steps", "value": 8000, "date": "2026-06-01"})),
            settings(),
        )
        .unwrap();
        assert_eq!(d.key, "2026-06-01");
        assert_eq!(d.source, "api");
        assert!(
            matches!(d.body, DraftBody::Measurement { ref type_name, .. } if type_name == "steps")
        );

        let d = plan_native(
            &record(
                serde_json::json!({"type": "sleep", "value": 450, "unit": "min",
                                       "date": "2026-06-01", "source": " Watch "}),
            ),
            settings(),
        )
        .unwrap();
        assert_eq!(d.source, "Watch");
        match d.body {
            DraftBody::Measurement {
                type_name,
                value,
                converted,
                ..
            } => {
                assert_eq!(type_name, "sleep_hours");
                assert_eq!(value, num("7.5"));
                assert!(converted);
            }
            other => panic!("{other:?}"),
        }

        let d = plan_native(
            &record(
                serde_json::json!({"type": "workout", "name": "Running", "date": "2026-06-01",
                                       "timestamp": "2026-06-01T06:00:00Z",
                                       "duration_minutes": 30.4, "distance": 5, "calories": 300}),
            ),
            settings(),
        )
        .unwrap();
        assert_eq!(d.key, "2026-06-01T06:00:00Z");
        match d.body {
            DraftBody::Workout {
                minutes, km, kcal, ..
            } => {
                assert_eq!(minutes, Some(30));
                assert_eq!(km, Some(num("5")));
                assert_eq!(kcal, Some(num("300")));
            }
            other => panic!("{other:?}"),
        }

        for (bad, why) in [
            (
                serde_json::json!({"type": "weight", "date": "2026-06-01"}),
                "value is missing",
            ),
            (
                serde_json::json!({"type": "workout", "date": "2026-06-01", "duration_minutes": 5}),
                "needs a name",
            ),
            (
                serde_json::json!({"type": "weight", "value": 80, "calories": 5, "date": "2026-06-01"}),
                "for workouts",
            ),
            (
                serde_json::json!({"type": "sleep", "value": 30, "date": "2026-06-01"}),
                "at most 24",
            ),
            (
                serde_json::json!({"type": "workout", "name": "Run", "duration_minutes": 20000, "date": "2026-06-01"}),
                "at most 10080",
            ),
            (
                serde_json::json!({"type": "123", "value": 1, "date": "2026-06-01"}),
                "letter first",
            ),
        ] {
            match plan_native(&record(bad.clone()), settings()) {
                Err(RecordOutcome::Failed(m)) => assert!(m.contains(why), "{bad}: {m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            plan_native(
                &record(serde_json::json!({"type": "Nutrition", "value": 1, "date": "2026-06-01"})),
                settings()
            ),
            Err(RecordOutcome::Skipped(_))
        ));
    }

    #[test]
    fn values_convert_into_their_types_units() {
        let imperial = UnitsSystem::Imperial;
        // 180 lb → kg, exactly, 6 places.
        let (v, u, raw) = measurement_value(
            num("180"),
            Some("lb"),
            false,
            DefaultUnit::Display,
            "weight",
            Dimension::Mass,
            UnitsSystem::Metric,
        )
        .unwrap();
        assert_eq!((v, u.as_str(), raw), (num("81.646627"), "kg", None));
        // No unit: the display unit (Sparky) or the canonical one (SparkyFitness).
        let (v, _, _) = measurement_value(
            num("180"),
            None,
            false,
            DefaultUnit::Display,
            "weight",
            Dimension::Mass,
            imperial,
        )
        .unwrap();
        assert_eq!(v, num("81.646627"));
        let (v, _, _) = measurement_value(
            num("80"),
            None,
            false,
            DefaultUnit::Canonical,
            "weight",
            Dimension::Mass,
            imperial,
        )
        .unwrap();
        assert_eq!(v, num("80"));
        // A custom count keeps a foreign unit as sent.
        let (v, u, raw) = measurement_value(
            num("5.4"),
            Some("mmol/L"),
            false,
            DefaultUnit::Display,
            "blood_glucose",
            Dimension::Count,
            imperial,
        )
        .unwrap();
        assert_eq!(
            (v, u.as_str(), raw.as_deref()),
            (num("5.4"), "count", Some("mmol/L"))
        );
        // Wrong units and impossible values fail.
        for (value, unit, dim) in [
            (num("150"), Some("%"), Dimension::Percent),
            (num("0"), Some("kg"), Dimension::Mass),
            (num("70"), Some("mmol/L"), Dimension::Mass),
            (num("70"), Some("ml"), Dimension::Mass),
        ] {
            assert!(
                measurement_value(value, unit, false, DefaultUnit::Display, "x", dim, imperial)
                    .is_err(),
                "{value} {unit:?}"
            );
        }
    }

    #[test]
    fn new_types_take_body_like_dimensions_only() {
        assert_eq!(dimension_for_new_type(Some("kg")), Dimension::Mass);
        assert_eq!(dimension_for_new_type(Some("%")), Dimension::Percent);
        assert_eq!(dimension_for_new_type(Some("bpm")), Dimension::Rate);
        assert_eq!(dimension_for_new_type(Some("ml")), Dimension::Volume);
        assert_eq!(dimension_for_new_type(Some("m")), Dimension::Count);
        assert_eq!(dimension_for_new_type(Some("g")), Dimension::Count);
        assert_eq!(dimension_for_new_type(Some("mmol/L")), Dimension::Count);
        assert_eq!(dimension_for_new_type(None), Dimension::Count);
    }

    #[test]
    fn keys_tell_records_apart() {
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let at = "2026-06-01T06:00:00.250Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(measurement_key(day, None), "2026-06-01");
        assert_eq!(measurement_key(day, Some(at)), "2026-06-01T06:00:00.250Z");
        assert_eq!(workout_key(Some("ABC"), day, Some(at), "Run"), "id:ABC");
        assert_eq!(workout_key(None, day, None, "Run"), "2026-06-01|run");
    }
}
