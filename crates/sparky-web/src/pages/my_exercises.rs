//! Your own exercises (`/exercise/new`, `/exercise/mine/{id}`): one the catalog lacks is made
//! with its name, category, muscle groups, equipment and MET value (for the calorie estimate),
//! then logged at once; later changed or deleted. The catalog stays read-only: RLS lets a user
//! change only the exercises they own, and the operations say so.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use serde::Deserialize;
use sparky_app::exercises::{self, Exercise, ExerciseInput};
use sparky_core::Amount;
use uuid::Uuid;

use super::confirm::{ask, ConfirmForm, Loss};
use super::form_errors::{decimal, FormErrors};
use super::{html, redirect, Page, PageError, PageForm, PagePath, PageQuery, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/exercise/new", get(new_form).post(create))
        .route("/exercise/mine/{id}", get(edit_form).post(save))
        .route("/exercise/mine/{id}/delete", post(delete))
}

/// Fields the form shows; a problem of any other goes above the form.
const SHOWN: [&str; 6] = [
    "name",
    "category",
    "muscle_groups",
    "equipment",
    "met_value",
    "instructions",
];

/// What the form holds, as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExerciseForm {
    name: String,
    category: String,
    /// Comma-separated: "quadriceps, glutes".
    muscle_groups: String,
    equipment: String,
    met_value: String,
    instructions: String,
    /// The day the exercise is then logged on (the day the exercise page showed).
    date: Option<NaiveDate>,
    #[serde(rename = "_once")]
    once: Option<String>,
}

pub struct FormView {
    /// The exercise changed (none: a new one is made).
    pub id: Option<Uuid>,
    pub typed: ExerciseForm,
    pub categories: Vec<(&'static str, &'static str)>,
    pub muscles: Vec<String>,
    pub equipments: Vec<String>,
    pub errors: FormErrors,
    pub form_errors: Vec<String>,
    pub saved: bool,
    /// Where Cancel and the link back lead.
    pub back: String,
}

#[derive(Template)]
#[template(path = "pages/exercise_form.html")]
struct FormPage {
    shell: Shell,
    v: FormView,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewParams {
    name: Option<String>,
    date: Option<NaiveDate>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EditParams {
    saved: Option<String>,
}

impl ExerciseForm {
    fn of(e: &Exercise) -> ExerciseForm {
        ExerciseForm {
            name: e.name.clone(),
            category: e.category.clone().unwrap_or_default(),
            muscle_groups: e.muscle_groups.join(", "),
            equipment: e.equipment.clone().unwrap_or_default(),
            met_value: e
                .met_value
                .map(|m| m.decimal().normalize().to_string())
                .unwrap_or_default(),
            instructions: e.instructions.clone().unwrap_or_default(),
            date: None,
            once: None,
        }
    }

    /// The operation's input, or the form's own problems (a MET value that is no number).
    fn input(&self, t: &crate::i18n::Messages) -> Result<ExerciseInput, FormErrors> {
        let met_value = match decimal(&self.met_value) {
            Ok(m) => m.map(Amount),
            Err(()) => {
                let mut errors = FormErrors::new();
                errors.add("met_value", t.get("my_exercise.met_number"));
                return Err(errors);
            }
        };
        let text = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
        Ok(ExerciseInput {
            name: self.name.clone(),
            category: text(&self.category),
            muscle_groups: self
                .muscle_groups
                .split([',', ';', '\n'])
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect(),
            equipment: text(&self.equipment),
            instructions: text(&self.instructions),
            met_value,
        })
    }
}

async fn form_view(
    page: &mut Page,
    shell: &Shell,
    id: Option<Uuid>,
    typed: ExerciseForm,
    errors: FormErrors,
) -> Result<FormView, PageError> {
    let t = &shell.t;
    let facets = exercises::facets(&mut page.tx).await?;
    let back = match (id, typed.date) {
        (_, Some(d)) => format!("/exercise?date={d}"),
        _ => "/exercise".to_string(),
    };
    Ok(FormView {
        id,
        categories: super::exercise::category_options(t),
        muscles: facets.muscle_groups,
        equipments: facets.equipment,
        form_errors: errors.others(&SHOWN),
        errors,
        saved: false,
        back,
        typed,
    })
}

fn render(mut shell: Shell, v: FormView, status: StatusCode) -> Response {
    shell.title = match v.id {
        Some(_) => shell.fill("my_exercise.edit_title", &[("name", &v.typed.name)]),
        None => shell.t("my_exercise.new_title").to_string(),
    };
    let mut r = html(&FormPage { shell, v });
    *r.status_mut() = status;
    r
}

async fn new_form(
    mut page: Page,
    PageQuery(p): PageQuery<NewParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "exercise").await?;
    let typed = ExerciseForm {
        name: p.name.unwrap_or_default().trim().to_string(),
        date: p.date.filter(|d| sparky_core::Date::new(*d).is_ok()),
        ..ExerciseForm::default()
    };
    let v = form_view(&mut page, &shell, None, typed, FormErrors::new()).await?;
    page.tx.commit().await?;
    Ok(render(shell, v, StatusCode::OK))
}

/// The problems of a refused form, by the form's field names.
fn refused(e: sparky_app::AppError) -> Result<FormErrors, PageError> {
    FormErrors::from_app(e, &[])
}

async fn create(
    mut page: Page,
    PageForm(mut typed): PageForm<ExerciseForm>,
) -> Result<Response, PageError> {
    let once = typed.once.clone();
    // A day outside the range kept is no day to log on: the log form opens on today.
    typed.date = typed.date.filter(|d| sparky_core::Date::new(*d).is_ok());
    let errors = match typed.input(&page.t) {
        Ok(input) => match input.parse() {
            Ok(new) => {
                if let Some(to) =
                    super::once::earlier_answer(&mut page.tx, "exercise", once.as_deref()).await?
                {
                    return Ok(redirect(&to));
                }
                let e = exercises::create(&mut page.tx, &new).await?;
                // Straight on to logging it, on the day the exercise page showed.
                let to = match typed.date {
                    Some(d) => format!("/exercise/log/{}?date={d}", e.id),
                    None => format!("/exercise/log/{}", e.id),
                };
                super::once::keep(&mut page.tx, "exercise", once.as_deref(), &to).await?;
                page.tx.commit().await?;
                return Ok(redirect(&to));
            }
            Err(e) => refused(e)?,
        },
        Err(errors) => errors,
    };
    let shell = page.shell("", "exercise").await?;
    let v = form_view(&mut page, &shell, None, typed, errors).await?;
    Ok(render(shell, v, StatusCode::UNPROCESSABLE_ENTITY))
}

/// One of the user's own exercises; the catalog's (read-only) lead to their log form.
async fn own(
    page: &mut Page,
    shell: &Shell,
    id: Uuid,
) -> Result<Result<Exercise, Response>, PageError> {
    let e = exercises::get(&mut page.tx, id).await?;
    if e.user_id != Some(shell.user_id) {
        return Ok(Err(redirect(&format!("/exercise/log/{id}"))));
    }
    Ok(Ok(e))
}

async fn edit_form(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<EditParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "exercise").await?;
    let e = match own(&mut page, &shell, id).await? {
        Ok(e) => e,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let mut v = form_view(
        &mut page,
        &shell,
        Some(id),
        ExerciseForm::of(&e),
        FormErrors::new(),
    )
    .await?;
    page.tx.commit().await?;
    v.saved = p.saved.is_some();
    Ok(render(shell, v, StatusCode::OK))
}

async fn save(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(typed): PageForm<ExerciseForm>,
) -> Result<Response, PageError> {
    let errors = match typed.input(&page.t) {
        Ok(input) => match input.parse() {
            // The operation refuses the catalog's (403) and others' (404) exercises.
            Ok(new) => match exercises::update(&mut page.tx, id, &new).await {
                Ok(_) => {
                    page.tx.commit().await?;
                    return Ok(redirect(&format!("/exercise/mine/{id}?saved=1")));
                }
                Err(e) => refused(e)?,
            },
            Err(e) => refused(e)?,
        },
        Err(errors) => errors,
    };
    let shell = page.shell("", "exercise").await?;
    // Only one's own exercise gets here with a refusal to show (others' were errors above).
    let v = form_view(&mut page, &shell, Some(id), typed, errors).await?;
    Ok(render(shell, v, StatusCode::UNPROCESSABLE_ENTITY))
}

async fn delete(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let name = exercises::get(&mut page.tx, id).await?.name;
        let (action, back) = (
            format!("/exercise/mine/{id}/delete"),
            format!("/exercise/mine/{id}"),
        );
        return ask(page, Loss::Exercise, &name, action, back).await;
    }
    exercises::delete(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect("/exercise"))
}
