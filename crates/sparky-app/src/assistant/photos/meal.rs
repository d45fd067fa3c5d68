//! Meal photos: estimating one (nothing written) and logging the confirmed items as one action.

use serde_json::json;
use sparky_core::nutrition::Nutrients;
use sparky_db::{Database, UserTx};
use uuid::Uuid;

use super::input::{MealLog, MealPhoto};
use super::matching::match_items;
use super::meal_answer::read_meal_answer;
use super::model_call::{ask, MEAL_PROMPT};
use super::output::{MealEstimate, MealLogged};
use crate::acting::Acting;
use crate::assistant::actions::{self, Card, Undo};
use crate::assistant::config::Assistant;
use crate::diary::{self, NewEntry};
use crate::error::{AppResult, Validation};

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
                custom_per_serving: Some(&serving.custom),
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
        proposal_id: None,
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
