//! Body measurements: the units a value can be typed in, the canonical unit each kind of
//! measurement is stored in, and the conversion back to what a user reads.
//!
//! A value is converted once, exactly (see [`crate::units`]), into the canonical unit of its
//! type's dimension — kg, cm, ml, %, count or bpm — and stored at full precision. For display
//! it is converted from that full-precision value into the user's system (imperial: lb, in,
//! fl oz; metric: kg, cm, ml) and only then rounded, to 2 decimal places, so 90 lb → stored →
//! shown is 90 lb again.

use std::fmt;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::units::{self, Unit};

/// What a kind of measurement measures; its values are stored in [`Dimension::canonical_unit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Mass,
    Length,
    Percent,
    Count,
    Volume,
    Rate,
}

/// A unit a measurement can be entered or shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeasureUnit {
    Kg,
    G,
    Lb,
    Cm,
    M,
    In,
    Ft,
    Ml,
    L,
    FlOz,
    Cup,
    Percent,
    Count,
    Bpm,
}

pub use crate::values::UnitsSystem;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeasureError {
    #[error("unknown unit \"{0}\"; use one of: kg, g, lb, cm, m, in, ft, ml, l, fl oz, cup, %, count, bpm")]
    UnknownUnit(String),
    #[error("unknown dimension \"{0}\"; use one of: mass, length, percent, count, volume, rate")]
    UnknownDimension(String),
    #[error("{unit} is not a unit of {dimension}; use one of: {allowed}")]
    WrongUnit {
        unit: MeasureUnit,
        dimension: Dimension,
        allowed: String,
    },
    #[error("must not be negative")]
    Negative,
    #[error("must be greater than 0 (at least 0.01)")]
    NotPositive,
    #[error("must be at most {max} {unit}")]
    TooLarge { max: Decimal, unit: MeasureUnit },
    #[error("the value is too large to convert")]
    OutOfRange,
    #[error("must be between {min} and {max} {unit}{hint}")]
    Implausible {
        min: Decimal,
        max: Decimal,
        unit: &'static str,
        hint: &'static str,
    },
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Mass,
        Dimension::Length,
        Dimension::Percent,
        Dimension::Count,
        Dimension::Volume,
        Dimension::Rate,
    ];
    pub const NAMES: &'static [&'static str] =
        &["mass", "length", "percent", "count", "volume", "rate"];

    /// `mass`, `length`, `percent`, `count`, `volume` or `rate` (case-insensitive, trimmed).
    pub fn parse(s: &str) -> Result<Dimension, MeasureError> {
        let norm = s.trim().to_lowercase();
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str() == norm)
            .ok_or_else(|| MeasureError::UnknownDimension(s.trim().to_string()))
    }

    /// The name stored in `measurement_types.dimension`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Mass => "mass",
            Dimension::Length => "length",
            Dimension::Percent => "percent",
            Dimension::Count => "count",
            Dimension::Volume => "volume",
            Dimension::Rate => "rate",
        }
    }

    /// The unit values of this dimension are stored in: kg, cm, %, count, ml, bpm.
    pub fn canonical_unit(self) -> MeasureUnit {
        match self {
            Dimension::Mass => MeasureUnit::Kg,
            Dimension::Length => MeasureUnit::Cm,
            Dimension::Percent => MeasureUnit::Percent,
            Dimension::Count => MeasureUnit::Count,
            Dimension::Volume => MeasureUnit::Ml,
            Dimension::Rate => MeasureUnit::Bpm,
        }
    }

    /// The unit a value is shown in for a user of `system`: imperial lb, in, fl oz; metric
    /// kg, cm, ml; %, count and bpm in both.
    pub fn display_unit(self, system: UnitsSystem) -> MeasureUnit {
        match (self, system) {
            (Dimension::Mass, UnitsSystem::Imperial) => MeasureUnit::Lb,
            (Dimension::Length, UnitsSystem::Imperial) => MeasureUnit::In,
            (Dimension::Volume, UnitsSystem::Imperial) => MeasureUnit::FlOz,
            (d, _) => d.canonical_unit(),
        }
    }

    /// Every unit a value of this dimension may be entered in.
    pub fn units(self) -> &'static [MeasureUnit] {
        match self {
            Dimension::Mass => &[MeasureUnit::Kg, MeasureUnit::Lb, MeasureUnit::G],
            Dimension::Length => &[
                MeasureUnit::Cm,
                MeasureUnit::In,
                MeasureUnit::M,
                MeasureUnit::Ft,
            ],
            Dimension::Volume => &[
                MeasureUnit::Ml,
                MeasureUnit::L,
                MeasureUnit::FlOz,
                MeasureUnit::Cup,
            ],
            Dimension::Percent => &[MeasureUnit::Percent],
            Dimension::Count => &[MeasureUnit::Count],
            Dimension::Rate => &[MeasureUnit::Bpm],
        }
    }

    /// The largest plausible value in the canonical unit (anything above is a typo):
    /// 1000 kg, 500 cm, 100 %, 10,000,000 count, 100,000 ml, 400 bpm.
    pub fn max_canonical(self) -> Decimal {
        match self {
            Dimension::Mass => dec!(1000),
            Dimension::Length => dec!(500),
            Dimension::Percent => dec!(100),
            Dimension::Count => dec!(10000000),
            Dimension::Volume => dec!(100000),
            Dimension::Rate => dec!(400),
        }
    }

    /// Whether zero is a meaningful reading (0 steps, 0 ml of water, 0 %); a weight, a length
    /// or a heart rate of zero is not.
    pub fn allows_zero(self) -> bool {
        matches!(
            self,
            Dimension::Count | Dimension::Volume | Dimension::Percent
        )
    }
}

crate::named_serde::serde_by_name!(Dimension, "dimension", |s| Dimension::parse(s).ok());

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl MeasureUnit {
    /// Reads what a person typed: trimmed, case-insensitive, runs of whitespace as one space,
    /// common spellings and plurals accepted.
    pub fn parse(s: &str) -> Result<MeasureUnit, MeasureError> {
        let norm = s
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let unit = match norm.as_str() {
            "kg" | "kgs" | "kilogram" | "kilograms" => MeasureUnit::Kg,
            "g" | "gram" | "grams" => MeasureUnit::G,
            "lb" | "lbs" | "pound" | "pounds" => MeasureUnit::Lb,
            "cm" | "centimeter" | "centimeters" | "centimetre" | "centimetres" => MeasureUnit::Cm,
            "m" | "meter" | "meters" | "metre" | "metres" => MeasureUnit::M,
            "in" | "inch" | "inches" => MeasureUnit::In,
            "ft" | "foot" | "feet" => MeasureUnit::Ft,
            "ml" | "milliliter" | "milliliters" | "millilitre" | "millilitres" => MeasureUnit::Ml,
            "l" | "liter" | "liters" | "litre" | "litres" => MeasureUnit::L,
            "fl oz" | "fl_oz" | "floz" | "fluid ounce" | "fluid ounces" => MeasureUnit::FlOz,
            "cup" | "cups" => MeasureUnit::Cup,
            "%" | "percent" | "pct" => MeasureUnit::Percent,
            "count" | "steps" | "step" => MeasureUnit::Count,
            "bpm" | "beats/min" | "beats per minute" => MeasureUnit::Bpm,
            _ => return Err(MeasureError::UnknownUnit(s.trim().to_string())),
        };
        Ok(unit)
    }

    /// The canonical name, used in storage, JSON and display; [`MeasureUnit::parse`] accepts it.
    pub fn as_str(self) -> &'static str {
        match self {
            MeasureUnit::Kg => "kg",
            MeasureUnit::G => "g",
            MeasureUnit::Lb => "lb",
            MeasureUnit::Cm => "cm",
            MeasureUnit::M => "m",
            MeasureUnit::In => "in",
            MeasureUnit::Ft => "ft",
            MeasureUnit::Ml => "ml",
            MeasureUnit::L => "l",
            MeasureUnit::FlOz => "fl oz",
            MeasureUnit::Cup => "cup",
            MeasureUnit::Percent => "%",
            MeasureUnit::Count => "count",
            MeasureUnit::Bpm => "bpm",
        }
    }

    pub fn dimension(self) -> Dimension {
        match self {
            MeasureUnit::Kg | MeasureUnit::G | MeasureUnit::Lb => Dimension::Mass,
            MeasureUnit::Cm | MeasureUnit::M | MeasureUnit::In | MeasureUnit::Ft => {
                Dimension::Length
            }
            MeasureUnit::Ml | MeasureUnit::L | MeasureUnit::FlOz | MeasureUnit::Cup => {
                Dimension::Volume
            }
            MeasureUnit::Percent => Dimension::Percent,
            MeasureUnit::Count => Dimension::Count,
            MeasureUnit::Bpm => Dimension::Rate,
        }
    }

    /// The food unit with the same meaning, for volumes converted by [`units::convert`].
    fn volume_unit(self) -> Option<Unit> {
        match self {
            MeasureUnit::Ml => Some(Unit::Ml),
            MeasureUnit::L => Some(Unit::L),
            MeasureUnit::FlOz => Some(Unit::FlOz),
            MeasureUnit::Cup => Some(Unit::Cup),
            _ => None,
        }
    }
}

impl fmt::Display for MeasureUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn wrong_unit(unit: MeasureUnit, dimension: Dimension) -> MeasureError {
    MeasureError::WrongUnit {
        unit,
        dimension,
        allowed: dimension
            .units()
            .iter()
            .map(|u| u.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Converts `value` typed in `unit` into the canonical unit of `dimension`, exactly and
/// unrounded. Fails when the unit is not one of the dimension's.
pub fn to_canonical(
    value: Decimal,
    unit: MeasureUnit,
    dimension: Dimension,
) -> Result<Decimal, MeasureError> {
    if unit.dimension() != dimension {
        return Err(wrong_unit(unit, dimension));
    }
    let r = match unit {
        MeasureUnit::Kg
        | MeasureUnit::Cm
        | MeasureUnit::Ml
        | MeasureUnit::Percent
        | MeasureUnit::Count
        | MeasureUnit::Bpm => Some(value),
        MeasureUnit::G => value.checked_div(dec!(1000)),
        MeasureUnit::Lb => value.checked_mul(dec!(0.45359237)),
        MeasureUnit::M => value.checked_mul(dec!(100)),
        MeasureUnit::In => value.checked_mul(dec!(2.54)),
        MeasureUnit::Ft => value.checked_mul(dec!(30.48)),
        MeasureUnit::L | MeasureUnit::FlOz | MeasureUnit::Cup => {
            units::convert(value, unit.volume_unit().unwrap_or(Unit::Ml), Unit::Ml).ok()
        }
    };
    r.ok_or(MeasureError::OutOfRange)
}

/// Converts a canonical value of `unit`'s dimension into `unit`, exactly and unrounded.
pub fn from_canonical(canonical: Decimal, unit: MeasureUnit) -> Result<Decimal, MeasureError> {
    let r = match unit {
        MeasureUnit::Kg
        | MeasureUnit::Cm
        | MeasureUnit::Ml
        | MeasureUnit::Percent
        | MeasureUnit::Count
        | MeasureUnit::Bpm => Some(canonical),
        MeasureUnit::G => canonical.checked_mul(dec!(1000)),
        MeasureUnit::Lb => canonical.checked_div(dec!(0.45359237)),
        MeasureUnit::M => canonical.checked_div(dec!(100)),
        MeasureUnit::In => canonical.checked_div(dec!(2.54)),
        MeasureUnit::Ft => canonical.checked_div(dec!(30.48)),
        MeasureUnit::L | MeasureUnit::FlOz | MeasureUnit::Cup => {
            units::convert(canonical, Unit::Ml, unit.volume_unit().unwrap_or(Unit::Ml)).ok()
        }
    };
    r.ok_or(MeasureError::OutOfRange)
}

/// Decimal places shown to users.
pub const DISPLAY_DP: u32 = 2;

/// A canonical value as the user reads it: converted from full precision into the unit of
/// their system, then rounded half away from zero to [`DISPLAY_DP`] places (trailing zeros
/// dropped).
pub fn to_display(
    canonical: Decimal,
    dimension: Dimension,
    system: UnitsSystem,
) -> Result<(Decimal, MeasureUnit), MeasureError> {
    let unit = dimension.display_unit(system);
    let v = from_canonical(canonical, unit)?;
    Ok((units::round_dp(v, DISPLAY_DP).normalize(), unit))
}

/// Checks a canonical value is plausible for its dimension: never negative, zero only where
/// it means something ([`Dimension::allows_zero`]), at most [`Dimension::max_canonical`].
pub fn check_canonical(canonical: Decimal, dimension: Dimension) -> Result<(), MeasureError> {
    if canonical.is_sign_negative() && !canonical.is_zero() {
        return Err(MeasureError::Negative);
    }
    // Zero as shown, too: 0.0000001 kg passed as "above 0", was stored as 0 and became the
    // latest weight (BMR, goals, the trend).
    if units::round_dp(canonical, DISPLAY_DP).is_zero() && !dimension.allows_zero() {
        return Err(MeasureError::NotPositive);
    }
    if canonical > dimension.max_canonical() {
        return Err(MeasureError::TooLarge {
            max: dimension.max_canonical(),
            unit: dimension.canonical_unit(),
        });
    }
    Ok(())
}

/// The plausible range of a built-in body type, in its canonical unit: beyond it a reading is
/// a typo or a wrong unit (a body fat sent as the fraction 0.22, 1,000 kg, a height of 3 cm).
/// Custom types have only their dimension's bounds.
pub fn plausible_range(kind: &str) -> Option<(Decimal, Decimal)> {
    Some(match kind {
        "weight" => (dec!(2), dec!(650)),
        "muscle_mass" => (dec!(1), dec!(300)),
        "height" => (dec!(30), dec!(300)),
        "body_fat" => (dec!(2), dec!(80)),
        "resting_heart_rate" => (dec!(20), dec!(250)),
        "waist" | "hips" | "chest" => (dec!(20), dec!(300)),
        "neck" => (dec!(10), dec!(100)),
        // Hours of a day's sleep, as phones push it (crate::health::SLEEP_TYPE).
        "sleep_hours" => (dec!(0), dec!(24)),
        // A day's energy burned in activity and distance covered (an ultra race stays inside).
        "active_calories" => (dec!(0), dec!(20000)),
        "distance_km" => (dec!(0), dec!(1000)),
        // One reading of steps or water: 10 million steps passed as a day's count.
        "steps" => (dec!(0), dec!(300000)),
        "water" => (dec!(0), dec!(20000)),
        _ => return None,
    })
}

/// Checks a canonical value of the type `kind` against [`plausible_range`].
pub fn check_plausible(kind: &str, canonical: Decimal) -> Result<(), MeasureError> {
    let Some((min, max)) = plausible_range(kind) else {
        return Ok(());
    };
    if (min..=max).contains(&canonical) {
        return Ok(());
    }
    let unit = builtin_canonical_unit(kind);
    Err(MeasureError::Implausible {
        min,
        max,
        unit,
        hint: match kind {
            "body_fat" if canonical <= Decimal::ONE => {
                ": send a percentage (22), not a fraction (0.22)"
            }
            _ => "",
        },
    })
}

/// The unit a type with a plausible range is stored in, as its range is said.
fn builtin_canonical_unit(kind: &str) -> &'static str {
    match kind {
        "weight" | "muscle_mass" => MeasureUnit::Kg.as_str(),
        "body_fat" => MeasureUnit::Percent.as_str(),
        "resting_heart_rate" => MeasureUnit::Bpm.as_str(),
        "sleep_hours" => "h",
        "active_calories" => "kcal",
        "distance_km" => "km",
        "steps" => "steps",
        "water" => MeasureUnit::Ml.as_str(),
        _ => MeasureUnit::Cm.as_str(),
    }
}

/// Reads a value typed as `value` `unit` for a type of `dimension`: converted to the
/// canonical unit, checked ([`check_canonical`]), and rounded to `scale` decimal places
/// (what the column keeps; 6 for `measurements.value`).
pub fn parse_measurement(
    value: Decimal,
    unit: &str,
    dimension: Dimension,
    scale: u32,
) -> Result<Decimal, MeasureError> {
    let unit = MeasureUnit::parse(unit)?;
    let canonical = to_canonical(value, unit, dimension)?;
    check_canonical(canonical, dimension)?;
    Ok(units::round_dp(canonical, scale))
}

#[cfg(test)]
mod tests;
