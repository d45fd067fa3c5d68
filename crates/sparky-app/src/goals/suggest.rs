//! Calorie and macro suggestions from the energy equations (see `sparky_core::energy`): BMR
//! (Mifflin-St Jeor, or Katch-McArdle when body fat is known), TDEE for an activity level, and
//! the daily target for a weekly rate of change at 7700 kcal per kg, never below a floor.
//!
//! Whatever the request leaves out comes from the owner's data: sex, age (from the birth
//! date), height and activity level from the profile, height otherwise and weight from the
//! latest measurements; activity defaults to sedentary.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::energy::{self, ActivityLevel, Sex};
use sparky_core::units::round_dp;
use sparky_core::Amount;
use sparky_db::UserTx;
use utoipa::{IntoParams, ToSchema};

use crate::acting::{Acting, OWNER};
use crate::error::{AppError, AppResult, Validation};
use crate::profile::{age_on, TODAY};

/// The query of `GET /goals/suggest`. Values are read leniently (and every problem reported
/// at once), so they arrive as text.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// male or female (decides the Mifflin-St Jeor constant and the default floor). Default:
    /// your profile's.
    #[param(value_type = Option<Sex>)]
    pub sex: Option<String>,
    /// Age in whole years, 15–120. Default: from your profile's birth date.
    #[param(value_type = Option<u32>, minimum = 15, maximum = 120)]
    pub age: Option<String>,
    /// 50–272 cm. Default: your profile's height, else your latest `height` measurement.
    #[param(value_type = Option<f64>, minimum = 50, maximum = 272)]
    pub height_cm: Option<String>,
    /// 20–700 kg. Default: your latest `weight` measurement.
    #[param(value_type = Option<f64>, minimum = 20, maximum = 700)]
    pub weight_kg: Option<String>,
    /// 2–75 %. When given, BMR uses Katch-McArdle instead of Mifflin-St Jeor.
    #[param(value_type = Option<f64>, minimum = 2, maximum = 75)]
    pub body_fat_percent: Option<String>,
    /// sedentary (×1.2), light (×1.375), moderate (×1.55), active (×1.725), very_active
    /// (×1.9). Default: your profile's, else sedentary.
    #[param(value_type = Option<ActivityLevel>)]
    pub activity: Option<String>,
    /// Desired change in kg per week, −2 to 2 (negative = lose; default 0).
    #[param(value_type = Option<f64>, minimum = -2, maximum = 2)]
    pub weekly_change_kg: Option<String>,
    /// The lowest target suggested, 800–5000 kcal (default 1200 for women, 1500 for men).
    #[param(value_type = Option<f64>, minimum = 800, maximum = 5000)]
    pub floor_kcal: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestedMacros {
    /// 1.8 g per kg of body weight.
    pub protein_g: Amount,
    /// 25 % of the target calories at 9 kcal/g.
    pub fat_g: Amount,
    /// The remaining calories at 4 kcal/g (never negative).
    pub carbohydrates_g: Amount,
}

/// The numbers the suggestion used, and where each came from: `query`, `profile`,
/// `measurement` or `default`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestInputs {
    pub sex: Sex,
    pub sex_source: &'static str,
    pub age: u32,
    pub age_source: &'static str,
    pub height_cm: Amount,
    pub height_source: &'static str,
    pub weight_kg: Amount,
    pub weight_source: &'static str,
    pub body_fat_percent: Option<Amount>,
    pub activity_source: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestion {
    /// kcal/day.
    pub bmr: Amount,
    /// "Mifflin-St Jeor" or "Katch-McArdle" (used when body fat is known).
    pub bmr_formula: &'static str,
    pub activity: ActivityLevel,
    pub activity_multiplier: Amount,
    /// BMR × activity multiplier, kcal/day.
    pub tdee: Amount,
    pub weekly_change_kg: Amount,
    /// kcal per kg of body weight used for the rate of change (7700).
    pub kcal_per_kg: Amount,
    /// weekly_change_kg × 7700 / 7, kcal/day.
    pub daily_adjustment_kcal: Amount,
    /// tdee + daily_adjustment_kcal, raised to the floor when below it.
    pub target_calories: Amount,
    pub floor_applied: bool,
    pub floor_kcal: Amount,
    pub macros: SuggestedMacros,
    pub inputs: SuggestInputs,
}

/// What the request gave, checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Given {
    pub sex: Option<Sex>,
    pub age: Option<u32>,
    pub height_cm: Option<Decimal>,
    pub weight_kg: Option<Decimal>,
    pub body_fat_percent: Option<Decimal>,
    pub activity: Option<ActivityLevel>,
    pub weekly_change_kg: Decimal,
    pub floor_kcal: Option<Decimal>,
}

/// A given parameter, trimmed. An empty one (`?activity=`) is given and invalid, not absent:
/// the OpenAPI document declares numbers and enums, which an empty string is not.
fn text(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim)
}

fn decimal_param(
    v: &mut Validation,
    field: &str,
    raw: &Option<String>,
    min: i64,
    max: i64,
) -> Option<Decimal> {
    let raw = text(raw)?;
    match raw.parse::<Decimal>() {
        Ok(d) if d >= Decimal::from(min) && d <= Decimal::from(max) => Some(d),
        _ => {
            v.add(field, format!("must be a number from {min} to {max}"));
            None
        }
    }
}

impl SuggestQuery {
    fn parse(&self, v: &mut Validation) -> Given {
        let sex = text(&self.sex).and_then(|s| {
            let sex = Sex::parse(s);
            v.check(sex.is_some(), "sex", "must be male or female");
            sex
        });
        let age = text(&self.age).and_then(|s| match s.parse::<u32>() {
            Ok(a) if (15..=120).contains(&a) => Some(a),
            _ => {
                v.add("age", "must be a whole number of years from 15 to 120");
                None
            }
        });
        let activity = text(&self.activity).and_then(|s| {
            let a = ActivityLevel::parse(s);
            v.check(
                a.is_some(),
                "activity",
                "must be sedentary, light, moderate, active or very_active",
            );
            a
        });
        Given {
            sex,
            age,
            height_cm: decimal_param(v, "height_cm", &self.height_cm, 50, 272),
            weight_kg: decimal_param(v, "weight_kg", &self.weight_kg, 20, 700),
            body_fat_percent: decimal_param(v, "body_fat_percent", &self.body_fat_percent, 2, 75),
            activity,
            weekly_change_kg: decimal_param(v, "weekly_change_kg", &self.weekly_change_kg, -2, 2)
                .unwrap_or(Decimal::ZERO),
            floor_kcal: decimal_param(v, "floor_kcal", &self.floor_kcal, 800, 5000),
        }
    }
}

/// What is known about the owner: the profile and the latest height and weight.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
    today: Option<NaiveDate>,
    profile_height: Option<Decimal>,
    activity: Option<ActivityLevel>,
    measured_height: Option<Decimal>,
    measured_weight: Option<Decimal>,
}

pub(crate) async fn known(tx: &mut UserTx, acting: Acting) -> AppResult<Known> {
    let r = tx
        .query_one(
            &format!(
                "SELECT p.sex, p.birth_date, p.height_cm, p.activity_level, {TODAY} AS today,
                     (SELECT value FROM measurements WHERE user_id = {OWNER} AND type = 'height'
                        AND entry_date <= {TODAY}
                      ORDER BY measured_at DESC, created_at DESC LIMIT 1) AS height,
                     (SELECT value FROM measurements WHERE user_id = {OWNER} AND type = 'weight'
                        AND entry_date <= {TODAY}
                      ORDER BY measured_at DESC, created_at DESC LIMIT 1) AS weight
                 FROM (SELECT {OWNER} AS id) o LEFT JOIN user_profiles p ON p.user_id = o.id"
            ),
            &[&acting.owner],
        )
        .await?;
    Ok(Known {
        sex: r.get::<_, Option<&str>>("sex").and_then(Sex::parse),
        birth_date: r.get("birth_date"),
        today: r.get("today"),
        profile_height: r.get("height_cm"),
        activity: r
            .get::<_, Option<&str>>("activity_level")
            .and_then(ActivityLevel::parse),
        measured_height: r.get("height"),
        measured_weight: r.get("weight"),
    })
}

/// An input the suggestion needs that neither the request nor the owner's data gave, with
/// what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing {
    pub field: &'static str,
    pub problem: String,
}

/// Works out the suggestion from what was given and what is known, or says what is missing.
pub(crate) fn compute(given: &Given, known: &Known) -> Result<Suggestion, Vec<Missing>> {
    let mut missing = Vec::new();
    let mut need = |field: &'static str, problem: String| {
        missing.push(Missing { field, problem });
    };
    let (sex, sex_source) = match (given.sex, known.sex) {
        (Some(s), _) => (Some(s), "query"),
        (None, Some(s)) => (Some(s), "profile"),
        (None, None) => {
            need(
                "sex",
                "is required: male or female (or set it in your profile: PUT /api/v1/profile)"
                    .into(),
            );
            (None, "")
        }
    };
    let profile_age = known
        .birth_date
        .zip(known.today)
        .and_then(|(b, t)| age_on(b, t));
    let (age, age_source) = match (given.age, profile_age) {
        (Some(a), _) => (Some(a), "query"),
        (None, Some(a)) if (15..=120).contains(&a) => (Some(a as u32), "profile"),
        (None, Some(a)) => {
            need(
                "age",
                format!("is required: your profile's birth date gives {a} years, and the equations need 15 to 120"),
            );
            (None, "")
        }
        (None, None) => {
            need(
                "age",
                "is required (years), or set your birth date in your profile (PUT /api/v1/profile)"
                    .into(),
            );
            (None, "")
        }
    };
    let (height, height_source) =
        match (given.height_cm, known.profile_height, known.measured_height) {
            (Some(h), _, _) => (Some(h), "query"),
            (None, Some(h), _) => (Some(h), "profile"),
            (None, None, Some(h)) => (Some(h), "measurement"),
            (None, None, None) => {
                need(
                    "height_cm",
                    "is required (no height in your profile and no height measurement to use)"
                        .into(),
                );
                (None, "")
            }
        };
    let (weight, weight_source) = match (given.weight_kg, known.measured_weight) {
        (Some(w), _) => (Some(w), "query"),
        (None, Some(w)) => (Some(w), "measurement"),
        (None, None) => {
            need(
                "weight_kg",
                "is required (no weight measurement to use)".into(),
            );
            (None, "")
        }
    };
    let (activity, activity_source) = match (given.activity, known.activity) {
        (Some(a), _) => (a, "query"),
        (None, Some(a)) => (a, "profile"),
        (None, None) => (ActivityLevel::Sedentary, "default"),
    };
    let (Some(sex), Some(age), Some(height), Some(weight)) = (sex, age, height, weight) else {
        return Err(missing);
    };
    let (bmr, formula) = match given.body_fat_percent {
        Some(bf) => (energy::bmr_katch_mcardle(weight, bf), "Katch-McArdle"),
        None => (
            energy::bmr_mifflin_st_jeor(weight, height, Decimal::from(age), sex),
            "Mifflin-St Jeor",
        ),
    };
    let tdee = energy::tdee(bmr, activity);
    let floor = given.floor_kcal.unwrap_or_else(|| sex.default_floor_kcal());
    let weekly = given.weekly_change_kg;
    let (target, floored) = energy::calorie_target(tdee, weekly, floor);
    let macros = energy::macro_split(target, weight);
    let exact = |d: Decimal| Amount(d.normalize());
    Ok(Suggestion {
        bmr: shown(bmr),
        bmr_formula: formula,
        activity,
        activity_multiplier: exact(activity.multiplier()),
        tdee: shown(tdee),
        weekly_change_kg: exact(weekly),
        kcal_per_kg: exact(energy::KCAL_PER_KG),
        daily_adjustment_kcal: shown(energy::daily_energy_delta(weekly)),
        target_calories: shown(target),
        floor_applied: floored,
        floor_kcal: exact(floor),
        macros: SuggestedMacros {
            protein_g: exact(macros.protein_g),
            fat_g: exact(macros.fat_g),
            carbohydrates_g: exact(macros.carbohydrates_g),
        },
        inputs: SuggestInputs {
            sex,
            sex_source,
            age,
            age_source,
            height_cm: shown(height),
            height_source,
            weight_kg: shown(weight),
            weight_source,
            body_fat_percent: given.body_fat_percent.map(exact),
            activity_source,
        },
    })
}

fn shown(d: Decimal) -> Amount {
    Amount(round_dp(d, 2).normalize())
}

/// A suggestion for yourself: the query's values, the rest from your profile and latest
/// measurements. Every bad or missing input is named at once.
pub async fn suggest(tx: &mut UserTx, query: &SuggestQuery) -> AppResult<Suggestion> {
    let mut v = Validation::new();
    let given = query.parse(&mut v);
    let known = known(tx, Acting::ME).await?;
    match compute(&given, &known) {
        Ok(s) => {
            v.finish()?;
            Ok(s)
        }
        Err(missing) => {
            for m in missing {
                // A value that was given but invalid already has its own problem recorded.
                v.add(m.field, m.problem);
            }
            v.finish()?;
            Err(AppError::internal(
                "suggestion inputs missing without a problem",
            ))
        }
    }
}
