//! The MacroFactor importer over the fixture workbooks and hand-built ones.

use rust_decimal_macros::dec;

use super::workbook::tests::{text_row, workbook};
use super::workbook::{Cell, CellReader};
use super::*;
use crate::{FoodRecord, WorkoutRecord};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/macrofactor/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn diary(p: &Parsed) -> Vec<&DiaryRecord> {
    p.records
        .iter()
        .filter_map(|r| match r {
            Record::Diary(d) => Some(d),
            _ => None,
        })
        .collect()
}

fn foods(p: &Parsed) -> Vec<&FoodRecord> {
    p.records
        .iter()
        .filter_map(|r| match r {
            Record::Food(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn workouts(p: &Parsed) -> Vec<&WorkoutRecord> {
    p.records
        .iter()
        .filter_map(|r| match r {
            Record::Workout(w) => Some(w),
            _ => None,
        })
        .collect()
}

fn measurements(p: &Parsed) -> Vec<(String, String, Decimal, Option<String>)> {
    p.records
        .iter()
        .filter_map(|r| match r {
            Record::Measurement(m) => {
                Some((m.date.to_string(), m.kind.clone(), m.value, m.unit.clone()))
            }
            _ => None,
        })
        .collect()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn the_granular_export_gives_foods_weights_and_uncovered_day_totals() {
    let p = parse(&fixture("granular.xlsx"), &Options::default()).unwrap();
    let entries = diary(&p);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Oats, 1 cup (81 g)",
            "Chicken breast, grilled, 150 g",
            "Rice, white, cooked, 1.5 cup (237 g)",
            "Greek yogurt & honey, 1 container (170 g)",
            DAY_TOTAL_NAME,
        ]
    );
    let meals: Vec<MealType> = entries.iter().map(|e| e.meal).collect();
    use MealType::*;
    assert_eq!(meals, [Breakfast, Lunch, Dinner, Snack, Snack]);
    let oats = entries[0];
    assert_eq!(oats.date, d("2026-11-01"));
    assert_eq!(oats.at.unwrap().to_rfc3339(), "2026-11-01T07:38:00+00:00");
    assert_eq!(oats.line, 2);
    assert_eq!(oats.nutrients.get("calories"), Some(dec!(307)));
    assert_eq!(oats.nutrients.get("protein"), Some(dec!(10.7)));
    assert_eq!(oats.nutrients.get("carbohydrates"), Some(dec!(54.8)));
    assert_eq!(oats.nutrients.get("fat"), Some(dec!(5.3)));
    assert_eq!(oats.nutrients.get("fiber"), Some(dec!(8.2)));
    assert_eq!(oats.nutrients.get("sodium"), Some(dec!(5)));
    // A text date and a 12-hour text time.
    assert_eq!(entries[3].date, d("2026-11-02"));
    assert_eq!(
        entries[3].at.unwrap().to_rfc3339(),
        "2026-11-02T22:15:00+00:00"
    );
    assert_eq!(entries[3].nutrients.get("fiber"), None);
    // 2026-11-01 has food log rows, so only 2026-10-31's total is taken, not the target.
    let total = entries[4];
    assert_eq!(total.date, d("2026-10-31"));
    assert_eq!(total.nutrients.get("calories"), Some(dec!(2100)));
    assert_eq!(total.nutrients.get("carbohydrates"), Some(dec!(220)));
    assert_eq!(
        measurements(&p),
        [
            (
                "2026-11-01".into(),
                "weight".into(),
                dec!(80.2),
                Some("kg".into())
            ),
            (
                "2026-11-01".into(),
                "body_fat".into(),
                dec!(21.5),
                Some("%".into())
            ),
            (
                "2026-11-02".into(),
                "weight".into(),
                dec!(80),
                Some("kg".into())
            ),
        ]
    );
    // Custom foods with their one serving; the favorite that is one of them comes once.
    type Food = (String, Option<String>, Decimal, String, Option<Decimal>);
    let own: Vec<Food> = foods(&p)
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                f.brand.clone(),
                f.serving_size,
                f.serving_unit.clone(),
                f.weight_g,
            )
        })
        .collect();
    assert_eq!(
        own,
        [
            (
                "Protein shake".into(),
                Some("Home".into()),
                dec!(1),
                "scoop".into(),
                Some(dec!(30))
            ),
            (
                "Overnight oats".into(),
                None,
                dec!(250),
                "g".into(),
                Some(dec!(250))
            ),
        ]
    );
    // A workout per exercise of a session, its sets in order, the session's 65 minutes
    // shared by its two exercises; cardio with its own time and distance.
    type Workout = (String, String, Option<Decimal>, Option<Decimal>, usize);
    let sessions: Vec<Workout> = workouts(&p)
        .iter()
        .map(|w| {
            (
                w.date.to_string(),
                w.name.clone(),
                w.minutes,
                w.km,
                w.sets.len(),
            )
        })
        .collect();
    assert_eq!(
        sessions,
        [
            (
                "2026-11-01".into(),
                "Bench Press".into(),
                // The session's 65 minutes by sets: two of bench, one overhead press.
                Some(dec!(43.3)),
                None,
                2
            ),
            (
                "2026-11-01".into(),
                "Overhead Press".into(),
                Some(dec!(21.7)),
                None,
                1
            ),
            (
                "2026-11-02".into(),
                "Treadmill Run".into(),
                Some(dec!(30)),
                Some(dec!(5.2)),
                0
            ),
        ]
    );
    let bench = workouts(&p).into_iter().find(|w| w.name == "Bench Press");
    let sets: Vec<(Option<i32>, Option<Decimal>)> = bench
        .unwrap()
        .sets
        .iter()
        .map(|s| (s.reps, s.weight))
        .collect();
    assert_eq!(
        sets,
        [(Some(8), Some(dec!(60))), (Some(5), Some(dec!(100)))]
    );
    let reasons: Vec<String> = p
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.line, s.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            "1: sheet \"Recipes\": recipes are not imported (log the meal in Sparky and save it as a recipe there)",
            "1: sheet \"Weight Trend\": not imported (Sparky reads the food log, custom foods, weights, daily nutrition and workouts, and works out trends, expenditure and targets itself)",
            "2: Favorites: Protein shake: listed in another sheet too",
            "6: Food Log: the row has no food name",
            "7: Food Log: Mystery bar: a negative amount of calories",
        ]
    );
}

#[test]
fn the_quick_export_gives_weights_steps_and_day_totals() {
    let p = parse(&fixture("quick-export.xlsx"), &Options::default()).unwrap();
    assert_eq!(
        measurements(&p),
        [
            (
                "2026-11-03".into(),
                "weight".into(),
                dec!(79.8),
                Some("kg".into())
            ),
            (
                "2026-11-03".into(),
                "steps".into(),
                dec!(9120),
                Some("count".into())
            ),
            (
                "2026-11-04".into(),
                "steps".into(),
                dec!(11034),
                Some("count".into())
            ),
        ]
    );
    let totals = diary(&p);
    assert_eq!(totals.len(), 2);
    assert_eq!(totals[1].date, d("2026-11-04"));
    assert_eq!(totals[1].nutrients.get("calories"), Some(dec!(1980)));
    assert_eq!(totals[1].nutrients.get("protein"), Some(dec!(150)));
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
}

#[test]
fn keys_are_the_same_on_a_second_read() {
    let a = parse(&fixture("granular.xlsx"), &Options::default()).unwrap();
    let b = parse(&fixture("granular.xlsx"), &Options::default()).unwrap();
    let keys = |p: &Parsed| {
        p.records
            .iter()
            .map(|r| r.key().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&a), keys(&b));
    let unique: HashSet<String> = keys(&a).into_iter().collect();
    assert_eq!(unique.len(), a.records.len());
}

#[test]
fn units_and_text_cells_follow_the_options() {
    let book = workbook(&[(
        "Weigh-ins",
        vec![
            text_row(1, &["Date", "Weight", "Steps"]),
            text_row(2, &["03/11/2026", "176,4", "8000"]),
            text_row(3, &["04/11/2026", "heavy", ""]),
        ],
    )]);
    let options = Options {
        dates: Some(DateOrder::Dmy),
        decimal: Some(DecimalSeparator::Comma),
        units: Some(sparky_core::UnitsSystem::Imperial),
        ..Options::default()
    };
    let p = parse(&book, &options).unwrap();
    assert_eq!(
        measurements(&p),
        [
            (
                "2026-11-03".into(),
                "weight".into(),
                dec!(176.4),
                Some("lb".into())
            ),
            (
                "2026-11-03".into(),
                "steps".into(),
                dec!(8000),
                Some("count".into())
            ),
        ]
    );
    assert_eq!(p.skipped.len(), 1);
    assert_eq!(
        p.skipped[0].reason,
        "Weigh-ins: weight: not a number: \"heavy\""
    );
}

#[test]
fn a_workout_log_is_read_as_workouts_not_weigh_ins() {
    let book = workbook(&[
        (
            "Workouts",
            vec![
                text_row(1, &["Date", "Workout", "Exercise", "Weight (kg)", "Reps"]),
                text_row(2, &["2026-11-01", "Push", "Bench Press", "100", "5"]),
            ],
        ),
        (
            "Scale Weight",
            vec![
                text_row(1, &["Date", "Weight (kg)"]),
                text_row(2, &["2026-11-01", "80.5"]),
            ],
        ),
        (
            "Food Log",
            vec![
                text_row(1, &["Date", "Food Name", "Weight (g)", "Calories (kcal)"]),
                text_row(2, &["2026-11-01", "Apple", "182", "95"]),
            ],
        ),
    ]);
    let p = parse(&book, &Options::default()).unwrap();
    assert_eq!(
        measurements(&p),
        [(
            "2026-11-01".into(),
            "weight".into(),
            dec!(80.5),
            Some("kg".into())
        )]
    );
    assert_eq!(diary(&p)[0].name, "Apple, 182 g");
    let workouts = workouts(&p);
    assert_eq!(workouts.len(), 1);
    assert_eq!(workouts[0].name, "Bench Press");
    assert_eq!(workouts[0].sets[0].weight, Some(dec!(100)));
    assert_eq!(workouts[0].sets[0].reps, Some(5));
    assert!(p.skipped.is_empty(), "{:?}", p.skipped);
}

#[test]
fn a_workbook_without_macrofactor_sheets_is_refused() {
    let book = workbook(&[("Budget", vec![text_row(1, &["Month", "Rent"])])]);
    let e = parse(&book, &Options::default()).unwrap_err();
    assert!(e.message.contains("not a MacroFactor export"), "{e}");
    assert!(e.message.contains("its sheets: Budget"), "{e}");
}

/// Hostile uploads: the fixture's parts with bytes changed (and the zip rebuilt, so the
/// changes reach the XML readers instead of failing the zip's checksums) are either read or
/// refused with an error, never a panic.
#[test]
fn changed_workbooks_are_read_or_refused() {
    use std::io::{Read, Write};
    let data = fixture("granular.xlsx");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&data)).unwrap();
    let mut parts = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        parts.push((f.name().to_string(), bytes));
    }
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut read, mut refused) = (0, 0);
    for _ in 0..600 {
        let mut changed = parts.clone();
        let part = &mut changed[next() as usize % parts.len()].1;
        for _ in 0..1 + next() % 6 {
            let at = next() as usize % part.len();
            let markup = b"<>/\"=&;0123456789.-eE :";
            part[at] = if next() % 2 == 0 {
                markup[next() as usize % markup.len()]
            } else {
                next() as u8
            };
        }
        let mut out = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        for (name, bytes) in &changed {
            z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(bytes).unwrap();
        }
        z.finish().unwrap();
        match parse(&out.into_inner(), &Options::default()) {
            Ok(_) => read += 1,
            Err(_) => refused += 1,
        }
    }
    // Both outcomes happen: the changes are neither all harmless nor all fatal.
    assert!(read > 0 && refused > 0, "read {read}, refused {refused}");
}

#[test]
fn a_meal_column_names_the_meal() {
    let book = workbook(&[(
        "Food Log",
        vec![
            text_row(1, &["Date", "Time", "Meal", "Food Name", "Calories (kcal)"]),
            text_row(2, &["2026-11-01", "23:30", "Dinner", "Soup", "200"]),
            text_row(3, &["2026-11-01", "23:40", "", "Tea", "5"]),
        ],
    )]);
    let p = parse(&book, &Options::default()).unwrap();
    let meals: Vec<MealType> = diary(&p).iter().map(|e| e.meal).collect();
    assert_eq!(meals, [MealType::Dinner, MealType::Snack]);
}

#[test]
fn a_sheet_saved_as_csv_is_read_like_the_workbook() {
    let csv = "Date;Time;Food Name;Serving Size;Serving Qty;Calories (kcal);Protein (g)\n\
               2026-11-01;07:38;Oats;cup;1;307;10,7\n";
    let p = parse(csv.as_bytes(), &Options::default()).unwrap();
    let entries = diary(&p);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, "Oats, 1 cup");
    assert_eq!(entries[0].meal, MealType::Breakfast);
    assert_eq!(entries[0].nutrients.get("protein"), Some(dec!(10.7)));
    let e = parse(b"Month,Rent\nJanuary,900\n", &Options::default()).unwrap_err();
    assert!(e.message.contains("its sheets: CSV"), "{e}");
}

/// The food log's other nutrient columns are kept for custom nutrients; a cell there that
/// is not a number skips its row, saying so.
#[test]
fn the_food_logs_other_nutrient_columns_are_extra_columns() {
    let csv = "Date,Time,Food Name,Serving Size,Serving Qty,Calories (kcal),Protein (g),Caffeine (mg),Trend Weight (kg)\n\
               2026-11-01,07:38,Coffee,cup,1,2,0.3,95,80\n\
               2026-11-01,08:00,Tea,cup,1,2,0,lots,\n";
    let p = parse(csv.as_bytes(), &Options::default()).unwrap();
    let names: Vec<&str> = p.extra_columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Caffeine"]);
    let entries = diary(&p);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].extra, [(0, dec!(95))]);
    assert!(
        p.skipped
            .iter()
            .any(|s| s.reason.contains("Caffeine (mg): not a number")),
        "{:?}",
        p.skipped
    );
}

/// A custom foods list's other nutrient columns are the serving's.
#[test]
fn a_food_lists_other_nutrient_columns_are_the_servings() {
    let csv = "Food Name,Serving Size,Serving Qty,Calories (kcal),Caffeine (mg)\n\
               Cold brew,cup,1,5,150\n";
    let p = parse(csv.as_bytes(), &Options::default()).unwrap();
    let f = foods(&p);
    assert_eq!(f.len(), 1, "{:?}", p.skipped);
    assert_eq!(p.extra_columns[0].name, "Caffeine");
    assert_eq!(f[0].extra, [(0, dec!(150))]);
}

/// Other apps' workout CSVs have `Date` and `Exercise` too: refused naming the app, not read
/// as a workout log (FitNotes' 135 lb became 135 kg).
#[test]
fn other_apps_workout_csvs_are_refused_naming_the_app() {
    let fitnotes =
        "Date,Exercise,Category,Weight,Weight Unit,Reps,Distance,Distance Unit,Time,Comment
                    2025-11-03,Flat Barbell Bench Press,Chest,135.0,lbs,8,,,,
";
    let e = parse(fitnotes.as_bytes(), &Options::default()).unwrap_err();
    assert!(
        e.message.contains("FitNotes export") && e.message.contains("as fitnotes"),
        "{e}"
    );
    let strong = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps
                  2025-11-03 07:00:00,Push,1h 6m,Bench Press (Barbell),1,60,8
";
    let e = parse(strong.as_bytes(), &Options::default()).unwrap_err();
    assert!(e.message.contains("as strong"), "{e}");
}

/// A sheet saved as CSV with Windows line ends reads as its Unix twin: the same keys (a
/// second import of the other is "already imported") and the same line numbers.
#[test]
fn a_csv_with_windows_line_ends_reads_like_its_unix_twin() {
    let lf = "Date,Time,Food Name,Serving Size,Serving Qty,Calories (kcal)
              2026-11-01,07:38,Oats,cup,1,307
              2026-11-01,12:30,\"Chicken breast,
grilled\",g,150,248
              2026-11-01,13:10,Mystery bar,bar,1,abc
";
    let crlf = lf.replace('\n', "\r\n");
    let a = crate::parse_bytes(
        crate::Source::MacroFactor,
        lf.as_bytes(),
        &Options::default(),
    )
    .unwrap();
    let b = crate::parse_bytes(
        crate::Source::MacroFactor,
        crlf.as_bytes(),
        &Options::default(),
    )
    .unwrap();
    let keys = |p: &Parsed| diary(p).iter().map(|d| d.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
    assert_eq!(diary(&b)[1].name, "Chicken breast,\ngrilled, 150 g");
    let lines = |p: &Parsed| p.skipped.iter().map(|s| s.line).collect::<Vec<_>>();
    assert_eq!(lines(&a), [5]);
    assert_eq!(lines(&a), lines(&b));
}

#[test]
fn meals_follow_the_clock() {
    let at = |h, m| Some(NaiveTime::from_hms_opt(h, m, 0).unwrap());
    assert_eq!(meal_at(at(3, 59)), MealType::Snack);
    assert_eq!(meal_at(at(4, 0)), MealType::Breakfast);
    assert_eq!(meal_at(at(10, 59)), MealType::Breakfast);
    assert_eq!(meal_at(at(11, 0)), MealType::Lunch);
    assert_eq!(meal_at(at(17, 0)), MealType::Dinner);
    assert_eq!(meal_at(at(22, 0)), MealType::Snack);
    assert_eq!(meal_at(None), MealType::Snack);
}

#[test]
fn serial_dates_and_day_fractions_are_read_without_formats() {
    let r = CellReader {
        dates: DateOrder::Mdy,
        decimal: DecimalSeparator::Point,
    };
    assert_eq!(r.date(&Cell::Number(46_327.0)), Some(d("2026-11-01")));
    assert_eq!(r.date(&Cell::Number(-3.0)), None);
    assert_eq!(r.date(&Cell::Number(1e300)), None);
    assert_eq!(
        r.time(&Cell::Number(0.5)),
        Some(NaiveTime::from_hms_opt(12, 0, 0).unwrap())
    );
    assert_eq!(r.time(&Cell::Number(1.5)), None);
}
