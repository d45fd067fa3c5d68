//! Custom nutrients (Settings → Custom nutrients) where foods and days show nutrients: one
//! input each on the food forms, amounts with their units on a food's page and a day (a day's
//! against the nutrient's daily range), and the daily range in brief ("at most 400 mg").
//!
//! Amounts are kept by name. Only names with a definition are shown, matched whatever the
//! letter case; amounts of other names (a definition that was deleted) are neither shown nor
//! lost.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sparky_app::custom_nutrients::{judge, CustomNutrient, DailyRange};
use sparky_core::Amount;

use super::format::number;
use crate::i18n::Messages;

/// The food forms' input name of a custom nutrient: by its definition's id, so a form sent
/// after the nutrient was renamed still means it.
const FIELD_PREFIX: &str = "custom_";

/// One custom nutrient's input on a food form.
#[derive(Debug, Clone)]
pub struct CustomTyped {
    /// The input's name (`custom_{definition id}`).
    pub field: String,
    pub name: String,
    pub unit: String,
    /// As typed, or the serving's amount; empty for none.
    pub value: String,
    /// Whether the form sent the input: one shown before the nutrient was defined did not,
    /// and the serving's amount is then kept as it is.
    pub sent: bool,
}

impl CustomTyped {
    /// "Caffeine (mg)".
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.unit)
    }

    /// The inputs of `defined`, filled with what `amounts` (a serving's) holds of each.
    pub fn stored(
        defined: &[CustomNutrient],
        amounts: Option<&BTreeMap<String, Amount>>,
    ) -> Vec<CustomTyped> {
        defined
            .iter()
            .map(|d| CustomTyped {
                field: format!("{FIELD_PREFIX}{}", d.id),
                name: d.name.clone(),
                unit: d.unit.clone(),
                value: amounts
                    .and_then(|a| amount_of(a, &d.name))
                    .map(|v| v.normalize().to_string())
                    .unwrap_or_default(),
                sent: false,
            })
            .collect()
    }

    /// The inputs of `defined` as a form sent them (`form` holds all its fields).
    pub fn sent(defined: &[CustomNutrient], form: &BTreeMap<String, String>) -> Vec<CustomTyped> {
        let mut typed = CustomTyped::stored(defined, None);
        for c in &mut typed {
            if let Some(v) = form.get(&c.field) {
                c.value = v.clone();
                c.sent = true;
            }
        }
        typed
    }
}

/// What `amounts` holds of `name`, whatever the letter case of its key (several keys that
/// differ only by it are added up).
pub fn amount_of(amounts: &BTreeMap<String, Amount>, name: &str) -> Option<Decimal> {
    let name = name.to_lowercase();
    amounts
        .iter()
        .filter(|(k, _)| k.to_lowercase() == name)
        .map(|(_, v)| v.decimal())
        .reduce(|a, b| a + b)
}

/// Writes the typed value of each input the form sent into a serving's `amounts`: a number
/// sets it (under the definition's name), an emptied input removes it. A value that is not a
/// number is refused by the nutrient's name.
pub fn apply(
    typed: &[CustomTyped],
    amounts: &mut BTreeMap<String, Amount>,
    not_a_number: &str,
) -> Result<(), String> {
    for c in typed.iter().filter(|c| c.sent) {
        let value =
            super::forms::decimal(&c.value).map_err(|()| format!("{}: {not_a_number}", c.name))?;
        set(amounts, &c.name, value);
    }
    Ok(())
}

/// Sets the amount of `name` (under that spelling: a key in another letter case goes), or
/// removes it for `None`.
pub fn set(amounts: &mut BTreeMap<String, Amount>, name: &str, value: Option<Decimal>) {
    let lower = name.to_lowercase();
    amounts.retain(|k, _| k.to_lowercase() != lower);
    if let Some(v) = value {
        amounts.insert(name.to_string(), Amount(v));
    }
}

/// The defined ones among `amounts`, in the definitions' order, as (name, "95 mg").
pub fn shown(
    defined: &[CustomNutrient],
    amounts: &BTreeMap<String, Amount>,
) -> Vec<(String, String)> {
    if amounts.is_empty() {
        return Vec::new();
    }
    defined
        .iter()
        .filter_map(|d| {
            let v = amount_of(amounts, &d.name)?;
            Some((d.name.clone(), amount_text(v, &d.unit)))
        })
        .collect()
}

/// An amount with its unit, with the places its size needs: "1,250 mg", "95.5 mg", "0.25 g".
pub fn amount_text(v: Decimal, unit: &str) -> String {
    format!("{} {unit}", number(Amount(v).to_f64(), places(v)))
}

/// The decimal places an amount of its size is shown with.
fn places(v: Decimal) -> usize {
    match Amount(v).to_f64().abs() {
        a if a >= 100.0 => 0,
        a if a >= 10.0 => 1,
        _ => 2,
    }
}

/// A daily bound as shown in a sentence ("1,000", "1.1", "0.0005"): every place it has.
fn bound_text(a: Amount) -> String {
    number(a.to_f64(), 4)
}

/// A daily bound as a form's input holds it ("1000", "1.1"); empty for none.
pub fn bound_value(a: Option<Amount>) -> String {
    a.map(|a| a.decimal().normalize().to_string())
        .unwrap_or_default()
}

/// A daily range in brief: "at least 50 mg", "at most 400 mg", "1.1–3 g"; None without one.
pub fn range_text(
    t: &Messages,
    min: Option<Amount>,
    max: Option<Amount>,
    unit: &str,
) -> Option<String> {
    Some(match (min, max) {
        (Some(low), Some(high)) => t.fill(
            "custom.range_both",
            &[
                ("min", &bound_text(low)),
                ("max", &bound_text(high)),
                ("unit", unit),
            ],
        ),
        (Some(low), None) => t.fill(
            "custom.range_min",
            &[("min", &bound_text(low)), ("unit", unit)],
        ),
        (None, Some(high)) => t.fill(
            "custom.range_max",
            &[("max", &bound_text(high)), ("unit", unit)],
        ),
        (None, None) => return None,
    })
}

/// One of a day's custom nutrient totals.
#[derive(Debug, Clone, PartialEq)]
pub struct DayTotal {
    pub name: String,
    /// "260 mg".
    pub amount: String,
    /// Against the nutrient's daily range, when it has one.
    pub range: Option<RangeMark>,
}

/// A day's amount against a daily range, said in words (the icon and colour only repeat it).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeMark {
    /// `over`, `under` or `within`: the CSS class.
    pub class: &'static str,
    /// ▲, ▼ or ✓, hidden from screen readers.
    pub icon: &'static str,
    /// "Over · at most 200 mg".
    pub text: String,
}

/// The defined ones among a day's `amounts`, in the definitions' order, each judged against its
/// daily range. An amount that would round onto a bound it is not at ("200 mg" for 200.4 mg,
/// over at most 200) is shown with the places that tell them apart.
pub fn day_totals(
    t: &Messages,
    defined: &[CustomNutrient],
    amounts: &BTreeMap<String, Amount>,
    logged: bool,
) -> Vec<DayTotal> {
    defined
        .iter()
        .filter_map(|d| {
            // None of it on a logged day is 0, and under a floor (nothing to say without one).
            let v = amount_of(amounts, &d.name).or_else(|| {
                (logged && d.daily_min.is_some_and(|m| m.decimal() > Decimal::ZERO))
                    .then_some(Decimal::ZERO)
            })?;
            let range = range_text(t, d.daily_min, d.daily_max, &d.unit);
            let (class, icon, key) = match judge(d, v) {
                DailyRange::NoRange => ("", "", ""),
                DailyRange::Under => ("under", "▼", "day.custom_under"),
                DailyRange::Within => ("within", "✓", "day.custom_within"),
                DailyRange::Over => ("over", "▲", "day.custom_over"),
            };
            let rounded = v.round_dp_with_strategy(
                places(v) as u32,
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            );
            let blurred = [d.daily_min, d.daily_max]
                .iter()
                .flatten()
                .any(|b| rounded == b.decimal() && v != b.decimal());
            let amount = match blurred {
                true => format!("{} {}", number(Amount(v).to_f64(), 4), d.unit),
                false => amount_text(v, &d.unit),
            };
            Some(DayTotal {
                name: d.name.clone(),
                amount,
                range: range.filter(|_| !key.is_empty()).map(|r| RangeMark {
                    class,
                    icon,
                    text: t.fill(key, &[("range", &r)]),
                }),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn caffeine() -> CustomNutrient {
        CustomNutrient {
            id: Uuid::nil(),
            name: "Caffeine".into(),
            unit: "mg".into(),
            daily_min: None,
            daily_max: None,
        }
    }

    fn amounts(pairs: &[(&str, i64)]) -> BTreeMap<String, Amount> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Amount(Decimal::from(*v))))
            .collect()
    }

    #[test]
    fn only_defined_names_are_shown_whatever_their_case() {
        let held = amounts(&[("caffeine", 95), ("Taurine", 1000)]);
        assert_eq!(
            shown(&[caffeine()], &held),
            vec![("Caffeine".to_string(), "95 mg".to_string())]
        );
        assert!(shown(&[], &held).is_empty());
    }

    #[test]
    fn a_sent_input_sets_or_removes_and_an_unsent_one_keeps() {
        let defined = [caffeine()];
        let field = format!("custom_{}", Uuid::nil());
        let mut held = amounts(&[("caffeine", 95), ("Taurine", 1000)]);
        let form = BTreeMap::from([(field.clone(), "80".to_string())]);
        apply(&CustomTyped::sent(&defined, &form), &mut held, "nan").unwrap();
        assert_eq!(held, amounts(&[("Caffeine", 80), ("Taurine", 1000)]));
        let form = BTreeMap::from([(field.clone(), " ".to_string())]);
        apply(&CustomTyped::sent(&defined, &form), &mut held, "nan").unwrap();
        assert_eq!(held, amounts(&[("Taurine", 1000)]));
        apply(
            &CustomTyped::sent(&defined, &BTreeMap::new()),
            &mut held,
            "nan",
        )
        .unwrap();
        assert_eq!(held, amounts(&[("Taurine", 1000)]));
        let form = BTreeMap::from([(field, "lots".to_string())]);
        assert_eq!(
            apply(
                &CustomTyped::sent(&defined, &form),
                &mut held,
                "not a number"
            ),
            Err("Caffeine: not a number".to_string())
        );
    }

    #[test]
    fn ranges_are_said_in_brief_and_days_judged_against_them() {
        let t = Messages::default();
        let a = |s: &str| Some(Amount(s.parse::<Decimal>().unwrap()));
        assert_eq!(range_text(&t, None, None, "mg"), None);
        assert_eq!(
            range_text(&t, None, a("400"), "mg").as_deref(),
            Some("at most 400 mg")
        );
        assert_eq!(
            range_text(&t, a("150"), None, "µg").as_deref(),
            Some("at least 150 µg")
        );
        assert_eq!(
            range_text(&t, a("1.1"), a("3000"), "g").as_deref(),
            Some("1.1–3,000 g")
        );
        assert_eq!(bound_value(a("1.1000")), "1.1");
        assert_eq!(bound_value(None), "");

        let capped = CustomNutrient {
            daily_max: a("200"),
            ..caffeine()
        };
        let iodine = CustomNutrient {
            id: Uuid::from_u128(1),
            name: "Iodine".into(),
            unit: "µg".into(),
            daily_min: a("150"),
            daily_max: a("1100"),
        };
        let defined = [capped, iodine];
        let day = |caffeine: &str, iodine: &str| {
            let held = BTreeMap::from([
                ("Caffeine".to_string(), Amount(caffeine.parse().unwrap())),
                ("Iodine".to_string(), Amount(iodine.parse().unwrap())),
            ]);
            day_totals(&t, &defined, &held, true)
                .into_iter()
                .map(|d| (d.amount, d.range.map(|r| (r.class, r.text))))
                .collect::<Vec<_>>()
        };
        let mark = |class: &'static str, text: &str| Some((class, text.to_string()));
        assert_eq!(
            day("260", "90"),
            [
                ("260 mg".into(), mark("over", "Over · at most 200 mg")),
                ("90 µg".into(), mark("under", "Under · 150–1,100 µg")),
            ]
        );
        assert_eq!(
            day("200", "150"),
            [
                ("200 mg".into(), mark("within", "Within · at most 200 mg")),
                ("150 µg".into(), mark("within", "Within · 150–1,100 µg")),
            ]
        );
        // Just over: not shown as the bound itself.
        assert_eq!(day("200.4", "150")[0].0, "200.4 mg");
        // Without a range: the amount alone.
        let plain = day_totals(
            &t,
            &[caffeine()],
            &BTreeMap::from([("caffeine".to_string(), Amount(Decimal::from(95)))]),
            true,
        );
        assert_eq!(plain[0].amount, "95 mg");
        assert_eq!(plain[0].range, None);
        // A logged day without any: under a floor, nothing to say about a ceiling; a day
        // with nothing logged says nothing.
        let none = day_totals(&t, &defined, &BTreeMap::new(), true);
        assert_eq!(
            none.iter()
                .map(|d| (d.name.as_str(), d.amount.as_str()))
                .collect::<Vec<_>>(),
            [("Iodine", "0 µg")]
        );
        assert_eq!(none[0].range.as_ref().map(|r| r.class), Some("under"));
        assert!(day_totals(&t, &defined, &BTreeMap::new(), false).is_empty());
    }

    #[test]
    fn amounts_have_the_places_their_size_needs() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(amount_text(d("1250"), "mg"), "1,250 mg");
        assert_eq!(amount_text(d("95.54"), "mg"), "95.5 mg");
        assert_eq!(amount_text(d("0.25"), "g"), "0.25 g");
        assert_eq!(amount_text(d("150"), "µg"), "150 µg");
    }
}
