//! Numbers as models write them in JSON: `120`, `"120"`, `"120 g"`, `"~120g"`, `"1,5 g"`,
//! `"100-150 g"`, `"<0.5"`, `"250 kcal / 1046 kJ"`. [`quantity`] reads one value with the
//! unit written after it; [`quantities`] reads every number-and-unit pair of a text (for
//! energies printed in two units). Keys are compared by [`key`]: lower case, `_` for spaces
//! and punctuation.

use rust_decimal::Decimal;
use serde_json::Value;
use sparky_core::Amount;

/// A number and the unit written with it (lower case; `None` when there was none).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: Decimal,
    pub unit: Option<String>,
}

/// `"Total Fat (g)"` → `total_fat_g`.
pub fn key(k: &str) -> String {
    let mut out = String::new();
    for c in k.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == 'µ' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// One value: a JSON number, or the first number in a text with the word after it as its unit.
/// A range ("100-150 g") is its midpoint. Booleans, null, arrays and objects are no number.
pub fn quantity(v: &Value) -> Option<Quantity> {
    match v {
        Value::Number(n) => n.as_f64().and_then(Amount::from_f64).map(|value| Quantity {
            value: value.0.normalize(),
            unit: None,
        }),
        Value::String(s) => quantities(s).into_iter().next(),
        _ => None,
    }
}

/// Every number in `text` with the unit written after it, in order (a range counts once).
pub fn quantities(text: &str) -> Vec<Quantity> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_number =
            chars[i].is_ascii_digit() || (chars[i] == '.' && next_is_digit(&chars, i));
        if !starts_number {
            i += 1;
            continue;
        }
        let negative = i > 0 && chars[i - 1] == '-' && (i < 2 || !chars[i - 2].is_ascii_digit());
        let (mut value, end) = number_at(&chars, i);
        i = end;
        // A range: "100-150", "100 – 150", "100 to 150".
        let mut j = skip_spaces(&chars, i);
        let dash = j < chars.len() && matches!(chars[j], '-' | '–' | '—');
        let to = !dash && starts_with_word(&chars, j, "to");
        if dash || to {
            j = skip_spaces(&chars, j + if dash { 1 } else { 2 });
            if j < chars.len() && chars[j].is_ascii_digit() {
                let (upper, end) = number_at(&chars, j);
                if let (Some(a), Some(b)) = (value, upper) {
                    value = Some((a + b) / Decimal::TWO);
                }
                i = end;
            }
        }
        let Some(mut value) = value else { continue };
        if negative {
            value = -value;
        }
        let (unit, end) = unit_at(&chars, skip_spaces(&chars, i));
        if unit.is_some() {
            i = end;
        }
        out.push(Quantity {
            value: value.normalize(),
            unit,
        });
    }
    out
}

fn next_is_digit(chars: &[char], i: usize) -> bool {
    chars.get(i + 1).is_some_and(char::is_ascii_digit)
}

fn skip_spaces(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

fn starts_with_word(chars: &[char], i: usize, word: &str) -> bool {
    let w: Vec<char> = word.chars().collect();
    chars.len() >= i + w.len()
        && chars[i..i + w.len()]
            .iter()
            .zip(&w)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
        && chars.get(i + w.len()).is_none_or(|c| !c.is_alphabetic())
}

/// The number starting at `i` (digits with `.` or `,` separators) and where it ends. A comma
/// followed by exactly three digits groups thousands ("1,500"); otherwise it is a decimal
/// comma ("1,5", as European labels print).
fn number_at(chars: &[char], start: usize) -> (Option<Decimal>, usize) {
    let mut i = start;
    let mut text = String::new();
    let mut seen_point = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            text.push(c);
            i += 1;
        } else if (c == '.' || c == ',') && next_is_digit(chars, i) {
            let digits_after = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let grouping =
                c == ',' && digits_after == 3 && !seen_point && !text.is_empty() && text != "0";
            if grouping {
                i += 1;
                continue;
            }
            if seen_point {
                break;
            }
            seen_point = true;
            if text.is_empty() {
                text.push('0');
            }
            text.push('.');
            i += 1;
        } else {
            break;
        }
    }
    (text.parse::<Decimal>().ok(), i)
}

/// A unit word at `i`: letters (and `µ`, `%`), e.g. `g`, `kcal`, `kj`, `mg`, `µg`, `fl oz`.
fn unit_at(chars: &[char], i: usize) -> (Option<String>, usize) {
    if i < chars.len() && chars[i] == '%' {
        return (Some("%".into()), i + 1);
    }
    let mut j = i;
    let mut word = String::new();
    while j < chars.len() && (chars[j].is_alphabetic() || chars[j] == 'µ') {
        word.extend(chars[j].to_lowercase());
        j += 1;
    }
    if word.is_empty() {
        return (None, i);
    }
    // "fl oz" is one unit.
    if word == "fl" {
        let k = skip_spaces(chars, j);
        if starts_with_word(chars, k, "oz") {
            return (Some("fl oz".into()), k + 2);
        }
    }
    (Some(word), j)
}

/// The text of a JSON value: strings as they are, numbers printed; else `None`.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && !matches!(t.to_ascii_lowercase().as_str(), "null" | "none" | "n/a"))
                .then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The first of `names` present in `obj` (compared by [`key`]) with a non-null value.
pub fn field<'a>(obj: &'a serde_json::Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    for name in names {
        if let Some((_, v)) = obj.iter().find(|(k, v)| key(k) == *name && !v.is_null()) {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn q(v: Value) -> Option<(Decimal, Option<String>)> {
        quantity(&v).map(|q| (q.value, q.unit))
    }

    #[test]
    fn numbers_and_numbers_in_text() {
        assert_eq!(q(json!(120)), Some((dec!(120), None)));
        assert_eq!(q(json!(12.5)), Some((dec!(12.5), None)));
        assert_eq!(q(json!("120")), Some((dec!(120), None)));
        assert_eq!(q(json!("120 g")), Some((dec!(120), Some("g".into()))));
        assert_eq!(q(json!("~120g")), Some((dec!(120), Some("g".into()))));
        assert_eq!(
            q(json!("about 0.2 kg")),
            Some((dec!(0.2), Some("kg".into())))
        );
        assert_eq!(q(json!("1,5 g")), Some((dec!(1.5), Some("g".into()))));
        assert_eq!(q(json!("1,500 mg")), Some((dec!(1500), Some("mg".into()))));
        assert_eq!(q(json!("0,125 g")), Some((dec!(0.125), Some("g".into()))));
        assert_eq!(q(json!("1,500.5")), Some((dec!(1500.5), None)));
        assert_eq!(q(json!("<0.5 g")), Some((dec!(0.5), Some("g".into()))));
        assert_eq!(q(json!(".5")), Some((dec!(0.5), None)));
        assert_eq!(q(json!("100-150 g")), Some((dec!(125), Some("g".into()))));
        assert_eq!(q(json!("100 to 200g")), Some((dec!(150), Some("g".into()))));
        assert_eq!(q(json!("-3 g")), Some((dec!(-3), Some("g".into()))));
        assert_eq!(q(json!("8 fl oz")), Some((dec!(8), Some("fl oz".into()))));
        assert_eq!(q(json!("15%")), Some((dec!(15), Some("%".into()))));
        assert_eq!(q(json!("45 µg")), Some((dec!(45), Some("µg".into()))));
        assert_eq!(q(json!("a few")), None);
        assert_eq!(q(json!(null)), None);
        assert_eq!(q(json!(true)), None);
    }

    #[test]
    fn both_energies_of_a_label_are_read() {
        let all = quantities("1046 kJ / 250 kcal");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].unit.as_deref(), Some("kj"));
        assert_eq!(all[1].value, dec!(250));
        assert_eq!(all[1].unit.as_deref(), Some("kcal"));
    }

    #[test]
    fn keys_compare_loosely() {
        assert_eq!(key("Total Fat (g)"), "total_fat_g");
        assert_eq!(key(" energy-kcal "), "energy_kcal");
        let obj = json!({"Weight_G": null, "grams": "90 g"});
        let obj = obj.as_object().unwrap();
        assert_eq!(field(obj, &["weight_g", "grams"]), Some(&json!("90 g")));
    }
}
