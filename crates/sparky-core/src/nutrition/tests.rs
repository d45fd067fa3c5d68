use super::*;

fn per_100g() -> Serving {
    Serving {
        size: dec!(100),
        unit: "g".into(),
        weight_g: None,
        nutrients: Nutrients {
            calories: Some(dec!(389)),
            protein: Some(dec!(16.9)),
            fat: Some(dec!(6.9)),
            sodium: Some(dec!(2)),
            ..Nutrients::default()
        },
    }
}

fn slice() -> Serving {
    Serving {
        size: dec!(1),
        unit: "slice".into(),
        weight_g: Some(dec!(28)),
        nutrients: Nutrients {
            calories: Some(dec!(70)),
            ..Nutrients::default()
        },
    }
}

fn cup() -> Serving {
    Serving {
        size: dec!(1),
        unit: "Cups".into(),
        weight_g: Some(dec!(244)),
        nutrients: Nutrients {
            calories: Some(dec!(149)),
            ..Nutrients::default()
        },
    }
}

#[test]
fn names_match_fields() {
    let mut n = Nutrients::default();
    for (i, name) in Nutrients::NAMES.iter().enumerate() {
        n.set(name, Some(Decimal::from(i)));
    }
    let json = serde_json::to_value(&n).unwrap();
    for (i, (name, v)) in n.iter().enumerate() {
        assert_eq!(name, Nutrients::NAMES[i]);
        assert_eq!(v, Some(Decimal::from(i)));
        assert_eq!(n.get(name), v);
        assert_eq!(json[name], serde_json::json!(i as f64), "{name}");
    }
    assert_eq!(n.get("nonsense"), None);
    assert_eq!(n.vitamin_c, Some(dec!(14)));
}

#[test]
fn serde_round_trips_exact_values() {
    let n = Nutrients {
        calories: Some(dec!(0.1)),
        ..Nutrients::default()
    };
    // Printed as a number, read back as the exact decimal; unknown values are left out.
    let text = serde_json::to_string(&n).unwrap();
    assert_eq!(text, r#"{"calories":0.1}"#);
    assert_eq!(serde_json::from_str::<Nutrients>(&text).unwrap(), n);
    let partial: Nutrients = serde_json::from_str(r#"{"protein": "3.25"}"#).unwrap();
    assert_eq!(partial.protein, Some(dec!(3.25)));
    assert_eq!(partial.calories, None);
}

#[test]
fn unknown_is_not_zero() {
    let a = Nutrients {
        calories: Some(dec!(100)),
        ..Nutrients::default()
    };
    let b = Nutrients {
        calories: Some(dec!(50)),
        protein: Some(dec!(3)),
        ..Nutrients::default()
    };
    let total = Nutrients::sum([&a, &b]);
    assert_eq!(total.calories, Some(dec!(150)));
    assert_eq!(total.protein, Some(dec!(3)));
    assert_eq!(total.fat, None);
    assert_eq!(Nutrients::sum([]), Nutrients::default());
    assert_eq!(a.scale(dec!(2.5)).calories, Some(dec!(250)));
    assert_eq!(a.scale(dec!(2.5)).fat, None);
}

#[test]
fn validation() {
    assert_eq!(per_100g().nutrients.validate(), Ok(()));
    let mut n = Nutrients::default();
    n.set("sodium", Some(dec!(-1)));
    assert_eq!(n.validate(), Err(("sodium", "must not be negative")));
    n.set("sodium", Some(dec!(100000)));
    assert_eq!(n.validate(), Ok(()));
    n.set("calories", Some(dec!(100000.01)));
    assert_eq!(n.validate(), Err(("calories", "must be at most 100000")));
    n.set("calories", Some(-Decimal::ZERO));
    assert_eq!(n.validate(), Ok(()));
}

#[test]
fn servings_by_mass_volume_and_count() {
    let oats = per_100g();
    assert_eq!(servings_for(dec!(150), Unit::G, &oats).unwrap(), dec!(1.5));
    assert_eq!(
        servings_for(dec!(2), Unit::Serving, &oats).unwrap(),
        dec!(2)
    );
    assert_eq!(
        servings_for(dec!(1), Unit::Lb, &oats).unwrap(),
        dec!(4.5359237)
    );
    assert_eq!(
        servings_for(dec!(1), Unit::Cup, &oats),
        Err(NutritionError::NotConvertible {
            unit: Unit::Cup,
            serving_unit: "g".into()
        })
    );
    // Free-text unit: by weight, or by count.
    assert_eq!(servings_for(dec!(56), Unit::G, &slice()).unwrap(), dec!(2));
    assert_eq!(
        servings_for(dec!(1), Unit::Oz, &slice()).unwrap(),
        dec!(1.01248296875)
    );
    assert!(servings_for(dec!(1), Unit::Ml, &slice()).is_err());
    // Volume serving with a known weight: volume converts, mass goes through weight_g.
    assert_eq!(servings_for(dec!(8), Unit::FlOz, &cup()).unwrap(), dec!(1));
    assert_eq!(servings_for(dec!(122), Unit::G, &cup()).unwrap(), dec!(0.5));
}

#[test]
fn bad_input_is_refused() {
    assert_eq!(
        servings_for(dec!(0), Unit::G, &per_100g()),
        Err(NutritionError::InvalidQuantity)
    );
    assert_eq!(
        servings_for(dec!(-1), Unit::Serving, &per_100g()),
        Err(NutritionError::InvalidQuantity)
    );
    let mut zero = per_100g();
    zero.size = Decimal::ZERO;
    assert_eq!(
        servings_for(dec!(1), Unit::G, &zero),
        Err(NutritionError::InvalidServing)
    );
    let mut weightless = slice();
    weightless.weight_g = Some(Decimal::ZERO);
    assert_eq!(
        servings_for(dec!(1), Unit::Serving, &weightless),
        Err(NutritionError::InvalidServing)
    );
    assert_eq!(
        nutrients_for(Decimal::MAX, Unit::Kg, &per_100g()),
        Err(NutritionError::InvalidQuantity)
    );
}

#[test]
fn ratio_applied_once_and_rounded_once() {
    let n = nutrients_for(dec!(150), Unit::G, &per_100g()).unwrap();
    assert_eq!(n.calories, Some(dec!(583.5)));
    assert_eq!(n.calories.unwrap().to_string(), "583.5");
    assert_eq!(n.protein, Some(dec!(25.35)));
    assert_eq!(n.carbohydrates, None);
    // 1 oz of a 100 g serving: 389 × 0.28349523125 = 110.27964495625
    let n = nutrients_for(dec!(1), Unit::Oz, &per_100g()).unwrap();
    assert_eq!(n.calories, Some(dec!(110.2796)));
    // A third of a serving is rounded at the end, not at 0.3333 servings.
    let third = Serving {
        size: dec!(30),
        ..per_100g()
    };
    let n = nutrients_for(dec!(10), Unit::G, &third).unwrap();
    assert_eq!(n.calories, Some(dec!(129.6667)));
}

#[test]
fn doubling_is_exact_to_28_digits_not_always_to_the_last() {
    let third = Serving {
        size: dec!(30),
        ..per_100g()
    };
    let one = servings_for(dec!(100), Unit::G, &third).unwrap();
    let two = servings_for(dec!(200), Unit::G, &third).unwrap();
    assert_eq!(one, dec!(3.3333333333333333333333333333));
    assert_eq!(two, dec!(6.6666666666666666666666666667));
    assert_eq!(two - one * dec!(2), dec!(0.0000000000000000000000000001));
}

#[test]
fn kilojoules() {
    assert_eq!(kj_to_kcal(dec!(4.184)), dec!(1));
    assert_eq!(kj_to_kcal(dec!(1000)), dec!(239.0057));
}

fn serving(size: Decimal, unit: &str) -> Serving {
    Serving {
        size,
        unit: unit.into(),
        weight_g: Some(dec!(118)),
        nutrients: Nutrients {
            calories: Some(dec!(105)),
            ..Default::default()
        },
    }
}

#[test]
fn unit_words_match_servings() {
    assert!(unit_word_matches("slice", "slices"));
    assert!(unit_word_matches("Slices", "slice"));
    assert!(unit_word_matches("medium", "medium (7\" to 7-7/8\" long)"));
    assert!(unit_word_matches("CUP", "cup, chopped"));
    assert!(!unit_word_matches("large", "medium (7\" to 7-7/8\" long)"));
    assert!(!unit_word_matches("", "slice"));
    assert!(unit_word_matches("peaches", "peach"));
}

#[test]
fn counts_in_the_servings_own_unit() {
    let s = serving(dec!(1), "medium (7\" to 7-7/8\" long)");
    let (n, unit) = servings_in(dec!(2), "medium", &s).unwrap();
    assert_eq!(n, dec!(2));
    assert_eq!(unit, "medium (7\" to 7-7/8\" long)");
    let (n, unit) = servings_in(dec!(236), "g", &s).unwrap();
    assert_eq!((n, unit.as_str()), (dec!(2), "g"));
    let two_slices = serving(dec!(2), "slices");
    assert_eq!(
        servings_in(dec!(1), "slice", &two_slices).unwrap().0,
        dec!(0.5)
    );
    assert!(matches!(
        servings_in(dec!(1), "bucket", &s),
        Err(NutritionError::UnknownUnit { .. })
    ));
    assert_eq!(
        nutrients_of_servings(dec!(2), &s).unwrap().calories,
        Some(dec!(210))
    );
}

#[test]
fn partial_totals_are_named() {
    let a = Nutrients {
        calories: Some(dec!(1)),
        fiber: Some(dec!(2)),
        ..Default::default()
    };
    let b = Nutrients {
        calories: Some(dec!(1)),
        ..Default::default()
    };
    assert_eq!(partially_known([&a, &b]), vec!["fiber"]);
    assert!(partially_known([&b, &b]).is_empty());
}
