//! Recipes (`/recipes`): the list and a new recipe's name and servings; one recipe's
//! ingredients (find a food as for meal plans, pick its serving and amount, add; remove), what
//! one serving holds, its name, servings and cooked weight, and deleting it. Every change goes
//! through `sparky_app::recipes`, which works the serving out again. A family member with the
//! `food_list` grant sees the recipes read-only.

use crate::pages::confirm::{ask, ConfirmForm, Loss};
use crate::pages::{PagePath, PageQuery};
use askama::Template;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sparky_app::recipes::{self, Details, Recipe};
use sparky_app::PageRequest;
use sparky_core::nutrition::Nutrients;
use sparky_core::{AccessType, Amount, Date, MealType};
use uuid::Uuid;

use super::form_errors::{decimal, FormErrors};
use super::format::{amount, kcal, number};
use super::once;
use super::plan_items::{search_view, SearchView};
use super::plans::DetailParams;
use super::{html, redirect, Page, PageError, PageForm, Shell};
use crate::AppState;

use super::recipe_edits as edits;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/recipes", get(list).post(create))
        .route("/recipes/from-meal", post(from_meal))
        .route("/recipes/{id}", get(detail).post(edits::save))
        .route("/recipes/{id}/search", get(edits::search))
        .route("/recipes/{id}/ingredients", post(edits::add))
        .route(
            "/recipes/{id}/ingredients/{ingredient}",
            post(edits::change),
        )
        .route(
            "/recipes/{id}/ingredients/{ingredient}/delete",
            post(edits::remove),
        )
        .route("/recipes/{id}/copy", post(copy))
        .route("/recipes/{id}/delete", post(delete))
}

/// Whether the shown person's recipes are visible, and whether they may be changed.
fn access(shell: &Shell) -> (bool, bool) {
    let own = shell.viewing.is_none();
    (own || shell.may(AccessType::FoodList), own)
}

fn kcal_text(n: &Nutrients) -> String {
    n.calories
        .map(|c| format!("{} kcal", kcal(Amount(c).to_f64())))
        .unwrap_or_else(|| "? kcal".into())
}

pub struct RecipeRow {
    pub id: Uuid,
    pub name: String,
    pub detail: String,
}

pub struct ListView {
    pub shared: bool,
    pub editable: bool,
    pub recipes: Vec<RecipeRow>,
    pub name: String,
    pub servings: String,
    pub errors: FormErrors,
    /// "From a meal you logged": its date, meal, name and servings as typed.
    pub meal: MealForm,
    pub meal_names: Vec<(&'static str, &'static str)>,
}

/// The "from a meal" form's fields (also its query parameters when Today links to it).
#[derive(Deserialize, Default)]
pub struct MealForm {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub meal: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub servings: String,
    /// A family member's diary to read the meal from (their day's "Save as my recipe").
    #[serde(default)]
    pub from_user: String,
    /// The form's once-token ([`Shell::once`]).
    #[serde(default, rename = "_once")]
    pub once: Option<String>,
    #[serde(skip)]
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "pages/recipes.html")]
struct ListPage {
    shell: Shell,
    v: ListView,
}

/// What a re-rendered list page keeps from a failed form.
struct NewTyped {
    name: String,
    servings: String,
    errors: FormErrors,
}

impl Default for NewTyped {
    fn default() -> NewTyped {
        NewTyped {
            name: String::new(),
            servings: "1".into(),
            errors: FormErrors::new(),
        }
    }
}

async fn list(mut page: Page, PageQuery(meal): PageQuery<MealForm>) -> Result<Response, PageError> {
    render_list(&mut page, NewTyped::default(), meal).await
}

async fn render_list(
    page: &mut Page,
    typed: NewTyped,
    mut meal: MealForm,
) -> Result<Response, PageError> {
    let mut shell = page.shell("", "more").await?;
    let t = &shell.t;
    let (shared, editable) = access(&shell);
    let mut rows = Vec::new();
    if shared {
        let req = PageRequest::parse(Some(recipes::LIST_LIMIT.max), None, recipes::LIST_LIMIT)?;
        let me = page.tx.user_id().await?;
        let whose = shell.viewing.as_ref().map(|v| v.user_id).unwrap_or(me);
        let found = recipes::list(&mut page.tx, Some(whose), &req).await?;
        rows = found
            .items
            .iter()
            .map(|r| RecipeRow {
                id: r.id,
                name: r.name.clone(),
                detail: t.fill(
                    if r.ingredient_count == 1 {
                        "recipes.summary_one"
                    } else {
                        "recipes.summary"
                    },
                    &[
                        ("kcal", &kcal_text(&r.per_serving)),
                        ("n", &r.ingredient_count.to_string()),
                        ("servings", &number(r.servings.to_f64(), 2)),
                    ],
                ),
            })
            .collect();
    }
    // The meal form starts at today's dinner unless Today's link names a meal.
    if meal.date.is_empty() && editable {
        meal.date = sparky_app::days::today(&mut page.tx, page.acting)
            .await?
            .to_string();
    }
    if MealType::parse(&meal.meal).is_err() {
        meal.meal = MealType::Dinner.as_str().into();
    }
    if meal.servings.is_empty() {
        meal.servings = "1".into();
    }
    let invalid = !typed.errors.is_empty() || !meal.errors.is_empty();
    let meal_names = MealType::ALL
        .iter()
        .map(|m| (m.as_str(), t.get(&format!("meal.{}", m.as_str()))))
        .collect();
    shell.title = shell.t("recipes.title").to_string();
    let v = ListView {
        shared,
        editable,
        recipes: rows,
        name: typed.name,
        servings: typed.servings,
        errors: typed.errors,
        meal,
        meal_names,
    };
    let mut r = html(&ListPage { shell, v });
    if invalid {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

#[derive(Deserialize)]
pub struct NewForm {
    name: String,
    servings: String,
    /// The form's once-token ([`Shell::once`]).
    #[serde(rename = "_once")]
    once: Option<String>,
}

async fn create(mut page: Page, PageForm(form): PageForm<NewForm>) -> Result<Response, PageError> {
    let once = form.once.as_deref();
    if let Some(to) = once::earlier_answer(&mut page.tx, "recipe", once).await? {
        return Ok(redirect(&to));
    }
    let result = match decimal(&form.servings) {
        Ok(Some(servings)) => match Details::parse(&form.name, Amount(servings), None) {
            Ok(d) => {
                let input = recipes::NewRecipe {
                    name: d.name,
                    servings: d.servings,
                    cooked_weight_g: None,
                    ingredients: Vec::new(),
                };
                recipes::create(&mut page.tx, &input).await
            }
            Err(e) => Err(e),
        },
        _ => Err(sparky_app::AppError::invalid(
            "servings",
            page.t.get("recipes.servings_invalid"),
        )),
    };
    match result {
        Ok(r) => opened(page, &r, "recipe", once).await,
        Err(e) => {
            let typed = NewTyped {
                name: form.name,
                servings: form.servings,
                errors: FormErrors::from_app(e, &[])?,
            };
            render_list(&mut page, typed, MealForm::default()).await
        }
    }
}

/// Commits a new recipe, keeping the once-token of the form of `kind` that made it, and opens
/// its page.
async fn opened(
    mut page: Page,
    r: &Recipe,
    kind: &str,
    once: Option<&str>,
) -> Result<Response, PageError> {
    let to = format!("/recipes/{}", r.id);
    once::keep(&mut page.tx, kind, once, &to).await?;
    page.tx.commit().await?;
    Ok(redirect(&to))
}

/// "From a meal you logged": the meal's entries become the recipe's ingredients.
async fn from_meal(
    mut page: Page,
    PageForm(mut form): PageForm<MealForm>,
) -> Result<Response, PageError> {
    let once = form.once.clone();
    if let Some(to) = once::earlier_answer(&mut page.tx, "from-meal", once.as_deref()).await? {
        return Ok(redirect(&to));
    }
    let date = Date::parse(form.date.trim());
    let meal = MealType::parse(&form.meal);
    let servings = decimal(&form.servings);
    let from_user_id = match form.from_user.trim() {
        "" => None,
        id => Some(
            id.parse::<Uuid>()
                .map_err(|_| PageError::invalid("from_user", "is not a person"))?,
        ),
    };
    let result = match (date, meal, servings) {
        (Ok(date), Ok(meal_type), Ok(servings)) => {
            let input = recipes::FromMealInput {
                date,
                meal_type,
                name: form.name.clone(),
                servings: servings.map(Amount),
                cooked_weight_g: None,
                from_user_id,
            };
            match input.parse() {
                Ok(m) => recipes::from_meal(&mut page.tx, &m).await,
                Err(e) => Err(e),
            }
        }
        (Err(_), _, _) => Err(sparky_app::AppError::invalid(
            "date",
            page.t.get("recipes.date_invalid"),
        )),
        (_, Err(_), _) => Err(sparky_app::AppError::invalid(
            "meal_type",
            page.t.get("recipes.meal_invalid"),
        )),
        (_, _, Err(_)) => Err(sparky_app::AppError::invalid(
            "servings",
            page.t.get("recipes.servings_invalid"),
        )),
    };
    match result {
        Ok(r) => opened(page, &r, "from-meal", once.as_deref()).await,
        Err(e) => {
            form.errors = FormErrors::from_app(e, &[("meal_type", "meal")])?;
            render_list(&mut page, NewTyped::default(), form).await
        }
    }
}

pub struct IngredientRow {
    pub id: Uuid,
    pub name: String,
    pub amount: String,
    /// The amount as typed into its form, in `unit`.
    pub quantity: String,
    pub unit: String,
    /// Its amount can be changed (its food still exists).
    pub changeable: bool,
    pub kcal: String,
    pub problem: String,
    /// Why the change just typed into its form was refused (the form is shown open).
    pub error: String,
}

pub struct NutrientLine {
    pub label: &'static str,
    pub value: String,
}

pub struct RecipeView {
    pub id: Uuid,
    pub name: String,
    pub editable: bool,
    pub ingredients: Vec<IngredientRow>,
    pub per_serving_kcal: String,
    pub macros: Vec<NutrientLine>,
    pub makes: String,
    pub weight: String,
    pub partial: String,
    pub up_to_date: bool,
    pub has_problems: bool,
    pub search: SearchView,
    pub form_name: String,
    pub form_servings: String,
    pub form_cooked: String,
    pub errors: FormErrors,
}

#[derive(Template)]
#[template(path = "pages/recipe.html")]
struct RecipePage {
    shell: Shell,
    v: RecipeView,
}

/// What a re-rendered detail page keeps from a failed form.
/// What a refused form had typed, shown again on the recipe's page with its errors.
#[derive(Default)]
pub(super) struct Typed {
    pub(super) name: Option<String>,
    pub(super) servings: Option<String>,
    pub(super) cooked: Option<String>,
    pub(super) quantity: Option<String>,
    /// An ingredient whose change was refused: its id and the amount and unit as typed.
    pub(super) ingredient: Option<(Uuid, String, String)>,
    pub(super) errors: FormErrors,
}

async fn detail(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageQuery(p): PageQuery<DetailParams>,
) -> Result<Response, PageError> {
    render_detail(&mut page, id, &p, Typed::default()).await
}

fn nutrient_value(n: &Nutrients, name: &str, unit: &str) -> String {
    n.get(name)
        .map(|v| format!("{} {unit}", number(Amount(v).to_f64(), 1)))
        .unwrap_or_else(|| "–".into())
}

pub(super) async fn render_detail(
    page: &mut Page,
    id: Uuid,
    p: &DetailParams,
    typed: Typed,
) -> Result<Response, PageError> {
    let mut shell = page.shell("", "more").await?;
    let r: Recipe = recipes::get(&mut page.tx, id).await?;
    let me = page.tx.user_id().await?;
    let search = search_view(page, &shell, format!("/recipes/{id}"), p, typed.quantity).await?;
    let t = &shell.t;
    let ps = &r.per_serving;
    let macros = [
        ("protein", "g"),
        ("carbohydrates", "g"),
        ("fat", "g"),
        ("fiber", "g"),
        ("sodium", "mg"),
    ]
    .iter()
    .map(|(name, unit)| NutrientLine {
        label: t.get(&format!("nutrient.{name}")),
        value: nutrient_value(ps, name, unit),
    })
    .collect();
    let partial = if r.partial.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = r
            .partial
            .iter()
            .map(|n| t.get(&format!("nutrient.{n}")))
            .collect();
        let names = super::format::in_sentence(&names, t.get("word.and"));
        t.fill("recipes.partial", &[("nutrients", &names)])
    };
    let v = RecipeView {
        id,
        name: r.name.clone(),
        // A recipe is its owner's to change, whoever's data the page shows around it.
        editable: r.user_id == Some(me),
        ingredients: r
            .ingredients
            .iter()
            .map(|i| {
                let refused = typed.ingredient.as_ref().filter(|(id, ..)| *id == i.id);
                IngredientRow {
                    id: i.id,
                    name: i.food_name.clone(),
                    // "0.5 servings" alone does not tell half a cup from half a packet: its
                    // weight says it.
                    amount: match i.weight_g {
                        Some(w) if i.unit == "serving" => format!(
                            "{} ({} g)",
                            amount(i.quantity, &i.unit),
                            number(w.to_f64(), 1)
                        ),
                        _ => amount(i.quantity, &i.unit),
                    },
                    quantity: refused.map_or_else(
                        || i.quantity.decimal().normalize().to_string(),
                        |(_, q, _)| q.clone(),
                    ),
                    unit: refused.map_or_else(|| i.unit.clone(), |(_, _, u)| u.clone()),
                    changeable: i.food_item_id.is_some(),
                    kcal: i.nutrients.as_ref().map(kcal_text).unwrap_or_default(),
                    problem: i.problem.clone().unwrap_or_default(),
                    error: refused
                        .and_then(|_| typed.errors.get("ingredient"))
                        .map(str::to_string)
                        .unwrap_or_default(),
                }
            })
            .collect(),
        per_serving_kcal: kcal_text(ps),
        macros,
        makes: t.fill("recipes.makes", &[("n", &number(r.servings.to_f64(), 2))]),
        weight: r
            .serving_weight_g
            .map(|w| t.fill("recipes.weight", &[("g", &number(w.to_f64(), 1))]))
            .unwrap_or_default(),
        partial,
        up_to_date: r.up_to_date,
        has_problems: r.ingredients.iter().any(|i| i.problem.is_some()),
        search,
        form_name: typed.name.unwrap_or_else(|| r.name.clone()),
        form_servings: typed
            .servings
            .unwrap_or_else(|| r.servings.decimal().normalize().to_string()),
        form_cooked: typed.cooked.unwrap_or_else(|| {
            r.cooked_weight_g
                .map(|w| w.decimal().normalize().to_string())
                .unwrap_or_default()
        }),
        errors: typed.errors,
    };
    let invalid = !v.errors.is_empty();
    shell.title = r.name.clone();
    let mut resp = html(&RecipePage { shell, v });
    if invalid {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// Copies the recipe into the user's own recipes and opens the copy.
async fn copy(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<once::OnceOnly>,
) -> Result<Response, PageError> {
    let once = form.once.as_deref();
    if let Some(to) = once::earlier_answer(&mut page.tx, "recipe-copy", once).await? {
        return Ok(redirect(&to));
    }
    let result = recipes::copy(&mut page.tx, id, &recipes::CopyInput::default()).await;
    match result {
        Ok(r) => opened(page, &r, "recipe-copy", once).await,
        Err(e) => {
            let typed = Typed {
                errors: FormErrors::from_app(e, &[])?,
                ..Typed::default()
            };
            render_detail(&mut page, id, &DetailParams::default(), typed).await
        }
    }
}

async fn delete(
    mut page: Page,
    PagePath(id): PagePath<Uuid>,
    PageForm(form): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let name = recipes::get(&mut page.tx, id).await?.name;
        let (action, back) = (format!("/recipes/{id}/delete"), format!("/recipes/{id}"));
        return ask(page, Loss::Recipe, &name, action, back).await;
    }
    recipes::delete(&mut page.tx, id).await?;
    page.tx.commit().await?;
    Ok(redirect("/recipes"))
}
