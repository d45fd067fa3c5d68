//! Cronometer's data export (Settings → Account → Export data), one CSV per kind, told apart
//! by its header row.
//!
//! | file | header | becomes |
//! |---|---|---|
//! | `servings.csv` | `Day,Time,Group,Food Name,Amount,Energy (kcal),…,Protein (g),…` | a diary entry per serving, with its nutrients (named after the food and amount) |
//! | `biometrics.csv` | `Day,Group,Metric,Unit,Amount` (newer exports add `Time`) | measurements (weight, body fat, height, waist…), in their unit |
//! | `exercises.csv` | `Day,Group,Exercise,Minutes,Calories Burned` (newer exports add `Time`) | workouts |
//!
//! A nutrient column whose header names a unit Sparky does not store it in (vitamin A in IU)
//! is left out. The servings' other nutrient columns (`Caffeine (mg)`, `Omega-3 (g)`) are
//! [`crate::ExtraColumn`]s: they count where the user defines a custom nutrient of that name.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sparky_core::health::SLEEP_TYPE;
use sparky_core::nutrition::Nutrients;

use crate::csv_generic::nutrient_for;
use crate::locale::{self, DateOrder, DecimalSeparator};
use crate::{
    csv_reader, header_unit, meal_of, measurement_kind, normalise_header, nutrients_text, opt_text,
    sniff_delimiter, Area, DiaryRecord, ExtraColumn, ImportError, ImportResult, Keys,
    MeasurementRecord, Options, Parsed, Record, WorkoutRecord,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    Servings,
    Biometrics,
    Exercises,
}

pub fn detect(headers: &[String]) -> Option<File> {
    let has = |h: &str| headers.iter().any(|x| x == h);
    if has("day") && has("food_name") {
        Some(File::Servings)
    } else if has("day") && has("metric") && has("amount") {
        Some(File::Biometrics)
    } else if has("day") && has("exercise") {
        Some(File::Exercises)
    } else {
        None
    }
}

/// The unit each nutrient column must be in.
fn expected_unit(nutrient: &str) -> &'static [&'static str] {
    match nutrient {
        "calories" => &["kcal"],
        "sodium" | "cholesterol" | "potassium" | "calcium" | "iron" | "vitamin_c" => &["mg"],
        "vitamin_a" => &["µg", "μg", "ug", "mcg"],
        _ => &["g"],
    }
}

/// Reads one file of Cronometer's export.
pub fn parse(data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let delimiter = sniff_delimiter(data);
    let mut reader = csv_reader(data, delimiter);
    let raw = reader.headers()?.clone();
    let headers: Vec<String> = raw.iter().map(normalise_header).collect();
    let file = detect(&headers).ok_or_else(|| {
        ImportError::new(
            "not a Cronometer export file: expected servings.csv (Day,Time,Group,Food Name,…), \
             biometrics.csv (Day,…,Metric,Unit,Amount) or exercises.csv (Day,…,Exercise,Minutes,…)",
        )
    })?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    // Nutrient columns: the first column of each nutrient whose unit fits.
    let mut nutrient_cols: Vec<(usize, &'static str)> = Vec::new();
    if file == File::Servings {
        for (i, h) in headers.iter().enumerate() {
            let Some(n) = nutrient_for(h) else { continue };
            if nutrient_cols.iter().any(|(_, m)| *m == n) {
                continue;
            }
            let unit_ok = header_unit(&raw[i])
                .is_none_or(|u| expected_unit(n).iter().any(|e| e.eq_ignore_ascii_case(&u)));
            if unit_ok {
                nutrient_cols.push((i, n));
            }
        }
    }
    let mut out = Parsed::default();
    // Its other nutrients (`Caffeine (mg)`, `Omega-3 (g)`): (file column, extra column).
    let mut extra_cols: Vec<(usize, usize)> = Vec::new();
    if file == File::Servings {
        for (i, h) in headers.iter().enumerate() {
            if nutrient_for(h).is_some() {
                continue;
            }
            if let Some(c) = ExtraColumn::from_header(&raw[i]) {
                if let Some(x) = out.extra_column(c) {
                    extra_cols.push((i, x));
                }
            }
        }
    }
    let decimal = options.decimal.unwrap_or(if delimiter == b';' {
        DecimalSeparator::Comma
    } else {
        DecimalSeparator::Point
    });
    let mut keys = Keys::new();
    // What each serving is a version of: its day, time, group and food, and which of the same
    // it is in the file (two coffees at breakfast are two slots).
    let mut slots: HashMap<String, u32> = HashMap::new();
    for r in reader.records() {
        let r = r?;
        let line = r.position().map(|p| p.line()).unwrap_or_default();
        let get = |i: Option<usize>| i.and_then(|i| r.get(i)).filter(|s| !s.is_empty());
        let num = |i: Option<usize>, what: &str| -> Result<Option<Decimal>, String> {
            match get(i) {
                None => Ok(None),
                Some(t) => locale::parse_number(t, decimal)
                    .map(Some)
                    .ok_or_else(|| format!("{what}: not a number: \"{t}\"")),
            }
        };
        let area = match file {
            File::Servings => Area::Diary,
            File::Biometrics => Area::Measurements,
            File::Exercises => Area::Workouts,
        };
        let Some(date) = get(col("day"))
            .and_then(|d| locale::parse_date(d, options.dates.unwrap_or(DateOrder::Mdy)))
        else {
            out.skip(Some(area), line, "no readable day");
            continue;
        };
        // A time that cannot be read is said, not taken for "no time" (noon).
        let time = match get(col("time")) {
            None => None,
            Some(t) => match locale::parse_time(t) {
                Some(t) => Some(t),
                None => {
                    out.skip(Some(area), line, format!("not a time of day: \"{t}\""));
                    continue;
                }
            },
        };
        let at = locale::local_instant(date, time);
        let group = get(col("group")).unwrap_or("Uncategorized");
        match file {
            File::Servings => {
                let Some(food) = get(col("food_name")) else {
                    out.skip(Some(area), line, "the serving has no food name");
                    continue;
                };
                let amount = get(col("amount")).unwrap_or_default();
                let mut n = Nutrients::default();
                let mut bad = None;
                for (i, name) in &nutrient_cols {
                    match num(Some(*i), name) {
                        Ok(v) => n.set(name, v),
                        Err(e) => bad = Some(e),
                    }
                }
                if let Some(e) = bad {
                    out.skip(Some(area), line, e);
                    continue;
                }
                if n.iter().all(|(_, v)| v.is_none_or(|v| v.is_zero())) {
                    out.skip(Some(area), line, "no calories or nutrients");
                    continue;
                }
                let name = if amount.is_empty() {
                    food.to_string()
                } else {
                    format!("{food}, {amount}")
                };
                let name: String = name.chars().take(255).collect();
                let key = keys.of(
                    area,
                    &[
                        &date.to_string(),
                        &opt_time(time),
                        group,
                        &name,
                        &nutrients_text(&n),
                    ],
                );
                // A serving corrected in Cronometer (another amount) is a new version of the
                // same slot: it replaces what an earlier import stored instead of adding to it.
                let base = [
                    date.to_string(),
                    opt_time(time),
                    group.to_string(),
                    food.to_string(),
                ];
                let nth = slots.entry(base.join("\u{1f}")).or_insert(0);
                *nth += 1;
                let slot = Keys::slot(
                    area,
                    &[&base[0], &base[1], &base[2], &base[3], &nth.to_string()],
                );
                // A cell that is not a number is left out, like an empty one: these columns
                // only count where the user defines a nutrient of that name.
                let extra = extra_cols
                    .iter()
                    .filter_map(|(i, x)| Some((*x, num(Some(*i), "").ok()??)))
                    .filter(|(_, v)| !v.is_zero())
                    .collect();
                out.note_meal(line, group);
                out.records.push(Record::Diary(DiaryRecord {
                    key,
                    line,
                    date,
                    at,
                    meal: meal_of(group),
                    name,
                    nutrients: n,
                    day_total: false,
                    replaces: Some(slot),
                    extra,
                }));
            }
            File::Biometrics => {
                let Some(metric) = get(col("metric")) else {
                    out.skip(Some(area), line, "no metric");
                    continue;
                };
                let value = match num(col("amount"), "Amount") {
                    Ok(Some(v)) => v,
                    Ok(None) => {
                        out.skip(Some(area), line, "no amount");
                        continue;
                    }
                    Err(e) => {
                        out.skip(Some(area), line, e);
                        continue;
                    }
                };
                let kind = measurement_kind(metric);
                let unit = get(col("unit"))
                    .map(|u| u.to_string())
                    .or_else(|| options.default_unit(&kind));
                // Sleep goes where the phones put it: hours in `sleep_hours`.
                let (value, unit) = match kind.as_str() {
                    SLEEP_TYPE => match unit.as_deref().map(str::to_ascii_lowercase).as_deref() {
                        Some("min" | "mins" | "minutes") => (value / Decimal::from(60), None),
                        _ => (value, None),
                    },
                    _ => (value, unit),
                };
                // The same reading twice in a file (a row exported twice) is one reading.
                let key = Keys::whole(
                    area,
                    &[
                        &date.to_string(),
                        &opt_time(time),
                        &kind,
                        &value.normalize().to_string(),
                        unit.as_deref().unwrap_or_default(),
                    ],
                );
                out.records.push(Record::Measurement(MeasurementRecord {
                    key,
                    line,
                    date,
                    at,
                    kind,
                    value,
                    unit,
                }));
            }
            File::Exercises => {
                let Some(name) = get(col("exercise")) else {
                    out.skip(Some(area), line, "the exercise has no name");
                    continue;
                };
                let (minutes, kcal) = match (
                    num(col("minutes"), "Minutes"),
                    num(col("calories_burned"), "Calories Burned"),
                ) {
                    (Ok(m), Ok(c)) => (m, c.map(|c| c.abs())),
                    (Err(e), _) | (_, Err(e)) => {
                        out.skip(Some(area), line, e);
                        continue;
                    }
                };
                let key = keys.of(
                    area,
                    &[
                        &date.to_string(),
                        &opt_time(time),
                        name,
                        &opt_text(minutes),
                        &opt_text(kcal),
                    ],
                );
                out.records.push(Record::Workout(WorkoutRecord {
                    key,
                    line,
                    date,
                    at,
                    name: name.to_string(),
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
        }
    }
    Ok(out)
}

fn opt_time(t: Option<chrono::NaiveTime>) -> String {
    t.map(|t| t.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn servings_fixture() {
        let p = parse(
            include_bytes!("../fixtures/cronometer/servings.csv"),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(p.records.len(), 3, "{:?}", p.skipped);
        let Record::Diary(d) = &p.records[0] else {
            panic!()
        };
        assert_eq!(d.name, "Oatmeal, cooked, 1.00 cup");
        assert_eq!(d.nutrients.calories, Some(dec!(166.1)));
        assert_eq!(d.nutrients.vitamin_a, None, "IU is not µg");
    }

    /// The other nutrient columns: named without their unit (the last parentheses), built-in
    /// nutrients and columns without a unit left out; zeros and empty cells left out.
    #[test]
    fn other_nutrient_columns_are_extra_columns() {
        let p = parse(
            include_bytes!("../fixtures/cronometer/servings.csv"),
            &Options::default(),
        )
        .unwrap();
        let named = |n: &str| p.extra_columns.iter().position(|c| c.name == n);
        let b1 = named("B1 (Thiamine)").expect("B1");
        assert_eq!(p.extra_columns[b1].unit, "mg");
        assert_eq!(p.extra_columns[b1].column, "B1 (Thiamine) (mg)");
        let omega = named("Omega-3").expect("Omega-3");
        assert_eq!(p.extra_columns[omega].unit, "g");
        assert_eq!(
            p.extra_columns[named("B12 (Cobalamin)").unwrap()].unit,
            "µg"
        );
        assert_eq!(p.extra_columns[named("Vitamin D").unwrap()].unit, "IU");
        for builtin in [
            "Energy",
            "Protein",
            "Vitamin A",
            "Sodium",
            "Fat",
            "Category",
            "Amount",
        ] {
            assert_eq!(named(builtin), None, "{builtin}");
        }
        let Record::Diary(oats) = &p.records[0] else {
            panic!()
        };
        assert!(
            oats.extra.contains(&(omega, dec!(0.06))),
            "{:?}",
            oats.extra
        );
        assert!(oats.extra.iter().all(|(_, v)| !v.is_zero()));
        let caffeine = named("Caffeine").unwrap();
        assert!(oats.extra.iter().all(|(i, _)| *i != caffeine));
    }

    /// A file of more rows than an import holds is refused before it is read; one at the
    /// bound is read.
    #[test]
    fn files_are_bounded_in_rows() {
        let file = |rows: usize| {
            let mut f = String::from("Day,Group,Food Name,Energy (kcal)\n");
            for i in 0..rows {
                f.push_str(&format!("2025-01-{:02},Lunch,F{i},1\n", 1 + i % 28));
            }
            f.into_bytes()
        };
        let too_many = crate::parse_bytes(
            crate::Source::Cronometer,
            &file(crate::MAX_FILE_ROWS + 1),
            &Options::default(),
        )
        .unwrap_err();
        assert!(too_many.to_string().contains("split it"), "{too_many}");
        let at_bound = crate::parse_bytes(
            crate::Source::Cronometer,
            &file(crate::MAX_FILE_ROWS),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(at_bound.records.len(), crate::MAX_FILE_ROWS);
    }

    /// At most 50 other nutrient columns are read (each is a value a row may hold), and the
    /// notes say so.
    #[test]
    fn other_nutrient_columns_are_bounded() {
        let names: Vec<String> = (0..60).map(|i| format!("N{i} (mg)")).collect();
        let file = format!(
            "Day,Group,Food Name,Energy (kcal),{}\n2025-01-01,Lunch,Soup,100,{}\n",
            names.join(","),
            vec!["1"; 60].join(",")
        );
        let p = parse(file.as_bytes(), &Options::default()).unwrap();
        assert_eq!(p.extra_columns.len(), crate::MAX_EXTRA_COLUMNS);
        let Record::Diary(soup) = &p.records[0] else {
            panic!()
        };
        assert_eq!(soup.extra.len(), crate::MAX_EXTRA_COLUMNS);
        assert!(
            p.notes
                .iter()
                .any(|n| n.message.contains("only the first 50")),
            "{:?}",
            p.notes
        );
    }

    /// Two files of one import: the second file's columns are found again by name and unit,
    /// and its rows point at the merged columns.
    #[test]
    fn merged_files_share_extra_columns() {
        let one =
            b"Day,Group,Food Name,Energy (kcal),Caffeine (mg)\n2025-01-01,Breakfast,Tea,2,40\n";
        let two = b"Day,Group,Food Name,Energy (kcal),Omega-3 (g),Caffeine (mg)\n2025-01-02,Lunch,Fish,200,2,5\n";
        let mut p = parse(one, &Options::default()).unwrap();
        p.extend(parse(two, &Options::default()).unwrap());
        let names: Vec<&str> = p.extra_columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Caffeine", "Omega-3"]);
        let Record::Diary(fish) = &p.records[1] else {
            panic!()
        };
        let mut extra = fish.extra.clone();
        extra.sort();
        assert_eq!(extra, [(0, dec!(5)), (1, dec!(2))]);
    }

    /// `25:61 PM` is not a time: that row is skipped with its line, not logged at noon.
    #[test]
    fn an_unreadable_time_is_skipped_not_noon() {
        let file = b"Day,Time,Group,Metric,Unit,Amount\n\
                     2025-01-15,25:61 PM,Uncategorized,Weight,kg,80\n\
                     2025-01-16,7:30 AM,Uncategorized,Weight,kg,79.5\n";
        let p = parse(file, &Options::default()).unwrap();
        assert_eq!(p.records.len(), 1, "{:?}", p.records);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].line, 2);
        assert!(p.skipped[0].reason.contains("25:61 PM"), "{:?}", p.skipped);
    }

    #[test]
    fn biometrics_fixture() {
        let p = parse(
            include_bytes!("../fixtures/cronometer/biometrics.csv"),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(p.records.len(), 3);
        let Record::Measurement(m) = &p.records[0] else {
            panic!()
        };
        assert_eq!(
            (m.kind.as_str(), m.unit.as_deref()),
            ("weight", Some("lbs"))
        );
        let Record::Measurement(m) = &p.records[1] else {
            panic!()
        };
        assert_eq!(m.kind, "body_fat");
    }

    /// A row exported twice is one reading (its key is its content); sleep goes to the phones'
    /// `sleep_hours`, in hours.
    #[test]
    fn biometrics_repeats_and_sleep() {
        let file = b"Day,Time,Group,Metric,Unit,Amount\n\
                     2025-02-01,7:00 AM,Uncategorized,Weight,kg,80.5\n\
                     2025-02-01,7:00 AM,Uncategorized,Weight,kg,80.5\n\
                     2025-02-01,,Uncategorized,Sleep,hours,7.5\n\
                     2025-02-02,,Uncategorized,Sleep,minutes,450\n";
        let p = parse(file, &Options::default()).unwrap();
        let m: Vec<&MeasurementRecord> = p
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Measurement(m) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].key, m[1].key, "the repeat is the same reading");
        assert_eq!((m[2].kind.as_str(), m[2].value), ("sleep_hours", dec!(7.5)));
        assert_eq!((m[3].kind.as_str(), m[3].value), ("sleep_hours", dec!(7.5)));
        assert_eq!(m[3].unit, None);
    }
}
