//! Lenient JSON for model output: local models wrap JSON in prose and code fences, use single
//! quotes, leave trailing commas, write `True`/`None`, or stop before the last brace. Strict
//! schema-constrained output is not available everywhere, so Sparky reads what it gets and
//! validates the values afterwards.

use serde_json::Value;

use crate::think::strip_think_blocks;

/// Why no JSON could be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LenientJsonError {
    #[error("the text has no JSON object or array")]
    NotFound,
    #[error("not valid JSON, even read leniently: {0}")]
    Invalid(String),
}

/// How many opening brackets in prose are tried as the start of the JSON.
const MAX_CANDIDATES: usize = 64;

/// Finds the first JSON object or array in `text` and parses it leniently: fenced blocks
/// (```` ```json ````) are tried first, then the whole text, then each `{`/`[` in the prose.
/// `<think>` blocks are ignored.
pub fn extract_json(text: &str) -> Result<Value, LenientJsonError> {
    let text = strip_think_blocks(text);
    let mut last_error = LenientJsonError::NotFound;
    let mut candidates: Vec<&str> = fenced_blocks(&text);
    candidates.push(&text);
    for candidate in candidates {
        match parse_lenient(candidate) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => return Ok(v),
            Ok(_) => {}
            Err(e) => last_error = e,
        }
        let starts = candidate
            .char_indices()
            .filter(|(_, c)| *c == '{' || *c == '[')
            .map(|(i, _)| i)
            .take(MAX_CANDIDATES);
        for start in starts {
            let slice = balanced_slice(&candidate[start..]);
            match parse_lenient(slice) {
                Ok(v @ (Value::Object(_) | Value::Array(_))) => return Ok(v),
                Ok(_) => {}
                Err(e) => last_error = e,
            }
        }
    }
    Err(match last_error {
        // A bracket that never parsed means there was JSON-like text that was broken.
        e @ LenientJsonError::Invalid(_) if text.contains(['{', '[']) => e,
        _ => LenientJsonError::NotFound,
    })
}

/// Parses text that should be exactly one JSON value, tolerating single or curly quotes,
/// unquoted keys, trailing or doubled commas, missing commas between values, comments,
/// Python literals (`True`, `False`, `None`), `NaN`/`Infinity` (as null), and unclosed
/// strings, arrays and objects at the end.
pub fn parse_lenient(text: &str) -> Result<Value, LenientJsonError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(LenientJsonError::NotFound);
    }
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        return Ok(v);
    }
    let repaired = repair(trimmed);
    serde_json::from_str::<Value>(&repaired).map_err(|e| LenientJsonError::Invalid(e.to_string()))
}

/// The contents of ``` fenced blocks, in order (an unclosed fence runs to the end).
fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        // Skip the info string (`json`, `JSON5`...) up to the end of the line.
        let body_start = after.find('\n').map(|i| i + 1).unwrap_or(after.len());
        let info = &after[..body_start];
        let body_start = if info.trim().chars().all(|c| c.is_ascii_alphanumeric()) {
            body_start
        } else {
            0
        };
        let body = &after[body_start..];
        match body.find("```") {
            Some(close) => {
                blocks.push(&body[..close]);
                rest = &body[close + 3..];
            }
            None => {
                blocks.push(body);
                break;
            }
        }
    }
    blocks
}

/// From an opening bracket to its matching close (or the end of the text when unbalanced).
fn balanced_slice(s: &str) -> &str {
    let mut depth: usize = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return &s[..i + c.len_utf8()];
                }
            }
            _ => {}
        }
    }
    s
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Nothing,
    Open,
    Comma,
    Colon,
    Value,
}

/// Rewrites relaxed JSON into strict JSON text (see [`parse_lenient`]).
fn repair(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut stack: Vec<char> = Vec::new();
    let mut last = Last::Nothing;
    // Byte offset in `out` of the most recent comma, removed again when a closer follows it.
    let mut last_comma: Option<usize> = None;
    let mut i = 0;

    let value_start = |out: &mut String, last: Last, stack: &[char]| {
        if last == Last::Value && !stack.is_empty() {
            out.push(',');
        }
    };

    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => {
                out.push(c);
                i += 1;
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' | '\'' | '\u{201C}' | '\u{2018}' => {
                value_start(&mut out, last, &stack);
                let close = match c {
                    '\u{201C}' => '\u{201D}',
                    '\u{2018}' => '\u{2019}',
                    other => other,
                };
                i += 1;
                out.push('"');
                while i < chars.len() && chars[i] != close {
                    let ch = chars[i];
                    if ch == '\\' && i + 1 < chars.len() {
                        let next = chars[i + 1];
                        if next == '\'' {
                            out.push('\'');
                        } else {
                            out.push('\\');
                            out.push(next);
                        }
                        i += 2;
                        continue;
                    }
                    match ch {
                        '"' => out.push_str("\\\""),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                        c => out.push(c),
                    }
                    i += 1;
                }
                out.push('"');
                i += 1; // the closing quote (or past the end when unterminated)
                last = Last::Value;
            }
            '{' | '[' => {
                value_start(&mut out, last, &stack);
                stack.push(if c == '{' { '}' } else { ']' });
                out.push(c);
                last = Last::Open;
                i += 1;
            }
            '}' | ']' => {
                if last == Last::Comma {
                    if let Some(at) = last_comma.take() {
                        out.remove(at);
                    }
                }
                if let Some(closer) = stack.pop() {
                    out.push(closer);
                }
                last = Last::Value;
                i += 1;
            }
            ',' => {
                if matches!(last, Last::Value) {
                    last_comma = Some(out.len());
                    out.push(',');
                    last = Last::Comma;
                }
                i += 1;
            }
            ':' => {
                out.push(':');
                last = Last::Colon;
                i += 1;
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '$' | '-' | '+' | '.') => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric()
                        || matches!(chars[i], '_' | '$' | '-' | '+' | '.'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                value_start(&mut out, last, &stack);
                let mut j = i;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                let is_key = chars.get(j) == Some(&':');
                out.push_str(&bare_word(&word, is_key));
                last = Last::Value;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    if last == Last::Comma {
        if let Some(at) = last_comma {
            out.remove(at);
        }
    }
    while let Some(closer) = stack.pop() {
        out.push(closer);
    }
    out
}

/// A bare token: a number, a literal, or an unquoted key or string.
fn bare_word(word: &str, is_key: bool) -> String {
    if !is_key {
        match word {
            "true" | "True" | "TRUE" => return "true".into(),
            "false" | "False" | "FALSE" => return "false".into(),
            "null" | "None" | "NULL" | "nil" | "undefined" | "NaN" | "Infinity" | "-Infinity"
            | "+Infinity" => return "null".into(),
            _ => {}
        }
        let number = word.strip_prefix('+').unwrap_or(word);
        let number = if let Some(rest) = number.strip_prefix('.') {
            format!("0.{rest}")
        } else if let Some(rest) = number.strip_prefix("-.") {
            format!("-0.{rest}")
        } else {
            number.to_string()
        };
        if serde_json::from_str::<serde_json::Number>(&number).is_ok() {
            return number;
        }
        if let Some(trimmed) = number.strip_suffix('.') {
            if serde_json::from_str::<serde_json::Number>(trimmed).is_ok() {
                return trimmed.to_string();
            }
        }
    }
    serde_json::Value::String(word.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_json_passes_through() {
        assert_eq!(
            extract_json(r#"{"a": [1, 2.5, "x"]}"#).unwrap(),
            json!({"a": [1, 2.5, "x"]})
        );
        assert_eq!(extract_json("[1,2]").unwrap(), json!([1, 2]));
    }

    #[test]
    fn fenced_json_in_prose_is_found() {
        let text = "Sure! Here is the estimate:\n```json\n{\"items\": [{\"name\": \"egg\", \"grams\": 100}]}\n```\nLet me know.";
        assert_eq!(
            extract_json(text).unwrap(),
            json!({"items": [{"name": "egg", "grams": 100}]})
        );
        let unlabelled = "```\n[{\"name\": \"toast\"}]\n```";
        assert_eq!(
            extract_json(unlabelled).unwrap(),
            json!([{"name": "toast"}])
        );
        let unclosed = "```json\n{\"a\": 1}";
        assert_eq!(extract_json(unclosed).unwrap(), json!({"a": 1}));
    }

    #[test]
    fn json_in_plain_prose_is_found() {
        let text =
            "I think the plate has {\"items\": [{\"name\": \"rice\", \"grams\": 150}]} in total.";
        assert_eq!(
            extract_json(text).unwrap(),
            json!({"items": [{"name": "rice", "grams": 150}]})
        );
        // A brace in prose before the real object is skipped.
        let text = "Values {approx}: {\"kcal\": 250}";
        assert_eq!(extract_json(text).unwrap(), json!({"kcal": 250}));
    }

    #[test]
    fn relaxed_syntax_is_repaired() {
        let text = "{'name': 'Greek yogurt', serving_g: 170, 'protein': 17.0,  // per pot\n 'tags': ['dairy', 'snack',], }";
        assert_eq!(
            extract_json(text).unwrap(),
            json!({"name": "Greek yogurt", "serving_g": 170, "protein": 17.0, "tags": ["dairy", "snack"]})
        );
        assert_eq!(
            parse_lenient("{\"ok\": True, \"missing\": None, \"bad\": NaN, \"x\": +1, \"y\": .5}")
                .unwrap(),
            json!({"ok": true, "missing": null, "bad": null, "x": 1, "y": 0.5})
        );
        assert_eq!(
            parse_lenient("{\u{201C}name\u{201D}: \u{201C}bread\u{201D}}").unwrap(),
            json!({"name": "bread"})
        );
        assert_eq!(
            parse_lenient("{'text': 'it\\'s \"fine\"'}").unwrap(),
            json!({"text": "it's \"fine\""})
        );
        // Missing commas between values and between members.
        assert_eq!(
            parse_lenient("[{\"a\": 1} {\"a\": 2}]").unwrap(),
            json!([{"a": 1}, {"a": 2}])
        );
        assert_eq!(
            parse_lenient("{\"a\": 1\n \"b\": 2}").unwrap(),
            json!({"a": 1, "b": 2})
        );
        assert_eq!(parse_lenient("[1,,2]").unwrap(), json!([1, 2]));
    }

    #[test]
    fn truncated_output_is_closed() {
        assert_eq!(
            extract_json("{\"items\": [{\"name\": \"egg\", \"grams\": 50}, {\"name\": \"toa")
                .unwrap(),
            json!({"items": [{"name": "egg", "grams": 50}, {"name": "toa"}]})
        );
        assert_eq!(parse_lenient("[1, 2,").unwrap(), json!([1, 2]));
    }

    #[test]
    fn think_blocks_are_ignored() {
        let text = "<think>maybe {\"kcal\": 1}?</think>{\"kcal\": 2}";
        assert_eq!(extract_json(text).unwrap(), json!({"kcal": 2}));
    }

    #[test]
    fn text_without_json_is_a_clear_error() {
        assert_eq!(
            extract_json("I cannot see any food in this photo."),
            Err(LenientJsonError::NotFound)
        );
        assert_eq!(extract_json(""), Err(LenientJsonError::NotFound));
        let err = extract_json("{\"a\" 1 : : }").unwrap_err();
        assert!(matches!(err, LenientJsonError::Invalid(_)), "{err:?}");
        assert!(err.to_string().contains("not valid JSON"));
    }
}
