//! The check-in page's writes: the check-in form (all values or none), water, a custom type,
//! correcting and deleting an entry. A problem re-renders the page with what was typed (422).

use crate::pages::confirm::{ask, ConfirmForm, Loss};
use crate::pages::PagePath;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use sparky_app::measurement_types::{self, MeasurementTypeInput};
use sparky_app::measurements::{self, LogMeasurement, UpdateMeasurementInput};
use sparky_core::measure::Dimension;
use sparky_core::{Amount, Date};
use uuid::Uuid;

use super::checkin::{render, Params, Typed};
use super::form_errors::{decimal, FormErrors};
use super::{redirect, Page, PageError, PageForm};

/// The answer to a successful write: back to the page (same date).
fn back(date: Option<NaiveDate>) -> Response {
    match date {
        Some(d) => redirect(&format!("/checkin?date={d}")),
        None => redirect("/checkin"),
    }
}

/// The check-in form: every filled field is one reading, all stored or none.
pub async fn log(
    mut page: Page,
    PageForm(form): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let date = super::optional_form_date("date", &field("date"))?;
    let note = field("note");
    let mut typed = Typed {
        note: note.clone(),
        ..Typed::default()
    };
    let mut readings: Vec<LogMeasurement> = Vec::new();
    for (key, value) in &form {
        let Some(kind) = key.strip_prefix("m.") else {
            continue;
        };
        typed.values.push((kind.to_string(), value.clone()));
        match decimal(value) {
            Ok(None) => {}
            Ok(Some(d)) => {
                // In the unit the form showed (a form left open while the units changed
                // stored 170 lb as 170 kg).
                let shown_unit = field(&format!("u.{kind}"));
                let input = measurements::LogMeasurementInput {
                    kind: kind.to_string(),
                    value: Amount(d),
                    unit: Some(shown_unit).filter(|u| !u.trim().is_empty()),
                    measured_at: None,
                    date: date.and_then(|d| Date::new(d).ok()),
                    note: Some(note.clone()).filter(|n| !n.trim().is_empty()),
                };
                match input.parse() {
                    Ok(m) => readings.push(m),
                    Err(e) => {
                        for (field, problem) in FormErrors::from_app(e, &[])?.iter_pairs() {
                            // The note's problem is the note's, said once above the form (it
                            // showed under every number typed).
                            if field == "note" {
                                let said = format!("{}: {problem}", page.t.get("field.note"));
                                typed.errors.add("form", said);
                            } else {
                                typed.errors.add(kind, problem);
                            }
                        }
                    }
                }
            }
            Err(()) => typed.errors.add(kind, page.t.get("form.not_a_number")),
        }
    }
    if readings.is_empty() && typed.errors.is_empty() {
        typed
            .errors
            .add("form", page.t.get("checkin.nothing_entered"));
    }
    if typed.errors.is_empty() {
        let once = field("_once");
        if !super::once::first_send(&mut page.tx, "checkin", Some(&once)).await? {
            return Ok(back(date));
        }
        match measurements::log_all(&mut page.tx, page.acting, &readings).await {
            Ok(_) => {
                page.tx.commit().await?;
                return Ok(back(date));
            }
            Err(e) => typed.errors = FormErrors::from_app(e, &[("note", "form")])?,
        }
    }
    let p = Params {
        date,
        ..Params::default()
    };
    render_invalid(&mut page, &p, typed).await
}

/// The page again with what was typed and what is wrong (422), nothing stored.
async fn render_invalid(page: &mut Page, p: &Params, typed: Typed) -> Result<Response, PageError> {
    let mut r = render(page, p, typed).await?;
    *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Deserialize)]
pub struct WaterForm {
    date: Option<NaiveDate>,
    /// ml, from a quick button.
    ml: Option<String>,
    /// In the owner's unit, typed.
    amount: Option<String>,
    /// The unit the amount's form showed.
    unit: Option<String>,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

pub async fn water(
    mut page: Page,
    PageForm(form): PageForm<WaterForm>,
) -> Result<Response, PageError> {
    if let Some(d) = form.date {
        super::form_date("date", d)?;
    }
    let (text, unit) = match (&form.ml, &form.amount) {
        (Some(ml), _) => (ml.clone(), Some("ml".to_string())),
        (None, Some(a)) => (
            a.clone(),
            form.unit.clone().filter(|u| !u.trim().is_empty()),
        ),
        (None, None) => (String::new(), None),
    };
    let mut typed = Typed {
        water: form.amount.clone().unwrap_or_default(),
        ..Typed::default()
    };
    match decimal(&text) {
        Ok(Some(d)) => {
            let input = measurements::LogMeasurementInput {
                kind: "water".into(),
                value: Amount(d),
                unit,
                measured_at: None,
                date: form.date.and_then(|d| Date::new(d).ok()),
                note: None,
            };
            let result = match input.parse() {
                Ok(m) => {
                    if !super::once::first_send(&mut page.tx, "water", form.once.as_deref()).await?
                    {
                        return Ok(back(form.date));
                    }
                    measurements::log(&mut page.tx, page.acting, &m).await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => {
                    page.tx.commit().await?;
                    return Ok(back(form.date));
                }
                Err(e) => {
                    typed.water_error = FormErrors::from_app(e, &[])?
                        .iter_pairs()
                        .next()
                        .map(|(_, v)| v)
                }
            }
        }
        _ => typed.water_error = Some(page.t.get("form.not_a_number").to_string()),
    }
    let p = Params {
        date: form.date,
        ..Params::default()
    };
    render_invalid(&mut page, &p, typed).await
}

#[derive(Deserialize)]
pub struct TypeForm {
    name: String,
    dimension: String,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

/// "Left arm" → `left_arm`: the snake_case name types have.
fn snake_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

pub async fn create_type(
    mut page: Page,
    PageForm(form): PageForm<TypeForm>,
) -> Result<Response, PageError> {
    let input = MeasurementTypeInput {
        name: snake_name(&form.name),
        dimension: Dimension::parse(&form.dimension).ok(),
        unit: None,
    };
    let result = match input.parse() {
        Ok(new) => {
            if !super::once::first_send(&mut page.tx, "type", form.once.as_deref()).await? {
                return Ok(redirect("/checkin"));
            }
            measurement_types::create(&mut page.tx, &new).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            page.tx.commit().await?;
            Ok(redirect("/checkin"))
        }
        Err(e) => {
            let errors = FormErrors::from_app(e, &[])?;
            let typed = Typed {
                type_name: form.name.clone(),
                type_dimension: form.dimension.clone(),
                type_error: errors.iter_pairs().next().map(|(_, v)| v),
                ..Typed::default()
            };
            render_invalid(&mut page, &Params::default(), typed).await
        }
    }
}

#[derive(Deserialize)]
pub struct EditForm {
    value: String,
    /// The unit the form showed the value in.
    #[serde(default)]
    unit: Option<String>,
}

pub async fn edit(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<EditForm>,
) -> Result<Response, PageError> {
    let problem = match decimal(&form.value) {
        Ok(Some(d)) => {
            // Saved as the form showed it (the stored value rounded for display): nothing
            // changed, and converting it back would move the stored value (81 kg became
            // 80.99799 kg for someone reading pounds).
            let stored = measurements::get(&mut page.tx, id).await?;
            let unit = form.unit.clone().filter(|u| !u.trim().is_empty());
            let same_unit = unit.as_deref().is_none_or(|u| u == stored.unit);
            if same_unit && stored.value.decimal().normalize() == d.normalize() {
                page.tx.commit().await?;
                return Ok(redirect("/checkin"));
            }
            let input = UpdateMeasurementInput {
                value: Some(Amount(d)),
                unit,
                measured_at: None,
                date: None,
                note: None,
            };
            match measurements::update(&mut page.tx, id, input).await {
                Ok(_) => {
                    page.tx.commit().await?;
                    return Ok(redirect("/checkin"));
                }
                Err(e) => FormErrors::from_app(e, &[])?
                    .iter_pairs()
                    .next()
                    .map(|(_, v)| v)
                    .unwrap_or_default(),
            }
        }
        _ => page.t.get("form.not_a_number").to_string(),
    };
    let typed = Typed {
        values: vec![("value".into(), form.value.clone())],
        edit: Some((id, problem)),
        ..Typed::default()
    };
    render_invalid(&mut page, &Params::default(), typed).await
}

pub async fn delete(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let m = measurements::get(&mut page.tx, id).await?;
        let what = format!(
            "{} {} {} of {}",
            m.kind.replace('_', " "),
            m.value.decimal().normalize(),
            m.unit,
            m.date
        );
        let action = format!("/checkin/entry/{id}/delete");
        return ask(page, Loss::CheckinEntry, &what, action, "/checkin".into()).await;
    }
    measurements::delete(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect("/checkin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_names_become_type_names() {
        assert_eq!(snake_name(" Left  arm! "), "left_arm");
        assert_eq!(snake_name("Thigh (right)"), "thigh_right");
    }
}
