//! Property tests for the arithmetic other trackers get wrong: conversions that do not round
//! trip, totals that are not the sum of their entries, one product under two barcodes.

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sparky_core::barcode::{Barcode, BarcodeError};
use sparky_core::nutrition::{nutrients_for, servings_for, Nutrients, Serving};
use sparky_core::units::{
    cm_to_in, convert, in_to_cm, kg_to_lb, km_to_mi, lb_to_kg, mi_to_km, round_dp, Dimension, Unit,
};

/// 0.0001 ..= 1,000,000 with 4 decimal places: anything a person could type.
fn typed_4dp() -> impl Strategy<Value = Decimal> {
    (1i64..=10_000_000_000).prop_map(|n| Decimal::new(n, 4))
}

/// 0.01 ..= 10,000 with 2 decimal places: an entry's quantity.
fn quantity() -> impl Strategy<Value = Decimal> {
    (1i64..=1_000_000).prop_map(|n| Decimal::new(n, 2))
}

/// Two units of one dimension.
fn same_dimension_pair() -> impl Strategy<Value = (Unit, Unit)> {
    let pairs: Vec<(Unit, Unit)> = Unit::ALL
        .into_iter()
        .flat_map(|a| Unit::ALL.into_iter().map(move |b| (a, b)))
        .filter(|(a, b)| a.dimension() == b.dimension())
        .collect();
    prop::sample::select(pairs)
}

fn nutrients() -> impl Strategy<Value = Nutrients> {
    let value = prop::option::of((0i64..=1_000_000_000).prop_map(|n| Decimal::new(n, 4)));
    prop::collection::vec(value, Nutrients::NAMES.len()).prop_map(|values| {
        let mut n = Nutrients::default();
        for (name, v) in Nutrients::NAMES.iter().zip(values) {
            n.set(name, v);
        }
        n
    })
}

fn serving() -> impl Strategy<Value = Serving> {
    let unit_text = prop::sample::select(vec![
        "g", "kg", "mg", "oz", "lb", "ml", "l", "tsp", "tbsp", "cup", "fl oz", "serving", "Grams",
        " Cups ", "slice", "piece",
    ]);
    (
        (1i64..=100_000).prop_map(|n| Decimal::new(n, 2)),
        unit_text,
        prop::option::of((1i64..=100_000).prop_map(|n| Decimal::new(n, 2))),
        nutrients(),
    )
        .prop_map(|(size, unit, weight_g, nutrients)| Serving {
            size,
            unit: unit.to_string(),
            weight_g,
            nutrients,
        })
}

/// Units that can be logged against a serving, worked out from the rules independently.
fn compatible_units(serving: &Serving) -> Vec<Unit> {
    let serving_dim = Unit::parse(&serving.unit).ok().map(Unit::dimension);
    Unit::ALL
        .into_iter()
        .filter(|u| {
            *u == Unit::Serving
                || Some(u.dimension()) == serving_dim
                || (u.dimension() == Dimension::Mass && serving.weight_g.is_some())
        })
        .collect()
}

/// A serving, a unit it accepts and a quantity.
fn entry() -> impl Strategy<Value = (Serving, Unit, Decimal)> {
    serving().prop_flat_map(|s| {
        let units = compatible_units(&s);
        (Just(s), prop::sample::select(units), quantity())
    })
}

/// Field-wise sum written out by hand: unknown only when unknown in every entry.
fn field_wise_sum(items: &[Nutrients]) -> Nutrients {
    let mut out = Nutrients::default();
    for name in Nutrients::NAMES {
        let known: Vec<Decimal> = items.iter().filter_map(|n| n.get(name)).collect();
        out.set(
            name,
            (!known.is_empty()).then(|| known.iter().copied().sum()),
        );
    }
    out
}

/// GS1 check digit of a body, written independently of the crate.
fn gs1_check(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn digits_to_string(d: &[u8]) -> String {
    d.iter().map(|d| char::from(b'0' + d)).collect()
}

proptest! {
    #[test]
    fn conversions_round_trip_at_store_precision(x in typed_4dp(), (a, b) in same_dimension_pair()) {
        let there = convert(x, a, b).unwrap();
        let back = convert(there, b, a).unwrap();
        prop_assert!(convert(x, a, Unit::Serving).is_err() || a == Unit::Serving);
        prop_assert_eq!(round_dp(back, 4), x, "{} {} -> {} {}", x, a, there, b);
    }

    #[test]
    fn named_round_trips(x in typed_4dp()) {
        for (a, b) in [
            (Unit::G, Unit::Oz),
            (Unit::Kg, Unit::Lb),
            (Unit::Ml, Unit::Cup),
            (Unit::Ml, Unit::Tsp),
            (Unit::Ml, Unit::Tbsp),
            (Unit::Ml, Unit::FlOz),
        ] {
            let back = convert(convert(x, a, b).unwrap(), b, a).unwrap();
            prop_assert_eq!(round_dp(back, 4), x, "{} via {}", a, b);
            let back = convert(convert(x, b, a).unwrap(), a, b).unwrap();
            prop_assert_eq!(round_dp(back, 4), x, "{} via {}", b, a);
        }
    }

    #[test]
    fn body_weight_and_distance_round_trip(x in typed_4dp()) {
        prop_assert_eq!(round_dp(lb_to_kg(kg_to_lb(x)), 4), x);
        // lb → kg is an exact product, so the way back is an exact division.
        prop_assert_eq!(kg_to_lb(lb_to_kg(x)), x);
        prop_assert_eq!(round_dp(mi_to_km(km_to_mi(x)), 4), x);
        prop_assert_eq!(km_to_mi(mi_to_km(x)), x);
        prop_assert_eq!(round_dp(in_to_cm(cm_to_in(x)), 4), x);
        prop_assert_eq!(cm_to_in(in_to_cm(x)), x);
    }

    #[test]
    fn totals_are_the_sum_of_entries(entries in prop::collection::vec(entry(), 0..20)) {
        let logged: Vec<Nutrients> = entries
            .iter()
            .map(|(s, u, q)| nutrients_for(*q, *u, s).unwrap())
            .collect();
        let total = Nutrients::sum(&logged);
        prop_assert_eq!(&total, &field_wise_sum(&logged));
        prop_assert_eq!(&total, &Nutrients::sum(logged.iter().rev()));
        for n in &logged {
            for v in n.iter().filter_map(|(_, v)| v) {
                prop_assert!(v.scale() <= 4, "stored at 4 dp: {}", v);
            }
        }
    }

    /// Doubling the quantity doubles the servings to Decimal's 28 significant digits (not
    /// always the last one, see `servings_for`), and each stored nutrient to within 0.0001:
    /// rounding to 4 dp once per entry can move a value by half a unit, which doubles.
    #[test]
    fn doubling_a_quantity_doubles_every_nutrient((s, u, q) in entry()) {
        let one = servings_for(q, u, &s).unwrap();
        let two = servings_for(q * dec!(2), u, &s).unwrap();
        let noise = two * dec!(0.000000000000000000000001) + dec!(0.00000000000000000000000001);
        prop_assert!((two - one * dec!(2)).abs() <= noise, "{} vs 2 × {}", two, one);

        let n1 = nutrients_for(q, u, &s).unwrap();
        let n2 = nutrients_for(q * dec!(2), u, &s).unwrap();
        for (name, doubled) in n1.scale(dec!(2)).iter() {
            match (n2.get(name), doubled) {
                (Some(a), Some(b)) => {
                    prop_assert!((a - b).abs() <= dec!(0.0001), "{}: {} vs {}", name, a, b)
                }
                (a, b) => prop_assert_eq!(a, b, "{}", name),
            }
        }
    }

    #[test]
    fn upc_a_and_its_ean_13_form_are_one_product(body in prop::collection::vec(0u8..10, 11)) {
        let mut upc = body.clone();
        upc.push(gs1_check(&body));
        let upc_a = digits_to_string(&upc);
        let ean_13 = format!("0{upc_a}");
        let a = Barcode::parse(&upc_a).unwrap();
        prop_assert_eq!(&a, &Barcode::parse(&ean_13).unwrap());
        prop_assert_eq!(a.as_str(), ean_13.as_str());
        let spaced = format!("{}-{} {}", &upc_a[..1], &upc_a[1..6], &upc_a[6..]);
        prop_assert_eq!(&a, &Barcode::parse(&spaced).unwrap());

        for wrong in 1..10u8 {
            let mut bad = upc.clone();
            bad[11] = (bad[11] + wrong) % 10;
            prop_assert_eq!(
                Barcode::parse(&digits_to_string(&bad)),
                Err(BarcodeError::CheckDigit("UPC-A"))
            );
            let bad_ean = format!("0{}", digits_to_string(&bad));
            prop_assert!(Barcode::parse(&bad_ean).is_err(), "{}", bad_ean);
        }
    }

    /// GS1 mod-10 catches every single-digit typo, wherever it is.
    #[test]
    fn one_wrong_digit_is_refused(
        body in prop::collection::vec(0u8..10, 12),
        pos in 0usize..13,
        delta in 1u8..10,
    ) {
        let mut code = body.clone();
        code.push(gs1_check(&body));
        prop_assert!(Barcode::parse(&digits_to_string(&code)).is_ok());
        code[pos] = (code[pos] + delta) % 10;
        prop_assert!(Barcode::parse(&digits_to_string(&code)).is_err());
    }

    /// Whatever parses is stored as a valid GTIN-13.
    #[test]
    fn normalised_form_is_a_valid_gtin_13(
        digits in prop::sample::select(vec![8usize, 12, 13])
            .prop_flat_map(|n| prop::collection::vec(0u8..10, n)),
    ) {
        if let Ok(code) = Barcode::parse(&digits_to_string(&digits)) {
            let d: Vec<u8> = code.as_str().bytes().map(|b| b - b'0').collect();
            prop_assert_eq!(d.len(), 13);
            prop_assert_eq!(gs1_check(&d[..12]), d[12]);
            let tail = digits_to_string(&digits);
            if digits.len() != 8 {
                prop_assert!(code.as_str().ends_with(&tail));
            }
        }
    }
}

#[test]
fn ninety_pounds_stays_ninety() {
    let kg = lb_to_kg(dec!(90));
    assert_eq!(kg, dec!(40.8233133));
    assert_eq!(kg_to_lb(kg), dec!(90));
    assert_eq!(round_dp(kg, 1), dec!(40.8));
    let via_convert = convert(
        convert(dec!(90), Unit::Lb, Unit::Kg).unwrap(),
        Unit::Kg,
        Unit::Lb,
    );
    assert_eq!(via_convert.unwrap(), dec!(90));
}
