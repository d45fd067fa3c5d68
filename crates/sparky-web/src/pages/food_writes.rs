//! The add-food sheet's writes: logging a picked serving, quick add, creating a food, copying a
//! meal, and looking a barcode up. Each answers htmx with a fragment and plain posts with a
//! redirect.

use std::collections::BTreeMap;

use crate::pages::PageQuery;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::custom_nutrients;
use sparky_app::diary::{self, CopyInput, LogFood, QuickAddInput};
use sparky_app::foods::{self, Food, FoodInput, NewFood, ServingInput};
use sparky_app::{Acting, AppError};
use sparky_core::nutrition::Nutrients;
use sparky_core::typed_number::NotANumber;
use sparky_core::Amount;
use uuid::Uuid;

use super::food::{meal_field, meal_of, SheetParams};
use super::food_custom::{self, CustomTyped};
use super::{redirect, Page, PageError, PageForm};
use crate::AppState;

#[derive(Deserialize)]
pub struct LogForm {
    date: NaiveDate,
    meal: String,
    meal_override: Option<String>,
    food_item_id: Uuid,
    serving_id: Option<String>,
    quantity: String,
    unit: Option<String>,
    /// The form's once-token ([`super::food::PickView::once`], or a recent food's one-tap
    /// form's).
    #[serde(rename = "_once")]
    once: Option<String>,
}

fn decimal_field(text: &str) -> Option<Decimal> {
    super::forms::decimal(text).ok().flatten()
}

/// A refusal of a food form in words: each field by its label ("Calories: must be at most
/// 100000", not "nutrients.calories: …").
fn by_label(t: &crate::i18n::Messages, fields: &sparky_app::FieldErrors) -> String {
    fields
        .0
        .iter()
        .map(|(field, problem)| {
            let name = field
                .rsplit('.')
                .next()
                .unwrap_or(field)
                .trim_end_matches(']');
            let key = match name {
                "name" => "field.what".to_string(),
                n if Nutrients::NAMES.contains(&n) => format!("nutrient.{n}"),
                _ => String::new(),
            };
            let label = if !key.is_empty() && t.has(&key) {
                t.get(&key).to_string()
            } else {
                field.clone()
            };
            format!("{label}: {problem}")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The first of a form's number fields (message key of its label, what was typed) that is not
/// a number, said by its label: "Calories: must be a number …".
fn unreadable_number(
    t: &crate::i18n::Messages,
    fields: &[(&str, &Option<String>)],
) -> Option<String> {
    fields
        .iter()
        .find(|(_, v)| super::forms::decimal(v.as_deref().unwrap_or("")).is_err())
        .map(|(label, _)| format!("{}: {NotANumber}", t.get(label)))
}

/// An optional number field: empty is `None`; text that is not a number is refused naming the
/// field (it was dropped, and the entry stored without it).
fn optional_number(field: &str, text: &Option<String>) -> Result<Option<Decimal>, PageError> {
    super::forms::decimal(text.as_deref().unwrap_or(""))
        .map_err(|()| PageError::invalid(field, NotANumber.to_string()))
}

pub(super) async fn log(
    mut page: Page,
    PageForm(form): PageForm<LogForm>,
) -> Result<Response, PageError> {
    let meal = match form.meal_override.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => meal_field("meal_override", m)?,
        None => meal_field("meal", &form.meal)?,
    };
    let date = super::form_date("date", form.date)?.get();
    let choice = match form.serving_id.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            super::food_pick::serving_choice(s)
                .ok_or_else(|| PageError::invalid("serving_id", "is not a serving of this food"))?,
        ),
    };
    // An amount that cannot be logged shows the picker again with it and why (the bare error
    // page lost the food and the amount).
    let refused = async |mut page: Page, why: String| -> Result<Response, PageError> {
        let shell = page.shell("", "today").await?;
        let food = foods::get(&mut page.tx, form.food_item_id).await?;
        let defined = super::food_pick::defined_for(&mut page, &food).await?;
        let mut v = super::food_pick::pick_view(
            &shell.t,
            &food,
            &defined,
            date,
            meal,
            &form.quantity,
            form.serving_id.as_deref(),
        );
        v.error = Some(why);
        Ok(super::food_pick::pick_refused(shell, v))
    };
    let quantity = match decimal_field(&form.quantity) {
        Some(q) => q,
        None => return refused(page, NotANumber.to_string()).await,
    };
    let quantity = match diary::parse_quantity("quantity", Amount(quantity)) {
        Ok(q) => q,
        Err(e) => return refused(page, field_problem(&e)).await,
    };
    let req = LogFood {
        food_item_id: form.food_item_id,
        serving_id: choice.map(|c| c.0),
        quantity,
        unit: choice
            .and_then(|c| c.1)
            .map(str::to_string)
            .or_else(|| form.unit.clone().filter(|u| !u.trim().is_empty())),
        meal,
        date: Some(date),
        consumed_at: None,
    };
    if super::once::first_send(&mut page.tx, "log", form.once.as_deref()).await? {
        // A refused amount leaves the transaction usable for showing the picker again.
        page.tx.execute("SAVEPOINT log", &[]).await?;
        match diary::log(&mut page.tx, page.acting, &req).await {
            Ok(_) => {}
            Err(e @ AppError::Invalid(_)) => {
                page.tx.execute("ROLLBACK TO SAVEPOINT log", &[]).await?;
                return refused(page, field_problem(&e)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    page.tx.commit().await?;
    Ok(redirect(&format!("/day/{date}")))
}

/// A refusal's problems in words, without the field keys the picker shows them under.
fn field_problem(e: &AppError) -> String {
    match e {
        AppError::Invalid(f) => f.0.values().cloned().collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
pub struct QuickForm {
    date: NaiveDate,
    meal: String,
    name: Option<String>,
    calories: Option<String>,
    protein: Option<String>,
    carbohydrates: Option<String>,
    fat: Option<String>,
    /// The form's once-token ([`super::food::SheetView::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

pub(super) async fn quick(
    mut page: Page,
    PageForm(form): PageForm<QuickForm>,
) -> Result<Response, PageError> {
    let meal_type = meal_field("meal", &form.meal)?;
    let date = super::form_date("date", form.date)?;
    // A refusal shows the form again with everything typed and the reason (it was a bare
    // error page, and all of it was lost).
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let typed = |error: String| super::food::QuickTyped {
        name: text(&form.name),
        calories: text(&form.calories),
        protein: text(&form.protein),
        carbohydrates: text(&form.carbohydrates),
        fat: text(&form.fat),
        error: Some(error),
    };
    let again = SheetParams::quick_tab(form.date, &form.meal);
    let numbers = [
        ("nutrient.calories", &form.calories),
        ("nutrient.protein", &form.protein),
        ("nutrient.carbohydrates", &form.carbohydrates),
        ("nutrient.fat", &form.fat),
    ];
    if let Some(why) = unreadable_number(&page.t, &numbers) {
        return super::food::refused_quick(page, &again, typed(why)).await;
    }
    let input = QuickAddInput {
        name: form.name.clone(),
        meal_type,
        date: Some(date),
        consumed_at: None,
        nutrients: Nutrients {
            calories: optional_number("calories", &form.calories)?,
            protein: optional_number("protein", &form.protein)?,
            carbohydrates: optional_number("carbohydrates", &form.carbohydrates)?,
            fat: optional_number("fat", &form.fat)?,
            ..Default::default()
        },
    };
    if super::once::first_send(&mut page.tx, "quick", form.once.as_deref()).await? {
        match diary::quick_add(&mut page.tx, page.acting, input).await {
            Ok(_) => {}
            Err(AppError::Invalid(fields)) => {
                // The once-token's mark goes with the rolled-back transaction.
                let why = by_label(&page.t, &fields);
                return super::food::refused_quick(page, &again, typed(why)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    page.tx.commit().await?;
    Ok(redirect(&format!("/day/{}", form.date)))
}

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

#[derive(Deserialize)]
pub struct CopyForm {
    #[serde(default)]
    from_date: String,
    #[serde(default)]
    to_date: String,
    meal: Option<String>,
    /// Whose diary to copy from: empty for the one being written.
    from_user: Option<String>,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

pub(super) async fn copy(
    mut page: Page,
    PageForm(form): PageForm<CopyForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    // Read here, so a missing or unreadable day is said in the form's words (it was
    // "from_date: premature end of input").
    let day_of = |label: &str, text: &str| match super::optional_form_date(label, text)? {
        Some(d) => super::form_date(label, d),
        None => Err(PageError::invalid(label, "must be a date like 2026-03-01")),
    };
    let from_date = day_of(t.get("add.copy_from"), &form.from_date)?;
    let to_date = day_of(t.get("field.date"), &form.to_date)?;
    let input = CopyInput {
        from_date,
        to_date,
        meal_type: match form.meal.as_deref().filter(|m| !m.is_empty()) {
            Some(m) => Some(meal_field("meal", m)?),
            None => None,
        },
        from_user_id: match form.from_user.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => Some(
                id.parse()
                    .map_err(|_| PageError::invalid("from_user", "is not a person"))?,
            ),
        },
    };
    let from = input.from_date.get();
    let to = input.to_date.get();
    // A resend goes where the first send did (with its notice), copying nothing more.
    if let Some(location) =
        super::once::earlier_answer(&mut page.tx, "copy", form.once.as_deref()).await?
    {
        page.tx.commit().await?;
        let location = match location.is_empty() {
            true => format!("/day/{to}"),
            false => location,
        };
        return Ok(redirect(&location));
    }
    let copied = match diary::copy(&mut page.tx, page.acting, input).await {
        Ok(copied) => copied,
        // The same day of the same diary.
        Err(AppError::Invalid(f)) if f.0.contains_key("to_date") => {
            return Err(PageError::invalid(
                t.get("add.copy_from"),
                "is the day being copied to: choose another day (a day cannot be copied onto \
                 itself)",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    // The day says what was copied, with Undo (it said nothing, and a second copy doubled the
    // meal unnoticed). The mark ties the notice and its Undo to this session's own copy: an
    // address made up elsewhere shows none and undoes nothing.
    let ids = copied
        .entries
        .iter()
        .map(|e| e.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mark = super::day::copy_mark(&page.csrf, to, from, copied.copied, &ids);
    let location = format!(
        "/day/{to}?copied={}&from={from}&undo={ids}&mark={mark}",
        copied.copied
    );
    super::once::keep(&mut page.tx, "copy", form.once.as_deref(), &location).await?;
    page.tx.commit().await?;
    Ok(redirect(&location))
}

/// A barcode typed or scanned: the food when it is known (yours, the catalog's, or a
/// provider's, which is then imported), else a way to create it with this barcode.
pub(super) async fn barcode(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut page: Page,
    PageQuery(p): PageQuery<SheetParams>,
) -> Result<Response, PageError> {
    // Like the sheet it is a tab of: only for a diary one may log into.
    if page.viewing.is_some() && !page.shell("", "today").await?.may_log() {
        return Err(PageError::NotFound);
    }
    let code = p.code.clone().unwrap_or_default();
    let date = p.date.map(|d| d.to_string()).unwrap_or_default();
    let meal = meal_of(p.meal.as_deref()).as_str();
    let t = page.t;
    let create_link = |text: &str| {
        format!(
            "<p class=\"empty\">{} <a href=\"/add?date={date}&amp;meal={meal}&amp;tab=create&amp;code={code}\">{}</a></p>",
            super::format::escape_html(text),
            t.get("add.create_instead"),
            code = form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>(),
        )
    };
    let body = match sparky_app::providers::parse_barcode(&code) {
        Err(e) => format!(
            "<p class=\"form-error\">{}</p>",
            super::format::escape_html(&e.to_string())
        ),
        Ok(barcode) => {
            match sparky_app::providers::barcode(page.tx, &state.db, &state.providers, &barcode)
                .await
            {
                Ok(food) => {
                    return Ok(redirect(&format!(
                        "/add/food/{}?date={date}&meal={meal}",
                        food.id
                    )))
                }
                Err(sparky_app::AppError::NotFound(_)) => create_link(t.get("add.barcode_unknown")),
                Err(e @ sparky_app::AppError::Upstream { .. }) => create_link(&e.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response())
}
