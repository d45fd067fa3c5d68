//! Copying a meal or a day, from this diary or a family member's.

use sparky_core::nutrition::Nutrients;
use sparky_core::MealType;
use sparky_db::UserTx;

use crate::acting::{copy_source, Acting, Area, OWNER};
use crate::error::AppResult;

use super::*;

/// Copies a meal or a whole day to another day, as it was logged, from the diary being
/// written or from a family member's. A day cannot be copied onto itself, and the copy must
/// fit into the target day's entry limit. Row level security decides what may be read and
/// written; a diary that is not shared is a 404.
pub async fn copy(tx: &mut UserTx, acting: Acting, req: CopyInput) -> AppResult<CopyResult> {
    let source = copy_source(tx, acting, req.from_user_id, req.from_date, req.to_date).await?;
    let cols = Nutrients::NAMES.join(", ");
    let meal = req.meal_type.map(MealType::as_str);
    let rows = tx
        .query(
            &format!(
                "WITH target AS (SELECT {OWNER} AS id),
                 src AS (
                     SELECT s.* FROM food_diary s
                     WHERE s.user_id = (SELECT coalesce($6::uuid, auth.uid())) AND s.entry_date = $2::date
                       AND ($4::text IS NULL OR s.meal_type = $4::text)
                     ORDER BY s.consumed_at, s.created_at
                     LIMIT $5::bigint
                 ),
                 room AS (
                     SELECT $5::bigint - coalesce((SELECT x.entries FROM diary_day_totals x, target
                                           WHERE x.user_id = target.id AND x.entry_date = $3::date), 0) AS n
                 ),
                 c AS (
                     INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type,
                         consumed_at, entry_date, food_name, brand, serving_size, serving_unit, serving_weight_g,
                         servings, per_serving, custom_per_serving, {cols})
                     SELECT target.id,
                         -- Someone else's own food stays theirs: linked only when it is the
                         -- shared catalog's or the target's own (the snapshot is copied anyway).
                         CASE WHEN src.user_id = target.id THEN src.food_item_id
                              ELSE (SELECT f.id FROM food_items f WHERE f.id = src.food_item_id
                                      AND (f.user_id IS NULL OR f.user_id = target.id)) END,
                         CASE WHEN src.user_id = target.id THEN src.nutrition_data_id
                              ELSE (SELECT n.id FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id
                                    WHERE n.id = src.nutrition_data_id
                                      AND (f.user_id IS NULL OR f.user_id = target.id)) END,
                         quantity, unit, meal_type,
                         {moved}, $3::date, food_name, brand,
                         serving_size, serving_unit, serving_weight_g, servings, per_serving,
                         custom_per_serving, {cols}
                     FROM src, target
                     WHERE (SELECT count(*) FROM src) <= (SELECT n FROM room)
                     RETURNING *
                 )
                 SELECT {}, (SELECT count(*) FROM src) AS source_count FROM c d ORDER BY d.consumed_at",
                entry_columns(),
                // The source's clock time, on the target day in the target's timezone.
                moved = crate::days::same_clock_time_on(
                    "src.consumed_at",
                    "$3::date",
                    "src.user_id",
                    "target.id"
                )
            ),
            &[
                &acting.owner,
                &req.from_date.get(),
                &req.to_date.get(),
                &meal,
                &MAX_ENTRIES_PER_DAY,
                &source.owner,
            ],
        )
        .await?;
    if rows.is_empty() {
        // Nothing copied: an empty source, a full target, or a diary not shared with us.
        acting.ensure_visible(tx, Area::Diary).await?;
        source.ensure_visible(tx, Area::Diary).await?;
        let source_rows = tx
            .query_one(
                &format!(
                    "SELECT count(*) FROM food_diary WHERE user_id = {OWNER} AND entry_date = $2
                       AND ($3::text IS NULL OR meal_type = $3::text)"
                ),
                &[&source.owner, &req.from_date.get(), &meal],
            )
            .await?;
        if source_rows.get::<_, i64>(0) > 0 {
            return Err(day_full());
        }
    }
    let entries: Vec<DiaryEntry> = rows.iter().map(entry_from_row).collect();
    Ok(CopyResult {
        copied: entries.len(),
        entries,
    })
}
