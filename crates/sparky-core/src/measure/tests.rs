use super::*;

#[test]
fn body_readings_must_be_plausible_for_their_type() {
    assert!(check_plausible("weight", dec!(81.6)).is_ok());
    let e = check_plausible("weight", dec!(1000)).unwrap_err();
    assert_eq!(e.to_string(), "must be between 2 and 650 kg");
    let e = check_plausible("body_fat", dec!(0.22)).unwrap_err();
    assert!(e.to_string().ends_with("not a fraction (0.22)"), "{e}");
    assert!(check_plausible("height", dec!(3)).is_err());
    assert!(check_plausible("resting_heart_rate", dec!(0.5)).is_err());
    // Zero steps or water is a reading; ten million steps is not.
    assert!(check_plausible("steps", dec!(0)).is_ok());
    assert!(check_plausible("water", dec!(0)).is_ok());
    let e = check_plausible("steps", dec!(10000000)).unwrap_err();
    assert_eq!(e.to_string(), "must be between 0 and 300000 steps");
    assert!(check_plausible("water", dec!(20001)).is_err());
    // Custom types keep their dimension's bounds only.
    assert!(check_plausible("blood_glucose", dec!(0.5)).is_ok());
    let e = check_plausible("sleep_hours", dec!(30)).unwrap_err();
    assert_eq!(e.to_string(), "must be between 0 and 24 h");
}
use proptest::prelude::*;

#[test]
fn dimensions_read_and_print_by_name() {
    let d: Dimension = serde_json::from_str("\" Length \"").unwrap();
    assert_eq!(d, Dimension::Length);
    assert_eq!(serde_json::to_string(&Dimension::Mass).unwrap(), "\"mass\"");
    let e = serde_json::from_str::<Dimension>("\"colour\"").unwrap_err();
    assert!(
        e.to_string().starts_with("unknown dimension \"colour\""),
        "{e}"
    );
    let names: Vec<&str> = Dimension::ALL.iter().map(|d| d.as_str()).collect();
    assert_eq!(names, Dimension::NAMES);
}

#[test]
fn parses_units_and_dimensions() {
    for (s, u) in [
        ("KG", MeasureUnit::Kg),
        (" lbs ", MeasureUnit::Lb),
        ("inches", MeasureUnit::In),
        ("Fl  Oz", MeasureUnit::FlOz),
        ("%", MeasureUnit::Percent),
        ("steps", MeasureUnit::Count),
        ("bpm", MeasureUnit::Bpm),
        ("feet", MeasureUnit::Ft),
        ("m", MeasureUnit::M),
        ("cups", MeasureUnit::Cup),
    ] {
        assert_eq!(MeasureUnit::parse(s), Ok(u), "{s}");
        assert_eq!(MeasureUnit::parse(u.as_str()), Ok(u));
    }
    assert!(MeasureUnit::parse("stone").is_err());
    assert_eq!(Dimension::parse(" Mass "), Ok(Dimension::Mass));
    assert!(Dimension::parse("weight").is_err());
    for d in Dimension::ALL {
        assert_eq!(d.canonical_unit().dimension(), d);
        assert!(d.units().iter().all(|u| u.dimension() == d));
    }
}

#[test]
fn converts_to_canonical_exactly() {
    let cases = [
        (dec!(90), MeasureUnit::Lb, Dimension::Mass, dec!(40.8233133)),
        (dec!(1500), MeasureUnit::G, Dimension::Mass, dec!(1.5)),
        (dec!(70), MeasureUnit::Kg, Dimension::Mass, dec!(70)),
        (dec!(32), MeasureUnit::In, Dimension::Length, dec!(81.28)),
        (dec!(6), MeasureUnit::Ft, Dimension::Length, dec!(182.88)),
        (dec!(1.8), MeasureUnit::M, Dimension::Length, dec!(180)),
        (
            dec!(8),
            MeasureUnit::FlOz,
            Dimension::Volume,
            dec!(236.5882365),
        ),
        (
            dec!(1),
            MeasureUnit::Cup,
            Dimension::Volume,
            dec!(236.5882365),
        ),
        (dec!(1.5), MeasureUnit::L, Dimension::Volume, dec!(1500)),
        (
            dec!(18.5),
            MeasureUnit::Percent,
            Dimension::Percent,
            dec!(18.5),
        ),
        (dec!(62), MeasureUnit::Bpm, Dimension::Rate, dec!(62)),
    ];
    for (v, u, d, want) in cases {
        assert_eq!(to_canonical(v, u, d), Ok(want), "{v} {u}");
        assert_eq!(from_canonical(want, u), Ok(v), "{want} back to {u}");
    }
}

#[test]
fn refuses_a_unit_of_another_dimension() {
    let e = to_canonical(dec!(70), MeasureUnit::Cm, Dimension::Mass).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cm is not a unit of mass; use one of: kg, lb, g"
    );
    assert!(to_canonical(dec!(10), MeasureUnit::Kg, Dimension::Percent).is_err());
}

#[test]
fn shows_values_in_the_users_system() {
    // 90 lb stored at the column's 6 places comes back as 90 lb.
    let stored = parse_measurement(dec!(90), "lb", Dimension::Mass, 6).unwrap();
    assert_eq!(stored, dec!(40.823313));
    assert_eq!(
        to_display(stored, Dimension::Mass, UnitsSystem::Imperial),
        Ok((dec!(90), MeasureUnit::Lb))
    );
    assert_eq!(
        to_display(stored, Dimension::Mass, UnitsSystem::Metric),
        Ok((dec!(40.82), MeasureUnit::Kg))
    );
    assert_eq!(
        to_display(dec!(81.28), Dimension::Length, UnitsSystem::Imperial),
        Ok((dec!(32), MeasureUnit::In))
    );
    assert_eq!(
        to_display(dec!(500), Dimension::Volume, UnitsSystem::Imperial),
        Ok((dec!(16.91), MeasureUnit::FlOz))
    );
    assert_eq!(
        to_display(dec!(18.5), Dimension::Percent, UnitsSystem::Imperial),
        Ok((dec!(18.5), MeasureUnit::Percent))
    );
    assert_eq!(
        UnitsSystem::from_preference(Some("imperial")),
        UnitsSystem::Imperial
    );
    assert_eq!(UnitsSystem::from_preference(None), UnitsSystem::Metric);
}

#[test]
fn refuses_implausible_values() {
    assert_eq!(
        check_canonical(dec!(-1), Dimension::Mass),
        Err(MeasureError::Negative)
    );
    assert_eq!(
        check_canonical(dec!(0), Dimension::Mass),
        Err(MeasureError::NotPositive)
    );
    assert_eq!(
        check_canonical(dec!(0.0000001), Dimension::Mass),
        Err(MeasureError::NotPositive)
    );
    assert_eq!(check_canonical(dec!(0.005), Dimension::Mass), Ok(()));
    assert_eq!(check_canonical(dec!(0), Dimension::Count), Ok(()));
    assert!(check_canonical(dec!(1000.000001), Dimension::Mass).is_err());
    assert!(check_canonical(dec!(100.5), Dimension::Percent).is_err());
    assert!(parse_measurement(dec!(2204), "lb", Dimension::Mass, 6).is_ok());
    assert!(parse_measurement(dec!(2205), "lb", Dimension::Mass, 6).is_err());
    assert!(parse_measurement(dec!(70), "stone", Dimension::Mass, 6).is_err());
}

fn two_dp(max_hundredths: i64) -> impl Strategy<Value = Decimal> {
    (1..=max_hundredths).prop_map(|n| Decimal::new(n, 2))
}

proptest! {
    /// Any weight typed in lb (to 2 places, up to 2204.62 lb), stored in kg at the
    /// column's 6 places, reads back as the same lb.
    #[test]
    fn lb_round_trips_through_stored_kg(lb in two_dp(220_462)) {
        let stored = parse_measurement(lb, "lb", Dimension::Mass, 6).unwrap();
        let (shown, unit) = to_display(stored, Dimension::Mass, UnitsSystem::Imperial).unwrap();
        prop_assert_eq!(unit, MeasureUnit::Lb);
        prop_assert_eq!(shown, lb.normalize());
    }

    /// Any length typed in inches (to 2 places, up to 196.85 in) reads back the same.
    #[test]
    fn in_round_trips_through_stored_cm(inches in two_dp(19_685)) {
        let stored = parse_measurement(inches, "in", Dimension::Length, 6).unwrap();
        let (shown, unit) = to_display(stored, Dimension::Length, UnitsSystem::Imperial).unwrap();
        prop_assert_eq!(unit, MeasureUnit::In);
        prop_assert_eq!(shown, inches.normalize());
    }

    /// fl oz too, and metric entries read back unchanged for metric users.
    #[test]
    fn fl_oz_and_metric_round_trip(floz in two_dp(338_140), kg in two_dp(100_000)) {
        let stored = parse_measurement(floz, "fl oz", Dimension::Volume, 6).unwrap();
        let (shown, _) = to_display(stored, Dimension::Volume, UnitsSystem::Imperial).unwrap();
        prop_assert_eq!(shown, floz.normalize());
        let stored = parse_measurement(kg, "kg", Dimension::Mass, 6).unwrap();
        let (shown, _) = to_display(stored, Dimension::Mass, UnitsSystem::Metric).unwrap();
        prop_assert_eq!(shown, kg.normalize());
    }
}
