//! `Idempotency-Key` for every create endpoint a client may retry: the JSON body extractor
//! that also fingerprints the request, and the wrapper that replays a stored answer or stores
//! a new one in the request's transaction (see `sparky_app::idempotency`).

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sparky_app::idempotency;
use sparky_db::UserTx;

use crate::error::{ApiError, ApiResult};
use crate::extract::{parse_json, ApiJson};

/// The retry key of a request (if it sent one) and what identifies the request itself.
#[derive(Debug, Clone)]
pub struct Idempotency {
    key: Option<String>,
    fingerprint: String,
    path: String,
}

/// A JSON body together with the request's [`Idempotency`].
pub struct IdempotentJson<T>(pub Idempotency, pub T);

impl<T, S> FromRequest<S> for IdempotentJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let key = match req.headers().get("idempotency-key") {
            None => None,
            Some(v) => {
                let text = v
                    .to_str()
                    .map_err(|_| ApiError::invalid("Idempotency-Key", "must be text"))?;
                Some(idempotency::parse_key(text).map_err(ApiError::from)?)
            }
        };
        let path = req.uri().path().to_string();
        let mut hash = Sha256::new();
        hash.update(req.method().as_str().as_bytes());
        hash.update(b" ");
        hash.update(
            req.uri()
                .path_and_query()
                .map_or("", |p| p.as_str())
                .as_bytes(),
        );
        hash.update(b"\n");
        // Read the body through the JSON extractor's checks (content type and coding, size).
        let bytes = crate::extract::json_bytes(req, state).await?;
        hash.update(&bytes);
        let value = parse_json(&bytes)?;
        Ok(IdempotentJson(
            Idempotency {
                key,
                fingerprint: hex::encode(hash.finalize()),
                path,
            },
            value,
        ))
    }
}

impl Idempotency {
    /// Whether the request carried an `Idempotency-Key` (without one, [`Idempotency::run`]
    /// only runs the write).
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// Runs `write` once per key: a retry gets the stored answer (same status and body); the
    /// first attempt's answer is stored in the same transaction as its write.
    pub async fn run<T: Serialize>(
        &self,
        tx: &mut UserTx,
        status: StatusCode,
        write: impl AsyncFnOnce(&mut UserTx) -> ApiResult<T>,
    ) -> ApiResult<Response> {
        let Some(key) = &self.key else {
            let value = write(tx).await?;
            return Ok((status, ApiJson(value)).into_response());
        };
        if let Some(replay) = idempotency::begin(tx, key, &self.fingerprint).await? {
            let status = StatusCode::from_u16(replay.status).unwrap_or(StatusCode::OK);
            return Ok((status, ApiJson(replay.body)).into_response());
        }
        let value = write(tx).await?;
        let body = serde_json::to_value(&value).map_err(|_| ApiError::internal())?;
        idempotency::record(
            tx,
            key,
            &self.fingerprint,
            &self.path,
            status.as_u16(),
            &body,
        )
        .await?;
        Ok((status, ApiJson(body)).into_response())
    }
}
