//! Health data pushed from a phone (Apple Health, Health Connect, iOS Shortcuts): what a record's
//! `type` names, and the conversions of the few types that are not body measurements (energy,
//! sleep, distance). No I/O: where each kind ends up is `sparky_app::health_data`'s business.
//!
//! Type names are matched loosely, because every sender spells them its own way: letter case,
//! spaces, dashes and camelCase do not matter (`Active Calories`, `active-calories`,
//! `ActiveCalories` and `active_calories` are one type).

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::units::round_dp;
use crate::DistanceUnit;

/// Longest measurement type name (as `measurement_types.name`).
pub const MAX_TYPE_NAME: usize = 50;
/// Longest sleep one record may hold, in hours.
pub const MAX_SLEEP_HOURS: Decimal = dec!(24);
/// Largest energy one record may hold, in kcal (a day of an ultramarathon is about 15,000).
pub const MAX_ENERGY_KCAL: Decimal = dec!(100000);
/// Longest distance one record may hold, in km.
pub const MAX_DISTANCE_KM: Decimal = dec!(100000);

/// The measurement type `active_calories` records go to (kcal, one value a day per source).
pub const ACTIVE_CALORIES_TYPE: &str = "active_calories";
/// The measurement type sleep records go to (hours).
pub const SLEEP_TYPE: &str = "sleep_hours";
/// The measurement type distance records go to (km).
pub const DISTANCE_TYPE: &str = "distance_km";

/// The custom types phone pushes create on first use (counts, stored already converted).
pub const PHONE_TYPES: [&str; 3] = [ACTIVE_CALORIES_TYPE, SLEEP_TYPE, DISTANCE_TYPE];

/// Types whose readings of one day add up to the day's value (a nap adds to the night's sleep,
/// a phone's step samples to each other); a day of any other type (weight, heart rate, blood
/// glucose) is the mean of its readings.
pub const SUMMED_TYPES: [&str; 5] = [
    "steps",
    "water",
    SLEEP_TYPE,
    ACTIVE_CALORIES_TYPE,
    DISTANCE_TYPE,
];

/// The unit a measurement of `type_name` is shown in, given its dimension's display unit: the
/// types phones push are counts stored already converted (kcal, hours, km), so they say so
/// instead of "count".
pub fn shown_unit<'a>(type_name: &str, display_unit: &'a str) -> &'a str {
    if display_unit != "count" {
        return display_unit;
    }
    match type_name {
        ACTIVE_CALORIES_TYPE => "kcal",
        SLEEP_TYPE => "h",
        DISTANCE_TYPE => "km",
        _ => display_unit,
    }
}

/// What a record's `type` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthType {
    /// A measurement type stored as sent (built-in such as `steps`, `weight`, `body_fat`,
    /// `water`, `waist`, or a custom type): the snake_case name.
    Measurement(String),
    /// Active energy burned, in kcal (or kJ): the `active_calories` type.
    ActiveCalories,
    /// Time asleep: the `sleep_hours` type.
    Sleep,
    /// Distance walked, run or cycled in a day: the `distance_km` type.
    Distance,
    /// A workout: an exercise diary entry.
    Workout,
    /// Food from the phone: not imported (Sparky's diary is the source of truth for food).
    Nutrition,
}

/// A type name as snake_case: camelCase split at its humps, letters lowered, any run of other
/// characters one `_`, no `_` at either end. `"ActiveCaloriesBurned"` →
/// `"active_calories_burned"`, `"HRV_SDNN"` → `"hrv_sdnn"`, `"Blood Pressure (sys)"` →
/// `"blood_pressure_sys"`.
pub fn snake_case(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 4);
    let mut prev: Option<char> = None;
    for c in raw.trim().chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase()
                && prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                && !out.ends_with('_')
            {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        prev = Some(c);
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Whether `name` may name a measurement type: a letter, then ASCII letters, digits or `_`,
/// at most [`MAX_TYPE_NAME`].
pub fn valid_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= MAX_TYPE_NAME
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

impl HealthType {
    /// What `raw` names; an error says why it cannot name anything.
    pub fn classify(raw: &str) -> Result<HealthType, String> {
        let name = snake_case(raw);
        let t = match name.as_str() {
            "" => return Err("type must name something, e.g. weight or steps".into()),
            "step" | "steps" | "step_count" => HealthType::Measurement("steps".into()),
            "weight" | "body_mass" | "body_weight" => HealthType::Measurement("weight".into()),
            "body_fat" | "body_fat_percentage" | "bodyfat" | "body_fat_percent" => {
                HealthType::Measurement("body_fat".into())
            }
            "water" | "hydration" | "dietary_water" | "water_intake" => {
                HealthType::Measurement("water".into())
            }
            "muscle_mass_kg" => HealthType::Measurement("muscle_mass".into()),
            "active_calories"
            | "active_calories_burned"
            | "active_energy"
            | "active_energy_burned" => HealthType::ActiveCalories,
            "sleep" | "sleep_session" | "sleep_hours" | "sleep_analysis" | "sleep_duration" => {
                HealthType::Sleep
            }
            "distance" | "distance_km" | "distance_walking_running" => HealthType::Distance,
            "workout" | "workouts" | "exercise_session" | "exercise" => HealthType::Workout,
            "nutrition" | "food" => HealthType::Nutrition,
            _ if valid_type_name(&name) => HealthType::Measurement(name),
            _ => {
                return Err(format!(
                    "type {:?} cannot name a measurement type: it needs a letter first and at \
                     most {MAX_TYPE_NAME} letters, digits or _ once written in snake_case",
                    raw.chars().take(60).collect::<String>()
                ))
            }
        };
        Ok(t)
    }

    /// The measurement type records of this kind are stored under (none for workouts and
    /// food).
    pub fn measurement_type(&self) -> Option<&str> {
        match self {
            HealthType::Measurement(name) => Some(name),
            HealthType::ActiveCalories => Some(ACTIVE_CALORIES_TYPE),
            HealthType::Sleep => Some(SLEEP_TYPE),
            HealthType::Distance => Some(DISTANCE_TYPE),
            HealthType::Workout | HealthType::Nutrition => None,
        }
    }
}

fn unit_key(unit: Option<&str>) -> String {
    unit.unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn in_range(v: Decimal, max: Decimal, what: &str, unit: &str) -> Result<Decimal, String> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(format!("{what} must not be negative"));
    }
    if v > max {
        return Err(format!("{what} must be at most {max} {unit}"));
    }
    Ok(round_dp(v, 6))
}

/// Energy in kcal from `value` in `unit`: kcal (default; also `cal`, `calories`, `Cal`) or kJ.
pub fn energy_kcal(value: Decimal, unit: Option<&str>) -> Result<Decimal, String> {
    let kcal = match unit_key(unit).as_str() {
        "" | "kcal" | "cal" | "cals" | "calorie" | "calories" | "kilocalorie" | "kilocalories" => {
            value
        }
        "kj" | "kilojoule" | "kilojoules" => value / dec!(4.184),
        other => {
            return Err(format!(
                "unit {other:?} is not an energy unit; use kcal or kJ"
            ))
        }
    };
    in_range(kcal, MAX_ENERGY_KCAL, "energy", "kcal")
}

/// Hours asleep from `value` in `unit`: hours (default; `h`, `hr`, `hours`), minutes or
/// seconds. At most [`MAX_SLEEP_HOURS`].
pub fn sleep_hours(value: Decimal, unit: Option<&str>) -> Result<Decimal, String> {
    let hours = match unit_key(unit).as_str() {
        "" | "h" | "hr" | "hrs" | "hour" | "hours" => value,
        "min" | "mins" | "minute" | "minutes" => value / dec!(60),
        "s" | "sec" | "secs" | "second" | "seconds" => value / dec!(3600),
        other => return Err(format!("unit {other:?} is not a duration; use h, min or s")),
    };
    in_range(hours, MAX_SLEEP_HOURS, "sleep", "hours")
}

/// A distance in km from `value` in `unit`: m, km or mi (`default` when no unit is given).
pub fn distance_km(value: Decimal, unit: Option<&str>, default: &str) -> Result<Decimal, String> {
    let key = unit_key(unit);
    let key = if key.is_empty() {
        default.to_string()
    } else {
        key
    };
    let km = match key.as_str() {
        "m" | "meter" | "meters" | "metre" | "metres" => value / dec!(1000),
        "km" | "kilometer" | "kilometers" | "kilometre" | "kilometres" => value,
        "mi" | "mile" | "miles" => DistanceUnit::Mi.to_km(value),
        other => return Err(format!("unit {other:?} is not a distance; use m, km or mi")),
    };
    in_range(km, MAX_DISTANCE_KM, "distance", "km")
}

/// Names to look a phone's workout activity up by in the exercise catalog, best first (all
/// lower case): the name itself, its "…, general" entry, and the catalog entry the common
/// Apple Health and Health Connect activity names stand for.
pub fn activity_candidates(activity: &str) -> Vec<String> {
    let name = activity
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if name.is_empty() {
        return Vec::new();
    }
    let mut out = vec![name.clone(), format!("{name}, general")];
    let alias = match snake_case(&name).as_str() {
        "walking" | "walk" | "outdoor_walk" | "indoor_walk" => {
            Some("walking, 3 mph (4.8 km/h), moderate pace")
        }
        "running" | "run" | "outdoor_run" | "indoor_run" | "treadmill" => Some("running, general"),
        "cycling" | "biking" | "outdoor_cycle" | "outdoor_cycling" | "bike" => {
            Some("bicycling, general")
        }
        "indoor_cycle" | "indoor_cycling" | "stationary_bike" | "spinning" => {
            Some("stationary bike, general")
        }
        "swimming" | "swim" | "pool_swim" | "swimming_pool" => Some("swimming, leisurely"),
        "open_water_swim" | "swimming_open_water" => Some("swimming in open water"),
        "yoga" => Some("hatha yoga"),
        "hiking" | "hike" => Some("hiking, cross country"),
        "elliptical" => Some("elliptical trainer, moderate"),
        "rowing" | "rowing_machine" | "indoor_rowing" => Some("rowing machine, moderate"),
        "traditional_strength_training"
        | "functional_strength_training"
        | "strength_training"
        | "weightlifting"
        | "weight_lifting" => Some("weight training, general"),
        "high_intensity_interval_training" | "hiit" | "cross_training" | "circuit_training" => {
            Some("circuit training, vigorous")
        }
        "stair_climbing" | "stairs" | "stair_stepper" => Some("stair climbing machine"),
        "jump_rope" => Some("jump rope, moderate (100 to 120 skips/min)"),
        "dance" | "dancing" | "cardio_dance" | "social_dance" => Some("dancing, general"),
        "soccer" | "football_soccer" => Some("soccer, casual"),
        "golf" => Some("golf, walking and carrying clubs"),
        "boxing" => Some("boxing, punching bag"),
        "cross_country_skiing" => Some("cross-country skiing, moderate"),
        "downhill_skiing" | "skiing" => Some("downhill skiing, moderate"),
        _ => None,
    };
    if let Some(a) = alias {
        if !out.iter().any(|n| n == a) {
            out.push(a.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_are_matched_loosely() {
        assert_eq!(snake_case("ActiveCaloriesBurned"), "active_calories_burned");
        assert_eq!(snake_case("Active Calories"), "active_calories");
        assert_eq!(snake_case("  active-calories "), "active_calories");
        assert_eq!(snake_case("HRV_SDNN"), "hrv_sdnn");
        assert_eq!(snake_case("Vo2Max"), "vo2_max");
        assert_eq!(snake_case("Blood Pressure (sys)"), "blood_pressure_sys");
        assert_eq!(snake_case("--"), "");
        for (raw, t) in [
            ("step", HealthType::Measurement("steps".into())),
            ("Steps", HealthType::Measurement("steps".into())),
            ("weight", HealthType::Measurement("weight".into())),
            ("BodyFat", HealthType::Measurement("body_fat".into())),
            ("body_fat", HealthType::Measurement("body_fat".into())),
            ("Hydration", HealthType::Measurement("water".into())),
            ("Active Calories", HealthType::ActiveCalories),
            ("ActiveCaloriesBurned", HealthType::ActiveCalories),
            ("SleepSession", HealthType::Sleep),
            ("sleep", HealthType::Sleep),
            ("ExerciseSession", HealthType::Workout),
            ("Workout", HealthType::Workout),
            ("Nutrition", HealthType::Nutrition),
            ("Distance", HealthType::Distance),
            (
                "resting_heart_rate",
                HealthType::Measurement("resting_heart_rate".into()),
            ),
            (
                "Blood Glucose",
                HealthType::Measurement("blood_glucose".into()),
            ),
        ] {
            assert_eq!(HealthType::classify(raw).unwrap(), t, "{raw}");
        }
        assert!(HealthType::classify("  ").is_err());
        assert!(HealthType::classify("42").is_err());
        assert!(HealthType::classify(&"a".repeat(51)).is_err());
        assert!(HealthType::classify(&"a".repeat(50)).is_ok());
        assert_eq!(
            HealthType::Sleep.measurement_type(),
            Some(SLEEP_TYPE),
            "sleep has its own type"
        );
        assert_eq!(HealthType::Workout.measurement_type(), None);
    }

    #[test]
    fn energy_sleep_and_distance_convert() {
        assert_eq!(energy_kcal(dec!(500), None).unwrap(), dec!(500));
        assert_eq!(energy_kcal(dec!(500), Some("KCAL")).unwrap(), dec!(500));
        assert_eq!(energy_kcal(dec!(4184), Some("kJ")).unwrap(), dec!(1000));
        assert!(energy_kcal(dec!(1), Some("lb")).is_err());
        assert!(energy_kcal(dec!(100001), None).is_err());
        assert_eq!(sleep_hours(dec!(7.5), None).unwrap(), dec!(7.5));
        assert_eq!(sleep_hours(dec!(450), Some("min")).unwrap(), dec!(7.5));
        assert_eq!(
            sleep_hours(dec!(27000), Some("seconds")).unwrap(),
            dec!(7.5)
        );
        assert!(sleep_hours(dec!(25), Some("h")).is_err());
        assert!(sleep_hours(dec!(1), Some("kg")).is_err());
        assert_eq!(distance_km(dec!(5000), None, "m").unwrap(), dec!(5));
        assert_eq!(distance_km(dec!(5), Some("km"), "m").unwrap(), dec!(5));
        assert_eq!(
            distance_km(dec!(1), Some("mi"), "m").unwrap(),
            dec!(1.609344)
        );
        assert!(distance_km(dec!(1), Some("kg"), "m").is_err());
    }

    #[test]
    fn activities_have_catalog_candidates() {
        assert_eq!(
            activity_candidates("Running"),
            ["running", "running, general"]
        );
        assert_eq!(
            activity_candidates("Traditional Strength Training"),
            [
                "traditional strength training",
                "traditional strength training, general",
                "weight training, general"
            ]
        );
        assert_eq!(
            activity_candidates("  Cycling "),
            ["cycling", "cycling, general", "bicycling, general"]
        );
        assert!(activity_candidates(" ").is_empty());
    }
}
