//! Onboarding, the first minutes in the web app: units, timezone, sex, birth date, height,
//! current weight, activity level and a direction (lose, maintain, gain) become suggested
//! calorie and macro targets (the computation of `/goals/suggest`). [`complete`] saves the
//! preferences, the profile, the weight and the targets in the caller's transaction, so it is
//! one change; [`skip`] only notes that the user chose not to. Either way the user is not asked
//! again (`user_preferences.onboarded_at`).

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use sparky_core::energy::{ActivityLevel, Sex};
use sparky_core::measure::MeasureUnit;
use sparky_core::units::{in_to_cm, lb_to_kg, round_dp};
use sparky_core::{GoalType, UnitsSystem};
use sparky_db::UserTx;

use crate::acting::Acting;
use crate::error::{AppError, AppResult, Validation};
use crate::goals::suggest::{compute, Given, Known, Suggestion};
use crate::goals::targets::{set_targets, TargetChange};
use crate::goals::{DEFAULT_GAIN_PER_WEEK, DEFAULT_LOSS_PER_WEEK};
use crate::measurements::{self, LogMeasurement};
use crate::preferences::{self, parse_timezone, PreferencesUpdate};
use crate::profile::{self, age_on, ProfileChange};

/// What the onboarding form sends, as typed (checked by [`plan`], every problem at once).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OnboardingInput {
    /// metric or imperial.
    pub units_system: String,
    /// IANA name, e.g. Europe/Berlin.
    pub timezone: String,
    /// male or female.
    pub sex: String,
    /// YYYY-MM-DD.
    pub birth_date: String,
    pub height: String,
    /// cm or in (default: from the units system).
    pub height_unit: String,
    pub weight: String,
    /// kg or lb (default: from the units system).
    pub weight_unit: String,
    /// sedentary, light, moderate, active or very_active.
    pub activity: String,
    /// lose, maintain or gain.
    pub goal: String,
}

/// Which way the user wants their weight to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Lose,
    Maintain,
    Gain,
}

impl Direction {
    pub const ALL: [Direction; 3] = [Direction::Lose, Direction::Maintain, Direction::Gain];

    pub fn parse(s: &str) -> Option<Direction> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lose" => Some(Direction::Lose),
            "maintain" => Some(Direction::Maintain),
            "gain" => Some(Direction::Gain),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Lose => "lose",
            Direction::Maintain => "maintain",
            Direction::Gain => "gain",
        }
    }

    /// The planned change in kg a week: the defaults of weight goals (−0.5 down, +0.25 up).
    pub fn weekly_change_kg(self) -> Decimal {
        match self {
            Direction::Lose => DEFAULT_LOSS_PER_WEEK,
            Direction::Maintain => Decimal::ZERO,
            Direction::Gain => DEFAULT_GAIN_PER_WEEK,
        }
    }
}

/// The checked answers and the targets they lead to (whole kcal and grams).
#[derive(Debug, Clone)]
pub struct OnboardingPlan {
    pub units: UnitsSystem,
    pub timezone: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub height_cm: Decimal,
    /// The weight as typed, in `weight_unit`, and in kg.
    pub weight: Decimal,
    pub weight_unit: MeasureUnit,
    pub weight_kg: Decimal,
    pub activity: ActivityLevel,
    pub direction: Direction,
    pub suggestion: Suggestion,
    pub calories: Decimal,
    pub protein_g: Decimal,
    pub carbohydrates_g: Decimal,
    pub fat_g: Decimal,
}

fn number(v: &mut Validation, field: &str, raw: &str, problem: &str) -> Option<Decimal> {
    let raw = raw.trim().replace(',', ".");
    match raw.parse::<Decimal>() {
        Ok(d) if d > Decimal::ZERO => Some(d),
        _ => {
            v.add(field, problem);
            None
        }
    }
}

/// Checks the answers and works out the targets; writes nothing.
pub fn plan(input: &OnboardingInput) -> AppResult<OnboardingPlan> {
    let mut v = Validation::new();
    let units = UnitsSystem::parse(&input.units_system).ok();
    v.check(
        units.is_some(),
        "units_system",
        "must be metric or imperial",
    );
    let imperial = units.is_some_and(UnitsSystem::is_imperial);
    let timezone = v.take(parse_timezone("timezone", &input.timezone));
    let sex = Sex::parse(input.sex.trim());
    v.check(sex.is_some(), "sex", "must be male or female");
    let today = timezone
        .as_deref()
        .and_then(|tz| tz.parse::<chrono_tz::Tz>().ok())
        .map(|tz| Utc::now().with_timezone(&tz).date_naive())
        .unwrap_or_else(|| Utc::now().date_naive());
    let birth_date = match NaiveDate::parse_from_str(input.birth_date.trim(), "%Y-%m-%d") {
        Ok(d) => match age_on(d, today) {
            Some(age) if (15..=120).contains(&age) => Some((d, age as u32)),
            _ => {
                v.add(
                    "birth_date",
                    "must make you 15 to 120 years old (the equations are for adults)",
                );
                None
            }
        },
        Err(_) => {
            v.add("birth_date", "must be a date like 1990-06-15");
            None
        }
    };
    let height_unit = match input.height_unit.trim() {
        "" if imperial => "in",
        "" => "cm",
        u => u,
    };
    // 5'5" is inches whatever the unit picked.
    let feet_and_inches = sparky_core::units::feet_and_inches(&input.height);
    let height_cm = match feet_and_inches {
        Some(inches) => Some((inches, "in")),
        None => number(
            &mut v,
            "height",
            &input.height,
            "must be a number (or feet and inches, like 5'5\")",
        )
        .map(|h| (h, height_unit)),
    }
    .and_then(|(h, height_unit)| {
        let cm = match height_unit {
            "cm" => Some(h),
            "in" => Some(in_to_cm(h)),
            _ => {
                v.add("height", "must be in cm or in");
                None
            }
        }?;
        let ok = cm >= Decimal::from(profile::MIN_HEIGHT_CM)
            && cm <= Decimal::from(profile::MAX_HEIGHT_CM);
        v.check(
            ok,
            "height",
            "must be between 50 and 272 cm (20 and 107 in)",
        );
        ok.then(|| round_dp(cm, 2))
    });
    let weight_unit = match input.weight_unit.trim() {
        "" if imperial => "lb",
        "" => "kg",
        u => u,
    };
    let weight = number(&mut v, "weight", &input.weight, "must be a number").and_then(|w| {
        let (unit, kg) = match weight_unit {
            "kg" => (MeasureUnit::Kg, w),
            "lb" => (MeasureUnit::Lb, lb_to_kg(w)),
            _ => {
                v.add("weight", "must be in kg or lb");
                return None;
            }
        };
        // Within what a weigh-in may be (measure::plausible_range), which saving logs.
        let max = sparky_core::measure::plausible_range("weight")
            .map(|(_, max)| max)
            .unwrap_or(Decimal::from(650));
        let ok = kg >= Decimal::from(20) && kg <= max;
        v.check(
            ok,
            "weight",
            "must be between 20 and 650 kg (44 and 1433 lb)",
        );
        ok.then_some((w, unit, kg))
    });
    let activity = ActivityLevel::parse(input.activity.trim());
    v.check(
        activity.is_some(),
        "activity",
        "must be sedentary, light, moderate, active or very_active",
    );
    let direction = Direction::parse(&input.goal);
    v.check(
        direction.is_some(),
        "goal",
        "must be lose, maintain or gain",
    );
    v.finish()?;
    let (
        Some(units),
        Some(timezone),
        Some(sex),
        Some((birth_date, age)),
        Some(height_cm),
        Some((weight, weight_unit, weight_kg)),
        Some(activity),
        Some(direction),
    ) = (
        units, timezone, sex, birth_date, height_cm, weight, activity, direction,
    )
    else {
        return Err(AppError::internal("checked onboarding answer missing"));
    };
    let given = Given {
        sex: Some(sex),
        age: Some(age),
        height_cm: Some(height_cm),
        weight_kg: Some(weight_kg),
        activity: Some(activity),
        weekly_change_kg: direction.weekly_change_kg(),
        ..Given::default()
    };
    let suggestion = compute(&given, &Known::default())
        .map_err(|_| AppError::internal("a complete onboarding answer left inputs missing"))?;
    let whole = |d: Decimal| d.round();
    Ok(OnboardingPlan {
        units,
        timezone,
        sex,
        birth_date,
        height_cm,
        weight,
        weight_unit,
        weight_kg,
        activity,
        direction,
        calories: whole(suggestion.target_calories.decimal()),
        protein_g: whole(suggestion.macros.protein_g.decimal()),
        carbohydrates_g: whole(suggestion.macros.carbohydrates_g.decimal()),
        fat_g: whole(suggestion.macros.fat_g.decimal()),
        suggestion,
    })
}

/// Saves the answers of the signed-in user: preferences (units, timezone), profile, today's
/// weight and the calorie and macro targets (replacing active ones), and marks onboarding
/// done. All in `tx`: the caller commits once.
pub async fn complete(tx: &mut UserTx, input: &OnboardingInput) -> AppResult<OnboardingPlan> {
    let p = plan(input)?;
    preferences::update(
        tx,
        Acting::ME,
        PreferencesUpdate {
            theme: None,
            units_system: Some(p.units),
            ai_provider: None,
            timezone: Some(p.timezone.clone()),
            exercise_eat_back_percent: None,
            week_start: None,
        },
    )
    .await?;
    profile::update(
        tx,
        &ProfileChange {
            sex: Some(Some(p.sex)),
            birth_date: Some(Some(p.birth_date)),
            height_cm: Some(Some(p.height_cm)),
            activity_level: Some(Some(p.activity)),
        },
    )
    .await?;
    measurements::log(
        tx,
        Acting::ME,
        &LogMeasurement {
            kind: "weight".into(),
            value: p.weight,
            unit: Some(p.weight_unit),
            measured_at: None,
            date: None,
            note: None,
        },
    )
    .await?;
    let target = |goal_type, value| TargetChange {
        goal_type,
        value: Some(value),
        unit: None,
        by_weekday: None,
    };
    set_targets(
        tx,
        Acting::ME,
        &[
            target(GoalType::CalorieTarget, p.calories),
            target(GoalType::ProteinTarget, p.protein_g),
            target(GoalType::CarbsTarget, p.carbohydrates_g),
            target(GoalType::FatTarget, p.fat_g),
        ],
    )
    .await?;
    mark_done(tx).await?;
    Ok(p)
}

/// Notes that the signed-in user skipped onboarding (nothing else changes).
pub async fn skip(tx: &mut UserTx) -> AppResult<()> {
    mark_done(tx).await
}

async fn mark_done(tx: &mut UserTx) -> AppResult<()> {
    tx.execute(
        "UPDATE user_preferences SET onboarded_at = coalesce(onboarded_at, now())
         WHERE user_id = auth.uid()",
        &[],
    )
    .await?;
    Ok(())
}

/// Whether the signed-in user finished or skipped onboarding.
pub async fn is_done(tx: &mut UserTx) -> AppResult<bool> {
    let row = tx
        .query_opt(
            "SELECT onboarded_at IS NOT NULL FROM user_preferences WHERE user_id = auth.uid()",
            &[],
        )
        .await?;
    // No preferences row (an account made outside registration): nothing to onboard into.
    Ok(row.map(|r| r.get::<_, bool>(0)).unwrap_or(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> OnboardingInput {
        OnboardingInput {
            units_system: "metric".into(),
            timezone: "Europe/Berlin".into(),
            sex: "female".into(),
            birth_date: "1990-06-15".into(),
            height: "170".into(),
            weight: "70,5".into(),
            activity: "moderate".into(),
            goal: "lose".into(),
            ..OnboardingInput::default()
        }
    }

    #[test]
    fn answers_become_the_suggested_targets() {
        let p = plan(&answers()).unwrap();
        assert_eq!(p.weight_kg, Decimal::new(705, 1));
        assert_eq!(p.suggestion.bmr_formula, "Mifflin-St Jeor");
        assert_eq!(p.suggestion.weekly_change_kg.decimal(), Decimal::new(-5, 1));
        assert_eq!(p.calories, p.suggestion.target_calories.decimal().round());
        assert!(p.calories < p.suggestion.tdee.decimal());
    }

    #[test]
    fn imperial_answers_are_converted_and_every_problem_is_named() {
        let mut a = answers();
        a.units_system = "imperial".into();
        a.height = "70".into();
        a.weight = "180".into();
        let p = plan(&a).unwrap();
        assert_eq!(p.height_cm, Decimal::new(17780, 2));
        assert_eq!(p.weight_unit, MeasureUnit::Lb);
        let bad = OnboardingInput {
            birth_date: "2020-01-01".into(),
            height: "12".into(),
            ..answers()
        };
        let AppError::Invalid(fields) = plan(&bad).unwrap_err() else {
            panic!("not a validation error")
        };
        assert!(fields.0.contains_key("birth_date") && fields.0.contains_key("height"));
        let AppError::Invalid(fields) = plan(&OnboardingInput::default()).unwrap_err() else {
            panic!("not a validation error")
        };
        assert_eq!(fields.0.len(), 8, "{fields:?}");
    }
}
