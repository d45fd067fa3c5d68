//! One error shape for every failure (ARCHITECTURE.md, the request path):
//! `{"error": {"code": "...", "message": "...", "fields": {...}}}`.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sparky_app::AppError;
use sparky_db::DbError;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `validation_failed`, `not_found`, `unauthenticated`, ...
    pub code: String,
    /// For people.
    pub message: String,
    /// Per input field, what is wrong with it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub retry_after: Option<u64>,
    /// Answer with `Accept-Encoding: identity` (a 415 for a compressed request body).
    pub accept_encoding_identity: bool,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            retry_after: None,
            accept_encoding_identity: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(what: &str) -> ApiError {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn unauthenticated() -> ApiError {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in, or send a valid API key as `Authorization: Bearer <key>`",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 422 with one field named.
    pub fn invalid(field: &str, problem: impl Into<String>) -> ApiError {
        let problem = problem.into();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("{field}: {problem}"),
        );
        e.fields.insert(field.to_string(), problem);
        e
    }

    pub fn too_many_requests(retry_after: u64) -> ApiError {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many attempts; try again in {retry_after} s"),
        );
        e.retry_after = Some(retry_after);
        e
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// The request's statement ran past `statement_timeout` (or its transaction sat idle past
    /// `idle_in_transaction_session_timeout`) and PostgreSQL stopped it.
    pub fn timeout() -> ApiError {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long and was stopped; try again, or ask for less at once",
        )
    }

    pub fn internal() -> ApiError {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on the server; the request id identifies it in the logs",
        )
    }
}

/// Collects several field problems into one 422.
#[derive(Debug, Default)]
pub struct Validation {
    fields: BTreeMap<String, String>,
}

impl Validation {
    pub fn new() -> Validation {
        Validation::default()
    }
    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.fields
            .entry(field.to_string())
            .or_insert_with(|| problem.into());
    }
    pub fn check(&mut self, ok: bool, field: &str, problem: &str) {
        if !ok {
            self.add(field, problem);
        }
    }
    pub fn finish(self) -> ApiResult<()> {
        if self.fields.is_empty() {
            return Ok(());
        }
        let message = self
            .fields
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        );
        e.fields = self.fields;
        Err(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                fields: self.fields,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if self.accept_encoding_identity {
            response.headers_mut().insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static("identity"),
            );
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        AppError::from(e).into()
    }
}

/// The application layer's errors in the API's shape.
impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let message = e.to_string();
        match e {
            AppError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            AppError::Forbidden(_) => ApiError::forbidden(message),
            AppError::Invalid(fields) => {
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    message,
                );
                err.fields = fields.0;
                err
            }
            AppError::Conflict(_) => ApiError::conflict(message),
            AppError::Unauthenticated => ApiError::unauthenticated(),
            AppError::RateLimited { retry_after } => ApiError::too_many_requests(retry_after),
            AppError::Unavailable(_) => ApiError::unavailable(message),
            AppError::Timeout => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "timeout", message),
            AppError::Upstream { timed_out, .. } => ApiError::new(
                if timed_out {
                    StatusCode::GATEWAY_TIMEOUT
                } else {
                    StatusCode::BAD_GATEWAY
                },
                // The outside services Sparky calls are providers (of food data); the codes
                // are the ones the provider endpoints always answered with.
                if timed_out {
                    "provider_timeout"
                } else {
                    "provider_unavailable"
                },
                message,
            ),
            AppError::ProviderNotConfigured(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "provider_not_configured", message)
            }
            AppError::NotConfigured(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_configured", message)
            }
            AppError::NotImplemented(_) => {
                ApiError::new(StatusCode::NOT_IMPLEMENTED, "not_implemented", message)
            }
            AppError::Internal(detail) => {
                tracing::error!("{detail}");
                ApiError::internal()
            }
        }
    }
}
