//! Another tracker's nutrient columns Sparky has no field for (Cronometer's `Caffeine (mg)`)
//! kept as the user's custom nutrients of the same name.

use rust_decimal::Decimal;
use sparky_db::UserTx;
use sparky_import::ExtraColumn;

use crate::custom_nutrients::{Amounts, MAX_SERVING_AMOUNT};
use crate::error::AppResult;

use super::preview::{CustomNutrientColumn, MAX_COLUMNS};

/// Where each extra column's amounts go: the definition's name and unit, and the factor
/// from the column's unit to the definition's; `None`: not kept.
pub(super) struct CustomColumns(Vec<Option<(String, String, Decimal)>>);

/// One of `g`, `mg`, `µg` in micrograms; IU is no mass.
fn micrograms(unit: &str) -> Option<Decimal> {
    match unit {
        "g" => Some(Decimal::from(1_000_000)),
        "mg" => Some(Decimal::from(1_000)),
        "µg" => Some(Decimal::ONE),
        _ => None,
    }
}

/// The factor that turns an amount in `from` into one in `to`: masses convert, IU only
/// to IU.
pub(super) fn unit_factor(from: &str, to: &str) -> Option<Decimal> {
    if from == to {
        return Some(Decimal::ONE);
    }
    Some(micrograms(from)? / micrograms(to)?)
}

/// Matches the file's extra columns with the user's definitions (any letter case), and says
/// in the preview what each became.
pub(super) async fn columns(
    tx: &mut UserTx,
    extra: &[ExtraColumn],
    preview: &mut Vec<CustomNutrientColumn>,
) -> AppResult<CustomColumns> {
    if extra.is_empty() {
        return Ok(CustomColumns(Vec::new()));
    }
    let defined: Vec<(String, String)> = tx
        .query(
            "SELECT name, unit FROM custom_nutrients WHERE user_id = auth.uid()",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut out = Vec::with_capacity(extra.len());
    for c in extra {
        let def = defined
            .iter()
            .find(|(name, _)| name.to_lowercase() == c.name.to_lowercase());
        let (kept, note) = match def {
            None => (
                None,
                format!(
                    "not kept: define a custom nutrient named {} (Settings) to keep it",
                    c.name
                ),
            ),
            Some((name, unit)) => match unit_factor(c.unit, unit) {
                Some(f) => (
                    Some((name.clone(), unit.clone(), f)),
                    format!("kept as {name} ({unit})"),
                ),
                None => (
                    None,
                    format!(
                        "not kept: your {name} is in {unit}, which {} does not convert to",
                        c.unit
                    ),
                ),
            },
        };
        if preview.len() < MAX_COLUMNS {
            preview.push(CustomNutrientColumn {
                column: c.column.clone(),
                custom_nutrient: kept.as_ref().map(|(n, _, _)| n.clone()),
                note,
            });
        }
        out.push(kept);
    }
    Ok(CustomColumns(out))
}

impl CustomColumns {
    /// A record's amounts (its `extra`) under the user's names and in their units, or why
    /// the row cannot be kept (an amount a serving may not hold).
    pub(super) fn amounts(
        &self,
        amounts: &[(usize, Decimal)],
        extra: &[ExtraColumn],
    ) -> Result<Amounts, String> {
        let mut out = Amounts::new();
        for (i, amount) in amounts {
            let Some(Some((name, unit, factor))) = self.0.get(*i) else {
                continue;
            };
            // Two columns of one nutrient (mg and g): the first counts, like the built-ins.
            if out.contains_key(name) {
                continue;
            }
            let v = amount
                .checked_mul(*factor)
                .map(|v| sparky_core::units::round_dp(v, 4))
                .filter(|v| *v >= Decimal::ZERO && *v <= Decimal::from(MAX_SERVING_AMOUNT));
            match v {
                Some(v) => {
                    out.insert(name.clone(), v);
                }
                None => {
                    let column = extra.get(*i).map(|c| c.column.as_str()).unwrap_or(name);
                    return Err(format!(
                        "{column}: a serving holds from 0 to 100,000 {unit} of {name}"
                    ));
                }
            }
        }
        Ok(out)
    }
}
