//! Food data providers (OpenFoodFacts, USDA FoodData Central, Nutritionix): search, import
//! into the shared catalog, and barcode lookups that fall back to them (see
//! `sparky_app::providers`). No database connection is held while a provider is asked.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use sparky_app::foods::Food;
use sparky_app::providers::{self, ImportInput, ProviderInfo, ProviderResults, ProviderSearch};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_providers))
        .routes(routes!(search_provider))
        .routes(routes!(import_from_provider))
        .routes(routes!(barcode_lookup))
}

/// Which food providers this server can ask.
#[utoipa::path(get, path = "/api/v1/providers", tag = "providers",
    responses((status = 200, description = "Providers", body = Vec<ProviderInfo>)))]
async fn list_providers(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
) -> ApiResult<ApiJson<Vec<ProviderInfo>>> {
    tx.user_id().await?;
    tx.commit().await?;
    Ok(ApiJson(providers::list(&state.providers)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProviderSearchParams {
    /// What to search for.
    #[param(min_length = 1, max_length = 100)]
    pub q: String,
    /// Page, from 1.
    #[param(minimum = 1, maximum = 100)]
    pub page: Option<u32>,
}

/// Search one provider. Results are cached for a day and shared by all users.
#[utoipa::path(get, path = "/api/v1/providers/{provider}/search", tag = "providers",
    params(("provider" = String, Path, description = "openfoodfacts, usda or nutritionix (any letter case)", max_length = 20), ProviderSearchParams),
    responses(
        (status = 200, description = "Results", body = ProviderResults),
        (status = 404, description = "Unknown or unconfigured provider", body = ErrorBody),
        (status = 502, description = "The provider failed", body = ErrorBody),
        (status = 504, description = "The provider did not answer in time", body = ErrorBody),
    ))]
async fn search_provider(
    State(state): State<AppState>,
    Auth { tx, .. }: Auth,
    ApiPath(provider): ApiPath<String>,
    ApiQuery(p): ApiQuery<ProviderSearchParams>,
) -> ApiResult<ApiJson<ProviderResults>> {
    let search = ProviderSearch::parse(&provider, &p.q, p.page)?;
    let results = providers::search(tx, &state.db, &state.providers, &search).await?;
    Ok(ApiJson(results))
}

/// Turn a provider's food into a food in the shared catalog. Importing the same product
/// twice returns the same food (200 instead of 201), so retries are safe without a key.
#[utoipa::path(post, path = "/api/v1/providers/{provider}/import", tag = "providers",
    params(("provider" = String, Path, description = "openfoodfacts, usda or nutritionix (any letter case)", max_length = 20)),
    request_body = ImportInput,
    responses(
        (status = 201, description = "Imported", body = Food),
        (status = 200, description = "Already in the catalog", body = Food),
        (status = 404, description = "Unknown provider or food", body = ErrorBody),
        (status = 502, description = "The provider failed", body = ErrorBody),
        (status = 504, description = "The provider did not answer in time", body = ErrorBody),
    ))]
async fn import_from_provider(
    State(state): State<AppState>,
    Auth { tx, .. }: Auth,
    ApiPath(provider): ApiPath<String>,
    ApiJson(input): ApiJson<ImportInput>,
) -> ApiResult<(StatusCode, ApiJson<Food>)> {
    let source_id = providers::parse_source_id(&input)?;
    let (food, created) =
        providers::import(tx, &state.db, &state.providers, &provider, &source_id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, ApiJson(food)))
}

/// Look a barcode up: your foods, then the shared catalog (and foods shared with you), then
/// the configured providers; a provider's hit is imported so the next scan is local.
#[utoipa::path(get, path = "/api/v1/foods/barcode/{code}", tag = "foods",
    params(("code" = String, Path, description = "EAN-13, EAN-8, UPC-A or UPC-E: 8, 12 or 13 digits (spaces and hyphens are ignored)", pattern = r"^[0-9\s-]+$")),
    responses(
        (status = 200, description = "The food", body = Food),
        (status = 404, description = "Nobody knows this barcode", body = ErrorBody),
        (status = 502, description = "A provider failed", body = ErrorBody),
        (status = 504, description = "A provider did not answer in time", body = ErrorBody),
    ))]
async fn barcode_lookup(
    State(state): State<AppState>,
    Auth { tx, .. }: Auth,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<ApiJson<Food>> {
    let barcode = providers::parse_barcode(&code)?;
    let food = providers::barcode(tx, &state.db, &state.providers, &barcode).await?;
    Ok(ApiJson(food))
}
