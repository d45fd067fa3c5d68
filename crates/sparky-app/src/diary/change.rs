//! Changing, deleting, removing (with undo) and restoring an entry.

use rust_decimal::Decimal;
use sparky_core::nutrition::{nutrients_of_servings, servings_in, Nutrients, Serving};
use sparky_core::{Date, MealType, Timestamp};
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::acting::delete_by_id;
use crate::error::{AppError, AppResult};

use super::*;

/// Changes an entry's amount, meal or day. Nutrients are recomputed from the snapshot taken
/// when it was logged, not from the food's current values.
pub async fn update(tx: &mut UserTx, id: Uuid, req: UpdateEntryInput) -> AppResult<DiaryEntry> {
    let new_quantity = req
        .quantity
        .map(|q| parse_quantity("quantity", q))
        .transpose()?;
    let new_unit = parse_unit_text(req.unit.as_deref())?;
    let row = tx
        .query_opt(
            "SELECT quantity, unit, serving_size, serving_unit, serving_weight_g, per_serving,
                    user_id
             FROM food_diary WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("diary entry"))?;
    let quantity: Decimal = new_quantity.unwrap_or_else(|| row.get("quantity"));
    let mut unit_text: String = new_unit.clone().unwrap_or_else(|| row.get("unit"));
    let recompute = new_quantity.is_some() || new_unit.is_some();
    let (servings, nutrients): (Option<Decimal>, Option<Nutrients>) = if recompute {
        let per: Option<serde_json::Value> = row.get("per_serving");
        let size: Option<Decimal> = row.get("serving_size");
        match (per, size) {
            (Some(per), Some(size)) => {
                let serving = Serving {
                    size,
                    unit: row
                        .get::<_, Option<String>>("serving_unit")
                        .unwrap_or_default(),
                    weight_g: row.get("serving_weight_g"),
                    nutrients: serde_json::from_value(per)
                        .map_err(|e| AppError::internal(format!("snapshot: {e}")))?,
                };
                let (count, unit) =
                    servings_in(quantity, &unit_text, &serving).map_err(nutrition_error)?;
                let n = nutrients_of_servings(count, &serving).map_err(nutrition_error)?;
                unit_text = unit;
                (Some(sparky_core::units::round_dp(count, 8)), Some(n))
            }
            // An entry without a snapshot (a quick add, or imported from the seed-era schema)
            // scales its stored values when only the quantity changes; there is no serving
            // to read another unit against.
            _ => {
                let old_unit: String = row.get("unit");
                if new_unit.as_ref().is_some_and(|u| *u != old_unit) {
                    return Err(AppError::invalid(
                        "unit",
                        "this entry has no serving to convert to (a quick add): change its \
                         quantity, or log it again",
                    ));
                }
                (None, None)
            }
        }
    } else {
        (None, None)
    };
    // Those stored values, scaled with the quantity (2 of a 300 kcal quick add is 600 kcal).
    let old_quantity: Decimal = row.get("quantity");
    let scale: Option<Decimal> =
        (nutrients.is_none() && new_quantity.is_some() && old_quantity > Decimal::ZERO)
            .then(|| quantity / old_quantity);
    if unit_text.chars().count() > 50 {
        return Err(AppError::invalid("unit", "must be at most 50 characters"));
    }
    let meal = req.meal_type.map(MealType::as_str);
    let date = req.date.map(Date::get);
    let consumed_at = req.consumed_at.map(Timestamp::get);
    let owner = crate::acting::Acting::new(Some(row.get("user_id")));
    crate::days::check_time(tx, owner, "consumed_at", date, consumed_at).await?;
    let nutrient_values: Vec<Option<Decimal>> = Nutrients::NAMES
        .iter()
        .map(|n| nutrients.as_ref().and_then(|x| x.get(n)))
        .collect();
    let recompute_flag = nutrients.is_some();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &id,
        &quantity,
        &unit_text,
        &meal,
        &date,
        &consumed_at,
        &servings,
        &recompute_flag,
        &MAX_ENTRIES_PER_DAY,
    ];
    let scale_param = 10 + Nutrients::NAMES.len();
    let mut set = vec![
        "quantity = $2".to_string(),
        "unit = $3".to_string(),
        "meal_type = coalesce($4, meal_type)".to_string(),
        format!(
            "consumed_at = CASE WHEN $6::timestamptz IS NOT NULL THEN $6::timestamptz
                           WHEN $5::date IS NOT NULL THEN {}
                           ELSE consumed_at END",
            crate::days::same_clock_time_on("d.consumed_at", "$5::date", "d.user_id", "d.user_id")
        ),
        "entry_date = CASE WHEN $5::date IS NOT NULL THEN $5::date
                          WHEN $6::timestamptz IS NOT NULL THEN ($6::timestamptz AT TIME ZONE coalesce(
                              (SELECT p.timezone FROM user_preferences p WHERE p.user_id = d.user_id LIMIT 1), 'UTC'))::date
                          ELSE entry_date END"
            .to_string(),
        // An imported entry without a serving keeps its custom nutrients per its one
        // serving: a new quantity scales them with the rest.
        format!(
            "servings = CASE WHEN $8 THEN $7 WHEN ${scale_param}::numeric IS NOT NULL
                             THEN greatest(round(servings * ${scale_param}::numeric, 8), 0.00000001)
                             ELSE servings END"
        ),
    ];
    for (i, name) in Nutrients::NAMES.iter().enumerate() {
        set.push(format!(
            "{name} = CASE WHEN $8 THEN ${} WHEN ${scale_param}::numeric IS NOT NULL
                           THEN round({name} * ${scale_param}::numeric, 4) ELSE {name} END",
            10 + i
        ));
    }
    for v in &nutrient_values {
        params.push(v);
    }
    params.push(&scale);
    // Moving an entry to another day counts against that day's limit.
    let sql = format!(
        "UPDATE food_diary d SET {} WHERE d.id = $1
           AND ($5::date IS NULL OR $5::date = d.entry_date
                OR coalesce((SELECT x.entries FROM diary_day_totals x
                             WHERE x.user_id = d.user_id AND x.entry_date = $5::date), 0) < $9::bigint)
         RETURNING {}",
        set.join(", "),
        entry_columns()
    );
    match tx.query_opt(&sql, &params).await? {
        Some(row) => Ok(entry_from_row(&row)),
        // Either the target day is full or the entry is read-only to the caller.
        None if date.is_some() => Err(refused_update_or_full(tx, id).await),
        None => Err(AppError::forbidden(
            "you may read this diary but not change it",
        )),
    }
}

/// After an update that moved an entry changed nothing: a full target day (422) or a diary
/// the caller may only read (403).
async fn refused_update_or_full(tx: &mut UserTx, id: Uuid) -> AppError {
    // An UPDATE that changes nothing tells whether RLS lets us write the row at all.
    match tx
        .execute(
            "UPDATE food_diary SET quantity = quantity WHERE id = $1",
            &[&id],
        )
        .await
    {
        Ok(0) => AppError::forbidden("you may read this diary but not change it"),
        Ok(_) => day_full(),
        Err(e) => e.into(),
    }
}

/// Deletes an entry: 404 if invisible, 403 if only readable.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    delete_by_id(
        tx,
        "food_diary",
        id,
        "diary entry",
        "you may read this diary but not change it",
    )
    .await
}

/// Deletes an entry and returns everything it held, so the deletion can be undone with
/// [`restore`] (the web app's Undo, the assistant's "undo the last action").
pub async fn remove(tx: &mut UserTx, id: Uuid) -> AppResult<serde_json::Value> {
    let row = tx
        .query_opt(
            "DELETE FROM food_diary d WHERE d.id = $1 RETURNING to_jsonb(d)",
            &[&id],
        )
        .await?;
    match row {
        Some(r) => Ok(r.get(0)),
        // Nothing deleted: tell invisible (404) from read-only (403).
        None => delete(tx, id).await.map(|_| serde_json::Value::Null),
    }
}

/// Puts back an entry [`remove`] returned, exactly as it was (same id). RLS decides whether
/// the caller may write that diary; a restored entry may be restored only once. The snapshot
/// comes back from the client, so it is held to what logging an entry is held to (day,
/// amount, name, meal, nutrients, the day's entry limit) rather than trusted.
pub async fn restore(tx: &mut UserTx, snapshot: &serde_json::Value) -> AppResult<DiaryEntry> {
    let (id, date) = check_restored(snapshot)?;
    // A snapshot taken before custom nutrients existed has none.
    let mut snapshot = snapshot.clone();
    if let Some(fields) = snapshot.as_object_mut() {
        let custom = fields
            .entry("custom_per_serving")
            .or_insert(serde_json::Value::Null);
        if custom.is_null() {
            *custom = serde_json::json!({});
        }
    }
    let snapshot = &snapshot;
    let cannot = || {
        AppError::invalid(
            "entry",
            "cannot be restored: it points at a food, serving or plan that is gone or not yours",
        )
    };
    let row = tx
        .query_opt(
            &format!(
                "INSERT INTO food_diary AS d
                 SELECT r.* FROM jsonb_populate_record(NULL::food_diary, $1) r
                 WHERE coalesce((SELECT x.entries FROM diary_day_totals x
                                 WHERE x.user_id = r.user_id AND x.entry_date = r.entry_date), 0) < $2::bigint
                 ON CONFLICT (id) DO NOTHING
                 RETURNING {}",
                entry_columns()
            ),
            &[snapshot, &MAX_ENTRIES_PER_DAY],
        )
        .await
        .map_err(|e| match AppError::from(e) {
            // A link the writer may not use (RLS) or that is gone (a foreign key): said as
            // such, not as "no write access" or a constraint's name.
            AppError::Forbidden(_) => cannot(),
            AppError::Invalid(f) if f.0.keys().any(|k| k.ends_with("_fkey")) => cannot(),
            other => other,
        })?;
    if let Some(r) = row {
        return Ok(entry_from_row(&r));
    }
    let row = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM food_diary WHERE id = $1),
                    coalesce((SELECT x.entries FROM diary_day_totals x
                              WHERE x.user_id = ($2::jsonb ->> 'user_id')::uuid
                                AND x.entry_date = $3::date), 0)::bigint",
            &[&id, snapshot, &date.get()],
        )
        .await?;
    let (back, entries): (bool, i64) = (row.get(0), row.get(1));
    if back {
        Err(AppError::conflict(
            "that entry is already back in the diary",
        ))
    } else if entries >= MAX_ENTRIES_PER_DAY {
        Err(AppError::invalid(
            "entry",
            format!("{date} already holds {MAX_ENTRIES_PER_DAY} entries"),
        ))
    } else {
        // Its id is taken by a row the caller cannot see.
        Err(AppError::invalid("entry", "this entry cannot be restored"))
    }
}

/// The id and day of a deleted entry sent back for undo, once its fields pass the checks a
/// logged entry passes.
fn check_restored(snapshot: &serde_json::Value) -> AppResult<(Uuid, Date)> {
    let refused =
        |why: String| AppError::invalid("entry", format!("is not a deleted diary entry: {why}"));
    let text = |k: &str| snapshot.get(k).and_then(serde_json::Value::as_str);
    let id = text("id")
        .and_then(|i| i.parse::<Uuid>().ok())
        .ok_or_else(|| refused("it has no id".into()))?;
    let day = text("entry_date")
        .and_then(|d| d.parse::<chrono::NaiveDate>().ok())
        .ok_or_else(|| refused("it has no day".into()))?;
    let day = Date::new(day).map_err(|e| refused(format!("its day {e}")))?;
    let quantity = snapshot
        .get("quantity")
        .and_then(|q| serde_json::from_value::<Decimal>(q.clone()).ok())
        .ok_or_else(|| refused("it has no amount".into()))?;
    parse_quantity("entry", sparky_core::Amount(quantity))
        .map_err(|_| refused("its amount must be greater than 0 and at most 1,000,000".into()))?;
    MealType::parse(text("meal_type").unwrap_or_default())
        .map_err(|_| refused("it has no meal".into()))?;
    let name = text("food_name").unwrap_or_default();
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(refused("its name must be 1 to 255 characters".into()));
    }
    // Texts as logging takes them: bounded, without control characters.
    for (k, max) in [
        ("food_name", 255),
        ("brand", 255),
        ("unit", 100),
        ("serving_unit", 50),
    ] {
        let Some(v) = snapshot.get(k).filter(|v| !v.is_null()) else {
            continue;
        };
        let ok = v
            .as_str()
            .is_some_and(|t| t.chars().count() <= max && !t.chars().any(char::is_control));
        if !ok {
            return Err(refused(format!(
                "its {k} must be text of at most {max} characters"
            )));
        }
    }
    // Times as the database would have written them, within the range kept everywhere.
    for k in ["consumed_at", "created_at", "updated_at"] {
        let ok = text(k)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| sparky_core::Timestamp::new(t.with_timezone(&chrono::Utc)).is_ok());
        if !ok {
            return Err(refused(format!("its {k} is not a time Sparky keeps")));
        }
    }
    // The serving it was logged against: later amount changes scale from it.
    for k in ["serving_size", "serving_weight_g", "servings"] {
        let Some(v) = snapshot.get(k).filter(|v| !v.is_null()) else {
            continue;
        };
        let ok = serde_json::from_value::<Decimal>(v.clone())
            .is_ok_and(|d| d > Decimal::ZERO && d <= Decimal::from(super::MAX_QUANTITY));
        if !ok {
            return Err(refused(format!(
                "its {k} must be greater than 0 and at most 1,000,000"
            )));
        }
    }
    let nutrients_of = |object: &serde_json::Value, what: &str| -> AppResult<()> {
        let known: serde_json::Map<String, serde_json::Value> = Nutrients::NAMES
            .iter()
            .filter_map(|k| {
                object
                    .get(*k)
                    .filter(|v| !v.is_null())
                    .map(|v| (k.to_string(), v.clone()))
            })
            .collect();
        let n: Nutrients = serde_json::from_value(serde_json::Value::Object(known))
            .map_err(|_| refused(format!("{what} are not numbers")))?;
        n.validate()
            .map_err(|(field, problem)| refused(format!("{what}: {field} {problem}")))
    };
    nutrients_of(snapshot, "its nutrients")?;
    if let Some(custom) = snapshot.get("custom_per_serving").filter(|v| !v.is_null()) {
        let fine = custom.as_object().is_some_and(|amounts| {
            amounts.len() as i64 <= crate::custom_nutrients::MAX_CUSTOM_NUTRIENTS
                && amounts.iter().all(|(name, amount)| {
                    !name.trim().is_empty()
                        && name.chars().count() <= crate::custom_nutrients::MAX_NAME_CHARS
                        && serde_json::from_value::<Decimal>(amount.clone()).is_ok_and(|d| {
                            d >= Decimal::ZERO
                                && d <= Decimal::from(crate::custom_nutrients::MAX_SERVING_AMOUNT)
                        })
                })
        });
        if !fine {
            return Err(refused(
                "its custom nutrients are not amounts Sparky keeps".into(),
            ));
        }
    }
    if let Some(per) = snapshot.get("per_serving").filter(|v| !v.is_null()) {
        if !per.is_object() {
            return Err(refused("its nutrients per serving are not numbers".into()));
        }
        nutrients_of(per, "its nutrients per serving")?;
    }
    Ok((id, day))
}
