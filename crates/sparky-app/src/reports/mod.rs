//! Reports over a range of days (7, 30, 90, 365 days up to today, or any `from`..`to` of at
//! most 366 days), for the user or a family member whose data is shared with them:
//!
//! - [`nutrition`]: calories per day against the calorie target with the average over the
//!   logged days, weekly totals against a weekly budget, the macro split, and every other
//!   nutrient the diary holds against a reference intake with the share of logged days met.
//!   Days without diary entries are missing (null), never zero.
//! - [`foods`]: the foods that gave the most of a nutrient (calories by default), from the
//!   diary entries themselves.
//! - [`body`]: weight with its trend (EWMA, as the measurement listing) and weekly rate of
//!   change, and every other measurement type (custom ones too) over time.
//! - [`exercise`]: sessions and calories per day and week, weekly volume (reps × weight) per
//!   muscle group, personal records (estimated one-rep max, heaviest weight) set in the range.
//!
//! Each report is ONE statement: the range (today in the owner's timezone), the owner's units,
//! the targets and the per-day (or per-week) aggregates come back together; the little
//! arithmetic left over a year of days (averages, shares, weeks, trend) is `sparky_core`'s.
//! A family member's data is read through RLS; [`Acting::ensure_visible`] tells "not shared"
//! (404) from "nothing logged". Each report also renders as CSV ([`to_csv`]).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sparky_core::units::round_dp;
use sparky_core::{Amount, Date};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

mod body;
mod exercise;
mod foods;
mod nutrition;

pub use body::*;
pub use exercise::*;
pub use foods::*;
pub use nutrition::*;

/// Days a report may span.
pub const MAX_DAYS: i64 = 366;
/// The ranges the Reports screen offers, in days up to today.
pub const PRESETS: [i64; 4] = [7, 30, 90, 365];
/// The default range.
pub const DEFAULT_DAYS: i64 = 30;
/// Days of weights before the range that warm up the trend (as the measurement listing).
const TREND_WARMUP_DAYS: i32 = 60;

// ---------------------------------------------------------------------------------------------
// The range
// ---------------------------------------------------------------------------------------------

/// A validated range: the last `days` days up to today (in the owner's timezone, worked out
/// by the report's statement), or `from`..=`to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportRange {
    Last(i32),
    Between(NaiveDate, NaiveDate),
}

impl ReportRange {
    /// `days` (1–366, default 30) or both `from` and `to` (at most 366 days), not both kinds.
    pub fn parse(days: Option<i64>, from: Option<Date>, to: Option<Date>) -> AppResult<Self> {
        match (days, from, to) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(AppError::invalid(
                "days",
                "give either days or from and to, not both",
            )),
            (_, Some(_), None) => Err(AppError::invalid("to", "is required with from")),
            (_, None, Some(_)) => Err(AppError::invalid("from", "is required with to")),
            (_, Some(from), Some(to)) => {
                let (from, to) = (from.get(), to.get());
                if to < from {
                    return Err(AppError::invalid("to", "must not be before from"));
                }
                if (to - from).num_days() >= MAX_DAYS {
                    return Err(AppError::invalid("to", "a report spans at most 366 days"));
                }
                Ok(ReportRange::Between(from, to))
            }
            (days, None, None) => {
                let days = days.unwrap_or(DEFAULT_DAYS);
                if !(1..=MAX_DAYS).contains(&days) {
                    return Err(AppError::invalid("days", "must be between 1 and 366"));
                }
                Ok(ReportRange::Last(days as i32))
            }
        }
    }

    /// The statement's `$2`, `$3`, `$4`: from, to, days.
    fn params(&self) -> (Option<NaiveDate>, Option<NaiveDate>, i32) {
        match *self {
            ReportRange::Last(d) => (None, None, d),
            ReportRange::Between(f, t) => (Some(f), Some(t), 0),
        }
    }
}

/// The head every report statement starts with: the owner (`$1`, NULL = the caller), their
/// units and the range's bounds (`$2`/`$3`, or the `$4` days up to today in their timezone).
const HEAD: &str = "who AS (SELECT coalesce($1::uuid, auth.uid()) AS id),
     pref AS (SELECT (SELECT p.units_system FROM user_preferences p WHERE p.user_id = w.id LIMIT 1) AS units,
                     (SELECT p.timezone FROM user_preferences p WHERE p.user_id = w.id LIMIT 1) AS tz,
                     (SELECT p.week_start FROM user_preferences p WHERE p.user_id = w.id LIMIT 1) AS week_start
              FROM who w),
     ws AS (SELECT coalesce(array_position(ARRAY['monday', 'tuesday', 'wednesday', 'thursday', 'friday',
                                                 'saturday', 'sunday'], (SELECT week_start FROM pref)), 1) AS isodow),
     b AS (SELECT coalesce($2::date, x.today - ($4::int - 1)) AS f, coalesce($3::date, x.today) AS t
           FROM (SELECT (now() AT TIME ZONE coalesce((SELECT tz FROM pref), 'UTC'))::date AS today) x)";

fn amount(d: Decimal, dp: u32) -> Amount {
    Amount(round_dp(d, dp).normalize())
}

fn pct(share: Decimal) -> Amount {
    amount(share * Decimal::from(100), 1)
}

fn days_between(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// The header of a report's rows: owner and bounds.
fn head(rows: &[Row]) -> AppResult<(Uuid, NaiveDate, NaiveDate)> {
    let r = rows
        .first()
        .ok_or_else(|| AppError::internal("report: no rows"))?;
    Ok((r.get("uid"), r.get("f"), r.get("t")))
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/// One CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`,
/// `-`, `@`, tab or carriage return of text (not numbers) is escaped with `'` so a spreadsheet
/// does not run it.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn opt(v: Option<Amount>) -> String {
    v.map(|a| a.0.normalize().to_string()).unwrap_or_default()
}

fn line(out: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// A report as CSV (RFC 4180: header row, CRLF line ends), ISO dates, the owner's units in
/// the headers or a `unit` column; a missing value is an empty cell.
pub trait ToCsv {
    fn to_csv(&self) -> String;
    /// `nutrition`, `body` or `exercise`: the file name's stem.
    fn name(&self) -> &'static str;
    fn bounds(&self) -> (NaiveDate, NaiveDate);
}

/// The report as CSV.
pub fn to_csv(r: &impl ToCsv) -> String {
    r.to_csv()
}

/// `sparky-nutrition-2026-01-01-2026-12-31.csv`.
pub fn csv_file_name(r: &impl ToCsv) -> String {
    let (f, t) = r.bounds();
    format!("sparky-{}-{f}-{t}.csv", r.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_presets_or_bounded_spans() {
        assert_eq!(
            ReportRange::parse(None, None, None).unwrap(),
            ReportRange::Last(30)
        );
        assert_eq!(
            ReportRange::parse(Some(365), None, None).unwrap(),
            ReportRange::Last(365)
        );
        assert!(ReportRange::parse(Some(0), None, None).is_err());
        assert!(ReportRange::parse(Some(367), None, None).is_err());
        let d = |s: &str| Date::parse(s).unwrap();
        assert!(ReportRange::parse(None, Some(d("2026-01-01")), Some(d("2027-01-01"))).is_ok());
        assert!(ReportRange::parse(None, Some(d("2026-01-01")), Some(d("2027-01-02"))).is_err());
        assert!(ReportRange::parse(None, Some(d("2026-01-02")), Some(d("2026-01-01"))).is_err());
        assert!(ReportRange::parse(None, Some(d("2026-01-02")), None).is_err());
        assert!(ReportRange::parse(Some(7), Some(d("2026-01-02")), Some(d("2026-01-03"))).is_err());
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(field("Bench, incline"), "\"Bench, incline\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd()"), "'=cmd()");
        assert_eq!(field("-0.7"), "-0.7");
        assert_eq!(field("\t=cmd()"), "'\t=cmd()");
        assert_eq!(field("\r=cmd()"), "\"'\r=cmd()\"");
    }
}
