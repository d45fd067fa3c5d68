//! The weight goal on the Goals page: where it stands (start, now, target, progress, the day
//! the trend reaches it), setting one (optionally with the calorie target that goes with it),
//! and completing, pausing or deleting it.

use crate::pages::confirm::{ask, ConfirmForm, Loss};
use crate::pages::PagePath;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sparky_app::goals::{self, Goal, GoalInput, UpdateGoalInput};
use sparky_app::AppError;
use sparky_core::{Date, GoalStatus, GoalType};
use uuid::Uuid;

use super::super::charts;
use super::super::format::{day_label, number};
use super::super::forms::{decimal, options, Errors, Opt};
use super::super::{redirect, Page, PageError, PageForm, Shell};
use super::{render, SuggestParams};
use crate::i18n::Messages;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/goals/weight", post(create))
        .route("/goals/{id}/status", post(set_status))
        .route("/goals/{id}/delete", post(delete))
}

pub struct WeightGoalView {
    pub id: Uuid,
    pub kind: &'static str,
    pub target: String,
    pub start: String,
    pub current: String,
    pub percent: String,
    pub bar: String,
    pub target_date: String,
    pub projected: String,
}

/// The weight goal card: the active goal, or the form to set one.
pub struct WeightView {
    pub goal: Option<WeightGoalView>,
    /// Paused weight goals, to resume (they vanished from the page once paused).
    pub paused: Vec<PausedGoalView>,
    pub types: Vec<Opt>,
    pub unit: &'static str,
    pub errors: Errors,
    pub form: WeightForm,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WeightForm {
    pub goal_type: String,
    pub target: String,
    pub target_date: String,
    pub with_calorie_target: Option<String>,
    /// The form's once-token ([`Shell::once`]).
    #[serde(rename = "_once")]
    pub once: Option<String>,
}

/// A paused weight goal: what it was, and its id for Resume.
pub struct PausedGoalView {
    pub id: Uuid,
    pub kind: &'static str,
    pub target: String,
}

pub fn view(
    t: &Messages,
    shell: &Shell,
    active: &[Goal],
    paused: &[Goal],
    form: Option<(Errors, WeightForm)>,
) -> WeightView {
    let date = |d: NaiveDate| day_label(t, d, chrono::Utc::now().year());
    let goal = active.iter().find(|g| g.goal_type.is_weight()).map(|g| {
        let unit = g.target_unit.as_str();
        let w = |a: Option<sparky_core::Amount>| {
            a.map(|a| format!("{} {unit}", number(a.to_f64(), 1)))
                .unwrap_or_else(|| "–".into())
        };
        let percent = g.progress_percent.map(|p| p.to_f64());
        WeightGoalView {
            id: g.id,
            kind: t.get(&format!("goals.type.{}", g.goal_type.as_str())),
            target: w(g.target_value),
            start: w(g.start_value),
            current: w(g.current_value),
            percent: percent
                .map(|p| format!("{} %", number(p, 0)))
                .unwrap_or_else(|| "–".into()),
            bar: charts::bar(
                percent.unwrap_or(0.0),
                Some(100.0),
                &t.fill(
                    "goals.progress_label",
                    &[("percent", &number(percent.unwrap_or(0.0), 0))],
                ),
            ),
            target_date: g.target_date.map(date).unwrap_or_default(),
            projected: g.projected_date.map(date).unwrap_or_default(),
        }
    });
    let (errors, form) = form.unwrap_or_else(|| {
        (
            Errors::default(),
            WeightForm {
                goal_type: "weight_loss".into(),
                ..WeightForm::default()
            },
        )
    });
    let paused = paused
        .iter()
        .filter(|g| g.goal_type.is_weight())
        .map(|g| PausedGoalView {
            id: g.id,
            kind: t.get(&format!("goals.type.{}", g.goal_type.as_str())),
            target: g
                .target_value
                .map(|a| format!("{} {}", number(a.to_f64(), 1), g.target_unit))
                .unwrap_or_default(),
        })
        .collect();
    WeightView {
        goal,
        paused,
        types: options(
            t,
            "goals.type",
            &["weight_loss", "muscle_gain", "weight_target"],
            &form.goal_type,
        ),
        unit: shell.units.weight_unit(),
        errors,
        form,
    }
}

async fn create(
    mut page: Page,
    PageForm(form): PageForm<WeightForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let unit = page.shell("", "goals").await?.units.weight_unit();
    let mut errors = Errors::default();
    let goal_type = GoalType::parse(&form.goal_type)
        .ok()
        .filter(|g| g.is_weight());
    if goal_type.is_none() {
        errors
            .0
            .insert("goal_type".into(), t.get("goals.err.goal_type").into());
    }
    let target = decimal(&form.target).ok().flatten();
    if target.is_none() {
        errors.0.insert(
            "target_value".into(),
            t.get("goals.err.target_value").into(),
        );
    }
    let target_date = match form.target_date.trim() {
        "" => None,
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .and_then(|d| Date::new(d).ok())
        {
            Some(d) => Some(d),
            None => {
                errors
                    .0
                    .insert("target_date".into(), t.get("goals.err.target_date").into());
                None
            }
        },
    };
    if let (Some(goal_type), Some(target), true) = (goal_type, target, errors.is_empty()) {
        let with_target = form.with_calorie_target.is_some()
            && matches!(goal_type, GoalType::WeightLoss | GoalType::MuscleGain);
        let input = GoalInput {
            goal_type,
            target_value: sparky_core::Amount(target),
            target_unit: Some(unit.to_string()),
            target_date,
            status: None,
            start_value: None,
            with_calorie_target: Some(with_target),
            weekly_change_kg: None,
            by_weekday: None,
        };
        let acting = page.acting;
        let result = match input.parse() {
            Ok(new) => {
                let once = form.once.as_deref();
                if !super::super::once::first_send(&mut page.tx, "goal", once).await? {
                    return Ok(redirect("/goals"));
                }
                goals::create(&mut page.tx, acting, &new).await.map(|_| ())
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                page.tx.commit().await?;
                return Ok(redirect("/goals"));
            }
            Err(e @ AppError::Invalid(_)) => {
                errors = Errors::from_app(&t, "goals.err", &e).unwrap_or_default();
            }
            Err(e) => return Err(e.into()),
        }
    }
    let body = render(
        page,
        Errors::default(),
        None,
        SuggestParams::default(),
        Some((errors, form)),
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

async fn set_status(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<StatusForm>,
) -> Result<Response, PageError> {
    let status =
        GoalStatus::parse(&form.status).map_err(|e| PageError::invalid("status", e.to_string()))?;
    let change = UpdateGoalInput {
        target_value: None,
        target_unit: None,
        target_date: None,
        status: Some(status),
        start_value: None,
        by_weekday: None,
    };
    goals::update(&mut page.tx, id, change).await?;
    page.tx.commit().await?;
    Ok(redirect("/goals"))
}

async fn delete(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let goal = goals::get(&mut page.tx, id).await?;
        let what = match goal.target_value {
            Some(v) => format!(
                "{} {}",
                sparky_core::units::round_dp(v.decimal(), 2).normalize(),
                goal.target_unit
            ),
            None => String::new(),
        };
        let action = format!("/goals/{id}/delete");
        return ask(page, Loss::WeightGoal, &what, action, "/goals".into()).await;
    }
    goals::delete(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect("/goals"))
}
