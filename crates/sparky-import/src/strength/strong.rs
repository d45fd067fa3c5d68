//! Strong's workout export (Settings → Export data), either format: the newer comma-separated
//! one (weights without a unit, in the user's unit system) and the older semicolon-separated one
//! with `Weight Unit` and `Distance Unit` columns. Rest timer rows are skipped.

use super::{
    date_time, duration_minutes, gather, negative_set, number, positive, row_units, set_note,
    set_of, SetRow, Table,
};
use crate::{Area, ImportError, ImportResult, Options, Parsed};
use sparky_core::WeightUnit;

/// Reads Strong's CSV export (either format).
pub fn parse_strong(data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let table = Table::read(data)?;
    if !(table.has("exercise_name") && table.has("set_order") && table.has("date")) {
        return Err(ImportError::new(
            "not a Strong export: expected a header like Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,…",
        ));
    }
    let decimal = table.decimal(options, &["weight", "distance"]);
    let weight_unit_col = table.col("weight_unit");
    let distance_unit_col = table.col("distance_unit");
    let duration_col = table.col("duration").or(table.col("workout_duration"));
    let mut out = Parsed::default();
    let mut rows = Vec::new();
    for (line, r) in &table.rows {
        let get = |name: &str| table.get(r, table.col(name));
        let order = get("set_order").unwrap_or_default();
        if order.to_ascii_lowercase().contains("rest") {
            out.skip(Some(Area::Workouts), *line, "a rest timer, not a set");
            continue;
        }
        let Some(started) = get("date").and_then(date_time) else {
            out.skip(Some(Area::Workouts), *line, "no readable date and time");
            continue;
        };
        let Some(exercise) = get("exercise_name") else {
            out.skip(Some(Area::Workouts), *line, "the exercise has no name");
            continue;
        };
        let numbers = (|| -> Result<_, String> {
            Ok((
                number(get("weight"), "Weight", decimal)?,
                number(get("reps"), "Reps", decimal)?,
                number(get("distance"), "Distance", decimal)?,
                number(get("seconds"), "Seconds", decimal)?,
            ))
        })();
        let (weight, reps, distance, seconds) = match numbers {
            Ok(n) => n,
            Err(e) => {
                out.skip(Some(Area::Workouts), *line, e);
                continue;
            }
        };
        // The newer format has no unit columns: its values are in the app's unit system, which
        // `units` names when it is not the account's.
        let units = row_units(
            table.get(r, weight_unit_col),
            options.units.map(|u| match u.is_imperial() {
                true => WeightUnit::Lb,
                false => WeightUnit::Kg,
            }),
            distance,
            table
                .get(r, distance_unit_col)
                .or(options.units.map(|u| match u.is_imperial() {
                    true => "mi",
                    false => "km",
                })),
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
            started,
            workout: get("workout_name").unwrap_or_default().to_string(),
            session_minutes: table.get(r, duration_col).and_then(duration_minutes),
            exercise: exercise.to_string(),
            set: set_of(reps, weight, weight_unit),
            seconds: positive(seconds),
            km,
            unitless_distance,
            clock: true,
            note: set_note(weight, weight_unit, get("rpe"), get("notes")),
            exercise_note: get("workout_notes").map(str::trim).map(str::to_string),
        });
    }
    Ok(gather(rows, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strength::tests::workouts;
    use crate::SetRecord;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    #[test]
    fn strong_fixture_one_workout_per_exercise() {
        let p = parse_strong(
            include_bytes!("../../fixtures/strong/strong.csv"),
            &Options::default(),
        )
        .unwrap();
        let w = workouts(&p);
        assert_eq!(w.len(), 4, "{:?}", p.skipped);
        assert_eq!(w[0].name, "Bench Press (Barbell)");
        assert_eq!(w[0].date, NaiveDate::from_ymd_opt(2025, 11, 3).unwrap());
        assert_eq!(
            w[0].sets,
            vec![
                SetRecord {
                    reps: Some(10),
                    weight: Some(dec!(40)),
                    unit: None,
                    duration_seconds: None
                },
                SetRecord {
                    reps: Some(8),
                    weight: Some(dec!(60)),
                    unit: None,
                    duration_seconds: None
                },
                SetRecord {
                    reps: Some(6),
                    weight: Some(dec!(62.5)),
                    unit: None,
                    duration_seconds: None
                },
            ]
        );
        // 1h 6m less the run's 25 minutes, shared by sets: three of bench, two pull-ups.
        assert_eq!(w[0].minutes, Some(dec!(24.6)));
        assert_eq!(w[1].minutes, Some(dec!(16.4)));
        // Pull-ups: reps without weight.
        assert_eq!(
            w[1].sets[0],
            SetRecord {
                reps: Some(8),
                weight: None,
                unit: None,
                duration_seconds: None
            }
        );
        // Running: its own time and a distance without a unit.
        assert_eq!(w[2].name, "Running");
        assert_eq!(w[2].minutes, Some(dec!(25.0)));
        assert_eq!(w[2].unitless_distance, Some(dec!(5)));
        assert!(w[2].sets.is_empty());
        assert_eq!(w[3].date, NaiveDate::from_ymd_opt(2025, 11, 5).unwrap());
        assert_eq!(p.skipped.len(), 1, "the rest timer: {:?}", p.skipped);
    }

    /// `units` names the unit system of a file without unit columns (the account's is not
    /// the app's).
    #[test]
    fn strong_units_option_decides_unitless_weights_and_distances() {
        let p = parse_strong(
            include_bytes!("../../fixtures/strong/strong.csv"),
            &Options {
                units: Some(sparky_core::UnitsSystem::Imperial),
                ..Options::default()
            },
        )
        .unwrap();
        let w = workouts(&p);
        assert!(
            w[0].sets.iter().all(|s| s.unit == Some(WeightUnit::Lb)),
            "{:?}",
            w[0].sets
        );
        assert_eq!(w[2].unitless_distance, None);
        assert_eq!(w[2].km, Some(dec!(8.047)));
    }

    #[test]
    fn strong_legacy_format_with_units() {
        let p = parse_strong(
            include_bytes!("../../fixtures/strong/strong-legacy.csv"),
            &Options::default(),
        )
        .unwrap();
        let w = workouts(&p);
        assert_eq!(w.len(), 2, "{:?}", p.skipped);
        assert_eq!(w[0].sets.len(), 3);
        assert_eq!(w[0].sets[1].weight, Some(dec!(135)));
        assert_eq!(w[0].sets[1].unit, Some(WeightUnit::Lb));
        assert_eq!(w[1].km, Some(dec!(3.219)));
        // 45 minutes less the ride's 10.
        assert_eq!(w[0].minutes, Some(dec!(35)));
    }

    /// A negative number of reps is skipped with its reason (it became "no reps" silently).
    #[test]
    fn negative_reps_are_skipped_saying_so() {
        let csv = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps\n\
                   2025-11-04 07:30:00,Leg,1h,Squat (Barbell),1,100,-5\n\
                   2025-11-04 07:30:00,Leg,1h,Squat (Barbell),2,100,5\n";
        let p = parse_strong(csv.as_bytes(), &Options::default()).unwrap();
        let w = workouts(&p);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].sets.len(), 1);
        assert_eq!(w[0].sets[0].reps, Some(5));
        assert!(
            format!("{:?}", p.skipped).contains("a negative number of reps"),
            "{:?}",
            p.skipped
        );
    }

    /// What a set cannot hold (an assisting weight, RPE, the set's note, the session's note)
    /// is kept for the workout's notes, not dropped.
    #[test]
    fn assistance_rpe_and_notes_are_kept() {
        let csv = "Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;Distance;Distance Unit;Seconds;Notes;Workout Notes;Workout Duration\n\
                   2025-11-04 07:30:00;Pull;Pull Up (Assisted);1;-20;kg;8;;;;;;Felt good;1h\n\
                   2025-11-04 07:30:00;Pull;Pull Up (Assisted);2;-15;kg;6;8.5;;;;\"a \"\"quoted\"\" note\";Felt good;1h\n\
                   2025-11-04 07:30:00;Pull;Pull Up (Assisted);3;;;5;;;;;;Felt good;1h\n";
        let p = parse_strong(csv.as_bytes(), &Options::default()).unwrap();
        assert!(p.skipped.is_empty(), "{:?}", p.skipped);
        let w = workouts(&p);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].sets.len(), 3);
        assert_eq!(w[0].sets[0].weight, None, "an assisting weight is no load");
        assert_eq!(
            w[0].notes,
            vec![
                "Felt good".to_string(),
                "set 1: assisted 20 kg".into(),
                "set 2: assisted 15 kg, RPE 8.5, a \"quoted\" note".into(),
            ]
        );
        // Without notes a session keeps the version an import without them stored.
        let plain = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps\n\
                     2025-11-04 07:30:00,Leg,1h,Squat (Barbell),1,100,5\n";
        let with_note = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Notes\n\
                         2025-11-04 07:30:00,Leg,1h,Squat (Barbell),1,100,5,\n";
        let a = workouts(&parse_strong(plain.as_bytes(), &Options::default()).unwrap())[0].clone();
        let b =
            workouts(&parse_strong(with_note.as_bytes(), &Options::default()).unwrap())[0].clone();
        assert_eq!(a.version, b.version);
    }

    #[test]
    fn sixty_thousand_exercises_in_one_file() {
        let mut csv =
            String::from("Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps\n");
        for i in 0..60_000 {
            csv.push_str(&format!(
                "2025-01-{:02} 07:{:02}:00,W,1h,Exercise {i},1,20,5\n",
                1 + i % 28,
                i % 60
            ));
        }
        let p = parse_strong(csv.as_bytes(), &Options::default()).unwrap();
        assert_eq!(p.records.len(), 60_000);
    }
}
