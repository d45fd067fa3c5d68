//! FitNotes' workout data export: like Strong's, a row per set, but a day without a time of
//! day or a session length, so a day's sets are one session and only timed sets (`Time`,
//! `H:MM:SS`) give minutes.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{
    gather, mass_unit, negative_set, number, positive, row_units, set_note, set_of, SetRow, Table,
};
use crate::{Area, ImportError, ImportResult, Options, Parsed};

/// Reads FitNotes' workout data export (either format).
pub fn parse_fitnotes(data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let table = Table::read(data)?;
    if !(table.has("date") && table.has("exercise") && table.has("reps")) {
        return Err(ImportError::new(
            "not a FitNotes export: expected a header like Date,Exercise,Category,Weight,Weight Unit,Reps,Distance,Distance Unit,Time",
        ));
    }
    let weight_col = table.col("weight");
    // The older export names the unit in the header: `Weight (kgs)`, `Weight (lbs)`.
    let header_weight_unit = weight_col
        .and_then(|i| table.units[i].as_deref())
        .and_then(mass_unit);
    let weight_unit_col = table.col("weight_unit");
    let distance_unit_col = table.col("distance_unit");
    let decimal = table.decimal(options, &["weight", "distance"]);
    let mut out = Parsed::default();
    let mut rows = Vec::new();
    for (line, r) in &table.rows {
        let get = |name: &str| table.get(r, table.col(name));
        let Some(day) =
            get("date").and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
        else {
            out.skip(Some(Area::Workouts), *line, "no readable date (YYYY-MM-DD)");
            continue;
        };
        let Some(exercise) = get("exercise") else {
            out.skip(Some(Area::Workouts), *line, "the exercise has no name");
            continue;
        };
        let numbers = (|| -> Result<_, String> {
            Ok((
                number(table.get(r, weight_col), "Weight", decimal)?,
                number(get("reps"), "Reps", decimal)?,
                number(get("distance"), "Distance", decimal)?,
            ))
        })();
        let (weight, reps, distance) = match numbers {
            Ok(n) => n,
            Err(e) => {
                out.skip(Some(Area::Workouts), *line, e);
                continue;
            }
        };
        let seconds = match get("time") {
            None => None,
            Some(t) => match clock_seconds(t) {
                Some(s) => Some(s),
                None => {
                    out.skip(
                        Some(Area::Workouts),
                        *line,
                        format!("Time: not a duration (H:MM:SS): \"{t}\""),
                    );
                    continue;
                }
            },
        };
        let units = row_units(
            table.get(r, weight_unit_col),
            header_weight_unit,
            distance,
            table.get(r, distance_unit_col),
        );
        let (weight_unit, km, unitless_distance) = match units {
            Ok(u) => u,
            Err(e) => {
                out.skip(Some(Area::Workouts), *line, e);
                continue;
            }
        };
        if let Some(why) = negative_set(reps, weight) {
            out.skip(Some(Area::Workouts), *line, why);
            continue;
        }
        rows.push(SetRow {
            line: *line,
            started: day.and_hms_opt(12, 0, 0).unwrap_or_default(),
            workout: String::new(),
            session_minutes: None,
            exercise: exercise.to_string(),
            // A timed set (a plank) has a weight of 0 and no reps: not a set of reps.
            set: set_of(reps, weight, weight_unit),
            seconds: positive(seconds),
            km,
            unitless_distance,
            clock: false,
            note: set_note(weight, weight_unit, None, get("comment")),
            exercise_note: None,
        });
    }
    Ok(gather(rows, out))
}

/// FitNotes' set duration: `H:MM:SS`, `MM:SS`, or a number of seconds.
pub(super) fn clock_seconds(t: &str) -> Option<Decimal> {
    let t = t.trim();
    if let Ok(s) = t.parse::<Decimal>() {
        return crate::locale::bounded(s).filter(|s| *s >= Decimal::ZERO);
    }
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let mut total = Decimal::ZERO;
    for p in parts {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 6 {
            return None;
        }
        total = total * Decimal::from(60) + p.parse::<Decimal>().ok()?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strength::tests::workouts;
    use crate::SetRecord;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;
    use sparky_core::WeightUnit;

    #[test]
    fn fitnotes_fixture_one_workout_per_exercise_of_a_day() {
        let p = parse_fitnotes(
            include_bytes!("../../fixtures/fitnotes/FitNotes_Export.csv"),
            &Options::default(),
        )
        .unwrap();
        let w = workouts(&p);
        assert_eq!(w.len(), 5, "{:?}", p.skipped);
        assert_eq!(w[0].name, "Flat Barbell Bench Press");
        assert_eq!(w[0].date, NaiveDate::from_ymd_opt(2025, 11, 3).unwrap());
        assert_eq!(w[0].at, None, "FitNotes gives no time of day");
        assert_eq!(w[0].sets.len(), 2);
        assert_eq!(w[0].sets[1].weight, Some(dec!(62.5)));
        assert_eq!(w[0].sets[1].unit, Some(WeightUnit::Kg));
        assert_eq!(w[0].minutes, None, "no session length to share");
        // A timed hold: three timed sets from the Time column, and their minutes.
        assert_eq!(w[1].name, "Plank");
        let held: Vec<Option<i32>> = w[1].sets.iter().map(|s| s.duration_seconds).collect();
        assert_eq!(held, vec![Some(90), Some(75), Some(75)]);
        assert!(w[1].sets.iter().all(|s| s.reps.is_none()));
        assert_eq!(w[1].minutes, Some(dec!(4.0)));
        assert_eq!(w[2].name, "Running (Treadmill)");
        assert_eq!(w[2].km, Some(dec!(5)));
        assert_eq!(w[2].minutes, Some(dec!(28.0)));
        assert_eq!(
            w[3].sets,
            vec![SetRecord {
                reps: Some(8),
                weight: None,
                unit: None,
                duration_seconds: None
            }]
        );
        assert_eq!(
            w[4].sets.len(),
            1,
            "the unreadable weight's row is left out"
        );
        assert_eq!(p.skipped.len(), 1, "{:?}", p.skipped);
        assert!(
            p.skipped[0].reason.contains("not a number"),
            "{:?}",
            p.skipped
        );
    }

    #[test]
    fn fitnotes_older_format_names_the_unit_in_the_header() {
        let p = parse_fitnotes(
            include_bytes!("../../fixtures/fitnotes/FitNotes_Export_older.csv"),
            &Options::default(),
        )
        .unwrap();
        let w = workouts(&p);
        assert_eq!(w.len(), 2, "{:?}", p.skipped);
        assert_eq!(w[0].sets[0].weight, Some(dec!(225)));
        assert_eq!(w[0].sets[0].unit, Some(WeightUnit::Lb));
        assert_eq!(w[1].km, Some(dec!(16.093)));
        assert_eq!(w[1].minutes, Some(dec!(40.0)));
        // Another app's file is refused with what was expected.
        let err = parse_fitnotes(
            include_bytes!("../../fixtures/hevy/workouts.csv"),
            &Options::default(),
        )
        .unwrap_err();
        assert!(err.message.contains("not a FitNotes export"), "{err}");
        assert_eq!(clock_seconds("1:02:03"), Some(dec!(3723)));
        assert_eq!(clock_seconds("02:30"), Some(dec!(150)));
        assert_eq!(clock_seconds("1:x:00"), None);
        assert_eq!(clock_seconds("-5"), None);
    }
}
