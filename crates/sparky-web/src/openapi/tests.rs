//! Structural checks of the generated document, so a handler annotation that breaks it
//! fails here instead of in a generated client (scripts/fuzz-api checks behaviour).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

fn doc() -> Value {
    super::to_json(&super::document())
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

#[test]
fn path_parameters_match_the_templates() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let in_template: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_string)
            .collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let declared: BTreeSet<String> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(in_template, declared, "{method} {path}: path parameters");
        for p in &params {
            assert!(
                ["path", "query", "header", "cookie"].contains(&p["in"].as_str().unwrap()),
                "{method} {path}: {p}"
            );
            if p["in"] == "path" {
                assert_eq!(p["required"], true, "{method} {path}: {p}");
            }
            assert!(
                p.get("schema").is_some(),
                "{method} {path}: {p} has no schema"
            );
        }
        let names: Vec<_> = params
            .iter()
            .map(|p| (p["in"].to_string(), p["name"].to_string()))
            .collect();
        let unique: BTreeSet<_> = names.iter().collect();
        assert_eq!(
            unique.len(),
            names.len(),
            "{method} {path}: repeated parameter"
        );
    }
}

#[test]
fn operation_ids_are_unique() {
    let doc = doc();
    let mut seen = BTreeMap::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"))
            .to_string();
        if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
            panic!("operationId {id} is used by {other} and {method} {path}");
        }
    }
}

#[test]
fn error_responses_are_documented() {
    let doc = doc();
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        let has = |code: &str| responses.contains_key(code);
        let public = path.ends_with("/auth/login") || path.ends_with("/auth/register");
        // The MCP transport's GET (server-initiated stream) and DELETE (end a session) exist
        // to answer 405: Sparky has neither, and the transport specification says so that way.
        let only_405 = path == "/mcp" && (method == "get" || method == "delete");
        assert!(
            responses.keys().any(|c| c.starts_with('2')) || only_405 && has("405"),
            "{method} {path}: no success response"
        );
        for code in ["422", "503"] {
            assert!(has(code), "{method} {path}: no {code}");
        }
        if public {
            assert!(has("429"), "{method} {path}: no 429");
            assert!(op.get("security").is_none(), "{method} {path}");
        } else {
            assert!(has("401"), "{method} {path}: no 401");
            assert!(
                op["security"].as_array().is_some_and(|s| s.len() == 3),
                "{method} {path}: security"
            );
        }
        if op.get("requestBody").is_some() {
            for code in ["400", "408", "413", "415"] {
                assert!(has(code), "{method} {path}: no {code}");
            }
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if params
            .iter()
            .any(|p| p["in"] == "path" || p["name"] == "user_id")
        {
            assert!(has("404"), "{method} {path}: no 404");
        }
        for (code, response) in responses {
            if !code.starts_with('2') {
                // MCP answers what it cannot read as JSON-RPC errors, which its clients expect.
                let shape = if path == "/mcp" && code == "400" {
                    "#/components/schemas/McpErrorBody"
                } else {
                    "#/components/schemas/ErrorBody"
                };
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"], shape,
                    "{method} {path}: {code} is not in the error shape"
                );
            }
        }
    }
}

/// Limits the server enforces are in the document: every list parameter has bounds,
/// every text parameter and every text field of a request body a maximum length.
#[test]
fn limits_are_documented() {
    let doc = doc();
    let mut problems = Vec::new();
    for (method, path, op) in operations(&doc) {
        for p in op["parameters"].as_array().cloned().unwrap_or_default() {
            let name = p["name"].as_str().unwrap();
            let schema = resolve(&doc, &p["schema"]);
            let is_text = schema["type"] == "string";
            let bounded_text = schema.get("maxLength").is_some()
                || schema.get("enum").is_some()
                || schema.get("pattern").is_some()
                || schema.get("format").is_some();
            assert!(
                !is_text || bounded_text,
                "{method} {path}: parameter {name} has no maxLength, pattern or format"
            );
            if schema["type"] == "integer" || schema["type"] == "number" {
                assert!(
                    schema.get("minimum").is_some() && schema.get("maximum").is_some(),
                    "{method} {path}: parameter {name} has no bounds"
                );
            }
            if name == "user_id" {
                assert_eq!(p["in"], "query", "{method} {path}");
                assert_eq!(schema["format"], "uuid", "{method} {path}");
            }
            if name == "Idempotency-Key" {
                assert_eq!(p["in"], "header", "{method} {path}");
                assert_eq!(schema["maxLength"], 255, "{method} {path}");
            }
            if p["in"] == "path" && (name == "id" || name.ends_with("_id")) {
                assert_eq!(schema["format"], "uuid", "{method} {path}: {name}");
            }
        }
        if let Some(body) = op["requestBody"]["content"]["application/json"].get("schema") {
            let mut seen = BTreeSet::new();
            check_text_fields(
                &doc,
                body,
                &format!("{method} {path}"),
                &mut seen,
                &mut problems,
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn check_text_fields(
    doc: &Value,
    schema: &Value,
    at: &str,
    seen: &mut BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        if seen.insert(r.to_string()) {
            check_text_fields(
                doc,
                resolve(doc, schema),
                &format!("{at} {r}"),
                seen,
                problems,
            );
        }
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for s in schema[key].as_array().into_iter().flatten() {
            check_text_fields(doc, s, at, seen, problems);
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"string")
        && !["maxLength", "enum", "pattern", "format"]
            .iter()
            .any(|k| schema.get(*k).is_some())
    {
        problems.push(format!("{at}: a text field without maxLength: {schema}"));
    }
    if types.contains(&"array") {
        if schema.get("maxItems").is_none() {
            problems.push(format!("{at}: a list without maxItems"));
        }
        check_text_fields(doc, &schema["items"], &format!("{at}[]"), seen, problems);
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, prop) in props {
            check_text_fields(doc, prop, &format!("{at}.{name}"), seen, problems);
        }
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        check_text_fields(doc, extra, &format!("{at}.*"), seen, problems);
    }
}

#[test]
fn dates_are_typed() {
    let doc = doc();
    let text = doc.to_string();
    assert!(text.contains("1900-01-01 to 2199-12-31"), "the date range");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert_eq!(schemas["Timestamp"]["format"], "date-time");
    // Every date says its range.
    fn dates(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(m) => {
                if m.get("format") == Some(&Value::from("date")) {
                    out.push(v.clone());
                }
                m.values().for_each(|c| dates(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| dates(c, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    dates(&doc, &mut found);
    assert!(found.len() > 10, "{}", found.len());
    for d in found {
        assert!(d.get("description").is_some(), "{d}");
    }
}
