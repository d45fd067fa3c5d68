//! Exercise (`/exercise`): search the catalog (text, category, muscle group, equipment), the
//! last 30 days of workouts by day (change, delete, repeat, copy a past day's to today), and
//! personal records of the exercises done. The form that logs a workout is in
//! [`super::exercise_log`].

use crate::pages::confirm::{ask, ConfirmForm, Loss};
use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::exercises::{self, Exercise, Search};
use sparky_app::paging::PageRequest;
use sparky_app::workouts::{
    self, records, CopyWorkoutsInput, HistoryRequest, RangeRequest, Workout,
};
use sparky_app::AppError;
use sparky_core::exercise::clock;
use sparky_core::{AccessType, Amount, ExerciseCategory};
use uuid::Uuid;

use super::exercise_log;
use super::format::{day_label, kcal, number};
use super::{html, redirect, Page, PageError, PageForm, Shell};
use crate::i18n::Messages;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/exercise", get(show))
        .route("/exercise/search", get(search))
        .route("/exercise/workout/{id}/delete", post(delete))
        .route("/exercise/copy", post(copy))
        .merge(exercise_log::routes())
}

/// Days of history shown.
const HISTORY_DAYS: u64 = 30;
/// Exercises whose records are shown (the most recently done).
const RECORD_EXERCISES: usize = 8;
/// Search results shown.
const RESULTS: i64 = 20;
/// Results shown before anything is typed or chosen (the catalog by name), so that the
/// history is not far down on a phone.
const BROWSE_RESULTS: i64 = 8;

pub struct ResultRow {
    pub id: Uuid,
    pub name: String,
    pub detail: String,
    pub mine: bool,
}

pub struct EntryRow {
    pub id: Uuid,
    pub name: String,
    pub detail: String,
    pub kcal: String,
    pub hint: String,
    /// The workout's notes (an import's "set 2: assisted 15 kg"), shown when it is opened.
    pub notes: String,
    /// Its exercise, to log the same again ("Repeat"); none when deleted since.
    pub exercise_id: Option<Uuid>,
}

pub struct DayGroup {
    pub label: String,
    /// The day, for "Copy to today" (offered on past days only).
    pub date: NaiveDate,
    pub past: bool,
    pub kcal: String,
    pub entries: Vec<EntryRow>,
}

pub struct RecordRow {
    pub name: String,
    /// (what, value, when)
    pub items: Vec<(&'static str, String, String)>,
}

pub struct ExerciseView {
    pub date: NaiveDate,
    pub q: String,
    pub category: String,
    pub muscle: String,
    pub equipment: String,
    pub categories: Vec<(&'static str, &'static str)>,
    pub muscles: Vec<String>,
    pub equipments: Vec<String>,
    pub results: Vec<ResultRow>,
    pub shared: bool,
    pub days: Vec<DayGroup>,
    pub records: Vec<RecordRow>,
    /// The form making the searched words an exercise of one's own, on the shown day.
    pub make_own: String,
    /// What a copy to today that led here said ("Copied 2 workouts to today.").
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/exercise.html")]
struct ExercisePage {
    shell: Shell,
    v: ExerciseView,
}

#[derive(Template)]
#[template(path = "partials/exercise_results.html")]
struct ResultsFragment {
    shell: Shell,
    v: ExerciseView,
}

#[derive(Deserialize, Default)]
pub struct Params {
    pub date: Option<NaiveDate>,
    pub q: Option<String>,
    pub category: Option<String>,
    pub muscle: Option<String>,
    pub equipment: Option<String>,
    /// After "Copy to today": how many workouts were copied, and the mark that shows it was
    /// this session's own copy ([`copy_mark`]).
    pub copied: Option<usize>,
    pub mark: Option<String>,
}

/// Each exercise category with its label, for a select.
pub fn category_options(t: &Messages) -> Vec<(&'static str, &'static str)> {
    ExerciseCategory::ALL
        .iter()
        .map(|c| {
            (
                c.as_str(),
                t.get(&format!("exercise.category.{}", c.as_str())),
            )
        })
        .collect()
}

/// "strength · chest, triceps · barbell".
pub fn exercise_detail(t: &Messages, e: &Exercise) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = &e.category {
        parts.push(t.get(&format!("exercise.category.{c}")).to_string());
    }
    if !e.muscle_groups.is_empty() {
        parts.push(e.muscle_groups.join(", "));
    }
    if let Some(q) = &e.equipment {
        parts.push(q.clone());
    }
    parts.join(" · ")
}

fn empty(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

async fn results(page: &mut Page, p: &Params) -> Result<Vec<ResultRow>, PageError> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let browsing = !given(&p.q) && !given(&p.category) && !given(&p.muscle) && !given(&p.equipment);
    let category = p
        .category
        .as_deref()
        .filter(|c| !c.is_empty())
        .and_then(|c| ExerciseCategory::parse(c).ok());
    let search = Search::parse(
        p.q.as_deref(),
        category,
        p.muscle.as_deref(),
        p.equipment.as_deref(),
        Some(if browsing { BROWSE_RESULTS } else { RESULTS }),
        None,
    )?;
    let t = page.t;
    Ok(exercises::search(&mut page.tx, &search)
        .await?
        .items
        .iter()
        .map(|e| ResultRow {
            id: e.id,
            name: e.name.clone(),
            detail: exercise_detail(&t, e),
            mine: e.user_id.is_some(),
        })
        .collect())
}

async fn base_view(page: &mut Page, shell: &Shell, p: &Params) -> Result<ExerciseView, PageError> {
    let t = &shell.t;
    let today = sparky_app::days::today(&mut page.tx, page.acting).await?;
    let date = super::page_date("date", p.date, today)?;
    let make_own = form_urlencoded::Serializer::new(String::new())
        .append_pair("name", p.q.as_deref().unwrap_or_default().trim())
        .append_pair("date", &date.to_string())
        .finish();
    Ok(ExerciseView {
        date,
        make_own: format!("/exercise/new?{make_own}"),
        q: empty(&p.q),
        category: empty(&p.category),
        muscle: empty(&p.muscle),
        equipment: empty(&p.equipment),
        categories: category_options(t),
        muscles: Vec::new(),
        equipments: Vec::new(),
        results: results(page, p).await?,
        shared: shell.may(AccessType::Calorie) || shell.may(AccessType::Reports),
        days: Vec::new(),
        records: Vec::new(),
        notice: None,
    })
}

async fn show(mut page: Page, PageQuery(p): PageQuery<Params>) -> Result<Response, PageError> {
    let shell = page.shell("", "exercise").await?;
    let mut v = base_view(&mut page, &shell, &p).await?;
    let facets = exercises::facets(&mut page.tx).await?;
    v.muscles = facets.muscle_groups;
    v.equipments = facets.equipment;
    if v.shared {
        history(&mut page, &shell, &mut v).await?;
    }
    page.tx.commit().await?;
    if let (Some(n), Some(mark)) = (p.copied, p.mark.as_deref()) {
        if copy_mark(&page.csrf, n) == mark {
            v.notice = Some(shell.t.fill_count(
                "exercise.copied",
                n as i64,
                &[("n", &n.to_string())],
            ));
        }
    }
    let mut shell = shell;
    shell.title = shell.t("exercise.title").to_string();
    Ok(html(&ExercisePage { shell, v }))
}

async fn search(mut page: Page, PageQuery(p): PageQuery<Params>) -> Result<Response, PageError> {
    let shell = page.shell("", "exercise").await?;
    let v = base_view(&mut page, &shell, &p).await?;
    page.tx.commit().await?;
    Ok(html(&ResultsFragment { shell, v }))
}

/// A timed set's time: "45 s" and "60 s" up to a minute, then as a stopwatch shows it
/// ("1:30", "1:02:03").
pub fn set_time(seconds: i32) -> String {
    if seconds <= 60 {
        format!("{seconds} s")
    } else {
        clock(seconds)
    }
}

/// One set: "10 × 60 kg", "10 ×" (bodyweight), "60 kg", and with a time "60 s" (a plank),
/// "20 kg × 1:30" (a weighted hold or a carry), "10 × 20 kg (1:30)".
pub fn set_label(reps: Option<i32>, weight: Option<(f64, &str)>, seconds: Option<i32>) -> String {
    let weight = weight.map(|(w, unit)| format!("{} {unit}", number(w, 1)));
    match (reps, weight, seconds.map(set_time)) {
        (Some(r), Some(wt), None) => format!("{r} × {wt}"),
        (Some(r), None, None) => format!("{r} ×"),
        (None, Some(wt), None) => wt,
        (None, None, Some(t)) => t,
        (None, Some(wt), Some(t)) => format!("{wt} × {t}"),
        (Some(r), Some(wt), Some(t)) => format!("{r} × {wt} ({t})"),
        (Some(r), None, Some(t)) => format!("{r} × ({t})"),
        (None, None, None) => String::new(),
    }
}

/// "10 × 60 kg, 8 × 65 kg · 30 min · 5 km".
pub fn workout_summary(w: &Workout) -> String {
    let mut parts: Vec<String> = Vec::new();
    let sets: Vec<String> = w
        .sets
        .iter()
        .map(|s| {
            set_label(
                s.reps,
                s.weight.map(|wt| (wt.to_f64(), s.unit.as_str())),
                s.duration_seconds,
            )
        })
        .collect();
    if !sets.is_empty() {
        parts.push(sets.join(", "));
    }
    if let Some(s) = w.duration_seconds {
        parts.push(sparky_core::exercise::duration_label(s));
    }
    if let Some(d) = w.distance {
        parts.push(format!(
            "{} {}",
            number(d.to_f64(), 2),
            w.distance_unit.as_str()
        ));
    }
    parts.join(" · ")
}

/// 5.5 minutes → "5:30".
pub(super) fn minutes_clock(m: Decimal) -> String {
    let secs = (m * Decimal::from(60)).round().to_i64().unwrap_or(0);
    format!("{}:{:02}", secs / 60, secs % 60)
}

async fn history(page: &mut Page, shell: &Shell, v: &mut ExerciseView) -> Result<(), PageError> {
    let t = &shell.t;
    let acting = page.acting;
    let today = sparky_app::days::today(&mut page.tx, acting).await?;
    let req = RangeRequest::new(
        today - Days::new(HISTORY_DAYS - 1),
        today,
        PageRequest::parse(Some(workouts::RANGE_LIMIT.max), None, workouts::RANGE_LIMIT)?,
    )?;
    let range = workouts::range(&mut page.tx, acting, &req).await?;
    let mut by_day: Vec<(NaiveDate, Vec<&Workout>)> = Vec::new();
    for w in range.entries.iter().rev() {
        match by_day.last_mut() {
            Some((d, list)) if *d == w.date => list.push(w),
            _ => by_day.push((w.date, vec![w])),
        }
    }
    v.days = by_day
        .iter()
        .map(|(d, list)| DayGroup {
            date: *d,
            past: *d < today,
            label: if *d == today {
                t.get("day.today").to_string()
            } else {
                day_label(t, *d, today.year())
            },
            kcal: format!(
                "{} kcal",
                kcal(
                    list.iter()
                        .filter_map(|w| w.calories_burned.map(Amount::to_f64))
                        .sum()
                )
            ),
            entries: list
                .iter()
                .map(|w| EntryRow {
                    id: w.id,
                    name: w.exercise_name.clone(),
                    detail: workout_summary(w),
                    kcal: w
                        .calories_burned
                        .map(|c| format!("{} kcal", kcal(c.to_f64())))
                        .unwrap_or_default(),
                    hint: if w.calories_burned.is_none() {
                        t.get("exercise.no_estimate").to_string()
                    } else {
                        String::new()
                    },
                    notes: w.notes.clone().unwrap_or_default(),
                    exercise_id: w.exercise_id,
                })
                .collect(),
        })
        .collect();

    // Records of the exercises done most recently.
    let mut ids: Vec<(Uuid, String)> = Vec::new();
    for w in range.entries.iter().rev() {
        if let Some(id) = w.exercise_id {
            if !ids.iter().any(|(i, _)| *i == id) && ids.len() < RECORD_EXERCISES {
                ids.push((id, w.exercise_name.clone()));
            }
        }
    }
    // Their histories, read together.
    let mut reads = sparky_app::reads::Reads::new();
    let mut plans = Vec::with_capacity(ids.len());
    for (id, name) in ids {
        let req = HistoryRequest::parse(Some(1))?;
        plans.push((records::plan_history(&mut reads, acting, id, req), name));
    }
    let mut answers = reads.run(&mut page.tx).await?;
    for (plan, name) in plans {
        let h = plan.finish(&mut page.tx, &mut answers).await?;
        let r = &h.records;
        let wu = h.weight_unit.as_str();
        let du = h.distance_unit.as_str();
        let when = |d: NaiveDate| day_label(t, d, today.year());
        let mut items = Vec::new();
        if let Some(x) = &r.heaviest_weight {
            let reps = x.reps.map(|n| format!(" × {n}")).unwrap_or_default();
            items.push((
                t.get("exercise.pr.heaviest"),
                format!("{} {wu}{reps}", number(x.weight.to_f64(), 1)),
                when(x.date),
            ));
        }
        if let Some(x) = &r.best_one_rep_max {
            items.push((
                t.get("exercise.pr.one_rep_max"),
                format!("{} {wu}", number(x.estimated_one_rep_max.to_f64(), 1)),
                when(x.date),
            ));
        }
        if let Some(x) = &r.longest_set {
            items.push((
                t.get("exercise.pr.longest_set"),
                set_label(
                    None,
                    x.weight.map(|wt| (wt.to_f64(), wu)),
                    Some(x.duration_seconds),
                ),
                when(x.date),
            ));
        }
        if let Some(x) = &r.longest_distance {
            items.push((
                t.get("exercise.pr.distance"),
                format!("{} {du}", number(x.distance.to_f64(), 2)),
                when(x.date),
            ));
        }
        if let Some(x) = &r.fastest_pace {
            items.push((
                t.get("exercise.pr.pace"),
                format!("{} /{du}", minutes_clock(x.pace.decimal())),
                when(x.date),
            ));
        }
        if !items.is_empty() {
            v.records.push(RecordRow { name, items });
        }
    }
    Ok(())
}

async fn delete(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    let w = workouts::entry(&mut page.tx, id).await?;
    if !form.confirmed() {
        let action = format!("/exercise/workout/{id}/delete");
        let back = format!("/exercise?date={}", w.date);
        let what = format!("“{}” of {}", w.exercise_name, day_label(&page.t, w.date, 0));
        return ask(page, Loss::Workout, &what, action, back).await;
    }
    workouts::delete(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect(&format!("/exercise?date={}", w.date)))
}

#[derive(Deserialize)]
pub struct CopyForm {
    /// The day whose workouts are copied (YYYY-MM-DD).
    #[serde(default)]
    from: String,
    /// The form's once-token ([`Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

/// The mark of a copy's notice: made from the session's form token, so only a copy this
/// session made shows "Copied 2 workouts to today." (not an address someone sent).
fn copy_mark(csrf: &str, n: usize) -> String {
    let hash = crate::auth::token_hash(&format!("workouts-copied:{csrf}:{n}"));
    hash.chars().take(16).collect()
}

/// "Copy to today" of a past day of the history: its workouts, with their sets, logged again
/// today (in the diary owner's time zone), in the diary the page shows.
async fn copy(mut page: Page, PageForm(form): PageForm<CopyForm>) -> Result<Response, PageError> {
    let t = page.t;
    let label = t.get("exercise.copy_from");
    let from = match super::optional_form_date(label, &form.from)? {
        Some(d) => super::form_date(label, d)?,
        None => return Err(PageError::invalid(label, "must be a date like 2026-03-01")),
    };
    let once = form.once.as_deref();
    // A resend goes where the first send did (with its notice), copying nothing more.
    if let Some(location) = super::once::earlier_answer(&mut page.tx, "workouts-copy", once).await?
    {
        page.tx.commit().await?;
        return Ok(redirect(match location.is_empty() {
            true => "/exercise",
            false => &location,
        }));
    }
    let today = sparky_app::days::today(&mut page.tx, page.acting).await?;
    let input = CopyWorkoutsInput {
        from_date: from,
        to_date: super::form_date("date", today)?,
        from_user_id: None,
    };
    let copied = match workouts::copy(&mut page.tx, page.acting, &input).await {
        Ok(copied) => copied,
        // Today onto itself.
        Err(AppError::Invalid(f)) if f.0.contains_key("to_date") => {
            return Err(PageError::invalid(
                label,
                "is today: only an earlier day can be copied to today",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let n = copied.copied;
    let location = format!("/exercise?copied={n}&mark={}", copy_mark(&page.csrf, n));
    super::once::keep(&mut page.tx, "workouts-copy", once, &location).await?;
    page.tx.commit().await?;
    Ok(redirect(&location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_read_with_their_time() {
        let kg = Some((20.0, "kg"));
        assert_eq!(set_label(Some(10), Some((60.0, "kg")), None), "10 × 60 kg");
        assert_eq!(set_label(Some(10), None, None), "10 ×");
        assert_eq!(set_label(None, kg, None), "20 kg");
        assert_eq!(set_label(None, None, Some(45)), "45 s");
        assert_eq!(set_label(None, None, Some(60)), "60 s");
        assert_eq!(set_label(None, None, Some(90)), "1:30");
        assert_eq!(set_label(None, kg, Some(60)), "20 kg × 60 s");
        assert_eq!(set_label(None, kg, Some(3723)), "20 kg × 1:02:03");
        assert_eq!(set_label(Some(10), kg, Some(90)), "10 × 20 kg (1:30)");
        assert_eq!(set_label(Some(10), None, Some(90)), "10 × (1:30)");
    }

    #[test]
    fn paces_read_as_a_clock() {
        assert_eq!(minutes_clock("5.5".parse().unwrap()), "5:30");
        assert_eq!(minutes_clock("4.99".parse().unwrap()), "4:59");
    }
}
