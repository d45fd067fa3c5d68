//! Settings → Custom nutrients, a card of the settings page: the nutrients a user tracks beyond
//! the built-in ones (caffeine, omega-3, ...), each with its unit and an optional daily range
//! (at least / at most so much a day); define one, rename it, change its unit or range, delete
//! it after asking. The rules (names, units, bounds, the most one may have) are
//! `sparky_app::custom_nutrients`'s; a refusal is said at the form's inputs, with what was
//! typed kept, and changes nothing.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use sparky_app::custom_nutrients::{
    self, CustomNutrient, CustomNutrientInput, NewCustomNutrient, MAX_CUSTOM_NUTRIENTS, UNITS,
};
use sparky_app::{Acting, AppError};
use sparky_core::Amount;
use sparky_db::UserTx;
use uuid::Uuid;

use super::super::confirm::{ask, ConfirmForm, Loss};
use super::super::food_custom::{bound_value, range_text};
use super::super::forms::{self, Errors, Opt};
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

/// One custom nutrient with its form to rename it or change its unit or daily range.
pub struct NutrientRow {
    pub id: Uuid,
    pub name: String,
    pub unit: String,
    /// Its daily range in brief ("at most 400 mg"); empty without one.
    pub range: String,
    /// The form's name: as typed into a refused one, else the stored name.
    pub typed_name: String,
    /// The form's daily bounds: as typed into a refused one, else the stored ones.
    pub typed_min: String,
    pub typed_max: String,
    pub units: Vec<Opt>,
    pub errors: Errors,
}

/// The Custom nutrients card.
#[derive(Default)]
pub struct NutrientsCard {
    pub rows: Vec<NutrientRow>,
    /// The add form: as typed into a refused one, else blank.
    pub name: String,
    pub daily_min: String,
    pub daily_max: String,
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
        typed: NutrientForm,
        errors: Errors,
    },
    Edit {
        id: Uuid,
        typed: NutrientForm,
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
    t: &Messages,
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
            range: range_text(t, n.daily_min, n.daily_max, &n.unit)
                .map(|r| t.fill("settings.nutrient_range_brief", &[("range", &r)]))
                .unwrap_or_default(),
            typed_name: n.name.clone(),
            typed_min: bound_value(n.daily_min),
            typed_max: bound_value(n.daily_max),
            units: unit_options(&n.unit),
            name: n.name,
            unit: n.unit,
            errors: Errors::default(),
        })
        .collect();
    match refused {
        None => {}
        Some(Refused::Add { typed, errors }) => {
            // A refused add is shown even when the card is full: it says why.
            card.full = false;
            card.name = typed.name;
            card.units = unit_options(&typed.unit);
            card.daily_min = typed.daily_min.unwrap_or_default();
            card.daily_max = typed.daily_max.unwrap_or_default();
            card.errors = errors;
        }
        Some(Refused::Edit { id, typed, errors }) => {
            let row = card
                .rows
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or(PageError::NotFound)?;
            row.typed_name = typed.name;
            row.units = unit_options(&typed.unit);
            // A form without the bound's input kept it: the stored one is shown.
            if let Some(min) = typed.daily_min {
                row.typed_min = min;
            }
            if let Some(max) = typed.daily_max {
                row.typed_max = max;
            }
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
    let nutrients = card(&t, &mut page.tx, Some(refused), None).await?;
    let mut view = render(shell, p, prefs, Errors::default(), false);
    view.nutrients = nutrients;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html(&view)).into_response())
}

/// The card's refusal of `input` in the catalog's words, by input; any other failure stays an
/// error page. `counted`: the input was read, so a refused name is the most one may have.
fn refusal(
    t: &Messages,
    input: &CustomNutrientInput,
    e: AppError,
    counted: bool,
) -> Result<Errors, PageError> {
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
                    "daily_min" => ("daily_min", t.get("settings.err.nutrient_min").to_string()),
                    // Out of bounds, or below the lower bound: the upper bound alone tells.
                    "daily_max" if max_alone_passes(input) => (
                        "daily_max",
                        t.get("settings.err.nutrient_order").to_string(),
                    ),
                    "daily_max" => ("daily_max", t.get("settings.err.nutrient_max").to_string()),
                    // Not an input of the card: said as the application says it, at the name
                    // so it is seen.
                    _ => ("name", format!("{field}: {problem}")),
                };
                errors.0.insert(input.into(), text);
            }
            Ok(errors)
        }
        other => Err(other.into()),
    }
}

/// Whether `input`'s upper bound passes without its lower one (so what was refused is the
/// pair: the upper below the lower).
fn max_alone_passes(input: &CustomNutrientInput) -> bool {
    let alone = CustomNutrientInput {
        daily_min: None,
        ..input.clone()
    };
    match alone.parse() {
        Ok(_) => true,
        Err(e) => e.fields().is_none_or(|f| !f.0.contains_key("daily_max")),
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
    /// "At least a day", in the nutrient's unit: emptied, no lower bound. A form without the
    /// input (a page from before it had one) keeps the stored bound.
    daily_min: Option<String>,
    /// "At most a day", likewise.
    daily_max: Option<String>,
    /// The add form's once-token ([`crate::pages::Shell::once`]): sent twice, it adds one
    /// nutrient, not one and an "already have one" refusal.
    #[serde(rename = "_once")]
    once: Option<String>,
}

impl NutrientForm {
    /// The input the form says, a bound it did not send being `kept`'s (none when adding),
    /// with the refusals of bounds that are not numbers.
    fn input(&self, t: &Messages, kept: Option<&CustomNutrient>) -> (CustomNutrientInput, Errors) {
        let mut errors = Errors::default();
        let mut bound = |field: &str, typed: &Option<String>, stored: Option<Amount>| match typed {
            None => stored,
            Some(raw) => match forms::decimal(raw) {
                Ok(d) => d.map(Amount),
                Err(()) => {
                    errors.0.insert(
                        field.into(),
                        t.get("settings.err.nutrient_number").to_string(),
                    );
                    None
                }
            },
        };
        let input = CustomNutrientInput {
            name: self.name.clone(),
            unit: self.unit.clone(),
            daily_min: bound("daily_min", &self.daily_min, kept.and_then(|n| n.daily_min)),
            daily_max: bound("daily_max", &self.daily_max, kept.and_then(|n| n.daily_max)),
        };
        (input, errors)
    }

    /// The input as `parse` takes it, or the refusals said at the inputs: what `parse`
    /// refuses, and a bound that is not a number (said as such, not as the range it left).
    fn parse(
        &self,
        t: &Messages,
        kept: Option<&CustomNutrient>,
    ) -> Result<Result<(CustomNutrientInput, NewCustomNutrient), Errors>, PageError> {
        let (input, typos) = self.input(t, kept);
        let mut errors = match input.parse() {
            Ok(new) if typos.is_empty() => return Ok(Ok((input, new))),
            Ok(_) => Errors::default(),
            Err(e) => refusal(t, &input, e, false)?,
        };
        errors.0.extend(typos.0);
        Ok(Err(errors))
    }
}

async fn add(
    mut page: Page,
    PageForm(form): PageForm<NutrientForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let (input, new) = match form.parse(&t, None)? {
        Ok(parsed) => parsed,
        Err(errors) => {
            return again(
                page,
                Refused::Add {
                    typed: form,
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
            let errors = refusal(&t, &input, e, true)?;
            again(
                page,
                Refused::Add {
                    typed: form,
                    errors,
                },
            )
            .await
        }
    }
}

/// Renames one of the user's custom nutrients or changes its unit or daily range (their foods
/// and diary follow a new name: `custom_nutrients::update`).
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
    let errors = match form.parse(&t, Some(&stored))? {
        Ok((input, new)) => match custom_nutrients::update(&mut page.tx, id, &new).await {
            Ok(_) => {
                page.tx.commit().await?;
                return Ok(done("saved"));
            }
            Err(e) => refusal(&t, &input, e, false)?,
        },
        Err(errors) => errors,
    };
    again(
        page,
        Refused::Edit {
            id,
            typed: form,
            errors,
        },
    )
    .await
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
