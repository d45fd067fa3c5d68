//! Taking a template off some dates: what applying it wrote there leaves the diary again.

use chrono::NaiveDate;
use serde::Serialize;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::apply::ApplyDates;
use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RemovedDay {
    pub date: NaiveDate,
    /// Diary entries removed from the day: the entries the apply wrote there, unchanged
    /// since.
    pub entries: usize,
    /// Entries the apply wrote that were changed since (another amount, meal or day): they
    /// stay in the diary as ordinary entries, no longer part of the plan.
    pub kept: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnapplyResult {
    pub meal_plan_template_id: Uuid,
    pub user_id: Uuid,
    /// Dates the template was taken off.
    pub removed: Vec<RemovedDay>,
    /// Dates it had not been applied to; nothing changed there.
    pub not_applied: Vec<NaiveDate>,
}

/// Removes what applying a template wrote on some dates: the diary entries of each applied
/// date and its `meal_plans` row, so the days can be applied again (to this template or
/// another). Entries logged by hand stay, and so do entries changed since they were applied
/// (`updated_at` later than `created_at`): what someone corrected is theirs, not the plan's;
/// the foreign key's `SET NULL` unties them from the plan. Row level security decides: the
/// owner and a `calorie` grantee may; someone who may only read the diary gets a 403, anyone
/// else a 404.
pub async fn unapply(
    tx: &mut UserTx,
    acting: Acting,
    template_id: Uuid,
    dates: &ApplyDates,
) -> AppResult<UnapplyResult> {
    super::ensure_template_visible(tx, template_id).await?;
    let dates = dates.dates();
    // One statement: the plan rows are locked, their unchanged entries deleted, then the
    // rows (which unties the changed entries).
    let rows = tx
        .query(
            &format!(
                "WITH p AS (
                     SELECT id, planned_date FROM meal_plans
                     WHERE user_id = {OWNER} AND meal_plan_template_id = $2
                       AND planned_date = ANY($3)
                     FOR UPDATE
                 ),
                 e AS (DELETE FROM food_diary d USING p
                       WHERE d.meal_plan_id = p.id AND d.updated_at <= d.created_at
                       RETURNING p.planned_date),
                 k AS (SELECT p.planned_date FROM food_diary d JOIN p ON d.meal_plan_id = p.id
                       WHERE d.updated_at > d.created_at),
                 gone AS (DELETE FROM meal_plans m USING p WHERE m.id = p.id
                          RETURNING m.planned_date)
                 SELECT g.planned_date,
                        (SELECT count(*) FROM e WHERE e.planned_date = g.planned_date),
                        (SELECT count(*) FROM k WHERE k.planned_date = g.planned_date)
                 FROM gone g ORDER BY g.planned_date"
            ),
            &[&acting.owner, &template_id, &dates],
        )
        .await?;
    let removed: Vec<RemovedDay> = rows
        .iter()
        .map(|r| RemovedDay {
            date: r.get(0),
            entries: r.get::<_, i64>(1) as usize,
            kept: r.get::<_, i64>(2) as usize,
        })
        .collect();
    if removed.is_empty() && acting.is_other(tx).await? {
        refuse_unless_writable(tx, acting).await?;
    }
    let not_applied = dates
        .iter()
        .filter(|d| !removed.iter().any(|r| r.date == **d))
        .copied()
        .collect();
    Ok(UnapplyResult {
        meal_plan_template_id: template_id,
        user_id: acting.owner_id(tx).await?,
        removed,
        not_applied,
    })
}

/// After nothing was removed from someone else's diary: 404 unless it is shared with the
/// caller, 403 when row level security lets them read it but not change it (a row they can
/// read that `FOR UPDATE`, which applies the update policy, does not return).
async fn refuse_unless_writable(tx: &mut UserTx, acting: Acting) -> AppResult<()> {
    acting.ensure_visible(tx, Area::Diary).await?;
    let row = tx
        .query_one(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM food_diary WHERE user_id = {OWNER}),
                        EXISTS (SELECT 1 FROM (SELECT 1 FROM food_diary WHERE user_id = {OWNER}
                                               LIMIT 1 FOR UPDATE) w)"
            ),
            &[&acting.owner],
        )
        .await?;
    let (readable, writable): (bool, bool) = (row.get(0), row.get(1));
    if readable && !writable {
        return Err(AppError::forbidden(
            "you may read this diary but not change it",
        ));
    }
    Ok(())
}
