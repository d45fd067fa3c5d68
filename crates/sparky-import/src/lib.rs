//! Importers from other trackers, the pure half: each reads one export file into typed
//! records ([`Record`]) and the rows it could not use ([`Skip`], with the reason). Writing them
//! is `sparky_app::imports`' job; nothing here touches a database.
//!
//! | source | files | records |
//! |---|---|---|
//! | [`csv_generic`] | any CSV with a header row, mapped to one target (foods, diary, measurements, workouts) | that target |
//! | [`mfp`] | MyFitnessPal's Nutrition Summary, Measurement Summary and Exercise Summary CSVs | quick-add diary entries per meal, measurements, workouts |
//! | [`cronometer`] | Cronometer's `servings.csv`, `biometrics.csv`, `exercises.csv` | diary entries, measurements, workouts |
//! | [`apple_health`] | Apple Health's `export.xml`, read as a stream | weight, body fat, height, steps, water, workouts |
//! | [`strength`] | Strong's, Hevy's and FitNotes' workout CSVs (a row per set) | workouts with their sets, one per exercise of a session |
//! | [`macrofactor`] | MacroFactor's data export workbook (.xlsx) | diary entries with their nutrients (or a day's total), weight, body fat, steps, workouts with their sets, custom foods |
//!
//! Every record carries a `key` that is stable for the same source row across runs, so a
//! second import of the same file recognises what the first one stored.

pub mod apple_health;
pub mod cronometer;
pub mod csv_generic;
pub mod locale;
pub mod macrofactor;
mod meals;
pub mod mfp;
mod records;
pub mod strength;

use std::collections::HashMap;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use sparky_core::measure::Dimension;
use sparky_core::nutrition::Nutrients;
use sparky_core::UnitsSystem;

pub use locale::{DateOrder, DecimalSeparator};
pub use meals::{meal_named, meal_of};
pub use records::{
    Area, ColumnMatch, DiaryRecord, EarlierKey, ExtraColumn, FoodRecord, MeasurementRecord, Note,
    Parsed, Record, SetRecord, Skip, WorkoutRecord, MAX_EXTRA_COLUMNS,
};

/// Where an import comes from (the front doors' `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Mfp,
    Cronometer,
    AppleHealth,
    Csv,
    SparkyFitness,
    Strong,
    Hevy,
    FitNotes,
    MacroFactor,
}

impl Source {
    pub const ALL: [Source; 9] = [
        Source::Mfp,
        Source::Cronometer,
        Source::AppleHealth,
        Source::Csv,
        Source::SparkyFitness,
        Source::Strong,
        Source::Hevy,
        Source::FitNotes,
        Source::MacroFactor,
    ];
    pub const NAMES: [&'static str; 9] = [
        "mfp",
        "cronometer",
        "apple-health",
        "csv",
        "sparkyfitness",
        "strong",
        "hevy",
        "fitnotes",
        "macrofactor",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Mfp => "mfp",
            Source::Cronometer => "cronometer",
            Source::AppleHealth => "apple-health",
            Source::Csv => "csv",
            Source::SparkyFitness => "sparkyfitness",
            Source::Strong => "strong",
            Source::Hevy => "hevy",
            Source::FitNotes => "fitnotes",
            Source::MacroFactor => "macrofactor",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the file's times of day are wall-clock times without a zone (read as UTC by
    /// [`locale::local_instant`]): the import places them in the owner's timezone. Apple
    /// Health's carry their offset, a SparkyFitness database has instants and MyFitnessPal's
    /// export has no times.
    pub fn times_are_wall_clock(self) -> bool {
        matches!(
            self,
            Source::Cronometer
                | Source::Csv
                | Source::Strong
                | Source::Hevy
                | Source::FitNotes
                | Source::MacroFactor
        )
    }
}

/// Lines a CSV file may have: each row read is held in memory until the import is written
/// (about a kilobyte each), so a 64 MiB file of short rows would take gigabytes. Ten years
/// of a busy Cronometer or Strong log is well under this; a larger file is split.
pub const MAX_FILE_ROWS: usize = 200_000;

/// Reads one whole file already in memory (the HTTP body; the CLI streams Apple Health
/// files through [`apple_health::parse`] instead). A SparkyFitness import reads a database,
/// not a file.
pub fn parse_bytes(source: Source, data: &[u8], options: &Options) -> ImportResult<Parsed> {
    let is_csv = match source {
        Source::AppleHealth | Source::SparkyFitness => false,
        Source::MacroFactor => !data.starts_with(b"PK"),
        _ => true,
    };
    if is_csv {
        // The header and a last line without its line end count as rows too.
        let lines = data.iter().filter(|b| **b == b'\n').count()
            + usize::from(!data.is_empty() && !data.ends_with(b"\n"));
        if lines > MAX_FILE_ROWS + 1 {
            return Err(ImportError::new(format!(
                "the file has {lines} lines; an import reads at most {MAX_FILE_ROWS} rows at \
                 once: split it (a year or two a file) and import each part"
            )));
        }
    }
    // The CSV reader counts a Windows line end's \r\n so that every line number came out one
    // too low (MyFitnessPal and Cronometer exports are often CRLF): read them as \n.
    let unix;
    let data = match source {
        Source::Mfp
        | Source::Cronometer
        | Source::Csv
        | Source::Strong
        | Source::Hevy
        | Source::FitNotes
            if data.windows(2).any(|w| w == b"\r\n") =>
        {
            unix = crlf_to_lf(data);
            &unix[..]
        }
        // A MacroFactor sheet saved as CSV (its workbook is a zip, read as it is).
        Source::MacroFactor
            if !data.starts_with(b"PK") && data.windows(2).any(|w| w == b"\r\n") =>
        {
            unix = crlf_to_lf(data);
            &unix[..]
        }
        _ => data,
    };
    match source {
        Source::Mfp => mfp::parse(data, options),
        Source::Cronometer => cronometer::parse(data, options),
        Source::AppleHealth => apple_health::parse(data, |_| {}),
        Source::Csv => csv_generic::parse(data, options),
        Source::Strong => strength::parse_strong(data, options),
        Source::Hevy => strength::parse_hevy(data, options),
        Source::FitNotes => strength::parse_fitnotes(data, options),
        Source::MacroFactor => macrofactor::parse(data, options),
        Source::SparkyFitness => Err(ImportError::new(
            "a SparkyFitness import reads its database: sparky import-from sparkyfitness --database-url URL",
        )),
    }
}

/// The app whose workout export has these (normalised) headers, and the import kind for it:
/// (Strong, strong) for `Set Order` and `Exercise Name`. A file given to the wrong importer
/// is refused naming the right one rather than misread (FitNotes' pounds as kilograms).
pub fn workout_export_of(headers: &[String]) -> Option<(&'static str, &'static str)> {
    let has = |h: &str| headers.iter().any(|x| x == h);
    if has("set_order") && has("exercise_name") {
        Some(("Strong", "strong"))
    } else if has("exercise_title") && has("set_index") {
        Some(("Hevy", "hevy"))
    } else if has("exercise") && has("category") && has("weight_unit") {
        Some(("FitNotes", "fitnotes"))
    } else {
        None
    }
}

/// `data` with every \r\n as \n.
fn crlf_to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(data[i]);
        i += 1;
    }
    out
}

/// How to read a file: what the front door was told (all optional).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Generic CSV: what the rows are.
    pub target: Option<Area>,
    /// Generic CSV: `column=field` pairs; columns not named are matched by their header.
    pub map: Vec<(String, String)>,
    pub decimal: Option<DecimalSeparator>,
    pub dates: Option<DateOrder>,
    /// The unit system of values the file gives without a unit (MyFitnessPal's measurements,
    /// a CSV's `weight` column); default: the user's own.
    pub units: Option<UnitsSystem>,
}

impl Options {
    /// The unit of a value of the built-in type `kind` given without one.
    pub fn default_unit(&self, kind: &str) -> Option<String> {
        let system = self.units?;
        builtin_dimension(kind).map(|d| d.display_unit(system).as_str().to_string())
    }
}

/// The dimension of a built-in measurement type.
pub fn builtin_dimension(kind: &str) -> Option<Dimension> {
    Some(match kind {
        "weight" | "muscle_mass" => Dimension::Mass,
        "body_fat" => Dimension::Percent,
        "waist" | "hips" | "neck" | "chest" | "height" => Dimension::Length,
        "resting_heart_rate" => Dimension::Rate,
        "steps" => Dimension::Count,
        "water" => Dimension::Volume,
        _ => return None,
    })
}

/// A measurement type's name from how an app writes it (`Body Fat`, `Weight`, `Waist`).
pub fn measurement_kind(raw: &str) -> String {
    let k = sparky_core::health::snake_case(raw);
    match k.as_str() {
        "bodyfat" | "body_fat_percentage" | "body_fat_percent" | "fat_percent" => "body_fat".into(),
        "body_weight" | "weight_kg" | "bodyweight" => "weight".into(),
        "hip" => "hips".into(),
        "resting_hr" | "rhr" | "resting_heart_rate" | "heart_rate_resting" => {
            "resting_heart_rate".into()
        }
        "step" | "step_count" => "steps".into(),
        // Where phone pushes put sleep (hours), so the two meet.
        "sleep" | "sleep_duration" | "hours_slept" | "time_asleep" => {
            sparky_core::health::SLEEP_TYPE.into()
        }
        _ => k,
    }
}

/// A file that cannot be read as what it claims to be: nothing of it is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ImportError {
    pub line: Option<u64>,
    pub message: String,
}

impl ImportError {
    pub fn new(message: impl Into<String>) -> ImportError {
        ImportError {
            line: None,
            message: message.into(),
        }
    }

    pub fn at(line: u64, message: impl Into<String>) -> ImportError {
        ImportError {
            line: Some(line),
            message: message.into(),
        }
    }
}

impl From<csv::Error> for ImportError {
    fn from(e: csv::Error) -> ImportError {
        let line = e.position().map(|p| p.line());
        let message = match e.kind() {
            csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text".to_string(),
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("the row has {len} fields where the header has {expected_len}"),
            _ => format!("not a readable CSV file: {e}"),
        };
        ImportError { line, message }
    }
}

pub type ImportResult<T> = Result<T, ImportError>;

/// Stable keys from a record's content: the same row in a later run gets the same key, and
/// the second of two identical rows in one file gets its own (`#2`).
#[derive(Debug, Default)]
pub struct Keys {
    seen: HashMap<String, u32>,
}

impl Keys {
    pub fn new() -> Keys {
        Keys::default()
    }

    /// `parts` are the fields that make the row what it is.
    pub fn of(&mut self, area: Area, parts: &[&str]) -> String {
        let digest = digest(parts);
        let n = self.seen.entry(digest.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            format!("{}:{digest}", area.as_str())
        } else {
            format!("{}:{digest}#{n}", area.as_str())
        }
    }
}

/// A short hash of a row's fields.
fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(&h.finalize()[..12])
}

impl Keys {
    /// The key of a row that says everything about its fields, so the same row twice in a
    /// file is one row (the second is skipped), not a second entry.
    pub fn whole(area: Area, parts: &[&str]) -> String {
        format!("{}:{}", area.as_str(), digest(parts))
    }

    /// The key of what a row is a version of (`parts`: what names it, e.g. a day and meal).
    pub fn slot(area: Area, parts: &[&str]) -> String {
        format!("{}-slot:{}", area.as_str(), digest(parts))
    }
}

/// A digest of a record's fields, to tell its versions apart ([`WorkoutRecord::version`]).
pub(crate) fn version_of(parts: &[&str]) -> String {
    digest(parts)
}

/// The key text of a nutrient set.
pub(crate) fn nutrients_text(n: &Nutrients) -> String {
    n.iter()
        .map(|(name, v)| {
            format!(
                "{name}={}",
                v.map(|v| v.normalize().to_string()).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn opt_text(v: Option<Decimal>) -> String {
    v.map(|v| v.normalize().to_string()).unwrap_or_default()
}

/// Normalised header text: lower case, units in parentheses dropped, runs of anything but
/// letters and digits as one `_`.
pub fn normalise_header(h: &str) -> String {
    let base = match h.find('(') {
        Some(i) if i > 0 => &h[..i],
        _ => h,
    };
    let mut out = String::new();
    for c in base.trim().trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

/// The unit a header names in parentheses, e.g. `Weight (lb)` → `lb`.
pub fn header_unit(h: &str) -> Option<String> {
    let open = h.find('(')?;
    let close = h[open..].find(')')? + open;
    let u = h[open + 1..close].trim();
    (!u.is_empty()).then(|| u.to_string())
}

/// A CSV reader over any input, header row first, rows of unequal length refused.
pub(crate) fn csv_reader<R: std::io::Read>(input: R, delimiter: u8) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(input)
}

/// `;` when the header row has more semicolons than commas (European spreadsheets), else `,`.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let first = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let semi = first.iter().filter(|b| **b == b';').count();
    let comma = first.iter().filter(|b| **b == b',').count();
    let tab = first.iter().filter(|b| **b == b'\t').count();
    if tab > semi && tab > comma {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

/// The header row of a CSV file (normalised), for telling the apps' files apart.
pub fn csv_headers(data: &[u8]) -> ImportResult<Vec<String>> {
    let mut r = csv_reader(data, sniff_delimiter(data));
    Ok(r.headers()?.iter().map(normalise_header).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line numbers of a Windows (CRLF) file are the same as of its Unix twin.
    #[test]
    fn crlf_files_name_the_right_lines() {
        let lf = b"Date,Meal,Calories\n2025-02-02,Lunch,500\n2025-02-03,Lunch,500\n2025-02-02,Dinner,0\n";
        let crlf: Vec<u8> = String::from_utf8(lf.to_vec())
            .unwrap()
            .replace('\n', "\r\n")
            .into_bytes();
        let lines = |data: &[u8]| {
            let p = parse_bytes(Source::Mfp, data, &Options::default()).unwrap();
            (
                p.records.iter().map(Record::line).collect::<Vec<_>>(),
                p.skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
            )
        };
        assert_eq!(lines(lf), (vec![2, 3], vec![4]));
        assert_eq!(lines(&crlf), lines(lf));
        let short = b"Date,Meal,Calories\r\n2025-02-02,Lunch,500\r\n2025-02-02,Dinner\r\n";
        let e = parse_bytes(Source::Mfp, short, &Options::default()).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn headers_normalise() {
        assert_eq!(normalise_header("Fat (g)"), "fat");
        assert_eq!(normalise_header("\u{feff}Energy (kcal)"), "energy");
        assert_eq!(normalise_header("Exercise Calories"), "exercise_calories");
        assert_eq!(header_unit("Weight (lb)").as_deref(), Some("lb"));
        assert_eq!(header_unit("Weight"), None);
    }

    #[test]
    fn keys_are_stable_and_count_repeats() {
        let mut a = Keys::new();
        let mut b = Keys::new();
        let k1 = a.of(Area::Diary, &["x", "y"]);
        let k2 = a.of(Area::Diary, &["x", "y"]);
        assert_ne!(k1, k2);
        assert_eq!(k1, b.of(Area::Diary, &["x", "y"]));
        assert_eq!(k2, b.of(Area::Diary, &["x", "y"]));
        assert_ne!(k1, a.of(Area::Diary, &["xy", ""]));
    }
}
