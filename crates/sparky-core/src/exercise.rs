//! Exercise arithmetic: calories from MET values, estimated one-rep max, pace, the owner's
//! display units, and personal records over an exercise's sessions.
//! Exact decimals throughout; results are rounded only where a person reads them.

use rust_decimal::Decimal;

use crate::units::{kg_to_lb, km_to_mi, lb_to_kg, mi_to_km, round_dp};
use crate::values::{DistanceUnit, UnitsSystem, WeightUnit};

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

/// The most reps a set may have for its one-rep max to be estimated: past about a dozen the
/// formula says nothing (a 100-rep burnout set of 60 kg "estimated" 260 kg), so Strong and
/// Hevy estimate from low-rep sets only.
pub const MAX_ONE_REP_MAX_REPS: u32 = 12;

/// The one-rep max a set estimates ([`epley_one_rep_max`]), for sets of 1 to
/// [`MAX_ONE_REP_MAX_REPS`] reps.
pub fn one_rep_max_estimate(weight: Decimal, reps: u32) -> Option<Decimal> {
    (1..=MAX_ONE_REP_MAX_REPS)
        .contains(&reps)
        .then(|| epley_one_rep_max(weight, reps))
}

/// Minutes per kilometre, unrounded; `None` without a positive distance and duration.
pub fn pace_min_per_km(duration_minutes: Decimal, distance_km: Decimal) -> Option<Decimal> {
    if duration_minutes <= Decimal::ZERO || distance_km <= Decimal::ZERO {
        return None;
    }
    duration_minutes.checked_div(distance_km)
}

/// The fastest average speed a workout may be logged with, km/h: beyond what any human-powered
/// sport keeps up over whole minutes, so what is faster is a typo (10,000 km in 30 minutes,
/// metres typed as km) that would otherwise become the fastest-pace record.
pub const MAX_AVERAGE_SPEED_KMH: u32 = 100;

/// Whether a workout's distance over its duration is a speed someone can go (true when either
/// is unknown; a distance in 0 seconds is no speed anyone goes either).
pub fn plausible_speed(duration_seconds: Option<i32>, distance_km: Option<Decimal>) -> bool {
    match (duration_seconds, distance_km) {
        (Some(seconds), Some(km)) if km > Decimal::ZERO => {
            km * Decimal::from(3600)
                <= Decimal::from(MAX_AVERAGE_SPEED_KMH) * Decimal::from(seconds)
        }
        _ => true,
    }
}

/// A timed set's longest time: a day, in seconds.
pub const MAX_SET_SECONDS: i32 = 86_400;
/// The longest workout, in seconds: a week.
pub const MAX_DURATION_SECONDS: i32 = 604_800;

/// The time a workout's timed sets add up to, for a workout given no duration of its own (3 ×
/// 60 s of plank is 3 minutes, and gets a calorie estimate): `None` when no set is timed or
/// the sum is longer than a workout may be.
pub fn sets_time(set_seconds: impl IntoIterator<Item = Option<i32>>) -> Option<i32> {
    let timed: Vec<i64> = set_seconds.into_iter().flatten().map(i64::from).collect();
    let total: i64 = timed.iter().sum();
    (!timed.is_empty() && total <= i64::from(MAX_DURATION_SECONDS)).then_some(total as i32)
}

/// Seconds as the whole minutes the seed's `duration_minutes` keeps: rounded, half a minute up
/// (PostgreSQL's `round(seconds / 60.0)` for the same value).
pub fn rounded_minutes(seconds: i32) -> i32 {
    // A week of seconds or i32::MAX alike: the minutes of an i32 fit an i32.
    total_rounded_minutes(seconds.into()) as i32
}

/// [`rounded_minutes`] of a sum of durations (a day's, a week's).
pub fn total_rounded_minutes(seconds: i64) -> i64 {
    (seconds.max(0) + 30) / 60
}

/// Seconds as minutes, exactly (for pace and the MET estimate).
pub fn minutes_of(seconds: i32) -> Decimal {
    Decimal::from(seconds) / Decimal::from(60)
}

/// A duration read the way a stopwatch shows it: `m:ss` under an hour, else `h:mm:ss`.
pub fn clock(seconds: i32) -> String {
    let s = seconds.max(0);
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{sec:02}")
    } else {
        format!("{m}:{sec:02}")
    }
}

/// A duration for people: whole minutes as `25 min`, else like a stopwatch (`25:34`).
pub fn duration_label(seconds: i32) -> String {
    if seconds % 60 == 0 {
        format!("{} min", seconds / 60)
    } else {
        clock(seconds)
    }
}

/// Places kept when a stored kg or km value is shown in pounds or miles: 4 gives back exactly
/// what was typed (the 6-place stored value is within 1.1e-6 of it).
pub const CONVERTED_DP: u32 = 4;

impl WeightUnit {
    /// The weight unit of a units system.
    pub fn of(system: UnitsSystem) -> WeightUnit {
        match system {
            UnitsSystem::Metric => WeightUnit::Kg,
            UnitsSystem::Imperial => WeightUnit::Lb,
        }
    }

    /// A weight in this unit, in kg (unrounded).
    pub fn to_kg(self, value: Decimal) -> Decimal {
        match self {
            WeightUnit::Kg => value,
            WeightUnit::Lb => lb_to_kg(value),
        }
    }

    /// A kg value in this unit, unrounded.
    pub fn from_kg(self, kg: Decimal) -> Decimal {
        match self {
            WeightUnit::Kg => kg,
            WeightUnit::Lb => kg_to_lb(kg),
        }
    }

    /// A stored kg value as shown in this unit.
    pub fn show(self, kg: Decimal) -> Decimal {
        match self {
            WeightUnit::Kg => kg,
            WeightUnit::Lb => round_dp(kg_to_lb(kg), CONVERTED_DP),
        }
    }
}

impl DistanceUnit {
    /// The distance unit of a units system.
    pub fn of(system: UnitsSystem) -> DistanceUnit {
        match system {
            UnitsSystem::Metric => DistanceUnit::Km,
            UnitsSystem::Imperial => DistanceUnit::Mi,
        }
    }

    /// A distance in this unit, in km (unrounded).
    pub fn to_km(self, value: Decimal) -> Decimal {
        match self {
            DistanceUnit::Km => value,
            DistanceUnit::Mi => mi_to_km(value),
        }
    }

    /// A stored km value as shown in this unit.
    pub fn show(self, km: Decimal) -> Decimal {
        match self {
            DistanceUnit::Km => km,
            DistanceUnit::Mi => round_dp(km_to_mi(km), CONVERTED_DP),
        }
    }

    /// Minutes per kilometre as minutes per this unit, 2 places.
    pub fn show_pace(self, min_per_km: Decimal) -> Decimal {
        match self {
            DistanceUnit::Km => round_dp(min_per_km, 2),
            DistanceUnit::Mi => round_dp(min_per_km / km_to_mi(Decimal::ONE), 2),
        }
    }
}

/// One set as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetFacts {
    pub reps: Option<u32>,
    pub weight_kg: Option<Decimal>,
    /// A timed set's seconds (a plank, a hang, a carry).
    pub duration_seconds: Option<u32>,
}

/// One session of an exercise: what personal records are made of. `key` identifies it to the
/// caller (its day and id, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts<K> {
    pub key: K,
    /// In set order.
    pub sets: Vec<SetFacts>,
    pub duration_seconds: Option<u32>,
    pub distance_km: Option<Decimal>,
}

/// A set that holds a record: its weight (kg) and reps, in the session `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRecord<K> {
    pub weight_kg: Decimal,
    pub reps: Option<u32>,
    pub key: K,
}

/// The best estimated one-rep max (Epley, unrounded, kg) and the set it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneRepMaxRecord<K> {
    pub one_rep_max_kg: Decimal,
    pub weight_kg: Decimal,
    pub reps: u32,
    pub key: K,
}

/// The longest timed set: its seconds, and its weight (kg) when it was loaded, in the
/// session `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedSetRecord<K> {
    pub duration_seconds: u32,
    pub weight_kg: Option<Decimal>,
    pub key: K,
}

/// A session that holds a distance or pace record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardioRecord<K> {
    pub distance_km: Decimal,
    pub duration_seconds: Option<u32>,
    /// Minutes per km, unrounded (for the fastest pace).
    pub pace_min_per_km: Option<Decimal>,
    pub key: K,
}

/// Personal records of one exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records<K> {
    pub heaviest_weight: Option<SetRecord<K>>,
    /// For each weight lifted (with at least one rep), the most reps done with it, heaviest
    /// weight first.
    pub most_reps_at_weight: Vec<SetRecord<K>>,
    pub best_one_rep_max: Option<OneRepMaxRecord<K>>,
    pub longest_set: Option<TimedSetRecord<K>>,
    pub longest_distance: Option<CardioRecord<K>>,
    pub fastest_pace: Option<CardioRecord<K>>,
}

impl<K> Default for Records<K> {
    fn default() -> Records<K> {
        Records {
            heaviest_weight: None,
            most_reps_at_weight: Vec::new(),
            best_one_rep_max: None,
            longest_set: None,
            longest_distance: None,
            fastest_pace: None,
        }
    }
}

/// Personal records over sessions given oldest first: heaviest set, most reps at each weight,
/// best estimated one-rep max (Epley), longest timed set, longest distance, fastest pace. A record must be beaten
/// strictly, so ties stay with the earliest session (and, within it, the earliest set).
pub fn personal_records<K: Clone>(sessions: &[SessionFacts<K>]) -> Records<K> {
    let mut r = Records::default();
    for s in sessions {
        for set in &s.sets {
            if let Some(seconds) = set.duration_seconds.filter(|d| {
                r.longest_set
                    .as_ref()
                    .is_none_or(|l| *d > l.duration_seconds)
            }) {
                r.longest_set = Some(TimedSetRecord {
                    duration_seconds: seconds,
                    weight_kg: set.weight_kg,
                    key: s.key.clone(),
                });
            }
            let Some(kg) = set.weight_kg else { continue };
            // A set of 0 reps is a missed lift: no record (as in the exercise report).
            if set.reps == Some(0) {
                continue;
            }
            if r.heaviest_weight.as_ref().is_none_or(|h| kg > h.weight_kg) {
                r.heaviest_weight = Some(SetRecord {
                    weight_kg: kg,
                    reps: set.reps,
                    key: s.key.clone(),
                });
            }
            let Some(reps) = set.reps.filter(|n| *n > 0) else {
                continue;
            };
            if let Some(e1rm) = one_rep_max_estimate(kg, reps).filter(|e1rm| {
                r.best_one_rep_max
                    .as_ref()
                    .is_none_or(|b| *e1rm > b.one_rep_max_kg)
            }) {
                r.best_one_rep_max = Some(OneRepMaxRecord {
                    one_rep_max_kg: e1rm,
                    weight_kg: kg,
                    reps,
                    key: s.key.clone(),
                });
            }
            match r.most_reps_at_weight.iter_mut().find(|x| x.weight_kg == kg) {
                Some(x) if x.reps.is_some_and(|best| reps > best) => {
                    x.reps = Some(reps);
                    x.key = s.key.clone();
                }
                Some(_) => {}
                None => r.most_reps_at_weight.push(SetRecord {
                    weight_kg: kg,
                    reps: Some(reps),
                    key: s.key.clone(),
                }),
            }
        }
        let Some(km) = s.distance_km.filter(|km| *km > Decimal::ZERO) else {
            continue;
        };
        let pace = s
            .duration_seconds
            .and_then(|d| pace_min_per_km(Decimal::from(d) / Decimal::from(60), km));
        let record = CardioRecord {
            distance_km: km,
            duration_seconds: s.duration_seconds,
            pace_min_per_km: pace,
            key: s.key.clone(),
        };
        if r.longest_distance
            .as_ref()
            .is_none_or(|l| km > l.distance_km)
        {
            r.longest_distance = Some(record.clone());
        }
        // A pace faster than anyone goes (kept from before the speed was checked) is no record.
        let fastest = Decimal::from(60) / Decimal::from(MAX_AVERAGE_SPEED_KMH);
        if let Some(p) = pace.filter(|p| *p >= fastest) {
            if r.fastest_pace
                .as_ref()
                .and_then(|f| f.pace_min_per_km)
                .is_none_or(|best| p < best)
            {
                r.fastest_pace = Some(record);
            }
        }
    }
    r.most_reps_at_weight
        .sort_by_key(|x| std::cmp::Reverse(x.weight_kg));
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn timed_sets_add_up_to_a_duration_within_a_week() {
        assert_eq!(sets_time([Some(60), None, Some(45)]), Some(105));
        assert_eq!(sets_time([None, None]), None);
        assert_eq!(sets_time(std::iter::empty()), None);
        assert_eq!(
            sets_time(vec![Some(MAX_SET_SECONDS); 7]),
            Some(MAX_DURATION_SECONDS)
        );
        assert_eq!(sets_time(vec![Some(MAX_SET_SECONDS); 8]), None);
        assert_eq!(sets_time(vec![Some(i32::MAX); 3]), None);
    }

    use super::*;

    #[test]
    fn speeds_beyond_anyone_are_implausible_and_no_pace_record() {
        assert!(plausible_speed(Some(1800), Some(dec!(50))));
        assert!(!plausible_speed(Some(1800), Some(dec!(50.01))));
        assert!(!plausible_speed(Some(1800), Some(dec!(10000))));
        // 100 m in 3.6 s is 100 km/h; in 3 s it is not.
        assert!(plausible_speed(Some(4), Some(dec!(0.1))));
        assert!(!plausible_speed(Some(3), Some(dec!(0.1))));
        assert!(!plausible_speed(Some(0), Some(dec!(10))));
        assert!(plausible_speed(Some(0), Some(dec!(0))));
        assert!(plausible_speed(None, Some(dec!(10000))));
        let session = |key: u32, minutes: u32, km: Decimal| SessionFacts {
            key,
            sets: Vec::new(),
            duration_seconds: Some(minutes * 60),
            distance_km: Some(km),
        };
        let r = personal_records(&[session(1, 30, dec!(5)), session(2, 30, dec!(10000))]);
        assert_eq!(r.fastest_pace.map(|f| f.key), Some(1));
    }

    #[test]
    fn a_missed_lift_is_no_record() {
        let set = |reps: Option<u32>, kg: Decimal| SetFacts {
            reps,
            weight_kg: Some(kg),
            duration_seconds: None,
        };
        let s = SessionFacts {
            key: 1,
            sets: vec![set(Some(5), dec!(100)), set(Some(0), dec!(140))],
            duration_seconds: None,
            distance_km: None,
        };
        let r = personal_records(&[s]);
        assert_eq!(r.heaviest_weight.map(|h| h.weight_kg), Some(dec!(100)));
    }
    use rust_decimal_macros::dec;

    #[test]
    fn the_longest_timed_set_is_a_record_and_ties_stay_with_the_first() {
        let timed = |seconds: Option<u32>, kg: Option<Decimal>| SetFacts {
            reps: None,
            weight_kg: kg,
            duration_seconds: seconds,
        };
        let session = |key: u32, sets: Vec<SetFacts>| SessionFacts {
            key,
            sets,
            duration_seconds: None,
            distance_km: None,
        };
        let r = personal_records(&[
            session(1, vec![timed(Some(45), None), timed(Some(60), None)]),
            session(2, vec![timed(Some(60), Some(dec!(10))), timed(None, None)]),
            session(3, vec![timed(Some(75), Some(dec!(5)))]),
            session(4, vec![timed(Some(50), Some(dec!(20)))]),
        ]);
        let longest = r.longest_set.expect("a timed set");
        assert_eq!(
            (longest.duration_seconds, longest.weight_kg, longest.key),
            (75, Some(dec!(5)), 3)
        );
        // A loaded hold of 0 reps is still a weight held: the heaviest record counts it.
        assert_eq!(r.heaviest_weight.map(|h| h.key), Some(4));
        let none = personal_records(&[session(1, vec![timed(None, Some(dec!(50)))])]);
        assert_eq!(none.longest_set, None);
    }

    #[test]
    fn durations_read_and_typed_like_a_stopwatch() {
        assert_eq!(clock(25 * 60 + 34), "25:34");
        assert_eq!(clock(45), "0:45");
        assert_eq!(clock(3723), "1:02:03");
        assert_eq!(duration_label(1500), "25 min");
        assert_eq!(duration_label(1534), "25:34");
        assert_eq!(rounded_minutes(29), 0);
        assert_eq!(rounded_minutes(30), 1);
        assert_eq!(rounded_minutes(1534), 26);
        assert_eq!(rounded_minutes(1529), 25);
        assert_eq!(minutes_of(90), dec!(1.5));
    }

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
        assert_eq!(one_rep_max_estimate(dec!(80), 3), Some(dec!(88)));
        assert_eq!(one_rep_max_estimate(dec!(100), 12), Some(dec!(140)));
        assert_eq!(one_rep_max_estimate(dec!(60), 13), None);
        assert_eq!(one_rep_max_estimate(dec!(60), 0), None);
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

    fn session(
        key: u32,
        sets: &[(u32, Decimal)],
        cardio: Option<(u32, Decimal)>,
    ) -> SessionFacts<u32> {
        SessionFacts {
            key,
            sets: sets
                .iter()
                .map(|&(reps, kg)| SetFacts {
                    reps: Some(reps),
                    weight_kg: Some(kg),
                    duration_seconds: None,
                })
                .collect(),
            duration_seconds: cardio.map(|c| c.0 * 60),
            distance_km: cardio.map(|c| c.1),
        }
    }

    #[test]
    fn personal_records_worked_example() {
        // Day 1: 100 × 5, 100 × 3. Day 2: 110 × 1, 100 × 8. Day 3: 90 × 12, and again 110 × 1.
        let sessions = vec![
            session(1, &[(5, dec!(100)), (3, dec!(100))], None),
            session(2, &[(1, dec!(110)), (8, dec!(100))], None),
            session(3, &[(12, dec!(90)), (1, dec!(110))], None),
        ];
        let r = personal_records(&sessions);
        let heaviest = r.heaviest_weight.unwrap();
        // The tie at 110 stays with the earlier session.
        assert_eq!(
            (heaviest.weight_kg, heaviest.reps, heaviest.key),
            (dec!(110), Some(1), 2)
        );
        // Epley: 100 × 8 = 126.67 beats 90 × 12 = 126 and 110 × 1 = 110.
        let best = r.best_one_rep_max.unwrap();
        assert_eq!((best.weight_kg, best.reps, best.key), (dec!(100), 8, 2));
        assert_eq!(round_dp(best.one_rep_max_kg, 2), dec!(126.67));
        let reps: Vec<(Decimal, Option<u32>, u32)> = r
            .most_reps_at_weight
            .iter()
            .map(|x| (x.weight_kg, x.reps, x.key))
            .collect();
        assert_eq!(
            reps,
            vec![
                (dec!(110), Some(1), 2),
                (dec!(100), Some(8), 2),
                (dec!(90), Some(12), 3)
            ]
        );
        assert!(r.longest_distance.is_none() && r.fastest_pace.is_none());
    }

    #[test]
    fn cardio_records_and_empty_sets() {
        // 5 km in 25 min (5:00/km), 10 km in 55 min (5:30/km), 10 km again later (a tie), and
        // a distance without a duration (no pace).
        let sessions = vec![
            session(1, &[], Some((25, dec!(5)))),
            session(2, &[], Some((55, dec!(10)))),
            session(3, &[], Some((50, dec!(10)))),
            SessionFacts {
                key: 4,
                sets: vec![
                    SetFacts {
                        reps: Some(0),
                        weight_kg: Some(dec!(20)),
                        duration_seconds: None,
                    },
                    SetFacts {
                        reps: Some(10),
                        weight_kg: None,
                        duration_seconds: None,
                    },
                ],
                duration_seconds: None,
                distance_km: Some(dec!(3)),
            },
        ];
        let r = personal_records(&sessions);
        assert_eq!(r.longest_distance.as_ref().unwrap().key, 2);
        let fastest = r.fastest_pace.unwrap();
        assert_eq!((fastest.key, fastest.pace_min_per_km), (1, Some(dec!(5))));
        // Seconds count: 5 km in 24:59 beats 25:00.
        let mut quicker = session(5, &[], Some((25, dec!(5))));
        quicker.duration_seconds = Some(24 * 60 + 59);
        let r2 = personal_records(&[session(1, &[], Some((25, dec!(5)))), quicker]);
        assert_eq!(r2.fastest_pace.unwrap().key, 5);
        // A weight with zero reps is a missed lift: no heaviest set, no one-rep max (as in the
        // exercise report).
        assert!(r.heaviest_weight.is_none());
        assert!(r.best_one_rep_max.is_none());
        assert!(r.most_reps_at_weight.is_empty());
    }

    #[test]
    fn display_units_give_back_what_was_typed() {
        let kg = round_dp(WeightUnit::Lb.to_kg(dec!(90)), 6);
        assert_eq!(kg, dec!(40.823313));
        assert_eq!(WeightUnit::Lb.show(kg), dec!(90));
        assert_eq!(WeightUnit::Lb.show(dec!(50)), dec!(110.2311));
        assert_eq!(WeightUnit::of(UnitsSystem::Metric).show(kg), kg);
        let km = round_dp(DistanceUnit::Mi.to_km(dec!(3.1)), 6);
        assert_eq!(DistanceUnit::Mi.show(km), dec!(3.1));
        assert_eq!(DistanceUnit::Mi.show(dec!(5)), dec!(3.1069));
        // 31 minutes for 3.1 mi is 10:00 per mile.
        let pace = pace_min_per_km(dec!(31), km).unwrap();
        assert_eq!(DistanceUnit::Mi.show_pace(pace), dec!(10));
        assert_eq!(DistanceUnit::Km.show_pace(dec!(6.6666)), dec!(6.67));
    }
}
