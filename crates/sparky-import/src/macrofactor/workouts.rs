//! MacroFactor's workout log sheet: a row per set (`Date`, `Time`, `Workout`,
//! `Workout Duration`, `Exercise`, `Set Type`, `Weight (kg)`, `Reps`, `Duration`,
//! `Distance (m)` / `(km)`…), gathered like Strong's and Hevy's exports: one workout entry per
//! exercise of a session, with its sets.

use chrono::NaiveTime;
use rust_decimal::Decimal;
use sparky_core::WeightUnit;

use super::workbook::{Cell, Row, Sheet};
use super::{CellReader, HEADER_SEARCH_ROWS};
use crate::strength::{gather, km_of, mass_unit, positive, set_of, SetRow};
use crate::{header_unit, normalise_header, Area, Options, Parsed};

/// Which column holds what, with the units their headers name.
#[derive(Debug, Default)]
pub(super) struct WorkoutColumns {
    date: Option<usize>,
    time: Option<usize>,
    workout: Option<usize>,
    workout_duration: Option<(usize, Option<String>)>,
    pub(super) exercise: Option<usize>,
    weight: Option<(usize, Option<String>)>,
    reps: Option<usize>,
    duration: Option<(usize, Option<String>)>,
    /// Distance columns with their unit (`Distance short (m)`, `Distance long (km)`).
    distances: Vec<(usize, Option<String>)>,
}

impl WorkoutColumns {
    pub(super) fn of(header: &Row) -> WorkoutColumns {
        let mut c = WorkoutColumns::default();
        for (i, cell) in header.cells.iter().enumerate() {
            let Some(raw) = cell.text() else { continue };
            let unit = header_unit(raw);
            match normalise_header(raw).as_str() {
                "date" | "day" if c.date.is_none() => c.date = Some(i),
                "time" | "start_time" if c.time.is_none() => c.time = Some(i),
                "workout" | "workout_name" | "session" if c.workout.is_none() => {
                    c.workout = Some(i)
                }
                "workout_duration" | "session_duration" if c.workout_duration.is_none() => {
                    c.workout_duration = Some((i, unit))
                }
                "exercise" | "exercise_name" if c.exercise.is_none() => c.exercise = Some(i),
                "weight" | "load" if c.weight.is_none() => c.weight = Some((i, unit)),
                "reps" | "repetitions" if c.reps.is_none() => c.reps = Some(i),
                "duration" | "set_duration" if c.duration.is_none() => c.duration = Some((i, unit)),
                h if h.starts_with("distance") => c.distances.push((i, unit)),
                _ => {}
            }
        }
        c
    }

    pub(super) fn is_workout_log(&self) -> bool {
        self.date.is_some() && self.exercise.is_some()
    }
}

/// The sets of a workout log sheet, gathered into workouts.
pub(super) fn read(
    sheet: &Sheet,
    reader: &CellReader,
    options: &Options,
    out: &mut Parsed,
) -> bool {
    let Some((at, c)) = sheet
        .rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .map(|(i, row)| (i, WorkoutColumns::of(row)))
        .find(|(_, c)| c.is_workout_log())
    else {
        return false;
    };
    // Weights without a unit: what `units` says, else kilograms (MacroFactor's export).
    let unitless = match options.units {
        Some(sparky_core::UnitsSystem::Imperial) => WeightUnit::Lb,
        _ => WeightUnit::Kg,
    };
    let weight_unit = match &c.weight {
        Some((_, Some(u))) => mass_unit(u),
        _ => Some(unitless),
    };
    let name = &sheet.name;
    let mut rows = Vec::new();
    for row in &sheet.rows[at + 1..] {
        let line = row.number;
        let skip = |out: &mut Parsed, why: String| {
            out.skip(Some(Area::Workouts), line, format!("{name}: {why}"))
        };
        let Some(date) = c.date.and_then(|i| reader.date(row.get(i))) else {
            skip(out, "no readable date".into());
            continue;
        };
        let Some(exercise) = c.exercise.and_then(|i| row.get(i).text()) else {
            skip(out, "the exercise has no name".into());
            continue;
        };
        let time = c.time.and_then(|i| reader.time(row.get(i)));
        let numbers = (|| -> Result<_, String> {
            let num = |i: Option<usize>, what: &str| match i {
                None => Ok(None),
                Some(i) => reader
                    .number(row.get(i))
                    .map_err(|e| format!("{what}: {e}")),
            };
            let mut km = None;
            for (i, unit) in &c.distances {
                if let Some(d) = positive(num(Some(*i), "distance")?) {
                    let unit = unit.as_deref().unwrap_or("km");
                    let d = km_of(d, unit)
                        .ok_or_else(|| format!("unknown distance unit \"{unit}\""))?;
                    km = Some(km.unwrap_or(Decimal::ZERO) + d);
                }
            }
            Ok((
                num(c.weight.as_ref().map(|w| w.0), "weight")?,
                num(c.reps, "reps")?,
                duration(reader, row, c.duration.as_ref(), Unit::Seconds)?,
                duration(reader, row, c.workout_duration.as_ref(), Unit::Minutes)?
                    .map(|s| s / Decimal::from(60)),
                km,
            ))
        })();
        let (weight, reps, seconds, session_minutes, km) = match numbers {
            Ok(n) => n,
            Err(why) => {
                skip(out, format!("{exercise}: {why}"));
                continue;
            }
        };
        if let Some(why) = crate::strength::negative_set(reps, weight) {
            skip(out, format!("{exercise}: {why}"));
            continue;
        }
        let started =
            date.and_time(time.unwrap_or(NaiveTime::from_hms_opt(12, 0, 0).expect("noon")));
        rows.push(SetRow {
            line,
            started,
            workout: c
                .workout
                .and_then(|i| row.get(i).text())
                .unwrap_or_default()
                .to_string(),
            session_minutes: positive(session_minutes),
            exercise: exercise.to_string(),
            set: set_of(reps, weight, weight_unit),
            seconds: positive(seconds),
            km,
            unitless_distance: None,
            clock: time.is_some(),
            note: None,
            exercise_note: None,
        });
    }
    out.extend(gather(rows, Parsed::default()));
    true
}

/// What a duration column holds when its header names no unit.
#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Minutes,
}

/// A duration in seconds: `1:02:33` or `2:30` (text or a time cell), or a number in the
/// header's unit (`(s)`, `(min)`), else in `unitless`.
fn duration(
    reader: &CellReader,
    row: &Row,
    column: Option<&(usize, Option<String>)>,
    unitless: Unit,
) -> Result<Option<Decimal>, String> {
    let Some((i, unit)) = column else {
        return Ok(None);
    };
    let cell = row.get(*i);
    if let Cell::DateTime(at) = cell {
        let t = at.time();
        return Ok(Some(Decimal::from(
            chrono::Timelike::num_seconds_from_midnight(&t),
        )));
    }
    if let Some(text) = cell.text().filter(|t| t.contains(':')) {
        let not_a_duration = || format!("not a duration: \"{text}\"");
        let mut seconds = Decimal::ZERO;
        for p in text.split(':') {
            let n = reader
                .number(&Cell::Text(p.trim().to_string()))
                .ok()
                .flatten()
                .ok_or_else(not_a_duration)?;
            seconds = seconds
                .checked_mul(Decimal::from(60))
                .and_then(|s| s.checked_add(n))
                .filter(|s| s.abs() <= crate::locale::max_number())
                .ok_or_else(not_a_duration)?;
        }
        // `2:30` is minutes and seconds, `1:02:33` hours, minutes and seconds.
        return Ok(Some(seconds));
    }
    let Some(n) = reader.number(cell)? else {
        return Ok(None);
    };
    let unit = match unit.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("s" | "sec" | "secs" | "seconds") => Unit::Seconds,
        Some("min" | "mins" | "minutes" | "m") => Unit::Minutes,
        // `n` is at most 10^15 (`CellReader::number`), so these cannot overflow.
        Some("h" | "hr" | "hours") => return Ok(Some(n * Decimal::from(3600))),
        Some(other) => return Err(format!("unknown duration unit \"{other}\"")),
        None => unitless,
    };
    Ok(Some(match unit {
        Unit::Seconds => n,
        Unit::Minutes => n * Decimal::from(60),
    }))
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::locale::{DateOrder, DecimalSeparator};

    #[test]
    fn durations_in_every_form() {
        let reader = CellReader {
            dates: DateOrder::Mdy,
            decimal: DecimalSeparator::Point,
        };
        let row = |cell: Cell| Row {
            number: 2,
            cells: vec![cell],
        };
        let secs = |cell: Cell, unit: Option<&str>, unitless: Unit| {
            duration(
                &reader,
                &row(cell),
                Some(&(0, unit.map(str::to_string))),
                unitless,
            )
        };
        let text = |s: &str| Cell::Text(s.into());
        assert_eq!(secs(text("2:30"), None, Unit::Minutes), Ok(Some(dec!(150))));
        assert_eq!(
            secs(text("1:02:33"), None, Unit::Seconds),
            Ok(Some(dec!(3753)))
        );
        assert_eq!(
            secs(Cell::Number(45.0), None, Unit::Seconds),
            Ok(Some(dec!(45)))
        );
        assert_eq!(
            secs(Cell::Number(45.0), None, Unit::Minutes),
            Ok(Some(dec!(2700)))
        );
        assert_eq!(
            secs(Cell::Number(2.0), Some("min"), Unit::Seconds),
            Ok(Some(dec!(120)))
        );
        assert_eq!(secs(Cell::Empty, Some("s"), Unit::Seconds), Ok(None));
        assert_eq!(
            secs(Cell::Number(1.0), Some("fortnights"), Unit::Seconds),
            Err("unknown duration unit \"fortnights\"".into())
        );
        assert_eq!(
            secs(text("1:xx"), None, Unit::Seconds),
            Err("not a duration: \"1:xx\"".into())
        );
        // Huge values are refused, never an overflow.
        let huge = "9999999999999999999999999999:59:59";
        assert_eq!(
            secs(text(huge), None, Unit::Seconds),
            Err(format!("not a duration: \"{huge}\""))
        );
        assert_eq!(
            secs(Cell::Number(1e27), Some("h"), Unit::Seconds),
            Err("1000000000000000000000000000 is out of range".into())
        );
    }
}
