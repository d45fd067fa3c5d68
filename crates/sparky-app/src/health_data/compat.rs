//! The request shape of SparkyFitness's `POST /api/health-data`, as its mobile app (Apple
//! Health and Health Connect sync) and iOS Shortcuts send it, read into the same records as
//! Sparky's own endpoint. Read from SparkyFitness's documentation and its app's sender (shapes
//! only):
//!
//! - The body is an array of records or one record object. The app sends up to 5,000 simple
//!   records per request (fewer for sleep and workouts), with `Authorization: Bearer <api key>`
//!   (the server also takes `X-API-Key`), and `X-Workout-Model-Version` (ignored here).
//! - A simple record is `{type, value, date, unit?, source?, timestamp?, record_timezone?,
//!   record_utc_offset_minutes?}`: the app's types are `step`, `weight` (kg), `body_fat` (%),
//!   `water` (ml), `Active Calories` (kcal), `height` (m), `distance` (m), `heart_rate`,
//!   `resting_heart_rate`, aggregated `…_min`/`…_max`/`…_avg` vitals and many more; its values
//!   arrive in the units SparkyFitness stores, so a missing unit means kg, cm, ml, %.
//!   Shortcuts send `{value, type, date, timestamp?}`, often with numbers as text.
//! - `SleepSession`: `bedtime`, `wake_time` (RFC 3339), `duration_in_seconds`,
//!   `time_asleep_in_seconds`, stage details (ignored).
//! - `ExerciseSession` / `Workout`: `activityType` (a name, e.g. "Running"), `title`,
//!   `startTime`, `endTime`, `duration` (seconds), `caloriesBurned` (kcal), `distance` (km),
//!   `source_id` (the platform's id: the dedup key), `sets`, telemetry (ignored).
//! - `Nutrition`: food entries; skipped here.
//! - The day: a `YYYY-MM-DD` `date` (or `entry_date`) is trusted as the local day; a full time
//!   is bucketed in `record_timezone`, else `record_utc_offset_minutes`, else the account's
//!   timezone. Sleep counts on the day of `wake_time`, a workout on the day of its start.
//! - The answer is 200 with `{message, processed: [...], errors: [{error, ...}], skipped:
//!   [{reason, ...}]}` whenever the body is well formed; the app treats a chunk whose records
//!   all failed as a failed sync, and anything else as done.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use sparky_core::health::{HealthType, SUMMED_TYPES};
use sparky_core::{Amount, Date, Timestamp};

use super::{
    clean_source, fail, measurement_body, measurement_key, workout_kcal, workout_key,
    workout_seconds, Batch, DefaultUnit, Draft, DraftBody, Incoming, Planned, RecordOutcome,
    Settings, MAX_NAME, MAX_RECORDS, MAX_SOURCE_ID, MAX_TYPE, MAX_UNIT,
};
use crate::error::{AppError, AppResult};

/// SparkyFitness's source for records that name none.
pub const DEFAULT_SOURCE: &str = "manual";

impl Batch {
    /// A SparkyFitness-shaped body: an array of record objects, or one object. Anything else
    /// is refused whole; what is inside each object is checked per record.
    pub fn compat(body: Value) -> AppResult<Batch> {
        let items = match body {
            Value::Array(items) => items,
            Value::Object(one) => vec![Value::Object(one)],
            _ => {
                return Err(AppError::invalid(
                    "body",
                    "must be a JSON array of health records, or one record object",
                ))
            }
        };
        if items.len() > MAX_RECORDS {
            return Err(super::too_many(items.len()));
        }
        let mut records = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::Object(o) => records.push(Incoming::Compat(o)),
                _ => {
                    return Err(AppError::invalid(
                        &format!("[{i}]"),
                        "every health record must be a JSON object",
                    ))
                }
            }
        }
        Ok(Batch { records })
    }
}

fn text<'a>(o: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, RecordOutcome> {
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
        Some(_) => Err(fail(format!("{field} must be text"))),
    }
}

/// A number, or a number written as text (Shortcuts send text).
fn number(o: &Map<String, Value>, field: &str) -> Result<Option<Decimal>, RecordOutcome> {
    let bad = || fail(format!("{field} must be a number"));
    match o.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(Decimal::from(i)))
            } else if let Some(u) = n.as_u64() {
                Ok(Some(Decimal::from(u)))
            } else {
                n.as_f64()
                    .and_then(Amount::from_f64)
                    .map(|a| Some(a.decimal()))
                    .ok_or_else(bad)
            }
        }
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            s.parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(s))
                .map(Some)
                .map_err(|_| bad())
        }
        Some(_) => Err(bad()),
    }
}

/// The record's own timezone, if it names one.
#[derive(Debug, Clone, Copy)]
enum Zone {
    Named(chrono_tz::Tz),
    Offset(FixedOffset),
}

fn zone(o: &Map<String, Value>, settings: Settings) -> Zone {
    if let Some(tz) = o
        .get("record_timezone")
        .and_then(Value::as_str)
        .and_then(|t| t.trim().parse::<chrono_tz::Tz>().ok())
    {
        return Zone::Named(tz);
    }
    if let Some(off) = o
        .get("record_utc_offset_minutes")
        .and_then(Value::as_i64)
        .filter(|m| m.abs() <= 18 * 60)
        .and_then(|m| FixedOffset::east_opt((m * 60) as i32))
    {
        return Zone::Offset(off);
    }
    Zone::Named(settings.tz)
}

impl Zone {
    fn day_of(self, at: DateTime<Utc>) -> NaiveDate {
        match self {
            Zone::Named(tz) => at.with_timezone(&tz).date_naive(),
            Zone::Offset(off) => at.with_timezone(&off).date_naive(),
        }
    }
    fn local(self, t: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Named(tz) => tz
                .from_local_datetime(&t)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
            Zone::Offset(off) => off
                .from_local_datetime(&t)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// A point in time as the senders write it.
#[derive(Debug, Clone, Copy)]
enum When {
    /// `YYYY-MM-DD`: a local day, trusted as is.
    Day(NaiveDate),
    /// A moment.
    At(DateTime<Utc>),
}

fn when(raw: &str, zone: Zone, field: &str) -> Result<When, RecordOutcome> {
    let out_of_range = || fail(format!("{field} must be between 1900-01-01 and 2199-12-31"));
    if raw.len() == 10 {
        return match Date::parse(raw) {
            Ok(d) => Ok(When::Day(d.get())),
            Err(sparky_core::values::DateError::OutOfRange) => Err(out_of_range()),
            Err(_) => Err(fail(format!("{field} must be a date like 2026-06-01"))),
        };
    }
    let at = DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
            .and_then(|t| zone.local(t))
        })
        .ok_or_else(|| {
            fail(format!(
                "{field} must be a date (2026-06-01) or a time (2026-06-01T07:30:00Z)"
            ))
        })?;
    Timestamp::new(at).map_err(|_| out_of_range())?;
    Ok(When::At(at))
}

fn field_when(
    o: &Map<String, Value>,
    field: &str,
    zone: Zone,
) -> Result<Option<When>, RecordOutcome> {
    text(o, field)?.map(|t| when(t, zone, field)).transpose()
}

fn instant(o: &Map<String, Value>, field: &str, zone: Zone) -> Option<DateTime<Utc>> {
    match field_when(o, field, zone) {
        Ok(Some(When::At(t))) => Some(t),
        _ => None,
    }
}

/// The day of a record from the first of `fields` that is present.
fn day(o: &Map<String, Value>, fields: &[&str], zone: Zone) -> Result<NaiveDate, RecordOutcome> {
    for f in fields {
        match field_when(o, f, zone)? {
            Some(When::Day(d)) => return Ok(d),
            Some(When::At(t)) => {
                // A time is taken within a day of the range's ends; its day here must be in it.
                let d = zone.day_of(t);
                return sparky_core::Date::new(d).map(|_| d).map_err(|_| {
                    fail(format!(
                        "{f} is on {d} here: days must be 1900-01-01 to 2199-12-31"
                    ))
                });
            }
            None => {}
        }
    }
    Err(fail(format!(
        "a record needs a date ({})",
        fields.join(", ")
    )))
}

/// Reads one SparkyFitness record: the `type` as sent (for the answer) and what it would
/// store.
pub(crate) fn plan(o: &Map<String, Value>, settings: Settings) -> (String, Planned) {
    let label = match o.get("type") {
        Some(Value::String(s)) => s.trim().chars().take(MAX_TYPE).collect(),
        _ => String::new(),
    };
    (label, plan_record(o, settings))
}

fn plan_record(o: &Map<String, Value>, settings: Settings) -> Planned {
    let raw_type = text(o, "type")?.ok_or_else(|| fail("type is missing"))?;
    if raw_type.chars().count() > MAX_TYPE {
        return Err(fail(format!("type must be at most {MAX_TYPE} characters")));
    }
    let kind = HealthType::classify(raw_type).map_err(fail)?;
    let source = clean_source(text(o, "source")?, DEFAULT_SOURCE)?;
    let zone = zone(o, settings);
    let unit = text(o, "unit")?;
    if unit.is_some_and(|u| u.chars().count() > MAX_UNIT) {
        return Err(fail(format!("unit must be at most {MAX_UNIT} characters")));
    }
    match kind {
        HealthType::Nutrition => Err(RecordOutcome::Skipped(
            "food is not imported from the phone: log it in Sparky".into(),
        )),
        HealthType::Workout => {
            let day = day(o, &["timestamp", "startTime", "date", "entry_date"], zone)?;
            let at = instant(o, "startTime", zone).or_else(|| instant(o, "timestamp", zone));
            let name = text(o, "activityType")?
                .or(text(o, "title")?)
                .unwrap_or("Workout")
                .chars()
                .take(MAX_NAME)
                .collect::<String>();
            let seconds = match number(o, "duration")? {
                Some(s) => Some(s),
                None => match (at, instant(o, "endTime", zone)) {
                    (Some(start), Some(end)) if end > start => {
                        Some(Decimal::from((end - start).num_seconds()))
                    }
                    // Said, not dropped silently: the duration would be lost.
                    (Some(start), Some(end)) if end < start => {
                        return Err(fail("endTime is before startTime"));
                    }
                    _ => None,
                },
            };
            let seconds = workout_seconds(seconds.map(|s| s / Decimal::from(60)))?;
            // The app sends 0 when the platform knows no calories or distance.
            let kcal = workout_kcal(number(o, "caloriesBurned")?.filter(|c| !c.is_zero()))?;
            let km = super::bounded(
                "distance",
                number(o, "distance")?.filter(|d| !d.is_zero()),
                sparky_core::health::MAX_DISTANCE_KM,
                "km",
            )?
            .map(|d| sparky_core::units::round_dp(d, 6));
            super::input::workout_speed(seconds, km)?;
            let source_id = text(o, "source_id")?;
            if source_id.is_some_and(|s| s.chars().count() > MAX_SOURCE_ID) {
                return Err(fail(format!(
                    "source_id must be at most {MAX_SOURCE_ID} characters"
                )));
            }
            Ok(Draft {
                key: workout_key(source_id, day, at, &name),
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
        HealthType::Sleep => {
            let day = day(o, &["wake_time", "date", "entry_date", "timestamp"], zone)?;
            let bedtime = instant(o, "bedtime", zone);
            let seconds = match (
                number(o, "time_asleep_in_seconds")?.filter(|s| !s.is_zero()),
                number(o, "duration_in_seconds")?.filter(|s| !s.is_zero()),
                bedtime,
                instant(o, "wake_time", zone),
            ) {
                (Some(s), _, _, _) | (None, Some(s), _, _) => Some(s),
                (None, None, Some(b), Some(w)) if w > b => {
                    Some(Decimal::from((w - b).num_seconds()))
                }
                _ => None,
            };
            let (value, unit) = match (seconds, number(o, "value")?) {
                (Some(s), _) => (s, Some("s")),
                (None, Some(v)) => (v, unit),
                (None, None) => {
                    return Err(fail(
                        "a sleep record needs time_asleep_in_seconds, duration_in_seconds, bedtime and wake_time, or value",
                    ))
                }
            };
            let body = measurement_body(&kind, value, unit, DefaultUnit::Canonical, "m")?;
            Ok(Draft {
                key: match bedtime {
                    Some(b) => super::instant_key(b),
                    None => day.format("%Y-%m-%d").to_string(),
                },
                source,
                day,
                at: bedtime,
                body,
            })
        }
        kind => {
            let value = number(o, "value")?.ok_or_else(|| fail("value is missing"))?;
            let day = day(o, &["date", "entry_date", "timestamp"], zone)?;
            // A reading whose `date` carries a time of day keeps it, so a weigh-in sent here
            // and with a timestamp to /api/v1/health-data is one reading; a day's total
            // (steps, water) stays the day's value.
            let at = instant(o, "timestamp", zone).or_else(|| match &kind {
                HealthType::Measurement(n) if !SUMMED_TYPES.contains(&n.as_str()) => {
                    instant(o, "date", zone).or_else(|| instant(o, "entry_date", zone))
                }
                _ => None,
            });
            // SparkyFitness keeps height in cm but its app sends metres.
            let unit = match (&kind, unit) {
                (HealthType::Measurement(n), None) if n == "height" && value < Decimal::from(3) => {
                    Some("m")
                }
                (_, u) => u,
            };
            let body = measurement_body(&kind, value, unit, DefaultUnit::Canonical, "m")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Decimal {
        s.parse().unwrap()
    }
    use crate::health_data::DraftBody;
    use serde_json::json;

    fn settings() -> Settings {
        Settings {
            tz: chrono_tz::America::New_York,
            units: sparky_core::UnitsSystem::Imperial,
        }
    }

    fn planned(v: Value) -> Planned {
        plan_record(v.as_object().unwrap(), settings())
    }

    #[test]
    fn the_apps_simple_records() {
        let d = planned(json!({"value": 8123, "type": "step", "date": "2026-06-01",
                               "unit": "count", "source": "HealthKit"}))
        .unwrap();
        assert_eq!(
            (d.source.as_str(), d.key.as_str()),
            ("HealthKit", "2026-06-01")
        );
        assert!(
            matches!(&d.body, DraftBody::Measurement { type_name, default_unit, .. }
                if type_name == "steps" && *default_unit == DefaultUnit::Canonical)
        );
        // A Shortcut: numbers as text, no source, a time without a zone (the account's).
        let d = planned(json!({"value": "70.5", "type": "weight",
                               "timestamp": "2026-06-01 07:30"}))
        .unwrap();
        assert_eq!(d.source, "manual");
        assert_eq!(d.day, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(d.key, "2026-06-01T11:30:00Z");
        match d.body {
            DraftBody::Measurement { value, .. } => assert_eq!(value, num("70.5")),
            other => panic!("{other:?}"),
        }
        // A full time is bucketed in the record's own zone.
        let d = planned(json!({"value": 500, "type": "Active Calories",
                               "date": "2026-06-01T02:00:00Z", "record_timezone": "Asia/Tokyo"}))
        .unwrap();
        assert_eq!(d.day, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        let d = planned(json!({"value": 500, "type": "Active Calories",
                               "date": "2026-06-01T02:00:00Z", "record_utc_offset_minutes": -300}))
        .unwrap();
        assert_eq!(d.day, NaiveDate::from_ymd_opt(2026, 5, 31).unwrap());
        // A weigh-in's `date` with a time keeps the time; a day's steps stay the day's total.
        let d = planned(json!({"value": 79.5, "type": "weight",
                               "date": "2026-11-29T07:00:00Z", "source": "app"}))
        .unwrap();
        assert_eq!(d.key, "2026-11-29T07:00:00Z");
        assert_eq!(
            d.at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-11-29T07:00:00+00:00")
        );
        let d = planned(json!({"value": 9000, "type": "step",
                               "date": "2026-11-29T07:00:00Z", "source": "app"}))
        .unwrap();
        assert_eq!((d.key.as_str(), d.at), ("2026-11-29", None));
        // Near the end of the range a time goes by its day in New York: the evening of
        // 2199-12-31 is kept, a morning on 2200-01-01 is refused naming its day.
        let d = planned(json!({"value": 79.5, "type": "weight",
                               "date": "2200-01-01T03:00:00Z"}))
        .unwrap();
        assert_eq!(d.day, NaiveDate::from_ymd_opt(2199, 12, 31).unwrap());
        match planned(json!({"value": 79.5, "type": "weight", "date": "2200-01-01T15:00:00Z"})) {
            Err(RecordOutcome::Failed(m)) => assert!(m.contains("2200-01-01"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sleep_and_workouts() {
        let d = planned(json!({"type": "SleepSession", "source": "HealthKit",
            "bedtime": "2026-06-01T22:00:00Z", "wake_time": "2026-06-02T06:00:00Z",
            "duration_in_seconds": 28800, "time_asleep_in_seconds": 27000,
            "stage_events": []}))
        .unwrap();
        assert_eq!(d.day, NaiveDate::from_ymd_opt(2026, 6, 2).unwrap());
        assert_eq!(d.key, "2026-06-01T22:00:00Z");
        match d.body {
            DraftBody::Measurement {
                type_name, value, ..
            } => assert_eq!((type_name.as_str(), value), ("sleep_hours", num("7.5"))),
            other => panic!("{other:?}"),
        }
        let d = planned(json!({"type": "ExerciseSession", "source": "HealthKit",
            "source_id": "UUID-1", "date": "2026-06-01", "startTime": "2026-06-01T09:00:00Z",
            "endTime": "2026-06-01T09:30:00Z", "duration": 1800, "activityType": "Running",
            "caloriesBurned": 0, "distance": 5.2, "sets": [], "raw_data": {}}))
        .unwrap();
        assert_eq!(d.key, "id:UUID-1");
        match d.body {
            DraftBody::Workout {
                name,
                seconds,
                km,
                kcal,
            } => {
                assert_eq!(name, "Running");
                assert_eq!(seconds, Some(1800));
                assert_eq!(km, Some(num("5.2")));
                assert_eq!(kcal, None, "0 kcal means unknown");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_records_say_why() {
        for (bad, why) in [
            (json!({"value": 1, "date": "2026-06-01"}), "type is missing"),
            (
                json!({"type": 5, "value": 1, "date": "2026-06-01"}),
                "type must be text",
            ),
            (
                json!({"type": "weight", "date": "2026-06-01"}),
                "value is missing",
            ),
            (
                json!({"type": "weight", "value": "heavy", "date": "2026-06-01"}),
                "must be a number",
            ),
            (json!({"type": "weight", "value": 80}), "needs a date"),
            (
                json!({"type": "weight", "value": 80, "date": "yesterday"}),
                "must be a date",
            ),
            (
                json!({"type": "weight", "value": 80, "date": "1800-01-01"}),
                "between 1900",
            ),
            (
                json!({"type": "ExerciseSession", "source": "HealthKit", "source_id": "x3",
                    "startTime": "2026-11-21T07:00:00Z", "endTime": "2026-11-21T06:00:00Z",
                    "activityType": "Running", "caloriesBurned": 300, "distance": 5}),
                "endTime is before startTime",
            ),
        ] {
            match planned(bad.clone()) {
                Err(RecordOutcome::Failed(m)) => assert!(m.contains(why), "{bad}: {m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            planned(json!({"type": "Nutrition", "date": "2026-06-01"})),
            Err(RecordOutcome::Skipped(_))
        ));
    }

    #[test]
    fn bodies_must_be_records() {
        assert_eq!(Batch::compat(json!([{"type": "step"}])).unwrap().len(), 1);
        assert_eq!(Batch::compat(json!({"type": "step"})).unwrap().len(), 1);
        assert!(Batch::compat(json!("steps")).is_err());
        assert!(Batch::compat(json!([1, 2])).is_err());
        assert!(Batch::compat(Value::Array(vec![json!({}); MAX_RECORDS + 1])).is_err());
    }
}
