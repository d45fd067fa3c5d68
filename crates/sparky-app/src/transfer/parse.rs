//! Parsing an archive's CSV files: values checked by kind, references resolved, new ids.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use spec::{FileSpec, Kind};

use super::*;

/// One file's rows, checked and with references resolved: column-major text, ready to be
/// sent as `text[]` parameters.
pub(super) struct Parsed {
    /// New ids, ascending in file order.
    pub(super) ids: Vec<Option<String>>,
    /// The line each row starts on.
    pub(super) lines: Vec<u64>,
    /// Per CSV column of the spec (without `ref`), its values.
    pub(super) columns: Vec<Vec<Option<String>>>,
}

pub(super) fn at(
    file: &str,
    line: u64,
    column: usize,
    name: &str,
    problem: impl std::fmt::Display,
) -> AppError {
    bad(format!(
        "{file} line {line} column {column} ({name}): {problem}"
    ))
}

pub(super) fn is_number(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks one value against its kind; `Ok(Some(problem))` describes what is wrong.
pub(super) fn check_value(kind: Kind, v: &str) -> Option<String> {
    let problem = |p: &str| Some(p.to_string());
    match kind {
        Kind::Text => v.contains('\0').then(|| "contains a NUL character".into()),
        Kind::Num => (!is_number(v)).then(|| "not a number".into()),
        Kind::Int => v.parse::<i32>().err().map(|_| "not a whole number".into()),
        Kind::Bool => (v != "true" && v != "false").then(|| "must be true or false".into()),
        // The range the API accepts: a weight dated 9999 would be "the latest weight" for ever.
        Kind::Date => match sparky_core::Date::parse(v) {
            Ok(_) => None,
            Err(sparky_core::values::DateError::OutOfRange) => {
                problem("must be between 1900-01-01 and 2199-12-31")
            }
            Err(_) => problem("not a date (YYYY-MM-DD)"),
        },
        // A day wider than the API's own timestamps: an entry the API dated 1900-01-01 was
        // given noon of that day in the user's time zone, which can be 1899-12-31 in UTC.
        Kind::Ts => match DateTime::parse_from_rfc3339(v) {
            Err(_) => problem("not a timestamp (RFC 3339, e.g. 2026-01-31T08:00:00Z)"),
            Ok(t) => {
                let day = t.with_timezone(&Utc).date_naive();
                let first = chrono::NaiveDate::from_ymd_opt(1899, 12, 31);
                let last = chrono::NaiveDate::from_ymd_opt(2200, 1, 1);
                (Some(day) < first || Some(day) > last)
                    .then(|| "must be dated between 1899-12-31 and 2200-01-01 (UTC)".into())
            }
        },
        Kind::Json => serde_json::from_str::<serde_json::Value>(v)
            .err()
            .map(|e| format!("not JSON: {e}")),
        Kind::TextList => serde_json::from_str::<Vec<String>>(v)
            .err()
            .map(|_| "not a JSON array of strings".into()),
        Kind::NumList => serde_json::from_str::<Vec<Option<serde_json::Number>>>(v)
            .err()
            .map(|_| "not a JSON array of numbers and nulls".into()),
        Kind::Ref(_) => None,
    }
}

/// New ids for `n` rows, ascending, so that ordering by id keeps the file's order.
pub(super) fn new_ids(n: usize) -> Vec<String> {
    let mut ids: Vec<Uuid> = (0..n).map(|_| Uuid::new_v4()).collect();
    ids.sort();
    ids.into_iter().map(|u| u.to_string()).collect()
}

pub(super) fn parse_file(
    spec: &FileSpec,
    bytes: &[u8],
    refs: &HashMap<&'static str, HashMap<u64, String>>,
    escaped: bool,
) -> AppResult<(Parsed, Option<HashMap<u64, String>>)> {
    let file = spec.file;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let header = spec.header();
    let offset = usize::from(spec.has_ref);
    // Columns added to the format later may be missing at the end (an older archive).
    let mut present = header.len();
    let mut records = Vec::new();
    let mut seen_header = false;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            match e.kind() {
                csv::ErrorKind::Utf8 { .. } => bad(format!("{file} line {line}: not UTF-8 text")),
                _ => bad(format!("{file} line {line}: {e}")),
            }
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if !seen_header {
            seen_header = true;
            // An older archive may lack the columns added to the format later (at the end).
            let may_lack = |n: usize| {
                n >= offset
                    && n < header.len()
                    && spec.cols[n - offset..].iter().all(|c| c.absent.is_some())
            };
            if may_lack(record.len()) {
                present = record.len();
            }
            for (i, expected) in header.iter().enumerate().take(present) {
                let found = record.get(i);
                if found != Some(*expected) {
                    return Err(bad(format!(
                        "{file} line {line} column {}: expected the column `{expected}`, found {}; the header is {}",
                        i + 1,
                        found.map(|f| format!("`{f}`")).unwrap_or("nothing".into()),
                        header.join(",")
                    )));
                }
            }
            if record.len() > header.len() {
                return Err(bad(format!(
                    "{file} line {line} column {}: unexpected column `{}`; the header is {}",
                    header.len() + 1,
                    &record[header.len()],
                    header.join(",")
                )));
            }
            continue;
        }
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != present {
            return Err(bad(format!(
                "{file} line {line}: {} fields, expected {present}",
                record.len(),
            )));
        }
        records.push((line, record));
    }
    if !seen_header {
        return Err(bad(format!("{file} line 1: the header is missing")));
    }
    let n = records.len();
    let ids = new_ids(n);
    let mut mine = spec.has_ref.then(HashMap::new);
    let mut columns: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(n); spec.cols.len()];
    let mut lines = Vec::with_capacity(n);
    for (row, (line, record)) in records.iter().enumerate() {
        lines.push(*line);
        if let Some(mine) = mine.as_mut() {
            let r = &record[0];
            let number = r
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| at(file, *line, 1, "ref", "not a positive whole number"))?;
            if mine.insert(number, ids[row].clone()).is_some() {
                return Err(at(
                    file,
                    *line,
                    1,
                    "ref",
                    format!("ref {number} appears twice"),
                ));
            }
        }
        for (j, col) in spec.cols.iter().enumerate() {
            let v = match record.get(j + offset).filter(|_| j + offset < present) {
                Some(v) => v,
                None => col.absent.unwrap_or_default(),
            };
            // Text written with its formula escape (see export): one leading `'` goes.
            let v = match col.kind {
                Kind::Text if escaped => v.strip_prefix('\'').unwrap_or(v),
                _ => v,
            };
            let column = j + offset + 1;
            let value = if v.is_empty() {
                if col.required && col.kind != Kind::Text {
                    return Err(at(file, *line, column, col.name, "must not be empty"));
                }
                (col.required && col.kind == Kind::Text).then(String::new)
            } else if let Kind::Ref(target) = col.kind {
                let number = v
                    .parse::<u64>()
                    .map_err(|_| at(file, *line, column, col.name, "not a ref number"))?;
                let id = refs
                    .get(target)
                    .and_then(|m| m.get(&number))
                    .ok_or_else(|| {
                        at(
                            file,
                            *line,
                            column,
                            col.name,
                            format!("{target} has no row with ref {number}"),
                        )
                    })?;
                Some(id.clone())
            } else {
                if let Some(problem) = check_value(col.kind, v).or_else(|| col.limit.problem(v)) {
                    return Err(at(file, *line, column, col.name, problem));
                }
                Some(v.to_string())
            };
            columns[j].push(value);
        }
    }
    Ok((
        Parsed {
            ids: ids.into_iter().map(Some).collect(),
            lines,
            columns,
        },
        mine,
    ))
}
