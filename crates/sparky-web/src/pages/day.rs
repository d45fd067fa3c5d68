//! Today (`/`) and any day (`/day/{date}`): the energy ring, macro bars, water, weight, the
//! last 14 days, the meals with their entries (edit, delete with undo) and the day's exercise.
//! Its writes are in [`super::day_writes`].

use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Days, NaiveDate};
use serde::Deserialize;
use sparky_app::days::DayRef;
use sparky_core::nutrition::Nutrients;
use sparky_core::{AccessType, Amount, MealType};
use uuid::Uuid;

use super::charts;
use super::format::{day_label, kcal, number};
use super::undo_cookie::{undo_cookie, undo_of};
use super::{html, redirect, Page, PageError, Shell};

pub struct MacroBar {
    pub class: &'static str,
    pub name: &'static str,
    pub text: String,
    pub svg: String,
}

pub struct EntryView {
    pub id: Uuid,
    pub name: String,
    pub amount: String,
    pub quantity: String,
    pub unit: String,
    pub kcal: String,
}

pub struct MealView {
    pub key: &'static str,
    pub name: String,
    pub kcal: String,
    pub entries: Vec<EntryView>,
    /// "Save as recipe" can work: every entry has its food (no quick add, no deleted food)
    /// and a recipe holds them all.
    pub saveable: bool,
}

pub struct WorkoutView {
    pub name: String,
    pub detail: String,
    pub kcal: String,
}

pub struct QuickWater {
    pub ml: String,
    pub label: String,
}

/// Everything the day shows, already formatted.
pub struct DayView {
    pub date: NaiveDate,
    pub label: String,
    pub prev: NaiveDate,
    pub next: NaiveDate,
    pub ring: String,
    pub eaten: String,
    pub burned: String,
    pub target: String,
    pub no_target: bool,
    /// The week's calorie budget in a sentence ("Week to Sunday: 1,200 kcal left of
    /// 14,700."); empty without a calorie target.
    pub week: String,
    pub streak: i64,
    pub macros: Vec<MacroBar>,
    /// The day's custom nutrient totals the owner defined, each against its daily range.
    pub custom: Vec<super::food_custom::DayTotal>,
    pub partial: String,
    /// Calories and macros no food of the day lists (shown as not listed, not 0).
    pub unlisted: String,
    pub water: String,
    pub water_svg: String,
    pub water_quick: Vec<QuickWater>,
    pub weight: String,
    pub spark: String,
    pub meals: Vec<MealView>,
    pub workouts: Vec<WorkoutView>,
    /// A deleted entry, for the Undo button.
    pub undo: Option<String>,
    /// After a copy: what was copied, and the new entries' ids for its Undo.
    pub copied: Option<(String, String)>,
    /// The copy's source day, count and mark, sent back by its Undo.
    pub copy_mark: (NaiveDate, usize, String),
    /// An entry just moved to another day: what was said, and that day.
    pub moved: Option<(String, NaiveDate)>,
}

#[derive(Template)]
#[template(path = "pages/day.html")]
struct DayPage {
    shell: Shell,
    v: DayView,
}

#[derive(Template)]
#[template(path = "pages/day_fragment.html")]
pub(super) struct DayFragment {
    pub shell: Shell,
    pub v: DayView,
}

pub async fn today(page: Page, headers: HeaderMap) -> Result<Response, PageError> {
    render_after(page, DayRef::Today, AfterCopy::default(), &headers).await
}

/// What a copy that led here left in the address (`?copied=8&from=…&undo=ids&mark=…`).
#[derive(Deserialize, Default)]
pub struct AfterCopy {
    copied: Option<usize>,
    from: Option<NaiveDate>,
    undo: Option<String>,
    mark: Option<String>,
}

/// The mark of a copy's notice: made from the session's form token, so only the copy this
/// session made shows its notice and Undo (not an address someone sent).
pub(super) fn copy_mark(csrf: &str, to: NaiveDate, from: NaiveDate, n: usize, ids: &str) -> String {
    let hash = crate::auth::token_hash(&format!("copied:{csrf}:{to}:{from}:{n}:{ids}"));
    hash.chars().take(16).collect()
}

pub async fn day_page(
    page: Page,
    headers: HeaderMap,
    PagePath(date): PagePath<String>,
    PageQuery(after): PageQuery<AfterCopy>,
) -> Result<Response, PageError> {
    // An unreadable or out-of-range day is the 422 page naming `date`, as in forms.
    let day = DayRef::parse(&date).map_err(PageError::App)?;
    render_after(page, day, after, &headers).await
}

#[derive(Deserialize)]
pub struct PickDay {
    date: Option<String>,
}

/// The date picker's form (`/day?date=2026-12-01`): on to that day, or back to today when the
/// date is missing or not one.
pub async fn pick_day(PageQuery(q): PageQuery<PickDay>) -> Result<Response, PageError> {
    match q.date.as_deref().map(str::trim).map(DayRef::parse) {
        Some(Ok(DayRef::On(d))) => Ok(redirect(&format!("/day/{d}"))),
        // Not a day: said, naming the field (it went to Today without a word).
        Some(Err(e)) if !q.date.as_deref().unwrap_or("").trim().is_empty() => {
            Err(PageError::invalid("date", e.to_string()))
        }
        _ => Ok(redirect("/")),
    }
}

async fn render_after(
    mut page: Page,
    day: DayRef,
    after: AfterCopy,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let shell = page.shell("", "today").await?;
    // Someone whose grant does not cover the diary starts where it does.
    if !shell.may(AccessType::Calorie) && !shell.may(AccessType::Reports) {
        if shell.may_checkin() {
            return Ok(redirect("/checkin"));
        }
        if shell.may(AccessType::FoodList) {
            return Ok(redirect("/plans"));
        }
    }
    let date = day.resolve(&mut page.tx, page.acting).await?;
    let undo = undo_of(headers);
    let mut v = view(&mut page, &shell, date, undo.clone()).await?;
    page.tx.commit().await?;
    let ids = after.undo.clone().unwrap_or_default();
    let genuine = match (after.copied, after.from, after.mark.as_deref()) {
        (Some(n), Some(from), Some(mark)) => copy_mark(&page.csrf, date, from, n, &ids) == mark,
        _ => false,
    };
    if let (true, Some(n), Some(from)) = (genuine, after.copied, after.from) {
        let said = shell.t.fill_count(
            "day.copied",
            n as i64,
            &[
                ("n", &n.to_string()),
                ("from", &day_label(&shell.t, from, date.year())),
            ],
        );
        v.copied = Some((
            said,
            match n > 0 {
                true => ids,
                false => String::new(),
            },
        ));
        v.copy_mark = (from, n, after.mark.unwrap_or_default());
    }
    let mut shell = shell;
    shell.title = v.label.clone();
    let mut response = html(&DayPage { shell, v });
    if undo.is_some() {
        response
            .headers_mut()
            .append(header::SET_COOKIE, undo_cookie(None));
    }
    Ok(response)
}

fn f(a: Amount) -> f64 {
    a.to_f64()
}

fn cal(n: &Nutrients) -> f64 {
    n.calories.map(|d| Amount(d).to_f64()).unwrap_or(0.0)
}

/// Reads and formats one day.
pub async fn view(
    page: &mut Page,
    shell: &Shell,
    date: NaiveDate,
    undo: Option<String>,
) -> Result<DayView, PageError> {
    let t = &shell.t;
    let acting = page.acting;
    let tx = &mut page.tx;
    // One round trip for all of it.
    let sparky_app::overview::DayOverview {
        diary: day,
        summary: sum,
        trend: range,
        calorie_targets,
        workouts,
        today,
        custom_nutrients,
    } = sparky_app::overview::day(tx, acting, date).await?;
    // By the owner's definitions: their diary keeps amounts under their names. A logged day
    // without any of a nutrient that has a floor is under it.
    let logged = day.meals.iter().any(|m| !m.entries.is_empty());
    let custom = super::food_custom::day_totals(t, &custom_nutrients, &day.custom_totals, logged);

    let eaten = f(sum.net_calories) + f(sum.burned);
    let burned = f(sum.burned);
    let target = sum.targets.calories.map(f);
    // What the owner counts of the exercise (Settings → eaten back): the summary's remaining
    // already holds it, and the ring's budget follows it.
    let counted = burned * f64::from(sum.exercise_eat_back_percent) / 100.0;
    let remaining = sum.remaining.calories.map(f);
    // Food logged, none of it saying its calories (a protein shake by its grams): unknown,
    // not "0 kcal eaten, the whole target left".
    let logged = day.meals.iter().any(|m| !m.entries.is_empty());
    let calories_unlisted = logged && sum.eaten.calories.is_none();
    let (center, sub) = match remaining {
        _ if calories_unlisted => ("–".to_string(), t.get("day.kcal_unlisted")),
        Some(r) if r >= 0.0 => (kcal(r), t.get("day.remaining")),
        Some(r) => (kcal(-r), t.get("day.over")),
        None => (kcal(eaten), t.get("day.kcal_eaten")),
    };
    let ring_label = match target {
        Some(tg) => t.fill(
            "day.ring_label",
            &[
                ("eaten", &kcal(eaten)),
                ("burned", &kcal(burned)),
                ("target", &kcal(tg)),
            ],
        ),
        None => t.fill("day.ring_label_no_target", &[("eaten", &kcal(eaten))]),
    };
    let macro_of =
        |class: &'static str, key: &'static str, value: Option<f64>, target: Option<Amount>| {
            if logged && value.is_none() {
                return MacroBar {
                    class,
                    name: t.get(key),
                    svg: String::new(),
                    text: t.get("day.not_listed").to_string(),
                };
            }
            let value = value.unwrap_or(0.0);
            let target = target.map(f);
            let text = match target {
                Some(tg) => format!("{} / {} g", number(value, 0), number(tg, 0)),
                None => format!("{} g", number(value, 0)),
            };
            MacroBar {
                class,
                name: t.get(key),
                svg: charts::bar(value, target, &format!("{}: {text}", t.get(key))),
                text,
            }
        };
    let n = &sum.eaten;
    let amount = |d: Option<rust_decimal::Decimal>| d.map(|d| Amount(d).to_f64());
    let macros = vec![
        macro_of(
            "protein",
            "nutrient.protein",
            amount(n.protein),
            sum.targets.protein,
        ),
        macro_of(
            "carbs",
            "nutrient.carbohydrates",
            amount(n.carbohydrates),
            sum.targets.carbohydrates,
        ),
        macro_of("fat", "nutrient.fat", amount(n.fat), sum.targets.fat),
    ];
    let partial = super::format::in_sentence(
        &sum.partial
            .iter()
            .map(|k| t.get(&format!("nutrient.{k}")))
            .collect::<Vec<_>>(),
        t.get("word.and"),
    );
    // Energy and the macros that no food of the day lists.
    let unlisted = super::format::in_sentence(
        &[
            ("calories", sum.eaten.calories),
            ("protein", n.protein),
            ("carbohydrates", n.carbohydrates),
            ("fat", n.fat),
        ]
        .iter()
        .filter(|(_, v)| logged && v.is_none())
        .map(|(k, _)| t.get(&format!("nutrient.{k}")))
        .collect::<Vec<_>>(),
        t.get("word.and"),
    );
    // No water at all: the owner's measurements (water, weight) are not shared with the viewer.
    let hidden = sum.water_ml.is_none();
    let water_ml = sum.water_ml.map(f).unwrap_or_default();
    let water_target = sum.targets.water.map(f);
    let water = match water_target {
        _ if hidden => t.get("day.not_shared").to_string(),
        Some(tg) => format!(
            "{} / {}",
            shell.units.water(water_ml),
            shell.units.water(tg)
        ),
        None => shell.units.water(water_ml),
    };
    let water_quick = if shell.units.imperial() {
        vec![
            QuickWater {
                ml: "236.5882365".into(),
                label: "8 fl oz".into(),
            },
            QuickWater {
                ml: "473.176473".into(),
                label: "16 fl oz".into(),
            },
        ]
    } else {
        vec![
            QuickWater {
                ml: "250".into(),
                label: "250 ml".into(),
            },
            QuickWater {
                ml: "500".into(),
                label: "500 ml".into(),
            },
        ]
    };
    // Each day against the target it had (the dashed line steps where it changed).
    let spark_targets: Vec<Option<f64>> = range
        .days
        .iter()
        .map(|d| calorie_targets.on(d.date).map(|t| f(Amount(t))))
        .collect();
    let spark_values: Vec<Option<f64>> = range
        .days
        .iter()
        .map(|d| {
            (d.entries > 0).then(|| {
                serde_json::from_str::<Nutrients>(d.eaten.get())
                    .map(|n| cal(&n))
                    .unwrap_or(0.0)
            })
        })
        .collect();
    let meals = day
        .meals
        .iter()
        .zip(MealType::ALL)
        .map(|(m, key)| MealView {
            saveable: !m.entries.is_empty()
                && m.entries.len() <= sparky_app::recipes::MAX_INGREDIENTS
                && m.entries.iter().all(|e| e.food_item_id.is_some()),
            key: key.as_str(),
            name: t.get(&format!("meal.{}", key.as_str())).to_string(),
            kcal: format!("{} kcal", kcal(cal(&m.totals))),
            entries: m
                .entries
                .iter()
                .map(|e| {
                    let (quantity, unit) = edit_amount(e);
                    EntryView {
                        id: e.id,
                        name: e.food_name.clone(),
                        amount: entry_amount(e),
                        quantity,
                        unit,
                        // Unknown is not 0: "?" like everywhere calories are not listed.
                        kcal: e
                            .nutrients
                            .calories
                            .map_or_else(|| "?".to_string(), |_| kcal(cal(&e.nutrients))),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(DayView {
        date,
        label: if date == today {
            t.get("day.today").to_string()
        } else {
            day_label(t, date, today.year())
        },
        prev: date - Days::new(1),
        next: date + Days::new(1),
        ring: charts::ring(eaten, counted, target, &center, sub, &ring_label),
        eaten: if calories_unlisted {
            t.get("day.not_listed").to_string()
        } else {
            format!("{} kcal", kcal(eaten))
        },
        burned: if sum.exercise_eat_back_percent == 100 || burned == 0.0 {
            format!("{} kcal", kcal(burned))
        } else {
            t.fill(
                "day.burned_counted",
                &[
                    ("burned", &kcal(burned)),
                    ("percent", &sum.exercise_eat_back_percent.to_string()),
                ],
            )
        },
        target: target
            .map(|tg| format!("{} kcal", kcal(tg)))
            .unwrap_or_else(|| "–".into()),
        no_target: target.is_none(),
        week: sum
            .week
            .as_ref()
            .map(|w| {
                let remaining = f(w.remaining);
                let key = if remaining >= 0.0 {
                    "day.week_left"
                } else {
                    "day.week_over"
                };
                let last = sparky_core::report::WEEKDAY_NAMES
                    [w.to.weekday().num_days_from_monday() as usize];
                t.fill(
                    key,
                    &[
                        ("kcal", &kcal(remaining.abs())),
                        ("budget", &kcal(f(w.budget))),
                        ("last", t.get(&format!("weekday.{last}"))),
                    ],
                )
            })
            .unwrap_or_default(),
        streak: sum.streak_days,
        macros,
        custom,
        partial,
        unlisted,
        water_svg: if hidden {
            String::new()
        } else {
            charts::bar(water_ml, water_target, &water)
        },
        water,
        water_quick,
        weight: sum
            .weight_kg
            .map(|w| shell.units.weight(f(w)))
            .unwrap_or_else(|| match hidden {
                true => t.get("day.not_shared").to_string(),
                false => "–".into(),
            }),
        spark: charts::sparkline_with_targets(&spark_values, &spark_targets, t.get("day.last_14")),
        meals,
        workouts: workouts
            .entries
            .iter()
            .map(|w| WorkoutView {
                name: w.exercise_name.clone(),
                detail: workout_detail(t, w),
                kcal: w
                    .calories_burned
                    .map(|c| format!("{} kcal", kcal(f(c))))
                    .unwrap_or_default(),
            })
            .collect(),
        undo,
        copied: None,
        copy_mark: (date, 0, String::new()),
        moved: None,
    })
}

impl IntoResponse for DayPage {
    fn into_response(self) -> Response {
        html(&self)
    }
}

/// "3 sets · 45 min · 5 km" for a workout.
pub fn workout_detail(t: &crate::i18n::Messages, w: &sparky_app::workouts::Workout) -> String {
    let mut parts = Vec::new();
    if !w.sets.is_empty() {
        let n = w.sets.len();
        parts.push(t.fill_count("exercise.sets", n as i64, &[("n", &n.to_string())]));
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

/// An entry's amount for its edit form: servings of a serving with a unit of its own in that
/// unit ("1 serving" of "½ cup" is "0.5 cup"), else as logged (also for a unit longer than
/// an entry stores: the diary records those as servings).
fn edit_amount(e: &sparky_app::diary::DiaryEntry) -> (String, String) {
    let own = e.serving.unit.as_deref().map(str::trim).filter(|u| {
        !u.is_empty()
            && u.chars().count() <= 50
            && !sparky_core::units::Unit::parse(u).is_ok_and(|u| u.as_str() == "serving")
    });
    match (e.unit.as_str(), own, e.serving.size) {
        ("serving", Some(unit), Some(size)) if size.decimal() > rust_decimal::Decimal::ZERO => (
            (e.quantity.decimal() * size.decimal())
                .round_dp(3)
                .normalize()
                .to_string(),
            unit.to_string(),
        ),
        _ => (e.quantity.to_string(), e.unit.clone()),
    }
}

/// An entry's amount as logged: "2 × 1 large (50 g)" for servings of a described serving
/// (it said "2 servings"), else the quantity and its unit ("150 g", "2 slices").
fn entry_amount(e: &sparky_app::diary::DiaryEntry) -> String {
    match &e.serving.description {
        Some(d) if e.unit == "serving" && !d.trim().is_empty() => {
            match e.quantity.decimal().normalize() {
                q if q == rust_decimal::Decimal::ONE => d.clone(),
                q => format!("{q} × {d}"),
            }
        }
        _ => super::format::amount(e.quantity, &e.unit),
    }
}
