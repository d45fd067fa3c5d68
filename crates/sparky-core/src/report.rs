//! Report arithmetic over a range of days: averages over the days that have data, weekly
//! totals against a budget, the energy split of the macronutrients, reference intakes for the
//! other nutrients and the share of days a target was met. No I/O; the application layer
//! reads the daily values in one query and calls these.

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// kcal per gram of protein, carbohydrate and fat (the Atwater factors).
pub const KCAL_PER_G_PROTEIN: Decimal = dec!(4);
pub const KCAL_PER_G_CARBOHYDRATES: Decimal = dec!(4);
pub const KCAL_PER_G_FAT: Decimal = dec!(9);

/// Which side of a reference intake counts as met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// At least this much (fiber, vitamins, minerals).
    AtLeast,
    /// At most this much (sodium, saturated fat, cholesterol).
    AtMost,
}

impl Bound {
    pub fn as_str(self) -> &'static str {
        match self {
            Bound::AtLeast => "at_least",
            Bound::AtMost => "at_most",
        }
    }

    /// Whether `value` meets `target` on this side (equal counts as met).
    pub fn met(self, value: Decimal, target: Decimal) -> bool {
        match self {
            Bound::AtLeast => value >= target,
            Bound::AtMost => value <= target,
        }
    }
}

/// The unit a nutrient of [`crate::nutrition::Nutrients`] is kept in.
pub fn nutrient_unit(name: &str) -> &'static str {
    match name {
        "calories" => "kcal",
        "sodium" | "cholesterol" | "potassium" | "calcium" | "iron" | "vitamin_c" => "mg",
        "vitamin_a" => "µg",
        _ => "g",
    }
}

/// The reference intake of a nutrient other than energy and the macronutrients: the US Daily
/// Values for adults and children 4 years and older (21 CFR 101.9, as revised in 2016), in the
/// nutrient's unit. `None` for nutrients without one (total sugars, trans fat) and for the
/// macronutrients, whose targets are the user's goals.
pub fn reference_intake(name: &str) -> Option<(Decimal, Bound)> {
    let r = match name {
        "fiber" => (dec!(28), Bound::AtLeast),
        "sodium" => (dec!(2300), Bound::AtMost),
        "saturated_fat" => (dec!(20), Bound::AtMost),
        "cholesterol" => (dec!(300), Bound::AtMost),
        "potassium" => (dec!(4700), Bound::AtLeast),
        "calcium" => (dec!(1300), Bound::AtLeast),
        "iron" => (dec!(18), Bound::AtLeast),
        "vitamin_a" => (dec!(900), Bound::AtLeast),
        "vitamin_c" => (dec!(90), Bound::AtLeast),
        _ => return None,
    };
    Some(r)
}

/// The mean of the known values; `None` when there are none. Missing days are left out, not
/// counted as zero. Unrounded.
pub fn mean_of_known(values: &[Option<Decimal>]) -> Option<Decimal> {
    let known: Vec<Decimal> = values.iter().flatten().copied().collect();
    if known.is_empty() {
        return None;
    }
    known
        .iter()
        .sum::<Decimal>()
        .checked_div(Decimal::from(known.len() as u64))
}

/// Of the logged days that know the value, how many met the target and that share (0–1,
/// unrounded). A day that does not know it is left out, like the average leaves it out: it
/// neither met a floor nor broke a limit ("sodium over the limit on two of three days" was
/// said of days with no sodium value at all). `None` share when no day knows it.
pub fn share_met(
    values: &[Option<Decimal>],
    target: Decimal,
    bound: Bound,
) -> (u32, Option<Decimal>) {
    let met = values
        .iter()
        .filter(|v| v.is_some_and(|v| bound.met(v, target)))
        .count() as u32;
    let known = values.iter().flatten().count();
    let share = if known == 0 {
        None
    } else {
        Decimal::from(met).checked_div(Decimal::from(known as u64))
    };
    (met, share)
}

/// Whether a day's total that is only a lower bound (some entries do not give the nutrient)
/// still says if `target` was met: it does when it reaches a floor or passes a limit; below a
/// floor or within a limit, the missing entries could change the answer.
pub fn lower_bound_decides(value: Decimal, target: Decimal, bound: Bound) -> bool {
    match bound {
        Bound::AtLeast => bound.met(value, target),
        Bound::AtMost => !bound.met(value, target),
    }
}

/// The energy split of protein, carbohydrates and fat (grams): each one's kcal (Atwater
/// factors) as a share (0–1, unrounded) of their sum. `None` when the sum is zero.
pub fn macro_energy_split(
    protein_g: Decimal,
    carbohydrates_g: Decimal,
    fat_g: Decimal,
) -> Option<(Decimal, Decimal, Decimal)> {
    let p = protein_g * KCAL_PER_G_PROTEIN;
    let c = carbohydrates_g * KCAL_PER_G_CARBOHYDRATES;
    let f = fat_g * KCAL_PER_G_FAT;
    let total = p + c + f;
    if total <= Decimal::ZERO {
        return None;
    }
    Some((p / total, c / total, f / total))
}

/// One calendar week (Monday to Sunday) of a range.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekTotal {
    /// The Monday of the week (may be before the range's first day).
    pub week_start: NaiveDate,
    /// Days of the range in this week (7, except at the range's ends).
    pub days: u32,
    /// Days of those with a value.
    pub logged_days: u32,
    /// Sum of the known values; `None` when no day has one.
    pub total: Option<Decimal>,
    /// The sum of the targets of the week's logged days (7 × the daily target for a whole
    /// week logged with one target for every day), as Today's week budget counts them: a day
    /// with nothing logged (before one started, or forgotten) is not calories "under budget".
    /// `None` when no day is logged or a logged day has no target.
    pub budget: Option<Decimal>,
}

/// The days of the week as the API names them, Monday first (ISO order).
pub const WEEKDAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The Monday of `d`'s week.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    week_start_on(d, chrono::Weekday::Mon)
}

/// A first day of the week from its ISO number (1 = Monday … 7 = Sunday); Monday for anything
/// else (a missing preference).
pub fn weekday_from_iso(isodow: i64) -> chrono::Weekday {
    u8::try_from(isodow - 1)
        .ok()
        .and_then(|n| chrono::Weekday::try_from(n).ok())
        .unwrap_or(chrono::Weekday::Mon)
}

/// The first day of `d`'s week when weeks start on `first`.
pub fn week_start_on(d: NaiveDate, first: chrono::Weekday) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().days_since(first)))
}

/// The target of one day: the value for its day of the week when one is set (`by_weekday`,
/// Monday first, `None` = the usual target), else the usual target.
pub fn target_on(
    usual: Option<Decimal>,
    by_weekday: Option<&[Option<Decimal>]>,
    day: NaiveDate,
) -> Option<Decimal> {
    let i = day.weekday().num_days_from_monday() as usize;
    by_weekday
        .and_then(|w| w.get(i).copied().flatten())
        .or(usual)
}

/// Weekly totals of daily values laid on `from..=to` (`daily[i]` is day `from + i`; missing
/// days are `None`), each against a budget: the sum of the targets of the week's logged days
/// (`target_of` a day; no budget when a logged day has no target, or none is logged).
pub fn weekly_totals(
    from: NaiveDate,
    daily: &[Option<Decimal>],
    first: chrono::Weekday,
    target_of: impl Fn(NaiveDate) -> Option<Decimal>,
) -> Vec<WeekTotal> {
    let mut weeks: Vec<WeekTotal> = Vec::new();
    for (i, v) in daily.iter().enumerate() {
        let day = from + Duration::days(i as i64);
        let start = week_start_on(day, first);
        if weeks.last().is_none_or(|w| w.week_start != start) {
            weeks.push(WeekTotal {
                week_start: start,
                days: 0,
                logged_days: 0,
                total: None,
                budget: Some(Decimal::ZERO),
            });
        }
        if let Some(w) = weeks.last_mut() {
            w.days += 1;
            if let Some(v) = v {
                w.budget = w.budget.zip(target_of(day)).map(|(b, t)| b + t);
                w.logged_days += 1;
                w.total = Some(w.total.unwrap_or_default() + v);
            }
        }
    }
    for w in &mut weeks {
        if w.logged_days == 0 {
            w.budget = None;
        }
    }
    weeks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn means_leave_out_missing_days() {
        assert_eq!(
            mean_of_known(&[Some(dec!(2000)), None, Some(dec!(1000))]),
            Some(dec!(1500))
        );
        assert_eq!(mean_of_known(&[None, None]), None);
    }

    #[test]
    fn shares_are_of_the_days_that_know_the_value() {
        let v = [Some(dec!(30)), Some(dec!(20)), None, Some(dec!(28))];
        assert_eq!(
            share_met(&v, dec!(28), Bound::AtLeast),
            (2, Some(dec!(2) / dec!(3)))
        );
        assert_eq!(
            share_met(&v, dec!(28), Bound::AtMost),
            (2, Some(dec!(2) / dec!(3)))
        );
        assert_eq!(share_met(&[None, None], dec!(1), Bound::AtMost), (0, None));
        // A lower bound: a floor reached or a limit passed is settled, nothing else.
        assert!(lower_bound_decides(dec!(30), dec!(28), Bound::AtLeast));
        assert!(!lower_bound_decides(dec!(20), dec!(28), Bound::AtLeast));
        assert!(lower_bound_decides(dec!(2500), dec!(2300), Bound::AtMost));
        assert!(!lower_bound_decides(dec!(2000), dec!(2300), Bound::AtMost));
        assert_eq!(share_met(&[], dec!(1), Bound::AtLeast), (0, None));
    }

    #[test]
    fn macro_split_is_by_energy() {
        // 100 g protein (400 kcal), 100 g carbs (400), 22.2… g fat → 100 g fat is 900 kcal.
        let (p, c, f) = macro_energy_split(dec!(100), dec!(100), dec!(100)).unwrap();
        assert_eq!(
            (p, c, f),
            (
                dec!(400) / dec!(1700),
                dec!(400) / dec!(1700),
                dec!(900) / dec!(1700)
            )
        );
        assert!(macro_energy_split(dec!(0), dec!(0), dec!(0)).is_none());
    }

    #[test]
    fn weeks_run_monday_to_sunday_with_part_weeks_in_proportion() {
        // 2026-07-01 is a Wednesday: 5 days in its week, then a whole week, then 1 day.
        let mut daily = vec![Some(dec!(2000)); 13];
        daily[1] = None;
        let w = weekly_totals(day("2026-07-01"), &daily, chrono::Weekday::Mon, |_| {
            Some(dec!(1800))
        });
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].week_start, day("2026-06-29"));
        assert_eq!((w[0].days, w[0].logged_days), (5, 4));
        assert_eq!(w[0].total, Some(dec!(8000)));
        // The four logged days' targets: the day without food is no budget left over.
        assert_eq!(w[0].budget, Some(dec!(7200)));
        assert_eq!(w[1].budget, Some(dec!(12600)));
        assert_eq!((w[2].days, w[2].week_start), (1, day("2026-07-13")));
        assert_eq!(
            weekly_totals(day("2026-07-01"), &[None], chrono::Weekday::Mon, |_| None)[0].total,
            None
        );
        // Nothing logged in a week: no budget to be under.
        let none = weekly_totals(day("2026-07-01"), &[None], chrono::Weekday::Mon, |_| {
            Some(dec!(1800))
        });
        assert_eq!(none[0].budget, None);
    }

    #[test]
    fn weekday_targets_replace_the_usual_one_on_their_days() {
        // 2026-07-04 is a Saturday, 2026-07-06 a Monday.
        let mut by_weekday = [None; 7];
        by_weekday[5] = Some(dec!(2600));
        let w = Some(&by_weekday[..]);
        assert_eq!(
            target_on(Some(dec!(2000)), w, day("2026-07-04")),
            Some(dec!(2600))
        );
        assert_eq!(
            target_on(Some(dec!(2000)), w, day("2026-07-06")),
            Some(dec!(2000))
        );
        assert_eq!(target_on(None, w, day("2026-07-04")), Some(dec!(2600)));
        assert_eq!(
            target_on(Some(dec!(2000)), None, day("2026-07-04")),
            Some(dec!(2000))
        );
        // A week's budget sums its days' own targets: Wednesday to Sunday, one of them Saturday.
        let weeks = weekly_totals(
            day("2026-07-01"),
            &[Some(dec!(1)); 5],
            chrono::Weekday::Mon,
            |d| target_on(Some(dec!(2000)), w, d),
        );
        assert_eq!(weeks[0].budget, Some(dec!(10600)));
        // A day without any target leaves its week without a budget.
        let weeks = weekly_totals(
            day("2026-07-01"),
            &[Some(dec!(1)); 5],
            chrono::Weekday::Mon,
            |d| target_on(None, w, d),
        );
        assert_eq!(weeks[0].budget, None);
        // Weeks that start on Sunday: Wednesday 2026-07-01 to Saturday is one week, Sunday the
        // next.
        let weeks = weekly_totals(
            day("2026-07-01"),
            &[Some(dec!(1)); 5],
            chrono::Weekday::Sun,
            |d| target_on(Some(dec!(2000)), w, d),
        );
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].week_start, day("2026-06-28"));
        assert_eq!((weeks[0].days, weeks[0].budget), (4, Some(dec!(8600))));
        assert_eq!(weeks[1].week_start, day("2026-07-05"));
        assert_eq!(
            week_start_on(day("2026-07-05"), chrono::Weekday::Sun),
            day("2026-07-05")
        );
        assert_eq!(
            week_start_on(day("2026-07-04"), chrono::Weekday::Sat),
            day("2026-07-04")
        );
        assert_eq!(
            week_start_on(day("2026-07-03"), chrono::Weekday::Sat),
            day("2026-06-27")
        );
        let weeks = weekly_totals(
            day("2026-07-01"),
            &[Some(dec!(1)); 5],
            chrono::Weekday::Mon,
            |d| target_on(None, w, d),
        );
        assert_eq!(weeks[0].budget, None);
    }

    #[test]
    fn reference_intakes_know_their_side() {
        assert_eq!(
            reference_intake("sodium"),
            Some((dec!(2300), Bound::AtMost))
        );
        assert_eq!(reference_intake("iron"), Some((dec!(18), Bound::AtLeast)));
        assert_eq!(reference_intake("sugar"), None);
        assert_eq!(nutrient_unit("vitamin_a"), "µg");
        assert_eq!(nutrient_unit("fiber"), "g");
    }
}
