//! The add-food sheet: search as you type (recent foods first, one tap to log one again), a
//! serving picker with a live preview, quick add, creating a food, barcodes and copying a meal.
//! With htmx these are fragments in the sheet; without it, pages of their own.

use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::diary;
use sparky_app::foods::{self, Food, Search};
use sparky_core::nutrition::{nutrients_of_servings, servings_in, Nutrients, Serving};
use sparky_core::{Amount, MealType};
use uuid::Uuid;

use super::food_writes;
use super::format::{amount, day_label, kcal, number};
use super::{html, Page, PageError, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/add", get(sheet))
        .route("/add/search", get(search))
        .route("/add/food/{id}", get(pick))
        .route("/add/preview", get(preview))
        .route("/add/log", post(food_writes::log))
        .route("/add/quick", post(food_writes::quick))
        .route("/add/create", post(food_writes::create))
        .route("/add/copy", post(food_writes::copy))
        .route("/add/barcode", get(food_writes::barcode))
}

pub struct Tab {
    pub key: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct QuickLog {
    pub serving_id: String,
    pub quantity: String,
    pub unit: String,
    pub label: String,
}

pub struct ResultRow {
    pub id: Uuid,
    pub name: String,
    pub brand: Option<String>,
    pub detail: String,
    pub mine: bool,
    /// For recent foods: log the last amount again in one tap.
    pub quick: Option<QuickLog>,
}

pub struct SheetView {
    pub date: NaiveDate,
    pub date_label: String,
    pub yesterday: NaiveDate,
    /// Family members whose diary may be read, to copy from: (user id, name).
    pub copy_sources: Vec<(String, String)>,
    pub meal: &'static str,
    /// The copy tab's meal: the sheet's, or "" (the whole day) when it was opened without one.
    pub copy_meal: &'static str,
    pub meal_name: String,
    pub meal_names: Vec<(&'static str, &'static str)>,
    pub tab: &'static str,
    pub tabs: Vec<Tab>,
    pub query: String,
    pub results: Vec<ResultRow>,
    pub results_heading: &'static str,
    /// The fallback barcode reader's URL, loaded when the camera opens.
    pub scanner: String,
    /// This rendering's once-token base: the quick add form sends `{once}-quick`, a recent
    /// food's one-tap form `{once}-{food id}` (see `once.rs`).
    pub once: Uuid,
    /// What the new-food form shows: blank, or what was typed into a refused one.
    pub create: CreateTyped,
    /// What the quick-add form shows: blank, or what was typed into a refused one.
    pub quick: QuickTyped,
}

/// The quick-add form's fields as typed, and why it was refused.
#[derive(Debug, Clone, Default)]
pub struct QuickTyped {
    pub name: String,
    pub calories: String,
    pub protein: String,
    pub carbohydrates: String,
    pub fat: String,
    pub error: Option<String>,
}

/// The new-food form's fields as typed, and why it was refused.
#[derive(Debug, Clone)]
pub struct CreateTyped {
    pub name: String,
    pub brand: String,
    pub barcode: String,
    pub size: String,
    pub unit: String,
    pub weight_g: String,
    pub calories: String,
    pub protein: String,
    pub carbohydrates: String,
    pub fat: String,
    pub fiber: String,
    pub sugar: String,
    pub sodium: String,
    pub error: Option<String>,
}

impl CreateTyped {
    /// An empty form for a 100 g serving (with a scanned barcode when there is one).
    pub fn blank(barcode: &str) -> CreateTyped {
        CreateTyped {
            name: String::new(),
            brand: String::new(),
            barcode: barcode.to_string(),
            size: "100".into(),
            unit: "g".into(),
            weight_g: String::new(),
            calories: String::new(),
            protein: String::new(),
            carbohydrates: String::new(),
            fat: String::new(),
            fiber: String::new(),
            sugar: String::new(),
            sodium: String::new(),
            error: None,
        }
    }
}

impl SheetParams {
    /// The sheet's new-food tab for `date` and `meal`.
    pub(super) fn create_tab(date: NaiveDate, meal: &str) -> SheetParams {
        SheetParams {
            date: Some(date),
            meal: Some(meal.to_string()),
            tab: Some("create".into()),
            q: None,
            code: None,
        }
    }

    /// The sheet's quick-add tab for `date` and `meal`.
    pub(super) fn quick_tab(date: NaiveDate, meal: &str) -> SheetParams {
        SheetParams {
            tab: Some("quick".into()),
            ..SheetParams::create_tab(date, meal)
        }
    }
}

/// The sheet again on its new-food tab with what was typed and why it was refused (422), so
/// nothing typed is lost.
pub(super) async fn refused_create(
    page: Page,
    p: &SheetParams,
    typed: CreateTyped,
) -> Result<Response, PageError> {
    refused(page, p, |v| v.create = typed).await
}

/// The sheet again on its quick-add tab with what was typed and why it was refused (422).
pub(super) async fn refused_quick(
    page: Page,
    p: &SheetParams,
    typed: QuickTyped,
) -> Result<Response, PageError> {
    refused(page, p, |v| v.quick = typed).await
}

/// The sheet of `p` with a refused form's values put back by `keep`, as a 422.
async fn refused(
    mut page: Page,
    p: &SheetParams,
    keep: impl FnOnce(&mut SheetView),
) -> Result<Response, PageError> {
    let shell = page.shell("", "today").await?;
    let mut v = sheet_view(&mut page, &shell, p).await?;
    keep(&mut v);
    let mut shell = shell;
    shell.title = shell.fill("add.title", &[("meal", &v.meal_name)]);
    let mut response = if page.htmx {
        html(&SheetFragment { shell, v })
    } else {
        html(&SheetPage { shell, v })
    };
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Template)]
#[template(path = "partials/add.html")]
struct SheetFragment {
    shell: Shell,
    v: SheetView,
}

#[derive(Template)]
#[template(path = "pages/add.html")]
struct SheetPage {
    shell: Shell,
    v: SheetView,
}

#[derive(Template)]
#[template(path = "partials/food_results.html")]
struct ResultsFragment {
    shell: Shell,
    v: SheetView,
}

#[derive(Deserialize)]
pub struct SheetParams {
    pub(super) date: Option<NaiveDate>,
    pub(super) meal: Option<String>,
    tab: Option<String>,
    q: Option<String>,
    pub(super) code: Option<String>,
}

/// The people who share their diary with the user (`calorie` or `reports`), other than the
/// one whose diary is being written.
fn copy_sources(shell: &Shell, acting: sparky_app::Acting) -> Vec<(String, String)> {
    // Writing someone else's diary, one's own is a source too (the household's dinner).
    let own = acting
        .owner
        .filter(|owner| *owner != shell.user_id)
        .map(|_| {
            (
                shell.user_id.to_string(),
                shell.t("add.copy_my_diary").to_string(),
            )
        });
    own.into_iter()
        .chain(
            shell
                .others
                .iter()
                .filter(|o| Some(o.user_id) != acting.owner)
                .filter(|o| {
                    o.access_types
                        .iter()
                        .any(|a| a == "calorie" || a == "reports")
                })
                .map(|o| {
                    let name = o
                        .full_name
                        .clone()
                        .or_else(|| o.email.clone())
                        .unwrap_or_else(|| o.user_id.to_string());
                    (o.user_id.to_string(), name)
                }),
        )
        .collect()
}

pub(super) fn meal_of(text: Option<&str>) -> MealType {
    text.and_then(|m| MealType::parse(m).ok())
        .unwrap_or(MealType::Snack)
}

/// The meal a form names, else the one the owner's clock is at (a picker opened without one
/// chose Snacks at lunchtime).
pub(super) fn meal_or_now(text: Option<&str>, timezone: &str) -> MealType {
    text.and_then(|m| MealType::parse(m).ok())
        .unwrap_or_else(|| {
            let zone: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
            MealType::at(chrono::Utc::now().with_timezone(&zone).time())
        })
}

/// The meal a write names: an unknown one is the 422 page naming `field` (it used to be filed
/// under Snacks, or copy the whole day).
pub(super) fn meal_field(field: &str, text: &str) -> Result<MealType, PageError> {
    MealType::parse(text)
        .map_err(|_| PageError::invalid(field, "choose breakfast, lunch, dinner or snacks"))
}

const TABS: [&str; 5] = ["search", "quick", "create", "barcode", "copy"];

async fn sheet_view(
    page: &mut Page,
    shell: &Shell,
    p: &SheetParams,
) -> Result<SheetView, PageError> {
    let t = &shell.t;
    let today = sparky_app::days::today(&mut page.tx, page.acting).await?;
    let date = p.date.unwrap_or(today);
    let meal = meal_or_now(p.meal.as_deref(), &shell.units.timezone);
    let tab = p
        .tab
        .as_deref()
        .and_then(|k| TABS.iter().find(|t| **t == k))
        .copied()
        .unwrap_or("search");
    let query = p.q.clone().unwrap_or_default();
    let (results, results_heading) = if tab == "search" {
        results_for(page, &query).await?
    } else {
        (Vec::new(), "")
    };
    Ok(SheetView {
        date,
        date_label: day_label(t, date, today.year()),
        yesterday: date - Days::new(1),
        copy_sources: copy_sources(shell, page.acting),
        meal: meal.as_str(),
        // Copy takes the meal the sheet was opened for; opened without one, the whole day.
        copy_meal: p
            .meal
            .as_deref()
            .and_then(|m| MealType::parse(m).ok())
            .map(|m| m.as_str())
            .unwrap_or(""),
        meal_name: t.get(&format!("meal.{}", meal.as_str())).to_string(),
        meal_names: MealType::ALL
            .iter()
            .map(|m| (m.as_str(), t.get(&format!("meal.{}", m.as_str()))))
            .collect(),
        tab,
        tabs: TABS
            .iter()
            .map(|k| Tab {
                key: k,
                label: t.get(&format!("add.tab.{k}")),
                current: *k == tab,
            })
            .collect(),
        query,
        results,
        results_heading: t.get(results_heading),
        scanner: crate::assets::url("vendor/zxing.min.js"),
        once: Uuid::new_v4(),
        create: CreateTyped::blank(p.code.as_deref().unwrap_or_default()),
        quick: QuickTyped::default(),
    })
}

/// Recent foods (with one-tap logging) for an empty query, else the search's first page.
async fn results_for(
    page: &mut Page,
    query: &str,
) -> Result<(Vec<ResultRow>, &'static str), PageError> {
    if query.trim().is_empty() {
        let recent = diary::recent(&mut page.tx, page.acting, 12).await?;
        let foods = foods::load(
            &mut page.tx,
            &recent.iter().map(|r| r.food_item_id).collect::<Vec<_>>(),
        )
        .await?;
        let rows = recent
            .into_iter()
            .filter_map(|r| {
                let food = foods.iter().find(|f| f.id == r.food_item_id)?;
                Some(ResultRow {
                    id: r.food_item_id,
                    detail: last_logged(&r, food),
                    name: r.food_name,
                    brand: r.brand,
                    mine: food.user_id.is_some(),
                    quick: Some(QuickLog {
                        serving_id: r
                            .nutrition_data_id
                            .map(|i| i.to_string())
                            .unwrap_or_default(),
                        // "+ 2 large", not "+ 2 servings": the serving's own word.
                        label: match food
                            .servings
                            .iter()
                            .find(|s| Some(s.id) == r.nutrition_data_id)
                        {
                            Some(s) if r.last_unit == "serving" => amount(
                                (r.last_quantity.decimal() * s.size.decimal()).normalize(),
                                short_unit(&s.unit),
                            ),
                            _ => amount(r.last_quantity, short_unit(&r.last_unit)),
                        },
                        quantity: r.last_quantity.to_string(),
                        unit: r.last_unit,
                    }),
                })
            })
            .collect();
        return Ok((rows, "add.recent"));
    }
    let search = Search::parse(Some(query), Some(15), None, None)?;
    let found = foods::search(&mut page.tx, &search).await?;
    // Typo tolerance's near misses are not "best matches": said so when nothing has every word
    // ("greek yogurt" listed plain yogurts under that heading).
    let q = sparky_core::food_search::Query::parse(query);
    let heading = match found.items.iter().all(|f| {
        sparky_core::food_search::Relevance::of(&q, &f.name, f.brand.as_deref(), None).tier
            == sparky_core::food_search::Tier::Near
    }) {
        true if !found.items.is_empty() => "add.near",
        _ => "add.results",
    };
    let rows = found
        .items
        .iter()
        .map(|f| ResultRow {
            id: f.id,
            name: f.name.clone(),
            brand: f.brand.clone(),
            detail: serving_detail(f),
            mine: f.user_id.is_some(),
            quick: None,
        })
        .collect();
    Ok((rows, heading))
}

/// What one tap on a recent food logs: the last entry's amount and kcal ("143 kcal · 2 × 1 large
/// (50 g)"); the row used to show the default serving's while the tap logged the last one.
fn last_logged(r: &diary::RecentFood, food: &Food) -> String {
    let serving = food
        .servings
        .iter()
        .find(|s| Some(s.id) == r.nutrition_data_id);
    let what = match serving {
        Some(s) if r.last_unit == "serving" => match r.last_quantity.decimal().normalize() {
            q if q == Decimal::ONE => s.description.clone(),
            q => format!("{q} × {}", s.description),
        },
        _ => amount(r.last_quantity, &r.last_unit),
    };
    let kcal_text = r
        .last_calories
        .map(|c| format!("{} kcal", kcal(c.to_f64())))
        .unwrap_or_else(|| "? kcal".into());
    format!("{kcal_text} · {what}")
}

/// A unit word short enough for a button ("medium (7" to 7-7/8" long)" → "medium").
fn short_unit(unit: &str) -> &str {
    unit.split(['(', ',']).next().unwrap_or(unit).trim()
}

/// "105 kcal per 1 medium (118 g)".
pub(super) fn serving_detail(food: &Food) -> String {
    food.servings
        .iter()
        .find(|s| s.is_default)
        .or(food.servings.first())
        .map(|s| {
            let kcal_text = s
                .nutrients
                .calories
                .map(|c| format!("{} kcal", kcal(Amount(c).to_f64())))
                .unwrap_or_else(|| "? kcal".into());
            format!("{kcal_text} · {}", s.description)
        })
        .unwrap_or_default()
}

async fn sheet(
    mut page: Page,
    PageQuery(p): PageQuery<SheetParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "today").await?;
    // Every tab writes into the diary shown: without a grant to log there, none is offered
    // (the copy tab and the picker were, and their forms were then refused).
    if !shell.may_log() {
        return Err(PageError::NotFound);
    }
    let v = sheet_view(&mut page, &shell, &p).await?;
    page.tx.commit().await?;
    let mut shell = shell;
    shell.title = shell.fill("add.title", &[("meal", &v.meal_name)]);
    Ok(if page.htmx {
        html(&SheetFragment { shell, v })
    } else {
        html(&SheetPage { shell, v })
    })
}

async fn search(
    mut page: Page,
    PageQuery(p): PageQuery<SheetParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "today").await?;
    if !shell.may_log() {
        return Err(PageError::NotFound);
    }
    let v = sheet_view(&mut page, &shell, &p).await?;
    page.tx.commit().await?;
    Ok(html(&ResultsFragment { shell, v }))
}

pub struct PickView {
    pub id: Uuid,
    pub name: String,
    pub brand: Option<String>,
    pub date: NaiveDate,
    pub meal: &'static str,
    pub meal_names: Vec<(&'static str, &'static str)>,
    /// The serving select: each serving, then grams and ounces when a serving is weighed.
    pub servings: Vec<ServingChoice>,
    /// The amount as typed (1 at first).
    pub quantity: String,
    /// Why the amount was refused, shown under it with the form kept.
    pub error: Option<String>,
    pub preview: String,
    /// The form's once-token: sending it again (a retry, a resubmitted page) logs nothing more.
    pub once: Uuid,
}

#[derive(Template)]
#[template(path = "partials/pick.html")]
struct PickFragment {
    shell: Shell,
    v: PickView,
}

#[derive(Template)]
#[template(path = "pages/pick.html")]
struct PickPage {
    shell: Shell,
    v: PickView,
}

/// One option of the picker's serving select.
pub struct ServingChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// What the serving select sent: a serving's id, or `g:{id}` / `oz:{id}` for an amount by
/// weight of that (weighed) serving.
pub(super) fn serving_choice(value: &str) -> Option<(Uuid, Option<&'static str>)> {
    let (unit, id) = match value.split_once(':') {
        Some(("g", id)) => (Some("g"), id),
        Some(("oz", id)) => (Some("oz"), id),
        Some(_) => return None,
        None => (None, value),
    };
    id.trim().parse().ok().map(|id| (id, unit))
}

/// The picker for `food`: `quantity` and `chosen` as typed (a refused form shows them again
/// with `error`).
pub(super) fn pick_view(
    t: &crate::i18n::Messages,
    food: &Food,
    date: NaiveDate,
    meal: MealType,
    quantity: &str,
    chosen: Option<&str>,
    error: Option<String>,
) -> PickView {
    let default = food
        .servings
        .iter()
        .find(|s| s.is_default)
        .or(food.servings.first());
    // Grams and ounces of a weighed serving (the default one when it is weighed): a food of
    // one's own had only its "½ cup (60 g)", so 45 g had to be worked out by hand.
    // A serving weighs something when it says so, or is itself a weight ("100 g").
    let weighs = |s: &&sparky_app::foods::ServingOut| {
        s.weight_g.is_some()
            || sparky_core::units::Unit::parse(&s.unit)
                .is_ok_and(|u| u.dimension() == sparky_core::units::Dimension::Mass)
    };
    let weighed = default
        .filter(weighs)
        .or_else(|| food.servings.iter().find(weighs));
    let mut servings: Vec<ServingChoice> = food
        .servings
        .iter()
        .map(|s| ServingChoice {
            value: s.id.to_string(),
            label: s.description.clone(),
            selected: false,
        })
        .collect();
    if let Some(w) = weighed {
        for unit in ["g", "oz"] {
            servings.push(ServingChoice {
                value: format!("{unit}:{}", w.id),
                label: t.get(&format!("add.by_{unit}")).to_string(),
                selected: false,
            });
        }
    }
    let picked = chosen
        .and_then(|c| servings.iter().position(|s| s.value == c))
        .or_else(|| {
            default.and_then(|d| servings.iter().position(|s| s.value == d.id.to_string()))
        });
    if let Some(i) = picked {
        servings[i].selected = true;
    }
    let preview = picked
        .and_then(|i| serving_choice(&servings[i].value))
        .and_then(|(id, unit)| {
            let s = food.servings.iter().find(|s| s.id == id)?;
            let q = super::forms::decimal(quantity).ok().flatten()?;
            portion_nutrients(s, q, unit.unwrap_or("serving"))
        })
        .or_else(|| default.map(|s| s.nutrients.clone()))
        .map(|n| preview_html(t, &n))
        .unwrap_or_default();
    PickView {
        id: food.id,
        name: food.name.clone(),
        brand: food.brand.clone(),
        date,
        meal: meal.as_str(),
        meal_names: MealType::ALL
            .iter()
            .map(|m| (m.as_str(), t.get(&format!("meal.{}", m.as_str()))))
            .collect(),
        servings,
        quantity: quantity.to_string(),
        error,
        preview,
        once: Uuid::new_v4(),
    }
}

/// The nutrients of `quantity` `unit` of a serving, if that can be worked out.
fn portion_nutrients(
    s: &sparky_app::foods::ServingOut,
    quantity: Decimal,
    unit: &str,
) -> Option<Nutrients> {
    if quantity <= Decimal::ZERO {
        return None;
    }
    let serving = Serving {
        size: s.size.decimal(),
        unit: s.unit.clone(),
        weight_g: s.weight_g.map(Amount::decimal),
        nutrients: s.nutrients.clone(),
    };
    servings_in(quantity, unit, &serving)
        .and_then(|(count, _)| nutrients_of_servings(count, &serving))
        .ok()
}

async fn pick(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<SheetParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "today").await?;
    if !shell.may_log() {
        return Err(PageError::NotFound);
    }
    let food = foods::get(&mut page.tx, id).await?;
    let today = sparky_app::days::today(&mut page.tx, page.acting).await?;
    page.tx.commit().await?;
    let v = pick_view(
        &shell.t,
        &food,
        p.date.unwrap_or(today),
        meal_or_now(p.meal.as_deref(), &shell.units.timezone),
        "1",
        None,
        None,
    );
    let mut shell = shell;
    shell.title = food.name;
    Ok(if page.htmx {
        html(&PickFragment { shell, v })
    } else {
        html(&PickPage { shell, v })
    })
}

/// The picker again, refused: what was typed, and why (a 422 page of its own, not the bare
/// error page that lost the food and the amount).
pub(super) fn pick_refused(shell: Shell, v: PickView) -> Response {
    let mut shell = shell;
    shell.title = v.name.clone();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        html(&PickPage { shell, v }),
    )
        .into_response()
}

/// Four numbers: kcal, protein, carbohydrates, fat.
fn preview_html(t: &crate::i18n::Messages, n: &Nutrients) -> String {
    let v = |d: Option<Decimal>| d.map(|d| Amount(d).to_f64());
    let cell = |value: Option<f64>, unit: &str, key: &str, places: usize| {
        format!(
            "<div><b class=\"num\">{}</b><span>{} {}</span></div>",
            value
                .map(|x| number(x, places))
                .unwrap_or_else(|| "–".into()),
            t.get(key),
            unit
        )
    };
    format!(
        "<div class=\"preview\">{}{}{}{}</div>",
        cell(
            v(n.calories).map(f64::round),
            "kcal",
            "nutrient.calories",
            0
        ),
        cell(v(n.protein), "g", "nutrient.protein", 1),
        cell(v(n.carbohydrates), "g", "nutrient.carbohydrates", 1),
        cell(v(n.fat), "g", "nutrient.fat", 1),
    )
}

#[derive(Deserialize)]
pub struct PreviewParams {
    food_item_id: Uuid,
    serving_id: Option<String>,
    quantity: Option<String>,
}

async fn preview(
    mut page: Page,
    PageQuery(p): PageQuery<PreviewParams>,
) -> Result<Response, PageError> {
    let food = foods::get(&mut page.tx, p.food_item_id).await?;
    page.tx.commit().await?;
    let chosen = p.serving_id.as_deref().and_then(serving_choice);
    let serving = food
        .servings
        .iter()
        .find(|s| Some(s.id) == chosen.map(|c| c.0))
        .or(food.servings.iter().find(|s| s.is_default))
        .ok_or(PageError::NotFound)?;
    let unit = chosen.and_then(|c| c.1).unwrap_or("serving");
    let quantity = p
        .quantity
        .as_deref()
        .and_then(|q| super::forms::decimal(q).ok().flatten())
        .filter(|q| *q > Decimal::ZERO);
    let t = page.t;
    let body = match quantity {
        Some(q) => portion_nutrients(serving, q, unit)
            .map(|n| preview_html(&t, &n))
            .unwrap_or_default(),
        None => format!(
            "<p class=\"form-error\">{}</p>",
            t.get("add.amount_invalid")
        ),
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response())
}
