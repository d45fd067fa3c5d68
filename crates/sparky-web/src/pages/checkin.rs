//! Check-in (`/checkin`): log weight, body fat, girths and custom measurements in one form,
//! add water, create a custom measurement type, see and correct the history, and the weight
//! chart with its trend. Values are typed and shown in the owner's units; a bad value
//! re-renders the form with the problem next to its field and stores nothing.

use crate::pages::PageQuery;
use askama::Template;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, Days, NaiveDate};
use serde::Deserialize;
use sparky_app::measurement_types::{self, MeasurementType};
use sparky_app::measurements::{self, ListQuery};
use sparky_core::measure::Dimension;
use sparky_core::{AccessType, Amount, Date};
use uuid::Uuid;

use super::charts;
use super::checkin_writes;
use super::form_errors::FormErrors;
use super::format::{day_label, number};
use super::{html, Page, PageError, Shell};
use crate::i18n::Messages;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkin", get(show).post(checkin_writes::log))
        .route("/checkin/water", post(checkin_writes::water))
        .route("/checkin/types", post(checkin_writes::create_type))
        .route("/checkin/entry/{id}", post(checkin_writes::edit))
        .route("/checkin/entry/{id}/delete", post(checkin_writes::delete))
}

/// Types the check-in form offers first, in this order; custom types follow. Water has its own
/// card and height belongs to the profile.
const FORM_TYPES: [&str; 9] = [
    "weight",
    "body_fat",
    "muscle_mass",
    "waist",
    "hips",
    "neck",
    "chest",
    "resting_heart_rate",
    "steps",
];

/// Chart ranges offered, in days.
const RANGES: [i64; 3] = [30, 90, 365];
/// History rows a page shows.
const HISTORY_ROWS: i64 = 15;

pub struct InputView {
    pub name: String,
    pub label: String,
    pub unit: String,
    pub value: String,
    pub error: Option<String>,
}

pub struct HistoryRow {
    pub id: Uuid,
    pub date: String,
    pub kind: String,
    pub value: String,
    pub raw: String,
    pub unit: String,
    pub note: String,
    pub error: Option<String>,
}

pub struct QuickWater {
    pub ml: String,
    pub label: String,
}

pub struct RangeLink {
    pub days: i64,
    pub label: String,
    pub current: bool,
}

pub struct CheckinView {
    pub date: NaiveDate,
    /// Whether the owner's measurements are visible at all.
    pub shared: bool,
    /// Whether custom types may be created (only for one's own data).
    pub own: bool,
    pub inputs: Vec<InputView>,
    pub note: String,
    pub form_errors: Vec<String>,
    pub water_today: String,
    pub water_unit: &'static str,
    pub water_quick: Vec<QuickWater>,
    pub water_value: String,
    pub water_error: Option<String>,
    pub chart: String,
    pub has_weights: bool,
    pub ranges: Vec<RangeLink>,
    pub latest_weight: String,
    pub trend_weight: String,
    pub change: String,
    pub rows: Vec<HistoryRow>,
    pub next_cursor: Option<String>,
    pub filter: String,
    pub filters: Vec<(String, String)>,
    pub type_name: String,
    pub type_dimension: String,
    pub type_error: Option<String>,
    pub dimensions: Vec<(&'static str, String)>,
    pub days: i64,
}

#[derive(Template)]
#[template(path = "pages/checkin.html")]
struct CheckinPage {
    shell: Shell,
    v: CheckinView,
}

#[derive(Deserialize, Default)]
pub struct Params {
    pub date: Option<NaiveDate>,
    pub days: Option<i64>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub cursor: Option<String>,
}

/// What the user typed, kept when the page is shown again with problems.
#[derive(Default)]
pub struct Typed {
    pub values: Vec<(String, String)>,
    pub note: String,
    pub errors: FormErrors,
    pub water: String,
    pub water_error: Option<String>,
    pub type_name: String,
    pub type_dimension: String,
    pub type_error: Option<String>,
    pub edit: Option<(Uuid, String)>,
}

/// A type's name as people read it: the catalog's for built-in ones, else the name itself.
pub fn type_label(t: &Messages, name: &str) -> String {
    let key = format!("measure.{name}");
    if t.has(&key) {
        return t.get(&key).to_string();
    }
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// "72.5 kg", "18%", "8,500".
fn shown(value: f64, unit: &str) -> String {
    match unit {
        "%" => format!("{}%", number(value, 1)),
        "count" => number(value, 0),
        "bpm" => format!("{} bpm", number(value, 0)),
        "ml" => format!("{} ml", number(value, 0)),
        "" => number(value, 2),
        _ => format!("{} {}", number(value, 1), unit),
    }
}

fn f(a: Amount) -> f64 {
    a.to_f64()
}

async fn show(mut page: Page, PageQuery(p): PageQuery<Params>) -> Result<Response, PageError> {
    render(&mut page, &p, Typed::default()).await
}

pub async fn render(page: &mut Page, p: &Params, typed: Typed) -> Result<Response, PageError> {
    let shell = page.shell("", "checkin").await?;
    let v = view(page, &shell, p, typed).await?;
    let mut shell = shell;
    shell.title = shell.t("checkin.title").to_string();
    let page_html = html(&CheckinPage { shell, v });
    Ok(page_html)
}

async fn view(
    page: &mut Page,
    shell: &Shell,
    p: &Params,
    typed: Typed,
) -> Result<CheckinView, PageError> {
    let t = &shell.t;
    let acting = page.acting;
    let today = sparky_app::days::today(&mut page.tx, acting).await?;
    let date = super::page_date("date", p.date, today)?;
    let days = p.days.filter(|d| RANGES.contains(d)).unwrap_or(RANGES[1]);
    let shared = shell.may(AccessType::Checkin) || shell.may(AccessType::Reports);
    let units = &shell.units;
    let mut v = CheckinView {
        date,
        shared,
        own: shell.viewing.is_none(),
        inputs: Vec::new(),
        note: typed.note.clone(),
        form_errors: Vec::new(),
        water_today: units.water(0.0),
        water_unit: units.water_unit(),
        water_quick: if units.imperial() {
            vec![
                QuickWater {
                    ml: "236.5882365".into(),
                    label: "8 fl oz".into(),
                },
                QuickWater {
                    ml: "473.176473".into(),
                    label: "16 fl oz".into(),
                },
            ]
        } else {
            vec![
                QuickWater {
                    ml: "250".into(),
                    label: "250 ml".into(),
                },
                QuickWater {
                    ml: "500".into(),
                    label: "500 ml".into(),
                },
            ]
        },
        water_value: typed.water.clone(),
        water_error: typed.water_error.clone(),
        chart: String::new(),
        has_weights: false,
        ranges: RANGES
            .iter()
            .map(|d| RangeLink {
                days: *d,
                label: t.fill("checkin.days", &[("n", &d.to_string())]),
                current: *d == days,
            })
            .collect(),
        latest_weight: "–".into(),
        trend_weight: "–".into(),
        change: "–".into(),
        rows: Vec::new(),
        next_cursor: None,
        filter: p.kind.clone().unwrap_or_default(),
        filters: Vec::new(),
        type_name: typed.type_name.clone(),
        type_dimension: typed.type_dimension.clone(),
        type_error: typed.type_error.clone(),
        dimensions: [
            Dimension::Length,
            Dimension::Mass,
            Dimension::Percent,
            Dimension::Count,
            Dimension::Rate,
            Dimension::Volume,
        ]
        .iter()
        .map(|d| {
            (
                d.as_str(),
                t.fill(
                    &format!("checkin.dimension.{}", d.as_str()),
                    &[("unit", d.display_unit(units.system).as_str())],
                ),
            )
        })
        .collect(),
        days,
    };
    if !shared {
        // Nothing of theirs is shown, so neither are the forms: a refusal is said on its own.
        v.form_errors = typed.errors.others(&[]);
        v.form_errors
            .extend(typed.edit.as_ref().map(|(_, e)| e.clone()));
        return Ok(v);
    }
    let tx = &mut page.tx;
    let types = measurement_types::list(tx, acting).await?;
    v.inputs = form_types(&types)
        .into_iter()
        .map(|ty| InputView {
            label: type_label(t, &ty.name),
            unit: ty.display_unit.clone(),
            value: typed
                .values
                .iter()
                .find(|(k, _)| *k == ty.name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            error: typed.errors.get(&ty.name).map(str::to_string),
            name: ty.name.clone(),
        })
        .collect();
    let shown_fields: Vec<&str> = v.inputs.iter().map(|i| i.name.as_str()).collect();
    v.form_errors = typed.errors.others(&shown_fields);
    v.filters = types
        .iter()
        .map(|ty| (ty.name.clone(), type_label(t, &ty.name)))
        .collect();

    // Today's water.
    let water = ListQuery::parse(
        Some("water"),
        Some(Date::new(date).map_err(|_| PageError::BadRequest)?),
        Some(Date::new(date).map_err(|_| PageError::BadRequest)?),
        Some(measurements::LIST_LIMIT.max),
        None,
    )?;
    let water_ml: f64 = measurements::list(tx, acting, &water)
        .await?
        .items
        .iter()
        .map(|m| f(m.canonical_value))
        .sum();
    v.water_today = units.water(water_ml);

    // The weight chart: one dot per reading, the trend as a line.
    let from = today - Days::new(days as u64 - 1);
    let weights = ListQuery::parse(
        Some("weight"),
        Some(Date::new(from).map_err(|_| PageError::BadRequest)?),
        Some(Date::new(today).map_err(|_| PageError::BadRequest)?),
        Some(measurements::LIST_LIMIT.max),
        None,
    )?;
    let weights = measurements::list(tx, acting, &weights).await?;
    let trend = weights.trend.clone().unwrap_or_default();
    let unit = weights
        .trend_unit
        .clone()
        .unwrap_or_else(|| units.weight_unit().to_string());
    let trend_on = |d: NaiveDate| trend.iter().find(|p| p.date == d).map(|p| f(p.value));
    let points: Vec<(f64, f64, f64)> = weights
        .items
        .iter()
        .rev()
        .filter_map(|m| {
            let tr = trend_on(m.date)?;
            Some(((m.date - from).num_days() as f64, f(m.value), tr))
        })
        .collect();
    v.has_weights = !points.is_empty();
    v.chart = charts::trend_chart(
        &points,
        (days - 1) as f64,
        &unit,
        &t.fill("checkin.chart_label", &[("n", &days.to_string())]),
    );
    if let Some(latest) = weights.items.first() {
        v.latest_weight = shown(f(latest.value), &latest.unit);
    }
    if let (Some(first), Some(last)) = (trend.first(), trend.last()) {
        v.trend_weight = shown(f(last.value), &unit);
        let delta = f(last.value) - f(first.value);
        let sign = if delta > 0.05 { "+" } else { "" };
        v.change = format!("{sign}{}", shown(delta, &unit));
    }

    // The history.
    let q = ListQuery::parse(
        p.kind.as_deref().filter(|k| !k.is_empty()),
        None,
        None,
        Some(HISTORY_ROWS),
        p.cursor.as_deref().filter(|c| !c.is_empty()),
    )?;
    let history = measurements::list(tx, acting, &q).await?;
    v.next_cursor = history.next_cursor.clone();
    v.rows = history
        .items
        .iter()
        .map(|m| {
            let edit = typed.edit.as_ref().filter(|(id, _)| *id == m.id);
            HistoryRow {
                id: m.id,
                date: day_label(t, m.date, today.year()),
                kind: type_label(t, &m.kind),
                value: shown(f(m.value), &m.unit),
                raw: edit
                    .map(|_| {
                        typed
                            .values
                            .first()
                            .map(|v| v.1.clone())
                            .unwrap_or_default()
                    })
                    .unwrap_or_else(|| m.value.to_string()),
                unit: if m.unit == "count" {
                    String::new()
                } else {
                    m.unit.clone()
                },
                note: m.note.clone().unwrap_or_default(),
                error: edit.map(|(_, e)| e.clone()),
            }
        })
        .collect();
    // A refused change to a reading this page does not list (another page of the history)
    // is said with the form's other errors instead of not at all.
    if let Some((id, e)) = &typed.edit {
        if !v.rows.iter().any(|r| r.id == *id) {
            v.form_errors.push(e.clone());
        }
    }
    Ok(v)
}

/// The types the form offers: the usual ones in a fixed order, then the owner's own.
fn form_types(types: &[MeasurementType]) -> Vec<&MeasurementType> {
    let mut out: Vec<&MeasurementType> = FORM_TYPES
        .iter()
        .filter_map(|n| types.iter().find(|t| t.name == *n))
        .collect();
    out.extend(types.iter().filter(|t| !t.built_in));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_well() {
        let t = Messages::default();
        assert_eq!(type_label(&t, "left_arm"), "Left arm");
        assert_eq!(type_label(&t, "body_fat"), "Body fat");
        assert_eq!(shown(18.25, "%"), "18.3%");
        assert_eq!(shown(72.25, "kg"), "72.3 kg");
    }
}
