//! A meal plan template's items: find a food (the add-food sheet's search: recent foods
//! first, then the catalog and your foods), pick its serving, amount, meal and weekday, add
//! it; remove items.

use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sparky_app::foods::{self, Search};
use sparky_app::meal_plans::{self, ItemInput};
use sparky_core::{Amount, MealType};
use uuid::Uuid;

use super::food::serving_detail;
use super::form_errors::FormErrors;
use super::plans::{render_detail, DetailParams, Typed};
use super::{html, redirect, Page, PageError, PageForm, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans/{id}/search", get(search))
        .route("/plans/{id}/items", post(add))
        .route("/plans/{id}/items/{item}/delete", post(remove))
}

/// Foods a search shows.
const RESULTS: i64 = 12;

pub struct FoodRow {
    pub id: Uuid,
    pub name: String,
    pub brand: Option<String>,
    pub detail: String,
}

pub struct Picked {
    pub id: Uuid,
    pub name: String,
    /// (id, description, default)
    pub servings: Vec<(Uuid, String, bool)>,
}

pub struct SearchView {
    /// The page the search belongs to (`/plans/{id}`, `/recipes/{id}`): a result links to it
    /// with `?food=`.
    pub base_path: String,
    pub q: String,
    pub results: Vec<FoodRow>,
    pub heading: &'static str,
    pub picked: Option<Picked>,
    pub quantity: String,
    pub meal_names: Vec<(&'static str, &'static str)>,
    pub weekdays: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "partials/plan_foods.html")]
pub struct ResultsFragment {
    pub shell: Shell,
    pub s: SearchView,
}

/// The food search and, once a food is picked, its item form (meal plans and recipes).
pub async fn search_view(
    page: &mut Page,
    shell: &Shell,
    base_path: String,
    p: &DetailParams,
    quantity: Option<String>,
) -> Result<SearchView, PageError> {
    let t = &shell.t;
    let q = p.q.clone().unwrap_or_default();
    // Only the template's owner adds foods (someone else's recent foods may not be shared).
    let (results, heading) = if shell.viewing.is_some() {
        (Vec::new(), "add.results")
    } else if q.trim().is_empty() {
        let recent = sparky_app::diary::recent(&mut page.tx, page.acting, RESULTS).await?;
        let ids: Vec<Uuid> = recent.iter().map(|r| r.food_item_id).collect();
        let found = foods::load(&mut page.tx, &ids).await?;
        (found, "add.recent_plain")
    } else {
        let s = Search::parse(Some(&q), Some(RESULTS), None, None)?;
        (foods::search(&mut page.tx, &s).await?.items, "add.results")
    };
    let picked = match p.food.filter(|_| shell.viewing.is_none()) {
        Some(id) => {
            let f = foods::get(&mut page.tx, id).await?;
            Some(Picked {
                id: f.id,
                name: f.name.clone(),
                servings: f
                    .servings
                    .iter()
                    .map(|s| (s.id, s.description.clone(), s.is_default))
                    .collect(),
            })
        }
        None => None,
    };
    Ok(SearchView {
        base_path,
        q,
        results: results
            .iter()
            .map(|f| FoodRow {
                id: f.id,
                name: f.name.clone(),
                brand: f.brand.clone(),
                detail: serving_detail(f),
            })
            .collect(),
        heading: t.get(heading),
        picked,
        quantity: quantity.unwrap_or_else(|| "1".into()),
        meal_names: MealType::ALL
            .iter()
            .map(|m| (m.as_str(), t.get(&format!("meal.{}", m.as_str()))))
            .collect(),
        weekdays: (0..7)
            .map(|d| (d.to_string(), t.get(&format!("goals.weekday_short.{d}"))))
            .collect(),
    })
}

async fn search(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<DetailParams>,
) -> Result<Response, PageError> {
    // Someone else's (or no) plan is the 404 it is everywhere else.
    sparky_app::meal_plans::ensure_template_visible(&mut page.tx, id).await?;
    let shell = page.shell("", "more").await?;
    let s = search_view(&mut page, &shell, format!("/plans/{id}"), &p, None).await?;
    page.tx.commit().await?;
    Ok(html(&ResultsFragment { shell, s }))
}

#[derive(Deserialize)]
pub struct ItemForm {
    food_item_id: Uuid,
    serving_id: Option<String>,
    quantity: String,
    meal: String,
    /// One day of the week (forms from before the days were boxes to tick).
    day: Option<String>,
    /// The days of the week ticked (`day_0` is Monday): one item each; none is every day.
    #[serde(flatten)]
    days: std::collections::BTreeMap<String, String>,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

async fn add(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ItemForm>,
) -> Result<Response, PageError> {
    let mut errors = FormErrors::new();
    // "45 g" or "2 cups" as well as a number of the serving picked.
    let quantity = match super::forms::amount_with_unit(&form.quantity) {
        Ok(Some(q)) => Some(q),
        _ => {
            errors.add("quantity", page.t.get("add.amount_invalid"));
            None
        }
    };
    let meal =
        MealType::parse(&form.meal).map_err(|e| PageError::invalid("meal", e.to_string()))?;
    let mut days_of_week: Vec<Option<i64>> = (0..7)
        .filter(|d| form.days.contains_key(&format!("day_{d}")))
        .map(Some)
        .collect();
    match form.day.as_deref().map(str::trim) {
        None | Some("") => {}
        Some(d) => days_of_week
            .push(Some(d.parse::<i64>().map_err(|_| {
                PageError::invalid("day", "must be a day of the week")
            })?)),
    }
    days_of_week.dedup();
    if days_of_week.is_empty() {
        days_of_week.push(None);
    }
    if let Some((q, unit)) = quantity {
        // The same item on each day ticked (each checked as the API checks it).
        let items: Result<Vec<_>, _> = days_of_week
            .iter()
            .map(|day| {
                ItemInput {
                    food_item_id: form.food_item_id,
                    nutrition_data_id: form
                        .serving_id
                        .as_deref()
                        .filter(|s| !s.is_empty())
                        .and_then(|s| s.parse().ok()),
                    quantity: Amount(q),
                    unit: unit.clone(),
                    meal_type: meal,
                    day_of_week: *day,
                    sort_order: None,
                }
                .parse()
            })
            .collect();
        let result = match items {
            Ok(items) => {
                if !super::once::first_send(&mut page.tx, "plan-item", form.once.as_deref()).await?
                {
                    return Ok(redirect(&format!("/plans/{id}")));
                }
                // All of them or none: one transaction, left uncommitted on a refusal.
                let mut added = Ok(());
                for item in &items {
                    if let Err(e) = meal_plans::add_item(&mut page.tx, id, item).await {
                        added = Err(e);
                        break;
                    }
                }
                added
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(_) => {
                page.tx.commit().await?;
                return Ok(redirect(&format!("/plans/{id}")));
            }
            Err(e) => {
                errors = FormErrors::from_app(
                    e,
                    &[("meal_plan_template_id", "quantity"), ("unit", "quantity")],
                )?
            }
        }
    }
    let p = DetailParams {
        food: Some(form.food_item_id),
        ..DetailParams::default()
    };
    let typed = Typed {
        quantity: Some(form.quantity.clone()),
        errors,
        ..Typed::default()
    };
    render_detail(&mut page, id, &p, typed).await
}

#[derive(Deserialize)]
pub struct Empty {}

async fn remove(
    mut page: Page,
    PagePath((id, item)): PagePath<(Uuid, Uuid)>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    meal_plans::delete_item(&mut page.tx, id, item).await?;
    page.tx.commit().await?;
    Ok(redirect(&format!("/plans/{id}")))
}
