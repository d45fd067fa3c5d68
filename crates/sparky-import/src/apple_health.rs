//! Apple Health's `export.xml` (Health → profile → Export All Health Data), read as a stream:
//! one XML event at a time from any [`BufRead`], so memory stays bounded by the number of
//! days, not the size of the file (exports of several GB are common).
//!
//! | element | becomes |
//! |---|---|
//! | `Record type="HKQuantityTypeIdentifierBodyMass"` | a weight measurement at its time (`unit` kg, lb or g) |
//! | `…BodyFatPercentage` | body fat (Apple stores a fraction: 0.22 → 22 %) |
//! | `…Height` | height (cm, m, in or ft) |
//! | `…StepCount` | one steps measurement per day: the day's sum for the source that counted the most (an iPhone and a Watch count the same steps) |
//! | `…DietaryWater` | one water measurement per day: the day's sum, in ml |
//! | `Workout` | a workout: its activity (`HKWorkoutActivityTypeRunning` → Running), duration, distance and energy, from its attributes or its `WorkoutStatistics` |
//!
//! Days are the local dates the records were made on (the offset in each date).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use rust_decimal::Decimal;
use std::str::FromStr;

use crate::{ImportError, ImportResult, MeasurementRecord, Parsed, Record, WorkoutRecord};

/// How often (in XML events) the progress callback hears the byte position.
const PROGRESS_EVERY: u64 = 4096;

fn attrs(e: &BytesStart) -> ImportResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for a in e.attributes() {
        let a = a.map_err(|err| ImportError::new(format!("malformed XML attribute: {err}")))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|err| ImportError::new(format!("malformed XML attribute value: {err}")))?
            .into_owned();
        out.insert(key, value);
    }
    Ok(out)
}

fn time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S %z").ok()
}

fn number(s: Option<&String>) -> Option<Decimal> {
    let s = s?.trim();
    Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
        .and_then(crate::locale::bounded)
}

/// `HKWorkoutActivityTypeTraditionalStrengthTraining` → `Traditional Strength Training`.
pub fn activity_name(raw: &str) -> String {
    let base = raw.trim_start_matches("HKWorkoutActivityType");
    let mut out = String::new();
    for (i, c) in base.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.push(c);
    }
    if out.is_empty() {
        "Workout".into()
    } else {
        out
    }
}

fn km_of(value: Decimal, unit: &str) -> Option<Decimal> {
    Some(match unit {
        "km" => value,
        "m" => value / Decimal::ONE_THOUSAND,
        "mi" => sparky_core::units::mi_to_km(value),
        "yd" => value * Decimal::new(9144, 7),
        "ft" => value * Decimal::new(3048, 7),
        _ => return None,
    })
}

fn kcal_of(value: Decimal, unit: &str) -> Option<Decimal> {
    match unit {
        "kcal" | "Cal" | "cal" => Some(value),
        "kJ" => Some(value / Decimal::new(4184, 3)),
        _ => None,
    }
}

fn ml_of(value: Decimal, unit: &str) -> Option<Decimal> {
    Some(match unit {
        "mL" | "ml" => value,
        "L" | "l" => value * Decimal::ONE_THOUSAND,
        "fl_oz_us" => value * Decimal::new(295735, 4),
        "fl_oz_imp" => value * Decimal::new(284131, 4),
        "cup_us" => value * Decimal::new(236588, 3),
        _ => return None,
    })
}

/// A workout being read (its statistics may follow as child elements).
struct OpenWorkout {
    line: u64,
    start: DateTime<FixedOffset>,
    name: String,
    minutes: Option<Decimal>,
    kcal: Option<Decimal>,
    km: Option<Decimal>,
}

/// Reads `export.xml` from `input`; `progress` hears how many bytes have been read now and
/// then. A file that is not well-formed XML, or not an Apple Health export, is an error.
fn too_many(max_readings: usize) -> ImportError {
    ImportError::new(format!(
        "the file holds more than {max_readings} readings and workouts Sparky imports; an \
         import reads at most that many at once"
    ))
}

/// Weight, body fat and height readings, workouts and skipped elements one file may give
/// (a scale weighing five values a day for ten years is under 20,000).
pub const MAX_READINGS: usize = 500_000;

pub fn parse<R: BufRead>(input: R, progress: impl FnMut(u64)) -> ImportResult<Parsed> {
    parse_at_most(input, progress, MAX_READINGS)
}

fn parse_at_most<R: BufRead>(
    input: R,
    mut progress: impl FnMut(u64),
    max_readings: usize,
) -> ImportResult<Parsed> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::with_capacity(4096);
    let mut out = Parsed::default();
    let mut seen_root = false;
    let mut events: u64 = 0;
    // day → source → steps; day → ml.
    let mut steps: BTreeMap<NaiveDate, HashMap<String, Decimal>> = BTreeMap::new();
    let mut water: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    let mut open: Option<OpenWorkout> = None;
    // Record types Sparky does not import: counted, not listed (there may be millions).
    let mut ignored: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            ImportError::new(format!(
                "not well-formed XML at byte {}: {e}",
                reader.error_position()
            ))
        })?;
        events += 1;
        if events.is_multiple_of(PROGRESS_EVERY) {
            progress(reader.buffer_position());
            // What is kept is held until the import is written: bounded like a CSV's rows
            // (steps and water are added up per day as they come, so only readings count).
            if out.records.len() + out.skipped.len() > max_readings {
                return Err(too_many(max_readings));
            }
        }
        // The element's number in the file stands in for a line: XML has no rows.
        let line = events;
        match event {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                match e.name().as_ref() {
                    b"HealthData" => seen_root = true,
                    b"Record" => {
                        let a = attrs(e)?;
                        if !record(&a, line, &mut out, &mut steps, &mut water) {
                            let kind = a.get("type").map(String::as_str).unwrap_or("Record");
                            let e = ignored
                                .entry(short_type(kind).to_string())
                                .or_insert((0, line));
                            e.0 += 1;
                        }
                    }
                    b"Workout" => {
                        let a = attrs(e)?;
                        let w = workout_start(&a, line);
                        match w {
                            Ok(w) if is_empty => finish_workout(w, &mut out),
                            Ok(w) => open = Some(w),
                            Err(reason) => out.skip(Some(crate::Area::Workouts), line, reason),
                        }
                    }
                    b"WorkoutStatistics" => {
                        if let Some(w) = open.as_mut() {
                            let a = attrs(e)?;
                            statistics(&a, w);
                        }
                    }
                    _ => {}
                }
            }
            Event::End(ref e) if e.name().as_ref() == b"Workout" => {
                if let Some(w) = open.take() {
                    finish_workout(w, &mut out);
                }
            }
            _ => {}
        }
        buf.clear();
    }
    progress(reader.buffer_position());
    if out.records.len() + out.skipped.len() > max_readings {
        return Err(too_many(max_readings));
    }
    if !seen_root {
        return Err(ImportError::new(
            "not an Apple Health export: export.xml has a <HealthData> root element",
        ));
    }
    for (kind, (count, line)) in ignored {
        out.skipped.push(crate::Skip {
            area: None,
            line,
            reason: format!("{kind}: not imported (Sparky takes weight, body fat, height, steps, water and workouts)"),
            count,
        });
    }
    for (day, per_source) in steps {
        if let Some((source, total)) = per_source
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        {
            let _ = source;
            out.records.push(Record::Measurement(MeasurementRecord {
                key: format!("measurements:steps|{day}"),
                line: 0,
                date: day,
                at: None,
                kind: "steps".into(),
                value: total.round(),
                unit: Some("count".into()),
            }));
        }
    }
    for (day, ml) in water {
        out.records.push(Record::Measurement(MeasurementRecord {
            key: format!("measurements:water|{day}"),
            line: 0,
            date: day,
            at: None,
            kind: "water".into(),
            value: ml.round_dp(1),
            unit: Some("ml".into()),
        }));
    }
    Ok(out)
}

/// `HKQuantityTypeIdentifierHeartRate` → `HeartRate`.
fn short_type(kind: &str) -> &str {
    kind.trim_start_matches("HKQuantityTypeIdentifier")
        .trim_start_matches("HKCategoryTypeIdentifier")
        .trim_start_matches("HKDataType")
}

/// Reads one `Record`; false when its type is not one Sparky imports.
fn record(
    a: &HashMap<String, String>,
    line: u64,
    out: &mut Parsed,
    steps: &mut BTreeMap<NaiveDate, HashMap<String, Decimal>>,
    water: &mut BTreeMap<NaiveDate, Decimal>,
) -> bool {
    let Some(kind) = a.get("type") else {
        return false;
    };
    let kind = short_type(kind);
    let wanted = matches!(
        kind,
        "BodyMass" | "BodyFatPercentage" | "Height" | "StepCount" | "DietaryWater"
    );
    if !wanted {
        return false;
    }
    let area = Some(crate::Area::Measurements);
    let Some(start) = a.get("startDate").and_then(|s| time(s)) else {
        out.skip(area, line, format!("{kind}: no readable startDate"));
        return true;
    };
    let Some(value) = number(a.get("value")) else {
        out.skip(area, line, format!("{kind}: no readable value"));
        return true;
    };
    let unit = a.get("unit").map(String::as_str).unwrap_or_default();
    let day = start.date_naive();
    let at = start.with_timezone(&Utc);
    let mut push = |kind: &str, value: Decimal, unit: &str| {
        out.records.push(Record::Measurement(MeasurementRecord {
            key: format!("measurements:{kind}|{}", at.to_rfc3339()),
            line,
            date: day,
            at: Some(at),
            kind: kind.into(),
            value,
            unit: Some(unit.into()),
        }));
    };
    match kind {
        "BodyMass" => push("weight", value, unit),
        "BodyFatPercentage" => {
            // Apple keeps a fraction under the unit "%".
            let pct = if value <= Decimal::ONE {
                value * Decimal::ONE_HUNDRED
            } else {
                value
            };
            push("body_fat", pct, "%")
        }
        "Height" => push("height", value, unit),
        "StepCount" => {
            let source = a.get("sourceName").cloned().unwrap_or_default();
            *steps.entry(day).or_default().entry(source).or_default() += value;
        }
        "DietaryWater" => match ml_of(value, unit) {
            Some(ml) => *water.entry(day).or_default() += ml,
            None => out.skip(area, line, format!("water: unknown unit \"{unit}\"")),
        },
        _ => {}
    }
    true
}

fn workout_start(a: &HashMap<String, String>, line: u64) -> Result<OpenWorkout, String> {
    let start = a
        .get("startDate")
        .and_then(|s| time(s))
        .ok_or("workout: no readable startDate")?;
    let name = activity_name(
        a.get("workoutActivityType")
            .map(String::as_str)
            .unwrap_or(""),
    );
    let minutes = number(a.get("duration")).and_then(|d| {
        match a.get("durationUnit").map(String::as_str).unwrap_or("min") {
            "min" => Some(d),
            "s" => Some(d / Decimal::from(60)),
            "hr" | "h" => Some(d * Decimal::from(60)),
            _ => None,
        }
    });
    let km = number(a.get("totalDistance")).and_then(|d| {
        km_of(
            d,
            a.get("totalDistanceUnit")
                .map(String::as_str)
                .unwrap_or("km"),
        )
    });
    let kcal = number(a.get("totalEnergyBurned")).and_then(|e| {
        kcal_of(
            e,
            a.get("totalEnergyBurnedUnit")
                .map(String::as_str)
                .unwrap_or("kcal"),
        )
    });
    Ok(OpenWorkout {
        line,
        start,
        name,
        minutes,
        kcal,
        km,
    })
}

fn statistics(a: &HashMap<String, String>, w: &mut OpenWorkout) {
    let Some(kind) = a.get("type") else { return };
    let Some(sum) = number(a.get("sum")) else {
        return;
    };
    let unit = a.get("unit").map(String::as_str).unwrap_or_default();
    let kind = kind.trim_start_matches("HKQuantityTypeIdentifier");
    if kind == "ActiveEnergyBurned" && w.kcal.is_none() {
        w.kcal = kcal_of(sum, unit);
    } else if kind.starts_with("Distance") && w.km.is_none() {
        w.km = km_of(sum, unit);
    }
}

fn finish_workout(w: OpenWorkout, out: &mut Parsed) {
    let at = w.start.with_timezone(&Utc);
    out.records.push(Record::Workout(WorkoutRecord {
        key: format!("workouts:{}", at.to_rfc3339()),
        line: w.line,
        date: w.start.date_naive(),
        at: Some(at),
        name: w.name,
        minutes: w.minutes.map(|m| m.round_dp(2)),
        kcal: w.kcal.map(|k| k.round_dp(2)),
        km: w.km.map(|k| k.round_dp(3)),
        unitless_distance: None,
        sets: Vec::new(),
        notes: Vec::new(),
        version: None,
        earlier: None,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use std::io::{BufReader, Read};

    /// Past the bound of readings kept, the file is refused rather than held in memory.
    #[test]
    fn readings_are_bounded() {
        let file = |n: usize| {
            let mut x = String::from("<HealthData>");
            for i in 0..n {
                x.push_str(&format!(
                    "<Record type=\"HKQuantityTypeIdentifierBodyMass\" unit=\"kg\" value=\"80\" \
                     startDate=\"2025-01-01 07:{:02}:{:02} +0000\"/>",
                    (i / 60) % 60,
                    i % 60
                ));
            }
            x.push_str("</HealthData>");
            x.into_bytes()
        };
        match parse_at_most(&file(20_000)[..], |_| {}, 10_000) {
            Err(err) => assert!(err.to_string().contains("more than 10000"), "{err}"),
            Ok(p) => panic!("read {} records", p.records.len()),
        }
        match parse_at_most(&file(10_500)[..], |_| {}, 10_000) {
            Err(err) => assert!(err.to_string().contains("more than 10000"), "{err}"),
            Ok(p) => panic!("read {} records", p.records.len()),
        }
        let fine = parse_at_most(&file(9_000)[..], |_| {}, 10_000).unwrap();
        assert_eq!(fine.records.len(), 9_000);
    }

    #[test]
    fn fixture() {
        let data = include_bytes!("../fixtures/apple-health/export.xml");
        let mut last = 0;
        let p = parse(&data[..], |n| last = n).unwrap();
        assert_eq!(last, data.len() as u64);
        let m: Vec<&MeasurementRecord> = p
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Measurement(m) => Some(m),
                _ => None,
            })
            .collect();
        let find = |k: &str| m.iter().filter(|m| m.kind == k).collect::<Vec<_>>();
        assert_eq!(find("weight")[0].value, dec!(180.4));
        assert_eq!(find("weight")[0].unit.as_deref(), Some("lb"));
        assert_eq!(find("body_fat")[0].value, dec!(22.0));
        // Steps: the Watch's 8,000 and the iPhone's 7,500 are the same walk: the larger wins.
        assert_eq!(find("steps")[0].value, dec!(8000));
        assert_eq!(find("water")[0].value, dec!(750.0));
        let w: Vec<&WorkoutRecord> = p
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Workout(w) => Some(w),
                _ => None,
            })
            .collect();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].name, "Running");
        assert_eq!(w[0].km, Some(dec!(5.2)));
        assert_eq!(w[1].name, "Traditional Strength Training");
        assert_eq!(w[1].kcal, Some(dec!(210)));
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].count, 1);
        assert!(
            p.skipped[0].reason.starts_with("HeartRate: not imported"),
            "{:?}",
            p.skipped
        );
    }

    #[test]
    fn not_xml_or_not_health() {
        assert!(parse(&b"<HealthData><Record"[..], |_| {}).is_err());
        assert!(parse(&b"<html></html>"[..], |_| {}).is_err());
    }

    /// A generated export, produced on the fly by a reader that never holds the whole
    /// document: the parser takes any `BufRead` and reads it record by record.
    struct Generated {
        n: usize,
        i: usize,
        pending: Vec<u8>,
        done: bool,
    }

    impl Read for Generated {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.pending.is_empty() {
                if self.done {
                    return Ok(0);
                }
                self.pending = if self.i == 0 {
                    b"<?xml version=\"1.0\"?>\n<HealthData locale=\"en_US\">\n".to_vec()
                } else if self.i > self.n {
                    self.done = true;
                    b"</HealthData>\n".to_vec()
                } else {
                    let day = 1 + (self.i - 1) % 28;
                    format!(
                        " <Record type=\"HKQuantityTypeIdentifierStepCount\" sourceName=\"Phone\" unit=\"count\" startDate=\"2025-02-{day:02} 10:{:02}:00 +0000\" endDate=\"2025-02-{day:02} 10:59:00 +0000\" value=\"10\"/>\n",
                        self.i % 60
                    )
                    .into_bytes()
                };
                self.i += 1;
            }
            let n = out.len().min(self.pending.len());
            out[..n].copy_from_slice(&self.pending[..n]);
            self.pending.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn streams_a_large_generated_file() {
        let n = 200_000;
        let input = BufReader::with_capacity(
            8192,
            Generated {
                n,
                i: 0,
                pending: Vec::new(),
                done: false,
            },
        );
        let mut calls = 0;
        let p = parse(input, |_| calls += 1).unwrap();
        // 28 days of steps, 10 a record.
        assert_eq!(p.records.len(), 28);
        let total: Decimal = p
            .records
            .iter()
            .map(|r| match r {
                Record::Measurement(m) => m.value,
                _ => Decimal::ZERO,
            })
            .sum();
        assert_eq!(total, Decimal::from(n * 10));
        assert!(calls > 10, "progress was reported {calls} times");
    }
}
