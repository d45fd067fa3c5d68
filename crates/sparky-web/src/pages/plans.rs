//! Meal plans (`/plans`): the templates (create, rename, delete), one template's items by
//! meal with each weekday's calories, and applying a template to a range of dates (and taking
//! it off them again). Adding and removing items is in [`super::plan_items`]. Templates are
//! their owner's to change; a family member with the `food_list` grant sees them read-only.

use crate::pages::confirm::{ask, ConfirmForm, Loss};
use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::Days;
use serde::Deserialize;
use sparky_app::meal_plans::{self, TemplateInput};
use sparky_app::PageRequest;
use sparky_core::{AccessType, Amount, MealType};
use uuid::Uuid;

use super::form_errors::{decimal, FormErrors};
use super::format::kcal;
use super::once;
use super::plan_items;
use super::plans_dated::{self, notice_mark};
use super::{html, redirect, Page, PageError, PageForm, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans", get(list).post(create))
        .route("/plans/{id}", get(detail).post(rename))
        .route("/plans/{id}/delete", post(delete))
        .route("/plans/{id}/apply", post(plans_dated::apply))
        .route("/plans/{id}/unapply", post(plans_dated::unapply))
        .merge(plan_items::routes())
}

/// Days an apply form suggests (today and the next six).
const SUGGESTED_DAYS: u64 = 7;

pub struct TemplateRow {
    pub id: Uuid,
    pub name: String,
    pub detail: String,
}

pub struct ListView {
    pub shared: bool,
    pub editable: bool,
    pub templates: Vec<TemplateRow>,
    pub name: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "pages/plans.html")]
struct ListPage {
    shell: Shell,
    v: ListView,
}

/// Whether the shown person's templates are visible, and whether they may be changed.
fn access(shell: &Shell) -> (bool, bool) {
    let own = shell.viewing.is_none();
    (own || shell.may(AccessType::FoodList), own)
}

async fn list(mut page: Page) -> Result<Response, PageError> {
    render_list(&mut page, String::new(), FormErrors::new()).await
}

async fn render_list(
    page: &mut Page,
    name: String,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let shell = page.shell("", "more").await?;
    let t = &shell.t;
    let (shared, editable) = access(&shell);
    let mut templates = Vec::new();
    if shared {
        let req = PageRequest::parse(
            Some(meal_plans::LIST_LIMIT.max),
            None,
            meal_plans::LIST_LIMIT,
        )?;
        let found = meal_plans::list_templates(&mut page.tx, page.acting, &req, 0).await?;
        templates = found
            .items
            .iter()
            .map(|tp| TemplateRow {
                id: tp.id,
                name: tp.name.clone(),
                detail: {
                    let mut d = t.fill_count(
                        "plans.items",
                        tp.item_count,
                        &[("n", &tp.item_count.to_string())],
                    );
                    if let Some(c) = tp.target_calories {
                        // The plan's aim, not what its foods add up to.
                        d.push_str(" · ");
                        d.push_str(&t.fill("plans.aims", &[("kcal", &kcal(c.to_f64()))]));
                    }
                    d
                },
            })
            .collect();
    }
    let invalid = !errors.is_empty();
    let v = ListView {
        shared,
        editable,
        templates,
        name,
        errors,
    };
    let mut shell = shell;
    shell.title = shell.t("plans.title").to_string();
    let mut r = html(&ListPage { shell, v });
    if invalid {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
    /// The form's once-token ([`Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

async fn create(mut page: Page, PageForm(form): PageForm<NameForm>) -> Result<Response, PageError> {
    let input = TemplateInput {
        name: form.name.clone(),
        description: None,
        target_calories: None,
        is_active: None,
    };
    let once = form.once.as_deref();
    let result = match input.parse() {
        Ok(new) => {
            if let Some(to) = once::earlier_answer(&mut page.tx, "plan", once).await? {
                return Ok(redirect(&to));
            }
            meal_plans::create_template(&mut page.tx, &new).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(tp) => {
            let to = format!("/plans/{}", tp.id);
            once::keep(&mut page.tx, "plan", once, &to).await?;
            page.tx.commit().await?;
            Ok(redirect(&to))
        }
        Err(e) => {
            let errors = FormErrors::from_app(e, &[])?;
            render_list(&mut page, form.name, errors).await
        }
    }
}

pub struct ItemRow {
    pub id: Uuid,
    pub name: String,
    pub amount: String,
    pub when: String,
    pub kcal: String,
    pub problem: String,
}

pub struct MealGroup {
    pub name: String,
    pub items: Vec<ItemRow>,
}

pub struct DayRow {
    pub label: &'static str,
    pub kcal: String,
    pub items: usize,
}

/// One template, with the forms around it and what the user typed into them.
pub struct PlanView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub target: String,
    pub editable: bool,
    pub meals: Vec<MealGroup>,
    pub days: Vec<DayRow>,
    pub search: plan_items::SearchView,
    pub from: String,
    pub to: String,
    pub applied: Option<String>,
    /// The take-off form's dates (`off_from`, `off_to` in [`PlanView::errors`]).
    pub off_from: String,
    pub off_to: String,
    /// What a take-off removed, as the page says it.
    pub removed: Option<String>,
    pub errors: FormErrors,
    /// People who let the user log into their diary (`calorie`): (id, name), to apply the
    /// plan there instead.
    pub diaries: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "pages/plan.html")]
struct PlanPage {
    shell: Shell,
    v: PlanView,
}

#[derive(Deserialize, Default)]
pub struct DetailParams {
    pub q: Option<String>,
    pub food: Option<Uuid>,
    pub entries: Option<usize>,
    pub days: Option<usize>,
    pub skipped: Option<usize>,
    /// Whose diary the plan was applied to, when not the page's.
    pub diary_of: Option<Uuid>,
    /// What a take-off removed: entries, days, and days the plan was not on.
    pub removed_entries: Option<usize>,
    pub removed_days: Option<usize>,
    pub not_applied: Option<usize>,
    /// Entries changed since the apply, kept in the diary.
    pub kept: Option<usize>,
    /// [`notice_mark`](plans_dated::notice_mark) of the apply's or the take-off's numbers above.
    pub mark: Option<String>,
}

/// A person as the apply form names them.
fn person_name(o: &sparky_app::family::AccessibleUser) -> String {
    o.full_name.clone().or(o.email.clone()).unwrap_or_default()
}

/// What a re-rendered detail page keeps from a failed form.
#[derive(Default)]
pub struct Typed {
    pub name: Option<String>,
    pub target: Option<String>,
    pub description: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The take-off form's dates.
    pub off_from: Option<String>,
    pub off_to: Option<String>,
    pub quantity: Option<String>,
    pub errors: FormErrors,
}

async fn detail(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<DetailParams>,
) -> Result<Response, PageError> {
    render_detail(&mut page, id, &p, Typed::default()).await
}

pub async fn render_detail(
    page: &mut Page,
    id: Uuid,
    p: &DetailParams,
    typed: Typed,
) -> Result<Response, PageError> {
    let shell = page.shell("", "more").await?;
    let t = &shell.t;
    let d = meal_plans::get_template(&mut page.tx, id).await?;
    let today = sparky_app::days::today(&mut page.tx, page.acting).await?;
    let search = plan_items::search_view(
        page,
        &shell,
        format!("/plans/{id}"),
        p,
        typed.quantity.clone(),
    )
    .await?;
    let meals = MealType::ALL
        .iter()
        .map(|m| MealGroup {
            name: t.get(&format!("meal.{}", m.as_str())).to_string(),
            items: d
                .items
                .iter()
                .filter(|i| i.meal_type == m.as_str())
                .map(|i| ItemRow {
                    id: i.id,
                    name: i.food_name.clone(),
                    amount: super::format::amount(i.quantity, &i.unit),
                    when: match i.day_of_week {
                        None => t.get("plans.every_day").to_string(),
                        Some(w) => t.get(&format!("plans.wd.{w}")).to_string(),
                    },
                    kcal: i
                        .nutrients
                        .as_ref()
                        .and_then(|n| n.calories)
                        .map(|c| format!("{} kcal", kcal(Amount(c).to_f64())))
                        .unwrap_or_default(),
                    problem: i.problem.clone().unwrap_or_default(),
                })
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect();
    let days = d
        .days
        .iter()
        .map(|day| DayRow {
            label: t.get(&format!("plans.wd.{}", day.day_of_week)),
            kcal: kcal(
                day.totals
                    .calories
                    .map(|c| Amount(c).to_f64())
                    .unwrap_or(0.0),
            ),
            items: day.item_count,
        })
        .collect();
    // Whose diary a notice is about, when not the page's.
    let in_whose = |said: String| match p
        .diary_of
        .and_then(|u| shell.others.iter().find(|o| o.user_id == u))
    {
        Some(o) => format!(
            "{said} {}",
            t.fill("plans.applied_to", &[("name", &person_name(o))])
        ),
        None => said,
    };
    let (applied_days, skipped) = (p.days.unwrap_or(0), p.skipped.unwrap_or(0));
    let applied = p
        .entries
        .filter(|entries| {
            let numbers = [*entries, applied_days, skipped];
            let mark = notice_mark(&page.csrf, "applied", id, &numbers, p.diary_of);
            p.mark.as_deref() == Some(mark.as_str())
        })
        .map(|entries| {
            in_whose(t.fill_count(
                "plans.applied",
                applied_days as i64,
                &[
                    ("entries", &entries.to_string()),
                    ("days", &applied_days.to_string()),
                    ("skipped", &skipped.to_string()),
                ],
            ))
        });
    let (removed_days, not_applied) = (p.removed_days.unwrap_or(0), p.not_applied.unwrap_or(0));
    let kept = p.kept.unwrap_or(0);
    let removed = p
        .removed_entries
        .filter(|entries| {
            let numbers = [*entries, removed_days, not_applied, kept];
            let mark = notice_mark(&page.csrf, "removed", id, &numbers, p.diary_of);
            p.mark.as_deref() == Some(mark.as_str())
        })
        .map(|entries| {
            let mut said = t.fill_count(
                "plans.removed",
                removed_days as i64,
                &[
                    ("entries", &entries.to_string()),
                    ("days", &removed_days.to_string()),
                ],
            );
            if kept > 0 {
                said.push(' ');
                said.push_str(&t.fill_count(
                    "plans.removed_kept",
                    kept as i64,
                    &[("n", &kept.to_string())],
                ));
            }
            if removed_days > 0 && not_applied > 0 {
                said.push(' ');
                said.push_str(&t.fill_count(
                    "plans.removed_not_applied",
                    not_applied as i64,
                    &[("n", &not_applied.to_string())],
                ));
            }
            in_whose(said)
        });
    let tp = &d.template;
    let v = PlanView {
        id,
        name: typed.name.unwrap_or_else(|| tp.name.clone()),
        description: typed
            .description
            .unwrap_or_else(|| tp.description.clone().unwrap_or_default()),
        target: typed.target.unwrap_or_else(|| {
            tp.target_calories
                .map(|c| c.decimal().normalize().to_string())
                .unwrap_or_default()
        }),
        editable: access(&shell).1,
        meals,
        days,
        search,
        from: typed.from.unwrap_or_else(|| today.to_string()),
        to: typed
            .to
            .unwrap_or_else(|| (today + Days::new(SUGGESTED_DAYS - 1)).to_string()),
        applied,
        off_from: typed.off_from.unwrap_or_else(|| today.to_string()),
        off_to: typed
            .off_to
            .unwrap_or_else(|| (today + Days::new(SUGGESTED_DAYS - 1)).to_string()),
        removed,
        errors: typed.errors,
        diaries: shell
            .others
            .iter()
            .filter(|o| o.access_types.iter().any(|a| a == "calorie"))
            .map(|o| (o.user_id.to_string(), person_name(o)))
            .collect(),
    };
    let invalid = !v.errors.is_empty();
    let mut shell = shell;
    shell.title = tp.name.clone();
    let mut r = html(&PlanPage { shell, v });
    if invalid {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Deserialize)]
pub struct RenameForm {
    name: String,
    target_calories: Option<String>,
    description: Option<String>,
}

async fn rename(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<RenameForm>,
) -> Result<Response, PageError> {
    let current = meal_plans::get_template(&mut page.tx, id).await?.template;
    let target_text = form.target_calories.clone().unwrap_or_default();
    let mut typed = Typed {
        name: Some(form.name.clone()),
        target: Some(target_text.clone()),
        description: form.description.clone(),
        ..Typed::default()
    };
    match decimal(&target_text) {
        Err(()) => typed
            .errors
            .add("target_calories", page.t.get("form.not_a_number")),
        Ok(target) => {
            let input = TemplateInput {
                name: form.name.clone(),
                // The form shows both: what it sends is what they become.
                description: Some(form.description.clone()),
                target_calories: Some(target.map(Amount)),
                is_active: Some(current.is_active),
            };
            let result = match input.parse() {
                Ok(new) => meal_plans::update_template(&mut page.tx, id, &new).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => {
                    page.tx.commit().await?;
                    return Ok(redirect(&format!("/plans/{id}")));
                }
                Err(e) => typed.errors = FormErrors::from_app(e, &[])?,
            }
        }
    }
    render_detail(&mut page, id, &DetailParams::default(), typed).await
}

async fn delete(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let name = meal_plans::get_template(&mut page.tx, id)
            .await?
            .template
            .name;
        let (action, back) = (format!("/plans/{id}/delete"), format!("/plans/{id}"));
        return ask(page, Loss::Plan, &name, action, back).await;
    }
    meal_plans::delete_template(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect("/plans"))
}
