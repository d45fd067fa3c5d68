//! The add-food sheet: search as you type (recent foods first, one tap to log one again), a
//! serving picker with a live preview, quick add, creating a food, barcodes and copying a meal.
//! With htmx these are fragments in the sheet; without it, pages of their own.

use crate::pages::PageQuery;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::custom_nutrients;
use sparky_app::diary;
use sparky_app::foods::{self, Food, Search};
use sparky_core::{Amount, MealType};
use uuid::Uuid;

use super::food_custom::CustomTyped;
use super::format::{amount, day_label, kcal};
use super::{food_create, food_pick, food_writes};
use super::{html, Page, PageError, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/add", get(sheet))
        .route("/add/search", get(search))
        .route("/add/food/{id}", get(food_pick::pick))
        .route("/add/preview", get(food_pick::preview))
        .route("/add/log", post(food_writes::log))
        .route("/add/quick", post(food_writes::quick))
        .route("/add/create", post(food_create::create))
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

impl SheetView {
    /// "Add to Lunch", or for the copy tab "Copy to Sat 5 Dec".
    pub fn title(&self, shell: &Shell) -> String {
        if self.tab == "copy" {
            shell.fill("add.copy_to", &[("day", &self.date_label)])
        } else {
            shell.fill("add.title", &[("meal", &self.meal_name)])
        }
    }
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
    /// The user's custom nutrients, one input each (none when they defined none).
    pub custom: Vec<CustomTyped>,
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
            custom: Vec::new(),
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
    shell.title = v.title(&shell);
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
    let date = super::page_date("date", p.date, today)?;
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
    let mut create = CreateTyped::blank(p.code.as_deref().unwrap_or_default());
    if tab == "create" {
        // The new food is the user's own whoever's diary is shown: their nutrients.
        let defined = custom_nutrients::list(&mut page.tx, sparky_app::Acting::ME).await?;
        create.custom = CustomTyped::stored(&defined, None);
    }
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
        results_heading: if results_heading.is_empty() {
            ""
        } else {
            t.get(results_heading)
        },
        scanner: crate::assets::url("vendor/zxing.min.js"),
        once: Uuid::new_v4(),
        create,
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
        sparky_core::food_search::Relevance::of(&q, &f.name, f.brand.as_deref()).tier
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
    shell.title = v.title(&shell);
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
