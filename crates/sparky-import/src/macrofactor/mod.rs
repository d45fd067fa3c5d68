//! MacroFactor's data export (More → Data Management → Data Export): one Excel workbook
//! (.xlsx), its sheets told apart by their columns (names vary between the quick and the
//! granular export and between app versions). One sheet saved as CSV is read the same way.
//!
//! | sheet | columns | becomes |
//! |---|---|---|
//! | Food Log | `Date`, `Time`, `Food Name`, `Serving Size`, `Serving Qty`, `Serving Weight (g)`, `Calories (kcal)`, `Protein (g)`, … | a diary entry per row with its nutrients, named after the food and amount, in the meal its time falls in |
//! | Scale Weight, Quick Export, … | `Date`, `Weight (kg)` (or `lb`), `Fat Percent`, `Steps` | weight, body fat and step measurements |
//! | Custom Foods, Favorites | `Food Name`, `Brand`, `Serving Size`, `Serving Qty`, `Serving Weight (g)`, nutrient columns (no date) | foods of your own, one serving each ([`foods`]) |
//! | Workouts | `Date`, `Time`, `Workout`, `Workout Duration`, `Exercise`, `Weight (kg)`, `Reps`, `Duration`, `Distance (m)`… (a row per set) | a workout per exercise of each session with its sets ([`workouts`]) |
//! | Calories & Macros, Micronutrients, Quick Export | `Date` and nutrient columns | one "MacroFactor day total" entry for each day the food log of the same file does not cover (and, when written, only for a day without food diary entries: [`DiaryRecord::day_total`]) |
//!
//! MacroFactor has no meals, so a food's time of day picks one (unless a `Meal` column names
//! it): from 04:00 breakfast, from 11:00 lunch, from 17:00 dinner, from 22:00 (and without a
//! time) a snack. Trend weight, expenditure and targets are Sparky's to work out and are not
//! imported; sheets with none of the columns above are listed as skipped. A sheet naming an
//! exercise, reps or sets is a workout log, never weigh-ins (its `Weight` is what was lifted,
//! not the scale's). Weights without a unit are kilograms, as MacroFactor exports them, unless
//! `units` says otherwise. A day's weight, body fat and steps are taken once even when two
//! sheets give them.

mod foods;
mod workbook;
mod workouts;

use std::collections::{BTreeMap, HashSet};

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;
use sparky_core::MealType;

use crate::csv_generic::nutrient_for;
use crate::locale::{self, DateOrder, DecimalSeparator};
use crate::{
    header_unit, meal_of, normalise_header, nutrients_text, Area, DiaryRecord, ExtraColumn,
    ImportError, ImportResult, Keys, MeasurementRecord, Options, Parsed, Record,
};
use workbook::{CellReader, Row, Sheet};

/// The name of a day's total from a sheet of daily nutrition.
pub const DAY_TOTAL_NAME: &str = "MacroFactor day total";

/// How many rows from the top a sheet's header row may be.
const HEADER_SEARCH_ROWS: usize = 10;

/// A sheet's header: which column holds what.
#[derive(Debug, Default)]
struct Columns {
    date: Option<usize>,
    time: Option<usize>,
    meal: Option<usize>,
    food: Option<usize>,
    brand: Option<usize>,
    /// `Recipe` or `Ingredient`: a recipe's ingredients, not foods of their own.
    recipe: Option<usize>,
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
    /// Other nutrients with a unit (`Caffeine (mg)`): for the user's custom nutrients.
    extra: Vec<(usize, ExtraColumn)>,
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
                "meal" | "meal_name" | "meal_type" => &mut c.meal,
                "food_name" | "food" | "name" => &mut c.food,
                "brand" | "brand_name" => &mut c.brand,
                "recipe" | "recipe_name" | "ingredient" | "ingredient_name" => &mut c.recipe,
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
                    } else if let Some(x) = ExtraColumn::from_header(raw) {
                        c.extra.push((i, x));
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

    /// The table's other nutrient columns as (sheet column, [`Parsed::extra_columns`] index).
    fn extra_columns(&self, out: &mut Parsed) -> Vec<(usize, usize)> {
        self.extra
            .iter()
            .filter_map(|(i, x)| Some((*i, out.extra_column(x.clone())?)))
            .collect()
    }

    fn is_food_log(&self) -> bool {
        self.exercise.is_none()
            && self.date.is_some()
            && self.food.is_some()
            && !self.nutrients.is_empty()
    }

    /// A list of foods (custom foods, favorites): names and nutrients, no dates.
    fn is_food_list(&self) -> bool {
        self.exercise.is_none()
            && self.recipe.is_none()
            && self.date.is_none()
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
            (columns.is_food_log() || columns.is_daily() || columns.is_food_list()).then(|| Table {
                sheet,
                columns,
                rows: &sheet.rows[i + 1..],
            })
        })
}

/// A sheet of recipes' ingredients (its top rows name a recipe or an ingredient).
fn is_recipe_list(sheet: &Sheet) -> bool {
    sheet
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .any(|row| Columns::of(row).recipe.is_some())
}

/// Reads MacroFactor's export workbook.
pub fn parse(data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let sheets = workbook::read(data)?;
    // A CSV of another app's workouts would pass for a workout log: say which app it is.
    if !data.starts_with(b"PK") {
        let headers: Vec<String> = sheets
            .first()
            .and_then(|s| s.rows.first())
            .map(|row| {
                row.cells
                    .iter()
                    .filter_map(|c| c.text())
                    .map(crate::normalise_header)
                    .collect()
            })
            .unwrap_or_default();
        if let Some((app, kind)) = crate::workout_export_of(&headers) {
            return Err(ImportError::new(format!(
                "this looks like a {app} export, not MacroFactor's: import it as {kind}"
            )));
        }
    }
    // A CSV file separated by `;` comes from a spreadsheet that writes `80,5`.
    let semicolons = !data.starts_with(b"PK") && crate::sniff_delimiter(data) == b';';
    let reader = CellReader {
        dates: options.dates.unwrap_or(DateOrder::Mdy),
        decimal: options.decimal.unwrap_or(if semicolons {
            DecimalSeparator::Comma
        } else {
            DecimalSeparator::Point
        }),
    };
    let mut workout_logs = 0;
    let mut food_logs = Vec::new();
    let mut food_lists = Vec::new();
    let mut daily = Vec::new();
    let mut out = Parsed::default();
    for sheet in &sheets {
        match table(sheet) {
            Some(t) if t.columns.is_food_log() => food_logs.push(t),
            Some(t) if t.columns.is_food_list() => food_lists.push(t),
            Some(t) => daily.push(t),
            None if sheet.rows.is_empty() => {}
            None if workouts::read(sheet, &reader, options, &mut out) => workout_logs += 1,
            None if is_recipe_list(sheet) => out.skip(
                Some(Area::Foods),
                1,
                format!(
                    "sheet \"{}\": recipes are not imported (log the meal in Sparky and save \
                     it as a recipe there)",
                    sheet.name
                ),
            ),
            None => out.skip(
                None,
                1,
                format!(
                    "sheet \"{}\": not imported (Sparky reads the food log, custom foods, \
                     weights, daily nutrition and workouts, and works out trends, expenditure \
                     and targets itself)",
                    sheet.name
                ),
            ),
        }
    }
    if food_logs.is_empty() && food_lists.is_empty() && daily.is_empty() && workout_logs == 0 {
        let mut names: Vec<&str> = sheets.iter().take(20).map(|s| s.name.as_str()).collect();
        if sheets.len() > names.len() {
            names.push("…");
        }
        return Err(ImportError::new(format!(
            "not a MacroFactor export: no sheet has a food log (Date, Food Name, Calories, …), \
             custom foods (Food Name, Calories, …), weights (Date, Weight), daily nutrition \
             (Date, Calories, …) or workouts (Date, Exercise, …); its sheets: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    let mut keys = Keys::new();
    foods::read(&food_lists, &reader, &mut keys, &mut out);
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
    let extra_cols = c.extra_columns(out);
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
        let extra = match reader.extra(row, &extra_cols, out) {
            Ok(e) => e,
            Err(why) => {
                skip(out, format!("{food}: {why}"));
                continue;
            }
        };
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
            meal: match c.meal.and_then(|i| row.get(i).text()) {
                Some(named) => meal_of(named),
                None => meal_at(time),
            },
            name,
            nutrients,
            day_total: false,
            replaces: None,
            extra,
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
            replaces: None,
            extra: Vec::new(),
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
    time.map(MealType::at).unwrap_or(MealType::Snack)
}

#[cfg(test)]
mod tests;
