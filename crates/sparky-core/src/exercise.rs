//! Exercise arithmetic: calories from MET values, estimated one-rep max, pace.
//! Exact decimals throughout; results are rounded only where a person reads them.

use rust_decimal::Decimal;

use crate::units::round_dp;

/// Calories burned (kcal) = MET × body weight (kg) × hours, rounded to 2 places.
///
/// One MET is defined as 1 kcal per kg of body weight per hour, which is how the
/// Compendium of Physical Activities turns its MET values into energy.
/// Negative inputs give zero.
pub fn met_calories(met: Decimal, weight_kg: Decimal, duration_minutes: Decimal) -> Decimal {
    if met <= Decimal::ZERO || weight_kg <= Decimal::ZERO || duration_minutes <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    round_dp(met * weight_kg * duration_minutes / Decimal::from(60), 2)
}

/// Estimated one-rep max by the Epley formula: w × (1 + reps / 30). One rep is the weight
/// itself; zero reps estimate nothing (zero). Not rounded.
pub fn epley_one_rep_max(weight: Decimal, reps: u32) -> Decimal {
    match reps {
        0 => Decimal::ZERO,
        1 => weight,
        // w × (30 + r) / 30: one division, last, so exact results stay exact.
        r => weight * (Decimal::from(r) + Decimal::from(30)) / Decimal::from(30),
    }
}

/// Minutes per kilometre, unrounded; `None` without a positive distance and duration.
pub fn pace_min_per_km(duration_minutes: Decimal, distance_km: Decimal) -> Option<Decimal> {
    if duration_minutes <= Decimal::ZERO || distance_km <= Decimal::ZERO {
        return None;
    }
    duration_minutes.checked_div(distance_km)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn met_calories_worked_examples() {
        // 8 MET × 70 kg × 0.5 h = 280 kcal.
        assert_eq!(met_calories(dec!(8), dec!(70), dec!(30)), dec!(280));
        // Running 6 mph (12050, 9.8 MET), 80 kg, 45 min: 9.8 × 80 × 0.75 = 588.
        assert_eq!(met_calories(dec!(9.8), dec!(80), dec!(45)), dec!(588));
        // Walking 3 mph (17190, 3.5 MET), 62.5 kg, 20 min: 3.5 × 62.5 / 3 = 72.916… → 72.92.
        assert_eq!(met_calories(dec!(3.5), dec!(62.5), dec!(20)), dec!(72.92));
        // 90 lb (40.8233133 kg), 3.5 MET, 60 min = 142.88164655 → 142.88.
        assert_eq!(
            met_calories(dec!(3.5), dec!(40.8233133), dec!(60)),
            dec!(142.88)
        );
        assert_eq!(met_calories(dec!(8), dec!(70), dec!(0)), dec!(0));
        assert_eq!(met_calories(dec!(8), dec!(-70), dec!(30)), dec!(0));
    }

    #[test]
    fn epley_worked_examples() {
        assert_eq!(epley_one_rep_max(dec!(100), 1), dec!(100));
        // 100 kg × 10: 100 × (1 + 10/30) = 133.33…
        assert_eq!(round_dp(epley_one_rep_max(dec!(100), 10), 2), dec!(133.33));
        // 60 × 5 = 60 × 7/6 = 70 exactly.
        assert_eq!(epley_one_rep_max(dec!(60), 5), dec!(70));
        // 80 × 3 = 88.
        assert_eq!(epley_one_rep_max(dec!(80), 3), dec!(88));
        assert_eq!(epley_one_rep_max(dec!(80), 0), dec!(0));
    }

    #[test]
    fn pace_worked_examples() {
        assert_eq!(pace_min_per_km(dec!(50), dec!(10)), Some(dec!(5)));
        // A 25:00 5 km is 5:00 per km; 30 min for 4.5 km is 6.66… min/km.
        assert_eq!(pace_min_per_km(dec!(25), dec!(5)), Some(dec!(5)));
        assert_eq!(
            pace_min_per_km(dec!(30), dec!(4.5)).map(|p| round_dp(p, 3)),
            Some(dec!(6.667))
        );
        assert_eq!(pace_min_per_km(dec!(30), dec!(0)), None);
        assert_eq!(pace_min_per_km(dec!(0), dec!(5)), None);
    }
}
