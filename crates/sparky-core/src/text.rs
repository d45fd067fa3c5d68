//! Text no field takes: what every front door refuses before anything is stored.

use serde_json::Value;

pub const NUL_PROBLEM: &str = "must not contain the NUL character (\\u0000)";
pub const CONTROL_PROBLEM: &str =
    "must not contain control characters (tab, line breaks and printable text only)";

/// A character no text field takes: NUL (PostgreSQL text cannot hold it) and the other
/// control characters (C0 except tab and line breaks, DEL, C1), which are invisible and break
/// names, CSV files and terminals.
pub fn forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// What is wrong with `text`, if anything.
pub fn char_problem(text: &str) -> Option<&'static str> {
    if text.contains('\0') {
        Some(NUL_PROBLEM)
    } else if text.chars().any(forbidden_char) {
        Some(CONTROL_PROBLEM)
    } else {
        None
    }
}

/// The path (`ingredients[0].name`; empty for the root) of the first string in `v` holding a
/// character no field takes, or of the object whose key holds one, and what is wrong with it.
pub fn control_path(v: &Value, at: &str) -> Option<(String, &'static str)> {
    match v {
        Value::String(s) => char_problem(s).map(|p| (at.to_string(), p)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| control_path(item, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| match char_problem(k) {
            Some(p) => Some((at.to_string(), p)),
            None if at.is_empty() => control_path(item, k),
            None => control_path(item, &format!("{at}.{k}")),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_first_bad_string_with_its_path() {
        let v = json!({"name": "ok", "items": [{"a": "fine"}, {"b": "x\u{1b}[2J"}]});
        assert_eq!(
            control_path(&v, ""),
            Some(("items[1].b".to_string(), CONTROL_PROBLEM))
        );
        assert_eq!(control_path(&json!({"n": "a\tb\r\n"}), ""), None);
        assert_eq!(
            control_path(&json!(["\u{0}"]), "p"),
            Some(("p[0]".to_string(), NUL_PROBLEM))
        );
        assert_eq!(
            control_path(&json!({"k\u{85}": 1}), ""),
            Some((String::new(), CONTROL_PROBLEM))
        );
    }
}
