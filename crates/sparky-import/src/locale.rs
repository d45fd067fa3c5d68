//! Numbers and dates as spreadsheets write them in different locales: `1,234.5` and
//! `1.234,5`, `12/31/2025`, `31/12/2025`, `31.12.2025` and `2025-12-31`. A file uses one
//! convention throughout; [`detect`] finds it from the file's own values when it is not given.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Which character separates the fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalSeparator {
    /// `1,234.5`
    Point,
    /// `1.234,5`
    Comma,
}

impl DecimalSeparator {
    pub fn parse(s: &str) -> Option<DecimalSeparator> {
        match s.trim().to_ascii_lowercase().as_str() {
            "point" | "." | "dot" => Some(DecimalSeparator::Point),
            "comma" | "," => Some(DecimalSeparator::Comma),
            _ => None,
        }
    }
}

/// The order of day, month and year in dates written with `/`, `.` or `-` and a 4-digit year
/// last (ISO `2025-12-31` is always read as such).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// 31/12/2025
    Dmy,
    /// 12/31/2025
    Mdy,
}

impl DateOrder {
    pub fn parse(s: &str) -> Option<DateOrder> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dmy" => Some(DateOrder::Dmy),
            "mdy" => Some(DateOrder::Mdy),
            _ => None,
        }
    }
}

/// How to read one file's numbers and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    pub decimal: DecimalSeparator,
    pub dates: DateOrder,
}

impl Default for Locale {
    fn default() -> Locale {
        Locale {
            decimal: DecimalSeparator::Point,
            dates: DateOrder::Mdy,
        }
    }
}

/// The convention of a file from samples of its number and date cells; `given` parts win.
pub fn detect<'a>(
    numbers: impl Iterator<Item = &'a str>,
    dates: impl Iterator<Item = &'a str>,
    decimal: Option<DecimalSeparator>,
    order: Option<DateOrder>,
    delimiter: u8,
) -> Locale {
    let decimal = decimal.unwrap_or_else(|| {
        let (mut comma, mut point) = (0, 0);
        for n in numbers {
            match number_hint(n) {
                Some(DecimalSeparator::Comma) => comma += 1,
                Some(DecimalSeparator::Point) => point += 1,
                None => {}
            }
        }
        if comma > point || (comma == point && delimiter == b';') {
            DecimalSeparator::Comma
        } else {
            DecimalSeparator::Point
        }
    });
    let order = order.unwrap_or_else(|| {
        let mut dmy = false;
        let mut mdy = false;
        for d in dates {
            if let Some((a, b)) = day_month_parts(d) {
                if a > 12 {
                    dmy = true;
                }
                if b > 12 {
                    mdy = true;
                }
                if d.contains('.') {
                    dmy = true;
                }
            }
        }
        match (dmy, mdy) {
            (true, false) => DateOrder::Dmy,
            (false, true) => DateOrder::Mdy,
            // No evidence: follow the numbers (comma decimals go with day-first dates).
            _ if decimal == DecimalSeparator::Comma => DateOrder::Dmy,
            _ => DateOrder::Mdy,
        }
    });
    Locale {
        decimal,
        dates: order,
    }
}

/// What one number cell says about its separator, when it says anything.
fn number_hint(s: &str) -> Option<DecimalSeparator> {
    let s = s.trim();
    let last_comma = s.rfind(',');
    let last_point = s.rfind('.');
    match (last_comma, last_point) {
        (Some(c), Some(p)) => Some(if c > p {
            DecimalSeparator::Comma
        } else {
            DecimalSeparator::Point
        }),
        (Some(c), None) => {
            let digits_after = s.len() - c - 1;
            // "1,234" could be either; "12,5" and "1,25" only a decimal comma.
            (digits_after != 3 && s.matches(',').count() == 1).then_some(DecimalSeparator::Comma)
        }
        (None, Some(p)) => {
            let digits_after = s.len() - p - 1;
            (digits_after != 3 && s.matches('.').count() == 1).then_some(DecimalSeparator::Point)
        }
        (None, None) => None,
    }
}

/// Parses a number in the given convention: thousands separators (`,`/`.`, spaces, `'`)
/// dropped, a leading `+` or `-` allowed. None for anything else, and for a thousands
/// separator that does not separate groups of three digits: `500,5` read with a decimal point
/// is not five thousand and five but a number written the other way, so it is refused rather
/// than taken ten times too large.
pub fn parse_number(s: &str, decimal: DecimalSeparator) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (thousands, point) = match decimal {
        DecimalSeparator::Point => (',', '.'),
        DecimalSeparator::Comma => ('.', ','),
    };
    let chars: Vec<char> = s.chars().collect();
    let mut clean = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            c if c == thousands => {
                let group = chars[i + 1..]
                    .iter()
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                let after = chars.get(i + 1 + group);
                let separates = clean.ends_with(|d: char| d.is_ascii_digit())
                    && !clean.contains('.')
                    && group == 3
                    && after.is_none_or(|&n| n == thousands || n == point);
                if !separates {
                    return None;
                }
            }
            ' ' | '\u{a0}' | '\u{202f}' | '\'' => {}
            c if c == point => clean.push('.'),
            c if c.is_ascii_digit() || c == '-' || c == '+' => clean.push(c),
            _ => return None,
        }
    }
    let clean = clean.strip_prefix('+').unwrap_or(&clean);
    if clean.is_empty() || clean == "-" {
        return None;
    }
    Decimal::from_str(clean).ok().and_then(bounded)
}

/// `v` when its magnitude is at most [`max_number`].
pub fn bounded(v: Decimal) -> Option<Decimal> {
    (v.abs() <= max_number()).then_some(v)
}

/// The largest magnitude a number in an imported file may have (10^15): far beyond any real
/// value, and small enough that sums over millions of rows and unit conversions cannot
/// overflow a `Decimal` (whose arithmetic would panic).
pub fn max_number() -> Decimal {
    Decimal::from(1_000_000_000_000_000_i64)
}

fn day_month_parts(s: &str) -> Option<(u32, u32)> {
    let date = s.split_whitespace().next()?;
    let parts: Vec<&str> = date.split(['/', '.', '-']).collect();
    if parts.len() != 3 || parts[0].len() > 2 || parts[2].len() != 4 {
        return None;
    }
    Some((parts[0].parse().ok()?, parts[1].parse().ok()?))
}

/// Parses a date (optionally followed by a time): ISO `2025-12-31`, `2025/12/31`, or day,
/// month and 4-digit year in `order` separated by `/`, `.` or `-`.
pub fn parse_date(s: &str, order: DateOrder) -> Option<NaiveDate> {
    let s = s.trim();
    let date = s.split(['T', ' ']).next()?;
    let parts: Vec<&str> = date.split(['/', '.', '-']).collect();
    if parts.len() != 3 {
        return None;
    }
    let n: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if parts[0].len() == 4 {
        return NaiveDate::from_ymd_opt(n[0] as i32, n[1], n[2]);
    }
    if parts[2].len() != 4 {
        return None;
    }
    match order {
        DateOrder::Dmy => NaiveDate::from_ymd_opt(n[2] as i32, n[1], n[0]),
        DateOrder::Mdy => NaiveDate::from_ymd_opt(n[2] as i32, n[0], n[1]),
    }
}

/// Parses a time of day: `08:30`, `8:30:15`, `8:30 AM`, `20:15`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    for f in ["%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p"] {
        if let Ok(t) = NaiveTime::parse_from_str(s, f) {
            return Some(t);
        }
    }
    None
}

/// A date and time given as local wall-clock time without an offset, carried as if it were
/// UTC: the import places it in the owner's timezone ([`crate::Source::times_are_wall_clock`]).
pub fn local_instant(date: NaiveDate, time: Option<NaiveTime>) -> Option<DateTime<Utc>> {
    time.map(|t| Utc.from_utc_datetime(&NaiveDateTime::new(date, t)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn numbers_in_both_conventions() {
        use DecimalSeparator::*;
        assert_eq!(parse_number("1.234,5", Comma), Some(dec!(1234.5)));
        assert_eq!(parse_number("1,234.5", Point), Some(dec!(1234.5)));
        assert_eq!(parse_number("12,5", Comma), Some(dec!(12.5)));
        assert_eq!(parse_number("-3", Point), Some(dec!(-3)));
        assert_eq!(parse_number("1 234,5", Comma), Some(dec!(1234.5)));
        assert_eq!(parse_number("", Point), None);
        assert_eq!(parse_number("abc", Point), None);
        assert_eq!(parse_number("1.5kg", Point), None);
        // Thousands separators only between groups of three digits of the whole part: a
        // number written with the other convention is refused, not read ten times too large.
        assert_eq!(parse_number("1,234,567.25", Point), Some(dec!(1234567.25)));
        assert_eq!(parse_number("500,5", Point), None);
        assert_eq!(parse_number("12,5", Point), None);
        assert_eq!(parse_number("1,2345", Point), None);
        assert_eq!(parse_number(",500", Point), None);
        assert_eq!(parse_number("1.5,000", Point), None);
        assert_eq!(parse_number("500.5", Comma), None);
        assert_eq!(parse_number("1.234.567", Comma), Some(dec!(1234567)));
        assert_eq!(
            parse_number("1000000000000000", Point),
            Some(dec!(1000000000000000))
        );
        assert_eq!(parse_number("1000000000000001", Point), None);
        assert_eq!(parse_number("-9999999999999999999999999999", Point), None);
    }

    #[test]
    fn dates_in_every_order() {
        let d = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        assert_eq!(parse_date("31/12/2025", DateOrder::Dmy), Some(d));
        assert_eq!(parse_date("12/31/2025", DateOrder::Mdy), Some(d));
        assert_eq!(parse_date("31.12.2025", DateOrder::Dmy), Some(d));
        assert_eq!(parse_date("2025-12-31", DateOrder::Dmy), Some(d));
        assert_eq!(
            parse_date("2025-12-31 08:00:00 -0500", DateOrder::Mdy),
            Some(d)
        );
        assert_eq!(parse_date("31/12/2025", DateOrder::Mdy), None);
        assert_eq!(parse_date("yesterday", DateOrder::Mdy), None);
    }

    #[test]
    fn detection_reads_the_file() {
        let l = detect(
            ["1.234,5", "70,2"].into_iter(),
            ["31/12/2025"].into_iter(),
            None,
            None,
            b',',
        );
        assert_eq!(l.decimal, DecimalSeparator::Comma);
        assert_eq!(l.dates, DateOrder::Dmy);
        let l = detect(
            ["1,234.5", "70.2"].into_iter(),
            ["12/31/2025"].into_iter(),
            None,
            None,
            b',',
        );
        assert_eq!(l.decimal, DecimalSeparator::Point);
        assert_eq!(l.dates, DateOrder::Mdy);
    }
}
