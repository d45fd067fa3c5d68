//! What a parsed file holds: the records to store, the rows skipped with their reasons,
//! notes for the preview, and which columns were read as what.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;
use sparky_core::MealType;

use crate::meals::meal_named;

/// One thing to store.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Diary(DiaryRecord),
    Measurement(MeasurementRecord),
    Workout(WorkoutRecord),
    Food(FoodRecord),
}

impl Record {
    /// The record's time of day, for the kinds that have one.
    pub fn at_mut(&mut self) -> Option<&mut Option<DateTime<Utc>>> {
        match self {
            Record::Diary(r) => Some(&mut r.at),
            Record::Measurement(r) => Some(&mut r.at),
            Record::Workout(r) => Some(&mut r.at),
            Record::Food(_) => None,
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Record::Diary(r) => &r.key,
            Record::Measurement(r) => &r.key,
            Record::Workout(r) => &r.key,
            Record::Food(r) => &r.key,
        }
    }

    pub fn area(&self) -> Area {
        match self {
            Record::Diary(_) => Area::Diary,
            Record::Measurement(_) => Area::Measurements,
            Record::Workout(_) => Area::Workouts,
            Record::Food(_) => Area::Foods,
        }
    }

    /// The day it belongs to and its time, for the records that have them (not foods).
    pub fn when(&self) -> Option<(NaiveDate, Option<DateTime<Utc>>)> {
        match self {
            Record::Diary(r) => Some((r.date, r.at)),
            Record::Measurement(r) => Some((r.date, r.at)),
            Record::Workout(r) => Some((r.date, r.at)),
            Record::Food(_) => None,
        }
    }

    /// Where it came from in its file (line, from 1).
    pub fn line(&self) -> u64 {
        match self {
            Record::Diary(r) => r.line,
            Record::Measurement(r) => r.line,
            Record::Workout(r) => r.line,
            Record::Food(r) => r.line,
        }
    }
}

/// What a record becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Area {
    Foods,
    Diary,
    Measurements,
    Workouts,
}

impl Area {
    pub const ALL: [Area; 4] = [Area::Foods, Area::Diary, Area::Measurements, Area::Workouts];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Foods => "foods",
            Area::Diary => "diary",
            Area::Measurements => "measurements",
            Area::Workouts => "workouts",
        }
    }

    pub fn parse(s: &str) -> Option<Area> {
        Area::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// A food diary entry without a food: a name, the meal and what it came to.
#[derive(Debug, Clone, PartialEq)]
pub struct DiaryRecord {
    pub key: String,
    pub line: u64,
    pub date: NaiveDate,
    pub at: Option<DateTime<Utc>>,
    pub meal: MealType,
    pub name: String,
    /// Total for the entry, in Sparky's units (kcal, g, mg, µg RAE).
    pub nutrients: Nutrients,
    /// A whole day's total (MacroFactor's daily nutrition): stored only for a day that has no
    /// food diary entries yet, so that nothing is counted twice.
    pub day_total: bool,
    /// What the row is a version of (see [`Keys::slot`]): when a later export changes it (a
    /// meal's total in MyFitnessPal's summary), importing that export replaces the entry an
    /// earlier import stored instead of adding a second one.
    pub replaces: Option<String>,
    /// Amounts in the file's other nutrient columns ([`Parsed::extra_columns`], by index),
    /// zeros left out: kept where the user defines a custom nutrient of the column's name.
    /// Not part of the key, so defining one later does not make a row new.
    pub extra: Vec<(usize, Decimal)>,
}

/// A body measurement in the unit it was recorded in.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasurementRecord {
    pub key: String,
    pub line: u64,
    pub date: NaiveDate,
    pub at: Option<DateTime<Utc>>,
    /// A measurement type's name (`weight`, `body_fat`, `height`, `steps`, `water`, `waist`…).
    pub kind: String,
    pub value: Decimal,
    /// A unit Sparky knows (`kg`, `lb`, `%`, `cm`, `in`, `ml`, `fl oz`, `count`…); none: the
    /// user's display unit for the type.
    pub unit: Option<String>,
}

/// An exercise diary entry.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkoutRecord {
    pub key: String,
    pub line: u64,
    pub date: NaiveDate,
    pub at: Option<DateTime<Utc>>,
    pub name: String,
    pub minutes: Option<Decimal>,
    pub kcal: Option<Decimal>,
    pub km: Option<Decimal>,
    /// A distance the file gives without a unit (Strong's newer export): km or miles by the
    /// user's unit system, like other values without a unit.
    pub unitless_distance: Option<Decimal>,
    /// Strength sets, in order.
    pub sets: Vec<SetRecord>,
    /// What the file says that the sets cannot hold ("set 3: assisted 20 kg, RPE 8"), for the
    /// workout's notes.
    pub notes: Vec<String>,
    /// A digest of what the record holds, for apps whose exports repeat every session whole
    /// under the same key: another version under an imported key replaces what the earlier
    /// import stored (a set corrected or added since). None: a record is never revised.
    pub version: Option<String>,
    /// The key and version an earlier Sparky gave this record (Strong, Hevy and FitNotes
    /// keys used to name the session and exercise, so renaming either imported the session
    /// again): an import stored under that key is this record's.
    pub earlier: Option<EarlierKey>,
}

/// A record's key and version as an earlier Sparky made them.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierKey {
    pub key: String,
    pub version: String,
}

/// One set of a strength exercise: reps, weight, a time, or several of them.
#[derive(Debug, Clone, PartialEq)]
pub struct SetRecord {
    pub reps: Option<i32>,
    pub weight: Option<Decimal>,
    /// None: the user's unit system.
    pub unit: Option<sparky_core::WeightUnit>,
    /// A timed set's whole seconds (a plank, a hang, a carry).
    pub duration_seconds: Option<i32>,
}

/// A food of the user's own, with one serving.
#[derive(Debug, Clone, PartialEq)]
pub struct FoodRecord {
    pub key: String,
    pub line: u64,
    pub name: String,
    pub brand: Option<String>,
    pub serving_size: Decimal,
    pub serving_unit: String,
    pub weight_g: Option<Decimal>,
    /// Per serving.
    pub nutrients: Nutrients,
    /// Per serving, like [`DiaryRecord::extra`].
    pub extra: Vec<(usize, Decimal)>,
}

/// A row that was read but will not be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub area: Option<Area>,
    /// The first row skipped for this reason.
    pub line: u64,
    pub reason: String,
    /// Rows skipped for this reason (a stream counts them instead of listing each).
    pub count: usize,
}

/// Something about rows that were imported that a person should know before importing (a
/// meal name read as snacks), with the rows it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub area: Area,
    /// The first row it concerns.
    pub line: u64,
    pub message: String,
    pub count: usize,
}

/// Distinct notes one file keeps at most (each counts its rows).
const MAX_NOTES: usize = 100;

/// Everything one file gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub records: Vec<Record>,
    pub skipped: Vec<Skip>,
    /// Notes on rows that were read, one per message with its count.
    pub notes: Vec<Note>,
    /// A generic CSV's columns in file order, with the field each was read as (`None`: not
    /// used), so a person can see how their file was understood. Empty for the app formats.
    pub columns: Vec<ColumnMatch>,
    /// Nutrient columns that are no built-in nutrient (Cronometer's `Caffeine (mg)`), each
    /// once, in file order.
    pub extra_columns: Vec<ExtraColumn>,
}

/// Extra nutrient columns read from one import (a user defines at most 50 custom nutrients;
/// Cronometer's export has about 40 such columns): each is a value a row may hold in memory.
pub const MAX_EXTRA_COLUMNS: usize = 50;

/// A column of amounts of a nutrient Sparky has no field for: its header names it and a
/// unit (`Omega-3 (g)`, `B1 (Thiamine) (mg)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraColumn {
    /// The header as in the file.
    pub column: String,
    /// The header without its unit: `Omega-3`, `B1 (Thiamine)`.
    pub name: String,
    /// `g`, `mg`, `µg` or `IU`.
    pub unit: &'static str,
}

impl ExtraColumn {
    /// The column a header describes, if it ends in a unit in parentheses that a custom
    /// nutrient may be in and names something before it.
    pub fn from_header(header: &str) -> Option<ExtraColumn> {
        let h = header.trim();
        let inner = h.strip_suffix(')')?;
        let open = inner.rfind('(')?;
        let unit = match inner[open + 1..].trim().to_lowercase().as_str() {
            "g" => "g",
            "mg" => "mg",
            "µg" | "μg" | "mcg" | "ug" => "µg",
            "iu" => "IU",
            _ => return None,
        };
        let name = inner[..open].trim();
        (!name.is_empty() && name.chars().count() <= 40).then(|| ExtraColumn {
            column: header.to_string(),
            name: name.to_string(),
            unit,
        })
    }
}

/// One column of a generic CSV and the field it was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMatch {
    pub column: String,
    pub field: Option<&'static str>,
}

impl Parsed {
    pub fn skip(&mut self, area: Option<Area>, line: u64, reason: impl Into<String>) {
        self.skipped.push(Skip {
            area,
            line,
            reason: reason.into(),
            count: 1,
        });
    }

    /// Notes `message` on the row at `line` (counted with the earlier rows of that message).
    pub fn note(&mut self, area: Area, line: u64, message: impl Into<String>) {
        self.add_note(Note {
            area,
            line,
            message: message.into(),
            count: 1,
        });
    }

    fn add_note(&mut self, note: Note) {
        if let Some(n) = self.notes.iter_mut().find(|n| n.message == note.message) {
            n.count += note.count;
        } else if self.notes.len() < MAX_NOTES {
            self.notes.push(note);
        }
    }

    /// Notes the row at `line` when its meal name is not one [`meal_named`] knows: it is
    /// filed under snacks, and the preview says so.
    pub fn note_meal(&mut self, line: u64, name: &str) {
        let name = name.trim();
        if !name.is_empty() && meal_named(name).is_none() {
            let name: String = name.chars().take(60).collect();
            self.note(
                Area::Diary,
                line,
                format!(
                    "meal “{name}” is not breakfast, lunch, dinner or a snack: filed under snacks"
                ),
            );
        }
    }

    /// The index of `column` in [`Parsed::extra_columns`], added if new; `None` past the
    /// first [`MAX_EXTRA_COLUMNS`] (said once in the notes).
    pub fn extra_column(&mut self, column: ExtraColumn) -> Option<usize> {
        if let Some(i) = self
            .extra_columns
            .iter()
            .position(|c| c.name == column.name && c.unit == column.unit)
        {
            return Some(i);
        }
        if self.extra_columns.len() >= MAX_EXTRA_COLUMNS {
            self.note(
                Area::Diary,
                1,
                format!(
                    "only the first {MAX_EXTRA_COLUMNS} nutrient columns Sparky has no field \
                     for are read"
                ),
            );
            return None;
        }
        self.extra_columns.push(column);
        Some(self.extra_columns.len() - 1)
    }

    pub fn extend(&mut self, other: Parsed) {
        let moved: Vec<Option<usize>> = other
            .extra_columns
            .into_iter()
            .map(|c| self.extra_column(c))
            .collect();
        let remap = |extra: &mut Vec<(usize, Decimal)>| {
            *extra = extra
                .iter()
                .filter_map(|(i, v)| Some((moved.get(*i).copied().flatten()?, *v)))
                .collect();
        };
        self.records.extend(other.records.into_iter().map(|mut r| {
            match &mut r {
                Record::Diary(d) => remap(&mut d.extra),
                Record::Food(f) => remap(&mut f.extra),
                _ => {}
            }
            r
        }));
        self.skipped.extend(other.skipped);
        for n in other.notes {
            self.add_note(n);
        }
        self.columns.extend(other.columns);
    }
}
