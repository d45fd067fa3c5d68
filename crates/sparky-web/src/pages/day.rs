//! Today (`/`) and any day (`/day/{date}`): the energy ring, macro bars, water, weight, the
//! last 14 days, the meals with their entries (edit, delete with undo) and the day's exercise.
//! Writes answer htmx with the re-rendered day and a plain form post with a redirect.

use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{Datelike, Days, NaiveDate};
use serde::Deserialize;
use sparky_app::days::DayRef;
use sparky_app::diary;
use sparky_core::nutrition::Nutrients;
use sparky_core::{AccessType, Amount, MealType};
use uuid::Uuid;

use super::charts;
use super::format::{day_label, kcal, number};
use super::undo_cookie::{undo_cookie, undo_of};
use super::{html, redirect, Page, PageError, PageForm, Shell};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/diary/{id}", post(edit_entry))
        .route("/diary/{id}/delete", post(delete_entry))
        .route("/diary/restore", post(restore_entry))
        .route("/diary/uncopy", post(uncopy))
        .route("/water", post(add_water))
        .route("/weight", post(add_weight))
}

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
struct DayFragment {
    shell: Shell,
    v: DayView,
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
        workouts,
        today,
    } = sparky_app::overview::day(tx, acting, date).await?;

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
                .map(|e| EntryView {
                    id: e.id,
                    name: e.food_name.clone(),
                    amount: entry_amount(e),
                    quantity: e.quantity.to_string(),
                    unit: e.unit.clone(),
                    // Unknown is not 0: "?" like everywhere calories are not listed.
                    kcal: e
                        .nutrients
                        .calories
                        .map_or_else(|| "?".to_string(), |_| kcal(cal(&e.nutrients))),
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
        spark: charts::sparkline(&spark_values, target, t.get("day.last_14")),
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

/// The answer to a write on a day: the day re-rendered for htmx, a redirect otherwise.
pub async fn after_write(
    mut page: Page,
    date: NaiveDate,
    undo: Option<String>,
) -> Result<Response, PageError> {
    if !page.htmx {
        page.tx.commit().await?;
        return Ok(redirect(&format!("/day/{date}")));
    }
    let shell = page.shell("", "today").await?;
    let v = view(&mut page, &shell, date, undo).await?;
    page.tx.commit().await?;
    Ok(html(&DayFragment { shell, v }))
}

#[derive(Deserialize)]
pub struct EditForm {
    /// The amount, with a unit to change it ("150 g", "1.5 cup"); without one the entry's.
    quantity: String,
    /// The meal to move the entry to (forms from before it was offered send none).
    #[serde(default)]
    meal: Option<String>,
    /// The day to move the entry to; `day` is the day the form was shown on.
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    day: Option<NaiveDate>,
    /// The unit the form showed after the amount: still there, it is no change (whatever it
    /// looks like: a serving named "2 tbsp" is not read as a number).
    #[serde(default)]
    unit_was: Option<String>,
}

/// The amount typed into an entry's edit form, and its unit when one other than the shown
/// `unit_was` was typed after it.
fn typed_amount(text: &str, unit_was: Option<&str>) -> Option<(Amount, Option<String>)> {
    let text = text.trim();
    // A number alone (also a negative one, for the diary to refuse saying why).
    if let Ok(Some(number)) = super::forms::decimal(text) {
        return Some((Amount(number), None));
    }
    let was = unit_was.map(str::trim).filter(|u| !u.is_empty());
    if let Some(cut) = was.and_then(|was| {
        let cut = text.len().checked_sub(was.len())?;
        (text.is_char_boundary(cut) && text[cut..].to_lowercase() == was.to_lowercase())
            .then_some(cut)
    }) {
        let number = super::forms::decimal(&text[..cut]).ok()??;
        return Some((Amount(number), None));
    }
    let (number, unit) = super::forms::amount_with_unit(text).ok()??;
    Some((Amount(number), unit))
}

/// A number typed into a field ("1,5", "1 1/2" and "½" too); anything else is the 422 page
/// naming the field.
fn amount_field(field: &str, text: &str) -> Result<Amount, PageError> {
    match super::forms::decimal(text) {
        Ok(Some(d)) => Ok(Amount(d)),
        _ => Err(PageError::invalid(
            field,
            sparky_core::typed_number::NotANumber.to_string(),
        )),
    }
}

async fn edit_entry(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<EditForm>,
) -> Result<Response, PageError> {
    let Some((quantity, unit)) = typed_amount(&form.quantity, form.unit_was.as_deref()) else {
        return Err(PageError::invalid(
            "quantity",
            sparky_core::typed_number::NotANumber.to_string(),
        ));
    };
    // Only a day other than the one shown moves the entry.
    let date = match super::optional_form_date("date", form.date.as_deref().unwrap_or(""))? {
        Some(d) if Some(d) != form.day => Some(super::form_date("date", d)?),
        _ => None,
    };
    let entry = diary::update(
        &mut page.tx,
        id,
        diary::UpdateEntryInput {
            quantity: Some(quantity),
            // A unit typed is read against the serving logged (g, oz, cup…); none keeps the
            // entry's.
            unit,
            meal_type: match form.meal.as_deref().filter(|m| !m.is_empty()) {
                Some(m) => Some(
                    sparky_core::MealType::parse(m)
                        .map_err(|e| PageError::invalid("meal", e.to_string()))?,
                ),
                None => None,
            },
            date,
            consumed_at: None,
        },
    )
    .await?;
    match form.day {
        // Moved: the day it left, saying where it went (without script: the day it went to).
        Some(shown) if shown != entry.date && page.htmx => {
            let shell = page.shell("", "today").await?;
            let mut v = view(&mut page, &shell, shown, None).await?;
            page.tx.commit().await?;
            v.moved = Some((
                shell.fill(
                    "day.moved",
                    &[
                        ("name", &entry.food_name),
                        ("day", &day_label(&shell.t, entry.date, shown.year())),
                    ],
                ),
                entry.date,
            ));
            Ok(html(&DayFragment { shell, v }))
        }
        _ => after_write(page, entry.date, None).await,
    }
}

#[derive(Deserialize)]
pub struct Empty {}

async fn delete_entry(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(_): PageForm<Empty>,
) -> Result<Response, PageError> {
    let snapshot = diary::remove(&mut page.tx, id).await?;
    let date: NaiveDate = snapshot
        .get("entry_date")
        .and_then(|d| d.as_str())
        .and_then(|d| d.parse().ok())
        .ok_or(PageError::NotFound)?;
    if !page.htmx {
        page.tx.commit().await?;
        let mut response = redirect(&format!("/day/{date}"));
        response
            .headers_mut()
            .append(header::SET_COOKIE, undo_cookie(Some(&snapshot.to_string())));
        return Ok(response);
    }
    after_write(page, date, Some(snapshot.to_string())).await
}

#[derive(Deserialize)]
pub struct UncopyForm {
    date: NaiveDate,
    ids: String,
    from: NaiveDate,
    copied: usize,
    mark: String,
}

/// Undo of a copy: the entries it made go (those deleted since already are).
async fn uncopy(
    mut page: Page,
    PageForm(form): PageForm<UncopyForm>,
) -> Result<Response, PageError> {
    // Only what this session's copy made (its mark), not any entries a form lists.
    if copy_mark(&page.csrf, form.date, form.from, form.copied, &form.ids) != form.mark {
        return Err(PageError::invalid(
            "ids",
            "are not what a copy of yours made; nothing was undone",
        ));
    }
    let ids: Vec<Uuid> = form
        .ids
        .split(',')
        .filter(|id| !id.trim().is_empty())
        .map(|id| id.trim().parse())
        .collect::<Result<_, _>>()
        .map_err(|_| PageError::invalid("ids", "are not diary entries"))?;
    if ids.len() > sparky_app::diary::MAX_ENTRIES_PER_DAY as usize {
        return Err(PageError::invalid("ids", "are more than a day holds"));
    }
    for id in ids {
        match diary::delete(&mut page.tx, id).await {
            Ok(()) | Err(sparky_app::AppError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    page.tx.commit().await?;
    Ok(redirect(&format!("/day/{}", form.date)))
}

#[derive(Deserialize)]
pub struct RestoreForm {
    entry: String,
}

async fn restore_entry(
    mut page: Page,
    PageForm(form): PageForm<RestoreForm>,
) -> Result<Response, PageError> {
    let snapshot: serde_json::Value = serde_json::from_str(&form.entry)
        .map_err(|_| PageError::invalid("entry", "is not a diary entry to restore"))?;
    let entry = diary::restore(&mut page.tx, &snapshot).await?;
    after_write(page, entry.date, None).await
}

#[derive(Deserialize)]
pub struct WaterForm {
    date: NaiveDate,
    ml: String,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

async fn add_water(
    mut page: Page,
    PageForm(form): PageForm<WaterForm>,
) -> Result<Response, PageError> {
    let acting = page.acting;
    let input = sparky_app::measurements::LogMeasurementInput {
        kind: "water".into(),
        value: amount_field("water", &form.ml)?,
        unit: Some("ml".into()),
        measured_at: None,
        date: Some(super::form_date("date", form.date)?),
        note: None,
    };
    let m = input.parse()?;
    if super::once::first_send(&mut page.tx, "water", form.once.as_deref()).await? {
        sparky_app::measurements::log(&mut page.tx, acting, &m).await?;
    }
    after_write(page, form.date, None).await
}

#[derive(Deserialize)]
pub struct WeightForm {
    date: NaiveDate,
    value: String,
    /// The unit the form was shown in: a form left open while the units changed keeps it
    /// (170 typed as lb was stored as 170 kg).
    #[serde(default)]
    unit: Option<String>,
    /// The form's once-token ([`super::Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

async fn add_weight(
    mut page: Page,
    PageForm(form): PageForm<WeightForm>,
) -> Result<Response, PageError> {
    let acting = page.acting;
    let input = sparky_app::measurements::LogMeasurementInput {
        kind: "weight".into(),
        value: amount_field("weight", &form.value)?,
        unit: form.unit.clone().filter(|u| !u.trim().is_empty()),
        measured_at: None,
        date: Some(super::form_date("date", form.date)?),
        note: None,
    };
    let m = input.parse()?;
    if super::once::first_send(&mut page.tx, "weight", form.once.as_deref()).await? {
        sparky_app::measurements::log(&mut page.tx, acting, &m).await?;
    }
    after_write(page, form.date, None).await
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
    if let Some(m) = w.duration_minutes {
        parts.push(format!("{m} min"));
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

#[cfg(test)]
mod tests {
    use super::typed_amount;
    use rust_decimal::Decimal;
    use sparky_core::Amount;

    fn amount(text: &str, was: Option<&str>) -> Option<(Decimal, Option<String>)> {
        typed_amount(text, was).map(|(Amount(q), unit)| (q, unit))
    }

    #[test]
    fn the_unit_shown_is_no_change_and_another_is_read() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // The shown unit, however it looks, is no change.
        assert_eq!(amount("1 2 tbsp", Some("2 tbsp")), Some((d("1"), None)));
        assert_eq!(amount("1.5 cup", Some("cup")), Some((d("1.5"), None)));
        assert_eq!(amount("½ CUP", Some("cup")), Some((d("0.5"), None)));
        assert_eq!(amount(" 2 ", Some("cup")), Some((d("2"), None)));
        assert_eq!(amount("-1", Some("cup")), Some((d("-1"), None)));
        // Another unit is read after the number.
        assert_eq!(
            amount("150 g", Some("cup")),
            Some((d("150"), Some("g".into())))
        );
        assert_eq!(amount("3 oz", None), Some((d("3"), Some("oz".into()))));
        // Shorter than the shown unit.
        assert_eq!(
            amount("3 OZ", Some("serving")),
            Some((d("3"), Some("OZ".into())))
        );
        // No number: nothing.
        assert_eq!(amount("cup", Some("cup")), None);
        assert_eq!(amount("lots", None), None);
        assert_eq!(amount("", Some("g")), None);
    }
}
