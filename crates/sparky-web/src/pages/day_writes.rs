//! The writes of a day page (Today): an entry's amount, unit, meal or day, deleting it with
//! Undo, undoing a copy, water and weight. Each answers htmx with the day re-rendered and a
//! plain form post with a redirect.

use axum::http::header;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sparky_app::diary;
use sparky_core::Amount;
use uuid::Uuid;

use super::day::{copy_mark, view, DayFragment};
use super::format::day_label;
use super::undo_cookie::undo_cookie;
use super::{html, redirect, Page, PageError, PageForm, PagePath};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/diary/{id}", post(edit_entry))
        .route("/diary/{id}/delete", post(delete_entry))
        .route("/diary/restore", post(restore_entry))
        .route("/diary/uncopy", post(uncopy))
        .route("/water", post(add_water))
        .route("/weight", post(add_weight))
}

/// The answer to a write on a day: the day re-rendered for htmx, a redirect otherwise.
pub async fn after_write(
    mut page: Page,
    date: NaiveDate,
    undo: Option<String>,
) -> Result<Response, PageError> {
    if !page.htmx {
        page.tx.commit().await?;
        return Ok(redirect(&format!("/day/{date}")));
    }
    let shell = page.shell("", "today").await?;
    let v = view(&mut page, &shell, date, undo).await?;
    page.tx.commit().await?;
    Ok(html(&DayFragment { shell, v }))
}

#[derive(Deserialize)]
pub struct EditForm {
    /// The amount, with a unit to change it ("150 g", "1.5 cup"); without one the entry's.
    quantity: String,
    /// The meal to move the entry to (forms from before it was offered send none).
    #[serde(default)]
    meal: Option<String>,
    /// The day to move the entry to; `day` is the day the form was shown on.
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    day: Option<NaiveDate>,
    /// The unit the form showed after the amount: still there, the amount is in it (whatever
    /// it looks like: a serving named "2 tbsp" is not read as a number).
    #[serde(default)]
    unit_was: Option<String>,
}

/// The amount typed into an entry's edit form, and its unit: the one typed after it, else the
/// shown `unit_was` (the form may show servings in the serving's own unit); none when neither,
/// which keeps the entry's unit.
fn typed_amount(text: &str, unit_was: Option<&str>) -> Option<(Amount, Option<String>)> {
    let text = text.trim();
    let was = unit_was.map(str::trim).filter(|u| !u.is_empty());
    // A number alone is in the unit shown (also a negative one, for the diary to refuse
    // saying why).
    if let Ok(Some(number)) = super::forms::decimal(text) {
        return Some((Amount(number), was.map(str::to_string)));
    }
    if let Some(cut) = was.and_then(|was| {
        let cut = text.len().checked_sub(was.len())?;
        (text.is_char_boundary(cut) && text[cut..].to_lowercase() == was.to_lowercase())
            .then_some(cut)
    }) {
        let number = super::forms::decimal(&text[..cut]).ok()??;
        return Some((Amount(number), was.map(str::to_string)));
    }
    let (number, unit) = super::forms::amount_with_unit(text).ok()??;
    Some((Amount(number), unit))
}

/// A number typed into a field ("1,5", "1 1/2" and "½" too); anything else is the 422 page
/// naming the field.
fn amount_field(field: &str, text: &str) -> Result<Amount, PageError> {
    match super::forms::decimal(text) {
        Ok(Some(d)) => Ok(Amount(d)),
        _ => Err(PageError::invalid(
            field,
            sparky_core::typed_number::NotANumber.to_string(),
        )),
    }
}

async fn edit_entry(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<EditForm>,
) -> Result<Response, PageError> {
    let Some((quantity, unit)) = typed_amount(&form.quantity, form.unit_was.as_deref()) else {
        return Err(PageError::invalid(
            "quantity",
            sparky_core::typed_number::NotANumber.to_string(),
        ));
    };
    // Only a day other than the one shown moves the entry.
    let date = match super::optional_form_date("date", form.date.as_deref().unwrap_or(""))? {
        Some(d) if Some(d) != form.day => Some(super::form_date("date", d)?),
        _ => None,
    };
    let entry = diary::update(
        &mut page.tx,
        id,
        diary::UpdateEntryInput {
            quantity: Some(quantity),
            // A unit typed is read against the serving logged (g, oz, cup…); none keeps the
            // entry's.
            unit,
            meal_type: match form.meal.as_deref().filter(|m| !m.is_empty()) {
                Some(m) => Some(
                    sparky_core::MealType::parse(m)
                        .map_err(|e| PageError::invalid("meal", e.to_string()))?,
                ),
                None => None,
            },
            date,
            consumed_at: None,
        },
    )
    .await?;
    match form.day {
        // Moved: the day it left, saying where it went (without script: the day it went to).
        Some(shown) if shown != entry.date && page.htmx => {
            let shell = page.shell("", "today").await?;
            let mut v = view(&mut page, &shell, shown, None).await?;
            page.tx.commit().await?;
            v.moved = Some((
                shell.fill(
                    "day.moved",
                    &[
                        ("name", &entry.food_name),
                        ("day", &day_label(&shell.t, entry.date, shown.year())),
                    ],
                ),
                entry.date,
            ));
            Ok(html(&DayFragment { shell, v }))
        }
        _ => after_write(page, entry.date, None).await,
    }
}

#[derive(Deserialize)]
pub struct Empty {}

async fn delete_entry(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    let snapshot = diary::remove(&mut page.tx, id).await?;
    let date: NaiveDate = snapshot
        .get("entry_date")
        .and_then(|d| d.as_str())
        .and_then(|d| d.parse().ok())
        .ok_or(PageError::NotFound)?;
    if !page.htmx {
        page.tx.commit().await?;
        let mut response = redirect(&format!("/day/{date}"));
        response
            .headers_mut()
            .append(header::SET_COOKIE, undo_cookie(Some(&snapshot.to_string())));
        return Ok(response);
    }
    after_write(page, date, Some(snapshot.to_string())).await
}

#[derive(Deserialize)]
pub struct UncopyForm {
    date: NaiveDate,
    ids: String,
    from: NaiveDate,
    copied: usize,
    mark: String,
}

/// Undo of a copy: the entries it made go (those deleted since already are).
async fn uncopy(
    mut page: Page,
    PageForm(form): PageForm<UncopyForm>,
) -> Result<Response, PageError> {
    // Only what this session's copy made (its mark), not any entries a form lists.
    if copy_mark(&page.csrf, form.date, form.from, form.copied, &form.ids) != form.mark {
        return Err(PageError::invalid(
            "ids",
            "are not what a copy of yours made; nothing was undone",
        ));
    }
    let ids: Vec<Uuid> = form
        .ids
        .split(',')
        .filter(|id| !id.trim().is_empty())
        .map(|id| id.trim().parse())
        .collect::<Result<_, _>>()
        .map_err(|_| PageError::invalid("ids", "are not diary entries"))?;
    if ids.len() > sparky_app::diary::MAX_ENTRIES_PER_DAY as usize {
        return Err(PageError::invalid("ids", "are more than a day holds"));
    }
    for id in ids {
        match diary::delete(&mut page.tx, id).await {
            Ok(()) | Err(sparky_app::AppError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    page.tx.commit().await?;
    Ok(redirect(&format!("/day/{}", form.date)))
}

#[derive(Deserialize)]
pub struct RestoreForm {
    entry: String,
}

async fn restore_entry(
    mut page: Page,
    PageForm(form): PageForm<RestoreForm>,
) -> Result<Response, PageError> {
    let snapshot: serde_json::Value = serde_json::from_str(&form.entry)
        .map_err(|_| PageError::invalid("entry", "is not a diary entry to restore"))?;
    let entry = diary::restore(&mut page.tx, &snapshot).await?;
    after_write(page, entry.date, None).await
}

#[derive(Deserialize)]
pub struct WaterForm {
    date: NaiveDate,
    ml: String,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

async fn add_water(
    mut page: Page,
    PageForm(form): PageForm<WaterForm>,
) -> Result<Response, PageError> {
    let acting = page.acting;
    let input = sparky_app::measurements::LogMeasurementInput {
        kind: "water".into(),
        value: amount_field("water", &form.ml)?,
        unit: Some("ml".into()),
        measured_at: None,
        date: Some(super::form_date("date", form.date)?),
        note: None,
    };
    let m = input.parse()?;
    if super::once::first_send(&mut page.tx, "water", form.once.as_deref()).await? {
        sparky_app::measurements::log(&mut page.tx, acting, &m).await?;
    }
    after_write(page, form.date, None).await
}

#[derive(Deserialize)]
pub struct WeightForm {
    date: NaiveDate,
    value: String,
    /// The unit the form was shown in: a form left open while the units changed keeps it
    /// (170 typed as lb was stored as 170 kg).
    #[serde(default)]
    unit: Option<String>,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

async fn add_weight(
    mut page: Page,
    PageForm(form): PageForm<WeightForm>,
) -> Result<Response, PageError> {
    let acting = page.acting;
    let input = sparky_app::measurements::LogMeasurementInput {
        kind: "weight".into(),
        value: amount_field("weight", &form.value)?,
        unit: form.unit.clone().filter(|u| !u.trim().is_empty()),
        measured_at: None,
        date: Some(super::form_date("date", form.date)?),
        note: None,
    };
    let m = input.parse()?;
    if super::once::first_send(&mut page.tx, "weight", form.once.as_deref()).await? {
        sparky_app::measurements::log(&mut page.tx, acting, &m).await?;
    }
    after_write(page, form.date, None).await
}

#[cfg(test)]
mod tests {
    use super::typed_amount;
    use rust_decimal::Decimal;
    use sparky_core::Amount;

    fn amount(text: &str, was: Option<&str>) -> Option<(Decimal, Option<String>)> {
        typed_amount(text, was).map(|(Amount(q), unit)| (q, unit))
    }

    #[test]
    fn the_unit_shown_is_the_amounts_and_another_is_read() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let cup = Some("cup".to_string());
        // The shown unit, however it looks, is the amount's.
        assert_eq!(
            amount("1 2 tbsp", Some("2 tbsp")),
            Some((d("1"), Some("2 tbsp".into())))
        );
        assert_eq!(
            amount("1.5 cup", Some("cup")),
            Some((d("1.5"), cup.clone()))
        );
        assert_eq!(amount("½ CUP", Some("cup")), Some((d("0.5"), cup.clone())));
        assert_eq!(amount(" 2 ", Some("cup")), Some((d("2"), cup.clone())));
        assert_eq!(amount("-1", Some("cup")), Some((d("-1"), cup)));
        assert_eq!(amount("2", None), Some((d("2"), None)));
        // Another unit is read after the number.
        assert_eq!(
            amount("150 g", Some("cup")),
            Some((d("150"), Some("g".into())))
        );
        assert_eq!(amount("3 oz", None), Some((d("3"), Some("oz".into()))));
        // Shorter than the shown unit.
        assert_eq!(
            amount("3 OZ", Some("serving")),
            Some((d("3"), Some("OZ".into())))
        );
        // No number: nothing.
        assert_eq!(amount("cup", Some("cup")), None);
        assert_eq!(amount("lots", None), None);
        assert_eq!(amount("", Some("g")), None);
    }
}
