//! Input (`POST /api/v1/health-data`): the records as sent, the checked batch, their cleaning.

use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_core::health;
use sparky_core::units::round_dp;
use sparky_core::{Amount, Date, DistanceUnit, Timestamp};
use utoipa::ToSchema;

use super::plan::fail;
use super::{RecordOutcome, MAX_NAME, MAX_RECORDS, MAX_SOURCE, MAX_TYPE, MAX_UNIT};
use crate::error::{AppError, AppResult, Validation};
use crate::workouts::input::MAX_DURATION_MINUTES;

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
    /// Workouts: minutes, 0 to 10080; fractions are kept to the second (25.5 is 25:30).
    #[schema(value_type = Option<f64>)]
    pub duration_minutes: Option<Amount>,
    /// Workouts: distance in `distance_unit`, 0 to 100000.
    #[schema(value_type = Option<f64>)]
    pub distance: Option<Amount>,
    /// Workouts: `km`, `mi` or `m` (metres, as phones count them; default: your units).
    #[schema(value_type = Option<String>, example = "km", max_length = 20)]
    pub distance_unit: Option<PushedDistanceUnit>,
    /// Workouts: kcal burned, 0 to 100000 (default: estimated from the exercise's MET value
    /// when it matches the catalog).
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
}

/// The unit of a pushed workout's distance: the units people show distances in, and metres,
/// which phones count in. Any letter case, and the words spelled out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushedDistanceUnit {
    Shown(DistanceUnit),
    Metres,
}

impl PushedDistanceUnit {
    /// A distance in this unit, in km (unrounded).
    pub fn to_km(self, value: Decimal) -> Decimal {
        match self {
            PushedDistanceUnit::Shown(u) => u.to_km(value),
            PushedDistanceUnit::Metres => value / Decimal::from(1000),
        }
    }
}

impl<'de> Deserialize<'de> for PushedDistanceUnit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.trim().to_lowercase().as_str() {
            "m" | "meter" | "meters" | "metre" | "metres" => Ok(PushedDistanceUnit::Metres),
            "kilometer" | "kilometers" | "kilometre" | "kilometres" => {
                Ok(PushedDistanceUnit::Shown(DistanceUnit::Km))
            }
            "mile" | "miles" => Ok(PushedDistanceUnit::Shown(DistanceUnit::Mi)),
            other => DistanceUnit::parse(other)
                .map(PushedDistanceUnit::Shown)
                .map_err(|_| serde::de::Error::custom("must be km, mi or m")),
        }
    }
}

/// A checked batch, ready for [`push`](super::push).
#[derive(Debug, Clone)]
pub struct Batch {
    pub(super) records: Vec<Incoming>,
}

#[derive(Debug, Clone)]
pub(super) enum Incoming {
    Native(HealthRecordInput),
    Compat(serde_json::Map<String, serde_json::Value>),
}

pub(super) fn too_many(n: usize) -> AppError {
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

pub(super) fn clean_source(source: Option<&str>, default: &str) -> Result<String, RecordOutcome> {
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

pub(super) fn bounded(
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

/// A workout's distance over its duration within what anyone goes
/// (`sparky_core::exercise::plausible_speed`).
pub(crate) fn workout_speed(
    seconds: Option<i32>,
    km: Option<Decimal>,
) -> Result<(), RecordOutcome> {
    use sparky_core::exercise::{plausible_speed, MAX_AVERAGE_SPEED_KMH};
    // Files and phones write 0 for a duration they did not record: no speed to judge then.
    if plausible_speed(seconds.filter(|s| *s > 0), km) {
        Ok(())
    } else {
        Err(fail(format!(
            "the distance over the duration is faster than {MAX_AVERAGE_SPEED_KMH} km an hour on average"
        )))
    }
}

/// A workout's minutes (0 to a week, fractions kept) in whole seconds.
pub(crate) fn workout_seconds(minutes: Option<Decimal>) -> Result<Option<i32>, RecordOutcome> {
    let m = bounded(
        "duration_minutes",
        minutes,
        Decimal::from(MAX_DURATION_MINUTES),
        "minutes",
    )?;
    Ok(m.map(|m| {
        use rust_decimal::prelude::ToPrimitive;
        round_dp(m * Decimal::from(60), 0).to_i32().unwrap_or(0)
    }))
}

/// A workout's kcal (0 to 100,000), 2 places as the diary keeps them.
pub(crate) fn workout_kcal(kcal: Option<Decimal>) -> Result<Option<Decimal>, RecordOutcome> {
    Ok(bounded("calories", kcal, health::MAX_ENERGY_KCAL, "kcal")?.map(|c| round_dp(c, 2)))
}
