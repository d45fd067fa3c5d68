//! Unit tests: label answers read into food proposals.

use super::*;
use serde_json::json;

fn kcal(s: &ServingInput) -> Option<Decimal> {
    s.nutrients.calories
}

#[test]
fn a_us_label_with_a_serving() {
    let r = read(&json!({
        "name": "Oat cookies", "brand": "Acme",
        "serving": {"size": 2, "unit": "cookies", "weight_g": 30},
        "per_serving": {"calories": 150, "protein": 2, "carbohydrates": 20, "sugar": 8,
                        "fat": 7, "sodium": "95 mg", "Total Fat": 99},
        "per_100g": null
    }))
    .unwrap();
    assert_eq!(r.food.name, "Oat cookies");
    assert_eq!(r.food.brand.as_deref(), Some("Acme"));
    assert_eq!(r.food.servings.len(), 1);
    let s = &r.food.servings[0];
    assert_eq!((s.size.0, s.unit.as_str()), (dec!(2), "cookies"));
    assert_eq!(s.weight_g, Some(Amount(dec!(30))));
    assert_eq!(kcal(s), Some(dec!(150)));
    assert_eq!(s.nutrients.sodium, Some(dec!(95)));
    // The first of duplicate names wins.
    assert_eq!(s.nutrients.fat, Some(dec!(7)));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn per_100g_and_a_serving_size_give_both_servings() {
    let r = read(&json!({
        "name": "Muesli",
        "serving_size": "1 bowl (45 g)",
        "per_100g": {"energy": "1550 kJ / 370 kcal", "protein": "10,5 g", "carbs": "60 g",
                     "fat": "8 g", "salt": "0,1 g"}
    }))
    .unwrap();
    assert_eq!(r.food.servings.len(), 2);
    let bowl = &r.food.servings[0];
    assert_eq!(bowl.unit, "bowl");
    assert_eq!(bowl.weight_g, Some(Amount(dec!(45))));
    assert_eq!(kcal(bowl), Some(dec!(166.5)));
    assert_eq!(bowl.nutrients.protein, Some(dec!(4.73)));
    let hundred = &r.food.servings[1];
    assert_eq!((hundred.size.0, hundred.unit.as_str()), (dec!(100), "g"));
    assert_eq!(kcal(hundred), Some(dec!(370)));
    assert_eq!(hundred.nutrients.sodium, Some(dec!(40)));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn kilojoules_only_are_converted() {
    let r = read(&json!({
        "name": "Yoghurt", "energy_unit": "kJ",
        "per_100g": {"calories": 418.4, "protein_g": 5, "carbohydrates_g": 12, "fat_g": 3}
    }))
    .unwrap();
    assert_eq!(kcal(&r.food.servings[0]), Some(dec!(100)));
    assert!(
        r.warnings.iter().any(|w| w.contains("kJ")),
        "{:?}",
        r.warnings
    );
    let r = read(&json!({"name": "Juice", "per_100ml": {"energy_kj": 180, "sugar": 10}})).unwrap();
    let s = &r.food.servings[0];
    assert_eq!(
        (s.size.0, s.unit.as_str(), s.weight_g),
        (dec!(100), "ml", None)
    );
    assert_eq!(kcal(s), Some(dec!(43)));
}

#[test]
fn impossible_values_are_refused() {
    for bad in [
        json!({"name": "x", "per_100g": {"calories": 1200, "fat": 100}}),
        json!({"name": "x", "per_100g": {"calories": 100, "protein": -3}}),
        json!({"name": "x", "per_100g": {"calories": "-100 kcal"}}),
        json!({"name": "x", "per_100g": {"protein": 80, "carbohydrates": 60}}),
        // 600 kcal in a 50 g serving is 1200 per 100 g.
        json!({"name": "x", "serving": "50 g", "per_serving": {"calories": 600}}),
    ] {
        let e = read(&bad).unwrap_err();
        let f = e.fields().unwrap();
        assert!(f.0["image"].contains("cannot be right"), "{bad}: {:?}", f.0);
    }
    assert!(read(&json!({"name": "x"})).is_err());
    assert!(read(&json!([])).is_err());
}

#[test]
fn energy_that_does_not_match_the_macros_is_a_warning() {
    let r = read(
        &json!({"name": "x", "per_100g": {"calories": 500, "protein": 10,
                                                    "carbohydrates": 10, "fat": 10}}),
    )
    .unwrap();
    assert!(
        r.warnings.iter().any(|w| w.contains("does not match")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn the_proposal_is_what_the_foods_api_takes() {
    let r = read(&json!({"per_serving": {"calories": "120", "protein": "3g"},
                         "serving": "1 slice"}))
    .unwrap();
    assert_eq!(r.food.name, "Food from a label");
    assert!(r.warnings.iter().any(|w| w.contains("name")));
    let v = serde_json::to_value(&r.food).unwrap();
    assert_eq!(v["barcode"], Value::Null);
    assert!(v["servings"][0].get("is_default").is_none(), "{v}");
    let back: FoodInput = serde_json::from_value(v).unwrap();
    back.parse().unwrap();
}
