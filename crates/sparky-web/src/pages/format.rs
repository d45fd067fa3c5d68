//! Numbers, amounts and dates as a user reads them: in their units system, rounded for people,
//! with the day names of the message catalog.

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sparky_app::preferences::Preferences;
use sparky_core::measure::{from_canonical, Dimension, MeasureUnit};
use sparky_core::UnitsSystem;

use crate::i18n::Messages;

/// The user's units system and timezone.
#[derive(Debug, Clone)]
pub struct Units {
    pub system: UnitsSystem,
    pub timezone: String,
}

impl Default for Units {
    fn default() -> Self {
        Units {
            system: UnitsSystem::Metric,
            timezone: "UTC".into(),
        }
    }
}

impl Units {
    pub fn from_preferences(p: &Preferences) -> Units {
        Units {
            system: UnitsSystem::from_preference(Some(&p.units_system)),
            timezone: p.timezone.clone(),
        }
    }

    pub fn imperial(&self) -> bool {
        self.system.is_imperial()
    }

    /// The unit a body weight is shown in.
    pub fn weight_unit(&self) -> &'static str {
        Dimension::Mass.display_unit(self.system).as_str()
    }

    /// The unit a volume of water is shown in.
    pub fn water_unit(&self) -> &'static str {
        Dimension::Volume.display_unit(self.system).as_str()
    }

    /// A weight stored in kg, in the user's unit, one decimal: the API's value (two places,
    /// what check-in and goal pages read) to one place, so that every page shows one weigh-in
    /// the same (81.6466 kg was 81.6 here and 81.7 from 81.65 there).
    pub fn weight(&self, kg: f64) -> String {
        let shown = sparky_core::measure::to_display(decimal(kg), Dimension::Mass, self.system)
            .ok()
            .and_then(|(d, _)| d.to_f64())
            .unwrap_or(kg);
        format!("{} {}", number(shown, 1), self.weight_unit())
    }

    /// A volume stored in ml, in the user's unit.
    pub fn water(&self, ml: f64) -> String {
        let unit = Dimension::Volume.display_unit(self.system);
        let shown = from_canonical(decimal(ml), unit)
            .ok()
            .and_then(|d| d.to_f64())
            .unwrap_or(ml);
        let places = if unit == MeasureUnit::Ml { 0 } else { 1 };
        format!("{} {}", number(shown, places), unit.as_str())
    }
}

fn decimal(v: f64) -> Decimal {
    Decimal::from_f64_retain(v).unwrap_or_default()
}

/// A number with thousands separators and at most `places` decimals (trailing zeros dropped).
pub fn number(v: f64, places: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    // Half away from zero, on the decimal the number prints as (72.25 → 72.3, not 72.2).
    let text = Decimal::from_f64_retain(v.abs())
        .and_then(|d| Decimal::from_str_exact(&d.to_string()).ok())
        .or_else(|| v.abs().to_string().parse::<Decimal>().ok())
        .map(|d| {
            d.round_dp_with_strategy(
                places as u32,
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            )
            .to_string()
        })
        .unwrap_or_else(|| format!("{:.*}", places, v.abs()));
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = frac.trim_end_matches('0');
    let sign = if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// "2 servings", "1 slice", "150 g", "2 large": a count of a countable English unit word takes
/// its plural; abbreviations, sizes ("large") and longer descriptions stay as they are.
pub fn amount(quantity: impl std::fmt::Display, unit: &str) -> String {
    const COUNTABLE: &[&str] = &[
        "serving",
        "slice",
        "cup",
        "piece",
        "bar",
        "can",
        "bottle",
        "packet",
        "package",
        "scoop",
        "container",
        "tablet",
        "capsule",
        "stick",
        "link",
        "patty",
        "cookie",
        "cracker",
        "egg",
        "fillet",
        "wedge",
        "leaf",
        "clove",
        "handful",
        "portion",
        "glass",
        "bowl",
        "plate",
        "tablespoon",
        "teaspoon",
        "sandwich",
        "muffin",
        "roll",
        "bun",
        "pancake",
        "waffle",
        "breast",
        "thigh",
        "drumstick",
        "wing",
        "strip",
        "nugget",
        "pouch",
        "jar",
        "carton",
    ];
    let q = quantity.to_string();
    let one = if q.contains('.') {
        q.trim_end_matches('0').trim_end_matches('.') == "1"
    } else {
        q == "1"
    };
    let word = unit.trim();
    if !one {
        if let Some(w) = COUNTABLE.iter().find(|w| w.eq_ignore_ascii_case(word)) {
            let plural = match *w {
                "leaf" => "leaves".to_string(),
                "patty" => "patties".to_string(),
                "glass" | "sandwich" | "pouch" => format!("{w}es"),
                other => format!("{other}s"),
            };
            return format!("{q} {plural}");
        }
    }
    format!("{q} {word}")
}

/// Whole kcal.
/// Text made safe to put in HTML (an element's content or a quoted attribute) where a
/// fragment is written by hand rather than by a template.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn kcal(v: f64) -> String {
    number(v.round(), 0)
}

/// "Wed 2 Dec" (with the year when it is not `this_year`).
pub fn day_label(t: &Messages, d: NaiveDate, this_year: i32) -> String {
    let weekday = t.get(&format!("date.wd.{}", d.weekday().num_days_from_monday()));
    let month = t.get(&format!("date.mon.{}", d.month()));
    if d.year() == this_year {
        format!("{weekday} {} {month}", d.day())
    } else {
        format!("{weekday} {} {month} {}", d.day(), d.year())
    }
}

/// Names as they read inside a sentence: "sugar", "sugar and trans fat", "fiber, sugar and
/// vitamin A" (the catalog's names begin with a capital; `and` is the catalog's word for it).
pub fn in_sentence(names: &[&str], and: &str) -> String {
    let lower: Vec<String> = names
        .iter()
        .map(|n| {
            let mut c = n.chars();
            c.next()
                .map(|first| first.to_lowercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect();
    match lower.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {and} {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One weigh-in reads the same on every page: 180 lb stored as 81.646627 kg is the API's
    /// 81.65 kg, which check-in and goals show as 81.7 kg; so does Today.
    #[test]
    fn a_weight_is_the_apis_value_to_one_place() {
        let metric = Units::default();
        assert_eq!(metric.weight(81.646627), "81.7 kg");
        assert_eq!(metric.weight(72.24), "72.2 kg");
        let us = Units {
            system: UnitsSystem::Imperial,
            ..Units::default()
        };
        assert_eq!(us.weight(81.646627), "180 lb");
    }

    #[test]
    fn names_in_a_sentence() {
        assert_eq!(in_sentence(&[], "and"), "");
        assert_eq!(in_sentence(&["Sugar"], "and"), "sugar");
        assert_eq!(
            in_sentence(&["Sugar", "Trans fat"], "and"),
            "sugar and trans fat"
        );
        assert_eq!(
            in_sentence(&["Fiber", "Sugar", "Vitamin A"], "and"),
            "fiber, sugar and vitamin A"
        );
    }

    #[test]
    fn counted_unit_words_take_their_plural() {
        assert_eq!(amount("2", "serving"), "2 servings");
        assert_eq!(amount("1", "serving"), "1 serving");
        assert_eq!(amount("1.00", "Slice"), "1.00 Slice");
        assert_eq!(amount("10", "slice"), "10 slices");
        assert_eq!(amount("0.5", "cup"), "0.5 cups");
        assert_eq!(amount("3", "patty"), "3 patties");
        assert_eq!(amount("2", "glass"), "2 glasses");
        assert_eq!(amount("150", "g"), "150 g");
        assert_eq!(amount("2", "large"), "2 large");
        assert_eq!(amount("2", "cup, chopped"), "2 cup, chopped");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(1234.5, 1), "1,234.5");
        assert_eq!(number(1234.0, 1), "1,234");
        assert_eq!(number(-0.04, 1), "0");
        assert_eq!(number(-12.25, 1), "-12.3");
        assert_eq!(number(999999.0, 0), "999,999");
        assert_eq!(kcal(2499.6), "2,500");
        let u = Units {
            system: UnitsSystem::Imperial,
            timezone: "UTC".into(),
        };
        assert_eq!(u.weight(90.718474), "200 lb");
        let m = Units::default();
        assert_eq!(m.weight(72.25), "72.3 kg");
        assert_eq!(m.water(250.0), "250 ml");
    }
}
