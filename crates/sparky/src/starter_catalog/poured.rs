//! Drinks and soups of the supplement, which come without household measures yet are poured:
//! a cup and a fluid ounce for each.

use rust_decimal::Decimal;

use super::{Portion, StarterFood};

/// FoodData Central's survey groups of drinks and soups. Their foods come without household
/// measures, yet are poured: they get a cup (240 ml) and a fluid ounce (30 ml), the measures
/// of US nutrition labels, weighed at water's density, or milk's (1.03 g/ml) for the groups
/// named with "milk" (a cup of milk weighs 244 g in SR24). Soups served as a bowl (ramen) are
/// not poured, and condensed milk is a syrup: they keep 100 g.
const POURED_GROUPS: &[&str] = &[
    "Apple juice",
    "Baby juice",
    "Baby water",
    "Beer",
    "Bottled water",
    "Citrus juice",
    "Coffee",
    "Diet soft drinks",
    "Diet sport and energy drinks",
    "Enhanced water",
    "Flavored milk, lowfat",
    "Flavored milk, nonfat",
    "Flavored milk, reduced fat",
    "Flavored milk, whole",
    "Flavored or carbonated water",
    "Fruit drinks",
    "Liquor and cocktails",
    "Milk shakes and other dairy drinks",
    "Milk, lowfat",
    "Milk, nonfat",
    "Milk, reduced fat",
    "Milk, whole",
    "Other diet drinks",
    "Other fruit juice",
    "Plant-based milk",
    "Smoothies and grain drinks",
    "Soft drinks",
    "Soups, broth-based",
    "Soups, cream-based",
    "Sport and energy drinks",
    "Tap water",
    "Tea",
    "Vegetable juice",
    "Wine",
];

/// A cup and a fluid ounce of a food of `group` (see [`POURED_GROUPS`]), unless it is not
/// poured or already has such a measure.
pub fn measures(group: &str, food: &StarterFood) -> Vec<Portion> {
    let by_volume = |p: &Portion| {
        let unit = p.unit.to_lowercase();
        unit.contains("cup") || unit.contains("fl oz")
    };
    if !POURED_GROUPS.contains(&group)
        || food.name.to_lowercase().contains("condensed")
        || food.portions.iter().any(by_volume)
    {
        return Vec::new();
    }
    let grams_per_ml = if group.to_lowercase().contains("milk") {
        Decimal::new(103, 2)
    } else {
        Decimal::ONE
    };
    [("cup", 240), ("fl oz", 30)]
        .into_iter()
        .map(|(unit, ml)| Portion {
            amount: Decimal::ONE,
            unit: unit.into(),
            grams: (Decimal::from(ml) * grams_per_ml).normalize(),
        })
        .collect()
}
