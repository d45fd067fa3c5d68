//! MyFitnessPal's data export (Settings → Export data): a zip of CSV files, each read here on
//! its own and told apart by its header row.
//!
//! | file | header | becomes |
//! |---|---|---|
//! | Nutrition Summary | `Date,Meal,Calories,Fat (g),Saturated Fat,…,Protein (g),…,Note` | one quick-add diary entry per day and meal, with its macros |
//! | Measurement Summary | `Date,Weight` (and one column per other measurement, e.g. `Waist`) | measurements, in the unit system given (default: the user's) |
//! | Exercise Summary | `Date,Exercise,Type,Exercise Calories,Exercise Minutes,Sets,Reps Per Set,Pounds,Steps,Note` | workouts |
//!
//! MyFitnessPal writes vitamin A, vitamin C, calcium and iron as a percentage of the daily
//! value, not an amount: those columns are not imported.

use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;

use crate::locale::{self, DecimalSeparator};
use crate::{
    csv_reader, measurement_kind, nutrients_text, opt_text, sniff_delimiter, Area, DiaryRecord,
    ImportError, ImportResult, Keys, MeasurementRecord, Options, Parsed, Record, WorkoutRecord,
};

/// Which of the export's files this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    Nutrition,
    Measurements,
    Exercise,
}

pub fn detect(headers: &[String]) -> Option<File> {
    let has = |h: &str| headers.iter().any(|x| x == h);
    if has("date") && has("meal") && has("calories") {
        Some(File::Nutrition)
    } else if has("date")
        && has("exercise")
        && (has("exercise_calories") || has("exercise_minutes"))
    {
        Some(File::Exercise)
    } else if headers.first().map(String::as_str) == Some("date")
        && headers.len() >= 2
        && !headers
            .iter()
            .any(|h| NOT_MEASUREMENTS.contains(&h.as_str()))
    {
        Some(File::Measurements)
    } else {
        None
    }
}

/// Columns of other apps' logs that start with a date too (Strong, FitNotes, Hevy, food
/// logs): a file with one of them is not MyFitnessPal's Measurement Summary, whose columns
/// after the date are all measurements.
const NOT_MEASUREMENTS: &[&str] = &[
    "workout_name",
    "exercise_name",
    "exercise",
    "set_order",
    "reps",
    "sets",
    "rpe",
    "seconds",
    "duration",
    "distance_unit",
    "category",
    "food",
    "food_name",
    "meal",
    "calories",
    "energy",
    "amount",
];

/// Nutrition Summary columns that hold an amount (the % daily value ones are left out).
fn nutrient_of(header: &str) -> Option<&'static str> {
    Some(match header {
        "calories" => "calories",
        "fat" => "fat",
        "saturated_fat" => "saturated_fat",
        "trans_fat" => "trans_fat",
        "cholesterol" => "cholesterol",
        "sodium" => "sodium",
        "potassium" => "potassium",
        "carbohydrates" => "carbohydrates",
        "fiber" => "fiber",
        "sugar" => "sugar",
        "protein" => "protein",
        _ => return None,
    })
}

/// Reads one file of MyFitnessPal's export.
pub fn parse(data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let headers = crate::csv_headers(data)?;
    let file = detect(&headers).ok_or_else(|| {
        ImportError::new(
            "not a MyFitnessPal export file: expected the Nutrition Summary (Date,Meal,Calories,…), \
             Measurement Summary (Date,Weight,…) or Exercise Summary (Date,Exercise,Type,…) CSV",
        )
    })?;
    let mut reader = csv_reader(data, sniff_delimiter(data));
    let mut out = Parsed::default();
    let mut keys = Keys::new();
    let decimal = options.decimal.unwrap_or(DecimalSeparator::Point);
    let col = |name: &str| headers.iter().position(|h| h == name);
    let area = match file {
        File::Nutrition => Area::Diary,
        File::Measurements => Area::Measurements,
        File::Exercise => Area::Workouts,
    };
    for r in reader.records() {
        let r = r?;
        let line = r.position().map(|p| p.line()).unwrap_or_default();
        let get = |i: Option<usize>| i.and_then(|i| r.get(i)).filter(|s| !s.is_empty());
        let num = |i: Option<usize>, what: &str| -> Result<Option<Decimal>, String> {
            match get(i) {
                None => Ok(None),
                Some(t) => locale::parse_number(t, decimal).map(Some).ok_or_else(|| {
                    // The hint only where a comma could be the reason.
                    if t.contains(',') {
                        format!(
                            "{what}: not a number: \"{t}\" (written with a decimal comma? \
                             import with decimal=comma)"
                        )
                    } else {
                        format!("{what}: not a number: \"{t}\"")
                    }
                }),
            }
        };
        let date = match get(col("date"))
            .and_then(|d| locale::parse_date(d, options.dates.unwrap_or(locale::DateOrder::Mdy)))
        {
            Some(d) => d,
            None => {
                out.skip(Some(area), line, "no readable date");
                continue;
            }
        };
        match file {
            File::Nutrition => {
                let meal_text = get(col("meal")).unwrap_or("Snacks");
                let mut n = Nutrients::default();
                let mut bad = None;
                for (i, h) in headers.iter().enumerate() {
                    if let Some(name) = nutrient_of(h) {
                        match num(Some(i), name) {
                            Ok(v) => n.set(name, v),
                            Err(e) => bad = Some(e),
                        }
                    }
                }
                if let Some(e) = bad {
                    out.skip(Some(Area::Diary), line, e);
                    continue;
                }
                if n.iter().all(|(_, v)| v.is_none_or(|v| v.is_zero())) {
                    out.skip(Some(Area::Diary), line, "nothing eaten (all zero)");
                    continue;
                }
                let meal = crate::meal_of(meal_text);
                out.note_meal(line, meal_text);
                let name = format!("{meal_text} (MyFitnessPal)");
                // The summary has one row per day and meal: a later export with a changed
                // total replaces the entry, and the same row twice is one entry.
                let day = date.to_string();
                let key = Keys::whole(Area::Diary, &[&day, meal_text, &nutrients_text(&n)]);
                out.records.push(Record::Diary(DiaryRecord {
                    key,
                    line,
                    date,
                    at: None,
                    meal,
                    name,
                    nutrients: n,
                    day_total: false,
                    replaces: Some(Keys::slot(Area::Diary, &[&day, meal_text])),
                    extra: Vec::new(),
                }));
            }
            File::Exercise => {
                let name = match get(col("exercise")) {
                    Some(n) => n.to_string(),
                    None => {
                        out.skip(Some(Area::Workouts), line, "the exercise has no name");
                        continue;
                    }
                };
                let (minutes, kcal) = match (
                    num(col("exercise_minutes"), "Exercise Minutes"),
                    num(col("exercise_calories"), "Exercise Calories"),
                ) {
                    (Ok(m), Ok(c)) => (m, c.map(|c| c.abs())),
                    (Err(e), _) | (_, Err(e)) => {
                        out.skip(Some(Area::Workouts), line, e);
                        continue;
                    }
                };
                if minutes.is_none_or(|m| m.is_zero()) && kcal.is_none_or(|c| c.is_zero()) {
                    out.skip(Some(Area::Workouts), line, "no minutes and no calories");
                    continue;
                }
                let key = keys.of(
                    Area::Workouts,
                    &[
                        &date.to_string(),
                        &name,
                        &opt_text(minutes),
                        &opt_text(kcal),
                    ],
                );
                out.records.push(Record::Workout(WorkoutRecord {
                    key,
                    line,
                    date,
                    at: None,
                    name,
                    minutes,
                    kcal,
                    km: None,
                    unitless_distance: None,
                    sets: Vec::new(),
                    notes: Vec::new(),
                    version: None,
                    earlier: None,
                }));
            }
            File::Measurements => {
                for (i, h) in headers.iter().enumerate().skip(1) {
                    if h == "note" || h.is_empty() {
                        continue;
                    }
                    let value = match num(Some(i), h) {
                        Ok(Some(v)) => v,
                        Ok(None) => continue,
                        Err(e) => {
                            out.skip(Some(Area::Measurements), line, e);
                            continue;
                        }
                    };
                    let kind = measurement_kind(h);
                    let unit = options.default_unit(&kind);
                    let key = keys.of(
                        Area::Measurements,
                        &[&date.to_string(), &kind, &value.normalize().to_string()],
                    );
                    out.records.push(Record::Measurement(MeasurementRecord {
                        key,
                        line,
                        date,
                        at: None,
                        kind,
                        value,
                        unit,
                    }));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn nutrition_summary_fixture() {
        let p = parse(
            include_bytes!("../fixtures/mfp/Nutrition-Summary.csv"),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(p.records.len(), 4, "{:?}", p.skipped);
        let Record::Diary(d) = &p.records[0] else {
            panic!()
        };
        assert_eq!(d.meal, sparky_core::MealType::Breakfast);
        assert_eq!(d.nutrients.calories, Some(dec!(420)));
        assert_eq!(d.nutrients.protein, Some(dec!(22.5)));
        assert_eq!(d.nutrients.vitamin_a, None);
        assert_eq!(p.skipped.len(), 1);
    }

    /// `500,5` in a file read with a decimal point is refused with its line, not read as 5005.
    #[test]
    fn a_decimal_comma_is_not_taken_for_thousands() {
        let file = b"Date,Meal,Calories,Fat (g),Protein (g),Carbohydrates (g)\n\
                     2025-02-01,Lunch,\"500,5\",\"12,5\",20,60\n";
        let p = parse(file, &Options::default()).unwrap();
        assert!(p.records.is_empty(), "{:?}", p.records);
        assert_eq!(p.skipped.len(), 1);
        let reason = format!("{:?}", p.skipped[0]);
        assert!(reason.contains("decimal=comma"), "{reason}");
        // Without a comma in it, the hint would mislead.
        let nan = b"Date,Meal,Calories\n2025-02-01,Lunch,NaN\n";
        let p = parse(nan, &Options::default()).unwrap();
        let reason = format!("{:?}", p.skipped[0]);
        assert!(
            reason.contains("not a number") && !reason.contains("decimal=comma"),
            "{reason}"
        );
        let comma = Options {
            decimal: Some(DecimalSeparator::Comma),
            ..Options::default()
        };
        let p = parse(file, &comma).unwrap();
        let Record::Diary(d) = &p.records[0] else {
            panic!("{:?}", p.records)
        };
        assert_eq!(d.nutrients.calories, Some(dec!(500.5)));
        assert_eq!(d.nutrients.fat, Some(dec!(12.5)));
    }

    #[test]
    fn unknown_files_are_refused() {
        assert!(parse(b"Foo,Bar\n1,2\n", &Options::default()).is_err());
    }

    /// Workout logs start with a date too; they are not taken for body measurements (a
    /// Strong file used to become weights of 60 and reps of 8).
    #[test]
    fn other_apps_dated_files_are_not_measurements() {
        for file in [
            &include_bytes!("../fixtures/strong/strong.csv")[..],
            &include_bytes!("../fixtures/strong/strong-legacy.csv")[..],
            &include_bytes!("../fixtures/fitnotes/FitNotes_Export.csv")[..],
            &include_bytes!("../fixtures/fitnotes/FitNotes_Export_older.csv")[..],
        ] {
            let e = parse(file, &Options::default()).unwrap_err();
            assert!(e.to_string().contains("not a MyFitnessPal export"), "{e}");
        }
        let p = parse(
            include_bytes!("../fixtures/mfp/Measurement-Summary.csv"),
            &Options::default(),
        )
        .unwrap();
        assert!(
            p.records
                .iter()
                .all(|r| matches!(r, Record::Measurement(_))),
            "{:?}",
            p.records
        );
        assert!(!p.records.is_empty());
    }
}
