//! Any CSV with a header row: each row is one food, diary entry, workout, or one or more
//! measurements ([`Options::target`]). Columns map to fields by `--map column=field`, else by
//! common header names (`Date`, `Meal`, `Calories`, `Protein (g)`, `Weight (lb)`…); a unit in
//! a header's parentheses is the unit of that column's values. Numbers and dates follow the
//! file's locale (`1.234,5`, `31/12/2025`), detected from its values unless given.
//!
//! Fields by target:
//!
//! | target | fields |
//! |---|---|
//! | foods | `name` (required), `brand`, `serving_size` (default 100), `serving_unit` (default g), `weight_g`, nutrients |
//! | diary | `date` (required), `time`, `meal` (default snack), `name`, nutrients (at least one) |
//! | measurements | `date` (required), `time`, and `type` + `value` (+ `unit`), or one column per type (`weight`, `body_fat`, `waist`…) |
//! | workouts | `date` (required), `time`, `name` (required), `minutes` (or `25:34`, `1:02:03`), `calories`, `distance` (km unless the header says mi) |
//!
//! Nutrients: `calories`, `protein`, `carbohydrates`, `fat`, `fiber`, `sugar`, `sodium`,
//! `saturated_fat`, `trans_fat`, `cholesterol`, `potassium`, `calcium`, `iron`, `vitamin_a`,
//! `vitamin_c` (kcal, g, mg; vitamin A in µg).
//! A diary or foods file's other columns whose header names a unit in parentheses (`Caffeine (mg)`)
//! are [`crate::ExtraColumn`]s: they count where the user defines a custom nutrient of that name.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;

use crate::locale::{self, Locale};
use crate::{
    builtin_dimension, csv_reader, header_unit, meal_of, normalise_header, nutrients_text,
    opt_text, sniff_delimiter, Area, ColumnMatch, DiaryRecord, ExtraColumn, FoodRecord,
    ImportError, ImportResult, Keys, MeasurementRecord, Options, Parsed, Record, WorkoutRecord,
};

/// Measurement types a column may be named after.
pub const MEASUREMENT_TYPES: [&str; 11] = [
    "weight",
    "body_fat",
    "muscle_mass",
    "waist",
    "hips",
    "neck",
    "chest",
    "height",
    "resting_heart_rate",
    "steps",
    "water",
];

/// The fields a target takes.
pub fn fields(area: Area) -> Vec<&'static str> {
    let mut f: Vec<&'static str> = match area {
        Area::Foods => vec!["name", "brand", "serving_size", "serving_unit", "weight_g"],
        Area::Diary => vec!["date", "time", "meal", "name"],
        Area::Measurements => {
            let mut v = vec!["date", "time", "type", "value", "unit"];
            v.extend(MEASUREMENT_TYPES);
            v
        }
        Area::Workouts => vec!["date", "time", "name", "minutes", "calories", "distance"],
    };
    if matches!(area, Area::Foods | Area::Diary) {
        f.extend(Nutrients::NAMES);
    }
    f
}

/// The field a header names, by common spellings.
fn field_for(area: Area, header: &str) -> Option<&'static str> {
    let h = normalise_header(header);
    let f = match (area, h.as_str()) {
        (_, "date" | "day" | "entry_date" | "datum" | "fecha" | "data") => "date",
        (_, "time" | "hour" | "clock") => "time",
        (Area::Diary, "meal" | "meal_type" | "group" | "mahlzeit") => "meal",
        (Area::Workouts, "name" | "exercise" | "activity" | "exercise_name" | "workout") => "name",
        (Area::Foods | Area::Diary, "name" | "food" | "food_name" | "description" | "item") => {
            "name"
        }
        (Area::Foods, "brand" | "brand_name") => "brand",
        (Area::Foods, "serving_size" | "serving" | "size" | "amount" | "quantity") => {
            "serving_size"
        }
        (Area::Foods, "serving_unit" | "unit") => "serving_unit",
        (Area::Foods, "weight_g" | "grams" | "weight") => "weight_g",
        (Area::Measurements, "type" | "metric" | "measurement" | "kind") => "type",
        (Area::Measurements, "value" | "amount" | "reading") => "value",
        (Area::Measurements, "unit" | "units") => "unit",
        (Area::Measurements, "body_fat" | "bodyfat" | "body_fat_percent" | "fat_percent") => {
            "body_fat"
        }
        (Area::Measurements, "resting_heart_rate" | "rhr" | "resting_hr") => "resting_heart_rate",
        (Area::Measurements, "hip") => "hips",
        (Area::Measurements, "weight" | "body_weight") => "weight",
        (Area::Measurements, h) => return MEASUREMENT_TYPES.into_iter().find(|t| *t == h),
        (
            Area::Workouts,
            "minutes" | "duration" | "duration_minutes" | "exercise_minutes" | "mins",
        ) => "minutes",
        (
            Area::Workouts,
            "calories" | "kcal" | "energy" | "calories_burned" | "exercise_calories",
        ) => "calories",
        (Area::Workouts, "distance" | "distance_km" | "km") => "distance",
        (Area::Foods | Area::Diary, h) => return nutrient_for(h),
        _ => return None,
    };
    Some(f)
}

/// The nutrient a normalised header names.
pub(crate) fn nutrient_for(h: &str) -> Option<&'static str> {
    Some(match h {
        "calories" | "energy" | "kcal" | "cal" => "calories",
        "protein" | "proteins" => "protein",
        "carbohydrates" | "carbs" | "carbohydrate" | "carb" => "carbohydrates",
        "fat" | "total_fat" | "fats" => "fat",
        "fiber" | "fibre" | "dietary_fiber" => "fiber",
        "sugar" | "sugars" => "sugar",
        "sodium" => "sodium",
        "saturated_fat" | "saturated" | "sat_fat" => "saturated_fat",
        "trans_fat" | "trans_fats" => "trans_fat",
        "cholesterol" => "cholesterol",
        "potassium" => "potassium",
        "calcium" => "calcium",
        "iron" => "iron",
        "vitamin_a" => "vitamin_a",
        "vitamin_c" => "vitamin_c",
        _ => return None,
    })
}

/// One mapped column.
#[derive(Debug, Clone)]
struct Column {
    index: usize,
    field: &'static str,
    unit: Option<String>,
}

/// Which column feeds which field: `--map` first, then header names.
fn columns(
    area: Area,
    headers: &csv::StringRecord,
    map: &[(String, String)],
) -> ImportResult<Vec<Column>> {
    let allowed = fields(area);
    let mut out: Vec<Column> = Vec::new();
    let mut taken: HashMap<&'static str, usize> = HashMap::new();
    for (column, field) in map {
        let f = allowed
            .iter()
            .find(|f| **f == field.trim().to_ascii_lowercase())
            .copied()
            .ok_or_else(|| {
                ImportError::new(format!(
                    "column name {column}={field}: {} rows have no field \"{field}\"; use one of: {}",
                    area.as_str(),
                    allowed.join(", ")
                ))
            })?;
        let index = headers
            .iter()
            .position(|h| h == column.trim())
            .or_else(|| {
                headers
                    .iter()
                    .position(|h| normalise_header(h) == normalise_header(column))
            })
            .ok_or_else(|| {
                ImportError::new(format!(
                    "column name {column}={field}: the file has no column \"{column}\"; its columns are: {}",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ))
            })?;
        taken.insert(f, index);
        out.push(Column {
            index,
            field: f,
            unit: header_unit(&headers[index]),
        });
    }
    for (index, h) in headers.iter().enumerate() {
        if out.iter().any(|c| c.index == index) {
            continue;
        }
        if let Some(f) = field_for(area, h) {
            if let std::collections::hash_map::Entry::Vacant(e) = taken.entry(f) {
                e.insert(index);
                out.push(Column {
                    index,
                    field: f,
                    unit: header_unit(h),
                });
            }
        }
    }
    let has = |f: &str| out.iter().any(|c| c.field == f);
    let need = |f: &str| -> ImportResult<()> {
        if has(f) {
            Ok(())
        } else {
            Err(ImportError::new(format!(
                "no column for \"{f}\" in the header ({}); name one: COLUMN={f} (--map on the command line, map in the API)",
                headers.iter().collect::<Vec<_>>().join(", ")
            )))
        }
    };
    match area {
        Area::Foods => need("name")?,
        Area::Diary => need("date")?,
        Area::Workouts => {
            need("date")?;
            need("name")?
        }
        Area::Measurements => {
            need("date")?;
            let long = has("type") && has("value");
            let wide = MEASUREMENT_TYPES.iter().any(|t| has(t));
            if !long && !wide {
                return Err(ImportError::new(
                    "no measurement columns: give type and value columns, or one column per type \
                     (weight, body_fat, waist…)",
                ));
            }
        }
    }
    Ok(out)
}

const NUMERIC: [&str; 7] = [
    "serving_size",
    "weight_g",
    "value",
    "minutes",
    "calories",
    "distance",
    "weight",
];

fn is_numeric(field: &str) -> bool {
    NUMERIC.contains(&field)
        || MEASUREMENT_TYPES.contains(&field)
        || Nutrients::NAMES.contains(&field)
}

/// Reads a generic CSV file of [`Options::target`] rows.
pub fn parse(data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let area = options.target.ok_or_else(|| {
        ImportError::new("say what the rows are: --target foods, diary, measurements or workouts")
    })?;
    let delimiter = sniff_delimiter(data);
    let mut reader = csv_reader(data, delimiter);
    let headers = reader.headers()?.clone();
    let cols = columns(area, &headers, &options.map)?;
    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    for r in reader.records() {
        let r = r?;
        let line = r.position().map(|p| p.line()).unwrap_or_default();
        rows.push((line, r));
    }
    let loc = locale::detect(
        rows.iter().flat_map(|(_, r)| {
            cols.iter()
                .filter(|c| is_numeric(c.field))
                .filter_map(|c| r.get(c.index))
        }),
        rows.iter().flat_map(|(_, r)| {
            cols.iter()
                .filter(|c| c.field == "date")
                .filter_map(|c| r.get(c.index))
        }),
        options.decimal,
        options.dates,
        delimiter,
    );
    let mut out = Parsed {
        columns: headers
            .iter()
            .enumerate()
            .map(|(i, h)| ColumnMatch {
                column: h.to_string(),
                field: cols.iter().find(|c| c.index == i).map(|c| c.field),
            })
            .collect(),
        ..Parsed::default()
    };
    // A diary's or foods' columns that feed no field but name a nutrient and its unit
    // (`Caffeine (mg)`): amounts for the custom nutrients of those names. (file column, extra
    // column).
    let mut extra_cols: Vec<(usize, usize)> = Vec::new();
    if matches!(area, Area::Diary | Area::Foods) {
        for (i, h) in headers.iter().enumerate() {
            if cols.iter().any(|c| c.index == i) {
                continue;
            }
            if let Some(c) = ExtraColumn::from_header(h) {
                if let Some(x) = out.extra_column(c) {
                    extra_cols.push((i, x));
                }
            }
        }
    }
    let mut keys = Keys::new();
    for (line, r) in rows {
        let row = Row {
            cols: &cols,
            headers: &headers,
            record: &r,
            loc,
        };
        if r.iter().all(str::is_empty) {
            continue;
        }
        let result = match area {
            Area::Foods => food(&row, line, &mut keys, &extra_cols).map(|f| vec![f]),
            Area::Diary => diary(&row, line, &mut keys, &extra_cols).map(|d| {
                out.note_meal(line, row.text("meal").unwrap_or_default());
                vec![d]
            }),
            Area::Workouts => workout(&row, line, &mut keys).map(|w| vec![w]),
            Area::Measurements => measurements(&row, line, &mut keys, options, &mut out),
        };
        match result {
            Ok(records) => out.records.extend(records),
            Err(reason) => out.skip(Some(area), line, reason),
        }
    }
    Ok(out)
}

struct Row<'a> {
    cols: &'a [Column],
    headers: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
    loc: Locale,
}

impl Row<'_> {
    fn col(&self, field: &str) -> Option<&Column> {
        self.cols.iter().find(|c| c.field == field)
    }

    fn text(&self, field: &str) -> Option<&str> {
        self.col(field)
            .and_then(|c| self.record.get(c.index))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn number(&self, field: &str) -> Result<Option<Decimal>, String> {
        match self.text(field) {
            None => Ok(None),
            Some(t) => locale::parse_number(t, self.loc.decimal)
                .map(Some)
                .ok_or_else(|| format!("{field}: not a number: \"{t}\"")),
        }
    }

    /// The amounts in the extra columns, zeros left out; a cell that is not a number is said.
    fn extra(&self, extra_cols: &[(usize, usize)]) -> Result<Vec<(usize, Decimal)>, String> {
        let mut out = Vec::new();
        for (i, x) in extra_cols {
            let Some(t) = self.record.get(*i).map(str::trim).filter(|t| !t.is_empty()) else {
                continue;
            };
            let v = locale::parse_number(t, self.loc.decimal).ok_or_else(|| {
                format!(
                    "{}: not a number: \"{t}\"",
                    self.headers.get(*i).unwrap_or_default()
                )
            })?;
            if !v.is_zero() {
                out.push((*x, v));
            }
        }
        Ok(out)
    }

    fn date(&self) -> Result<chrono::NaiveDate, String> {
        let t = self.text("date").ok_or("date is empty")?;
        locale::parse_date(t, self.loc.dates).ok_or_else(|| format!("date: not a date: \"{t}\""))
    }

    fn at(&self, date: chrono::NaiveDate) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
        match self.text("time") {
            None => Ok(None),
            Some(t) => locale::parse_time(t)
                .map(|t| locale::local_instant(date, Some(t)))
                .ok_or_else(|| format!("time: not a time of day: \"{t}\"")),
        }
    }

    fn nutrients(&self) -> Result<Nutrients, String> {
        let mut n = Nutrients::default();
        for name in Nutrients::NAMES {
            if let Some(v) = self.number(name)? {
                if v.is_sign_negative() && !v.is_zero() {
                    return Err(format!("{name} must not be negative"));
                }
                n.set(name, Some(v));
            }
        }
        Ok(n)
    }
}

fn food(
    row: &Row,
    line: u64,
    keys: &mut Keys,
    extra_cols: &[(usize, usize)],
) -> Result<Record, String> {
    let name = row.text("name").ok_or("the food has no name")?.to_string();
    let brand = row.text("brand").map(str::to_string);
    let serving_size = row.number("serving_size")?.unwrap_or(Decimal::ONE_HUNDRED);
    let serving_unit = row.text("serving_unit").unwrap_or("g").to_string();
    let weight_g = row.number("weight_g")?;
    let nutrients = row.nutrients()?;
    let key = keys.of(
        Area::Foods,
        &[
            &name,
            brand.as_deref().unwrap_or_default(),
            &serving_size.normalize().to_string(),
            &serving_unit,
            &opt_text(weight_g),
            &nutrients_text(&nutrients),
        ],
    );
    Ok(Record::Food(FoodRecord {
        key,
        line,
        name,
        brand,
        serving_size,
        serving_unit,
        weight_g,
        nutrients,
        extra: row.extra(extra_cols)?,
    }))
}

fn diary(
    row: &Row,
    line: u64,
    keys: &mut Keys,
    extra_cols: &[(usize, usize)],
) -> Result<Record, String> {
    let date = row.date()?;
    let at = row.at(date)?;
    let meal = meal_of(row.text("meal").unwrap_or("snack"));
    let name = row.text("name").unwrap_or("Imported").to_string();
    let nutrients = row.nutrients()?;
    if nutrients.iter().all(|(_, v)| v.is_none()) {
        return Err("no calories or nutrients".into());
    }
    let key = keys.of(
        Area::Diary,
        &[
            &date.to_string(),
            &at.map(|a| a.to_rfc3339()).unwrap_or_default(),
            meal.as_str(),
            &name,
            &nutrients_text(&nutrients),
        ],
    );
    Ok(Record::Diary(DiaryRecord {
        key,
        line,
        date,
        at,
        meal,
        name,
        nutrients,
        day_total: false,
        replaces: None,
        extra: row.extra(extra_cols)?,
    }))
}

fn workout(row: &Row, line: u64, keys: &mut Keys) -> Result<Record, String> {
    let date = row.date()?;
    let at = row.at(date)?;
    let name = row
        .text("name")
        .ok_or("the workout has no name")?
        .to_string();
    // Minutes, or a stopwatch's 25:34 / 1:02:03 kept to the second.
    let minutes = match row.text("minutes") {
        Some(t) if t.contains(':') => Some(
            sparky_core::typed_number::duration_seconds(t)
                .ok()
                .flatten()
                .map(|s| Decimal::from(s) / Decimal::from(60))
                .ok_or_else(|| format!("minutes: not a duration: \"{t}\""))?,
        ),
        _ => row.number("minutes")?,
    };
    let kcal = row.number("calories")?.map(|c| c.abs());
    let distance = row.number("distance")?;
    let km = match (
        distance,
        row.col("distance").and_then(|c| c.unit.as_deref()),
    ) {
        (Some(d), Some(u))
            if u.eq_ignore_ascii_case("mi") || u.to_lowercase().starts_with("mile") =>
        {
            Some(sparky_core::units::mi_to_km(d))
        }
        (Some(d), Some(u)) if u.eq_ignore_ascii_case("m") => Some(d / Decimal::ONE_THOUSAND),
        (d, _) => d,
    };
    let key = keys.of(
        Area::Workouts,
        &[
            &date.to_string(),
            &at.map(|a| a.to_rfc3339()).unwrap_or_default(),
            &name,
            &opt_text(minutes),
            &opt_text(kcal),
            &opt_text(km),
        ],
    );
    Ok(Record::Workout(WorkoutRecord {
        key,
        line,
        date,
        at,
        name,
        minutes,
        kcal,
        km,
        unitless_distance: None,
        sets: Vec::new(),
        notes: Vec::new(),
        version: None,
        earlier: None,
    }))
}

fn measurements(
    row: &Row,
    line: u64,
    keys: &mut Keys,
    options: &Options,
    out: &mut Parsed,
) -> Result<Vec<Record>, String> {
    let date = row.date()?;
    let at = row.at(date)?;
    let mut records = Vec::new();
    let mut push = |kind: String, value: Decimal, unit: Option<String>, keys: &mut Keys| {
        let unit = unit.or_else(|| options.default_unit(&kind));
        let key = keys.of(
            Area::Measurements,
            &[
                &date.to_string(),
                &at.map(|a| a.to_rfc3339()).unwrap_or_default(),
                &kind,
                &value.normalize().to_string(),
                unit.as_deref().unwrap_or_default(),
            ],
        );
        records.push(Record::Measurement(MeasurementRecord {
            key,
            line,
            date,
            at,
            kind,
            value,
            unit,
        }));
    };
    if let (Some(kind), Some(_)) = (row.text("type"), row.col("value")) {
        let value = row.number("value")?.ok_or("value is empty")?;
        let kind = crate::measurement_kind(kind);
        let unit = row
            .text("unit")
            .map(str::to_string)
            .or_else(|| row.col("value").and_then(|c| c.unit.clone()));
        push(kind, value, unit, keys);
    }
    for t in MEASUREMENT_TYPES {
        if let Some(c) = row.col(t) {
            match row.number(t) {
                Ok(Some(v)) => push(t.to_string(), v, c.unit.clone(), keys),
                Ok(None) => {}
                Err(e) => out.skip(Some(Area::Measurements), line, e),
            }
        }
    }
    debug_assert!(MEASUREMENT_TYPES
        .iter()
        .all(|t| builtin_dimension(t).is_some()));
    if records.is_empty() {
        return Err("no measurement values".into());
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn opts(area: Area) -> Options {
        Options {
            target: Some(area),
            ..Options::default()
        }
    }

    #[test]
    fn european_diary() {
        let data = "Datum;Mahlzeit;Name;Kalorien;Protein\n31/12/2025;Lunch;Brot;1.234,5;12,5\n";
        let mut o = opts(Area::Diary);
        o.map = vec![("Kalorien".into(), "calories".into())];
        let p = parse(data.as_bytes(), &o).unwrap();
        assert_eq!(p.skipped, vec![]);
        let Record::Diary(d) = &p.records[0] else {
            panic!()
        };
        assert_eq!(
            d.date,
            chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
        assert_eq!(d.nutrients.calories, Some(dec!(1234.5)));
        assert_eq!(d.nutrients.protein, Some(dec!(12.5)));
        assert_eq!(d.meal, sparky_core::MealType::Lunch);
    }

    #[test]
    fn wide_measurements_with_header_units() {
        let data = "Date,Weight (lb),Waist (in)\n2025-01-02,180,32\n2025-01-03,,31.5\n";
        let p = parse(data.as_bytes(), &opts(Area::Measurements)).unwrap();
        assert_eq!(p.records.len(), 3);
        let Record::Measurement(m) = &p.records[0] else {
            panic!()
        };
        assert_eq!(
            (m.kind.as_str(), m.value, m.unit.as_deref()),
            ("weight", dec!(180), Some("lb"))
        );
    }

    #[test]
    fn bad_cells_skip_the_row_and_say_why() {
        let data =
            "date,name,minutes\n2025-01-02,Run,30\nnot a date,Run,30\n2025-01-03,Swim,lots\n";
        let p = parse(data.as_bytes(), &opts(Area::Workouts)).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.skipped.len(), 2);
        assert!(
            p.skipped[0].reason.contains("not a date"),
            "{:?}",
            p.skipped
        );
        assert_eq!(p.skipped[1].line, 4);
    }

    #[test]
    fn durations_like_a_stopwatch_keep_their_seconds() {
        let data = "date,name,duration\n2025-01-02,Run,25:34\n2025-01-03,Ride,1:02:03\n2025-01-04,Walk,25:75\n";
        let p = parse(data.as_bytes(), &opts(Area::Workouts)).unwrap();
        let minutes: Vec<Decimal> = p
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Workout(w) => w.minutes.map(|m| (m * Decimal::from(60)).round()),
                _ => None,
            })
            .collect();
        assert_eq!(minutes, vec![Decimal::from(1534), Decimal::from(3723)]);
        assert!(
            p.skipped[0].reason.contains("not a duration"),
            "{:?}",
            p.skipped
        );
    }

    #[test]
    fn missing_columns_and_bad_maps_are_errors() {
        let e = parse(b"foo,bar\n1,2\n", &opts(Area::Workouts)).unwrap_err();
        assert!(e.message.contains("date"), "{e}");
        let mut o = opts(Area::Diary);
        o.map = vec![("Date".into(), "when".into())];
        assert!(parse(b"Date\n2025-01-01\n", &o).is_err());
        assert!(parse(b"date,name\n2025-01-01\n", &opts(Area::Workouts)).is_err());
    }
}
