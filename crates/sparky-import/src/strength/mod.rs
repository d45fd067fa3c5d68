//! Strength-training apps' workout exports, one CSV row per set:
//!
//! | app | where | header |
//! |---|---|---|
//! | Strong | Settings → Export data | `Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE`; older exports `Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;Distance;Distance Unit;Seconds;Notes;Workout Notes;Workout Duration` |
//! | Hevy | Settings → Export & import data → Export workouts | `title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,set_index,set_type,weight_kg,reps,distance_km,duration_seconds,rpe` (`weight_lbs`, `distance_miles` in imperial accounts) |
//! | FitNotes | Settings → Spreadsheet Export → Workout Data | `Date,Exercise,Category,Weight,Weight Unit,Reps,Distance,Distance Unit,Time,Comment`; older exports `Date,Exercise,Category,Weight (kgs),Reps,Distance,Distance Unit,Time` (or `Weight (lbs)`) |
//!
//! Each exercise of a session becomes one workout entry with its sets (warm-up, drop and
//! failure sets included, in order). A timed or distance exercise (a row with seconds or a
//! distance) gets its own minutes and distance; a strength exercise gets a share of the rest of
//! the session's duration by its number of sets, so the calorie estimate has a duration to
//! work from. Strong's rest
//! timer rows and rows with nothing in them are skipped. Times are the phone's wall-clock
//! time. FitNotes gives a day without a time of day or a session length: a day's sets are
//! one session, and only timed sets (its `Time` column, `H:MM:SS`) give minutes. Weights without a unit (Strong's newer export) are in the user's unit system unless
//! `units` says otherwise.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sparky_core::units::mi_to_km;
use sparky_core::WeightUnit;

mod fitnotes;
mod hevy;
mod strong;

pub use fitnotes::parse_fitnotes;
pub use hevy::parse_hevy;
pub use strong::parse_strong;

use crate::locale::{self, DecimalSeparator};
use crate::{
    csv_reader, header_unit, normalise_header, sniff_delimiter, Area, EarlierKey, ImportResult,
    Keys, Options, Parsed, Record, SetRecord, WorkoutRecord,
};

/// One set row, read (also by the MacroFactor importer, whose workbook has a workout log).
pub(crate) struct SetRow {
    pub line: u64,
    pub started: NaiveDateTime,
    pub workout: String,
    pub session_minutes: Option<Decimal>,
    pub exercise: String,
    pub set: Option<SetRecord>,
    pub seconds: Option<Decimal>,
    pub km: Option<Decimal>,
    pub unitless_distance: Option<Decimal>,
    /// `started` has a real time of day (FitNotes gives only the day).
    pub clock: bool,
    /// What the file says of this set that a set cannot hold (an assisting weight, RPE, the
    /// set's note), kept in the workout's notes as "set N: …".
    pub note: Option<String>,
    /// A note on the whole exercise or session, repeated on its rows (kept once).
    pub exercise_note: Option<String>,
}

/// A set row's note: an assisting (negative) weight, its RPE and its own note, or none.
pub(crate) fn set_note(
    weight: Option<Decimal>,
    unit: Option<WeightUnit>,
    rpe: Option<&str>,
    text: Option<&str>,
) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if let Some(w) = weight.filter(|w| *w < Decimal::ZERO) {
        let unit = unit.map(|u| format!(" {}", u.as_str())).unwrap_or_default();
        parts.push(format!("assisted {}{unit}", (-w).normalize()));
    }
    if let Some(rpe) = rpe.map(str::trim).filter(|r| !r.is_empty() && *r != "0") {
        parts.push(format!("RPE {rpe}"));
    }
    if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
        parts.push(text.to_string());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// One workout per exercise of a session, in the order they first appear.
pub(crate) fn gather(rows: Vec<SetRow>, mut out: Parsed) -> Parsed {
    // Hash lookups, not scans: a file may hold hundreds of thousands of sets.
    let mut groups: Vec<Vec<SetRow>> = Vec::new();
    let mut group_of: HashMap<(NaiveDateTime, String, String), usize> = HashMap::new();
    let mut exercises_in: HashMap<(NaiveDateTime, String), u64> = HashMap::new();
    for row in rows {
        let id = (row.started, row.workout.clone(), row.exercise.clone());
        match group_of.get(&id) {
            Some(&i) => groups[i].push(row),
            None => {
                *exercises_in
                    .entry((row.started, row.workout.clone()))
                    .or_insert(0) += 1;
                group_of.insert(id, groups.len());
                groups.push(vec![row]);
            }
        }
    }
    // Per session, the minutes its timed exercises took and the set rows of the others: those
    // share what is left of the session by their sets (five sets of squats took longer than
    // one of curls).
    let mut timed_minutes: HashMap<(NaiveDateTime, String), Decimal> = HashMap::new();
    let mut untimed_rows: HashMap<(NaiveDateTime, String), u64> = HashMap::new();
    for group in &groups {
        let session = (group[0].started, group[0].workout.clone());
        match sum(group.iter().map(|r| r.seconds)) {
            Some(s) => *timed_minutes.entry(session).or_default() += s / Decimal::from(60),
            None => *untimed_rows.entry(session).or_default() += group.len() as u64,
        }
    }
    let mut keys = Keys::new();
    let mut earlier_keys = Keys::new();
    for group in &groups {
        let first = &group[0];
        let sets: Vec<SetRecord> = group
            .iter()
            .filter_map(|r| timed_set(r, group.len()))
            .collect();
        // The exercise's notes once, then each set's by its place in the exercise.
        let mut notes: Vec<String> = Vec::new();
        for r in group {
            if let Some(n) = &r.exercise_note {
                if !notes.contains(n) {
                    notes.push(n.clone());
                }
            }
        }
        for (n, r) in group.iter().enumerate() {
            if let Some(note) = &r.note {
                notes.push(format!("set {}: {note}", n + 1));
            }
        }
        let seconds = sum(group.iter().map(|r| r.seconds));
        let km = sum(group.iter().map(|r| r.km));
        let unitless_distance = sum(group.iter().map(|r| r.unitless_distance));
        if sets.is_empty() && seconds.is_none() && km.is_none() && unitless_distance.is_none() {
            out.skip(
                Some(Area::Workouts),
                first.line,
                "an exercise with no reps, weight, time or distance",
            );
            continue;
        }
        let session = (first.started, first.workout.clone());
        let minutes = match seconds {
            Some(s) => Some(s / Decimal::from(60)),
            None => first.session_minutes.map(|m| {
                let left = m - timed_minutes.get(&session).copied().unwrap_or_default();
                // Timed exercises that took the whole session (or more): the sets share it.
                let left = if left > Decimal::ZERO { left } else { m };
                let rows = untimed_rows.get(&session).copied().unwrap_or(1).max(1);
                left * Decimal::from(group.len() as u64) / Decimal::from(rows)
            }),
        }
        .map(|m| m.round_dp(1));
        // Versions were made with an even share of the session per exercise: a file imported
        // then and again now is the same version (its workouts keep the minutes they have).
        let version_minutes = match seconds {
            Some(_) => minutes,
            None => first.session_minutes.map(|m| {
                let exercises = exercises_in.get(&session).copied().unwrap_or(1).max(1);
                (m / Decimal::from(exercises)).round_dp(1)
            }),
        };
        // An exercise is known by its session's start and its own name, not the session's
        // name: renaming a session in the app changes nothing here, and reordering or
        // deleting exercises leaves the others their own rows (a key by place moved one
        // exercise's rows, notes and calories onto another).
        let started = first.started.to_string();
        let key = keys.of(Area::Workouts, &[&started, "exercise", &first.exercise]);
        let earlier_key =
            earlier_keys.of(Area::Workouts, &[&started, &first.workout, &first.exercise]);
        // The session's content: a later export with a set corrected or added is a newer
        // version of the same key.
        // Without the sets' times, as versions were made before sets had them: a file imported
        // then is the same version now.
        let sets_text: Vec<String> = group
            .iter()
            .filter_map(|r| r.set.as_ref())
            .map(|s| {
                format!(
                    "{}x{}{}",
                    s.reps.map(|r| r.to_string()).unwrap_or_default(),
                    crate::opt_text(s.weight),
                    s.unit.map(|u| u.as_str()).unwrap_or_default()
                )
            })
            .collect();
        let content = [
            sets_text.join(";"),
            crate::opt_text(version_minutes),
            crate::opt_text(km),
            crate::opt_text(unitless_distance),
        ];
        let earlier_version = crate::version_of(&content.each_ref().map(String::as_str));
        let notes_text = notes.join("\n");
        let mut version_of: Vec<&str> = vec![
            &first.exercise,
            &content[0],
            &content[1],
            &content[2],
            &content[3],
        ];
        // Only with notes: a session imported before notes were read keeps its version.
        if !notes.is_empty() {
            version_of.push(&notes_text);
        }
        let version = crate::version_of(&version_of);
        out.records.push(Record::Workout(WorkoutRecord {
            key,
            line: first.line,
            date: first.started.date(),
            at: locale::local_instant(
                first.started.date(),
                first.clock.then(|| first.started.time()),
            ),
            name: first.exercise.clone(),
            minutes,
            kcal: None,
            km: km.map(|k| k.round_dp(3)),
            unitless_distance: unitless_distance.map(|d| d.round_dp(3)),
            sets,
            notes,
            version: Some(version),
            earlier: Some(EarlierKey {
                key: earlier_key,
                version: earlier_version,
            }),
        }));
    }
    out
}

/// The CSV file, read whole: normalised headers and its rows with their lines.
struct Table {
    headers: Vec<String>,
    /// The unit each header names in parentheses (`Weight (kgs)` → `kgs`).
    units: Vec<Option<String>>,
    delimiter: u8,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn read(data: &[u8]) -> ImportResult<Table> {
        let delimiter = sniff_delimiter(data);
        let mut reader = csv_reader(data, delimiter);
        let raw = reader.headers()?.clone();
        let headers = raw.iter().map(normalise_header).collect();
        let units = raw.iter().map(header_unit).collect();
        let mut rows = Vec::new();
        for r in reader.records() {
            let r = r?;
            rows.push((r.position().map(|p| p.line()).unwrap_or_default(), r));
        }
        Ok(Table {
            headers,
            units,
            delimiter,
            rows,
        })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    fn has(&self, name: &str) -> bool {
        self.col(name).is_some()
    }

    fn get<'r>(&self, r: &'r csv::StringRecord, col: Option<usize>) -> Option<&'r str> {
        col.and_then(|i| r.get(i)).filter(|s| !s.is_empty())
    }

    /// The decimal separator, from `options` or the cells of `columns`.
    fn decimal(&self, options: &Options, columns: &[&str]) -> DecimalSeparator {
        let cols: Vec<usize> = columns.iter().filter_map(|c| self.col(c)).collect();
        let cells = self
            .rows
            .iter()
            .flat_map(|(_, r)| cols.iter().filter_map(|i| r.get(*i)));
        locale::detect(
            cells,
            std::iter::empty(),
            options.decimal,
            None,
            self.delimiter,
        )
        .decimal
    }
}

fn number(
    cell: Option<&str>,
    what: &str,
    decimal: DecimalSeparator,
) -> Result<Option<Decimal>, String> {
    match cell {
        None => Ok(None),
        Some(t) => locale::parse_number(t, decimal)
            .map(Some)
            .ok_or_else(|| format!("{what}: not a number: \"{t}\"")),
    }
}

pub(crate) fn positive(v: Option<Decimal>) -> Option<Decimal> {
    v.filter(|v| *v > Decimal::ZERO)
}

fn sum(values: impl Iterator<Item = Option<Decimal>>) -> Option<Decimal> {
    values.flatten().reduce(|a, b| a + b)
}

/// A set from its reps and weight; none when it has neither (a cardio row, an empty row).
/// Why a set row cannot be a set: a negative number of reps (it became "no reps", silently).
/// A negative weight is no weight on the set: apps write assistance that way (see
/// [`set_note`], which keeps it in the notes).
pub(crate) fn negative_set(reps: Option<Decimal>, _weight: Option<Decimal>) -> Option<String> {
    reps.is_some_and(|r| r < Decimal::ZERO)
        .then(|| "a negative number of reps".into())
}

pub(crate) fn set_of(
    reps: Option<Decimal>,
    weight: Option<Decimal>,
    unit: Option<WeightUnit>,
) -> Option<SetRecord> {
    let reps = reps
        .filter(|r| *r > Decimal::ZERO)
        .map(|r| r.round().to_i32().unwrap_or(i32::MAX));
    let weight = positive(weight);
    (reps.is_some() || weight.is_some()).then(|| SetRecord {
        reps,
        weight,
        unit: weight.and(unit),
        duration_seconds: None,
    })
}

/// A set row as a set with its time: a row of reps or weight keeps its seconds on the set, and
/// so does a row with only a time among several of one exercise (3 × 60 s of planks). A row
/// with a distance is cardio, and a lone timed row is the workout's duration alone: their
/// seconds stay the workout's. Times past a day are the workout's too.
fn timed_set(row: &SetRow, rows_of_exercise: usize) -> Option<SetRecord> {
    let cardio = row.km.is_some() || row.unitless_distance.is_some();
    let seconds = row
        .seconds
        .filter(|_| !cardio)
        .and_then(|s| s.round().to_i32())
        .filter(|s| (1..=86_400).contains(s));
    match (row.set.clone(), seconds) {
        (Some(set), seconds) => Some(SetRecord {
            duration_seconds: seconds,
            ..set
        }),
        (None, Some(seconds)) if rows_of_exercise > 1 => Some(SetRecord {
            reps: None,
            weight: None,
            unit: None,
            duration_seconds: Some(seconds),
        }),
        (None, _) => None,
    }
}

/// A set row's weight unit, its distance in km, and a distance without a unit.
type RowUnits = (Option<WeightUnit>, Option<Decimal>, Option<Decimal>);

/// A set row's weight unit (its own column, else `default`) and its distance in km, or
/// without a unit when the row names none; the reason when a unit is unknown.
fn row_units(
    weight_unit: Option<&str>,
    default: Option<WeightUnit>,
    distance: Option<Decimal>,
    distance_unit: Option<&str>,
) -> Result<RowUnits, String> {
    let weight_unit = match weight_unit {
        None => default,
        Some(u) => Some(mass_unit(u).ok_or_else(|| format!("unknown weight unit \"{u}\""))?),
    };
    let (km, unitless) = match (positive(distance), distance_unit) {
        (None, _) => (None, None),
        (Some(d), None) => (None, Some(d)),
        (Some(d), Some(u)) => (
            Some(km_of(d, u).ok_or_else(|| format!("unknown distance unit \"{u}\""))?),
            None,
        ),
    };
    Ok((weight_unit, km, unitless))
}

pub(crate) fn mass_unit(u: &str) -> Option<WeightUnit> {
    match u.trim().to_ascii_lowercase().as_str() {
        "kg" | "kgs" => Some(WeightUnit::Kg),
        "lb" | "lbs" => Some(WeightUnit::Lb),
        _ => None,
    }
}

pub(crate) fn km_of(d: Decimal, unit: &str) -> Option<Decimal> {
    match unit.trim().to_ascii_lowercase().as_str() {
        "km" => Some(d),
        "m" => Some(d / Decimal::from(1000)),
        "mi" | "miles" => Some(mi_to_km(d)),
        "ft" | "feet" => Some(d * Decimal::new(3048, 7)),
        "yd" | "yds" | "yards" => Some(d * Decimal::new(9144, 7)),
        _ => None,
    }
}

/// `2025-01-15 07:30:00`, `2025-01-15 7:30:00 AM` (Strong), `15 Jan 2025, 07:30` (Hevy).
fn date_time(s: &str) -> Option<NaiveDateTime> {
    let s: String = s
        .trim()
        .chars()
        .map(|c| {
            if c == '\u{202f}' || c == '\u{a0}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    const FORMATS: [&str; 8] = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %I:%M:%S %p",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%SZ",
        "%d %b %Y, %H:%M",
        "%d %b %Y %H:%M",
        "%b %d, %Y, %I:%M %p",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(12, 0, 0))
        })
}

/// Strong's session duration: `1h 5m`, `45m`, `50s`, `1h`; a bare number is minutes.
fn duration_minutes(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if let Ok(m) = s.parse::<Decimal>() {
        return positive(locale::bounded(m));
    }
    let mut total = Decimal::ZERO;
    let mut any = false;
    for part in s.split_whitespace() {
        let (n, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit())?);
        // At most 10^15 each, so the sum of a few parts cannot overflow.
        let n = locale::bounded(n.parse().ok()?)?;
        total += match unit {
            "h" => n * Decimal::from(60),
            "m" | "min" => n,
            "s" => n / Decimal::from(60),
            _ => return None,
        };
        any = true;
    }
    any.then_some(total).and_then(|t| positive(Some(t)))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    pub(super) fn workouts(p: &Parsed) -> Vec<&WorkoutRecord> {
        p.records
            .iter()
            .map(|r| match r {
                Record::Workout(w) => w,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn keys_are_stable_across_runs_and_files_are_told_apart() {
        let data = include_bytes!("../../fixtures/strong/strong.csv");
        let a = parse_strong(data, &Options::default()).unwrap();
        let b = parse_strong(data, &Options::default()).unwrap();
        assert_eq!(a.records, b.records);
        assert!(parse_hevy(data, &Options::default()).is_err());
        assert!(parse_strong(
            include_bytes!("../../fixtures/hevy/workouts.csv"),
            &Options::default()
        )
        .is_err());
    }

    #[test]
    fn reps_are_whole_and_oversized_ones_are_kept_for_the_limit_check() {
        assert_eq!(set_of(Some(dec!(8.0)), None, None).unwrap().reps, Some(8));
        assert_eq!(set_of(Some(dec!(7.6)), None, None).unwrap().reps, Some(8));
        assert_eq!(
            set_of(Some(dec!(99999999999)), None, None).unwrap().reps,
            Some(i32::MAX)
        );
        assert_eq!(set_of(Some(dec!(0)), Some(dec!(0)), None), None);
    }

    #[test]
    fn timed_rows_keep_their_seconds_on_their_sets() {
        let csv = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE
2025-11-03 07:30:00,Core,40m,Plank,1,0,0,0,60,,,
2025-11-03 07:30:00,Core,40m,Plank,2,0,0,0,45.4,,,
2025-11-03 07:30:00,Core,40m,Plank,3,0,0,0,30,,,
2025-11-03 07:30:00,Core,40m,Farmer's Walk,1,40,0,0,50,,,
2025-11-03 07:30:00,Core,40m,Farmer's Walk,2,40,0,0,0,,,
2025-11-03 07:30:00,Core,40m,Cycling,1,0,0,0,1200,,,
2025-11-03 07:30:00,Core,40m,Running,1,0,0,2,600,,,
2025-11-03 07:30:00,Core,40m,Running,2,0,0,1,300,,,
";
        let p = parse_strong(csv.as_bytes(), &Options::default()).unwrap();
        let w = workouts(&p);
        let by_name = |n: &str| w.iter().find(|x| x.name == n).copied().unwrap();
        let seconds = |n: &str| -> Vec<Option<i32>> {
            by_name(n).sets.iter().map(|s| s.duration_seconds).collect()
        };
        // Three holds, each its own time (rounded to the second); the workout has their sum.
        assert_eq!(seconds("Plank"), vec![Some(60), Some(45), Some(30)]);
        assert!(by_name("Plank")
            .sets
            .iter()
            .all(|s| s.reps.is_none() && s.weight.is_none()));
        assert_eq!(by_name("Plank").minutes, Some(dec!(2.3)));
        // A loaded carry keeps its weight and time; its untimed set stays a set of weight.
        assert_eq!(seconds("Farmer's Walk"), vec![Some(50), None]);
        assert_eq!(by_name("Farmer's Walk").sets[0].weight, Some(dec!(40)));
        // A lone timed row is the workout's duration, and cardio with a distance has no sets.
        assert!(by_name("Cycling").sets.is_empty());
        assert_eq!(by_name("Cycling").minutes, Some(dec!(20)));
        assert!(by_name("Running").sets.is_empty());
        assert_eq!(by_name("Running").minutes, Some(dec!(15)));
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(duration_minutes("1h 5m"), Some(dec!(65)));
        assert_eq!(duration_minutes("45m"), Some(dec!(45)));
        assert_eq!(duration_minutes("90s"), Some(dec!(1.5)));
        assert_eq!(duration_minutes("soon"), None);
        // Huge values are not read (they would overflow the sums), never a panic.
        assert_eq!(duration_minutes("99999999999999999999999999h"), None);
        assert_eq!(duration_minutes("9999999999999999999999999999"), None);
        assert_eq!(
            fitnotes::clock_seconds("9999999999999999999999999999"),
            None
        );
        assert!(date_time("2025-01-15 7:30:00\u{202f}PM").is_some());
        assert_eq!(
            date_time("26 Jul 2025, 07:06").unwrap().to_string(),
            "2025-07-26 07:06:00"
        );
    }
}
