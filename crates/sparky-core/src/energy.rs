//! Energy equations: basal metabolic rate, total daily energy expenditure, a calorie target for
//! a chosen weekly rate of weight change, and a macro split. Pure and exact: every formula works
//! on [`Decimal`] so published worked examples come out to the digit.
//!
//! Formulas (published, facts):
//!
//! * **Mifflin-St Jeor** (Mifflin et al., Am J Clin Nutr 1990;51:241–247), kcal/day:
//!   `10 × weight_kg + 6.25 × height_cm − 5 × age_years + s`, with `s = +5` for men and
//!   `s = −161` for women.
//! * **Katch-McArdle**, kcal/day: `370 + 21.6 × lean_mass_kg`, where
//!   `lean_mass_kg = weight_kg × (1 − body_fat_percent / 100)`. Needs body fat; preferred when
//!   it is known because it ignores sex and age and uses lean mass directly.
//! * **TDEE** = BMR × an activity multiplier ([`ActivityLevel::multiplier`]: 1.2 sedentary,
//!   1.375 light, 1.55 moderate, 1.725 active, 1.9 very active — the usual Harris-Benedict /
//!   Katch-McArdle activity factors).
//! * **Calorie target** = TDEE + `weekly_change_kg × 7700 / 7`, using the common approximation
//!   of [`KCAL_PER_KG`] = 7700 kcal per kg of body weight (so 0.5 kg/week is 550 kcal/day). A
//!   loss is a negative weekly change. The target is never below a safety floor:
//!   [`Sex::default_floor_kcal`] (1200 kcal for women, 1500 for men) unless the caller passes
//!   another floor.
//! * **Macro split** ([`macro_split`]): protein [`PROTEIN_G_PER_KG`] = 1.8 g per kg of body
//!   weight (the middle of the 1.6–2.2 g/kg range recommended for people training while in a
//!   deficit), fat [`FAT_SHARE_OF_KCAL`] = 25 % of the calories, the rest carbohydrate, with
//!   Atwater factors 4 kcal/g (protein, carbohydrate) and 9 kcal/g (fat).

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// kcal per kg of body weight gained or lost (the usual 7700 kcal/kg ≈ 3500 kcal/lb).
pub const KCAL_PER_KG: Decimal = dec!(7700);
/// Protein suggested per kg of body weight, in grams.
pub const PROTEIN_G_PER_KG: Decimal = dec!(1.8);
/// Share of the calorie target suggested as fat.
pub const FAT_SHARE_OF_KCAL: Decimal = dec!(0.25);
/// Atwater factors, kcal per gram.
pub const KCAL_PER_G_PROTEIN: Decimal = dec!(4);
pub const KCAL_PER_G_CARBOHYDRATE: Decimal = dec!(4);
pub const KCAL_PER_G_FAT: Decimal = dec!(9);

/// Biological sex, as the Mifflin-St Jeor equation distinguishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

crate::named_serde::serde_by_name!(Sex, "sex", Sex::parse);
crate::named_serde::serde_by_name!(ActivityLevel, "activity level", ActivityLevel::parse);

impl Sex {
    pub const NAMES: &'static [&'static str] = &["male", "female"];

    /// `male`/`m`/`man` or `female`/`f`/`woman`, any case.
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim().to_ascii_lowercase().as_str() {
            "male" | "m" | "man" => Some(Sex::Male),
            "female" | "f" | "woman" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// The Mifflin-St Jeor constant: +5 for men, −161 for women.
    pub fn mifflin_constant(self) -> Decimal {
        match self {
            Sex::Male => dec!(5),
            Sex::Female => dec!(-161),
        }
    }

    /// The default minimum daily calorie target: 1500 kcal for men, 1200 kcal for women.
    pub fn default_floor_kcal(self) -> Decimal {
        match self {
            Sex::Male => dec!(1500),
            Sex::Female => dec!(1200),
        }
    }
}

/// BMR by Mifflin-St Jeor, kcal/day: `10w + 6.25h − 5a + 5` (men) or `− 161` (women).
pub fn bmr_mifflin_st_jeor(
    weight_kg: Decimal,
    height_cm: Decimal,
    age_years: Decimal,
    sex: Sex,
) -> Decimal {
    dec!(10) * weight_kg + dec!(6.25) * height_cm - dec!(5) * age_years + sex.mifflin_constant()
}

/// Lean body mass in kg: `weight × (1 − body_fat_percent / 100)`.
pub fn lean_mass_kg(weight_kg: Decimal, body_fat_percent: Decimal) -> Decimal {
    weight_kg * (Decimal::ONE - body_fat_percent / dec!(100))
}

/// BMR by Katch-McArdle, kcal/day: `370 + 21.6 × lean mass (kg)`.
pub fn bmr_katch_mcardle(weight_kg: Decimal, body_fat_percent: Decimal) -> Decimal {
    dec!(370) + dec!(21.6) * lean_mass_kg(weight_kg, body_fat_percent)
}

/// How active someone is over a typical week, with its TDEE multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityLevel {
    /// Little or no exercise: × 1.2.
    Sedentary,
    /// Light exercise 1–3 days a week: × 1.375.
    Light,
    /// Moderate exercise 3–5 days a week: × 1.55.
    Moderate,
    /// Hard exercise 6–7 days a week: × 1.725.
    Active,
    /// Very hard exercise or a physical job: × 1.9.
    VeryActive,
}

impl ActivityLevel {
    pub const ALL: [ActivityLevel; 5] = [
        ActivityLevel::Sedentary,
        ActivityLevel::Light,
        ActivityLevel::Moderate,
        ActivityLevel::Active,
        ActivityLevel::VeryActive,
    ];

    pub const NAMES: &'static [&'static str] =
        &["sedentary", "light", "moderate", "active", "very_active"];

    pub fn multiplier(self) -> Decimal {
        match self {
            ActivityLevel::Sedentary => dec!(1.2),
            ActivityLevel::Light => dec!(1.375),
            ActivityLevel::Moderate => dec!(1.55),
            ActivityLevel::Active => dec!(1.725),
            ActivityLevel::VeryActive => dec!(1.9),
        }
    }

    /// `sedentary`, `light`, `moderate`, `active`, `very_active` (also `very-active`,
    /// `veryactive`), any case.
    pub fn parse(s: &str) -> Option<ActivityLevel> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "sedentary" => Some(ActivityLevel::Sedentary),
            "light" => Some(ActivityLevel::Light),
            "moderate" => Some(ActivityLevel::Moderate),
            "active" => Some(ActivityLevel::Active),
            "very_active" | "veryactive" => Some(ActivityLevel::VeryActive),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActivityLevel::Sedentary => "sedentary",
            ActivityLevel::Light => "light",
            ActivityLevel::Moderate => "moderate",
            ActivityLevel::Active => "active",
            ActivityLevel::VeryActive => "very_active",
        }
    }
}

/// Total daily energy expenditure: BMR × the activity multiplier.
pub fn tdee(bmr: Decimal, level: ActivityLevel) -> Decimal {
    bmr * level.multiplier()
}

/// The daily calorie change for a weekly weight change: `weekly_change_kg × 7700 / 7`
/// (negative for a loss). Exact: 7700 / 7 = 1100.
pub fn daily_energy_delta(weekly_change_kg: Decimal) -> Decimal {
    weekly_change_kg * KCAL_PER_KG / dec!(7)
}

/// The daily calorie target for a weekly weight change (negative = lose), never below
/// `floor_kcal`. Returns the target and whether the floor was applied.
pub fn calorie_target(
    tdee: Decimal,
    weekly_change_kg: Decimal,
    floor_kcal: Decimal,
) -> (Decimal, bool) {
    let raw = tdee + daily_energy_delta(weekly_change_kg);
    if raw < floor_kcal {
        (floor_kcal, true)
    } else {
        (raw, false)
    }
}

/// Suggested daily macronutrients, in grams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Macros {
    pub protein_g: Decimal,
    pub fat_g: Decimal,
    pub carbohydrates_g: Decimal,
}

/// A macro split for a calorie target: protein 1.8 g/kg of body weight, fat 25 % of the
/// calories (÷ 9 kcal/g), carbohydrate the remaining calories ÷ 4 kcal/g (zero, never
/// negative, when protein and fat already use up the target). Grams are rounded to one
/// decimal place (half away from zero); the calories are split before rounding.
pub fn macro_split(target_kcal: Decimal, weight_kg: Decimal) -> Macros {
    let protein_g = PROTEIN_G_PER_KG * weight_kg;
    let fat_kcal = FAT_SHARE_OF_KCAL * target_kcal;
    let fat_g = fat_kcal / KCAL_PER_G_FAT;
    let rest = target_kcal - fat_kcal - protein_g * KCAL_PER_G_PROTEIN;
    let carbohydrates_g = (rest / KCAL_PER_G_CARBOHYDRATE).max(Decimal::ZERO);
    let r = |d: Decimal| {
        d.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .normalize()
    };
    Macros {
        protein_g: r(protein_g),
        fat_g: r(fat_g),
        carbohydrates_g: r(carbohydrates_g),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mifflin_man_worked_example() {
        // 10 × 80 + 6.25 × 180 − 5 × 30 + 5 = 800 + 1125 − 150 + 5 = 1780
        assert_eq!(
            bmr_mifflin_st_jeor(dec!(80), dec!(180), dec!(30), Sex::Male),
            dec!(1780)
        );
    }

    #[test]
    fn mifflin_woman_worked_example() {
        // 10 × 60 + 6.25 × 165 − 5 × 25 − 161 = 600 + 1031.25 − 125 − 161 = 1345.25
        assert_eq!(
            bmr_mifflin_st_jeor(dec!(60), dec!(165), dec!(25), Sex::Female),
            dec!(1345.25)
        );
    }

    #[test]
    fn katch_mcardle_worked_example() {
        // lean mass 80 × 0.8 = 64 kg; 370 + 21.6 × 64 = 1752.4
        assert_eq!(lean_mass_kg(dec!(80), dec!(20)), dec!(64));
        assert_eq!(bmr_katch_mcardle(dec!(80), dec!(20)), dec!(1752.4));
    }

    #[test]
    fn sex_and_activity_read_and_print_by_name() {
        let s: Sex = serde_json::from_str("\"Female\"").unwrap();
        assert_eq!(s, Sex::Female);
        assert_eq!(serde_json::to_string(&Sex::Male).unwrap(), "\"male\"");
        let a: ActivityLevel = serde_json::from_str("\"Very-Active\"").unwrap();
        assert_eq!(a, ActivityLevel::VeryActive);
        assert_eq!(
            serde_json::to_string(&ActivityLevel::VeryActive).unwrap(),
            "\"very_active\""
        );
        assert!(serde_json::from_str::<ActivityLevel>("\"lazy\"").is_err());
        assert!(serde_json::from_str::<Sex>("5").is_err());
        let names: Vec<&str> = ActivityLevel::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names, ActivityLevel::NAMES);
        assert_eq!(Sex::NAMES, [Sex::Male.as_str(), Sex::Female.as_str()]);
    }

    #[test]
    fn tdee_multipliers() {
        assert_eq!(tdee(dec!(1780), ActivityLevel::Sedentary), dec!(2136));
        assert_eq!(tdee(dec!(1780), ActivityLevel::Light), dec!(2447.5));
        assert_eq!(tdee(dec!(1780), ActivityLevel::Moderate), dec!(2759));
        assert_eq!(tdee(dec!(1780), ActivityLevel::Active), dec!(3070.5));
        assert_eq!(tdee(dec!(1780), ActivityLevel::VeryActive), dec!(3382));
        for l in ActivityLevel::ALL {
            assert_eq!(ActivityLevel::parse(l.as_str()), Some(l));
        }
        assert_eq!(
            ActivityLevel::parse("Very-Active"),
            Some(ActivityLevel::VeryActive)
        );
        assert_eq!(ActivityLevel::parse("lazy"), None);
    }

    #[test]
    fn calorie_target_half_kg_a_week() {
        // 0.5 kg/week × 7700 / 7 = 550 kcal/day
        assert_eq!(daily_energy_delta(dec!(-0.5)), dec!(-550));
        assert_eq!(
            calorie_target(dec!(2759), dec!(-0.5), dec!(1500)),
            (dec!(2209), false)
        );
        assert_eq!(
            calorie_target(dec!(2759), dec!(0.25), dec!(1500)),
            (dec!(3034), false)
        );
    }

    #[test]
    fn calorie_target_floor() {
        // Woman: BMR 1345.25 × 1.2 = 1614.3; −1 kg/week → 1614.3 − 1100 = 514.3 → floor 1200.
        let t = tdee(dec!(1345.25), ActivityLevel::Sedentary);
        assert_eq!(t, dec!(1614.3));
        assert_eq!(
            calorie_target(t, dec!(-1), Sex::Female.default_floor_kcal()),
            (dec!(1200), true)
        );
        // Exactly at the floor is not "floored".
        assert_eq!(
            calorie_target(dec!(2600), dec!(-1), dec!(1500)),
            (dec!(1500), false)
        );
        assert_eq!(Sex::Male.default_floor_kcal(), dec!(1500));
    }

    #[test]
    fn macro_split_worked_example() {
        // 2209 kcal, 80 kg: protein 144 g (576 kcal), fat 552.25 kcal = 61.36… g → 61.4 g,
        // carbs (2209 − 552.25 − 576) / 4 = 270.1875 → 270.2 g.
        let m = macro_split(dec!(2209), dec!(80));
        assert_eq!(m.protein_g, dec!(144));
        assert_eq!(m.fat_g, dec!(61.4));
        assert_eq!(m.carbohydrates_g, dec!(270.2));
    }

    #[test]
    fn macro_split_never_negative_carbs() {
        let m = macro_split(dec!(1200), dec!(200));
        assert_eq!(m.carbohydrates_g, Decimal::ZERO);
        assert_eq!(m.protein_g, dec!(360));
    }

    #[test]
    fn sex_parse() {
        assert_eq!(Sex::parse("Female"), Some(Sex::Female));
        assert_eq!(Sex::parse("m"), Some(Sex::Male));
        assert_eq!(Sex::parse("x"), None);
    }

    proptest! {
        #[test]
        fn target_never_below_floor(tdee_kcal in 0u32..6000, change_g in -2000i32..2000, floor in 800u32..2500) {
            let (t, floored) = calorie_target(
                Decimal::from(tdee_kcal), Decimal::new(change_g as i64, 3), Decimal::from(floor));
            prop_assert!(t >= Decimal::from(floor));
            prop_assert_eq!(floored, t == Decimal::from(floor) && Decimal::from(tdee_kcal) + daily_energy_delta(Decimal::new(change_g as i64, 3)) < Decimal::from(floor));
        }

        #[test]
        fn mifflin_sexes_differ_by_166(w in 30u32..250, h in 120u32..220, a in 15u32..100) {
            let (w, h, a) = (Decimal::from(w), Decimal::from(h), Decimal::from(a));
            prop_assert_eq!(
                bmr_mifflin_st_jeor(w, h, a, Sex::Male) - bmr_mifflin_st_jeor(w, h, a, Sex::Female),
                dec!(166)
            );
        }

        #[test]
        fn macros_add_up(kcal in 1200u32..5000, w in 40u32..120) {
            let m = macro_split(Decimal::from(kcal), Decimal::from(w));
            let total = m.protein_g * dec!(4) + m.fat_g * dec!(9) + m.carbohydrates_g * dec!(4);
            // Rounding each gram figure to 0.1 g moves the total by at most 0.05 × (4 + 9 + 4).
            prop_assert!((total - Decimal::from(kcal)).abs() <= dec!(0.85));
        }
    }
}
