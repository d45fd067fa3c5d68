//! Settings → Custom nutrients, a card of the settings page: the nutrients a user tracks beyond
//! the built-in ones (caffeine, omega-3, ...), each with its unit; define one, rename it or
//! change its unit, delete it after asking. The rules (names, units, the most one may have)
//! are `sparky_app::custom_nutrients`'s; a refusal is said at the form's inputs and changes
//! nothing.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use sparky_app::custom_nutrients::{
    self, CustomNutrient, CustomNutrientInput, MAX_CUSTOM_NUTRIENTS, UNITS,
};
use sparky_app::{Acting, AppError};
use sparky_db::UserTx;
use uuid::Uuid;

use super::super::confirm::{ask, ConfirmForm, Loss};
use super::super::forms::{Errors, Opt};
use super::super::{html, redirect, Page, PageError, PageForm, PagePath};
use super::{current, render, settings_shell};
use crate::i18n::Messages;
use crate::AppState;

/// The card's anchor: answers lead back to it.
const CARD: &str = "custom-nutrients";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/custom-nutrients", post(add))
        .route("/settings/custom-nutrients/{id}", post(save))
        .route("/settings/custom-nutrients/{id}/delete", post(delete))
}

/// One custom nutrient with its form to rename it or change its unit.
pub struct NutrientRow {
    pub id: Uuid,
    pub name: String,
    pub unit: String,
    /// The form's name: as typed into a refused one, else the stored name.
    pub typed_name: String,
    pub units: Vec<Opt>,
    pub errors: Errors,
}

/// The Custom nutrients card.
#[derive(Default)]
pub struct NutrientsCard {
    pub rows: Vec<NutrientRow>,
    /// The add form: as typed into a refused one, else blank.
    pub name: String,
    pub units: Vec<Opt>,
    pub errors: Errors,
    /// At the most one may define: no add form, a word instead.
    pub full: bool,
    /// The most one may define.
    pub max: String,
    /// What was just done (a message key).
    pub notice: Option<&'static str>,
}

/// A refused form of the card, with what was typed into it.
pub enum Refused {
    Add {
        name: String,
        unit: String,
        errors: Errors,
    },
    Edit {
        id: Uuid,
        name: String,
        unit: String,
        errors: Errors,
    },
}

fn unit_options(current: &str) -> Vec<Opt> {
    let current = custom_nutrients::parse_unit(current).unwrap_or_default();
    UNITS.iter().map(|u| Opt::new(u, *u, current)).collect()
}

/// The card: the user's custom nutrients, a refused form as it was typed, and the notice of
/// `done` (`added`, `saved`, `deleted`). A refused edit of a nutrient that is not the user's
/// is the 404 it would be.
pub async fn card(
    tx: &mut UserTx,
    refused: Option<Refused>,
    done: Option<&str>,
) -> Result<NutrientsCard, PageError> {
    let list = custom_nutrients::list(tx, Acting::ME).await?;
    let mut card = NutrientsCard {
        full: list.len() as i64 >= MAX_CUSTOM_NUTRIENTS,
        max: MAX_CUSTOM_NUTRIENTS.to_string(),
        units: unit_options("mg"),
        notice: match done {
            Some("added") => Some("settings.nutrient_added"),
            Some("saved") => Some("settings.nutrient_saved"),
            Some("deleted") => Some("settings.nutrient_deleted"),
            _ => None,
        },
        ..NutrientsCard::default()
    };
    card.rows = list
        .into_iter()
        .map(|n| NutrientRow {
            id: n.id,
            typed_name: n.name.clone(),
            units: unit_options(&n.unit),
            name: n.name,
            unit: n.unit,
            errors: Errors::default(),
        })
        .collect();
    match refused {
        None => {}
        Some(Refused::Add { name, unit, errors }) => {
            // A refused add is shown even when the card is full: it says why.
            card.full = false;
            card.name = name;
            card.units = unit_options(&unit);
            card.errors = errors;
        }
        Some(Refused::Edit {
            id,
            name,
            unit,
            errors,
        }) => {
            let row = card
                .rows
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or(PageError::NotFound)?;
            row.typed_name = name;
            row.units = unit_options(&unit);
            row.errors = errors;
        }
    }
    Ok(card)
}

/// The settings page again with a refused form of the card (422). The transaction is not
/// committed, so nothing changes (nor is the form's once-token kept).
async fn again(mut page: Page, refused: Refused) -> Result<Response, PageError> {
    let t = page.t;
    let shell = settings_shell(&mut page, t.get("settings.title")).await?;
    let (p, prefs) = current(&mut page, &shell).await?;
    let nutrients = card(&mut page.tx, Some(refused), None).await?;
    let mut view = render(shell, p, prefs, Errors::default(), false);
    view.nutrients = nutrients;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

/// The card's refusal in the catalog's words, by input; any other failure stays an error page.
/// `counted`: the input was read, so a refused name is the most one may have.
fn refusal(t: &Messages, e: AppError, counted: bool) -> Result<Errors, PageError> {
    match e {
        AppError::Conflict(_) => Ok(Errors::one("name", t.get("settings.err.nutrient_taken"))),
        AppError::Invalid(fields) => {
            let mut errors = Errors::default();
            for (field, problem) in fields.0 {
                let (input, text) = match field.as_str() {
                    "unit" => ("unit", t.get("settings.err.nutrient_unit").to_string()),
                    "name" if counted => (
                        "name",
                        t.fill(
                            "settings.err.nutrient_limit",
                            &[("max", &MAX_CUSTOM_NUTRIENTS.to_string())],
                        ),
                    ),
                    "name" => ("name", t.get("settings.err.nutrient_name").to_string()),
                    // Not an input of the card (the daily range it keeps): said as the
                    // application says it, at the name so it is seen.
                    _ => ("name", format!("{field}: {problem}")),
                };
                errors.0.insert(input.into(), text);
            }
            Ok(errors)
        }
        other => Err(other.into()),
    }
}

fn done(what: &str) -> Response {
    redirect(&format!("/settings?nutrient={what}#{CARD}"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NutrientForm {
    name: String,
    unit: String,
    /// The add form's once-token ([`crate::pages::Shell::once`]): sent twice, it adds one
    /// nutrient, not one and an "already have one" refusal.
    #[serde(rename = "_once")]
    once: Option<String>,
}

impl NutrientForm {
    /// The input of the form's name and unit, with the daily range of `kept` (the card does
    /// not show it; an update without it would remove it).
    fn input(&self, kept: Option<&CustomNutrient>) -> CustomNutrientInput {
        CustomNutrientInput {
            name: self.name.clone(),
            unit: self.unit.clone(),
            daily_min: kept.and_then(|n| n.daily_min),
            daily_max: kept.and_then(|n| n.daily_max),
        }
    }
}

async fn add(
    mut page: Page,
    PageForm(form): PageForm<NutrientForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let new = match form.input(None).parse() {
        Ok(new) => new,
        Err(e) => {
            let errors = refusal(&t, e, false)?;
            return again(
                page,
                Refused::Add {
                    name: form.name,
                    unit: form.unit,
                    errors,
                },
            )
            .await;
        }
    };
    if !super::super::once::first_send(&mut page.tx, "nutrient", form.once.as_deref()).await? {
        return Ok(done("added"));
    }
    match custom_nutrients::create(&mut page.tx, &new).await {
        Ok(_) => {
            page.tx.commit().await?;
            Ok(done("added"))
        }
        Err(e) => {
            let errors = refusal(&t, e, true)?;
            again(
                page,
                Refused::Add {
                    name: form.name,
                    unit: form.unit,
                    errors,
                },
            )
            .await
        }
    }
}

/// Renames one of the user's custom nutrients or changes its unit (their foods and diary
/// follow a new name: `custom_nutrients::update`).
async fn save(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<NutrientForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let stored = custom_nutrients::list(&mut page.tx, Acting::ME)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or(PageError::NotFound)?;
    let result = match form.input(Some(&stored)).parse() {
        Ok(new) => custom_nutrients::update(&mut page.tx, id, &new)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            page.tx.commit().await?;
            Ok(done("saved"))
        }
        Err(e) => {
            let errors = refusal(&t, e, false)?;
            let refused = Refused::Edit {
                id,
                name: form.name,
                unit: form.unit,
                errors,
            };
            again(page, refused).await
        }
    }
}

async fn delete(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let nutrient = custom_nutrients::list(&mut page.tx, Acting::ME)
            .await?
            .into_iter()
            .find(|n| n.id == id)
            .ok_or(PageError::NotFound)?;
        let action = format!("/settings/custom-nutrients/{id}/delete");
        let back = format!("/settings#{CARD}");
        return ask(page, Loss::CustomNutrient, &nutrient.name, action, back).await;
    }
    custom_nutrients::delete(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(done("deleted"))
}
