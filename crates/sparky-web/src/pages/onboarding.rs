//! Onboarding after the first sign-in: units, timezone (the browser's, picked by app.js; a
//! select without JavaScript), sex, birth date, height, weight, activity and a direction →
//! the suggested calorie and macro targets with the formula behind them, saved with the
//! profile, preferences and weight in one transaction. Skippable; asked only once.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sparky_app::onboarding::{self, Direction, OnboardingInput, OnboardingPlan};
use sparky_app::{Acting, AppError};
use sparky_core::energy::ActivityLevel;

use super::format::{kcal, number};
use super::forms::{formula, options, timezones, Errors, Opt};
use super::{html, redirect, Page, PageError, PageForm, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/onboarding", get(show).post(submit))
        .route("/onboarding/skip", post(skip))
}

/// The suggested targets, formatted.
pub struct PlanView {
    pub calories: String,
    pub protein: String,
    pub carbs: String,
    pub fat: String,
    pub formula: String,
    /// The answers as understood ("male, 40 years, 177.8 cm, 86.2 kg"), so a wrong unit shows.
    pub understood: String,
}

#[derive(Template)]
#[template(path = "pages/onboarding.html")]
struct OnboardingPage {
    shell: Shell,
    f: OnboardingInput,
    errors: Errors,
    units: Vec<Opt>,
    timezones: Vec<Opt>,
    /// First visit: let the browser pick the timezone.
    detect_timezone: bool,
    sexes: Vec<Opt>,
    height_units: Vec<Opt>,
    /// `text` for inches, so a phone's keyboard has the ' and " of 5'5".
    height_inputmode: &'static str,
    weight_units: Vec<Opt>,
    activities: Vec<Opt>,
    goals: Vec<Opt>,
    plan: Option<PlanView>,
}

fn page_of(
    shell: Shell,
    f: OnboardingInput,
    errors: Errors,
    first: bool,
    plan: Option<PlanView>,
) -> OnboardingPage {
    let t = shell.t;
    let imperial = f.units_system == "imperial";
    let height_unit = match f.height_unit.as_str() {
        "" if imperial => "in",
        "" => "cm",
        u => u,
    };
    let weight_unit = match f.weight_unit.as_str() {
        "" if imperial => "lb",
        "" => "kg",
        u => u,
    };
    let activity_values: Vec<&str> = ActivityLevel::ALL.iter().map(|a| a.as_str()).collect();
    let goal_values: Vec<&str> = Direction::ALL.iter().map(|d| d.as_str()).collect();
    OnboardingPage {
        units: options(&t, "units", &["metric", "imperial"], &f.units_system),
        timezones: timezones(&f.timezone),
        detect_timezone: first,
        sexes: options(&t, "sex", &["female", "male"], &f.sex),
        height_units: vec![
            Opt::new("cm", "cm", height_unit),
            Opt::new("in", "in", height_unit),
        ],
        height_inputmode: if height_unit == "in" {
            "text"
        } else {
            "decimal"
        },
        weight_units: vec![
            Opt::new("kg", "kg", weight_unit),
            Opt::new("lb", "lb", weight_unit),
        ],
        activities: options(&t, "activity", &activity_values, &f.activity),
        goals: options(&t, "direction", &goal_values, &f.goal),
        shell,
        f,
        errors,
        plan,
    }
}

fn plan_view(t: &crate::i18n::Messages, p: &OnboardingPlan, imperial: bool) -> PlanView {
    let f = |d: rust_decimal::Decimal| -> f64 { d.try_into().unwrap_or(0.0) };
    // The answers in the units they were asked in (a US user read "167.6 cm, 81.6 kg").
    let (height, weight) = match imperial {
        true => (
            format!(
                "{} in",
                number(f(sparky_core::units::cm_to_in(p.height_cm)), 1)
            ),
            format!(
                "{} lb",
                number(f(sparky_core::units::kg_to_lb(p.weight_kg)), 1)
            ),
        ),
        false => (
            format!("{} cm", number(f(p.height_cm), 1)),
            format!("{} kg", number(f(p.weight_kg), 1)),
        ),
    };
    let g = |d: rust_decimal::Decimal| format!("{} g", number(d.try_into().unwrap_or(0.0), 0));
    PlanView {
        calories: kcal(p.calories.try_into().unwrap_or(0.0)),
        protein: g(p.protein_g),
        carbs: g(p.carbohydrates_g),
        fat: g(p.fat_g),
        formula: formula(t, &p.suggestion, imperial),
        understood: t.fill(
            "onboarding.understood",
            &[
                ("sex", t.get(&format!("sex.{}", p.sex.as_str()))),
                ("age", &p.suggestion.inputs.age.to_string()),
                ("height", &height),
                ("weight", &weight),
            ],
        ),
    }
}

async fn show(mut page: Page) -> Result<Response, PageError> {
    if onboarding::is_done(&mut page.tx).await? {
        page.tx.commit().await?;
        return Ok(redirect("/"));
    }
    let t = page.t;
    let shell = page.shell(t.get("onboarding.title"), "").await?;
    let prefs = sparky_app::preferences::get(&mut page.tx, Acting::ME).await?;
    page.tx.commit().await?;
    let f = OnboardingInput {
        units_system: prefs.units_system,
        // Without JavaScript the select keeps this; app.js picks the browser's zone.
        timezone: prefs.timezone,
        goal: "maintain".into(),
        activity: "light".into(),
        ..OnboardingInput::default()
    };
    Ok(html(&page_of(shell, f, Errors::default(), true, None)))
}

#[derive(Deserialize)]
pub struct OnboardingForm {
    #[serde(flatten)]
    input: OnboardingInput,
    /// `preview` shows the targets; `save` saves everything.
    #[serde(default)]
    action: String,
    /// The form's once-token ([`super::Shell::once`]): saved twice, the weight is one reading.
    #[serde(default, rename = "_once")]
    once: Option<String>,
}

async fn submit(
    mut page: Page,
    PageForm(form): PageForm<OnboardingForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let result = if form.action == "save" {
        if !super::once::first_send(&mut page.tx, "onboarding", form.once.as_deref()).await? {
            return Ok(redirect("/"));
        }
        // A leftover tab sent after onboarding was finished would replace the profile,
        // timezone and every target set since: refused, saying where to change them.
        if onboarding::is_done(&mut page.tx).await? {
            return Err(PageError::App(AppError::conflict(
                "Sparky is already set up, so nothing was changed: change your profile and \
                 units in Settings and your targets in Goals",
            )));
        }
        onboarding::complete(&mut page.tx, &form.input).await
    } else {
        onboarding::plan(&form.input)
    };
    match result {
        Ok(_) if form.action == "save" => {
            page.tx.commit().await?;
            Ok(redirect("/"))
        }
        Ok(plan) => {
            let shell = page.shell(t.get("onboarding.title"), "").await?;
            let view = plan_view(&t, &plan, form.input.units_system == "imperial");
            Ok(html(&page_of(
                shell,
                form.input,
                Errors::default(),
                false,
                Some(view),
            )))
        }
        Err(e @ AppError::Invalid(_)) => {
            // Nothing is kept: the transaction is dropped, not committed.
            let errors = Errors::from_app(&t, "onboarding.err", &e).unwrap_or_default();
            let shell = page.shell(t.get("onboarding.title"), "").await?;
            let body = html(&page_of(shell, form.input, errors, false, None));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

async fn skip(mut page: Page, PageForm(_): PageForm<Empty>) -> Result<Response, PageError> {
    onboarding::skip(&mut page.tx).await?;
    page.tx.commit().await?;
    Ok(redirect("/"))
}
