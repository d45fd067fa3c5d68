//! A meal plan's shopping list (`/plans/{id}/shopping`): what the plan needs over some days,
//! per food, with checkboxes to tick off in the shop, and as plain text to paste elsewhere.

use askama::Template;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::meal_plans::{self, ShoppingItem, ShoppingQuery};
use sparky_core::units::round_dp;
use sparky_core::Date;
use uuid::Uuid;

use super::form_errors::FormErrors;
use super::format::Units;
use super::{html, Page, PageError, Shell};
use crate::pages::{PagePath, PageQuery};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/plans/{id}/shopping", get(shopping))
}

#[derive(Deserialize)]
pub struct ShoppingParams {
    from: Option<String>,
    to: Option<String>,
    /// `text` for the list as plain text.
    format: Option<String>,
}

pub struct ShoppingRow {
    pub name: String,
    pub amount: String,
    /// "for Lentil soup, Pancakes".
    pub note: String,
}

pub struct ShoppingView {
    /// The list was worked out (false: the range was refused).
    pub shown: bool,
    pub id: Uuid,
    pub name: String,
    pub from: String,
    pub to: String,
    pub range: String,
    pub rows: Vec<ShoppingRow>,
    pub text_link: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "pages/shopping.html")]
struct ShoppingPage {
    shell: Shell,
    v: ShoppingView,
}

/// An amount as a shop sells it: grams over a kilo in kg (pounds and ounces for imperial
/// units), millilitres over a litre in litres, others as planned.
pub fn shop_amount(amount: Decimal, unit: &str, units: &Units) -> String {
    let show = |v: Decimal, places: u32, unit: &str| {
        super::format::amount(round_dp(v, places).normalize(), unit)
    };
    let thousand = Decimal::from(1000);
    match unit {
        "g" if units.imperial() => {
            let oz = amount / Decimal::new(28_349_523_125, 9);
            if oz >= Decimal::from(16) {
                show(oz / Decimal::from(16), 2, "lb")
            } else {
                show(oz, 1, "oz")
            }
        }
        "g" if amount >= thousand => show(amount / thousand, 2, "kg"),
        "ml" if amount >= thousand => show(amount / thousand, 2, "l"),
        _ => show(amount, 2, unit),
    }
}

fn row(item: &ShoppingItem, shell: &Shell) -> ShoppingRow {
    let name = match &item.brand {
        Some(b) if !b.trim().is_empty() => format!("{} ({b})", item.name),
        _ => item.name.clone(),
    };
    ShoppingRow {
        name,
        amount: shop_amount(item.amount.decimal(), &item.unit, &shell.units),
        // "also for" when some of it is eaten as it is, not only in the recipes.
        note: match (item.recipes.is_empty(), item.planned_as_itself) {
            (true, _) => String::new(),
            (false, also) => shell.t.fill(
                if also {
                    "shopping.also_for"
                } else {
                    "shopping.for"
                },
                &[("recipes", &item.recipes.join(", "))],
            ),
        },
    }
}

/// A date typed into the range form: None when left empty, Err when it is not a date.
fn typed_date(text: Option<&str>) -> Result<Option<Date>, ()> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t
            .parse::<NaiveDate>()
            .ok()
            .and_then(|d| Date::new(d).ok())
            .map(Some)
            .ok_or(()),
    }
}

async fn shopping(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<ShoppingParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "more").await?;
    let t = &shell.t;
    let mut errors = FormErrors::new();
    let from = typed_date(p.from.as_deref()).unwrap_or_else(|_| {
        errors.add("from", t.get("plans.date_needed"));
        None
    });
    let to = typed_date(p.to.as_deref()).unwrap_or_else(|_| {
        errors.add("to", t.get("plans.date_needed"));
        None
    });
    let query = ShoppingQuery { from, to };
    let list = if errors.is_empty() {
        match meal_plans::shopping(&mut page.tx, page.acting, id, &query).await {
            Ok(list) => Some(list),
            Err(e @ sparky_app::AppError::Invalid(_)) => {
                errors = FormErrors::from_app(e, &[])?;
                None
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    // A refused range still shows the plan's name (and a 404 for a plan you cannot see).
    let (name, from, to, items) = match list {
        Some(l) => (l.name, l.from.to_string(), l.to.to_string(), l.items),
        None => (
            meal_plans::get_template(&mut page.tx, id)
                .await?
                .template
                .name,
            p.from.clone().unwrap_or_default(),
            p.to.clone().unwrap_or_default(),
            Vec::new(),
        ),
    };
    let rows: Vec<ShoppingRow> = items.iter().map(|i| row(i, &shell)).collect();
    if p.format.as_deref() == Some("text") && errors.is_empty() {
        let mut text = format!(
            "{name}: {}\n\n",
            t.fill("shopping.range", &[("from", &from), ("to", &to)])
        );
        for r in &rows {
            let note = if r.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.note)
            };
            text.push_str(&format!("- {} {}{note}\n", r.amount, r.name));
        }
        return Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response());
    }
    let this_year = chrono::Utc::now().year();
    let label = |d: &str| {
        d.parse::<NaiveDate>()
            .map(|d| super::format::day_label(t, d, this_year))
            .unwrap_or_else(|_| d.to_string())
    };
    let v = ShoppingView {
        shown: errors.is_empty(),
        id,
        range: t.fill(
            "shopping.range",
            &[("from", &label(&from)), ("to", &label(&to))],
        ),
        text_link: format!("/plans/{id}/shopping?from={from}&to={to}&format=text"),
        name: name.clone(),
        from,
        to,
        rows,
        errors,
    };
    let invalid = !v.errors.is_empty();
    let title = t.fill("shopping.title", &[("plan", &name)]);
    let mut shell = shell;
    shell.title = title;
    let mut r = html(&ShoppingPage { shell, v });
    if invalid {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_a_shop_sells_them() {
        let metric = Units::default();
        assert_eq!(shop_amount(Decimal::from(431), "g", &metric), "431 g");
        assert_eq!(shop_amount(Decimal::from(1250), "g", &metric), "1.25 kg");
        assert_eq!(shop_amount(Decimal::from(1800), "ml", &metric), "1.8 l");
        assert_eq!(shop_amount(Decimal::new(25, 1), "cup", &metric), "2.5 cups");
        assert_eq!(
            shop_amount(Decimal::new(333_333, 6), "serving", &metric),
            "0.33 servings"
        );
        let imperial = Units {
            system: sparky_core::UnitsSystem::Imperial,
            ..Units::default()
        };
        assert_eq!(shop_amount(Decimal::from(100), "g", &imperial), "3.5 oz");
        assert_eq!(shop_amount(Decimal::from(1000), "g", &imperial), "2.2 lb");
    }
}
