//! Planning: each record read into what it would store (pure), and what it writes.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use sparky_core::health::{self, HealthType};
use sparky_core::measure::{self, Dimension, MeasureUnit};
use sparky_core::units::round_dp;
use sparky_core::{Amount, DistanceUnit, Timestamp, UnitsSystem};
use uuid::Uuid;

use super::input::{
    bounded, clean_source, workout_kcal, workout_seconds, HealthRecordInput, PushedDistanceUnit,
};
use super::{RecordOutcome, DEFAULT_SOURCE, VALUE_SCALE};

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
        seconds: Option<i32>,
        km: Option<Decimal>,
        kcal: Option<Decimal>,
    },
}

/// A record that plans to nothing: skipped on purpose, or failed.
pub(crate) type Planned = Result<Draft, RecordOutcome>;

pub(super) fn fail(message: impl Into<String>) -> RecordOutcome {
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

/// A record's `date` and `timestamp` must tell the same day, give or take the zones the phone
/// and the account may be in (one of six years apart was stored with both: which counted
/// depended on the screen).
fn day_matches_time(
    day: NaiveDate,
    at: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<(), RecordOutcome> {
    let local = at.with_timezone(&tz).date_naive();
    if (local - day).num_days().abs() > 1 {
        return Err(fail(format!(
            "timestamp: {} is {local} in your timezone, not near date {day}",
            at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )));
    }
    Ok(())
}

pub(super) fn plan_native(r: &HealthRecordInput, settings: Settings) -> Planned {
    let kind = HealthType::classify(&r.kind).map_err(fail)?;
    let source = clean_source(r.source.as_deref(), DEFAULT_SOURCE)?;
    let day = r.date.get();
    let at = r.timestamp.map(Timestamp::get);
    if let Some(at) = at {
        day_matches_time(day, at, settings.tz)?;
    }
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
            let seconds = workout_seconds(r.duration_minutes.map(Amount::decimal))?;
            let distance_unit = r
                .distance_unit
                .unwrap_or(PushedDistanceUnit::Shown(DistanceUnit::of(settings.units)));
            // The bound is on the distance, whatever its unit (a marathon is 42195 m).
            let km = bounded(
                "distance",
                r.distance.map(|d| distance_unit.to_km(d.decimal())),
                health::MAX_DISTANCE_KM,
                "km",
            )?
            .map(|d| round_dp(d, VALUE_SCALE));
            super::input::workout_speed(seconds, km)?;
            let kcal = workout_kcal(r.calories.map(Amount::decimal))?;
            Ok(Draft {
                key: workout_key(None, day, at, &name),
                source,
                day,
                at,
                body: DraftBody::Workout {
                    name,
                    seconds,
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

/// A record ready to write: what it stores and its fingerprint.
#[derive(Debug, Clone)]
pub(super) struct Ready {
    pub(super) index: usize,
    pub(super) source: String,
    pub(super) kind: String,
    pub(super) key: String,
    pub(super) fingerprint: String,
    pub(super) write: Write,
}

#[derive(Debug, Clone)]
pub(super) enum Write {
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
        seconds: Option<i32>,
        km: Option<Decimal>,
        kcal: Option<Decimal>,
        day: NaiveDate,
        at: Option<DateTime<Utc>>,
        note: String,
    },
}

/// The stored value and unit of a measurement draft of a type of `dimension`, and the unit
/// as sent when it could not be converted (a custom count keeps the value as sent).
pub(super) fn measurement_value(
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
            .and_then(|_| measure::check_plausible(type_name, v))
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

/// The ledger's kind of a draft: its measurement type, or `workout`.
pub(super) fn kind_of(d: &Draft) -> String {
    match &d.body {
        DraftBody::Measurement { type_name, .. } => type_name.clone(),
        DraftBody::Workout { .. } => "workout".into(),
    }
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
                seconds, km, kcal, ..
            } => {
                assert_eq!(seconds, Some(1824), "30.4 minutes, to the second");
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
    fn keys_tell_records_apart() {
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let at = "2026-06-01T06:00:00.250Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(measurement_key(day, None), "2026-06-01");
        assert_eq!(measurement_key(day, Some(at)), "2026-06-01T06:00:00.250Z");
        assert_eq!(workout_key(Some("ABC"), day, Some(at), "Run"), "id:ABC");
        assert_eq!(workout_key(None, day, None, "Run"), "2026-06-01|run");
    }
}
