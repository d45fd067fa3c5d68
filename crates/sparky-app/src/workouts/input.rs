//! What a client sends to log or change a workout, and its validation. Numbers are checked in
//! the unit they were typed in; converting them to kg and km needs the diary owner's units,
//! which the operations look up.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use sparky_core::exercise::{rounded_minutes, MAX_DURATION_SECONDS};
use sparky_core::units::round_dp;
use sparky_core::{Amount, Date, DistanceUnit, Timestamp, UnitsSystem, WeightUnit};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppResult, Validation};

/// Sets one entry may hold.
pub const MAX_SETS: usize = 100;
pub const MAX_REPS: i32 = 10_000;
/// Largest weight of a set, in the unit it is typed in.
pub const MAX_WEIGHT: i64 = 5000;
/// A timed set's longest time: a day, in seconds.
pub use sparky_core::exercise::MAX_SET_SECONDS;
/// A week, in minutes.
pub const MAX_DURATION_MINUTES: i32 = 10_080;
/// Largest distance, in the unit it is typed in.
pub const MAX_DISTANCE: i64 = 100_000;
pub const MAX_CALORIES: i64 = 100_000;
pub const MAX_NOTES_CHARS: usize = 5000;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetInput {
    #[schema(minimum = 0, maximum = 10000)]
    pub reps: Option<i32>,
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 5000)]
    pub weight: Option<Amount>,
    /// kg or lb, any letter case (default: the diary owner's units).
    pub unit: Option<WeightUnit>,
    /// A timed set (a plank, a hang, a carry): seconds, 1 to 86400. A set gives reps, a
    /// weight, a time, or several of them.
    #[schema(minimum = 1, maximum = 86400)]
    pub duration_seconds: Option<i32>,
}

/// Log a workout: strength sets, cardio duration and distance, or both.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogWorkoutInput {
    pub exercise_id: Uuid,
    /// When it was done. Default: now for today, else noon of `date`.
    pub performed_at: Option<Timestamp>,
    /// The diary day in the diary owner's timezone. Default: from `performed_at`, else today.
    pub date: Option<Date>,
    /// Whole minutes, 0 to 10080. Or give `duration_seconds`; with both, the minutes must be
    /// the seconds rounded to the minute.
    #[schema(minimum = 0, maximum = 10080)]
    pub duration_minutes: Option<i32>,
    /// Seconds, 0 to 604800 (a week): the duration to the second (a 25:34 run is 1534).
    #[schema(minimum = 0, maximum = 604800)]
    pub duration_seconds: Option<i32>,
    /// 0 to 100000, in `distance_unit`; with a duration above 0, at most 100 km an hour on
    /// average (faster is a typo, refused with 422 on `distance`).
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100000)]
    pub distance: Option<Amount>,
    /// km or mi, any letter case (default: the diary owner's units).
    pub distance_unit: Option<DistanceUnit>,
    /// Every set, in order (at most 100).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub sets: Vec<SetInput>,
    /// kcal, 0 to 100000; when given it is used instead of the MET estimate.
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100000)]
    pub calories_burned: Option<Amount>,
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
}

/// `Some(None)` for an explicit `null`, `None` when the field is left out.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Change a workout: the fields given change, the others stay; `null` clears one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkoutInput {
    pub performed_at: Option<Timestamp>,
    /// Move the entry to another day (keeps its time of day).
    pub date: Option<Date>,
    /// Whole minutes; or give `duration_seconds` (both: they must agree, see logging).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 10080)]
    pub duration_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 604800)]
    pub duration_seconds: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100000)]
    pub distance: Option<Option<Amount>>,
    pub distance_unit: Option<DistanceUnit>,
    /// Replaces all sets.
    #[schema(max_items = 100)]
    pub sets: Option<Vec<SetInput>>,
    /// A number sets your own value; `null` goes back to the MET estimate.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 100000)]
    pub calories_burned: Option<Option<Amount>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub notes: Option<Option<String>>,
}

/// A checked set; the weight still in the unit it was typed in.
#[derive(Debug, Clone, PartialEq)]
pub struct SetCommand {
    pub reps: Option<i32>,
    pub weight: Option<(Decimal, Option<WeightUnit>)>,
    pub duration_seconds: Option<i32>,
}

/// A set ready to store: number (from 1), reps, weight in kg at 6 places, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoredSet {
    pub number: i32,
    pub reps: Option<i32>,
    pub weight_kg: Option<Decimal>,
    pub duration_seconds: Option<i32>,
}

/// A checked distance, in the unit it was typed in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistanceCommand {
    pub value: Decimal,
    pub unit: Option<DistanceUnit>,
}

/// A validated [`LogWorkoutInput`].
#[derive(Debug, Clone)]
pub struct LogWorkout {
    pub exercise_id: Uuid,
    pub performed_at: Option<DateTime<Utc>>,
    pub date: Option<NaiveDate>,
    pub duration_seconds: Option<i32>,
    pub distance: Option<DistanceCommand>,
    pub sets: Vec<SetCommand>,
    pub calories_burned: Option<Decimal>,
    pub notes: Option<String>,
}

/// A validated [`UpdateWorkoutInput`]: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UpdateWorkout {
    pub performed_at: Option<DateTime<Utc>>,
    pub date: Option<NaiveDate>,
    pub duration_seconds: Option<Option<i32>>,
    pub distance: Option<Option<DistanceCommand>>,
    pub sets: Option<Vec<SetCommand>>,
    pub calories_burned: Option<Option<Decimal>>,
    pub notes: Option<Option<String>>,
}

fn parse_sets(v: &mut Validation, sets: &[SetInput]) -> Vec<SetCommand> {
    if sets.len() > MAX_SETS {
        v.add("sets", "at most 100 sets");
        return Vec::new();
    }
    let mut out = Vec::with_capacity(sets.len());
    for (i, s) in sets.iter().enumerate() {
        if s.reps.is_some_and(|r| !(0..=MAX_REPS).contains(&r)) {
            v.add(&format!("sets[{i}].reps"), "must be between 0 and 10000");
        }
        let weight = s.weight.map(Amount::decimal);
        if weight.is_some_and(|w| w < Decimal::ZERO || w > Decimal::from(MAX_WEIGHT)) {
            v.add(&format!("sets[{i}].weight"), "must be between 0 and 5000");
        }
        if s.duration_seconds
            .is_some_and(|d| !(1..=MAX_SET_SECONDS).contains(&d))
        {
            v.add(
                &format!("sets[{i}].duration_seconds"),
                "must be whole seconds between 1 and 86400",
            );
        }
        if s.reps.is_none() && weight.is_none() && s.duration_seconds.is_none() {
            v.add(
                &format!("sets[{i}]"),
                "give reps, a weight or a time (duration_seconds)",
            );
        }
        out.push(SetCommand {
            reps: s.reps,
            weight: weight.map(|w| (w, s.unit)),
            duration_seconds: s.duration_seconds,
        });
    }
    out
}

/// The duration in seconds, from `duration_seconds` or `duration_minutes` (both: they must
/// agree, which a client sending back what it read does).
fn parse_duration(v: &mut Validation, minutes: Option<i32>, seconds: Option<i32>) -> Option<i32> {
    let minutes_ok = minutes.is_none_or(|m| (0..=MAX_DURATION_MINUTES).contains(&m));
    v.check(
        minutes_ok,
        "duration_minutes",
        "must be whole minutes between 0 and 10080",
    );
    let seconds_ok = seconds.is_none_or(|s| (0..=MAX_DURATION_SECONDS).contains(&s));
    v.check(
        seconds_ok,
        "duration_seconds",
        "must be whole seconds between 0 and 604800",
    );
    if let (Some(m), Some(s), true, true) = (minutes, seconds, minutes_ok, seconds_ok) {
        v.check(
            rounded_minutes(s) == m,
            "duration_minutes",
            &format!(
                "disagrees with duration_seconds ({s} s is {} min): send one of them",
                rounded_minutes(s)
            ),
        );
    }
    // Out of range is refused above; never multiplied (2,000,000,000 minutes overflow).
    seconds.or(minutes.filter(|_| minutes_ok).map(|m| m * 60))
}

/// An update's duration: `None` keeps it, `Some(None)` clears it. Given both, one `null` and
/// one number disagree.
fn parse_duration_change(
    v: &mut Validation,
    minutes: Option<Option<i32>>,
    seconds: Option<Option<i32>>,
) -> Option<Option<i32>> {
    match (minutes, seconds) {
        (None, None) => None,
        (Some(Some(_)), Some(None)) | (Some(None), Some(Some(_))) => {
            v.add(
                "duration_minutes",
                "disagrees with duration_seconds (one is null): send one of them",
            );
            None
        }
        (m, s) => Some(parse_duration(v, m.flatten(), s.flatten())),
    }
}

fn parse_distance(
    v: &mut Validation,
    d: Option<Amount>,
    unit: Option<DistanceUnit>,
) -> Option<DistanceCommand> {
    let d = d?.decimal();
    v.check(
        d >= Decimal::ZERO && d <= Decimal::from(MAX_DISTANCE),
        "distance",
        "must be between 0 and 100000",
    );
    Some(DistanceCommand { value: d, unit })
}

fn parse_calories(v: &mut Validation, c: Option<Amount>) -> Option<Decimal> {
    let c = c?.decimal();
    v.check(
        c >= Decimal::ZERO && c <= Decimal::from(MAX_CALORIES),
        "calories_burned",
        "must be between 0 and 100000",
    );
    Some(round_dp(c, 2))
}

fn parse_notes(v: &mut Validation, n: Option<&str>) -> Option<String> {
    let n = n
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    v.check(
        n.as_ref()
            .is_none_or(|s| s.chars().count() <= MAX_NOTES_CHARS),
        "notes",
        "must be at most 5000 characters",
    );
    n
}

impl LogWorkoutInput {
    pub fn parse(&self) -> AppResult<LogWorkout> {
        let mut v = Validation::new();
        let duration_seconds = parse_duration(&mut v, self.duration_minutes, self.duration_seconds);
        let distance = parse_distance(&mut v, self.distance, self.distance_unit);
        let sets = parse_sets(&mut v, &self.sets);
        let calories_burned = parse_calories(&mut v, self.calories_burned);
        let notes = parse_notes(&mut v, self.notes.as_deref());
        // Zeros alone say nothing was done (a 0-minute run was logged as a workout).
        v.check(
            duration_seconds.is_some_and(|d| d > 0)
                || distance.as_ref().is_some_and(|d| !d.value.is_zero())
                || !self.sets.is_empty()
                || calories_burned.is_some_and(|c| !c.is_zero()),
            "body",
            "give sets, a duration, a distance or calories burned",
        );
        v.finish()?;
        Ok(LogWorkout {
            exercise_id: self.exercise_id,
            performed_at: self.performed_at.map(Timestamp::get),
            date: self.date.map(Date::get),
            duration_seconds,
            distance,
            sets,
            calories_burned,
            notes,
        })
    }
}

impl UpdateWorkoutInput {
    pub fn parse(&self) -> AppResult<UpdateWorkout> {
        let mut v = Validation::new();
        // Alone it changed nothing and said nothing: the stored distance keeps its meaning.
        v.check(
            self.distance_unit.is_none() || self.distance.is_some(),
            "distance_unit",
            "is the unit of distance: send it with the distance",
        );
        let out = UpdateWorkout {
            performed_at: self.performed_at.map(Timestamp::get),
            date: self.date.map(Date::get),
            duration_seconds: parse_duration_change(
                &mut v,
                self.duration_minutes,
                self.duration_seconds,
            ),
            distance: self
                .distance
                .map(|d| parse_distance(&mut v, d, self.distance_unit)),
            sets: self.sets.as_deref().map(|s| parse_sets(&mut v, s)),
            calories_burned: self.calories_burned.map(|c| parse_calories(&mut v, c)),
            notes: self
                .notes
                .as_ref()
                .map(|n| parse_notes(&mut v, n.as_deref())),
        };
        v.finish()?;
        Ok(out)
    }
}

/// Sets in kg (6 places), numbered from 1; weights without a unit are in the owner's units.
pub fn stored_sets(sets: &[SetCommand], units: UnitsSystem) -> Vec<StoredSet> {
    sets.iter()
        .enumerate()
        .map(|(i, s)| StoredSet {
            number: i as i32 + 1,
            reps: s.reps,
            weight_kg: s
                .weight
                .map(|(w, unit)| round_dp(unit.unwrap_or(WeightUnit::of(units)).to_kg(w), 6)),
            duration_seconds: s.duration_seconds,
        })
        .collect()
}

/// A distance in km (6 places); without a unit it is in the owner's units.
pub fn stored_km(d: &DistanceCommand, units: UnitsSystem) -> Decimal {
    round_dp(d.unit.unwrap_or(DistanceUnit::of(units)).to_km(d.value), 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_named() {
        let input: LogWorkoutInput = serde_json::from_value(serde_json::json!({
            "exercise_id": Uuid::nil(), "duration_minutes": 20000, "distance": -3,
            "sets": [{"reps": -1}, {}, {"duration_seconds": 0}, {"duration_seconds": 86401}],
            "calories_burned": 1e6, "notes": "x".repeat(5001)
        }))
        .unwrap();
        let err = input.parse().unwrap_err();
        let fields = err.fields().unwrap();
        for f in [
            "duration_minutes",
            "distance",
            "sets[0].reps",
            "sets[1]",
            "sets[2].duration_seconds",
            "sets[3].duration_seconds",
            "calories_burned",
            "notes",
        ] {
            assert!(fields.0.contains_key(f), "{f}: {fields:?}");
        }
        // Minutes past what seconds can hold are refused, not multiplied (it overflowed).
        for minutes in [i32::MAX, i32::MIN] {
            let huge: LogWorkoutInput = serde_json::from_value(
                serde_json::json!({"exercise_id": Uuid::nil(), "duration_minutes": minutes}),
            )
            .unwrap();
            assert!(huge
                .parse()
                .unwrap_err()
                .fields()
                .unwrap()
                .0
                .contains_key("duration_minutes"));
            let change: UpdateWorkoutInput =
                serde_json::from_value(serde_json::json!({"duration_minutes": minutes})).unwrap();
            assert!(change.parse().is_err());
        }
        let empty: LogWorkoutInput =
            serde_json::from_value(serde_json::json!({"exercise_id": Uuid::nil()})).unwrap();
        assert!(empty
            .parse()
            .unwrap_err()
            .fields()
            .unwrap()
            .0
            .contains_key("body"));
    }

    #[test]
    fn weights_and_distances_are_stored_in_kg_and_km() {
        let sets = [
            SetCommand {
                reps: Some(10),
                weight: Some((Decimal::from(90), None)),
                duration_seconds: None,
            },
            SetCommand {
                reps: None,
                weight: Some((Decimal::from(50), Some(WeightUnit::Kg))),
                duration_seconds: Some(45),
            },
        ];
        let stored = stored_sets(&sets, UnitsSystem::Imperial);
        assert_eq!(stored[0].weight_kg.unwrap().to_string(), "40.823313");
        assert_eq!(stored[1].weight_kg, Some(Decimal::from(50)));
        assert_eq!(stored[1].number, 2);
        assert_eq!(stored[1].duration_seconds, Some(45));
        let mi = DistanceCommand {
            value: Decimal::from(1),
            unit: Some(DistanceUnit::Mi),
        };
        assert_eq!(stored_km(&mi, UnitsSystem::Metric).to_string(), "1.609344");
    }
}
