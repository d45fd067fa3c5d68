//! Reports (`/reports`): nutrition, body and exercise over 7, 30, 90 or 365 days or a custom
//! range, drawn as server-side SVG charts with tables beside them, and CSV downloads from the
//! API. A report not shared with the viewer says so instead of failing the page.

use crate::pages::PageQuery;
use askama::Template;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sparky_app::reports::{self, RankBy, ReportRange};
use sparky_app::AppError;
use sparky_core::{Amount, Date};

use super::charts;
use super::checkin::type_label;
use super::format::{day_label, kcal, number};
use super::{html, Page, PageError, Shell};
use crate::AppState;

/// Records the page lists (the newest); the API and CSV have them all.
const MAX_RECORDS_SHOWN: usize = 20;

pub fn routes() -> Router<AppState> {
    Router::new().route("/reports", get(show))
}

#[derive(Deserialize, Default)]
pub struct Params {
    pub days: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The nutrient the top foods are ranked by (a `RankBy` name; calories otherwise).
    pub by: Option<String>,
}

/// How many of [`RankBy::ALL`] the page ranks foods by (calories, the macros, fiber, sugar,
/// sodium; the API takes every diary nutrient).
const FOODS_BY: usize = 7;

/// A link to the same page with the foods ranked by another nutrient.
pub struct ByLink {
    /// Already HTML-escaped (`&amp;`).
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

pub struct RangeLink {
    pub days: i64,
    pub label: String,
    pub current: bool,
}

/// One row of a table: a heading cell and value cells.
pub struct Row {
    pub head: String,
    pub cells: Vec<String>,
}

pub struct NutritionView {
    pub chart: String,
    pub average: String,
    pub target: String,
    pub logged: String,
    pub weeks: Vec<Row>,
    pub macros: Vec<Row>,
    pub nutrients: Vec<Row>,
    /// The owner's custom nutrients: average a logged day, daily range, logged days within.
    pub custom: Vec<Row>,
    /// The foods that gave the most of `foods_by`'s nutrient: times logged, amount, share.
    pub top_foods: Vec<Row>,
    pub foods_by: Vec<ByLink>,
    /// The ranked nutrient's unit, for the column heading.
    pub foods_unit: &'static str,
}

pub struct BodyView {
    pub chart: String,
    pub has_weights: bool,
    pub trend: String,
    pub rate: String,
    pub change: String,
    pub types: Vec<Row>,
}

pub struct ExerciseView {
    pub chart: String,
    /// A flat line of zeros says nothing; without sessions the chart gives way to a sentence.
    pub has_sessions: bool,
    pub sessions: String,
    pub calories: String,
    pub minutes: String,
    pub volume: Vec<Row>,
    /// The newest records, newest first.
    pub records: Vec<Row>,
    /// Older records left out (they are in the JSON and CSV).
    pub records_more: usize,
}

pub struct ReportsView {
    pub ranges: Vec<RangeLink>,
    pub from: String,
    pub to: String,
    pub error: Option<String>,
    pub period: String,
    /// The query naming the range (and whose data), for the CSV links: HTML-escaped already
    /// (dates, numbers and a UUID joined by `&amp;`).
    pub query: String,
    pub nutrition: Option<NutritionView>,
    pub body: Option<BodyView>,
    pub exercise: Option<ExerciseView>,
}

#[derive(Template)]
#[template(path = "pages/reports.html")]
struct ReportsPage {
    shell: Shell,
    v: ReportsView,
}

fn a(v: Amount) -> f64 {
    v.to_f64()
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "–".into())
}

/// `text` with no-break spaces, so a table cell keeps it on one line.
fn unbroken(text: &str) -> String {
    text.replace(' ', "\u{a0}")
}

/// The range asked for; a problem is shown next to the chooser and the default range used.
fn range_of(p: &Params) -> Result<ReportRange, AppError> {
    let empty = |s: &Option<String>| {
        s.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    };
    let days = match empty(&p.days) {
        Some(d) => Some(
            d.trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid("days", "must be a number of days"))?,
        ),
        None => None,
    };
    let date = |field: &str, s: Option<String>| -> Result<Option<Date>, AppError> {
        s.map(|s| Date::parse(s.trim()).map_err(|e| AppError::invalid(field, e.to_string())))
            .transpose()
    };
    let (from, to) = (date("from", empty(&p.from))?, date("to", empty(&p.to))?);
    ReportRange::parse(days, from, to)
}

fn problem(e: &AppError) -> String {
    match e {
        AppError::Invalid(fields) => fields
            .0
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// A report, or `None` when it is not shared with the viewer.
fn shared<T>(r: Result<T, AppError>) -> Result<Option<T>, AppError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn show(mut page: Page, PageQuery(p): PageQuery<Params>) -> Result<Response, PageError> {
    let mut shell = page.shell("", "more").await?;
    shell.title = shell.t("reports.title").to_string();
    let (range, error) = match range_of(&p) {
        Ok(r) => (r, None),
        Err(e) => (
            ReportRange::Last(reports::DEFAULT_DAYS as i32),
            Some(problem(&e)),
        ),
    };
    let acting = page.acting;
    let tx = &mut page.tx;
    let nutrition = shared(reports::nutrition(tx, acting, range).await)?;
    let by = RankBy::ALL[..FOODS_BY]
        .iter()
        .copied()
        .find(|b| p.by.as_deref().map(str::trim) == Some(b.column()))
        .unwrap_or_default();
    let foods = shared(reports::foods(tx, acting, range, by, None).await)?;
    let body = shared(reports::body(tx, acting, range).await)?;
    let exercise = shared(reports::exercise(tx, acting, range).await)?;
    let read_period = nutrition
        .as_ref()
        .map(|n| (n.from, n.to))
        .or(body.as_ref().map(|b| (b.from, b.to)))
        .or(exercise.as_ref().map(|e| (e.from, e.to)));
    // No report shared: the period asked for, in the owner's calendar (it was 1 Jan 1970).
    let (from, to) = match (read_period, range) {
        (Some(p), _) => p,
        (None, ReportRange::Between(f, t)) => (f, t),
        (None, ReportRange::Last(d)) => {
            let today = sparky_app::days::today(tx, acting).await?;
            (today - chrono::Days::new(d.max(1) as u64 - 1), today)
        }
    };
    let t = &shell.t;
    let span = (to - from).num_days() + 1;
    // Days carry their year unless the whole range is in this year ("Wed 1 Jan – Wed 31 Dec"
    // of last year had none).
    let now_year = chrono::Utc::now().year();
    let this_year = if from.year() == now_year && to.year() == now_year {
        now_year
    } else {
        i32::MIN
    };
    let current_days = match range {
        ReportRange::Last(d) => Some(i64::from(d)),
        ReportRange::Between(..) => None,
    };
    let range_query = match range {
        ReportRange::Last(d) => format!("days={d}"),
        ReportRange::Between(f, t) => format!("from={f}&amp;to={t}"),
    };
    let mut query = range_query.clone();
    if let Some(v) = &shell.viewing {
        query.push_str(&format!("&amp;user_id={}", v.user_id));
    }
    let day = |d: NaiveDate| day_label(t, d, this_year);

    let foods_by = RankBy::ALL[..FOODS_BY]
        .iter()
        .map(|b| ByLink {
            href: format!("/reports?{range_query}&amp;by={}#rep-top", b.column()),
            label: t.get(&format!("nutrient.{}", b.column())),
            current: *b == by,
        })
        .collect::<Vec<_>>();
    let foods_unit = sparky_core::report::nutrient_unit(by.column());
    let shown = |v: Amount| match foods_unit {
        "kcal" => kcal(a(v)),
        "g" => number(a(v), 1),
        _ => number(a(v), 0),
    };
    let mut top_foods = foods.map(|r| {
        r.foods
            .iter()
            .map(|f| Row {
                head: match &f.brand {
                    Some(b) if !b.is_empty() => format!("{} ({b})", f.name),
                    _ => f.name.clone(),
                },
                cells: vec![
                    format!("{}×", f.entries),
                    shown(f.amount),
                    or_dash(f.percent.map(|v| format!("{}%", number(a(v), 0)))),
                ],
            })
            .collect::<Vec<_>>()
    });
    let nutrition = nutrition.map(|n| {
        let values: Vec<Option<f64>> = n
            .days
            .iter()
            .map(|d| {
                d.eaten
                    .as_ref()
                    .map(|e| a(Amount(e.calories.unwrap_or_default())))
            })
            .collect();
        let target = n.calories.target.map(a);
        let targets: Vec<Option<f64>> = n.days.iter().map(|d| d.calorie_target.map(a)).collect();
        NutritionView {
            chart: charts::sparkline_with_targets(
                &values,
                &targets,
                &t.fill("reports.calories_chart", &[("n", &span.to_string())]),
            ),
            average: or_dash(n.calories.average.map(|v| format!("{} kcal", kcal(a(v))))),
            target: or_dash(target.map(|v| format!("{} kcal", kcal(v)))),
            logged: t.fill(
                "reports.logged_of",
                &[
                    ("n", &n.logged_days.to_string()),
                    ("total", &span.to_string()),
                ],
            ),
            weeks: n
                .calories
                .weeks
                .iter()
                .map(|w| Row {
                    head: day(w.week_start.max(from)),
                    cells: vec![
                        format!("{}/{}", w.logged_days, w.days),
                        or_dash(w.calories.map(|v| kcal(a(v)))),
                        // With the exercise that counts, as Today's week budget.
                        or_dash(w.budget.map(|v| kcal(a(v) + w.burned_counted.to_f64()))),
                    ],
                })
                .collect(),
            macros: n
                .macros
                .iter()
                .map(|m| Row {
                    head: t.get(&format!("nutrient.{}", m.nutrient)).to_string(),
                    cells: vec![
                        or_dash(m.average.map(|v| format!("{} g", number(a(v), 1)))),
                        or_dash(m.target.map(|v| format!("{} g", number(a(v), 0)))),
                        or_dash(m.energy_percent.map(|v| format!("{}%", number(a(v), 1)))),
                    ],
                })
                .collect(),
            nutrients: n
                .nutrients
                .iter()
                .map(|r| Row {
                    head: t.get(&format!("nutrient.{}", r.nutrient)).to_string(),
                    cells: vec![
                        or_dash(r.average.map(|v| format!("{} {}", number(a(v), 1), r.unit))),
                        or_dash(r.target.map(|v| {
                            let side = if r.bound == Some("at_most") {
                                "≤"
                            } else {
                                "≥"
                            };
                            format!("{side} {} {}", number(a(v), 0), r.unit)
                        })),
                        or_dash(r.percent_of_days_met.map(|v| {
                            // Of every logged day: the share alone; else say of how many.
                            let decided = r.days_decided.unwrap_or(r.days_known);
                            if i64::from(decided) == n.logged_days as i64 {
                                return format!("{}%", number(a(v), 0));
                            }
                            t.fill_count(
                                "reports.met_of_days",
                                i64::from(decided),
                                &[("pct", &number(a(v), 0)), ("n", &decided.to_string())],
                            )
                        })),
                    ],
                })
                .collect(),
            custom: n
                .custom_nutrients
                .iter()
                .map(|c| Row {
                    head: c.name.clone(),
                    // A narrow column wraps between words, never inside "308 mg" or "2 of 3".
                    cells: vec![
                        unbroken(&super::food_custom::amount_text(
                            c.average.decimal(),
                            &c.unit,
                        )),
                        or_dash(
                            super::food_custom::range_text(t, c.daily_min, c.daily_max, &c.unit)
                                .map(|r| match r.rsplit_once(' ') {
                                    // Nor after the dash of "150–1,100 µg".
                                    Some((head, unit)) => {
                                        format!("{}\u{a0}{unit}", head.replace('–', "–\u{2060}"))
                                    }
                                    None => r,
                                }),
                        ),
                        or_dash(c.days_within.map(|d| {
                            unbroken(&t.fill(
                                "reports.within_of",
                                &[("n", &d.to_string()), ("total", &n.logged_days.to_string())],
                            ))
                        })),
                    ],
                })
                .collect(),
            top_foods: top_foods.take().unwrap_or_default(),
            foods_by,
            foods_unit,
        }
    });

    let body = body.map(|b| {
        let unit = b.weight.unit.clone();
        let points: Vec<(f64, f64, f64)> = b
            .weight
            .points
            .iter()
            .map(|p| ((p.date - from).num_days() as f64, a(p.value), a(p.trend)))
            .collect();
        let shown = |v: f64, unit: &str| match unit {
            "%" => format!("{}%", number(v, 1)),
            "count" | "" => number(v, 0),
            u => format!("{} {u}", number(v, 1)),
        };
        BodyView {
            chart: charts::trend_chart(
                &points,
                (span - 1) as f64,
                &unit,
                &t.fill("reports.weight_chart", &[("n", &span.to_string())]),
            ),
            has_weights: !points.is_empty(),
            trend: or_dash(b.weight.points.last().map(|p| shown(a(p.trend), &unit))),
            rate: or_dash(b.weight.weekly_rate.map(|r| {
                let sign = if a(r) > 0.0 { "+" } else { "" };
                t.fill(
                    "reports.per_week",
                    &[("v", &format!("{sign}{}", shown(a(r), &unit)))],
                )
            })),
            change: or_dash(b.weight.trend_change.map(|c| shown(a(c), &unit))),
            types: b
                .measurements
                .iter()
                .map(|m| {
                    let values: Vec<Option<f64>> =
                        m.points.iter().map(|p| Some(a(p.value))).collect();
                    let label = type_label(t, &m.kind);
                    Row {
                        cells: vec![
                            m.points.len().to_string(),
                            or_dash(m.points.last().map(|p| shown(a(p.value), &m.unit))),
                            or_dash(m.change.map(|c| shown(a(c), &m.unit))),
                            charts::sparkline(
                                &values,
                                None,
                                &t.fill("reports.type_chart", &[("what", &label)]),
                            ),
                        ],
                        head: label,
                    }
                })
                .collect(),
        }
    });

    let exercise = exercise.map(|e| {
        let mut per_day: Vec<Option<f64>> = vec![Some(0.0); span.max(0) as usize];
        for d in &e.days {
            if let Some(slot) = per_day.get_mut((d.date - from).num_days() as usize) {
                *slot = d.calories_burned.map(a);
            }
        }
        let wu = e.weight_unit.as_str();
        ExerciseView {
            has_sessions: e.sessions > 0,
            chart: charts::sparkline(
                &per_day,
                None,
                &t.fill("reports.burned_chart", &[("n", &span.to_string())]),
            ),
            sessions: t.fill_count(
                "reports.sessions_on",
                e.active_days,
                &[
                    ("n", &e.sessions.to_string()),
                    ("days", &e.active_days.to_string()),
                ],
            ),
            calories: match e.sessions_without_calories {
                0 => format!("{} kcal", kcal(a(e.calories_burned))),
                n => t.fill_count(
                    "reports.burned_without",
                    n,
                    &[("kcal", &kcal(a(e.calories_burned))), ("n", &n.to_string())],
                ),
            },
            minutes: format!("{} min", number(e.duration_minutes as f64, 0)),
            volume: e
                .weeks
                .iter()
                .filter(|w| !w.volume.is_empty())
                .map(|w| Row {
                    head: day(w.week_start.max(from)),
                    cells: vec![w
                        .volume
                        .iter()
                        .map(|v| format!("{} {} {wu}", v.muscle_group, number(a(v.volume), 0)))
                        .collect::<Vec<_>>()
                        .join(", ")],
                })
                .collect(),
            records_more: e.records.len().saturating_sub(MAX_RECORDS_SHOWN),
            records: e
                .records
                .iter()
                .rev()
                .take(MAX_RECORDS_SHOWN)
                .map(|r| Row {
                    head: day(r.date),
                    cells: vec![
                        r.exercise_name.clone(),
                        t.get(&format!("reports.record.{}", r.kind)).to_string(),
                        match r.kind {
                            "fastest_pace" => format!(
                                "{} {}",
                                super::exercise::minutes_clock(r.value.decimal()),
                                r.unit.trim_start_matches("min")
                            ),
                            "longest_set" => r
                                .duration_seconds
                                .map(super::exercise::set_time)
                                .unwrap_or_default(),
                            _ => format!("{} {}", number(a(r.value), 1), r.unit),
                        },
                        match (r.reps, r.weight, r.distance, r.duration_seconds) {
                            (Some(reps), Some(w), _, _) => {
                                format!("{reps} × {} {wu}", number(a(w), 1))
                            }
                            // A loaded hold: its weight with the time.
                            (None, Some(w), None, seconds) => {
                                super::exercise::set_label(None, Some((a(w), wu)), seconds)
                            }
                            (_, _, Some(d), Some(m)) => t.fill(
                                "reports.record.session",
                                &[
                                    ("distance", &number(a(d), 2)),
                                    ("unit", r.unit.trim_start_matches("min/")),
                                    ("duration", &sparky_core::exercise::duration_label(m)),
                                ],
                            ),
                            (_, _, Some(d), None) => {
                                format!("{} {}", number(a(d), 2), r.unit.trim_start_matches("min/"))
                            }
                            _ => String::new(),
                        },
                    ],
                })
                .collect(),
        }
    });

    let v = ReportsView {
        ranges: reports::PRESETS
            .iter()
            .map(|d| RangeLink {
                days: *d,
                label: t.fill("checkin.days", &[("n", &d.to_string())]),
                current: current_days == Some(*d),
            })
            .collect(),
        from: p.from.clone().unwrap_or_else(|| from.to_string()),
        to: p.to.clone().unwrap_or_else(|| to.to_string()),
        error,
        period: format!("{} – {}", day(from), day(to)),
        query,
        nutrition,
        body,
        exercise,
    };
    Ok(html(&ReportsPage { shell, v }))
}
