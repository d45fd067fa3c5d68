//! Units of measure and the one place where quantities are converted.
//!
//! Every factor is an exact decimal (the international yard and pound of 1959, US customary
//! volumes), and conversion never rounds: callers round once, at the edge where a value is
//! stored or shown, with [`round_dp`]. Converting twice or rounding in between is how other
//! trackers end up showing 89.99 lb for 90 lb.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;

/// A unit a food quantity can be entered in. Serialised as its canonical name ([`Unit::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Unit {
    #[serde(rename = "g")]
    G,
    #[serde(rename = "kg")]
    Kg,
    #[serde(rename = "mg")]
    Mg,
    #[serde(rename = "oz")]
    Oz,
    #[serde(rename = "lb")]
    Lb,
    #[serde(rename = "ml")]
    Ml,
    #[serde(rename = "l")]
    L,
    #[serde(rename = "tsp")]
    Tsp,
    #[serde(rename = "tbsp")]
    Tbsp,
    #[serde(rename = "cup")]
    Cup,
    #[serde(rename = "fl oz")]
    FlOz,
    #[serde(rename = "serving")]
    Serving,
}

/// What a unit measures; only units of one dimension convert into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Mass,
    Volume,
    Count,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error(
        "unknown unit \"{0}\"; use one of: g, kg, mg, oz, lb, ml, l, tsp, tbsp, cup, fl oz, serving"
    )]
    Unknown(String),
    #[error("cannot convert {from} to {to}: they measure different things")]
    NotConvertible { from: Unit, to: Unit },
    /// Only for quantities far beyond anything edible (about 10^22 and up).
    #[error("the quantity is too large to convert")]
    OutOfRange,
}

// Base units: grams for mass, millilitres for volume, servings for count.
const G_PER_KG: Decimal = dec!(1000);
const G_PER_MG: Decimal = dec!(0.001);
const G_PER_OZ: Decimal = dec!(28.349523125);
const G_PER_LB: Decimal = dec!(453.59237);
const ML_PER_L: Decimal = dec!(1000);
const ML_PER_TSP: Decimal = dec!(4.92892159375);
const ML_PER_TBSP: Decimal = dec!(14.78676478125);
const ML_PER_FL_OZ: Decimal = dec!(29.5735295625);
/// The US customary cup (8 US fl oz), which is what US food labels mean in practice; the
/// "legal" 240 ml nutrition-labelling cup is deliberately not used, so that 1 cup is exactly
/// 16 tbsp = 48 tsp = 8 fl oz and recipes convert consistently.
const ML_PER_CUP: Decimal = dec!(236.5882365);

const KG_PER_LB: Decimal = dec!(0.45359237);
const KM_PER_MI: Decimal = dec!(1.609344);
const CM_PER_IN: Decimal = dec!(2.54);

impl Unit {
    /// Every unit, in the order of the enum (for pickers and error messages).
    pub const ALL: [Unit; 12] = [
        Unit::G,
        Unit::Kg,
        Unit::Mg,
        Unit::Oz,
        Unit::Lb,
        Unit::Ml,
        Unit::L,
        Unit::Tsp,
        Unit::Tbsp,
        Unit::Cup,
        Unit::FlOz,
        Unit::Serving,
    ];

    /// Reads what a person or an import typed: trimmed, case-insensitive, runs of whitespace
    /// taken as one space, common spellings and plurals accepted.
    pub fn parse(s: &str) -> Result<Unit, UnitError> {
        let norm = s
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let unit = match norm.as_str() {
            "g" | "gram" | "grams" => Unit::G,
            "kg" | "kilogram" | "kilograms" => Unit::Kg,
            "mg" | "milligram" | "milligrams" => Unit::Mg,
            "oz" | "ounce" | "ounces" => Unit::Oz,
            "lb" | "lbs" | "pound" | "pounds" => Unit::Lb,
            "ml" | "milliliter" | "milliliters" | "millilitre" | "millilitres" => Unit::Ml,
            "l" | "liter" | "liters" | "litre" | "litres" => Unit::L,
            "tsp" | "teaspoon" | "teaspoons" => Unit::Tsp,
            "tbsp" | "tablespoon" | "tablespoons" => Unit::Tbsp,
            "cup" | "cups" => Unit::Cup,
            "fl oz" | "fl_oz" | "floz" | "fluid ounce" | "fluid ounces" => Unit::FlOz,
            "serving" | "servings" | "portion" | "portions" => Unit::Serving,
            _ => return Err(UnitError::Unknown(s.trim().to_string())),
        };
        Ok(unit)
    }

    /// The canonical name, used in storage, JSON and display; [`Unit::parse`] accepts it.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::G => "g",
            Unit::Kg => "kg",
            Unit::Mg => "mg",
            Unit::Oz => "oz",
            Unit::Lb => "lb",
            Unit::Ml => "ml",
            Unit::L => "l",
            Unit::Tsp => "tsp",
            Unit::Tbsp => "tbsp",
            Unit::Cup => "cup",
            Unit::FlOz => "fl oz",
            Unit::Serving => "serving",
        }
    }

    pub fn dimension(self) -> Dimension {
        match self {
            Unit::G | Unit::Kg | Unit::Mg | Unit::Oz | Unit::Lb => Dimension::Mass,
            Unit::Ml | Unit::L | Unit::Tsp | Unit::Tbsp | Unit::Cup | Unit::FlOz => {
                Dimension::Volume
            }
            Unit::Serving => Dimension::Count,
        }
    }

    /// How many base units (g, ml or servings) one of this unit is; exact.
    fn base_factor(self) -> Decimal {
        match self {
            Unit::G | Unit::Ml | Unit::Serving => Decimal::ONE,
            Unit::Kg => G_PER_KG,
            Unit::Mg => G_PER_MG,
            Unit::Oz => G_PER_OZ,
            Unit::Lb => G_PER_LB,
            Unit::L => ML_PER_L,
            Unit::Tsp => ML_PER_TSP,
            Unit::Tbsp => ML_PER_TBSP,
            Unit::Cup => ML_PER_CUP,
            Unit::FlOz => ML_PER_FL_OZ,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Unit {
    type Err = UnitError;

    fn from_str(s: &str) -> Result<Unit, UnitError> {
        Unit::parse(s)
    }
}

/// Converts between units of one dimension through the base unit (g or ml), unrounded.
///
/// The product with the source factor is exact; the single division by the target factor is
/// correct to Decimal's 28 significant digits, far below any precision that is stored.
pub fn convert(quantity: Decimal, from: Unit, to: Unit) -> Result<Decimal, UnitError> {
    if from.dimension() != to.dimension() {
        return Err(UnitError::NotConvertible { from, to });
    }
    if from == to {
        return Ok(quantity);
    }
    quantity
        .checked_mul(from.base_factor())
        .and_then(|base| base.checked_div(to.base_factor()))
        .ok_or(UnitError::OutOfRange)
}

/// Rounds half away from zero (2.5 → 3, -2.5 → -3), as people and food labels do; banker's
/// rounding would show 0.125 kg as 0.12 here and 0.13 elsewhere.
pub fn round_dp(x: Decimal, dp: u32) -> Decimal {
    x.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

// Body-weight and length helpers for exercise and measurements; unrounded, like `convert`.
// They panic only beyond Decimal's range (~7.9 × 10^28), which no body or distance reaches.

/// 1 lb = 0.45359237 kg exactly, so `kg_to_lb(lb_to_kg(x)) == x` for any typed weight.
pub fn kg_to_lb(kg: Decimal) -> Decimal {
    kg / KG_PER_LB
}

pub fn lb_to_kg(lb: Decimal) -> Decimal {
    lb * KG_PER_LB
}

/// 1 mi = 1.609344 km exactly.
pub fn km_to_mi(km: Decimal) -> Decimal {
    km / KM_PER_MI
}

pub fn mi_to_km(mi: Decimal) -> Decimal {
    mi * KM_PER_MI
}

/// 1 in = 2.54 cm exactly.
pub fn cm_to_in(cm: Decimal) -> Decimal {
    cm / CM_PER_IN
}

pub fn in_to_cm(inches: Decimal) -> Decimal {
    inches * CM_PER_IN
}

/// A height typed as feet and inches — `5'5"`, `5' 5`, `5′5″`, `5ft 5in`, `5 feet` — in
/// inches. `None` when the text has no feet mark (a plain number is read in the form's unit)
/// or the parts are not a height (inches of 12 or more, no feet).
pub fn feet_and_inches(text: &str) -> Option<Decimal> {
    let mut t = text.trim().to_lowercase().replace("''", "\"");
    for (word, mark) in [
        ("feet", "'"),
        ("foot", "'"),
        ("ft", "'"),
        ("inches", "\""),
        ("inch", "\""),
        ("in", "\""),
        ("\u{2032}", "'"),
        ("\u{2033}", "\""),
        ("\u{2019}", "'"),
        ("\u{201d}", "\""),
    ] {
        t = t.replace(word, mark);
    }
    let (feet, rest) = t.split_once('\'')?;
    let feet: Decimal = feet.trim().replace(',', ".").parse().ok()?;
    let rest = rest.trim();
    let inches = match rest.strip_suffix('"').unwrap_or(rest).trim() {
        "" => Decimal::ZERO,
        n => n.replace(',', ".").parse().ok()?,
    };
    let whole_feet = feet.fract().is_zero() && feet > Decimal::ZERO && feet < Decimal::from(10);
    (whole_feet && inches >= Decimal::ZERO && inches < Decimal::from(12))
        .then(|| feet * Decimal::from(12) + inches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_in_feet_and_inches() {
        for (text, inches) in [
            ("5'5\"", 65),
            ("5' 5", 65),
            ("5'5''", 65),
            ("5\u{2032}5\u{2033}", 65),
            ("5 ft 5 in", 65),
            ("5ft5", 65),
            ("6 feet", 72),
            ("6'", 72),
            (" 5' 11\" ", 71),
        ] {
            assert_eq!(feet_and_inches(text), Some(Decimal::from(inches)), "{text}");
        }
        assert_eq!(feet_and_inches("5'5.5\""), Some(Decimal::new(655, 1)));
        for text in [
            "65", "165", "5'12\"", "0'5", "5.5'", "'5", "5'x", "12'0", "",
        ] {
            assert_eq!(feet_and_inches(text), None, "{text}");
        }
    }

    #[test]
    fn parses_aliases_case_insensitively() {
        let cases = [
            (" Grams ", Unit::G),
            ("KG", Unit::Kg),
            ("milligram", Unit::Mg),
            ("Ounces", Unit::Oz),
            ("lbs", Unit::Lb),
            ("millilitre", Unit::Ml),
            ("Litres", Unit::L),
            ("teaspoon", Unit::Tsp),
            ("Tablespoons", Unit::Tbsp),
            ("cups", Unit::Cup),
            ("fl oz", Unit::FlOz),
            ("FL  OZ", Unit::FlOz),
            ("fl_oz", Unit::FlOz),
            ("floz", Unit::FlOz),
            ("fluid ounces", Unit::FlOz),
            ("portion", Unit::Serving),
            ("servings", Unit::Serving),
        ];
        for (text, unit) in cases {
            assert_eq!(Unit::parse(text).unwrap(), unit, "{text}");
        }
        for unit in Unit::ALL {
            assert_eq!(Unit::parse(unit.as_str()).unwrap(), unit);
            assert_eq!(unit.to_string().parse::<Unit>().unwrap(), unit);
        }
    }

    #[test]
    fn unknown_units_list_the_accepted_ones() {
        let err = Unit::parse(" slice ").unwrap_err();
        assert_eq!(err, UnitError::Unknown("slice".into()));
        let msg = err.to_string();
        assert!(msg.contains("\"slice\"") && msg.contains("fl oz") && msg.contains("serving"));
        assert!(Unit::parse("").is_err());
    }

    #[test]
    fn exact_factors() {
        assert_eq!(
            convert(dec!(1), Unit::Oz, Unit::G).unwrap(),
            dec!(28.349523125)
        );
        assert_eq!(convert(dec!(1), Unit::Lb, Unit::Oz).unwrap(), dec!(16));
        assert_eq!(
            convert(dec!(2.5), Unit::Kg, Unit::Mg).unwrap(),
            dec!(2500000)
        );
        assert_eq!(convert(dec!(1), Unit::Cup, Unit::Tbsp).unwrap(), dec!(16));
        assert_eq!(convert(dec!(1), Unit::Tbsp, Unit::Tsp).unwrap(), dec!(3));
        assert_eq!(convert(dec!(1), Unit::Cup, Unit::FlOz).unwrap(), dec!(8));
        assert_eq!(
            convert(dec!(1), Unit::Cup, Unit::Ml).unwrap(),
            dec!(236.5882365)
        );
        assert_eq!(convert(dec!(1.5), Unit::L, Unit::Ml).unwrap(), dec!(1500));
        assert_eq!(
            convert(dec!(3), Unit::Serving, Unit::Serving).unwrap(),
            dec!(3)
        );
    }

    #[test]
    fn convert_does_not_round() {
        let oz = convert(dec!(100), Unit::G, Unit::Oz).unwrap();
        assert!(oz.scale() > 20, "{oz}");
        assert_eq!(round_dp(oz, 4), dec!(3.5274));
        assert_eq!(
            round_dp(convert(oz, Unit::Oz, Unit::G).unwrap(), 4),
            dec!(100)
        );
    }

    #[test]
    fn different_dimensions_do_not_convert() {
        assert_eq!(
            convert(dec!(1), Unit::Cup, Unit::G),
            Err(UnitError::NotConvertible {
                from: Unit::Cup,
                to: Unit::G
            })
        );
        assert!(convert(dec!(1), Unit::Serving, Unit::G).is_err());
        assert!(convert(dec!(1), Unit::Ml, Unit::Serving).is_err());
        assert_eq!(
            convert(dec!(1), Unit::Cup, Unit::G)
                .unwrap_err()
                .to_string(),
            "cannot convert cup to g: they measure different things"
        );
    }

    #[test]
    fn absurd_quantities_are_an_error_not_a_panic() {
        assert_eq!(
            convert(Decimal::MAX, Unit::Kg, Unit::Mg),
            Err(UnitError::OutOfRange)
        );
    }

    #[test]
    fn body_weight_round_trips() {
        assert_eq!(lb_to_kg(dec!(90)), dec!(40.8233133));
        assert_eq!(kg_to_lb(lb_to_kg(dec!(90))), dec!(90));
        assert_eq!(round_dp(lb_to_kg(kg_to_lb(dec!(81.7))), 4), dec!(81.7));
        assert_eq!(round_dp(kg_to_lb(dec!(100)), 2), dec!(220.46));
        assert_eq!(mi_to_km(dec!(26.2)), dec!(42.1648128));
        assert_eq!(km_to_mi(mi_to_km(dec!(26.2))), dec!(26.2));
        assert_eq!(in_to_cm(dec!(70)), dec!(177.80));
        assert_eq!(cm_to_in(dec!(177.8)), dec!(70));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_dp(dec!(0.125), 2), dec!(0.13));
        assert_eq!(round_dp(dec!(2.5), 0), dec!(3));
        assert_eq!(round_dp(dec!(-2.5), 0), dec!(-3));
        assert_eq!(round_dp(dec!(1.23444), 4), dec!(1.2344));
    }

    #[test]
    fn serde_uses_canonical_names() {
        assert_eq!(serde_json::to_string(&Unit::FlOz).unwrap(), "\"fl oz\"");
        assert_eq!(
            serde_json::from_str::<Unit>("\"tbsp\"").unwrap(),
            Unit::Tbsp
        );
    }
}
