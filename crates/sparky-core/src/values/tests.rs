use super::*;

#[test]
fn names_parse_in_any_case() {
    assert_eq!(MealType::parse(" Breakfast ").unwrap(), MealType::Breakfast);
    assert_eq!(MealType::parse("SNACK").unwrap(), MealType::Snack);
    assert_eq!(
        GoalType::parse("Weight-Loss").unwrap(),
        GoalType::WeightLoss
    );
    assert_eq!(
        AccessType::parse("food list").unwrap(),
        AccessType::FoodList
    );
    // Plurals are the same names.
    assert_eq!(WeightUnit::parse("lbs").unwrap(), WeightUnit::Lb);
    assert_eq!(WeightUnit::parse("KGs").unwrap(), WeightUnit::Kg);
    assert_eq!(MealType::parse("snacks").unwrap(), MealType::Snack);
    assert!(WeightUnit::parse("s").is_err());
    let e = MealType::parse("brunch").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown meal type \"brunch\"; use one of: breakfast, lunch, dinner, snack"
    );
}

#[test]
fn serde_round_trip() {
    let m: MealType = serde_json::from_str("\"LUNCH\"").unwrap();
    assert_eq!(serde_json::to_string(&m).unwrap(), "\"lunch\"");
    assert!(serde_json::from_str::<MealType>("5").is_err());
    assert_eq!(
        UnitsSystem::from_preference(Some("Imperial")),
        UnitsSystem::Imperial
    );
    assert_eq!(UnitsSystem::from_preference(None), UnitsSystem::Metric);
}

#[test]
fn amounts_are_exact_both_ways() {
    for s in ["0.1", "644.3", "12.5", "0.0001", "99999999.9999", "3092.64"] {
        let a: Amount = serde_json::from_str(s).unwrap();
        assert_eq!(a.0, Decimal::from_str(s).unwrap(), "{s}");
        assert_eq!(serde_json::to_string(&a).unwrap(), s, "{s}");
    }
    let a: Amount = serde_json::from_str("\"644.3000\"").unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), "644.3");
    assert_eq!(
        serde_json::to_string(&Amount(Decimal::from(100))).unwrap(),
        "100.0"
    );
    assert!(serde_json::from_str::<Amount>("\"abc\"").is_err());
    assert!(serde_json::from_str::<Amount>("true").is_err());
}

#[test]
fn dates_are_in_range() {
    assert!(Date::parse("2026-11-25").is_ok());
    assert_eq!(Date::parse("9999-12-31"), Err(DateError::OutOfRange));
    assert_eq!(Date::parse("1899-12-31"), Err(DateError::OutOfRange));
    assert_eq!(Date::parse("2026-13-01"), Err(DateError::Format));
    for loose in [
        "2026-1-05",
        "2026-01-5",
        " 2026-01-05",
        "2026-01-05 ",
        "+2026-01-05",
    ] {
        assert_eq!(Date::parse(loose), Err(DateError::Format), "{loose:?}");
    }
    assert!(serde_json::from_str::<Date>("\"9999-12-31\"").is_err());
    assert!(serde_json::from_str::<Timestamp>("\"9999-12-31T00:00:00Z\"").is_err());
    assert!(serde_json::from_str::<Timestamp>("\"2026-11-25T08:30:00+13:00\"").is_ok());
    // Noon on the last and first days, the default times of entries dated them, come
    // back in; a day beyond what any timezone could make of the range does not.
    for ok in [
        "2199-12-31T12:00:00Z",
        "1900-01-01T12:00:00Z",
        "2200-01-01T11:00:00Z",
    ] {
        assert!(
            serde_json::from_str::<Timestamp>(&format!("\"{ok}\"")).is_ok(),
            "{ok}"
        );
    }
    for out in ["2200-01-02T00:00:00Z", "1899-12-30T23:59:59Z"] {
        assert!(
            serde_json::from_str::<Timestamp>(&format!("\"{out}\"")).is_err(),
            "{out}"
        );
    }
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    assert!(Timestamp::day_in_range_everywhere(at(
        "2199-12-30T23:59:59Z"
    )));
    assert!(!Timestamp::day_in_range_everywhere(at(
        "2199-12-31T00:00:00Z"
    )));
    assert!(Timestamp::day_in_range_everywhere(at(
        "1900-01-02T00:00:00Z"
    )));
    assert!(!Timestamp::day_in_range_everywhere(at(
        "1900-01-01T23:59:59Z"
    )));
}
