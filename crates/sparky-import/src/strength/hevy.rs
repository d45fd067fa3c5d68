//! Hevy's workouts export (Settings → Export & import data → Export workouts): weights in kg or
//! lb and distances in km or miles, as the account's header says; the session length from its
//! start and end times.

use rust_decimal::Decimal;
use sparky_core::units::mi_to_km;
use sparky_core::WeightUnit;

use super::{date_time, gather, negative_set, number, positive, set_note, set_of, SetRow, Table};
use crate::{Area, ImportError, ImportResult, Options, Parsed};

/// Reads Hevy's workouts CSV export.
pub fn parse_hevy(data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let table = Table::read(data)?;
    if !(table.has("exercise_title") && table.has("set_index") && table.has("start_time")) {
        return Err(ImportError::new(
            "not a Hevy workouts export: expected a header like title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,set_index,set_type,weight_kg,reps,…",
        ));
    }
    let (weight_col, weight_unit) = match (table.col("weight_kg"), table.col("weight_lbs")) {
        (Some(c), _) => (Some(c), WeightUnit::Kg),
        (None, Some(c)) => (Some(c), WeightUnit::Lb),
        (None, None) => (None, WeightUnit::Kg),
    };
    let (distance_col, miles) = match (table.col("distance_km"), table.col("distance_miles")) {
        (Some(c), _) => (Some(c), false),
        (None, Some(c)) => (Some(c), true),
        (None, None) => (None, false),
    };
    let decimal = table.decimal(options, &["weight_kg", "weight_lbs", "distance_km"]);
    let mut out = Parsed::default();
    let mut rows = Vec::new();
    for (line, r) in &table.rows {
        let get = |name: &str| table.get(r, table.col(name));
        let Some(started) = get("start_time").and_then(date_time) else {
            out.skip(Some(Area::Workouts), *line, "no readable start_time");
            continue;
        };
        let Some(exercise) = get("exercise_title") else {
            out.skip(Some(Area::Workouts), *line, "the exercise has no name");
            continue;
        };
        let numbers = (|| -> Result<_, String> {
            Ok((
                number(table.get(r, weight_col), "weight", decimal)?,
                number(get("reps"), "reps", decimal)?,
                number(table.get(r, distance_col), "distance", decimal)?,
                number(get("duration_seconds"), "duration_seconds", decimal)?,
            ))
        })();
        let (weight, reps, distance, seconds) = match numbers {
            Ok(n) => n,
            Err(e) => {
                out.skip(Some(Area::Workouts), *line, e);
                continue;
            }
        };
        let session_minutes = get("end_time")
            .and_then(date_time)
            .map(|end| (end - started).num_seconds())
            .filter(|s| *s > 0)
            .map(|s| Decimal::from(s) / Decimal::from(60));
        if let Some(why) = negative_set(reps, weight) {
            out.skip(Some(Area::Workouts), *line, why);
            continue;
        }
        rows.push(SetRow {
            line: *line,
            started,
            workout: get("title").unwrap_or_default().to_string(),
            session_minutes,
            exercise: exercise.to_string(),
            set: set_of(reps, weight, Some(weight_unit)),
            seconds: positive(seconds),
            km: positive(distance).map(|d| if miles { mi_to_km(d) } else { d }),
            unitless_distance: None,
            clock: true,
            note: set_note(weight, Some(weight_unit), get("rpe"), None),
            exercise_note: get("exercise_notes").map(str::trim).map(str::to_string),
        });
    }
    Ok(gather(rows, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strength::tests::workouts;
    use rust_decimal_macros::dec;
    use sparky_core::WeightUnit;

    #[test]
    fn hevy_fixture() {
        let p = parse_hevy(
            include_bytes!("../../fixtures/hevy/workouts.csv"),
            &Options::default(),
        )
        .unwrap();
        let w = workouts(&p);
        assert_eq!(w.len(), 3, "{:?}", p.skipped);
        assert_eq!(w[0].name, "Squat (Barbell)");
        assert_eq!(w[0].sets.len(), 3, "warm-up included");
        assert_eq!(w[0].sets[2].weight, Some(dec!(102.5)));
        assert_eq!(w[0].sets[2].unit, Some(WeightUnit::Kg));
        // 07:06 to 08:11 shared by sets: three of squats, one leg curl.
        assert_eq!(w[0].minutes, Some(dec!(48.8)));
        assert_eq!(w[1].minutes, Some(dec!(16.2)));
        assert_eq!(w[2].name, "Treadmill");
        assert_eq!(w[2].km, Some(dec!(4.2)));
        assert_eq!(w[2].minutes, Some(dec!(30.0)));
    }
}
