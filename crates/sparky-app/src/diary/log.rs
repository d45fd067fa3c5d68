//! Logging a food or a quick add.

use rust_decimal::Decimal;
use sparky_core::{Date, Timestamp};
use sparky_db::UserTx;

use crate::acting::Acting;
use crate::error::{AppError, AppResult};

use super::*;

/// Logs an amount of a food, with a snapshot of its serving and the nutrients it comes to.
pub async fn log(tx: &mut UserTx, acting: Acting, req: &LogFood) -> AppResult<DiaryEntry> {
    log_then(tx, acting, req, false).await
}

/// [`log`] as the whole of a request's transaction: the insert and its `COMMIT` go out in one
/// pipeline (one round trip fewer for the most frequent write).
pub async fn log_and_commit(
    mut tx: UserTx,
    acting: Acting,
    req: &LogFood,
) -> AppResult<DiaryEntry> {
    let entry = log_then(&mut tx, acting, req, true).await?;
    // Nothing left to do when the COMMIT went out with the insert.
    tx.commit().await?;
    Ok(entry)
}

async fn log_then(
    tx: &mut UserTx,
    acting: Acting,
    req: &LogFood,
    commit: bool,
) -> AppResult<DiaryEntry> {
    let (name, brand, servings) = food_servings(tx, req.food_item_id).await?;
    let chosen = choose_serving(&servings, req.serving_id, req.unit.as_deref())?;
    let p = portion(&chosen.serving, req.quantity, req.unit.as_deref())?;
    // A date with a time (or a time near the range's ends) is checked first, in a statement
    // of its own.
    if commit && !crate::days::time_needs_checking(req.date, req.consumed_at) {
        tx.commit_with_next_statement();
    }
    insert_entry(
        tx,
        acting,
        &NewEntry {
            food_item_id: Some(req.food_item_id),
            serving_id: Some(chosen.id),
            name: &name,
            brand: brand.as_deref(),
            quantity: p.quantity,
            unit: p.unit,
            meal: req.meal,
            date: req.date,
            consumed_at: req.consumed_at,
            serving: Some(&chosen.serving),
            custom_per_serving: Some(&chosen.custom),
            servings: Some(p.servings),
            nutrients: p.nutrients,
        },
    )
    .await
}

/// [`quick_add`] as the whole of a request's transaction: BEGIN, the insert and COMMIT in one
/// round trip.
pub async fn quick_add_and_commit(
    mut tx: UserTx,
    acting: Acting,
    input: QuickAddInput,
) -> AppResult<DiaryEntry> {
    // A date with a time (or a time near the range's ends) is checked first, in a statement
    // of its own.
    let time = input.consumed_at.map(Timestamp::get);
    if !crate::days::time_needs_checking(input.date.map(Date::get), time) {
        tx.commit_with_next_statement();
    }
    let entry = quick_add(&mut tx, acting, input).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Calories and macros without a food.
pub async fn quick_add(
    tx: &mut UserTx,
    acting: Acting,
    input: QuickAddInput,
) -> AppResult<DiaryEntry> {
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Quick add")
        .to_string();
    if name.chars().count() > 255 {
        return Err(AppError::invalid("name", "must be at most 255 characters"));
    }
    let nutrients = crate::nutrients::parse_nutrients(input.nutrients, "nutrients")?;
    if nutrients.calories.is_none()
        && nutrients.protein.is_none()
        && nutrients.carbohydrates.is_none()
        && nutrients.fat.is_none()
    {
        return Err(AppError::invalid(
            "nutrients",
            "give at least calories or one macro",
        ));
    }
    insert_entry(
        tx,
        acting,
        &NewEntry {
            food_item_id: None,
            serving_id: None,
            name: &name,
            brand: None,
            quantity: Decimal::ONE,
            unit: "serving".into(),
            meal: input.meal_type,
            date: input.date.map(Date::get),
            consumed_at: input.consumed_at.map(Timestamp::get),
            serving: None,
            custom_per_serving: None,
            servings: None,
            nutrients,
        },
    )
    .await
}
