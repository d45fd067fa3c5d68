//! Checking records before they are written: the owner's settings, ranges, sets, units.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;
use sparky_core::UnitsSystem;
use sparky_core::WeightUnit;
use sparky_db::UserTx;
use sparky_import::{SetRecord, Source};
use uuid::Uuid;

use crate::error::AppResult;
use crate::workouts::input::{StoredSet, MAX_REPS, MAX_SETS, MAX_SET_SECONDS, MAX_WEIGHT};

use super::*;

/// The owner's timezone and units.
pub(super) async fn settings(tx: &mut UserTx) -> AppResult<(String, UnitsSystem)> {
    let row = tx
        .query_opt(
            "SELECT timezone, units_system FROM user_preferences WHERE user_id = auth.uid() LIMIT 1",
            &[],
        )
        .await?;
    let tz = row
        .as_ref()
        .and_then(|r| r.get::<_, Option<String>>(0))
        .filter(|t| t.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".into());
    let units = UnitsSystem::from_preference(
        row.as_ref()
            .and_then(|r| r.get::<_, Option<String>>(1))
            .as_deref(),
    );
    Ok((tz, units))
}

/// The instant a wall-clock time (carried as if it were UTC) names in `zone`: the earlier of
/// the two in the hour a clock goes back, the hour after in the hour it skips.
pub(super) fn wall_clock_in(zone: chrono_tz::Tz, wall: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::TimeZone;
    let local = wall.naive_utc();
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or(wall, |t| t.with_timezone(&Utc))
}

/// A record checked and ready to write, with the id its row will have.
pub(super) struct Ready<T> {
    pub(super) id: Uuid,
    pub(super) key: String,
    pub(super) record: T,
}

/// A measurement converted to its type's canonical unit.
pub(super) struct Measured {
    pub(super) kind: String,
    pub(super) value: Decimal,
    pub(super) unit: &'static str,
    pub(super) date: NaiveDate,
    pub(super) at: Option<DateTime<Utc>>,
}

/// A workout with its bounds checked and its catalog exercise.
pub(super) struct Worked {
    pub(super) exercise_id: Option<Uuid>,
    pub(super) name: String,
    pub(super) note: String,
    pub(super) seconds: Option<i32>,
    pub(super) km: Option<Decimal>,
    pub(super) kcal: Option<Decimal>,
    pub(super) date: NaiveDate,
    pub(super) at: Option<DateTime<Utc>>,
    pub(super) sets: Vec<StoredSet>,
}

pub(super) fn unit_name(source: Source) -> &'static str {
    match source {
        Source::Mfp => "MyFitnessPal",
        Source::Cronometer => "Cronometer",
        Source::AppleHealth => "Apple Health",
        Source::Csv => "CSV",
        Source::SparkyFitness => "SparkyFitness",
        Source::Strong => "Strong",
        Source::Hevy => "Hevy",
        Source::FitNotes => "FitNotes",
        Source::MacroFactor => "MacroFactor",
    }
}

pub(super) fn check_nutrients(n: &Nutrients) -> Result<Nutrients, String> {
    crate::nutrients::parse_nutrients(n.clone(), "nutrients").map_err(|e| e.to_string())
}

/// Days and times outside the range the API accepts (a weight dated 9999 would become "the
/// latest weight" for ever).
pub(super) fn out_of_range(date: NaiveDate, at: Option<DateTime<Utc>>) -> Option<&'static str> {
    use sparky_core::{Date, Timestamp};
    let ok = Date::new(date).is_ok() && at.is_none_or(|t| Timestamp::new(t).is_ok());
    (!ok).then_some("the date must be between 1900-01-01 and 2199-12-31")
}

/// A workout's sets within the limits a logged workout has, weights in kg at 6 places.
pub(super) fn import_sets(
    sets: &[SetRecord],
    units: UnitsSystem,
) -> Result<Vec<StoredSet>, String> {
    if sets.len() > MAX_SETS {
        return Err(format!("a workout holds at most {MAX_SETS} sets"));
    }
    sets.iter()
        .zip(1..)
        .map(|(s, number)| {
            if s.reps.is_some_and(|r| !(0..=MAX_REPS).contains(&r)) {
                return Err(format!("set {number}: reps must be 0 to {MAX_REPS}"));
            }
            if s.weight
                .is_some_and(|w| w.is_sign_negative() || w > Decimal::from(MAX_WEIGHT))
            {
                return Err(format!(
                    "set {number}: the weight must be 0 to {MAX_WEIGHT}"
                ));
            }
            if s.duration_seconds
                .is_some_and(|d| !(1..=MAX_SET_SECONDS).contains(&d))
            {
                return Err(format!(
                    "set {number}: the time must be 1 to {MAX_SET_SECONDS} seconds"
                ));
            }
            let unit = s.unit.unwrap_or(WeightUnit::of(units));
            Ok(StoredSet {
                number,
                reps: s.reps,
                weight_kg: s
                    .weight
                    .map(|w| sparky_core::units::round_dp(unit.to_kg(w), 6)),
                duration_seconds: s.duration_seconds,
            })
        })
        .collect()
}

pub(super) fn outcome_text(o: crate::health_data::RecordOutcome) -> String {
    match o {
        crate::health_data::RecordOutcome::Failed(m)
        | crate::health_data::RecordOutcome::Skipped(m) => m,
        crate::health_data::RecordOutcome::Stored => "stored".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn wall_clock_times_are_placed_in_the_owners_zone() {
        let ny = chrono_tz::America::New_York;
        // A November morning in New York is five hours behind UTC, a June one four.
        assert_eq!(
            wall_clock_in(ny, utc("2025-11-03T07:30:00Z")),
            utc("2025-11-03T12:30:00Z")
        );
        assert_eq!(
            wall_clock_in(ny, utc("2025-06-03T07:30:00Z")),
            utc("2025-06-03T11:30:00Z")
        );
        // 01:30 on the night the clocks go back happens twice: the first.
        assert_eq!(
            wall_clock_in(ny, utc("2025-11-02T01:30:00Z")),
            utc("2025-11-02T05:30:00Z")
        );
        // 02:30 on the night they go forward does not happen: an hour later.
        assert_eq!(
            wall_clock_in(ny, utc("2025-03-09T02:30:00Z")),
            utc("2025-03-09T07:30:00Z")
        );
        assert_eq!(
            wall_clock_in(chrono_tz::UTC, utc("2025-03-09T02:30:00Z")),
            utc("2025-03-09T02:30:00Z")
        );
    }
}
