//! The HTTP toolkit's extractors: JSON bodies, query strings and path segments, each answering
//! bad input with a 400/413/415/422 in the API's error shape that names the field once and
//! without parser positions. They also refuse the NUL character in any string (PostgreSQL text
//! cannot hold it), here, once, instead of a database error per field.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON request body (`Content-Type: application/json`); also a JSON response.
pub struct ApiJson<T>(pub T);

/// A query string.
pub struct ApiQuery<T>(pub T);

/// Path segments.
pub struct ApiPath<T>(pub T);

use sparky_core::text::{char_problem, NUL_PROBLEM};

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The raw body of a JSON request, up to `SPARKY_MAX_BODY`: 415 unless it is sent as JSON and
/// uncompressed, 413 when larger.
pub async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json(req.headers()) {
        return Err(not_json());
    }
    refuse_content_coding(req.headers())?;
    Bytes::from_request(req, state)
        .await
        .map_err(bytes_rejection)
}

fn not_json() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the body as JSON with `Content-Type: application/json`",
    )
}

/// The body of a JSON request (`Content-Type: application/json`, else 415), read up to `limit`
/// bytes (else 413) instead of the server-wide `SPARKY_MAX_BODY`: for the few routes whose
/// bodies are larger by nature (phones pushing health data).
pub async fn json_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    use http_body_util::BodyExt;
    if !is_json(req.headers()) {
        return Err(not_json());
    }
    refuse_content_coding(req.headers())?;
    match http_body_util::Limited::new(req.into_body(), limit)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(payload_too_large()),
        Err(e) => Err(ApiError::bad_request(format!(
            "could not read the request body: {e}"
        ))),
    }
}

/// Request bodies are taken as sent: a compressed one (`Content-Encoding: gzip`, …) is a 415
/// naming the coding, instead of a "malformed JSON" or "not an archive" about its bytes.
/// Decompressing would let a small body become a large one before any limit applies.
pub fn refuse_content_coding(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let codings: Vec<String> = headers
        .get_all(header::CONTENT_ENCODING)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("unreadable").split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    if codings.is_empty() {
        return Ok(());
    }
    let mut e = ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!(
            "compressed request bodies are not accepted (Content-Encoding: {}); send the body uncompressed",
            codings.join(", ")
        ),
    );
    e.accept_encoding_identity = true;
    Err(e)
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

fn bytes_rejection(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        payload_too_large()
    } else {
        ApiError::bad_request(format!(
            "could not read the request body: {}",
            e.body_text()
        ))
    }
}

pub fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the request body is larger than this server accepts (SPARKY_MAX_BODY)",
    )
}

/// Parses a JSON body into `T`: malformed JSON is a 400, a value of the wrong type or shape a
/// 422 naming the field (`servings[0].size`), a NUL character a 422 naming its field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if may_hold_control(bytes) {
        if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
            if let Some((field, problem)) = sparky_core::text::control_path(&value, "") {
                return Err(ApiError::invalid(&field_name(&field), problem));
            }
        }
    }
    parse_json_any_text(bytes)
}

/// [`parse_json`] without the check of text for control characters, for a caller that makes
/// it itself (the MCP endpoint answers it as JSON-RPC).
pub fn parse_json_any_text<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(crate::strict_json::Strict(&mut de)) {
        Ok(v) => v,
        Err(e) => {
            let inner = e.inner();
            use serde_json::error::Category;
            return match inner.classify() {
                Category::Syntax | Category::Eof | Category::Io => {
                    Err(ApiError::bad_request(format!("malformed JSON: {inner}")))
                }
                Category::Data => {
                    let mut field = field_name(&e.path().to_string());
                    let message = sparky_core::serde_words::without_position(&inner.to_string());
                    // A missing field is that field's problem, not the body's.
                    if let Some(name) = message
                        .starts_with("missing field")
                        .then(|| sparky_core::serde_words::quoted_name(&message))
                        .flatten()
                    {
                        field = if field == "body" {
                            name
                        } else {
                            format!("{field}.{name}")
                        };
                        return Err(ApiError::invalid(&field, "is required"));
                    }
                    Err(ApiError::invalid(
                        &field,
                        sparky_core::serde_words::in_plain_words(&message),
                    ))
                }
            };
        }
    };
    de.end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// `.` (the root) reads as `body`; a missing or unknown field names itself.
fn field_name(path: &str) -> String {
    if path.is_empty() || path == "." {
        "body".into()
    } else {
        path.to_string()
    }
}

/// serde_json's messages end in " at line 1 column 74"; people need the field, not that.
/// Whether the raw JSON may hold a control character: a `\u00..` escape (JSON must escape
/// C0 controls), a DEL byte, or a C1 control in UTF-8 (0xC2 0x80–0x9F). A cheap scan that
/// lets bodies without any skip the walk over their strings.
fn may_hold_control(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| {
        (w[0] == b'\\' && w[1] == b'u')
            || w[0] == 0x7F
            || (w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
    }) || bytes.last() == Some(&0x7F)
}

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or("")).map(ApiQuery)
    }
}

/// Parses a query string into `T`, naming the parameter in every error.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    parse_urlencoded(query).map_err(|(field, problem)| ApiError::invalid(&field, problem))
}

/// Parses `application/x-www-form-urlencoded` text (a query string, a form body) into `T`;
/// an error is the field it is about and what is wrong with it, without parser positions.
pub fn parse_urlencoded<T: DeserializeOwned>(text: &str) -> Result<T, (String, String)> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some((k, v)) = pairs
        .iter()
        .find(|(k, v)| char_problem(k).is_some() || char_problem(v).is_some())
    {
        return Err(match char_problem(k) {
            Some(p) => ("query".to_string(), p.to_string()),
            None => (
                k.clone(),
                char_problem(v).unwrap_or(NUL_PROBLEM).to_string(),
            ),
        });
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(text.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        // Unknown and missing parameters name themselves in the message; use that name.
        let field = if field.is_empty() || field == "." {
            sparky_core::serde_words::quoted_name(&message).unwrap_or_else(|| "query".into())
        } else {
            field
        };
        (field, sparky_core::serde_words::without_position(&message))
    })
}

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                let kind = e.into_kind();
                use axum::extract::path::ErrorKind;
                let (field, problem) = match &kind {
                    ErrorKind::ParseErrorAtKey {
                        key, expected_type, ..
                    } => (
                        key.clone(),
                        format!("must be a valid {}", friendly_type(expected_type)),
                    ),
                    ErrorKind::ParseError { expected_type, .. } => (
                        "path".to_string(),
                        format!("must be a valid {}", friendly_type(expected_type)),
                    ),
                    ErrorKind::InvalidUtf8InPathParam { key } => {
                        (key.clone(), "must be valid UTF-8".to_string())
                    }
                    ErrorKind::DeserializeError { key, message, .. } => (
                        key.clone(),
                        sparky_core::serde_words::in_plain_words(message),
                    ),
                    other => ("path".to_string(), other.to_string()),
                };
                // axum names a lone path parameter `key`; it is the item's id.
                let field = if field == "key" {
                    "id".to_string()
                } else {
                    field
                };
                Err(ApiError::invalid(&field, problem))
            }
            Err(other) => Err(ApiError::bad_request(other.body_text())),
        }
    }
}

fn friendly_type(rust_type: &str) -> &str {
    if rust_type.ends_with("Uuid") {
        "UUID"
    } else if rust_type.contains("NaiveDate") {
        "date like 2026-11-25"
    } else if rust_type.starts_with('i') || rust_type.starts_with('u') {
        "whole number"
    } else {
        rust_type
    }
}

/// Refuses NUL in a path segment taken as text.
pub fn no_nul(field: &str, text: &str) -> Result<(), ApiError> {
    if text.contains('\0') {
        Err(ApiError::invalid(field, NUL_PROBLEM))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Food {
        name: String,
        servings: Vec<Serving>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Serving {
        size: f64,
    }

    #[test]
    fn json_errors_name_the_field_once() {
        let e = parse_json::<Food>(br#"{"name":"x","servings":[{"size":"big"}]}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.fields.contains_key("servings[0].size"), "{e:?}");
        assert!(!e.message.contains("line"), "{}", e.message);
        let e = parse_json::<Food>(br#"{"name":5,"servings":[]}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.fields.contains_key("name"));
        let e = parse_json::<Food>(br#"{"name":"x","servings":[],"colour":1}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        let e = parse_json::<Food>(br#"{"name":"x""#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let e = parse_json::<Food>(br#"{"servings":[]}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn nul_is_refused_with_its_field() {
        let e = parse_json::<Food>(br#"{"name":"a\u0000b","servings":[]}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.fields.contains_key("name"), "{e:?}");
        // An escaped backslash followed by "u0000" is plain text.
        assert!(parse_json::<Food>(br#"{"name":"a\\u0000b","servings":[]}"#).is_ok());
        let e = parse_json::<serde_json::Value>(br#"{"a":{"b":["x","\u0000"]}}"#).unwrap_err();
        assert!(e.fields.contains_key("a.b[1]"), "{e:?}");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Params {
        q: Option<String>,
        limit: Option<i64>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        let e = parse_query::<Params>("q=a%00b").unwrap_err();
        assert!(e.fields.contains_key("q"), "{e:?}");
        let e = parse_query::<Params>("limit=ten").unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.fields.contains_key("limit"), "{e:?}");
        let p = parse_query::<Params>("q=banana&limit=5").unwrap();
        assert_eq!((p.q.as_deref(), p.limit), (Some("banana"), Some(5)));
    }
}
