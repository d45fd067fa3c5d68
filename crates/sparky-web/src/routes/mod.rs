//! API routes, one module per area. Each registers its handlers with their OpenAPI
//! description through `routes!`, so the document and the router cannot drift apart.

pub mod accounts;
pub mod api_keys;
pub mod diary;
pub mod exercises;
pub mod family;
pub mod foods;
pub mod goals;
pub mod meal_plans;
pub mod measurements;
pub mod nutrients;
pub mod preferences;
pub mod providers;
pub mod summary;
pub mod workouts;

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(api_keys::router())
        .merge(preferences::router())
        .merge(family::router())
        .merge(foods::router())
        .merge(diary::router())
        .merge(providers::router())
        .merge(exercises::router())
        .merge(workouts::router())
        .merge(measurements::router())
        .merge(goals::router())
        .merge(meal_plans::router())
        .merge(summary::router())
}

/// Bounded pagination shared by list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct Page {
    /// At most this many items (1–200, default 50).
    pub limit: Option<i64>,
    /// Skip this many items.
    pub offset: Option<i64>,
}

impl Page {
    pub fn bounds(&self) -> Result<(i64, i64), crate::error::ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(crate::error::ApiError::invalid(
                "limit",
                "must be between 1 and 200",
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(crate::error::ApiError::invalid(
                "offset",
                "must not be negative",
            ));
        }
        Ok((limit, offset))
    }
}
