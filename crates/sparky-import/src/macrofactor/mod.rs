//! MacroFactor's data export (More → Data Management → Data Export): one Excel workbook
//! (.xlsx), its sheets told apart by their columns (names vary between the quick and the
//! granular export and between app versions).
//!
//! | sheet | columns | becomes |
//! |---|---|---|
//! | Food Log | `Date`, `Time`, `Food Name`, `Serving Size`, `Serving Qty`, `Serving Weight (g)`, `Calories (kcal)`, `Protein (g)`, … | a diary entry per row with its nutrients, named after the food and amount, in the meal its time falls in |
//! | Scale Weight, Quick Export, … | `Date`, `Weight (kg)` (or `lb`), `Fat Percent`, `Steps` | weight, body fat and step measurements |
//! | Workouts | `Date`, `Time`, `Workout`, `Workout Duration`, `Exercise`, `Weight (kg)`, `Reps`, `Duration`, `Distance (m)`… (a row per set) | a workout per exercise of each session with its sets ([`workouts`]) |
//! | Calories & Macros, Micronutrients, Quick Export | `Date` and nutrient columns | one "MacroFactor day total" entry for each day the food log of the same file does not cover (and, when written, only for a day without food diary entries: [`DiaryRecord::day_total`]) |
//!
//! MacroFactor has no meals, so a food's time of day picks one: from 04:00 breakfast, from
//! 11:00 lunch, from 17:00 dinner, from 22:00 (and without a time) a snack. Trend weight,
//! expenditure and targets are Sparky's to work out and are not imported; sheets with none of
//! the columns above are listed as skipped. A sheet naming an exercise, reps or sets is a
//! workout log, never weigh-ins (its `Weight` is what was lifted, not the scale's). Weights without a unit are kilograms, as
//! MacroFactor exports them, unless `units` says otherwise. A day's weight, body fat and steps
//! are taken once even when two sheets give them.

mod workbook;
mod workouts;

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;
use sparky_core::MealType;

use crate::csv_generic::nutrient_for;
use crate::locale::{self, DateOrder, DecimalSeparator};
use crate::{
    header_unit, normalise_header, nutrients_text, Area, DiaryRecord, ImportError, ImportResult,
    Keys, MeasurementRecord, Options, Parsed, Record,
};
use workbook::{excel_day_zero, Cell, Row, Sheet};

/// The name of a day's total from a sheet of daily nutrition.
pub const DAY_TOTAL_NAME: &str = "MacroFactor day total";

/// How many rows from the top a sheet's header row may be.
const HEADER_SEARCH_ROWS: usize = 10;

/// A sheet's header: which column holds what.
#[derive(Debug, Default)]
struct Columns {
    date: Option<usize>,
    time: Option<usize>,
    food: Option<usize>,
    serving_size: Option<usize>,
    serving_qty: Option<usize>,
    serving_weight: Option<usize>,
    /// Scale weight, with the unit its header names.
    weight: Option<(usize, Option<String>)>,
    body_fat: Option<usize>,
    steps: Option<usize>,
    /// `Exercise`, `Reps` or `Sets`: a workout log, whose `Weight` is a lifted weight.
    exercise: Option<usize>,
    nutrients: Vec<(usize, &'static str)>,
}

impl Columns {
    fn of(header: &Row) -> Columns {
        let mut c = Columns::default();
        for (i, cell) in header.cells.iter().enumerate() {
            let Some(raw) = cell.text() else { continue };
            let name = normalise_header(raw);
            let unit = header_unit(raw);
            let slot = match name.as_str() {
                "date" | "day" => &mut c.date,
                "time" | "time_logged" => &mut c.time,
                "food_name" | "food" | "name" => &mut c.food,
                "serving_size" | "serving" | "serving_unit" => &mut c.serving_size,
                "serving_qty" | "serving_quantity" | "quantity" => &mut c.serving_qty,
                "serving_weight" => &mut c.serving_weight,
                "fat_percent" | "body_fat" | "body_fat_percent" | "body_fat_percentage" => {
                    &mut c.body_fat
                }
                "steps" | "step_count" => &mut c.steps,
                "exercise" | "exercise_name" | "reps" | "sets" | "set_type" => &mut c.exercise,
                "weight" | "scale_weight" | "body_weight" => {
                    if c.weight.is_none() {
                        c.weight = Some((i, unit));
                    }
                    continue;
                }
                other => {
                    if let Some(n) = nutrient_for(other) {
                        let unit_ok = unit.as_deref().is_none_or(|u| {
                            expected_unit(n).iter().any(|e| e.eq_ignore_ascii_case(u))
                        });
                        if unit_ok && !c.nutrients.iter().any(|(_, m)| *m == n) {
                            c.nutrients.push((i, n));
                        }
                    }
                    continue;
                }
            };
            if slot.is_none() {
                *slot = Some(i);
            }
        }
        c
    }

    fn is_food_log(&self) -> bool {
        self.exercise.is_none()
            && self.date.is_some()
            && self.food.is_some()
            && !self.nutrients.is_empty()
    }

    /// The serving's weight in grams: `Serving Weight (g)`, or a `Weight (g)` column.
    fn serving_grams(&self) -> Option<usize> {
        self.serving_weight.or(match &self.weight {
            Some((i, Some(u))) if u.eq_ignore_ascii_case("g") => Some(*i),
            _ => None,
        })
    }

    fn is_daily(&self) -> bool {
        self.exercise.is_none()
            && self.date.is_some()
            && (!self.nutrients.is_empty()
                || self.weight.is_some()
                || self.body_fat.is_some()
                || self.steps.is_some())
    }
}

/// The unit each nutrient column must be in.
fn expected_unit(nutrient: &str) -> &'static [&'static str] {
    match nutrient {
        "calories" => &["kcal", "cal"],
        "sodium" | "cholesterol" | "potassium" | "calcium" | "iron" | "vitamin_c" => &["mg"],
        "vitamin_a" => &["µg", "μg", "ug", "mcg"],
        _ => &["g"],
    }
}

/// A sheet with its header row found.
struct Table<'a> {
    sheet: &'a Sheet,
    columns: Columns,
    /// The rows under the header.
    rows: &'a [Row],
}

/// The first of the top rows whose columns make a sheet Sparky reads.
fn table(sheet: &Sheet) -> Option<Table<'_>> {
    sheet
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .find_map(|(i, row)| {
            let columns = Columns::of(row);
            (columns.is_food_log() || columns.is_daily()).then(|| Table {
                sheet,
                columns,
                rows: &sheet.rows[i + 1..],
            })
        })
}

/// Reads MacroFactor's export workbook.
pub fn parse(data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let sheets = workbook::read(data)?;
    let reader = CellReader {
        dates: options.dates.unwrap_or(DateOrder::Mdy),
        decimal: options.decimal.unwrap_or(DecimalSeparator::Point),
    };
    let mut workout_logs = 0;
    let mut food_logs = Vec::new();
    let mut daily = Vec::new();
    let mut out = Parsed::default();
    for sheet in &sheets {
        match table(sheet) {
            Some(t) if t.columns.is_food_log() => food_logs.push(t),
            Some(t) => daily.push(t),
            None if sheet.rows.is_empty() => {}
            None if workouts::read(sheet, &reader, options, &mut out) => workout_logs += 1,
            None => out.skip(
                None,
                1,
                format!(
                    "sheet \"{}\": no food log, weights or daily nutrition in it (Sparky works \
                     out trends, expenditure and targets itself)",
                    sheet.name
                ),
            ),
        }
    }
    if food_logs.is_empty() && daily.is_empty() && workout_logs == 0 {
        let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
        return Err(ImportError::new(format!(
            "not a MacroFactor export: no sheet has a food log (Date, Food Name, Calories, …), \
             weights (Date, Weight), daily nutrition (Date, Calories, …) or workouts (Date, \
             Exercise, …); its sheets: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    let mut keys = Keys::new();
    let mut logged_days = HashSet::new();
    for t in &food_logs {
        read_food_log(t, &reader, &mut keys, &mut logged_days, &mut out);
    }
    read_daily(&daily, &reader, options, &mut keys, &logged_days, &mut out);
    Ok(out)
}

fn read_food_log(
    t: &Table,
    reader: &CellReader,
    keys: &mut Keys,
    logged_days: &mut HashSet<NaiveDate>,
    out: &mut Parsed,
) {
    let c = &t.columns;
    let sheet = &t.sheet.name;
    for row in t.rows {
        let line = row.number;
        let skip = |out: &mut Parsed, why: String| {
            out.skip(Some(Area::Diary), line, format!("{sheet}: {why}"))
        };
        let Some(date) = c.date.and_then(|i| reader.date(row.get(i))) else {
            skip(out, "no readable date".into());
            continue;
        };
        let Some(food) = c.food.and_then(|i| row.get(i).text()) else {
            skip(out, "the row has no food name".into());
            continue;
        };
        let nutrients = match reader.nutrients(row, &c.nutrients) {
            Ok(n) => n,
            Err(why) => {
                skip(out, format!("{food}: {why}"));
                continue;
            }
        };
        if nutrients.iter().all(|(_, v)| v.is_none_or(|v| v.is_zero())) {
            skip(out, format!("{food}: no calories or nutrients"));
            continue;
        }
        let time = c.time.and_then(|i| reader.time(row.get(i)));
        let amount = amount_text(
            c.serving_qty
                .and_then(|i| reader.number(row.get(i)).ok().flatten()),
            c.serving_size.and_then(|i| row.get(i).text()),
            c.serving_grams()
                .and_then(|i| reader.number(row.get(i)).ok().flatten()),
        );
        let name = match amount {
            Some(a) => format!("{food}, {a}"),
            None => food.to_string(),
        };
        let name: String = name.chars().take(255).collect();
        let time_text = time
            .map(|t| t.format("%H:%M:%S").to_string())
            .unwrap_or_default();
        let key = keys.of(
            Area::Diary,
            &[
                &date.to_string(),
                &time_text,
                &name,
                &nutrients_text(&nutrients),
            ],
        );
        logged_days.insert(date);
        out.records.push(Record::Diary(DiaryRecord {
            key,
            line,
            date,
            at: locale::local_instant(date, time),
            meal: meal_at(time),
            name,
            nutrients,
            day_total: false,
        }));
    }
}

/// What one day's rows of the daily sheets gave.
#[derive(Default)]
struct Day {
    line: u64,
    nutrients: Option<Nutrients>,
}

fn read_daily(
    tables: &[Table],
    reader: &CellReader,
    options: &Options,
    keys: &mut Keys,
    logged_days: &HashSet<NaiveDate>,
    out: &mut Parsed,
) {
    // Weights without a unit: what `units` says, else kilograms (MacroFactor's export).
    let unitless_weight = options
        .default_unit("weight")
        .unwrap_or_else(|| "kg".into());
    let mut measured: HashSet<(&'static str, NaiveDate)> = HashSet::new();
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for t in tables {
        let c = &t.columns;
        let sheet = &t.sheet.name;
        for row in t.rows {
            let line = row.number;
            let Some(date) = c.date.and_then(|i| reader.date(row.get(i))) else {
                out.skip(None, line, format!("{sheet}: no readable date"));
                continue;
            };
            let mut values: Vec<(&'static str, Option<usize>, Option<String>)> = Vec::new();
            if let Some((i, unit)) = &c.weight {
                let unit = unit.clone().unwrap_or_else(|| unitless_weight.clone());
                values.push(("weight", Some(*i), Some(unit)));
            }
            values.push(("body_fat", c.body_fat, Some("%".into())));
            values.push(("steps", c.steps, Some("count".into())));
            for (kind, column, unit) in values {
                let Some(column) = column else { continue };
                let value = match reader.number(row.get(column)) {
                    Ok(Some(v)) if v > Decimal::ZERO => v,
                    Ok(_) => continue,
                    Err(why) => {
                        out.skip(
                            Some(Area::Measurements),
                            line,
                            format!("{sheet}: {kind}: {why}"),
                        );
                        continue;
                    }
                };
                if !measured.insert((kind, date)) {
                    continue;
                }
                let value_text = value.normalize().to_string();
                let unit_text = unit.clone().unwrap_or_default();
                let key = keys.of(
                    Area::Measurements,
                    &[&date.to_string(), kind, &value_text, &unit_text],
                );
                out.records.push(Record::Measurement(MeasurementRecord {
                    key,
                    line,
                    date,
                    at: None,
                    kind: kind.to_string(),
                    value,
                    unit,
                }));
            }
            if c.nutrients.is_empty() || logged_days.contains(&date) {
                continue;
            }
            match reader.nutrients(row, &c.nutrients) {
                Ok(n) => {
                    let day = days.entry(date).or_insert_with(|| Day {
                        line,
                        nutrients: None,
                    });
                    let sum = day.nutrients.get_or_insert_with(Nutrients::default);
                    // Two sheets (calories and macros, micronutrients) fill one day.
                    for (name, v) in n.iter() {
                        if v.is_some() && sum.get(name).is_none() {
                            sum.set(name, v);
                        }
                    }
                }
                Err(why) => out.skip(Some(Area::Diary), line, format!("{sheet}: {why}")),
            }
        }
    }
    for (date, day) in days {
        let Some(nutrients) = day.nutrients else {
            continue;
        };
        if nutrients.iter().all(|(_, v)| v.is_none_or(|v| v.is_zero())) {
            continue;
        }
        let key = keys.of(
            Area::Diary,
            &["day-total", &date.to_string(), &nutrients_text(&nutrients)],
        );
        out.records.push(Record::Diary(DiaryRecord {
            key,
            line: day.line,
            date,
            at: None,
            meal: MealType::Snack,
            name: DAY_TOTAL_NAME.to_string(),
            nutrients,
            day_total: true,
        }));
    }
}

/// "1.5 cup", "150 g", "1 container (170 g)".
fn amount_text(qty: Option<Decimal>, size: Option<&str>, grams: Option<Decimal>) -> Option<String> {
    let qty = qty
        .filter(|q| *q > Decimal::ZERO)
        .map(|q| q.round_dp(2).normalize());
    let grams = grams
        .filter(|g| *g > Decimal::ZERO)
        .map(|g| g.round_dp(1).normalize());
    let size = size.filter(|s| !s.is_empty());
    let is_grams =
        size.is_some_and(|s| matches!(s.to_ascii_lowercase().as_str(), "g" | "gram" | "grams"));
    let main = match (qty, size) {
        (Some(q), Some(s)) => Some(format!("{q} {s}")),
        (None, Some(s)) => Some(s.to_string()),
        (Some(q), None) => Some(format!(
            "{q} serving{}",
            if q == Decimal::ONE { "" } else { "s" }
        )),
        (None, None) => None,
    };
    match (main, grams) {
        (Some(m), Some(g)) if !is_grams => Some(format!("{m} ({g} g)")),
        (Some(m), _) => Some(m),
        (None, Some(g)) => Some(format!("{g} g")),
        (None, None) => None,
    }
}

/// The meal a time of day falls in (MacroFactor has no meals).
fn meal_at(time: Option<NaiveTime>) -> MealType {
    match time.map(|t| t.hour()) {
        Some(4..=10) => MealType::Breakfast,
        Some(11..=16) => MealType::Lunch,
        Some(17..=21) => MealType::Dinner,
        _ => MealType::Snack,
    }
}

/// Reads cells as dates, times and numbers (Excel cells, or text in the file's conventions).
struct CellReader {
    dates: DateOrder,
    decimal: DecimalSeparator,
}

impl CellReader {
    fn date(&self, cell: &Cell) -> Option<NaiveDate> {
        let date = match cell {
            Cell::DateTime(at) => at.date(),
            Cell::Text(s) => locale::parse_date(s, self.dates)?,
            // A date cell without its date format: Excel's serial day number.
            Cell::Number(n) if (1.0..2_958_466.0).contains(n) => {
                excel_day_zero().checked_add_signed(Duration::days(n.floor() as i64))?
            }
            _ => return None,
        };
        (date > excel_day_zero()).then_some(date)
    }

    fn time(&self, cell: &Cell) -> Option<NaiveTime> {
        match cell {
            Cell::DateTime(at) => Some(at.time()),
            Cell::Text(s) => locale::parse_time(s),
            // A time cell without its format: the fraction of a day.
            Cell::Number(n) if (0.0..1.0).contains(n) => {
                NaiveTime::from_num_seconds_from_midnight_opt(
                    (n * 86_400.0).round() as u32 % 86_400,
                    0,
                )
            }
            _ => None,
        }
    }

    /// A number, `None` when the cell is empty, an error when it holds something else.
    fn number(&self, cell: &Cell) -> Result<Option<Decimal>, String> {
        match cell {
            Cell::Empty => Ok(None),
            Cell::Number(n) => Decimal::from_f64(*n)
                .map(|d| Some(d.round_dp(6).normalize()))
                .ok_or_else(|| format!("{n} is out of range")),
            Cell::Text(s) if s.trim().is_empty() => Ok(None),
            Cell::Text(s) => locale::parse_number(s, self.decimal)
                .map(Some)
                .ok_or_else(|| format!("not a number: \"{}\"", s.trim())),
            Cell::DateTime(_) => Err("a date where a number belongs".into()),
        }
    }

    fn nutrients(&self, row: &Row, columns: &[(usize, &'static str)]) -> Result<Nutrients, String> {
        let mut n = Nutrients::default();
        for (i, name) in columns {
            match self.number(row.get(*i)) {
                Ok(Some(v)) if v < Decimal::ZERO => {
                    return Err(format!("a negative amount of {}", name.replace('_', " ")))
                }
                Ok(v) => n.set(name, v),
                Err(why) => return Err(format!("{}: {why}", name.replace('_', " "))),
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::workbook::tests::{text_row, workbook};
    use super::*;

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
        // A workout per exercise of a session, its sets in order, the session's 65 minutes
        // shared by its two exercises; cardio with its own time and distance.
        type Workout = (String, String, Option<Decimal>, Option<Decimal>, usize);
        let workouts: Vec<Workout> = p
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Workout(w) => Some((
                    w.date.to_string(),
                    w.name.clone(),
                    w.minutes,
                    w.km,
                    w.sets.len(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            workouts,
            [
                (
                    "2026-11-01".into(),
                    "Bench Press".into(),
                    Some(dec!(32.5)),
                    None,
                    2
                ),
                (
                    "2026-11-01".into(),
                    "Overhead Press".into(),
                    Some(dec!(32.5)),
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
        let bench = p.records.iter().find_map(|r| match r {
            Record::Workout(w) if w.name == "Bench Press" => Some(w),
            _ => None,
        });
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
                "1: sheet \"Weight Trend\": no food log, weights or daily nutrition in it (Sparky works out trends, expenditure and targets itself)",
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
        let workouts: Vec<&crate::WorkoutRecord> = p
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Workout(w) => Some(w),
                _ => None,
            })
            .collect();
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
}
