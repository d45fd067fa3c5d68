//! Recipes: what one serving of a dish made of other foods holds. The ingredients' portions
//! come from [`crate::nutrition::portion`]-style arithmetic (each rounded to the stored
//! precision); here they are added up and divided by the servings the recipe makes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::nutrition::{Nutrients, Serving, STORE_DP};
use crate::units::{convert, round_dp, Dimension, Unit};

/// The most servings a recipe can make.
pub const MAX_SERVINGS: Decimal = dec!(1000);
/// The heaviest serving (grams), as for any food's serving.
pub const MAX_SERVING_WEIGHT_G: Decimal = dec!(100000);
/// The most of any nutrient one serving holds, as for any food's serving.
const MAX_SERVING_AMOUNT: Decimal = dec!(100000);

/// Grams in `servings` servings of `serving`, when they are known: from the serving's weight,
/// else from its own unit when that is a mass ("100 g"). A volume without a weight is unknown.
pub fn grams_of(serving: &Serving, servings: Decimal) -> Option<Decimal> {
    if let Some(w) = serving.weight_g {
        return w.checked_mul(servings);
    }
    let unit = Unit::parse(&serving.unit).ok()?;
    if unit.dimension() != Dimension::Mass {
        return None;
    }
    let amount = serving.size.checked_mul(servings)?;
    convert(amount, unit, Unit::G).ok()
}

/// One ingredient as it goes into the recipe: its nutrients and, when known, its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub nutrients: Nutrients,
    pub grams: Option<Decimal>,
    /// Amounts of custom nutrients, by name.
    pub custom: BTreeMap<String, Decimal>,
}

/// What the recipe adds up to.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    /// The whole recipe (exact sum of the parts).
    pub total: Nutrients,
    /// One serving, rounded to the stored precision.
    pub per_serving: Nutrients,
    /// Custom nutrients of one serving, by name, rounded to the stored precision.
    pub custom_per_serving: BTreeMap<String, Decimal>,
    /// The ingredients' weight, when every ingredient's is known.
    pub ingredients_weight_g: Option<Decimal>,
    /// One serving's weight: the cooked weight, else the ingredients' weight, divided by the
    /// servings (4 places); unknown when neither is known.
    pub serving_weight_g: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecipeError {
    #[error("must be greater than 0 and at most 1000")]
    InvalidServings,
    #[error("one serving would hold more than 100000 of {0}; make more servings")]
    ServingTooRich(&'static str),
    #[error("one serving would weigh more than 100 kg; make more servings")]
    ServingTooHeavy,
}

/// Adds the parts up and divides by `servings`. With no parts the nutrients are unknown.
pub fn totals(
    parts: &[Part],
    servings: Decimal,
    cooked_weight_g: Option<Decimal>,
) -> Result<Totals, RecipeError> {
    if servings <= Decimal::ZERO || servings > MAX_SERVINGS {
        return Err(RecipeError::InvalidServings);
    }
    let total = Nutrients::sum(parts.iter().map(|p| &p.nutrients));
    let one = Serving {
        size: Decimal::ONE,
        unit: "serving".into(),
        weight_g: None,
        nutrients: total.clone(),
    };
    // servings ≤ 1000 and each part's values fit the stored columns, so this cannot overflow.
    let per_serving = crate::nutrition::nutrients_of_servings(Decimal::ONE / servings, &one)
        .map_err(|_| RecipeError::ServingTooRich("calories"))?;
    if let Err((name, _)) = per_serving.validate() {
        return Err(RecipeError::ServingTooRich(name));
    }
    let mut custom_total: BTreeMap<String, Decimal> = BTreeMap::new();
    for (name, amount) in parts.iter().flat_map(|p| &p.custom) {
        *custom_total.entry(name.clone()).or_default() += *amount;
    }
    let custom_per_serving: BTreeMap<String, Decimal> = custom_total
        .into_iter()
        .map(|(name, amount)| (name, round_dp(amount / servings, STORE_DP)))
        .collect();
    if custom_per_serving.values().any(|v| *v > MAX_SERVING_AMOUNT) {
        return Err(RecipeError::ServingTooRich("a custom nutrient"));
    }
    let ingredients_weight_g = if parts.is_empty() {
        None
    } else {
        parts
            .iter()
            .try_fold(Decimal::ZERO, |acc, p| acc.checked_add(p.grams?))
    };
    let serving_weight_g = cooked_weight_g
        .or(ingredients_weight_g)
        .map(|w| round_dp(w / servings, STORE_DP).normalize())
        .filter(|w| !w.is_zero());
    if serving_weight_g.is_some_and(|w| w > MAX_SERVING_WEIGHT_G) {
        return Err(RecipeError::ServingTooHeavy);
    }
    Ok(Totals {
        total,
        per_serving,
        custom_per_serving,
        ingredients_weight_g,
        serving_weight_g,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nutrients(kcal: Decimal, protein: Option<Decimal>) -> Nutrients {
        let mut n = Nutrients::default();
        n.set("calories", Some(kcal));
        n.set("protein", protein);
        n
    }

    fn serving(size: Decimal, unit: &str, weight_g: Option<Decimal>) -> Serving {
        Serving {
            size,
            unit: unit.into(),
            weight_g,
            nutrients: Nutrients::default(),
        }
    }

    #[test]
    fn grams_from_weight_mass_unit_or_unknown() {
        assert_eq!(
            grams_of(&serving(dec!(1), "slice", Some(dec!(28))), dec!(2)),
            Some(dec!(56))
        );
        assert_eq!(
            grams_of(&serving(dec!(100), "g", None), dec!(1.5)),
            Some(dec!(150))
        );
        assert_eq!(
            grams_of(&serving(dec!(1), "oz", None), dec!(2)),
            Some(dec!(56.69904625))
        );
        assert_eq!(grams_of(&serving(dec!(1), "cup", None), dec!(1)), None);
        assert_eq!(grams_of(&serving(dec!(1), "slice", None), dec!(1)), None);
    }

    #[test]
    fn per_serving_divides_the_sum_and_keeps_partial_values() {
        let parts = [
            Part {
                nutrients: nutrients(dec!(364), Some(dec!(10.33))),
                grams: Some(dec!(100)),
                custom: BTreeMap::new(),
            },
            Part {
                nutrients: nutrients(dec!(143), None),
                grams: Some(dec!(200)),
                custom: BTreeMap::new(),
            },
        ];
        let t = totals(&parts, dec!(3), None).unwrap();
        assert_eq!(t.total.get("calories"), Some(dec!(507)));
        assert_eq!(t.per_serving.get("calories"), Some(dec!(169)));
        // 10.33 / 3 = 3.44333… → 3.4433 (stored precision).
        assert_eq!(t.per_serving.get("protein"), Some(dec!(3.4433)));
        assert_eq!(t.per_serving.get("fat"), None);
        assert_eq!(t.ingredients_weight_g, Some(dec!(300)));
        assert_eq!(t.serving_weight_g, Some(dec!(100)));
        // Weighed after cooking: water went, the serving is lighter.
        let cooked = totals(&parts, dec!(3), Some(dec!(240))).unwrap();
        assert_eq!(cooked.serving_weight_g, Some(dec!(80)));
        assert_eq!(cooked.per_serving, t.per_serving);
    }

    #[test]
    fn custom_nutrients_add_up_and_divide_by_the_servings() {
        let part = |name: &str, amount: Decimal| Part {
            nutrients: nutrients(dec!(10), None),
            grams: None,
            custom: BTreeMap::from([(name.to_string(), amount)]),
        };
        let parts = [
            part("Caffeine", dec!(95)),
            part("Caffeine", dec!(5)),
            part("Omega 3", dec!(1)),
        ];
        let t = totals(&parts, dec!(3), None).unwrap();
        assert_eq!(t.custom_per_serving["Caffeine"], dec!(33.3333));
        assert_eq!(t.custom_per_serving["Omega 3"], dec!(0.3333));
        let rich = [part("Caffeine", dec!(200001))];
        assert_eq!(
            totals(&rich, dec!(2), None),
            Err(RecipeError::ServingTooRich("a custom nutrient"))
        );
    }

    #[test]
    fn unknown_weight_and_empty_recipes() {
        let parts = [Part {
            nutrients: nutrients(dec!(100), None),
            grams: None,
            custom: BTreeMap::new(),
        }];
        let t = totals(&parts, dec!(2), None).unwrap();
        assert_eq!(t.ingredients_weight_g, None);
        assert_eq!(t.serving_weight_g, None);
        let empty = totals(&[], dec!(4), None).unwrap();
        assert_eq!(empty.per_serving, Nutrients::default());
        assert_eq!(empty.serving_weight_g, None);
    }

    #[test]
    fn refuses_bad_servings_and_absurd_servings() {
        assert_eq!(
            totals(&[], dec!(0), None),
            Err(RecipeError::InvalidServings)
        );
        assert_eq!(
            totals(&[], dec!(1000.01), None),
            Err(RecipeError::InvalidServings)
        );
        let rich = [Part {
            nutrients: nutrients(dec!(250000), None),
            grams: Some(dec!(300000)),
            custom: BTreeMap::new(),
        }];
        assert_eq!(
            totals(&rich, dec!(2), None),
            Err(RecipeError::ServingTooRich("calories"))
        );
        assert!(totals(&rich, dec!(3), None).is_ok());
        assert_eq!(
            totals(&rich, dec!(3), Some(dec!(400000))),
            Err(RecipeError::ServingTooHeavy)
        );
    }
}
