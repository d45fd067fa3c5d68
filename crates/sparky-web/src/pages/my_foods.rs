//! My foods: the foods a user made (or a family member shares), searchable, each with a page
//! to change its name, brand, barcode and default serving, or to delete it. Catalog foods get
//! the same page read-only, with every serving's nutrients.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sparky_app::custom_nutrients::{self, CustomNutrient};
use sparky_app::foods::{self, Food, Search};
use sparky_app::Acting;
use sparky_core::AccessType;
use uuid::Uuid;

use super::confirm::{ask, ConfirmForm, Loss};
use super::food::{serving_detail, CreateTyped};
use super::food_create::typed_food;
use super::food_custom::{self, CustomTyped};
use super::format::{kcal, number};
use super::{html, redirect, Page, PageError, PageForm, PagePath, PageQuery, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/foods", get(list))
        .route("/foods/{id}", get(detail).post(save))
        .route("/foods/{id}/delete", post(delete))
}

/// Foods shown on one page of the list.
const PAGE_SIZE: i64 = 50;

pub struct FoodRow {
    pub href: String,
    pub name: String,
    pub brand: Option<String>,
    pub detail: String,
    pub recipe: bool,
}

pub struct ListView {
    /// Whether the shown person's foods may be read (always one's own).
    pub shared: bool,
    pub q: String,
    pub rows: Vec<FoodRow>,
    /// The next page's address, when there is one.
    pub next: Option<String>,
    /// Whether this is a later page (a link back to the first).
    pub later: bool,
    /// The first page of this search.
    pub first: String,
}

#[derive(Template)]
#[template(path = "pages/foods.html")]
struct ListPage {
    shell: Shell,
    v: ListView,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    q: Option<String>,
    cursor: Option<String>,
}

async fn list(mut page: Page, PageQuery(p): PageQuery<ListParams>) -> Result<Response, PageError> {
    let mut shell = page.shell("", "more").await?;
    let shared = shell.viewing.is_none() || shell.may(AccessType::FoodList);
    let q = p.q.unwrap_or_default();
    let mut v = ListView {
        shared,
        q: q.clone(),
        rows: Vec::new(),
        next: None,
        later: p.cursor.is_some(),
        first: format!("/foods?{}", query_of(&[("q", &q)])),
    };
    if shared {
        let whose = shell
            .viewing
            .as_ref()
            .map(|v| v.user_id)
            .unwrap_or(shell.user_id);
        let search = Search::parse(Some(&q), Some(PAGE_SIZE), p.cursor.as_deref(), Some(whose))?;
        let found = foods::search(&mut page.tx, &search).await?;
        v.rows = found
            .items
            .iter()
            .map(|f| {
                let recipe = f.source.as_deref() == Some(sparky_app::recipes::SOURCE);
                FoodRow {
                    href: if recipe {
                        format!("/recipes/{}", f.id)
                    } else {
                        format!("/foods/{}", f.id)
                    },
                    name: f.name.clone(),
                    brand: f.brand.clone(),
                    detail: serving_detail(f),
                    recipe,
                }
            })
            .collect();
        v.next = found
            .next_cursor
            .map(|c| format!("/foods?{}", query_of(&[("q", &q), ("cursor", &c)])));
    }
    page.tx.commit().await?;
    shell.title = shell.whose("foods.title", "foods.title_of");
    Ok(html(&ListPage { shell, v }))
}

fn query_of(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// One serving as the page lists it.
pub struct ServingRow {
    pub description: String,
    pub default: bool,
    /// "105 kcal · P 1.3 g · C 27 g · F 0.4 g".
    pub numbers: String,
    /// Its custom nutrients the user defined: "Caffeine 95 mg · Omega-3 1.2 g" (empty for
    /// none).
    pub custom: String,
}

pub struct DetailView {
    pub id: Uuid,
    pub name: String,
    pub brand: Option<String>,
    /// The signed-in user's own food: the form and Delete are shown.
    pub editable: bool,
    pub servings: Vec<ServingRow>,
    /// Servings other than the default, which the form leaves as they are.
    pub others: usize,
    pub typed: CreateTyped,
    pub saved: bool,
}

/// The custom nutrients a food page shows and its form has inputs for: the signed-in user's
/// own (amounts are kept by name, so a food shared with them reads by the names they track,
/// as their diary will).
async fn defined(page: &mut Page) -> Result<Vec<CustomNutrient>, PageError> {
    Ok(custom_nutrients::list(&mut page.tx, Acting::ME).await?)
}

#[derive(Template)]
#[template(path = "pages/food.html")]
struct DetailPage {
    shell: Shell,
    v: DetailView,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailParams {
    saved: Option<String>,
}

async fn detail(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<DetailParams>,
) -> Result<Response, PageError> {
    let food = foods::get(&mut page.tx, id).await?;
    if food.source.as_deref() == Some(sparky_app::recipes::SOURCE) {
        return Ok(redirect(&format!("/recipes/{id}")));
    }
    let shell = page.shell("", "more").await?;
    let defined = defined(&mut page).await?;
    page.tx.commit().await?;
    let typed = typed_of(&food, &defined);
    let v = detail_view(&shell, &food, &defined, typed, p.saved.is_some());
    Ok(render(shell, v, StatusCode::OK))
}

fn render(mut shell: Shell, v: DetailView, status: StatusCode) -> Response {
    shell.title = v.name.clone();
    let mut r = html(&DetailPage { shell, v });
    *r.status_mut() = status;
    r
}

fn detail_view(
    shell: &Shell,
    food: &Food,
    defined: &[CustomNutrient],
    typed: CreateTyped,
    saved: bool,
) -> DetailView {
    let t = &shell.t;
    let gram = |v: Option<rust_decimal::Decimal>| {
        v.map(|v| number(sparky_core::Amount(v).to_f64(), 1))
            .unwrap_or_else(|| "?".into())
    };
    DetailView {
        id: food.id,
        name: food.name.clone(),
        brand: food.brand.clone(),
        editable: food.user_id == Some(shell.user_id),
        servings: food
            .servings
            .iter()
            .map(|s| {
                let n = &s.nutrients;
                ServingRow {
                    description: s.description.clone(),
                    default: s.is_default,
                    numbers: format!(
                        "{} kcal · {} {} g · {} {} g · {} {} g",
                        n.calories
                            .map(|c| kcal(sparky_core::Amount(c).to_f64()))
                            .unwrap_or_else(|| "?".into()),
                        t.get("nutrient.protein"),
                        gram(n.protein),
                        t.get("nutrient.carbohydrates"),
                        gram(n.carbohydrates),
                        t.get("nutrient.fat"),
                        gram(n.fat),
                    ),
                    custom: food_custom::shown(defined, &s.custom_nutrients)
                        .into_iter()
                        .map(|(name, amount)| format!("{name} {amount}"))
                        .collect::<Vec<_>>()
                        .join(" · "),
                }
            })
            .collect(),
        others: food.servings.iter().filter(|s| !s.is_default).count(),
        typed,
        saved,
    }
}

/// The form filled with the food's name and default serving.
fn typed_of(food: &Food, defined: &[CustomNutrient]) -> CreateTyped {
    let mut typed = CreateTyped::blank(food.barcode.as_deref().unwrap_or_default());
    typed.name = food.name.clone();
    typed.brand = food.brand.clone().unwrap_or_default();
    if let Some(s) = food.servings.iter().find(|s| s.is_default) {
        let text = |v: Option<rust_decimal::Decimal>| {
            v.map(|v| v.normalize().to_string()).unwrap_or_default()
        };
        let n = &s.nutrients;
        typed.size = s.size.decimal().normalize().to_string();
        typed.unit = s.unit.clone();
        typed.weight_g = text(s.weight_g.map(|w| w.decimal()));
        typed.calories = text(n.calories);
        typed.protein = text(n.protein);
        typed.carbohydrates = text(n.carbohydrates);
        typed.fat = text(n.fat);
        typed.fiber = text(n.fiber);
        typed.sugar = text(n.sugar);
        typed.sodium = text(n.sodium);
    }
    let default = food.servings.iter().find(|s| s.is_default);
    typed.custom = CustomTyped::stored(defined, default.map(|s| &s.custom_nutrients));
    typed
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    brand: String,
    #[serde(default)]
    barcode: String,
    #[serde(default)]
    size: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    weight_g: String,
    #[serde(default)]
    calories: String,
    #[serde(default)]
    protein: String,
    #[serde(default)]
    carbohydrates: String,
    #[serde(default)]
    fat: String,
    #[serde(default)]
    fiber: String,
    #[serde(default)]
    sugar: String,
    #[serde(default)]
    sodium: String,
    /// The custom nutrients' inputs (`custom_{id}`, see `food_custom.rs`) and the rest.
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

async fn save(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<EditForm>,
) -> Result<Response, PageError> {
    let food = foods::get(&mut page.tx, id).await?;
    let defined = defined(&mut page).await?;
    let mut typed = CreateTyped {
        name: form.name,
        brand: form.brand,
        barcode: form.barcode,
        size: form.size,
        unit: form.unit,
        weight_g: form.weight_g,
        calories: form.calories,
        protein: form.protein,
        carbohydrates: form.carbohydrates,
        fat: form.fat,
        fiber: form.fiber,
        sugar: form.sugar,
        sodium: form.sodium,
        custom: CustomTyped::sent(&defined, &form.rest),
        error: None,
    };
    match typed_food(&page.t, &typed, Some(&food)) {
        Ok(input) => {
            foods::update(&mut page.tx, id, &input).await?;
            page.tx.commit().await?;
            Ok(redirect(&format!("/foods/{id}?saved=1")))
        }
        Err(why) => {
            // The form again with what was typed and why (nothing is changed).
            typed.error = Some(why);
            let shell = page.shell("", "more").await?;
            let v = detail_view(&shell, &food, &defined, typed, false);
            Ok(render(shell, v, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

async fn delete(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let name = foods::get(&mut page.tx, id).await?.name;
        let (action, back) = (format!("/foods/{id}/delete"), format!("/foods/{id}"));
        return ask(page, Loss::Food, &name, action, back).await;
    }
    foods::delete(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect("/foods"))
}
