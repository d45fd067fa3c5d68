//! Logging a workout: sets (reps × weight in the owner's units, or a time for a plank or a
//! carry) for strength, duration and distance for cardio, with the calorie estimate (MET × body
//! weight × hours) shown before saving. A sheet over the exercise page with htmx, a page of its
//! own without it. A new workout's form names the last session of the exercise and can be
//! filled the same from it (`?repeat=<workout>`, also the exercise page's "Repeat").

use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::exercises::{self, Exercise};
use sparky_app::workouts::{self, LogWorkoutInput, SetInput, UpdateWorkoutInput, Workout};
use sparky_app::AppError;
use sparky_core::exercise::{clock, duration_label, met_calories, minutes_of};
use sparky_core::{Amount, Date, DistanceUnit, ExerciseCategory, WeightUnit};
use uuid::Uuid;

use super::exercise::{exercise_detail, workout_summary};
use super::form_errors::{decimal, whole, FormErrors};
use super::format::{day_label, kcal, number};
use super::{html, redirect, Page, PageError, PageForm, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/exercise/log/{id}", get(form))
        .route("/exercise/log", post(log))
        .route("/exercise/workout/{id}/edit", get(edit_form))
        .route("/exercise/workout/{id}", post(update))
        .route("/exercise/estimate", get(estimate))
}

/// Set rows the form starts with (empty ones are ignored).
const SET_ROWS: usize = 6;
/// Set rows it grows to with "Add sets", three at a time.
const MAX_SET_ROWS: usize = 30;
const ADD_ROWS: usize = 3;

pub struct SetRow {
    pub n: usize,
    pub reps: String,
    pub weight: String,
    /// A timed set's time as typed ("60", "1:30").
    pub time: String,
    pub reps_error: Option<String>,
    pub weight_error: Option<String>,
    pub time_error: Option<String>,
    /// The first row added by "More set rows" (the cursor goes there).
    pub focus: bool,
}

pub struct LogView {
    pub id: Uuid,
    pub name: String,
    pub detail: String,
    pub date: NaiveDate,
    pub strength: bool,
    pub cardio: bool,
    pub sets: Vec<SetRow>,
    /// "Add sets" is offered (the form has fewer than [`MAX_SET_ROWS`] rows).
    pub more_rows: bool,
    pub weight_unit: &'static str,
    pub distance_unit: &'static str,
    pub duration: String,
    pub distance: String,
    pub calories: String,
    pub notes: String,
    pub errors: FormErrors,
    pub form_errors: Vec<String>,
    /// "About 280 kcal per 30 minutes at 70 kg", or why there is none.
    pub estimate: String,
    /// The workout this form changes (none: it logs a new one).
    pub edit: Option<Uuid>,
    /// The exercise is the user's own (a link to change it is shown).
    pub mine: bool,
    /// A new workout's form: the owner's last session of the exercise (or the one the form
    /// was filled from), to do the same again.
    pub last: Option<LastTime>,
}

/// A session of the exercise above a new workout's form: "Last time, Mon 3 Nov: 10 × 60 kg,
/// 8 × 65 kg · 40 min" with "Fill in the same", or, on the form filled from it, "Filled in
/// from Mon 3 Nov: …" with "Start empty".
pub struct LastTime {
    /// The workout ("Fill in the same" is the form with `repeat` set to it).
    pub workout: Uuid,
    /// "Today", "Mon 3 Nov".
    pub day: String,
    /// Its sets, duration and distance as the exercise page lists them.
    pub summary: String,
    /// The form is filled from it.
    pub filled: bool,
}

#[derive(Template)]
#[template(path = "partials/exercise_log.html")]
struct LogFragment {
    shell: Shell,
    v: LogView,
}

#[derive(Template)]
#[template(path = "pages/exercise_log.html")]
struct LogPage {
    shell: Shell,
    v: LogView,
}

#[derive(Deserialize)]
pub struct FormParams {
    date: Option<NaiveDate>,
    /// A workout of the exercise to fill the form from ("Fill in the same", "Repeat"): its
    /// sets, duration and distance, not its date, note or calories. One that is not a workout
    /// of this exercise in the shown diary (gone since, someone else's, not an id) is left
    /// out: the form is the empty one.
    repeat: Option<String>,
}

/// The owner's latest weight in kg, when it may be read.
async fn body_weight_kg(page: &mut Page) -> Option<Decimal> {
    let latest = sparky_app::measurements::latest(&mut page.tx, page.acting)
        .await
        .ok()?;
    latest
        .items
        .iter()
        .find(|m| m.kind == "weight")
        .map(|m| m.canonical_value.decimal())
}

fn estimate_text(
    shell: &Shell,
    met: Option<Amount>,
    weight_kg: Option<Decimal>,
    seconds: Option<i32>,
) -> String {
    let t = &shell.t;
    let (Some(met), Some(kg)) = (met, weight_kg) else {
        return match met {
            None => t.get("exercise.no_met").to_string(),
            Some(_) => t.get("exercise.need_weight").to_string(),
        };
    };
    let weight = shell.units.weight(Amount(kg).to_f64());
    match seconds.filter(|s| *s > 0) {
        Some(s) => t.fill(
            "exercise.estimate_for",
            &[
                (
                    "kcal",
                    &kcal(Amount(met_calories(met.decimal(), kg, minutes_of(s))).to_f64()),
                ),
                ("duration", &duration_label(s)),
                ("weight", &weight),
            ],
        ),
        None => t.fill(
            "exercise.estimate_per_30",
            &[
                (
                    "kcal",
                    &kcal(Amount(met_calories(met.decimal(), kg, Decimal::from(30))).to_f64()),
                ),
                ("weight", &weight),
                ("met", &number(met.to_f64(), 1)),
            ],
        ),
    }
}

/// `rows` empty set rows, numbered from 1.
fn empty_rows(rows: usize) -> Vec<SetRow> {
    (1..=rows)
        .map(|n| SetRow {
            n,
            reps: String::new(),
            weight: String::new(),
            time: String::new(),
            reps_error: None,
            weight_error: None,
            time_error: None,
            focus: false,
        })
        .collect()
}

impl LogView {
    /// An empty form for exercise `id` named `name`, in the owner's units.
    fn blank(shell: &Shell, id: Uuid, name: &str, date: NaiveDate, rows: usize) -> LogView {
        let imperial = shell.units.imperial();
        LogView {
            id,
            name: name.to_string(),
            detail: String::new(),
            date,
            strength: true,
            cardio: true,
            sets: empty_rows(rows),
            more_rows: rows < MAX_SET_ROWS,
            weight_unit: if imperial { "lb" } else { "kg" },
            distance_unit: if imperial { "mi" } else { "km" },
            duration: String::new(),
            distance: String::new(),
            calories: String::new(),
            notes: String::new(),
            errors: FormErrors::new(),
            form_errors: Vec::new(),
            estimate: String::new(),
            edit: None,
            mine: false,
            last: None,
        }
    }
}

async fn view(
    page: &mut Page,
    shell: &Shell,
    e: &Exercise,
    date: NaiveDate,
    rows: usize,
    seconds: Option<i32>,
) -> Result<LogView, PageError> {
    let weight_kg = body_weight_kg(page).await;
    let category = e
        .category
        .as_deref()
        .and_then(|c| ExerciseCategory::parse(c).ok());
    let cardio = matches!(
        category,
        Some(ExerciseCategory::Cardio | ExerciseCategory::Sports)
    );
    let mut v = LogView::blank(shell, e.id, &e.name, date, rows);
    v.detail = exercise_detail(&shell.t, e);
    v.strength = !cardio;
    v.cardio = cardio;
    v.estimate = estimate_text(shell, e.met_value, weight_kg, seconds);
    v.mine = e.user_id == Some(shell.user_id);
    Ok(v)
}

/// Set rows for workout `w`'s sets, with a few empty ones after them.
fn rows_for(w: &Workout) -> usize {
    (w.sets.len() + ADD_ROWS).clamp(SET_ROWS, MAX_SET_ROWS)
}

/// Fills form `v` (with [`rows_for`] `w` rows) with workout `w`'s sets, duration and distance,
/// in the units it is shown in: what changing it starts from, and what doing it again repeats.
fn fill_from(v: &mut LogView, w: &Workout) {
    v.weight_unit = w.sets.first().map_or(v.weight_unit, |s| s.unit.as_str());
    v.distance_unit = w.distance_unit.as_str();
    for (row, set) in v.sets.iter_mut().zip(&w.sets) {
        row.reps = set.reps.map(|r| r.to_string()).unwrap_or_default();
        row.weight = set
            .weight
            .map(|wt| wt.decimal().normalize().to_string())
            .unwrap_or_default();
        // As a stopwatch shows it ("1:00", "0:45"), which the field reads back.
        row.time = set.duration_seconds.map(clock).unwrap_or_default();
    }
    // As typed: minutes, or a stopwatch's m:ss when there are seconds.
    v.duration = w
        .duration_seconds
        .map(|s| {
            if s % 60 == 0 {
                (s / 60).to_string()
            } else {
                clock(s)
            }
        })
        .unwrap_or_default();
    v.distance = w
        .distance
        .map(|d| d.decimal().normalize().to_string())
        .unwrap_or_default();
    // Sets on a workout of a cardio exercise stay editable.
    if !w.sets.is_empty() {
        v.strength = true;
    }
    if w.distance.is_some() {
        v.cardio = true;
    }
}

/// The form for changing workout `w`, filled with what it holds in the owner's units. Its
/// exercise's kind decides the fields; without one (deleted since) both kinds are offered.
async fn edit_view(page: &mut Page, shell: &Shell, w: &Workout) -> Result<LogView, PageError> {
    let rows = rows_for(w);
    let exercise = match w.exercise_id {
        Some(id) => exercises::get(&mut page.tx, id).await.ok(),
        None => None,
    };
    let mut v = match &exercise {
        Some(e) => view(page, shell, e, w.date, rows, w.duration_seconds).await?,
        // Both kinds of fields: the exercise that said which is gone.
        None => LogView::blank(shell, Uuid::nil(), &w.exercise_name, w.date, rows),
    };
    v.name = w.exercise_name.clone();
    v.edit = Some(w.id);
    v.date = w.date;
    fill_from(&mut v, w);
    // Calories typed in are shown to change; an estimate is left to be made again.
    v.calories = match (w.calories_source.as_deref(), w.calories_burned) {
        (Some("user"), Some(c)) => c.decimal().normalize().to_string(),
        _ => String::new(),
    };
    v.notes = w.notes.clone().unwrap_or_default();
    Ok(v)
}

/// Workout `id` when it is one of exercise `exercise` in the shown diary; `None` when it is
/// not (not visible, gone, another exercise, or someone else's that a grant shows).
async fn repeated(page: &mut Page, exercise: Uuid, id: Uuid) -> Result<Option<Workout>, PageError> {
    let w = match workouts::entry(&mut page.tx, id).await {
        Ok(w) => w,
        Err(AppError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let owner = page.acting.owner_id(&mut page.tx).await?;
    Ok((w.exercise_id == Some(exercise) && w.user_id == owner).then_some(w))
}

/// The shown diary's most recent session of exercise `exercise`; `None` when there is none or
/// the diary is not shared with the user.
async fn last_session(page: &mut Page, exercise: Uuid) -> Result<Option<Workout>, PageError> {
    Ok(workouts::last_session(&mut page.tx, page.acting, exercise).await?)
}

async fn edit_form(mut page: Page, PagePath(id): PagePath<Uuid>) -> Result<Response, PageError> {
    let shell = page.shell("", "exercise").await?;
    let w = workouts::entry(&mut page.tx, id).await?;
    let v = edit_view(&mut page, &shell, &w).await?;
    page.tx.commit().await?;
    Ok(shown(page.htmx, shell, w.exercise_name, v))
}

async fn update(
    page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(page, form, Some(id)).await
}

async fn form(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<FormParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "exercise").await?;
    let e = exercises::get(&mut page.tx, id).await?;
    let today = sparky_app::days::today(&mut page.tx, page.acting).await?;
    let date = super::page_date("date", p.date, today)?;
    let repeat = match p.repeat.as_deref().map(|r| r.trim().parse::<Uuid>()) {
        Some(Ok(w)) => repeated(&mut page, e.id, w).await?,
        _ => None,
    };
    // Filled from the workout asked for (on the form's date, without its note or calories
    // typed in), or empty with the last session above it.
    let filled = repeat.is_some();
    let (mut v, last) = match repeat {
        Some(w) => {
            let mut v = view(
                &mut page,
                &shell,
                &e,
                date,
                rows_for(&w),
                w.duration_seconds,
            )
            .await?;
            fill_from(&mut v, &w);
            (v, Some(w))
        }
        None => {
            let v = view(&mut page, &shell, &e, date, SET_ROWS, None).await?;
            (v, last_session(&mut page, e.id).await?)
        }
    };
    v.last = last.map(|w| LastTime {
        workout: w.id,
        day: if w.date == today {
            shell.t("day.today").to_string()
        } else {
            day_label(&shell.t, w.date, today.year())
        },
        summary: workout_summary(&w),
        filled,
    });
    page.tx.commit().await?;
    Ok(shown(page.htmx, shell, e.name, v))
}

/// The form titled `title`: in the sheet (htmx), or as its own page.
fn shown(htmx: bool, mut shell: Shell, title: String, v: LogView) -> Response {
    shell.title = title;
    if htmx {
        html(&LogFragment { shell, v })
    } else {
        html(&LogPage { shell, v })
    }
}

#[derive(Deserialize)]
pub struct EstimateParams {
    exercise_id: Uuid,
    duration: Option<String>,
}

/// The estimate for the minutes typed so far (htmx, as the duration changes).
async fn estimate(
    mut page: Page,
    PageQuery(p): PageQuery<EstimateParams>,
) -> Result<Response, PageError> {
    let shell = page.shell("", "exercise").await?;
    let e = exercises::get(&mut page.tx, p.exercise_id).await?;
    let weight_kg = body_weight_kg(&mut page).await;
    page.tx.commit().await?;
    let seconds = p.duration.as_deref().and_then(|d| {
        sparky_core::typed_number::duration_seconds(d)
            .ok()
            .flatten()
    });
    let text = estimate_text(&shell, e.met_value, weight_kg, seconds);
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        super::format::escape_html(&text),
    )
        .into_response())
}

async fn log(
    page: Page,
    PageForm(form): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(page, form, None).await
}

/// Logs a workout from the form, or changes workout `edit` with it; a refused form is shown
/// again with what was typed.
async fn save(
    mut page: Page,
    form: Vec<(String, String)>,
    edit: Option<Uuid>,
) -> Result<Response, PageError> {
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let id: Uuid = match edit {
        Some(_) => field("exercise_id").parse().unwrap_or_default(),
        None => field("exercise_id")
            .parse()
            .map_err(|_| PageError::invalid("exercise_id", "is not an exercise"))?,
    };
    let date = super::optional_form_date("date", &field("date"))?;
    let t = page.t;
    let mut errors = FormErrors::new();
    let nan = t.get("form.not_a_number");
    // How many rows the form showed (it grows with "Add sets"), within the bounds.
    let shown_rows = field("set_rows")
        .parse::<usize>()
        .unwrap_or(SET_ROWS)
        .clamp(SET_ROWS, MAX_SET_ROWS);
    let add_rows = field("add_sets") == "1";
    // In the units the form showed (a form left open while the units changed stored 100 lb
    // as 100 kg); a form without them is read in the owner's units now.
    let weight_unit = WeightUnit::parse(&field("weight_unit")).ok();
    let distance_unit = DistanceUnit::parse(&field("distance_unit")).ok();
    // Rows as typed, and which of them are sets (their index in the input).
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let mut sets: Vec<SetInput> = Vec::new();
    let mut set_row: Vec<usize> = Vec::new();
    for n in 1..=shown_rows {
        let (reps_text, weight_text, time_text) = (
            field(&format!("reps_{n}")),
            field(&format!("weight_{n}")),
            field(&format!("time_{n}")),
        );
        let reps = whole(&reps_text).unwrap_or_else(|_| {
            errors.add(&format!("reps_{n}"), t.get("exercise.whole_reps"));
            None
        });
        let weight = decimal(&weight_text).unwrap_or_else(|_| {
            errors.add(&format!("weight_{n}"), nan);
            None
        });
        let time = sparky_core::typed_number::set_seconds(&time_text).unwrap_or_else(|_| {
            errors.add(&format!("time_{n}"), t.get("exercise.set_time"));
            None
        });
        if reps.is_some() || weight.is_some() || time.is_some() {
            sets.push(SetInput {
                reps,
                weight: weight.map(Amount),
                unit: weight_unit,
                duration_seconds: time,
            });
            set_row.push(n);
        }
        rows.push((reps_text, weight_text, time_text));
    }
    let duration =
        sparky_core::typed_number::duration_seconds(&field("duration")).unwrap_or_else(|_| {
            errors.add("duration", t.get("exercise.whole_minutes"));
            None
        });
    let distance = decimal(&field("distance")).unwrap_or_else(|_| {
        errors.add("distance", nan);
        None
    });
    let calories = decimal(&field("calories")).unwrap_or_else(|_| {
        errors.add("calories", nan);
        None
    });
    // The form showed set rows (a strength exercise): what they hold replaces the sets.
    let sets_shown = form.iter().any(|(k, _)| k == "set_rows");
    if errors.is_empty() && !add_rows {
        if let Some(workout) = edit {
            let change = UpdateWorkoutInput {
                performed_at: None,
                date: date.and_then(|d| Date::new(d).ok()),
                duration_minutes: None,
                duration_seconds: Some(duration),
                distance: Some(distance.map(Amount)),
                distance_unit: distance.and(distance_unit),
                sets: sets_shown.then(|| sets.clone()),
                calories_burned: Some(calories.map(Amount)),
                notes: Some(Some(field("notes")).filter(|n| !n.trim().is_empty())),
            };
            let result = match change.parse() {
                Ok(u) => workouts::update(&mut page.tx, workout, &u).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(w) => {
                    page.tx.commit().await?;
                    return Ok(redirect(&format!("/exercise?date={}", w.date)));
                }
                Err(e) => errors = refusal(e, &set_row)?,
            }
        }
    }
    if edit.is_none() && errors.is_empty() && !add_rows {
        let input = LogWorkoutInput {
            exercise_id: id,
            performed_at: None,
            date: date.and_then(|d| Date::new(d).ok()),
            duration_minutes: None,
            duration_seconds: duration,
            distance: distance.map(Amount),
            distance_unit: distance.and(distance_unit),
            sets,
            calories_burned: calories.map(Amount),
            notes: Some(field("notes")),
        };
        let once = field("_once");
        let once = Some(once.as_str());
        let result = match input.parse() {
            Ok(w) => {
                if let Some(to) = super::once::earlier_answer(&mut page.tx, "workout", once).await?
                {
                    return Ok(redirect(&to));
                }
                workouts::log(&mut page.tx, page.acting, &w).await
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(w) => {
                let to = format!("/exercise?date={}", w.date);
                super::once::keep(&mut page.tx, "workout", once, &to).await?;
                page.tx.commit().await?;
                return Ok(redirect(&to));
            }
            Err(e) => errors = refusal(e, &set_row)?,
        }
    }
    // Shown again with what was typed (and what is wrong, or with more set rows when "Add
    // sets" was pressed); nothing was stored.
    let rows_now = if add_rows {
        (shown_rows + ADD_ROWS).min(MAX_SET_ROWS)
    } else {
        shown_rows
    };
    let shell = page.shell("", "exercise").await?;
    let (mut v, title) = match edit {
        Some(workout) => {
            let w = workouts::entry(&mut page.tx, workout).await?;
            let mut v = edit_view(&mut page, &shell, &w).await?;
            // As many rows as the form had (or more, asked for).
            let rows = rows_now.max(v.sets.len());
            v.sets = empty_rows(rows);
            v.more_rows = rows < MAX_SET_ROWS;
            if let Some(d) = date {
                v.date = d;
            }
            (v, w.exercise_name)
        }
        None => {
            let e = exercises::get(&mut page.tx, id).await?;
            let today = sparky_app::days::today(&mut page.tx, page.acting).await?;
            let at = date.unwrap_or(today);
            let v = view(&mut page, &shell, &e, at, rows_now, duration).await?;
            (v, e.name)
        }
    };
    if add_rows {
        if let Some(first_new) = v.sets.get_mut(shown_rows) {
            first_new.focus = true;
        }
    }
    for (row, (reps, weight, time)) in v.sets.iter_mut().zip(rows) {
        row.reps_error = errors.get(&format!("reps_{}", row.n)).map(str::to_string);
        row.weight_error = errors.get(&format!("weight_{}", row.n)).map(str::to_string);
        row.time_error = errors.get(&format!("time_{}", row.n)).map(str::to_string);
        row.reps = reps;
        row.weight = weight;
        row.time = time;
    }
    // Shown again in the units the numbers were typed in.
    if let Some(u) = weight_unit {
        v.weight_unit = u.as_str();
    }
    if let Some(u) = distance_unit {
        v.distance_unit = u.as_str();
    }
    v.duration = field("duration");
    v.distance = field("distance");
    v.calories = field("calories");
    v.notes = field("notes");
    let mut shown: Vec<String> = vec!["duration".into(), "distance".into(), "calories".into()];
    for n in 1..=rows_now {
        shown.push(format!("reps_{n}"));
        shown.push(format!("weight_{n}"));
        shown.push(format!("time_{n}"));
    }
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    v.form_errors = errors.others(&shown);
    v.errors = errors;
    let mut shell = shell;
    shell.title = title;
    let mut r = html(&LogPage { shell, v });
    if !add_rows {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// A refusal of the operation as the form's fields: it names sets by their position among the
/// filled rows.
fn refusal(e: sparky_app::AppError, set_row: &[usize]) -> Result<FormErrors, PageError> {
    let mut rename: Vec<(String, String)> = vec![
        ("duration_minutes".into(), "duration".into()),
        ("duration_seconds".into(), "duration".into()),
        ("calories_burned".into(), "calories".into()),
        ("body".into(), "form".into()),
    ];
    for (i, n) in set_row.iter().enumerate() {
        rename.push((format!("sets[{i}].reps"), format!("reps_{n}")));
        rename.push((format!("sets[{i}].weight"), format!("weight_{n}")));
        rename.push((format!("sets[{i}].duration_seconds"), format!("time_{n}")));
        rename.push((format!("sets[{i}]"), format!("reps_{n}")));
    }
    let pairs: Vec<(&str, &str)> = rename
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    FormErrors::from_app(e, &pairs)
}
