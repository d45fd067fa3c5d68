//! serde's error words as a person says them, for every door that reads JSON (the API's body
//! and query extractors, the assistant's and MCP's tool arguments).

/// serde's type words ("invalid type: floating point `50.5`, expected i16", "expected struct
/// PreferencesUpdate", "UUID parsing failed: ...") as a person says them.
pub fn in_plain_words(message: &str) -> String {
    let expected = message
        .rsplit("expected ")
        .next()
        .unwrap_or_default()
        .trim();
    if message.contains("UUID parsing failed") || expected.ends_with("UUID") {
        return "must be an id (a UUID)".into();
    }
    if !(message.starts_with("invalid type") || message.starts_with("invalid value")) {
        return message.to_string();
    }
    let got = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|m| m.split(", expected").next())
        .unwrap_or_default();
    // A whole number past what the field's type holds (10^10 for a 32-bit one) is too large,
    // not "not a whole number".
    let integer = got.starts_with("integer");
    let negative = got.contains("`-");
    let wanted = match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" if integer && !negative => {
            "is too large".to_string()
        }
        "i8" | "i16" | "i32" | "i64" if integer => "is too small".to_string(),
        "i8" | "i16" | "i32" | "i64" => "must be a whole number".to_string(),
        "u8" | "u16" | "u32" | "u64" => "must be a whole number, 0 or more".to_string(),
        "f32" | "f64" => "must be a number".to_string(),
        "a boolean" => "must be true or false".to_string(),
        "a string" => "must be text".to_string(),
        e if e.starts_with("struct ") || e == "a map" => "must be a JSON object".to_string(),
        e if e.starts_with("a sequence") || e.starts_with("a list") => "must be a list".to_string(),
        _ => return message.to_string(),
    };
    if got.is_empty() {
        wanted
    } else {
        format!("{wanted} (got {got})")
    }
}

/// serde's message without its "at line 1 column 9".
pub fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The name in serde's "unknown field `x`" / "missing field `x`".
pub fn quoted_name(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// A field's problem from a deserialization error at `path` (serde_path_to_error's, `.` or
/// empty for the whole document): a missing field is that field's "is required", other
/// problems in plain words. The field is `root` for the whole document.
pub fn field_problem(path: &str, message: &str, root: &str) -> (String, String) {
    let message = without_position(message);
    let path = if path.is_empty() || path == "." {
        ""
    } else {
        path
    };
    if let Some(name) = message
        .starts_with("missing field")
        .then(|| quoted_name(&message))
        .flatten()
    {
        let field = if path.is_empty() {
            name
        } else {
            format!("{path}.{name}")
        };
        return (field, "is required".into());
    }
    let field = if path.is_empty() {
        root.to_string()
    } else {
        path.to_string()
    };
    (field, in_plain_words(&message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_words_in_plain_words() {
        let cases = [
            (
                "invalid type: floating point `50.5`, expected i32",
                "must be a whole number (got floating point `50.5`)",
            ),
            (
                "invalid value: integer `9999999999`, expected i32",
                "is too large (got integer `9999999999`)",
            ),
            (
                "invalid value: integer `-9999999999`, expected i32",
                "is too small (got integer `-9999999999`)",
            ),
            (
                "invalid value: integer `-1`, expected u32",
                "must be a whole number, 0 or more (got integer `-1`)",
            ),
            (
                "invalid value: integer `70000`, expected u16",
                "is too large (got integer `70000`)",
            ),
            (
                "invalid type: boolean `true`, expected i32",
                "must be a whole number (got boolean `true`)",
            ),
            (
                "invalid type: integer `5`, expected a string",
                "must be text (got integer `5`)",
            ),
        ];
        for (serde, plain) in cases {
            assert_eq!(in_plain_words(serde), plain, "{serde}");
        }
    }
}
