//! Diary days: a calendar date in the diary owner's timezone, or `today` there.

use chrono::{DateTime, NaiveDate, Utc};
use sparky_core::values::{Date, DateError, Timestamp};
use sparky_db::UserTx;

use crate::acting::{Acting, OWNER};
use crate::error::{AppError, AppResult};
use crate::reads::{Answers, ReadId, Reads};

/// A day as a path segment names it: `2026-11-25` or `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRef {
    Today,
    On(Date),
}

impl DayRef {
    pub fn parse(text: &str) -> AppResult<DayRef> {
        DayRef::parse_named("date", text)
    }

    /// Like [`DayRef::parse`], naming `field` in the error (a query parameter, say).
    pub fn parse_named(field: &str, text: &str) -> AppResult<DayRef> {
        if text.eq_ignore_ascii_case("today") {
            return Ok(DayRef::Today);
        }
        Date::parse(text)
            .map(DayRef::On)
            .map_err(|e| AppError::invalid(field, date_problem(e)))
    }

    /// The calendar date: `today` is today in the owner's timezone (preferences, else UTC).
    pub async fn resolve(self, tx: &mut UserTx, acting: Acting) -> AppResult<NaiveDate> {
        match self {
            DayRef::On(d) => Ok(d.get()),
            DayRef::Today => today(tx, acting).await,
        }
    }
}

fn date_problem(e: DateError) -> String {
    match e {
        DateError::Format => "must be a date like 2026-11-25, or today".into(),
        other => other.to_string(),
    }
}

/// Today in the owner's timezone.
pub async fn today(tx: &mut UserTx, acting: Acting) -> AppResult<NaiveDate> {
    let row = tx.query_one(&today_sql(), &[&acting.owner]).await?;
    Ok(row.get(0))
}

/// Today in the timezone of the owner in `$1` (the caller when NULL).
fn today_sql() -> String {
    format!(
        "SELECT (now() AT TIME ZONE coalesce(
             (SELECT p.timezone FROM user_preferences p WHERE p.user_id = {OWNER} LIMIT 1),
             'UTC'))::date"
    )
}

/// [`today`], planned (see [`crate::reads`]).
pub struct TodayPlan(ReadId);

pub fn plan_today(reads: &mut Reads, acting: Acting) -> TodayPlan {
    TodayPlan(reads.add(today_sql(), vec![Box::new(acting.owner)]))
}

impl TodayPlan {
    pub fn finish(self, answers: &mut Answers) -> AppResult<NaiveDate> {
        answers
            .take(self.0)?
            .first()
            .map(|r| r.get(0))
            .ok_or_else(|| AppError::internal("today: no row"))
    }
}

/// For a write given a time (`field`), and perhaps a date: a 422 on `field` when the time
/// falls on another day than the date in the owner's timezone (both would be stored, and the
/// row would say it happened on a day other than the one it counts for), or, given alone, on
/// a day outside 1900-01-01 to 2199-12-31 there. Only those two cases ask the database (rare:
/// few clients send both, and a time alone needs the timezone only within a day of the range's
/// ends), so the usual write costs nothing. The inserts also hold their SQL to the first.
pub(crate) async fn check_time(
    tx: &mut UserTx,
    acting: Acting,
    field: &str,
    date: Option<NaiveDate>,
    at: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let Some(at) = at.filter(|&at| time_needs_checking(date, Some(at))) else {
        return Ok(());
    };
    let row = tx
        .query_one(
            &format!(
                "SELECT ($2::timestamptz AT TIME ZONE coalesce(
                     (SELECT p.timezone FROM user_preferences p WHERE p.user_id = {OWNER}),
                     'UTC'))::date"
            ),
            &[&acting.owner, &at],
        )
        .await?;
    let day: NaiveDate = row.get(0);
    match date {
        Some(date) if day != date => Err(AppError::invalid(
            field,
            format!(
                "is on {day} in the diary's timezone, not on the date {date}: give one of \
                 them, or both for the same day"
            ),
        )),
        None if Date::new(day).is_err() => Err(AppError::invalid(
            field,
            format!("is on {day} in the diary's timezone: days must be 1900-01-01 to 2199-12-31"),
        )),
        _ => Ok(()),
    }
}

/// Whether [`check_time`] asks the database (a statement of its own, so a write that sends its
/// COMMIT with its insert must know beforehand).
pub(crate) fn time_needs_checking(date: Option<NaiveDate>, at: Option<DateTime<Utc>>) -> bool {
    at.is_some_and(|at| date.is_some() || !Timestamp::day_in_range_everywhere(at))
}

/// SQL for the instant at the same clock time as `at` has in `from_user`'s timezone, on the
/// date `date` in `to_user`'s: what moving or copying an entry to another day keeps. Adding
/// whole days of 24 h in UTC moved the clock across a change to or from summer time, and
/// put a copy from someone in another timezone on the wrong day.
pub(crate) fn same_clock_time_on(at: &str, date: &str, from_user: &str, to_user: &str) -> String {
    let zone = |user: &str| {
        format!(
            "coalesce((SELECT p.timezone FROM user_preferences p WHERE p.user_id = {user} \
             LIMIT 1), 'UTC')"
        )
    };
    format!(
        "(({date} + ({at} AT TIME ZONE {from})::time) AT TIME ZONE {to})",
        from = zone(from_user),
        to = zone(to_user)
    )
}
