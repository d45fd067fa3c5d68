//! Photos and labels. A meal photo goes to the user's vision model, which names the foods with
//! estimated grams; each is matched to a catalog or user food with the food search (in the
//! user's RLS transaction) and shown for confirmation; nothing is written until the confirmed
//! items are logged together ([`log_meal`]): one transaction, one assistant action that undoes
//! them all. A nutrition-label photo becomes a food proposal in the shape `POST /api/v1/foods`
//! takes (see [`super::label`]).
//!
//! The model is asked for JSON in the prompt only (no provider-specific schema or
//! `response_format`, so local models work); the answer is read leniently
//! ([`sparky_ai::extract_json`], numbers as text with units) and validated here. Each call is
//! a row of `assistant_requests`, counted by the chat's rate limit and daily token budget. No
//! transaction is open while the model thinks.

use std::time::Instant;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sparky_ai::{AiError, ChatOptions, ChatRequest, ImageData, LenientJsonError, Message};
use sparky_core::food_search::{Query, Relevance, Tier};
use sparky_core::nutrition::Nutrients;
use sparky_core::units::{convert, round_dp, Dimension, Unit};
use sparky_core::{Amount, Date, MealType};
use sparky_db::{Database, UserTx};
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::{self, Card, Undo};
use super::config::{self, Assistant};
use super::label;
use super::model_values::{field, quantity, text};
use crate::acting::Acting;
use crate::diary::{self, DiaryEntry, FoodServings, NewEntry};
use crate::error::{AppError, AppResult, Validation};
use crate::foods::{self, FoodInput};

/// Items one photo may hold (the model's further items are left out, with a warning).
pub const MAX_ITEMS: usize = 20;
/// Heaviest item, in grams; an estimate above it (or at or below 0) is left out.
pub const MAX_ITEM_GRAMS: i64 = 3000;
/// Longest hint.
pub const MAX_HINT_CHARS: usize = 500;
/// Longest image, in base64 characters (the photo routes' 8 MiB body limit bounds it first).
pub const MAX_IMAGE_CHARS: usize = 8 * 1024 * 1024;
/// Alternatives offered per item.
pub const MAX_ALTERNATIVES: usize = 3;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// The image formats vision models take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum ImageType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "image/gif")]
    Gif,
}

impl ImageType {
    fn as_str(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
            ImageType::Gif => "image/gif",
        }
    }

    /// Whether `bytes` start like a file of this type.
    fn matches(self, bytes: &[u8]) -> bool {
        match self {
            ImageType::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            ImageType::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            ImageType::Gif => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
            ImageType::Webp => {
                bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP"
            }
        }
    }
}

/// A photo, resized by the client (the route takes bodies up to 8 MiB).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhotoImage {
    pub media_type: ImageType,
    /// Standard base64 of the image file, without a `data:` prefix.
    #[schema(min_length = 1, max_length = 8388608)]
    pub data: String,
}

impl PhotoImage {
    /// Checks that the data is base64 of an image of the type named.
    pub fn parse(self) -> AppResult<ImageData> {
        use base64::Engine;
        let data = self.data.trim();
        if data.chars().count() > MAX_IMAGE_CHARS {
            return Err(AppError::invalid(
                "image.data",
                "must be at most 8 MiB of base64",
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| AppError::invalid("image.data", "must be standard base64"))?;
        if !self.media_type.matches(&bytes) {
            return Err(AppError::invalid(
                "image.data",
                format!("is not a {} image", self.media_type.as_str()),
            ));
        }
        Ok(ImageData {
            media_type: self.media_type.as_str().to_string(),
            data: data.to_string(),
        })
    }
}

/// A meal photo to estimate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealPhotoInput {
    pub image: PhotoImage,
    /// What the photo does not show, e.g. "the rice was brown, about a cup".
    #[schema(max_length = 500)]
    pub hint: Option<String>,
}

/// A validated [`MealPhotoInput`].
#[derive(Debug, Clone)]
pub struct MealPhoto {
    pub image: ImageData,
    pub hint: Option<String>,
}

impl MealPhotoInput {
    pub fn parse(self) -> AppResult<MealPhoto> {
        let hint = self
            .hint
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty());
        if hint
            .as_ref()
            .is_some_and(|h| h.chars().count() > MAX_HINT_CHARS)
        {
            return Err(AppError::invalid("hint", "must be at most 500 characters"));
        }
        Ok(MealPhoto {
            image: self.image.parse()?,
            hint,
        })
    }
}

/// A nutrition-label photo to read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelPhotoInput {
    pub image: PhotoImage,
}

/// The meal confirmed items go to. `snacks` and `snack` are the same meal (stored as `snack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PhotoMeal {
    Breakfast,
    Lunch,
    Dinner,
    Snacks,
    Snack,
}

impl From<PhotoMeal> for MealType {
    fn from(m: PhotoMeal) -> MealType {
        match m {
            PhotoMeal::Breakfast => MealType::Breakfast,
            PhotoMeal::Lunch => MealType::Lunch,
            PhotoMeal::Dinner => MealType::Dinner,
            PhotoMeal::Snacks | PhotoMeal::Snack => MealType::Snack,
        }
    }
}

/// One confirmed item: a food and its grams.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealLogItemInput {
    pub food_id: Uuid,
    /// Greater than 0, at most 3000.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 3000)]
    pub grams: Amount,
}

/// Log the confirmed items of a meal photo.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealLogInput {
    pub meal_type: PhotoMeal,
    /// The diary day (default: today in your timezone).
    pub date: Option<Date>,
    /// 1 to 20 items.
    #[schema(min_items = 1, max_items = 20)]
    pub items: Vec<MealLogItemInput>,
}

/// A validated [`MealLogInput`].
#[derive(Debug, Clone)]
pub struct MealLog {
    pub meal: MealType,
    pub date: Option<NaiveDate>,
    /// (food, grams).
    pub items: Vec<(Uuid, Decimal)>,
}

impl MealLogInput {
    pub fn parse(self) -> AppResult<MealLog> {
        let mut v = Validation::new();
        v.check(
            (1..=MAX_ITEMS).contains(&self.items.len()),
            "items",
            "give 1 to 20 items",
        );
        let mut items = Vec::new();
        for (i, item) in self.items.iter().enumerate().take(MAX_ITEMS) {
            let field = format!("items[{i}].grams");
            match diary::parse_quantity(&field, item.grams) {
                Ok(g) if g <= Decimal::from(MAX_ITEM_GRAMS) => items.push((item.food_id, g)),
                _ => v.add(&field, "must be greater than 0 and at most 3000"),
            }
        }
        v.finish()?;
        Ok(MealLog {
            meal: self.meal_type.into(),
            date: self.date.map(Date::get),
            items,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

/// A food an item may be.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FoodChoice {
    pub id: Uuid,
    pub name: String,
    pub brand: Option<String>,
    /// Calories of the item's grams of this food, computed as the diary would log them; null
    /// when the food has no weight in grams or no calories.
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
}

/// One food the model saw.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MealItem {
    /// What the model called it, e.g. "scrambled eggs".
    pub name: String,
    /// The model's estimate, greater than 0 and at most 3000.
    #[schema(value_type = f64)]
    pub grams: Amount,
    /// The confident match among the catalog, your foods and foods shared with you; null when
    /// the search was not sure (then pick from `alternatives`, or search yourself).
    pub food: Option<FoodChoice>,
    /// Calories of `grams` of `food` (null without a match, or when it has no gram weight).
    #[schema(value_type = Option<f64>)]
    pub calories: Option<Amount>,
    /// Other candidates, best first (at most 3).
    #[schema(max_items = 3)]
    pub alternatives: Vec<FoodChoice>,
}

/// What a meal photo shows. Nothing is written to the diary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MealEstimate {
    /// At most 20.
    #[schema(max_items = 20)]
    pub items: Vec<MealItem>,
    /// The provider that answered, e.g. "OpenAI".
    pub provider: String,
    pub model: String,
    /// What was left out of the model's answer and why (no usable weight, more than 3000 g,
    /// past 20 items), or what the model said when it found no food.
    pub warnings: Vec<String>,
}

/// The confirmed items, logged.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MealLogged {
    /// The entries as `GET /api/v1/diary/{day}` shows them, in the order given.
    pub entries: Vec<DiaryEntry>,
    /// `POST /api/v1/chat/actions/{action_id}/undo` removes them all.
    pub action_id: Uuid,
    /// The sum of the entries.
    pub totals: Nutrients,
}

/// A food read from a nutrition label. `food` is exactly a `POST /api/v1/foods` body: confirm
/// (or correct) it and post it there.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LabelProposal {
    pub food: FoodInput,
    /// What looks doubtful (energy that does not match the macros, no serving size, energy
    /// converted from kJ, no product name).
    pub warnings: Vec<String>,
    pub provider: String,
    pub model: String,
}

// ---------------------------------------------------------------------------------------------
// The model call
// ---------------------------------------------------------------------------------------------

const MEAL_PROMPT: &str = "You look at photos of meals for a food diary and estimate what is on \
the plate. Answer with JSON only, no prose, in this shape:\n\
{\"items\": [{\"name\": \"scrambled eggs\", \"grams\": 120}, {\"name\": \"white bread, toasted\", \"grams\": 30}]}\n\
One item per food or drink you can see (at most 20), named as a food database would name it: \
short, generic, in English (\"banana\", \"white rice, cooked\", \"orange juice\"). grams is your best \
estimate of the edible weight as a number (for a drink, its millilitres). \
If there is no food in the photo, answer {\"items\": []}.";

struct Answer {
    text: String,
    provider: String,
    model: String,
}

fn ai_error(e: AiError) -> AppError {
    AppError::Upstream {
        timed_out: matches!(e, AiError::Timeout { .. }),
        message: e.to_string(),
    }
}

fn small(n: u32) -> i32 {
    n.min(i32::MAX as u32) as i32
}

/// Checks the rate limit and budget and picks the provider (in `tx`, committed before the
/// model is called), asks the vision model, records the call, and returns the answer with a
/// fresh transaction of the user's for what follows.
async fn ask(
    db: &Database,
    a: &Assistant,
    mut tx: UserTx,
    kind: &str,
    system: &str,
    prompt: String,
    image: ImageData,
) -> AppResult<(Answer, UserTx)> {
    let settings = config::start(&mut tx, a).await?;
    let user_id = tx.user_id().await?;
    let model = settings
        .vision_model
        .clone()
        .unwrap_or_else(|| settings.model.clone());
    let provider = settings.client.label().to_string();
    let request_id: Uuid = tx
        .query_one(
            "INSERT INTO assistant_requests (user_id, kind, provider, model)
             VALUES (auth.uid(), $1, $2, $3) RETURNING id",
            &[&kind, &provider, &model],
        )
        .await?
        .get(0);
    tx.commit().await?;

    let request = ChatRequest {
        model: model.clone(),
        system: Some(system.to_string()),
        messages: vec![Message::user_with_images(prompt, vec![image])],
        tools: Vec::new(),
        options: ChatOptions {
            max_tokens: settings.max_tokens,
            ..Default::default()
        },
    };
    let started = Instant::now();
    let result = settings.client.complete(&request).await;
    let latency = small(started.elapsed().as_millis().min(u32::MAX as u128) as u32);

    let mut tx = db.as_user(user_id).await?;
    let (tokens_in, tokens_out, error) = match &result {
        Ok(r) => (
            r.usage.map(|u| small(u.input_tokens)),
            r.usage.map(|u| small(u.output_tokens)),
            None,
        ),
        Err(e) => (None, None, Some(e.to_string())),
    };
    tx.execute(
        "UPDATE assistant_requests SET tokens_in = $2, tokens_out = $3, latency_ms = $4, error = $5
         WHERE id = $1",
        &[&request_id, &tokens_in, &tokens_out, &latency, &error],
    )
    .await?;
    match result {
        Ok(r) => Ok((
            Answer {
                text: r.text,
                provider,
                model,
            },
            tx,
        )),
        Err(e) => {
            tx.commit().await?;
            Err(ai_error(e))
        }
    }
}

fn shorten(t: &str, max: usize) -> String {
    let t = t.trim();
    if t.chars().count() <= max {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(max).collect();
        s.push('…');
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Meal photos
// ---------------------------------------------------------------------------------------------

/// An item as the model named it, with its grams validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenItem {
    pub name: String,
    pub grams: Decimal,
}

/// Grams from a value the model wrote: a number (grams), "120 g", "0.2 kg", "4 oz", "250 ml"
/// (a drink: ml as g). `unit` is a separate unit field, if any.
fn grams_of(v: &Value, unit: Option<&str>) -> Option<Decimal> {
    let q = quantity(v)?;
    let unit = q.unit.as_deref().or(unit).map(str::trim);
    match unit {
        None | Some("") => Some(q.value),
        Some(u) => match Unit::parse(u).ok()? {
            g if g.dimension() == Dimension::Mass => convert(q.value, g, Unit::G).ok(),
            v if v.dimension() == Dimension::Volume => convert(q.value, v, Unit::Ml).ok(),
            _ => None,
        },
    }
}

/// The items of the model's answer (lenient), validated: a name, grams above 0 and at most
/// 3000, at most 20; what is left out is said in `warnings`.
pub fn read_meal_answer(text_answer: &str, warnings: &mut Vec<String>) -> AppResult<Vec<SeenItem>> {
    let value = match sparky_ai::extract_json(text_answer) {
        Ok(v) => v,
        Err(LenientJsonError::NotFound) => {
            let said = shorten(text_answer, 200);
            warnings.push(if said.is_empty() {
                "the model gave no answer".into()
            } else {
                format!("the model listed no food: {said}")
            });
            return Ok(Vec::new());
        }
        Err(e @ LenientJsonError::Invalid(_)) => {
            return Err(AppError::Upstream {
                timed_out: false,
                message: format!("the model's answer could not be read: {e}"),
            })
        }
    };
    let list: Vec<Value> = match &value {
        Value::Array(items) => items.clone(),
        Value::Object(obj) => match field(
            obj,
            &[
                "items",
                "foods",
                "food_items",
                "foods_detected",
                "meal",
                "dishes",
                "food",
            ],
        ) {
            Some(Value::Array(items)) => items.clone(),
            Some(one @ Value::Object(_)) => vec![one.clone()],
            _ if field(obj, &["name"]).is_some() => vec![value.clone()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let mut items = Vec::new();
    for entry in &list {
        let Some(obj) = entry.as_object() else {
            continue;
        };
        let Some(name) = field(
            obj,
            &[
                "name",
                "food",
                "item",
                "food_name",
                "label",
                "dish",
                "description",
            ],
        )
        .and_then(text)
        .map(|n| shorten(&n, 100)) else {
            continue;
        };
        let unit = field(obj, &["unit", "units"]).and_then(text);
        let grams = field(
            obj,
            &[
                "grams",
                "weight_g",
                "estimated_grams",
                "grams_estimate",
                "estimated_weight_g",
                "amount_g",
                "portion_g",
                "quantity_g",
                "mass_g",
                "g",
                "weight",
                "estimated_weight",
                "amount",
                "quantity",
                "portion",
            ],
        )
        .and_then(|v| grams_of(v, unit.as_deref()));
        match grams {
            None => warnings.push(format!("\"{name}\" was left out: no weight in grams")),
            Some(g) if g <= Decimal::ZERO || g > Decimal::from(MAX_ITEM_GRAMS) => {
                warnings.push(format!(
                    "\"{name}\" was left out: {} g is not between 0 and {MAX_ITEM_GRAMS} g",
                    round_dp(g, 1).normalize()
                ))
            }
            Some(g) if items.len() == MAX_ITEMS => warnings.push(format!(
                "\"{name}\" was left out: at most {MAX_ITEMS} items ({} g)",
                round_dp(g, 1).normalize()
            )),
            Some(g) => items.push(SeenItem {
                name,
                grams: round_dp(g, 1).normalize(),
            }),
        }
    }
    Ok(items)
}

/// The foods a name matches: the best when the search is confident (every word of the name is
/// a word of the food's name or brand), and up to three more. When nothing matches the whole
/// name, leading words are dropped ("grilled chicken breast" → "chicken breast"), never
/// confidently.
async fn candidates(
    tx: &mut UserTx,
    name: &str,
) -> AppResult<(Option<foods::Food>, Vec<foods::Food>)> {
    let mut q: String = name.chars().take(foods::MAX_QUERY_CHARS).collect();
    let mut whole = true;
    loop {
        let search = foods::Search::parse(Some(&q), Some(MAX_ALTERNATIVES as i64 + 1), None, None)?;
        let mut found = foods::search(tx, &search).await?.items;
        if !found.is_empty() {
            let confident = whole && {
                let first = &found[0];
                Relevance::of(&Query::parse(&q), &first.name, first.brand.as_deref(), None).tier
                    <= Tier::Words
            };
            let best = confident.then(|| found.remove(0));
            found.truncate(MAX_ALTERNATIVES);
            return Ok((best, found));
        }
        let words: Vec<&str> = q.split_whitespace().collect();
        if words.len() <= 1 {
            return Ok((None, Vec::new()));
        }
        q = words[1..].join(" ");
        whole = false;
    }
}

/// Calories of `grams` of a food, as logging it in grams would compute them.
fn calories_of(food: Option<&FoodServings>, grams: Decimal) -> Option<Amount> {
    let food = food?;
    let serving = diary::choose_serving(&food.servings, None, Some("g")).ok()?;
    let portion = diary::portion(&serving.serving, grams, Some("g")).ok()?;
    portion.nutrients.calories.map(Amount)
}

/// Matches seen items to foods the caller can see, with calories for their grams.
pub async fn match_items(tx: &mut UserTx, seen: Vec<SeenItem>) -> AppResult<Vec<MealItem>> {
    let mut found = Vec::with_capacity(seen.len());
    for item in seen {
        let (best, others) = candidates(tx, &item.name).await?;
        found.push((item, best, others));
    }
    let ids: Vec<Uuid> = found
        .iter()
        .flat_map(|(_, best, others)| best.iter().chain(others).map(|f| f.id))
        .collect();
    let servings = diary::foods_servings(tx, &ids).await?;
    let choice = |f: &foods::Food, grams: Decimal| FoodChoice {
        id: f.id,
        name: f.name.clone(),
        brand: f.brand.clone(),
        calories: calories_of(servings.get(&f.id), grams),
    };
    Ok(found
        .into_iter()
        .map(|(item, best, others)| {
            let food = best.as_ref().map(|f| choice(f, item.grams));
            MealItem {
                calories: food.as_ref().and_then(|f| f.calories),
                alternatives: others.iter().map(|f| choice(f, item.grams)).collect(),
                food,
                name: item.name,
                grams: Amount(item.grams),
            }
        })
        .collect())
}

/// Estimates a meal photo: the foods the model sees with their grams, matched to foods the
/// caller can see. Writes nothing to the diary. `tx` is the caller's (it is committed before
/// the model is called).
pub async fn estimate_meal(
    db: &Database,
    a: &Assistant,
    tx: UserTx,
    input: MealPhoto,
) -> AppResult<MealEstimate> {
    let mut prompt =
        "Which foods and drinks are in this photo, and how many grams of each?".to_string();
    if let Some(hint) = &input.hint {
        prompt.push_str("\nThe user adds: ");
        prompt.push_str(hint);
    }
    let (answer, mut tx) = ask(db, a, tx, "meal_photo", MEAL_PROMPT, prompt, input.image).await?;
    let mut warnings = Vec::new();
    let seen = match read_meal_answer(&answer.text, &mut warnings) {
        Ok(seen) => seen,
        Err(e) => {
            tx.commit().await?;
            return Err(e);
        }
    };
    let items = match_items(&mut tx, seen).await?;
    tx.commit().await?;
    Ok(MealEstimate {
        items,
        provider: answer.provider,
        model: answer.model,
        warnings,
    })
}

/// Logs confirmed items in grams, all or none, as one assistant action (its undo removes them
/// all). A food the caller cannot see, or one without a weight in grams, is a 422 naming the
/// item; nothing is written then.
pub async fn log_meal(tx: &mut UserTx, input: &MealLog) -> AppResult<MealLogged> {
    let ids: Vec<Uuid> = input.items.iter().map(|(id, _)| *id).collect();
    let foods = diary::foods_servings(tx, &ids).await?;
    let mut v = Validation::new();
    let mut planned = Vec::with_capacity(input.items.len());
    for (i, (food_id, grams)) in input.items.iter().enumerate() {
        let Some(food) = foods.get(food_id) else {
            v.add(
                &format!("items[{i}].food_id"),
                "no such food (or it is not shared with you)",
            );
            continue;
        };
        let portion = diary::choose_serving(&food.servings, None, Some("g"))
            .and_then(|s| diary::portion(&s.serving, *grams, Some("g")).map(|p| (s, p)));
        match portion {
            Ok((serving, portion)) => planned.push((*food_id, food, serving, portion)),
            Err(_) => v.add(
                &format!("items[{i}].grams"),
                format!(
                    "{} has no weight in grams; log it by serving instead",
                    food.name
                ),
            ),
        }
    }
    v.finish()?;
    let mut entries = Vec::with_capacity(planned.len());
    for (food_id, food, serving, portion) in planned {
        let entry = diary::insert_entry(
            tx,
            Acting::new(None),
            &NewEntry {
                food_item_id: Some(food_id),
                serving_id: Some(serving.id),
                name: &food.name,
                brand: food.brand.as_deref(),
                quantity: portion.quantity,
                unit: portion.unit,
                meal: input.meal,
                date: input.date,
                consumed_at: None,
                serving: Some(&serving.serving),
                servings: Some(portion.servings),
                nutrients: portion.nutrients,
            },
        )
        .await?;
        entries.push(entry);
    }
    let totals = Nutrients::sum(entries.iter().map(|e| &e.nutrients));
    let first = &entries[0];
    let mut card = Card {
        action_id: None,
        tool: "log_meal_photo".into(),
        title: format!("Logged to {} on {}", first.meal_type, first.date),
        lines: entries
            .iter()
            .map(|e| {
                format!(
                    "{} — {} {}: {}",
                    e.food_name,
                    e.quantity.0.normalize(),
                    e.unit,
                    e.nutrients
                        .calories
                        .map(|c| format!("{} kcal", c.round_dp(0)))
                        .unwrap_or_else(|| "kcal unknown".into())
                )
            })
            .collect(),
        user_id: first.user_id,
        written: json!(entries),
    };
    let undo = Undo::DeleteDiaryEntries {
        ids: entries.iter().map(|e| e.id).collect(),
    };
    let action_id = actions::record(tx, None, "log_meal_photo", &undo, &card).await?;
    card.action_id = Some(action_id);
    actions::set_card(tx, action_id, &card).await?;
    Ok(MealLogged {
        entries,
        action_id,
        totals,
    })
}

// ---------------------------------------------------------------------------------------------
// Nutrition labels
// ---------------------------------------------------------------------------------------------

/// Reads a nutrition-label photo into a food proposal (nothing is stored but the call's usage).
pub async fn read_label(
    db: &Database,
    a: &Assistant,
    tx: UserTx,
    input: LabelPhotoInput,
) -> AppResult<LabelProposal> {
    let image = input.image.parse()?;
    let prompt = "Read the nutrition label in this photo.".to_string();
    let (answer, tx) = ask(db, a, tx, "nutrition_label", label::PROMPT, prompt, image).await?;
    tx.commit().await?;
    let value = match sparky_ai::extract_json(&answer.text) {
        Ok(v) => v,
        Err(LenientJsonError::NotFound) => Value::Null,
        Err(e @ LenientJsonError::Invalid(_)) => {
            return Err(AppError::Upstream {
                timed_out: false,
                message: format!("the model's answer could not be read: {e}"),
            })
        }
    };
    let reading = label::read(&value)?;
    Ok(LabelProposal {
        food: reading.food,
        warnings: reading.warnings,
        provider: answer.provider,
        model: answer.model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn names(items: &[SeenItem]) -> Vec<(&str, Decimal)> {
        items.iter().map(|i| (i.name.as_str(), i.grams)).collect()
    }

    #[test]
    fn a_lenient_answer_is_read() {
        let mut w = Vec::new();
        let text =
            "Sure! Here is what I see:\n```json\n{\"items\": [{\"name\": \"scrambled eggs\", \
                    \"grams\": \"120 g\"}, {'name': 'toast', 'weight': '1 oz',}, \
                    {\"food\": \"orange juice\", \"amount\": 250, \"unit\": \"ml\"}]}\n```\nEnjoy!";
        let items = read_meal_answer(text, &mut w).unwrap();
        assert_eq!(
            names(&items),
            vec![
                ("scrambled eggs", dec!(120)),
                ("toast", dec!(28.3)),
                ("orange juice", dec!(250))
            ]
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn bad_weights_and_extra_items_are_left_out_with_a_warning() {
        let mut w = Vec::new();
        let mut list: Vec<Value> = vec![
            json!({"name": "cake", "grams": 4500}),
            json!({"name": "air", "grams": 0}),
            json!({"name": "soup", "grams": "2 slices"}),
            json!({"name": "", "grams": 10}),
        ];
        for i in 0..22 {
            list.push(json!({"name": format!("pea {i}"), "grams": 1}));
        }
        let items = read_meal_answer(&json!(list).to_string(), &mut w).unwrap();
        assert_eq!(items.len(), MAX_ITEMS);
        assert_eq!(w.len(), 5, "{w:?}");
        assert!(w[0].contains("cake") && w[0].contains("4500"), "{w:?}");
        assert!(w[2].contains("soup"), "{w:?}");
    }

    #[test]
    fn prose_without_json_is_no_items() {
        let mut w = Vec::new();
        let items = read_meal_answer("I cannot see any food in this picture.", &mut w).unwrap();
        assert!(items.is_empty());
        assert!(w[0].contains("cannot see any food"), "{w:?}");
    }

    #[test]
    fn images_must_be_what_they_say() {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let png = PhotoImage {
            media_type: ImageType::Png,
            data: b64(b"\x89PNG\r\n\x1a\n...."),
        };
        assert_eq!(png.parse().unwrap().media_type, "image/png");
        let lie = PhotoImage {
            media_type: ImageType::Jpeg,
            data: b64(b"\x89PNG\r\n\x1a\n...."),
        };
        assert!(lie.parse().is_err());
        let junk = PhotoImage {
            media_type: ImageType::Jpeg,
            data: "not base64!".into(),
        };
        assert!(junk.parse().is_err());
    }
}
