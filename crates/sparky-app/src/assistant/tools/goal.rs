//! The tool that changes one goal.

use serde::Deserialize;
use serde_json::json;
use sparky_core::{Amount, GoalStatus, GoalType};
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::{Card, Undo};
use crate::error::AppResult;

use super::{acting, to_value, write_card, ToolContext, ToolOutput};

#[derive(Deserialize)]
pub(super) struct GoalArgs {
    #[serde(rename = "type")]
    goal_type: GoalType,
    target_value: Amount,
    target_unit: Option<String>,
    by_weekday: Option<crate::goals::WeekdayTargets>,
    user_id: Option<Uuid>,
}

pub(super) async fn update_goal(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: GoalArgs,
) -> AppResult<ToolOutput> {
    let who = acting(a.user_id);
    let existing = crate::goals::list(
        tx,
        who,
        crate::goals::ListFilter {
            status: Some(GoalStatus::Active),
            goal_type: Some(a.goal_type),
            limit: Some(1),
        },
    )
    .await?;
    let (goal, undo, before) = match existing.first() {
        Some(old) => {
            let goal = crate::goals::update(
                tx,
                old.id,
                crate::goals::UpdateGoalInput {
                    target_value: Some(a.target_value),
                    target_unit: a.target_unit,
                    target_date: None,
                    status: None,
                    start_value: None,
                    by_weekday: a.by_weekday.clone(),
                },
            )
            .await?;
            let undo = Undo::RestoreGoalTarget {
                id: old.id,
                target_value: old.target_value.map(|v| v.0),
                target_unit: old.target_unit.clone(),
                // What the days were (none: every day the same), when the call changed them.
                by_weekday: a
                    .by_weekday
                    .as_ref()
                    .map(|_| old.by_weekday.clone().unwrap_or_default()),
            };
            let before = old
                .target_value
                .map(|v| format!(" (was {} {})", v.0.normalize(), old.target_unit))
                .unwrap_or_default();
            (goal, undo, before)
        }
        None => {
            let input = crate::goals::GoalInput {
                goal_type: a.goal_type,
                target_value: a.target_value,
                target_unit: a.target_unit,
                target_date: None,
                status: None,
                start_value: None,
                with_calorie_target: None,
                weekly_change_kg: None,
                by_weekday: a.by_weekday.clone(),
            };
            let created = crate::goals::create(tx, who, &input.parse()?).await?;
            let goal = created.goal;
            let undo = Undo::DeleteGoal { id: goal.id };
            (goal, undo, " (new goal)".to_string())
        }
    };
    let target = goal
        .target_value
        .map(|v| v.0.normalize().to_string())
        .unwrap_or_default();
    let card = Card {
        action_id: None,
        proposal_id: None,
        tool: "update_goal".into(),
        title: "Goal updated".into(),
        lines: std::iter::once(format!(
            "{}: {target} {}{before}",
            goal.goal_type.as_str().replace('_', " "),
            goal.target_unit
        ))
        .chain(goal.by_weekday.as_ref().map(|w| {
            let days: Vec<String> = crate::goals::WeekdayTargets::DAYS
                .iter()
                .zip(w.values())
                .filter_map(|(day, v)| {
                    v.map(|v| format!("{day} {} {}", v.0.normalize(), goal.target_unit))
                })
                .collect();
            format!("on {}", days.join(", "))
        }))
        .collect(),
        user_id: goal.user_id,
        written: to_value(&goal),
    };
    let result = json!({"goal": {"type": goal.goal_type, "target": goal.target_value, "unit": goal.target_unit,
                                 "by_weekday": goal.by_weekday}});
    write_card(tx, ctx, "update_goal", undo, card, result).await
}
