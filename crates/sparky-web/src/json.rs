//! JSON responses. (Request bodies are read by [`crate::extract::ApiJson`].)

use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;
pub use crate::extract::{payload_too_large, ApiJson};

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
