//! Goals (`/goals`): today's progress against the daily targets (ring and bars), the targets
//! to edit, a suggestion from the profile (with its formula) to adopt, and the weight goal with
//! where it stands. Works for a family member's goals as far as RLS shows them; only the owner
//! changes goals, so the forms are hidden when viewing someone else. Saving the targets is
//! [`targets`]; the weight goal's forms are [`weight`].

mod targets;
mod weight;

use targets::TargetsForm;

use crate::pages::PageQuery;
use askama::Template;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_app::goals::{self, Goal, ListFilter, SuggestQuery, WeekdayTargets};
use sparky_app::AppError;
use sparky_core::measure::{from_canonical, Dimension};
use sparky_core::units::round_dp;
use sparky_core::AccessType;
use sparky_core::{Amount, GoalStatus, GoalType};

use super::charts;
use super::format::{kcal, number};
use super::forms::{formula, options, Errors, Opt};
use super::{html, NotSharedPage, Page, PageError, Shell, Units};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/goals", get(show))
        .route("/goals/targets", post(targets::save_targets))
        .merge(weight::routes())
}

/// The daily targets in the order the page shows them, with their form field and unit.
const DAILY: [(GoalType, &str); 5] = [
    (GoalType::CalorieTarget, "nutrient.calories"),
    (GoalType::ProteinTarget, "nutrient.protein"),
    (GoalType::CarbsTarget, "nutrient.carbohydrates"),
    (GoalType::FatTarget, "nutrient.fat"),
    (GoalType::WaterTarget, "day.water"),
];

pub struct TargetRow {
    pub field: &'static str,
    pub name: &'static str,
    /// Its heading in the days-of-the-week grid (short, for a phone).
    pub column: &'static str,
    pub unit: &'static str,
    pub class: &'static str,
    /// The form's value (the stored target in the user's unit, or what was typed).
    pub value: String,
    pub progress: String,
    pub bar: String,
    /// A macro target's share of the calorie target ("30 % of calories"), when both are set.
    pub share: String,
}

/// One day of the week in the targets form: its own value for each daily target (empty: the
/// usual one).
pub struct WeekdayRow {
    pub label: &'static str,
    pub short: &'static str,
    pub cells: Vec<WeekdayCell>,
    /// The values it has, for reading (a family member's goals): "Calories 2600 kcal · …".
    pub summary: String,
}

pub struct WeekdayCell {
    /// `cal_monday`, `protein_monday`, … (see [`day_field`]).
    pub field: String,
    /// What a screen reader says for the cell: "Monday, Protein (g)".
    pub label: String,
    pub value: String,
}

/// The form's name for a target's own value on a day of the week (`cal_saturday`).
fn day_field(gt: GoalType, day: &str) -> String {
    let prefix = match gt {
        GoalType::CalorieTarget => "cal",
        GoalType::ProteinTarget => "protein",
        GoalType::CarbsTarget => "carbs",
        GoalType::FatTarget => "fat",
        _ => "water",
    };
    format!("{prefix}_{day}")
}

pub struct SuggestionView {
    /// Whole kcal and grams, for the form that adopts them.
    pub values: [(&'static str, String); 4],
    pub calories: String,
    pub protein: String,
    pub carbs: String,
    pub fat: String,
    pub formula: String,
}

#[derive(Template)]
#[template(path = "pages/goals.html")]
struct GoalsPage {
    shell: Shell,
    own: bool,
    /// The person shown shares their diary and daily targets (a `checkin` viewer sees only
    /// the weight goal: no "0 kcal eaten", no "no target" for targets they have).
    daily_shared: bool,
    ring: String,
    targets: Vec<TargetRow>,
    /// The days of the week, each with its own value of every daily target (form fields).
    weekdays: Vec<WeekdayRow>,
    /// Some day has a target of its own (or the form has a problem there): shown open.
    weekdays_open: bool,
    errors: Errors,
    weight: weight::WeightView,
    directions: Vec<Opt>,
    suggestion: Option<SuggestionView>,
    /// Why no suggestion could be made (missing profile data).
    suggestion_missing: Vec<String>,
}

/// A canonical water amount (ml) in the user's unit, as a plain number.
fn water_number(units: &Units, ml: Decimal) -> String {
    let unit = Dimension::Volume.display_unit(units.system);
    let shown = from_canonical(ml, unit).unwrap_or(ml);
    round_dp(shown, if units.imperial() { 1 } else { 0 })
        .normalize()
        .to_string()
}

/// A stored daily target as its form field shows it (water in the user's unit, the rest in
/// whole kcal or grams). Saving the form with a field still showing this keeps the stored
/// value, so an untouched target is not rounded to what the field can show.
fn shown_target(units: &Units, gt: GoalType, a: sparky_core::Amount) -> String {
    if gt == GoalType::WaterTarget {
        water_number(units, a.decimal())
    } else {
        number(a.to_f64(), 0).replace(',', "")
    }
}

/// The energy in a gram of a macro target's nutrient; None for calories and water.
fn kcal_per_gram(gt: GoalType) -> Option<Decimal> {
    use sparky_core::energy::{KCAL_PER_G_CARBOHYDRATE, KCAL_PER_G_FAT, KCAL_PER_G_PROTEIN};
    match gt {
        GoalType::ProteinTarget => Some(KCAL_PER_G_PROTEIN),
        GoalType::CarbsTarget => Some(KCAL_PER_G_CARBOHYDRATE),
        GoalType::FatTarget => Some(KCAL_PER_G_FAT),
        _ => None,
    }
}

fn f(d: Option<sparky_core::Amount>) -> f64 {
    d.map(|a| a.to_f64()).unwrap_or(0.0)
}

async fn active(page: &mut Page) -> Result<Vec<Goal>, PageError> {
    let acting = page.acting;
    Ok(goals::list(
        &mut page.tx,
        acting,
        ListFilter {
            status: Some(GoalStatus::Active),
            ..ListFilter::default()
        },
    )
    .await?)
}

#[derive(Deserialize, Default)]
pub struct SuggestParams {
    /// lose, maintain or gain: asks for a suggestion.
    direction: Option<String>,
}

/// The whole page; `typed` keeps what was typed into the targets form.
async fn render(
    mut page: Page,
    errors: Errors,
    typed: Option<&TargetsForm>,
    params: SuggestParams,
    weight_form: Option<(Errors, weight::WeightForm)>,
) -> Result<Response, PageError> {
    let t = page.t;
    let shell = page.shell(t.get("goals.title"), "goals").await?;
    // Typed by hand (the navigation leaves the link out): say so, instead of a 404.
    if !shell.may_see_goals() {
        return Ok(html(&NotSharedPage {
            shell,
            message: t.get("goals.not_shared"),
        }));
    }
    let own = shell.viewing.is_none();
    let daily_shared = shell.may(AccessType::Calorie) || shell.may(AccessType::Reports);
    // Water is a measurement: unknown to a viewer who may not see those.
    let water_shared = shell.may_see_body();
    let active = active(&mut page).await?;
    let find = |gt: GoalType| active.iter().find(|g| g.goal_type == gt);
    let units = &shell.units;
    let targets: Vec<TargetRow> = DAILY
        .iter()
        .map(|(gt, name)| {
            let goal = find(*gt);
            let water = *gt == GoalType::WaterTarget;
            let unit = match gt {
                GoalType::CalorieTarget => "kcal",
                GoalType::WaterTarget => units.water_unit(),
                _ => "g",
            };
            let value = match typed.and_then(|form| form.get(*gt)) {
                Some(text) => text.to_string(),
                None => goal
                    .and_then(|g| g.target_value)
                    .map(|a| shown_target(units, *gt, a))
                    .unwrap_or_default(),
            };
            let (current, target) = (
                f(goal.and_then(|g| g.current_value)),
                goal.and_then(|g| g.target_today.or(g.target_value))
                    .map(|a| a.to_f64()),
            );
            let text = |v: f64| {
                if water {
                    units.water(v)
                } else {
                    format!("{} {unit}", number(v, 0))
                }
            };
            let unknown = water && !water_shared;
            let progress = match target {
                _ if unknown => t.get("day.not_shared").to_string(),
                Some(tg) => t.fill(
                    "goals.of",
                    &[("current", &text(current)), ("target", &text(tg))],
                ),
                None => t.get("goals.no_target").to_string(),
            };
            let calorie_target = find(GoalType::CalorieTarget)
                .and_then(|g| g.target_value)
                .map(|a| a.decimal())
                .filter(|k| *k > Decimal::ZERO);
            let share = match (kcal_per_gram(*gt), goal.and_then(|g| g.target_value)) {
                (Some(per_gram), Some(grams)) => calorie_target
                    .map(|k| {
                        let pct = grams.decimal() * per_gram * Decimal::ONE_HUNDRED / k;
                        t.fill(
                            "goals.share",
                            &[("percent", &number(Amount(pct).to_f64(), 0))],
                        )
                    })
                    .unwrap_or_default(),
                _ => String::new(),
            };
            TargetRow {
                share,
                field: gt.as_str(),
                name: t.get(name),
                column: t.get(&format!("goals.col.{}", gt.as_str())),
                unit,
                class: match gt {
                    GoalType::ProteinTarget => "protein",
                    GoalType::CarbsTarget => "carbs",
                    GoalType::FatTarget => "fat",
                    _ => "water",
                },
                value,
                bar: if unknown {
                    String::new()
                } else {
                    charts::bar(current, target, &format!("{}: {progress}", t.get(name)))
                },
                progress,
            }
        })
        .collect();
    let calories = find(GoalType::CalorieTarget);
    let weekdays = weekday_rows(&t, units, &targets, typed, |gt| {
        find(gt).and_then(|g| g.by_weekday.as_ref())
    });
    let weekdays_open = weekdays
        .iter()
        .flat_map(|d| &d.cells)
        .any(|c| !c.value.is_empty() || errors.has(&c.field));
    let eaten = f(calories.and_then(|g| g.current_value));
    let target = calories
        .and_then(|g| g.target_today.or(g.target_value))
        .map(|a| a.to_f64());
    // What is left counts the share of exercise that counts, as on Today and in the summary
    // (it said 1,499 left where Today said 1,699).
    let remaining = match target {
        Some(_) => {
            let acting = page.acting;
            let today = sparky_app::days::today(&mut page.tx, acting).await?;
            sparky_app::summary::day(&mut page.tx, acting, today)
                .await?
                .remaining
                .calories
                .map(|a| a.to_f64())
        }
        None => None,
    };
    let (center, sub) = match remaining {
        Some(left) if left >= 0.0 => (kcal(left), t.get("day.remaining")),
        Some(left) => (kcal(-left), t.get("day.over")),
        None => (kcal(eaten), t.get("day.kcal_eaten")),
    };
    // The exercise the remaining amount counts widens the ring's budget, as on Today: a day
    // with calories left is not drawn full and "over".
    let counted_exercise = match (remaining, target) {
        (Some(left), Some(tg)) => (left + eaten - tg).max(0.0),
        _ => 0.0,
    };
    let ring_label = match target {
        Some(tg) => t.fill(
            "goals.ring_label",
            &[("eaten", &kcal(eaten)), ("target", &kcal(tg))],
        ),
        None => t.fill("day.ring_label_no_target", &[("eaten", &kcal(eaten))]),
    };
    let paused = goals::list(
        &mut page.tx,
        page.acting,
        ListFilter {
            status: Some(GoalStatus::Paused),
            ..ListFilter::default()
        },
    )
    .await?;
    let weight = weight::view(&t, &shell, &active, &paused, weight_form);
    let direction = params.direction.unwrap_or_default();
    let (suggestion, suggestion_missing) = if own && !direction.is_empty() {
        suggest(&mut page, &t, &direction, shell.units.imperial()).await?
    } else {
        (None, Vec::new())
    };
    page.tx.commit().await?;
    Ok(html(&GoalsPage {
        directions: options(
            &t,
            "direction",
            &["lose", "maintain", "gain"],
            if direction.is_empty() {
                "maintain"
            } else {
                &direction
            },
        ),
        ring: charts::ring(eaten, counted_exercise, target, &center, sub, &ring_label),
        shell,
        own,
        daily_shared,
        targets,
        weekdays,
        weekdays_open,
        errors,
        weight,
        suggestion,
        suggestion_missing,
    }))
}

/// The days-of-the-week grid: what was typed, or each target's stored days (in the user's unit).
fn weekday_rows<'a>(
    t: &crate::i18n::Messages,
    units: &Units,
    targets: &[TargetRow],
    typed: Option<&TargetsForm>,
    stored: impl Fn(GoalType) -> Option<&'a WeekdayTargets>,
) -> Vec<WeekdayRow> {
    let stored: Vec<[Option<sparky_core::Amount>; 7]> = DAILY
        .iter()
        .map(|(gt, _)| stored(*gt).map(|w| w.values()).unwrap_or_default())
        .collect();
    WeekdayTargets::DAYS
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let label = t.get(&format!("goals.weekday.{i}"));
            let cells: Vec<WeekdayCell> = DAILY
                .iter()
                .zip(targets)
                .zip(&stored)
                .map(|(((gt, _), target), days)| {
                    let field = day_field(*gt, day);
                    let value = match typed {
                        Some(form) => form.day(*gt, day).to_string(),
                        None => days[i]
                            .map(|a| shown_target(units, *gt, a))
                            .unwrap_or_default(),
                    };
                    WeekdayCell {
                        label: format!("{label}, {} ({})", target.name, target.unit),
                        field,
                        value,
                    }
                })
                .collect();
            let summary = cells
                .iter()
                .zip(targets)
                .filter(|(c, _)| !c.value.is_empty())
                .map(|(c, target)| format!("{} {} {}", target.name, c.value, target.unit))
                .collect::<Vec<_>>()
                .join(" · ");
            WeekdayRow {
                label,
                short: t.get(&format!("goals.weekday_short.{i}")),
                cells,
                summary,
            }
        })
        .collect()
}

/// A suggestion from the profile and latest weight, or what it still needs.
async fn suggest(
    page: &mut Page,
    t: &crate::i18n::Messages,
    direction: &str,
    imperial: bool,
) -> Result<(Option<SuggestionView>, Vec<String>), PageError> {
    let Some(dir) = sparky_app::onboarding::Direction::parse(direction) else {
        return Ok((None, Vec::new()));
    };
    let query = SuggestQuery {
        weekly_change_kg: Some(dir.weekly_change_kg().to_string()),
        ..SuggestQuery::default()
    };
    match goals::suggest(&mut page.tx, &query).await {
        Ok(s) => {
            let g = |a: sparky_core::Amount| format!("{} g", number(a.to_f64().round(), 0));
            let whole = |a: sparky_core::Amount| a.decimal().round().to_string();
            Ok((
                Some(SuggestionView {
                    values: [
                        ("calorie_target", whole(s.target_calories)),
                        ("protein_target", whole(s.macros.protein_g)),
                        ("carbs_target", whole(s.macros.carbohydrates_g)),
                        ("fat_target", whole(s.macros.fat_g)),
                    ],
                    calories: kcal(s.target_calories.to_f64()),
                    protein: g(s.macros.protein_g),
                    carbs: g(s.macros.carbohydrates_g),
                    fat: g(s.macros.fat_g),
                    formula: formula(t, &s, imperial),
                }),
                Vec::new(),
            ))
        }
        Err(AppError::Invalid(fields)) => Ok((
            None,
            fields
                .0
                .keys()
                .map(|k| t.get(&format!("goals.needs.{k}")).to_string())
                .collect(),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn show(
    page: Page,
    PageQuery(params): PageQuery<SuggestParams>,
) -> Result<Response, PageError> {
    render(page, Errors::default(), None, params, None).await
}
