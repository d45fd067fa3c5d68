//! Sparky's HTTP layer. Handlers stay thin: they parse input, run queries through
//! `Database::as_user`, and shape the answer.

use axum::{routing::get, Json, Router};
use serde_json::json;
use sparky_db::Database;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(state)
}

/// Liveness: the process is up and serving HTTP. It does not touch the database, so a
/// database outage does not get the process restarted by an orchestrator.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}
