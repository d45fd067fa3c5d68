//! The add-food sheet's new-food form, and the food a new-food or edit-food form describes.

use std::collections::BTreeMap;

use axum::response::Response;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::custom_nutrients;
use sparky_app::foods::{self, Food, FoodInput, NewFood, ServingInput};
use sparky_app::{Acting, AppError};
use sparky_core::nutrition::Nutrients;
use sparky_core::typed_number::NotANumber;
use sparky_core::Amount;

use super::food::{meal_of, SheetParams};
use super::food_custom::{self, CustomTyped};
use super::food_writes::decimal_field;
use super::{redirect, Page, PageError, PageForm};

#[derive(Deserialize)]
pub struct CreateForm {
    date: NaiveDate,
    meal: String,
    name: String,
    brand: Option<String>,
    barcode: Option<String>,
    size: String,
    unit: String,
    weight_g: Option<String>,
    calories: Option<String>,
    protein: Option<String>,
    carbohydrates: Option<String>,
    fat: Option<String>,
    fiber: Option<String>,
    sugar: Option<String>,
    sodium: Option<String>,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
    /// The custom nutrients' inputs (`custom_{id}`, see `food_custom.rs`) and the rest.
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

pub(super) async fn create(
    mut page: Page,
    PageForm(form): PageForm<CreateForm>,
) -> Result<Response, PageError> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    // A refusal shows the form again with everything typed and the reason (it used to be a
    // separate error page, and all of it was lost).
    let mut typed = super::food::CreateTyped {
        name: form.name.clone(),
        brand: text(&form.brand),
        barcode: text(&form.barcode),
        size: form.size.clone(),
        unit: form.unit.clone(),
        weight_g: text(&form.weight_g),
        calories: text(&form.calories),
        protein: text(&form.protein),
        carbohydrates: text(&form.carbohydrates),
        fat: text(&form.fat),
        fiber: text(&form.fiber),
        sugar: text(&form.sugar),
        sodium: text(&form.sodium),
        custom: CustomTyped::sent(
            &custom_nutrients::list(&mut page.tx, Acting::ME).await?,
            &form.rest,
        ),
        error: None,
    };
    let input = match typed_food(&page.t, &typed, None) {
        Ok(input) => input,
        Err(why) => {
            typed.error = Some(why);
            let again = SheetParams::create_tab(form.date, &form.meal);
            return super::food::refused_create(page, &again, typed).await;
        }
    };
    let once = form.once.as_deref();
    if let Some(earlier) = super::once::earlier_answer(&mut page.tx, "food", once).await? {
        return Ok(redirect(&earlier));
    }
    let food = foods::create(&mut page.tx, &input).await?;
    let to = format!(
        "/add/food/{}?date={}&meal={}",
        food.id,
        form.date,
        meal_of(Some(&form.meal)).as_str()
    );
    super::once::keep(&mut page.tx, "food", once, &to).await?;
    page.tx.commit().await?;
    Ok(redirect(&to))
}

/// The food a new-food or edit-food form describes, or why not in the form's words. An edit
/// (`stored`) keeps what the form does not show: the default serving's other nutrients (and
/// custom nutrients without an input), and the other servings, whose shown nutrients follow
/// the new default per gram when both servings' weights are known (a food's servings stay one
/// food).
pub(super) fn typed_food(
    t: &crate::i18n::Messages,
    typed: &super::food::CreateTyped,
    stored: Option<&Food>,
) -> Result<NewFood, String> {
    let Some(size) = decimal_field(&typed.size) else {
        return Err(format!("{}: {NotANumber}", t.get("field.size")));
    };
    // A number field that is not a number is refused by its label (it was dropped, and the
    // food created without that nutrient).
    let numbers = [
        ("field.grams", &typed.weight_g),
        ("nutrient.calories", &typed.calories),
        ("nutrient.protein", &typed.protein),
        ("nutrient.carbohydrates", &typed.carbohydrates),
        ("nutrient.fat", &typed.fat),
        ("nutrient.fiber", &typed.fiber),
        ("nutrient.sugar", &typed.sugar),
        ("nutrient.sodium", &typed.sodium),
    ];
    if let Some((label, _)) = numbers
        .iter()
        .find(|(_, v)| super::forms::decimal(v).is_err())
    {
        return Err(format!("{}: {NotANumber}", t.get(label)));
    }
    let d = |v: &String| decimal_field(v);
    let stored_default = stored.and_then(|f| f.servings.iter().find(|s| s.is_default));
    let weight_g = d(&typed.weight_g);
    let new_grams = grams_of(size, &typed.unit, weight_g);
    let old_grams = stored_default
        .and_then(|s| grams_of(s.size.decimal(), &s.unit, s.weight_g.map(|w| w.decimal())));
    // The nutrients the form does not show follow a change of the serving's weight (2 tbsp of
    // 30 g made 1 tbsp of 15 g kept the potassium of 30 g).
    let mut nutrients = match (stored_default, old_grams, new_grams) {
        (Some(s), Some(old), Some(new)) if !old.is_zero() && old != new => {
            let mut scaled = s.nutrients.scale(new / old);
            for (name, value) in s.nutrients.scale(new / old).iter() {
                scaled.set(name, value.map(|v| v.round_dp(3)));
            }
            scaled
        }
        (Some(s), _, _) => s.nutrients.clone(),
        (None, _, _) => Nutrients::default(),
    };
    for (name, value) in SHOWN_NUTRIENTS.iter().zip([
        &typed.calories,
        &typed.protein,
        &typed.carbohydrates,
        &typed.fat,
        &typed.fiber,
        &typed.sugar,
        &typed.sodium,
    ]) {
        nutrients.set(name, d(value));
    }
    // Custom nutrients the form does not show follow the serving's weight like the others;
    // those it shows are as typed.
    let mut custom_nutrients = match (stored_default, old_grams, new_grams) {
        (Some(s), Some(old), Some(new)) if !old.is_zero() && old != new => s
            .custom_nutrients
            .iter()
            .map(|(name, v)| (name.clone(), Amount((v.decimal() * new / old).round_dp(3))))
            .collect(),
        (Some(s), _, _) => s.custom_nutrients.clone(),
        (None, _, _) => Default::default(),
    };
    food_custom::apply(
        &typed.custom,
        &mut custom_nutrients,
        &NotANumber.to_string(),
    )?;
    let custom_shown: Vec<&str> = typed
        .custom
        .iter()
        .filter(|c| c.sent)
        .map(|c| c.name.as_str())
        .collect();
    let custom_changed = stored_default.is_some_and(|s| {
        custom_shown.iter().any(|name| {
            food_custom::amount_of(&s.custom_nutrients, name)
                != food_custom::amount_of(&custom_nutrients, name)
        })
    });
    let mut servings = vec![ServingInput {
        size: Amount(size),
        unit: typed.unit.clone(),
        weight_g: weight_g.map(Amount),
        is_default: Some(true),
        nutrients: nutrients.clone(),
        custom_nutrients: custom_nutrients.clone(),
    }];
    // Another serving follows the new default per gram when both weights are known and the
    // default's numbers or weight changed; otherwise it keeps its own.
    let per_gram_changed = custom_changed
        || stored_default.is_some_and(|s| {
            old_grams != new_grams
                || SHOWN_NUTRIENTS
                    .iter()
                    .any(|n| s.nutrients.get(n) != nutrients.get(n))
        });
    for other in stored.iter().flat_map(|f| f.servings.iter()) {
        if other.is_default {
            continue;
        }
        let theirs = grams_of(
            other.size.decimal(),
            &other.unit,
            other.weight_g.map(|w| w.decimal()),
        );
        let mut their_custom = other.custom_nutrients.clone();
        let kept = match (new_grams, theirs) {
            (Some(new), Some(theirs)) if per_gram_changed && !new.is_zero() => {
                let mut scaled = other.nutrients.clone();
                let ratio = theirs / new;
                for (name, value) in nutrients.iter() {
                    if value.is_some() || SHOWN_NUTRIENTS.contains(&name) {
                        scaled.set(name, value.map(|v| (v * ratio).round_dp(3)));
                    }
                }
                // So do the custom nutrients the form has an input for.
                for name in &custom_shown {
                    let value = food_custom::amount_of(&custom_nutrients, name)
                        .map(|v| (v * ratio).round_dp(3));
                    food_custom::set(&mut their_custom, name, value);
                }
                scaled
            }
            _ => other.nutrients.clone(),
        };
        servings.push(ServingInput {
            size: other.size,
            unit: other.unit.clone(),
            weight_g: other.weight_g,
            is_default: Some(false),
            nutrients: kept,
            custom_nutrients: their_custom,
        });
    }
    let input = FoodInput {
        name: typed.name.clone(),
        brand: Some(typed.brand.clone()).filter(|b| !b.trim().is_empty()),
        barcode: Some(typed.barcode.clone()).filter(|b| !b.trim().is_empty()),
        servings,
    };
    match input.parse() {
        Ok(input) => Ok(input),
        // Said by the form's labels ("Calories: must not be negative"), not the API's paths
        // ("servings[0].nutrients.calories").
        Err(AppError::Invalid(fields)) => Err(fields
            .0
            .iter()
            .map(|(path, problem)| format!("{}: {problem}", create_label(t, path)))
            .collect::<Vec<_>>()
            .join("; ")),
        Err(e) => Err(e.to_string()),
    }
}

/// The nutrients the food forms show, in their order: the first seven Sparky knows.
const SHOWN_NUTRIENTS: &[&str] = Nutrients::NAMES.split_at(7).0;

/// Grams in a serving: its weight, or its size when its unit is a mass (g, kg, oz, lb).
fn grams_of(size: Decimal, unit: &str, weight_g: Option<Decimal>) -> Option<Decimal> {
    sparky_core::recipe::grams_of(
        &sparky_core::nutrition::Serving {
            size,
            unit: unit.to_string(),
            weight_g,
            nutrients: Nutrients::default(),
        },
        Decimal::ONE,
    )
}

/// The new-food form's label for a field path of the food API.
fn create_label(t: &crate::i18n::Messages, path: &str) -> String {
    let field = path.strip_prefix("servings[0].").unwrap_or(path);
    // A custom nutrient's input is labelled with its name.
    if let Some(name) = field.strip_prefix("custom_nutrients.") {
        return name.to_string();
    }
    let field = field.trim_start_matches("nutrients.");
    let key = match field {
        "name" => "field.name".to_string(),
        "brand" => "field.brand".to_string(),
        "barcode" => "field.barcode".to_string(),
        "size" => "field.size".to_string(),
        "unit" => "field.unit".to_string(),
        "weight_g" => "field.grams".to_string(),
        nutrient => format!("nutrient.{nutrient}"),
    };
    if t.has(&key) {
        t.get(&key).to_string()
    } else {
        field.replace('_', " ")
    }
}
