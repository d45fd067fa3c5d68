//! A goal's derived values: its current value (the latest weight, or today's diary or water
//! total), its progress and, for an active weight goal, the day the smoothed weight trend
//! reaches the target at its recent rate.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sparky_core::units::{self, round_dp};
use sparky_core::{Amount, GoalStatus, GoalType, UnitsSystem};
use sparky_db::UserTx;
use uuid::Uuid;

use super::{Goal, GoalRow, WeekdayTargets};
use crate::error::AppResult;

/// Smoothing of the weight trend used for projections (0.1).
const TREND_ALPHA: Decimal = sparky_core::trend::DEFAULT_ALPHA;
/// How many days of weights the trend is computed over.
const TREND_DAYS: i32 = 90;
/// Decimal places shown for values and percentages.
const DISPLAY_DP: u32 = 2;

/// What a goal's derived values come from: the owner's units, today in the owner's timezone,
/// today's diary and water totals, and the weights.
pub(crate) struct Context {
    pub units: UnitsSystem,
    pub today: NaiveDate,
    calories: Decimal,
    protein: Decimal,
    carbohydrates: Decimal,
    fat: Decimal,
    /// None: the owner's measurements are not shared with the caller.
    water_ml: Option<Decimal>,
    /// The latest weight (kg) and its day.
    pub latest_weight: Option<(Decimal, NaiveDate)>,
    /// Daily mean weights (kg) of the last 90 days, ascending.
    weights: Vec<(NaiveDate, Decimal)>,
}

/// [`CONTEXT_SQL`] with its visibility check.
fn context_sql() -> String {
    CONTEXT_SQL.replace(
        "{MEASUREMENTS_VISIBLE}",
        &crate::acting::Area::Measurements.visible_sql("$1::uuid"),
    )
}

/// `{MEASUREMENTS_VISIBLE}`: water is null, not 0, for someone who may not see it.
const CONTEXT_SQL: &str = "
    WITH p AS (SELECT timezone, units_system FROM user_preferences WHERE user_id = $1 LIMIT 1),
    t AS (SELECT (now() AT TIME ZONE coalesce((SELECT timezone FROM p), 'UTC'))::date AS today),
    d AS (SELECT coalesce(sum(f.calories), 0) AS calories, coalesce(sum(f.protein), 0) AS protein,
                 coalesce(sum(f.carbohydrates), 0) AS carbohydrates, coalesce(sum(f.fat), 0) AS fat
          FROM food_diary f, t WHERE f.user_id = $1 AND f.entry_date = t.today),
    -- The latest weight up to today: one dated in the future (a typo) is not 'the latest'.
    w AS (SELECT m.value, m.entry_date FROM measurements m
          WHERE m.user_id = $1 AND m.type = 'weight' AND m.entry_date <= (SELECT today FROM t)
          ORDER BY m.measured_at DESC, m.created_at DESC LIMIT 1)
    SELECT t.today, coalesce((SELECT units_system FROM p), 'metric') AS units_system,
           d.calories, d.protein, d.carbohydrates, d.fat,
           CASE WHEN {MEASUREMENTS_VISIBLE} THEN
               coalesce((SELECT sum(m.value) FROM measurements m
                         WHERE m.user_id = $1 AND m.type = 'water' AND m.entry_date = t.today), 0)
           END AS water,
           (SELECT value FROM w) AS weight, (SELECT entry_date FROM w) AS weight_date
    FROM t, d";

const WEIGHTS_SQL: &str = "
    SELECT m.entry_date, round(avg(m.value), 6) AS value FROM measurements m
    WHERE m.user_id = $1 AND m.type = 'weight' AND m.entry_date > $2::date - $3::int
      AND m.entry_date <= $2::date
    GROUP BY m.entry_date ORDER BY m.entry_date";

/// The context of `owner`'s goals; `with_weights` also reads the last 90 days of weights (for
/// weight goals' start and projection).
pub(crate) async fn context(
    tx: &mut UserTx,
    owner: Uuid,
    with_weights: bool,
) -> AppResult<Context> {
    let r = tx.query_one(&context_sql(), &[&owner]).await?;
    let today: NaiveDate = r.get("today");
    let weight: Option<Decimal> = r.get("weight");
    let weight_date: Option<NaiveDate> = r.get("weight_date");
    let weights = if with_weights {
        tx.query(WEIGHTS_SQL, &[&owner, &today, &TREND_DAYS])
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Context {
        units: UnitsSystem::from_preference(r.get::<_, Option<&str>>("units_system")),
        today,
        calories: r.get("calories"),
        protein: r.get("protein"),
        carbohydrates: r.get("carbohydrates"),
        fat: r.get("fat"),
        water_ml: r.get("water"),
        latest_weight: weight.zip(weight_date),
        weights,
    })
}

impl Context {
    pub fn weight_unit(&self) -> &'static str {
        if self.units.is_imperial() {
            "lb"
        } else {
            "kg"
        }
    }

    /// A canonical weight (kg) in the owner's unit, unrounded.
    pub(super) fn show_weight(&self, kg: Decimal) -> Decimal {
        if self.units.is_imperial() {
            units::kg_to_lb(kg)
        } else {
            kg
        }
    }
}

fn shown(d: Decimal) -> Amount {
    Amount(round_dp(d, DISPLAY_DP).normalize())
}

/// A goal as shown: values in the owner's units, with its derived values.
pub(crate) fn derive(row: GoalRow, ctx: &Context) -> Goal {
    let t = row.goal_type;
    let (current, current_date): (Option<Decimal>, Option<NaiveDate>) = match t {
        GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget => {
            match ctx.latest_weight {
                Some((w, d)) => (Some(w), Some(d)),
                None => (None, None),
            }
        }
        GoalType::CalorieTarget => (Some(ctx.calories), Some(ctx.today)),
        GoalType::ProteinTarget => (Some(ctx.protein), Some(ctx.today)),
        GoalType::CarbsTarget => (Some(ctx.carbohydrates), Some(ctx.today)),
        GoalType::FatTarget => (Some(ctx.fat), Some(ctx.today)),
        GoalType::WaterTarget => (ctx.water_ml, Some(ctx.today)),
    };
    let mut projected_date = None;
    let progress = if t.is_weight() {
        // Without a recorded start, the first weight since the goal was set is the start.
        let start = row.start_value.or_else(|| {
            ctx.weights
                .iter()
                .find(|(d, _)| *d >= row.start_date)
                .map(|(_, w)| *w)
        });
        if row.status == GoalStatus::Active {
            if let Some(target) = row.target_value {
                let trend = sparky_core::trend::ewma(&ctx.weights, TREND_ALPHA);
                let reached_on = trend.last().map(|(d, _)| *d);
                // A projection from weigh-ins that stopped long ago may fall before today
                // without the target reached: no projection then (it showed a past date).
                projected_date = sparky_core::trend::projected_date(&trend, target)
                    .filter(|d| *d >= ctx.today || Some(*d) == reached_on);
            }
        }
        match (start, current, row.target_value) {
            (Some(s), Some(c), Some(target)) if s != target => {
                let p = (s - c) / (s - target) * Decimal::from(100);
                Some(p.clamp(Decimal::ZERO, Decimal::from(100)))
            }
            (Some(_), Some(c), Some(target)) => Some(if c == target {
                Decimal::from(100)
            } else {
                Decimal::ZERO
            }),
            _ => None,
        }
    } else {
        match (current, row.target_on(ctx.today)) {
            (Some(c), Some(target)) if target > Decimal::ZERO => {
                Some(c / target * Decimal::from(100))
            }
            _ => None,
        }
    };
    let show = |d: Decimal| {
        if t.is_weight() {
            shown(ctx.show_weight(d))
        } else {
            shown(d)
        }
    };
    let by_weekday = row.weekday_targets.as_ref().map(|w| {
        let mut days = [None; 7];
        for (day, value) in days.iter_mut().zip(w) {
            *day = value.map(show);
        }
        WeekdayTargets::from_values(days)
    });
    let target_today = (!t.is_weight())
        .then(|| row.target_on(ctx.today))
        .flatten()
        .map(show);
    Goal {
        id: row.id,
        user_id: row.user_id,
        goal_type: t,
        status: row.status,
        target_value: row.target_value.map(show),
        target_unit: if t.is_weight() {
            ctx.weight_unit().to_string()
        } else {
            row.target_unit
                .unwrap_or_else(|| t.canonical_unit().to_string())
        },
        by_weekday,
        target_today,
        target_date: row.target_date,
        start_value: row.start_value.map(show),
        start_date: row.start_date,
        current_value: current.map(show),
        current_date,
        progress_percent: progress.map(shown),
        projected_date,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}
