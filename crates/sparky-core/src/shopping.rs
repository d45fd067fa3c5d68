//! A shopping list: what a meal plan needs over some days, added up per food. Amounts of one
//! food in different units come together in grams when every one of them has a known weight;
//! otherwise each unit is a line of its own (a cup of milk and a litre of it are not added).

use rust_decimal::Decimal;

/// One planned amount of a food (or of an ingredient of a planned recipe).
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// What tells foods apart: the food's id, or its name when the food is gone.
    pub key: String,
    pub name: String,
    pub brand: Option<String>,
    pub amount: Decimal,
    pub unit: String,
    /// The amount's weight, when known.
    pub grams: Option<Decimal>,
    /// The recipe it goes into, when it is an ingredient.
    pub recipe: Option<String>,
}

/// One line of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub key: String,
    pub name: String,
    pub brand: Option<String>,
    /// In `unit`: grams when every amount of the food had a weight.
    pub amount: Decimal,
    pub unit: String,
    /// The line's weight, when every amount in it had one.
    pub grams: Option<Decimal>,
    /// Recipes it goes into, in the order first needed.
    pub recipes: Vec<String>,
    /// Some of it is planned as itself, not only in recipes.
    pub planned_as_itself: bool,
}

/// Adds `needs` up into lines, by name (letter case aside), then brand and unit.
pub fn shopping_list(needs: &[Need]) -> Vec<Line> {
    let mut keys: Vec<&str> = Vec::new();
    for n in needs {
        if !keys.contains(&n.key.as_str()) {
            keys.push(&n.key);
        }
    }
    let mut lines = Vec::new();
    for key in keys {
        let of_food: Vec<&Need> = needs.iter().filter(|n| n.key == key).collect();
        let all_weighed = of_food.iter().all(|n| n.grams.is_some());
        // Units in the order they first appear; one "g" line when every amount is weighed.
        let mut units: Vec<String> = Vec::new();
        for n in &of_food {
            let unit = if all_weighed { "g" } else { n.unit.as_str() };
            if !units.iter().any(|u| u == unit) {
                units.push(unit.to_string());
            }
        }
        for unit in units {
            let part: Vec<&&Need> = of_food
                .iter()
                .filter(|n| all_weighed || n.unit == unit)
                .collect();
            let grams = part.iter().map(|n| n.grams).sum::<Option<Decimal>>();
            let amount = if all_weighed {
                grams.unwrap_or_default()
            } else {
                part.iter().map(|n| n.amount).sum()
            };
            let mut recipes: Vec<String> = Vec::new();
            for r in part.iter().filter_map(|n| n.recipe.as_ref()) {
                if !recipes.contains(r) {
                    recipes.push(r.clone());
                }
            }
            let planned_as_itself = part.iter().any(|n| n.recipe.is_none());
            let first = part[0];
            lines.push(Line {
                key: key.to_string(),
                name: first.name.clone(),
                brand: first.brand.clone(),
                amount,
                unit,
                grams,
                recipes,
                planned_as_itself,
            });
        }
    }
    lines.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.brand.cmp(&b.brand))
            .then_with(|| a.unit.cmp(&b.unit))
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn need(key: &str, amount: Decimal, unit: &str, grams: Option<Decimal>) -> Need {
        Need {
            key: key.into(),
            name: key.to_uppercase(),
            brand: None,
            amount,
            unit: unit.into(),
            grams,
            recipe: None,
        }
    }

    #[test]
    fn weighed_amounts_add_up_in_grams_and_others_per_unit() {
        let mut from_soup = need("onion", dec!(1), "piece", Some(dec!(110)));
        from_soup.recipe = Some("Soup".into());
        let lines = shopping_list(&[
            need("oats", dec!(40), "g", Some(dec!(40))),
            need("oats", dec!(0.5), "cup", Some(dec!(40.5))),
            need("milk", dec!(250), "ml", None),
            need("milk", dec!(1), "cup", None),
            need("milk", dec!(250), "ml", None),
            from_soup.clone(),
            need("onion", dec!(50), "g", Some(dec!(50))),
            from_soup,
        ]);
        type Shown = (String, Decimal, String, Option<Decimal>, Vec<String>);
        assert_eq!(
            lines
                .iter()
                .map(|l| l.planned_as_itself)
                .collect::<Vec<_>>(),
            vec![true, true, true, true]
        );
        let shown: Vec<Shown> = lines
            .into_iter()
            .map(|l| (l.name, l.amount, l.unit, l.grams, l.recipes))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("MILK".into(), dec!(1), "cup".into(), None, vec![]),
                ("MILK".into(), dec!(500), "ml".into(), None, vec![]),
                (
                    "OATS".into(),
                    dec!(80.5),
                    "g".into(),
                    Some(dec!(80.5)),
                    vec![]
                ),
                (
                    "ONION".into(),
                    dec!(270),
                    "g".into(),
                    Some(dec!(270)),
                    vec!["Soup".to_string()]
                ),
            ]
        );
        assert!(shopping_list(&[]).is_empty());
    }
}
