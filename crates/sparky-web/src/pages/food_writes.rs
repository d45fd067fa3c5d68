//! The add-food sheet's writes: logging a picked serving, quick add, copying a meal, and
//! looking a barcode up (creating a food: `food_create.rs`). Each answers htmx with a
//! fragment and plain posts with a redirect.

use crate::pages::PageQuery;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::diary::{self, CopyInput, LogFood, QuickAddInput};
use sparky_app::foods;
use sparky_app::AppError;
use sparky_core::nutrition::Nutrients;
use sparky_core::typed_number::NotANumber;
use sparky_core::Amount;
use uuid::Uuid;

use super::food::{meal_field, meal_of, SheetParams};
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

pub(super) fn decimal_field(text: &str) -> Option<Decimal> {
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
