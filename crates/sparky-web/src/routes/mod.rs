//! API routes, one module per area. Each registers its handlers with their OpenAPI
//! description through `routes!`, so the document and the router cannot drift apart.

pub mod accounts;
pub mod admin;
pub mod api_keys;
pub mod assistant_photos;
pub mod chat;
pub mod custom_nutrients;
pub mod diary;
pub mod exercises;
pub mod family;
pub mod foods;
pub mod goals;
pub mod health_data;
pub mod imports;
pub mod mcp;
pub mod meal_plans;
pub mod measurement_types;
pub mod measurements;
pub mod preferences;
pub mod profile;
pub mod providers;
pub mod recipes;
pub mod reports;
pub mod summary;
pub mod transfer;
pub mod workouts;

use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(admin::router())
        .merge(api_keys::router())
        .merge(preferences::router())
        .merge(profile::router())
        .merge(family::router())
        .merge(foods::router())
        .merge(custom_nutrients::router())
        .merge(recipes::router())
        .merge(diary::router())
        .merge(providers::router())
        .merge(exercises::router())
        .merge(workouts::router())
        .merge(measurement_types::router())
        .merge(measurements::router())
        .merge(goals::router())
        .merge(meal_plans::router())
        .merge(summary::router())
        .merge(reports::router())
        .merge(health_data::router())
        .merge(imports::router())
        .merge(chat::router())
        .merge(assistant_photos::router())
        .merge(mcp::router())
        .merge(transfer::router())
}

/// The `Idempotency-Key` request header, for the OpenAPI document.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKeyHeader {
    /// Makes retries safe: the same key (within 24 hours) returns the first answer; reusing a
    /// key for a different request is refused with 422.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 255)]
    idempotency_key: Option<String>,
}
