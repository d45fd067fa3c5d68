//! Tools on meal plans: which plan a name means, and applying one to the diary.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};
use sparky_db::UserTx;
use uuid::Uuid;

use super::actions::{Card, Undo};
use crate::acting::Acting;
use crate::error::{AppError, AppResult};
use crate::meal_plans::{self, ApplyInput, Template, LIST_LIMIT};

use super::reading::named;
use super::{acting, date_value, day_arg, to_value, write_card, ToolContext, ToolOutput};

/// The meal plan `wanted` names among `whose` plans (letter case aside; a part of the name
/// when only one plan has it), or the only active one. Several that fit are listed for the
/// caller to choose.
pub(super) async fn plan_named(
    tx: &mut UserTx,
    whose: Acting,
    wanted: Option<&str>,
) -> AppResult<Template> {
    let page = crate::paging::PageRequest::parse(Some(LIST_LIMIT.max), None, LIST_LIMIT)?;
    let plans = meal_plans::list_templates(tx, whose, &page, 0).await?.items;
    let wanted = wanted.map(str::trim).filter(|p| !p.is_empty());
    let fitting: Vec<&Template> = match wanted {
        Some(name) => {
            let exact: Vec<_> = plans
                .iter()
                .filter(|t| t.name.eq_ignore_ascii_case(name))
                .collect();
            if exact.is_empty() {
                let name = name.to_lowercase();
                plans
                    .iter()
                    .filter(|t| t.name.to_lowercase().contains(&name))
                    .collect()
            } else {
                exact
            }
        }
        None => plans.iter().filter(|t| t.is_active).collect(),
    };
    match fitting.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(AppError::invalid(
            "plan",
            match (wanted, plans.is_empty()) {
                (_, true) => "there is no meal plan yet".to_string(),
                (Some(name), false) => format!(
                    "no meal plan is called {name:?}; the plans are: {}",
                    names(&plans.iter().collect::<Vec<_>>())
                ),
                (None, false) => format!(
                    "no plan is active; name one of: {}",
                    names(&plans.iter().collect::<Vec<_>>())
                ),
            },
        )),
        several => Err(AppError::invalid(
            "plan",
            format!("several plans fit: {}; name one", names(several)),
        )),
    }
}

fn names(plans: &[&Template]) -> String {
    plans
        .iter()
        .map(|t| format!("{:?}", t.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Deserialize)]
pub(super) struct ApplyArgs {
    plan: Option<String>,
    from: Option<String>,
    to: Option<String>,
    user_id: Option<Uuid>,
}

/// Writes one of the caller's meal plans into a diary (theirs, or a family member's who lets
/// them log) from `from` (default today) to `to` (default `from`), through the same operation
/// as the API. Undo takes the plan off those days again.
pub(super) async fn apply_meal_plan(
    tx: &mut UserTx,
    ctx: &ToolContext,
    a: ApplyArgs,
) -> AppResult<ToolOutput> {
    let into = acting(a.user_id);
    let plan = plan_named(tx, Acting::ME, a.plan.as_deref()).await?;
    let from = day_arg(tx, into, a.from.as_deref())
        .await
        .map_err(named("from"))?;
    let to = match a.to.as_deref() {
        Some(text) => day_arg(tx, into, Some(text)).await.map_err(named("to"))?,
        None => from,
    };
    let dates = ApplyInput {
        from: Some(date_value(from).map_err(named("from"))?),
        to: Some(date_value(to).map_err(named("to"))?),
        dates: None,
    }
    .parse()?;
    let result = meal_plans::apply(tx, into, plan.id, &dates).await?;
    let skipped: Vec<String> = result.skipped.iter().map(NaiveDate::to_string).collect();
    if result.applied.is_empty() {
        // Nothing written: no card, nothing to undo.
        return Ok(ToolOutput::read(json!({
            "plan": plan.name, "applied": [], "already_applied": skipped,
            "note": "nothing was written: the plan was already applied to these days, or has no foods for them"
        })));
    }
    let applied: Vec<NaiveDate> = result.applied.iter().map(|d| d.date).collect();
    let lines = result
        .applied
        .iter()
        .map(|d| {
            let kcal = d
                .total_calories
                .map(|c| format!("{} kcal", c.0.round_dp(0)))
                .unwrap_or_else(|| "kcal unknown".into());
            format!(
                "{}: {} {}, {kcal}",
                d.date,
                d.entries,
                if d.entries == 1 { "entry" } else { "entries" }
            )
        })
        .collect();
    let title = match (applied.first(), applied.last()) {
        (Some(first), Some(last)) if first != last => {
            format!("Applied {} to {first} – {last}", plan.name)
        }
        _ => format!("Applied {} to {from}", plan.name),
    };
    let card = Card {
        action_id: None,
        proposal_id: None,
        tool: "apply_meal_plan".into(),
        title,
        lines,
        user_id: result.user_id,
        written: to_value(&result),
    };
    let out = json!({
        "plan": plan.name,
        "applied": result.applied.iter().map(|d| json!({
            "date": d.date, "entries": d.entries, "total_calories": d.total_calories})).collect::<Vec<Value>>(),
        "already_applied": skipped,
    });
    let undo = Undo::UnapplyMealPlan {
        template_id: plan.id,
        user_id: result.user_id,
        dates: applied,
    };
    write_card(tx, ctx, "apply_meal_plan", undo, card, out).await
}
