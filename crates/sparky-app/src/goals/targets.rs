//! The daily targets (calories, protein, carbs, fat, water) set together, as a settings form or
//! onboarding does: each given value replaces the active target of its type (or starts one), a
//! cleared value pauses it. Everything is checked before anything is written; the caller's
//! transaction makes the set one change.

use rust_decimal::Decimal;
use sparky_core::{GoalStatus, GoalType};
use sparky_db::UserTx;

use super::{conflict_or, context, insert, list, weekday_canonical, Goal, GoalValues, ListFilter};
use crate::acting::Acting;
use crate::error::{AppResult, Validation};

/// One daily target to set (`Some`) or stop (`None`), in `unit` (default: the canonical kcal,
/// g or ml; water also takes l or fl oz), and optionally its days of the week with a target
/// of their own (Monday first, in the same unit; all `None`: the same every day).
#[derive(Debug, Clone)]
pub struct TargetChange {
    pub goal_type: GoalType,
    pub value: Option<Decimal>,
    pub unit: Option<String>,
    /// `None`: the days of the week stay as they are.
    pub by_weekday: Option<[Option<Decimal>; 7]>,
}

/// Sets the owner's daily targets; problems are reported per goal type (the field name), a
/// day of the week's as `<type>.by_weekday.<day>`.
/// Returns the active goals afterwards.
pub async fn set_targets(
    tx: &mut UserTx,
    acting: Acting,
    changes: &[TargetChange],
) -> AppResult<Vec<Goal>> {
    let owner = acting.owner_id(tx).await?;
    let ctx = context(tx, owner, false).await?;
    let mut v = Validation::new();
    let mut checked = Vec::with_capacity(changes.len());
    for c in changes {
        let t = c.goal_type;
        let field = t.as_str();
        if t.is_weight() {
            v.add(field, "is a weight goal, not a daily target");
            continue;
        }
        // Several targets' days in one call: `calorie_target.by_weekday.monday`, ….
        let days_field = format!("{field}.by_weekday");
        let weekdays = c
            .by_weekday
            .map(|w| weekday_canonical(&mut v, &days_field, t, w, c.unit.as_deref(), ctx.units));
        match c.value {
            // Days of their own are exceptions to a usual target: without one they would be
            // dropped unseen.
            None if weekdays.as_ref().is_some_and(Option::is_some) => {
                v.add(&days_field, "needs a target for the other days");
            }
            None => checked.push((t, None, weekdays)),
            Some(value) => {
                if let Some(target) = v.take(super::to_canonical(
                    t,
                    field,
                    value,
                    c.unit.as_deref(),
                    ctx.units,
                )) {
                    checked.push((t, Some(target), weekdays));
                }
            }
        }
    }
    v.finish()?;
    for (t, target, weekdays) in checked {
        match target {
            Some(target) => {
                let updated = tx
                    .execute(
                        "UPDATE goals SET target_value = $3,
                             weekday_targets = CASE WHEN $4 THEN $5 ELSE weekday_targets END
                         WHERE user_id = $1 AND type = $2 AND status = 'active'",
                        &[
                            &owner,
                            &t.as_str(),
                            &target,
                            &weekdays.is_some(),
                            &weekdays.clone().flatten(),
                        ],
                    )
                    .await?;
                if updated == 0 {
                    let values = GoalValues {
                        goal_type: t,
                        target,
                        target_date: None,
                        status: GoalStatus::Active,
                        start: None,
                        start_date: ctx.today,
                        weekday_targets: weekdays.flatten(),
                    };
                    insert(tx, owner, &values).await?;
                }
            }
            None => {
                tx.execute(
                    "UPDATE goals SET status = 'paused'
                     WHERE user_id = $1 AND type = $2 AND status = 'active'",
                    &[&owner, &t.as_str()],
                )
                .await
                .map_err(|e| conflict_or(e, t))?;
            }
        }
    }
    list(
        tx,
        acting,
        ListFilter {
            status: Some(GoalStatus::Active),
            ..ListFilter::default()
        },
    )
    .await
}
