//! A recipe's changes from its page: name and servings, ingredients added (searched for),
//! changed and removed. Refused input is shown again at its field on the recipe's page.

use axum::response::Response;
use serde::Deserialize;
use sparky_app::recipes::{self, Details, IngredientInput};
use sparky_core::Amount;
use uuid::Uuid;

use super::recipes::{render_detail, Typed};
use crate::pages::form_errors::{decimal, FormErrors};
use crate::pages::once;
use crate::pages::plan_items::{search_view, ResultsFragment};
use crate::pages::plans::DetailParams;
use crate::pages::{html, redirect, Page, PageError, PageForm, PagePath, PageQuery};

pub(super) async fn search(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<DetailParams>,
) -> Result<Response, PageError> {
    // Someone else's (or no) recipe is the 404 it is everywhere else.
    recipes::ensure_visible(&mut page.tx, id).await?;
    let shell = page.shell("", "more").await?;
    let s = search_view(&mut page, &shell, format!("/recipes/{id}"), &p, None).await?;
    Ok(html(&ResultsFragment { shell, s }))
}

#[derive(Deserialize)]
pub struct DetailsForm {
    name: String,
    servings: String,
    cooked_weight_g: Option<String>,
}

pub(super) async fn save(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<DetailsForm>,
) -> Result<Response, PageError> {
    let cooked_text = form.cooked_weight_g.clone().unwrap_or_default();
    let mut typed = Typed {
        name: Some(form.name.clone()),
        servings: Some(form.servings.clone()),
        cooked: Some(cooked_text.clone()),
        ..Typed::default()
    };
    let servings = decimal(&form.servings).ok().flatten();
    let cooked = decimal(&cooked_text);
    if servings.is_none() {
        typed
            .errors
            .add("servings", page.t.get("recipes.servings_invalid"));
    }
    if cooked.is_err() {
        typed
            .errors
            .add("cooked_weight_g", page.t.get("form.not_a_number"));
    }
    if let (Some(servings), Ok(cooked)) = (servings, cooked) {
        let result = match Details::parse(&form.name, Amount(servings), cooked.map(Amount)) {
            Ok(d) => recipes::set_details(&mut page.tx, id, &d).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(_) => {
                page.tx.commit().await?;
                return Ok(redirect(&format!("/recipes/{id}")));
            }
            Err(e) => typed.errors = FormErrors::from_app(e, &[])?,
        }
    }
    render_detail(&mut page, id, &DetailParams::default(), typed).await
}

#[derive(Deserialize)]
pub struct IngredientForm {
    food_item_id: Uuid,
    serving_id: Option<String>,
    quantity: String,
    /// The form's once-token ([`Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

pub(super) async fn add(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<IngredientForm>,
) -> Result<Response, PageError> {
    let mut errors = FormErrors::new();
    // "45 g" or "2 cups" as well as a number of the serving picked.
    match super::forms::amount_with_unit(&form.quantity) {
        Ok(Some((q, unit))) => {
            let input = IngredientInput {
                food_item_id: form.food_item_id,
                nutrition_data_id: form
                    .serving_id
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .and_then(|s| s.parse().ok()),
                quantity: Amount(q),
                unit,
            };
            let result = match input.parse() {
                Ok(ing) => {
                    let once = form.once.as_deref();
                    if !once::first_send(&mut page.tx, "ingredient", once).await? {
                        return Ok(redirect(&format!("/recipes/{id}")));
                    }
                    recipes::add_ingredient(&mut page.tx, id, &ing).await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => {
                    page.tx.commit().await?;
                    return Ok(redirect(&format!("/recipes/{id}")));
                }
                Err(e) => {
                    errors = FormErrors::from_app(
                        e,
                        &[
                            ("unit", "quantity"),
                            ("nutrition_data_id", "quantity"),
                            ("food_item_id", "quantity"),
                        ],
                    )?
                }
            }
        }
        _ => errors.add("quantity", page.t.get("add.amount_invalid")),
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
pub struct AmountForm {
    quantity: String,
    /// Any unit the API takes (g, oz, cup, serving, the serving's own word…); empty keeps the
    /// ingredient's unit.
    #[serde(default)]
    unit: String,
}

/// Changes an ingredient's amount and, when another one is typed, its unit; a refusal is shown
/// in the ingredient's own form with what was typed.
pub(super) async fn change(
    mut page: Page,
    PagePath((id, ingredient)): PagePath<(Uuid, Uuid)>,
    PageForm(form): PageForm<AmountForm>,
) -> Result<Response, PageError> {
    let r = recipes::get(&mut page.tx, id).await?;
    let Some(current) = r.ingredients.iter().find(|i| i.id == ingredient) else {
        return Err(sparky_app::AppError::NotFound("recipe ingredient").into());
    };
    let unit = match form.unit.trim() {
        "" => current.unit.clone(),
        typed => typed.to_string(),
    };
    let mut errors = FormErrors::new();
    match (decimal(&form.quantity), current.food_item_id) {
        (Ok(Some(q)), Some(food)) => {
            let input = IngredientInput {
                food_item_id: food,
                // Another unit may belong to another serving ("slice"): let it be chosen again.
                nutrition_data_id: current.nutrition_data_id.filter(|_| unit == current.unit),
                quantity: Amount(q),
                unit: Some(unit.clone()),
            };
            let result = match input.parse() {
                Ok(ing) => recipes::update_ingredient(&mut page.tx, id, ingredient, &ing).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => {
                    page.tx.commit().await?;
                    return Ok(redirect(&format!("/recipes/{id}")));
                }
                Err(e) => {
                    errors = FormErrors::from_app(
                        e,
                        &[
                            ("unit", "ingredient"),
                            ("quantity", "ingredient"),
                            ("nutrition_data_id", "ingredient"),
                            ("food_item_id", "ingredient"),
                        ],
                    )?
                }
            }
        }
        _ => errors.add("ingredient", page.t.get("add.amount_invalid")),
    }
    let typed = Typed {
        ingredient: Some((ingredient, form.quantity.clone(), unit)),
        errors,
        ..Typed::default()
    };
    render_detail(&mut page, id, &DetailParams::default(), typed).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub(super) async fn remove(
    mut page: Page,
    PagePath((id, ingredient)): PagePath<(Uuid, Uuid)>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    recipes::remove_ingredient(&mut page.tx, id, ingredient).await?;
    page.tx.commit().await?;
    Ok(redirect(&format!("/recipes/{id}")))
}
