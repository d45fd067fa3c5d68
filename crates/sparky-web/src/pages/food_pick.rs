//! The add sheet's serving picker: a food's servings (and grams or ounces of a weighed one),
//! the amount, the meal and a live preview (the four main numbers, then what the portion holds
//! of the diary owner's custom nutrients); a refused amount shows it again.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::custom_nutrients::{self, CustomNutrient};
use sparky_app::foods::{self, Food, ServingOut};
use sparky_app::reads::Reads;
use sparky_app::Acting;
use sparky_core::nutrition::{nutrients_of_servings, servings_in, Nutrients, Serving};
use sparky_core::{Amount, MealType};
use uuid::Uuid;

use super::food::{meal_or_now, SheetParams};
use super::format::{escape_html, number};
use super::{html, Page, PageError, Shell};
use crate::pages::{PagePath, PageQuery};
use chrono::NaiveDate;

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

/// The picker for `food`: `quantity` and `chosen` as typed (a refused form shows them again,
/// and sets the view's `error`); `defined` are the diary owner's custom nutrients
/// ([`defined_for`]).
pub(super) fn pick_view(
    t: &crate::i18n::Messages,
    food: &Food,
    defined: &[CustomNutrient],
    date: NaiveDate,
    meal: MealType,
    quantity: &str,
    chosen: Option<&str>,
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
            let (n, count) = portion(s, q, unit.unwrap_or("serving"))?;
            Some((n, custom_held(defined, s, count)))
        })
        .or_else(|| default.map(|s| (s.nutrients.clone(), custom_held(defined, s, Decimal::ONE))))
        .map(|(n, custom)| preview_html(t, &n, &custom))
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
        error: None,
        preview,
        once: Uuid::new_v4(),
    }
}

/// The nutrients of `quantity` `unit` of a serving and the number of servings that is, if
/// that can be worked out.
fn portion(s: &ServingOut, quantity: Decimal, unit: &str) -> Option<(Nutrients, Decimal)> {
    if quantity <= Decimal::ZERO {
        return None;
    }
    let serving = Serving {
        size: s.size.decimal(),
        unit: s.unit.clone(),
        weight_g: s.weight_g.map(Amount::decimal),
        nutrients: s.nutrients.clone(),
    };
    let (count, _) = servings_in(quantity, unit, &serving).ok()?;
    let n = nutrients_of_servings(count, &serving).ok()?;
    Some((n, count))
}

/// Whether any serving of `food` holds custom nutrient amounts (only then are the owner's
/// definitions read).
fn holds_custom(food: &Food) -> bool {
    food.servings.iter().any(|s| !s.custom_nutrients.is_empty())
}

/// The diary owner's custom nutrients (their diary keeps amounts under these names), read
/// with `reads` in its round trip; none planned for a food that holds no custom amounts.
fn plan_defined(
    reads: &mut Reads,
    acting: Acting,
    food: &Food,
) -> Option<custom_nutrients::ListPlan> {
    holds_custom(food).then(|| custom_nutrients::plan_list(reads, acting))
}

/// The diary owner's custom nutrients for the picker of `food`, in one query (none for a food
/// that holds no custom amounts). RLS shows only one's own and those of a diary shared with
/// one, so a diary not shared reads none.
pub(super) async fn defined_for(
    page: &mut Page,
    food: &Food,
) -> Result<Vec<CustomNutrient>, PageError> {
    let mut reads = Reads::new();
    let Some(plan) = plan_defined(&mut reads, page.acting, food) else {
        return Ok(Vec::new());
    };
    let mut answers = reads.run(&mut page.tx).await?;
    Ok(plan.finish(&mut answers)?)
}

/// What `count` servings of `s` hold of the `defined` custom nutrients, in the definitions'
/// order, as (name, "190 mg"); only the ones the serving holds.
fn custom_held(
    defined: &[CustomNutrient],
    s: &ServingOut,
    count: Decimal,
) -> Vec<(String, String)> {
    if defined.is_empty() || s.custom_nutrients.is_empty() {
        return Vec::new();
    }
    // As a diary entry would hold them (the diary's own arithmetic).
    let per_serving: custom_nutrients::Amounts = s
        .custom_nutrients
        .iter()
        .map(|(k, v)| (k.clone(), v.decimal()))
        .collect();
    let scaled = custom_nutrients::shown(&custom_nutrients::times(&per_serving, count));
    super::food_custom::shown(defined, &scaled)
}

pub(super) async fn pick(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<SheetParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "today").await?;
    if !shell.may_log() {
        return Err(PageError::NotFound);
    }
    let food = foods::get(&mut page.tx, id).await?;
    // Today and (for a food holding custom amounts) the owner's definitions: one round trip.
    let mut reads = Reads::new();
    let today = sparky_app::days::plan_today(&mut reads, page.acting);
    let defined = plan_defined(&mut reads, page.acting, &food);
    let mut answers = reads.run(&mut page.tx).await?;
    let today = today.finish(&mut answers)?;
    let defined = match defined {
        Some(plan) => plan.finish(&mut answers)?,
        None => Vec::new(),
    };
    page.tx.commit().await?;
    let v = pick_view(
        &shell.t,
        &food,
        &defined,
        super::page_date("date", p.date, today)?,
        meal_or_now(p.meal.as_deref(), &shell.units.timezone),
        "1",
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

/// Four numbers: kcal, protein, carbohydrates, fat; then the portion's custom nutrients
/// (`custom`: name and amount with its unit), when it holds any.
fn preview_html(t: &crate::i18n::Messages, n: &Nutrients, custom: &[(String, String)]) -> String {
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
    let custom = match custom.is_empty() {
        true => String::new(),
        false => format!(
            "<p class=\"preview-custom\">{}</p>",
            custom
                .iter()
                .map(|(name, amount)| format!(
                    "<span>{} <b class=\"num\">{amount}</b></span>",
                    escape_html(name)
                ))
                .collect::<Vec<_>>()
                .join(" · ")
        ),
    };
    format!(
        "<div class=\"preview\">{}{}{}{}</div>{custom}",
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

pub(super) async fn preview(
    mut page: Page,
    PageQuery(p): PageQuery<PreviewParams>,
) -> Result<Response, PageError> {
    let food = foods::get(&mut page.tx, p.food_item_id).await?;
    let chosen = p.serving_id.as_deref().and_then(serving_choice);
    let serving = food
        .servings
        .iter()
        .find(|s| Some(s.id) == chosen.map(|c| c.0))
        .or(food.servings.iter().find(|s| s.is_default))
        .ok_or(PageError::NotFound)?;
    // The owner's definitions only when the chosen serving holds custom amounts (one query).
    let defined = match serving.custom_nutrients.is_empty() {
        true => Vec::new(),
        false => defined_for(&mut page, &food).await?,
    };
    page.tx.commit().await?;
    let unit = chosen.and_then(|c| c.1).unwrap_or("serving");
    let quantity = p
        .quantity
        .as_deref()
        .and_then(|q| super::forms::decimal(q).ok().flatten())
        .filter(|q| *q > Decimal::ZERO);
    let t = page.t;
    let body = match quantity {
        Some(q) => portion(serving, q, unit)
            .map(|(n, count)| preview_html(&t, &n, &custom_held(&defined, serving, count)))
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
