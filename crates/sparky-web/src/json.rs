//! JSON bodies in and out, with rejections in the API's error shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::ApiError;

/// Like `axum::Json`, but a bad body is a 400/413/415/422 in the API's error shape, naming
/// the field where serde can tell.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // serde's message looks like "unknown field `x`, expected one of ..." or
            // "invalid type ... at line 1 column 9"; the body_text carries the path.
            let text = e.body_text();
            let detail = text
                .split_once(": ")
                .map(|(_, rest)| rest.to_string())
                .unwrap_or_else(|| text.clone());
            let field = field_of(&text).unwrap_or_else(|| "body".to_string());
            let mut err = ApiError::invalid(&field, detail);
            err.message = format!("invalid request body: {}", err.message);
            err
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::bad_request(format!("malformed JSON: {}", e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            payload_too_large()
        }
        other => ApiError::bad_request(other.body_text()),
    }
}

pub fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the request body is larger than this server accepts (SPARKY_MAX_BODY)",
    )
}

/// Finds the field a serde error is about: "unknown field `x`", "missing field `x`", or the
/// path prefix "x.y: ..." that axum reports.
fn field_of(text: &str) -> Option<String> {
    for marker in ["unknown field `", "missing field `"] {
        if let Some(pos) = text.find(marker) {
            let rest = &text[pos + marker.len()..];
            return rest.split('`').next().map(str::to_string);
        }
    }
    // "Failed to deserialize the JSON body into the target type: theme: unknown variant ..."
    let mut parts = text.split(": ");
    parts.next()?;
    let candidate = parts.next()?;
    (!candidate.contains(' ') && !candidate.is_empty()).then(|| candidate.to_string())
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        json_response(&self.0, 256)
    }
}

/// A large JSON response with a good guess of its size in bytes, so the body is written into
/// one buffer instead of one grown (and copied) a dozen times.
pub struct SizedJson<T>(pub T, pub usize);

impl<T: Serialize> IntoResponse for SizedJson<T> {
    fn into_response(self) -> Response {
        json_response(&self.0, self.1)
    }
}

fn json_response<T: Serialize>(value: &T, capacity: usize) -> Response {
    let mut body = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => (
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(_) => ApiError::internal().into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn finds_the_field() {
        assert_eq!(
            field_of("Failed to deserialize: unknown field `colour`, expected one of `theme`"),
            Some("colour".into())
        );
        assert_eq!(
            field_of("Failed to deserialize the JSON body into the target type: missing field `email` at line 1"),
            Some("email".into())
        );
        assert_eq!(
            field_of("Failed to deserialize the JSON body into the target type: theme: unknown variant `blue`"),
            Some("theme".into())
        );
    }
}
