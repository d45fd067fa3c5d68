//! Checks of a label's values: impossible ones are a 422, an odd energy only a warning.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sparky_core::nutrition::Nutrients;
use sparky_core::units::round_dp;

use crate::error::{AppError, AppResult};

/// More energy than pure fat per 100 g is not food.
const MAX_KCAL_PER_100: Decimal = dec!(900);

fn impossible(problem: String) -> AppError {
    AppError::invalid(
        "image",
        format!(
            "the label cannot be right: {problem}; take the photo again or enter the food by hand"
        ),
    )
}

pub(super) fn negative_is_impossible(what: &str, name: &str, v: Decimal) -> AppResult<()> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(impossible(format!(
            "{} {what} is negative ({})",
            name.replace('_', " "),
            v.normalize()
        )));
    }
    Ok(())
}

/// Refuses values no food can have, per 100 g (or ml) of it.
pub(super) fn check_per_100(n: &Nutrients) -> AppResult<()> {
    if let Some(c) = n.calories.filter(|c| *c > MAX_KCAL_PER_100) {
        return Err(impossible(format!(
            "{} kcal per 100 g is more than pure fat has (900)",
            round_dp(c, 0)
        )));
    }
    for name in [
        "protein",
        "carbohydrates",
        "fat",
        "fiber",
        "sugar",
        "saturated_fat",
        "trans_fat",
    ] {
        if let Some(v) = n.get(name).filter(|v| *v > dec!(101)) {
            return Err(impossible(format!(
                "{} g of {} per 100 g",
                round_dp(v, 1).normalize(),
                name.replace('_', " ")
            )));
        }
    }
    let macros = [n.protein, n.carbohydrates, n.fat]
        .iter()
        .flatten()
        .copied()
        .sum::<Decimal>();
    if macros > dec!(102) {
        return Err(impossible(format!(
            "protein, carbohydrates and fat add up to {} g per 100 g",
            round_dp(macros, 1).normalize()
        )));
    }
    if let Some(s) = n.sodium.filter(|s| *s > dec!(40000)) {
        return Err(impossible(format!(
            "{} mg of sodium per 100 g is more than salt has",
            round_dp(s, 0)
        )));
    }
    Ok(())
}

/// "the label's 250 kcal do not match …" when kcal and 4/4/9 × macros differ by over 20 %.
pub(super) fn energy_warning(n: &Nutrients) -> Option<String> {
    let (c, p, carbs, f) = (n.calories?, n.protein?, n.carbohydrates?, n.fat?);
    let estimate = dec!(4) * p + dec!(4) * carbs + dec!(9) * f;
    let larger = c.max(estimate);
    if larger < dec!(20) {
        return None;
    }
    ((c - estimate).abs() > larger * dec!(0.2)).then(|| {
        format!(
            "the energy ({} kcal) does not match the macros (about {} kcal from 4 × protein + \
             4 × carbohydrates + 9 × fat): check the numbers",
            round_dp(c, 0),
            round_dp(estimate, 0)
        )
    })
}
