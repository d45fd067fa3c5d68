//! Pieces the settings, goals and onboarding forms share: field errors shown next to their
//! field (worded by the message catalog where it has a message for the field), choice lists,
//! the timezone list and lenient number reading.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sparky_app::AppError;

use crate::i18n::Messages;

/// Per form field, what is wrong with it.
#[derive(Debug, Default, Clone)]
pub struct Errors(pub BTreeMap<String, String>);

impl Errors {
    /// The fields of a validation error, worded as `{prefix}.{field}` in the catalog when it
    /// has that key, else as the application said; None for any other error.
    pub fn from_app(t: &Messages, prefix: &str, e: &AppError) -> Option<Errors> {
        let fields = e.fields()?;
        Some(Errors(
            fields
                .0
                .iter()
                .map(|(field, problem)| {
                    let key = format!("{prefix}.{field}");
                    let text = if t.has(&key) {
                        t.get(&key).to_string()
                    } else {
                        problem.clone()
                    };
                    (field.clone(), text)
                })
                .collect(),
        ))
    }

    pub fn one(field: &str, text: impl Into<String>) -> Errors {
        let mut e = Errors::default();
        e.0.insert(field.to_string(), text.into());
        e
    }

    pub fn get(&self, field: &str) -> Option<&String> {
        self.0.get(field)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One option of a select or radio group.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: &str, label: impl Into<String>, current: &str) -> Opt {
        Opt {
            value: value.to_string(),
            label: label.into(),
            selected: value == current,
        }
    }
}

/// Options labelled by the catalog: `{prefix}.{value}`.
pub fn options(t: &Messages, prefix: &str, values: &[&str], current: &str) -> Vec<Opt> {
    values
        .iter()
        .map(|v| Opt::new(v, t.get(&format!("{prefix}.{v}")), current))
        .collect()
}

/// The IANA zones people live in (plus UTC and whatever `current` is), for a select that
/// works without JavaScript.
pub fn timezones(current: &str) -> Vec<Opt> {
    const REGIONS: &[&str] = &[
        "Africa/",
        "America/",
        "Antarctica/",
        "Asia/",
        "Atlantic/",
        "Australia/",
        "Europe/",
        "Indian/",
        "Pacific/",
    ];
    let mut names: Vec<&str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|n| REGIONS.iter().any(|r| n.starts_with(r)))
        .collect();
    names.push("UTC");
    if !current.is_empty() && !names.contains(&current) {
        names.push(current);
    }
    names.sort_unstable();
    names
        .into_iter()
        .map(|n| Opt::new(n, n.replace('_', " "), current))
        .collect()
}

/// How a suggestion was worked out, in one line: "Mifflin-St Jeor BMR 1,450 kcal × activity
/// 1.55 = 2,248 kcal − 550 kcal a day for -0.5 kg a week = 1,698 kcal".
pub fn formula(t: &Messages, s: &sparky_app::goals::Suggestion, imperial: bool) -> String {
    use super::format::{kcal, number};
    let f = |a: sparky_core::Amount| a.to_f64();
    let mut text = t.fill(
        "formula.base",
        &[
            ("formula", s.bmr_formula),
            ("bmr", &kcal(f(s.bmr))),
            ("multiplier", &number(f(s.activity_multiplier), 3)),
            ("tdee", &kcal(f(s.tdee))),
        ],
    );
    let delta = f(s.daily_adjustment_kcal);
    if delta.abs() >= 0.5 {
        text.push(' ');
        text.push_str(&t.fill(
            if delta < 0.0 {
                "formula.lose"
            } else {
                "formula.gain"
            },
            &[
                ("kcal", &kcal(delta.abs())),
                // In the user's units: "1.1 lb", "0.5 kg".
                (
                    "weekly",
                    &match imperial {
                        true => format!(
                            "{} lb",
                            number(
                                sparky_core::units::kg_to_lb(s.weekly_change_kg.decimal())
                                    .abs()
                                    .try_into()
                                    .unwrap_or(0.0),
                                2
                            )
                        ),
                        false => format!("{} kg", number(f(s.weekly_change_kg).abs(), 2)),
                    },
                ),
            ],
        ));
    }
    text.push(' ');
    text.push_str(&t.fill("formula.result", &[("target", &kcal(f(s.target_calories)))]));
    if s.floor_applied {
        text.push(' ');
        text.push_str(&t.fill("formula.floor", &[("floor", &kcal(f(s.floor_kcal)))]));
    }
    text
}

/// A moment as the user reads it, in their timezone: "Wed 2 Dec, 14:05".
pub fn when(t: &Messages, at: chrono::DateTime<chrono::Utc>, timezone: &str) -> String {
    use chrono::Datelike;
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    let local = at.with_timezone(&tz);
    let now_year = chrono::Utc::now().with_timezone(&tz).year();
    format!(
        "{}, {}",
        super::format::day_label(t, local.date_naive(), now_year),
        local.format("%H:%M")
    )
}

/// A number as people type it ("70,5", "1 1/2", "½" too, see `sparky_core::typed_number`);
/// None when empty, Err when not a number.
pub fn decimal(raw: &str) -> Result<Option<Decimal>, ()> {
    sparky_core::typed_number::parse(raw).map_err(|_| ())
}

/// An amount typed with or without its unit ("45 g", "1 1/2 cups", "½ cup"): see
/// [`sparky_core::typed_number::amount_with_unit`].
pub fn amount_with_unit(raw: &str) -> Result<Option<(Decimal, Option<String>)>, ()> {
    sparky_core::typed_number::amount_with_unit(raw).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_their_unit() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(amount_with_unit("1/2"), Ok(Some((d("0.5"), None))));
        assert_eq!(
            amount_with_unit("1 1/2 cups"),
            Ok(Some((d("1.5"), Some("cups".into()))))
        );
        assert_eq!(
            amount_with_unit("½ cup"),
            Ok(Some((d("0.5"), Some("cup".into()))))
        );
        assert_eq!(amount_with_unit("1½"), Ok(Some((d("1.5"), None))));
        assert_eq!(amount_with_unit("45"), Ok(Some((d("45"), None))));
        assert_eq!(
            amount_with_unit(" 45 g "),
            Ok(Some((d("45"), Some("g".into()))))
        );
        assert_eq!(
            amount_with_unit("1,5 cups"),
            Ok(Some((d("1.5"), Some("cups".into()))))
        );
        assert_eq!(
            amount_with_unit("2tbsp"),
            Ok(Some((d("2"), Some("tbsp".into()))))
        );
        assert_eq!(amount_with_unit(""), Ok(None));
        assert!(amount_with_unit("g").is_err());
        assert!(amount_with_unit("lots").is_err());
    }

    #[test]
    fn timezones_keep_the_current_one_and_numbers_read_commas() {
        let zones = timezones("Etc/GMT+3");
        assert!(zones.iter().any(|o| o.value == "Europe/Berlin"));
        assert!(zones.iter().any(|o| o.value == "Etc/GMT+3" && o.selected));
        assert!(!zones.iter().any(|o| o.value == "US/Eastern"));
        assert_eq!(decimal(" 70,5 "), Ok(Some(Decimal::new(705, 1))));
        assert_eq!(decimal(""), Ok(None));
        assert!(decimal("lots").is_err());
    }
}
