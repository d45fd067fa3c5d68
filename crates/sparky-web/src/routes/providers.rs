//! Food data providers (OpenFoodFacts, USDA FoodData Central, Nutritionix): search, import
//! into the shared catalog, and barcode lookups that fall back to them. Answers are cached in
//! PostgreSQL and shared by all users (they hold no personal data), and no database
//! connection is held while a provider is being asked.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::barcode::Barcode;
use sparky_core::nutrition::Nutrients;
use sparky_providers::{ProviderError, ProviderFood};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::nutrients::{f64_of, NutrientValues};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;
use sparky_app::foods::{describe_serving, load as load_foods, Food};

pub const ALL_PROVIDERS: [&str; 3] = ["openfoodfacts", "usda", "nutritionix"];
const SEARCH_TTL_HOURS: i32 = 24;
const PRODUCT_TTL_HOURS: i32 = 24 * 7;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_providers))
        .routes(routes!(search_provider))
        .routes(routes!(import_from_provider))
        .routes(routes!(barcode_lookup))
}

pub fn provider_error(e: ProviderError) -> ApiError {
    match &e {
        ProviderError::NotConfigured { provider } => ApiError::new(
            StatusCode::NOT_FOUND,
            "provider_not_configured",
            format!("the food provider {provider} is not configured on this server"),
        ),
        ProviderError::NotFound { provider } => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{provider} does not know that food"),
        ),
        ProviderError::Timeout { provider } => ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "provider_timeout",
            format!("{provider} did not answer in time; try again later"),
        ),
        ProviderError::Unavailable { provider, .. }
        | ProviderError::BadResponse { provider, .. } => {
            tracing::warn!(provider = *provider, error = %e, "food provider failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "provider_unavailable",
                format!("{provider} is not answering properly right now; try again later"),
            )
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderInfo {
    pub name: String,
    pub configured: bool,
}

/// Which food providers this server can ask.
#[utoipa::path(get, path = "/api/v1/providers", tag = "providers",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Providers", body = Vec<ProviderInfo>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn list_providers(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
) -> ApiResult<ApiJson<Vec<ProviderInfo>>> {
    tx.user_id().await?;
    let configured = state.providers.configured();
    Ok(ApiJson(
        ALL_PROVIDERS
            .iter()
            .map(|p| ProviderInfo {
                name: p.to_string(),
                configured: configured.contains(p),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderServingOut {
    pub size: f64,
    pub unit: String,
    pub weight_g: Option<f64>,
    pub is_default: bool,
    pub description: String,
    pub nutrients: NutrientValues,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderFoodOut {
    pub source: String,
    /// Pass to the import endpoint.
    pub source_id: String,
    pub name: String,
    pub brand: Option<String>,
    pub barcode: Option<String>,
    pub servings: Vec<ProviderServingOut>,
}

fn food_out(f: &ProviderFood) -> ProviderFoodOut {
    ProviderFoodOut {
        source: f.source.clone(),
        source_id: f.source_id.clone(),
        name: f.name.clone(),
        brand: f.brand.clone(),
        barcode: f.barcode.clone(),
        servings: f
            .servings
            .iter()
            .map(|s| ProviderServingOut {
                size: f64_of(s.size),
                description: describe_serving(s.size, &s.unit, s.weight_g),
                unit: s.unit.clone(),
                weight_g: s.weight_g.map(f64_of),
                is_default: s.is_default,
                nutrients: (&s.nutrients).into(),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderResults {
    pub items: Vec<ProviderFoodOut>,
    /// True when the answer came from Sparky's cache instead of the provider.
    pub cached: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProviderSearchParams {
    /// What to search for.
    pub q: String,
    /// Page, from 1.
    pub page: Option<u32>,
}

async fn cache_get<T: serde::de::DeserializeOwned>(
    tx: &mut sparky_db::UserTx,
    key: &str,
) -> ApiResult<Option<T>> {
    let row = tx
        .query_opt(
            "SELECT response FROM provider_cache WHERE cache_key = $1 AND expires_at > now()",
            &[&key],
        )
        .await?;
    Ok(row.and_then(|r| serde_json::from_value(r.get(0)).ok()))
}

async fn cache_put<T: Serialize>(
    state: &AppState,
    me: Uuid,
    key: &str,
    value: &T,
    ttl_hours: i32,
) -> ApiResult<()> {
    let json = serde_json::to_value(value).map_err(|_| ApiError::internal())?;
    state
        .db
        .as_user(me)
        .await?
        .query_and_commit(
            "INSERT INTO provider_cache (cache_key, response, expires_at)
             VALUES ($1, $2, now() + make_interval(hours => $3))
             ON CONFLICT (cache_key) DO UPDATE SET response = EXCLUDED.response, expires_at = EXCLUDED.expires_at",
            &[&key, &json, &ttl_hours],
        )
        .await?;
    Ok(())
}

fn check_provider(name: &str) -> ApiResult<&'static str> {
    ALL_PROVIDERS
        .iter()
        .copied()
        .find(|p| *p == name)
        .ok_or_else(|| ApiError::not_found("provider"))
}

/// Search one provider. Results are cached for a day.
#[utoipa::path(get, path = "/api/v1/providers/{provider}/search", tag = "providers",
    security(("session" = []), ("api_key" = [])),
    params(("provider" = String, Path, description = "openfoodfacts, usda or nutritionix"), ProviderSearchParams),
    responses(
        (status = 200, description = "Results", body = ProviderResults),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Unknown or unconfigured provider", body = ErrorBody),
        (status = 422, description = "Invalid query", body = ErrorBody),
        (status = 502, description = "The provider failed", body = ErrorBody),
        (status = 504, description = "The provider did not answer in time", body = ErrorBody),
    ))]
async fn search_provider(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    Path(provider): Path<String>,
    Query(p): Query<ProviderSearchParams>,
) -> ApiResult<ApiJson<ProviderResults>> {
    let provider = check_provider(&provider)?;
    let q = p.q.trim().to_lowercase();
    if q.is_empty() || q.chars().count() > 100 {
        return Err(ApiError::invalid("q", "must be 1 to 100 characters"));
    }
    let page = p.page.unwrap_or(1).clamp(1, 100);
    if !state.providers.configured().contains(&provider) {
        return Err(provider_error(ProviderError::NotConfigured { provider }));
    }
    let key = format!("{provider}:search:{page}:{q}");
    let cached: Option<Vec<ProviderFood>> = cache_get(&mut tx, &key).await?;
    let me = tx.user_id().await?;
    tx.commit().await?;
    if let Some(foods) = cached {
        return Ok(ApiJson(ProviderResults {
            items: foods.iter().map(food_out).collect(),
            cached: true,
        }));
    }
    let foods = state
        .providers
        .search(provider, &q, page)
        .await
        .map_err(provider_error)?;
    cache_put(&state, me, &key, &foods, SEARCH_TTL_HOURS).await?;
    Ok(ApiJson(ProviderResults {
        items: foods.iter().map(food_out).collect(),
        cached: false,
    }))
}

/// The JSON `import_catalog_food` takes.
fn catalog_json(f: &ProviderFood) -> serde_json::Value {
    let barcode = f
        .barcode
        .as_deref()
        .and_then(|b| Barcode::parse(b).ok())
        .map(|b| b.as_str().to_string());
    let has_default = f.servings.iter().any(|s| s.is_default);
    let servings: Vec<serde_json::Value> = f
        .servings
        .iter()
        .enumerate()
        .filter(|(_, s)| s.size > Decimal::ZERO)
        .map(|(i, s)| {
            let mut o = serde_json::Map::new();
            o.insert("size".into(), s.size.to_string().into());
            o.insert("unit".into(), s.unit.clone().into());
            if let Some(w) = s.weight_g.filter(|w| *w > Decimal::ZERO) {
                o.insert("weight_g".into(), w.to_string().into());
            }
            o.insert(
                "is_default".into(),
                (if has_default { s.is_default } else { i == 0 }).into(),
            );
            for name in Nutrients::NAMES {
                if let Some(v) = s.nutrients.get(name).filter(|v| *v >= Decimal::ZERO) {
                    o.insert(
                        name.into(),
                        sparky_core::units::round_dp(v, 4).to_string().into(),
                    );
                }
            }
            serde_json::Value::Object(o)
        })
        .collect();
    serde_json::json!({
        "name": f.name, "brand": f.brand, "barcode": barcode,
        "source": f.source, "source_id": f.source_id, "servings": servings,
    })
}

/// Puts a provider's food into the shared catalog (once per product) and loads it.
async fn import(state: &AppState, me: Uuid, food: &ProviderFood) -> ApiResult<(Food, bool)> {
    let mut tx = state.db.as_user(me).await?;
    let existed = tx
        .query_opt(
            "SELECT id FROM food_items WHERE user_id IS NULL AND source = $1 AND source_id = $2",
            &[&food.source, &food.source_id],
        )
        .await?
        .is_some();
    let id: Uuid = tx
        .query_one("SELECT import_catalog_food($1)", &[&catalog_json(food)])
        .await?
        .get(0);
    let food = load_foods(&mut tx, &[id])
        .await?
        .pop()
        .ok_or_else(ApiError::internal)?;
    tx.commit().await?;
    Ok((food, !existed))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// `source_id` from a provider search.
    pub source_id: String,
}

/// Turn a provider's food into a food in the shared catalog. Importing the same product
/// twice returns the same food.
#[utoipa::path(post, path = "/api/v1/providers/{provider}/import", tag = "providers",
    security(("session" = []), ("api_key" = [])),
    params(("provider" = String, Path, description = "openfoodfacts, usda or nutritionix")),
    request_body = ImportRequest,
    responses(
        (status = 201, description = "Imported", body = Food),
        (status = 200, description = "Already in the catalog", body = Food),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Unknown provider or food", body = ErrorBody),
        (status = 502, description = "The provider failed", body = ErrorBody),
        (status = 504, description = "The provider did not answer in time", body = ErrorBody),
    ))]
async fn import_from_provider(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    Path(provider): Path<String>,
    ApiJson(req): ApiJson<ImportRequest>,
) -> ApiResult<(StatusCode, ApiJson<Food>)> {
    let provider = check_provider(&provider)?;
    let source_id = req.source_id.trim().to_string();
    if source_id.is_empty() || source_id.len() > 255 {
        return Err(ApiError::invalid(
            "source_id",
            "must be 1 to 255 characters",
        ));
    }
    let me = tx.user_id().await?;
    // Already imported: no need to ask the provider at all.
    let local = tx
        .query_opt(
            "SELECT id FROM food_items WHERE user_id IS NULL AND source = $1 AND source_id = $2",
            &[&provider, &source_id],
        )
        .await?;
    if let Some(row) = local {
        let id: Uuid = row.get(0);
        let food = load_foods(&mut tx, &[id])
            .await?
            .pop()
            .ok_or_else(ApiError::internal)?;
        tx.commit().await?;
        return Ok((StatusCode::OK, ApiJson(food)));
    }
    let key = format!("{provider}:food:{source_id}");
    let cached: Option<ProviderFood> = cache_get(&mut tx, &key).await?;
    tx.commit().await?;
    let found = match cached {
        Some(f) => f,
        None => {
            let f = state
                .providers
                .fetch(provider, &source_id)
                .await
                .map_err(provider_error)?;
            cache_put(&state, me, &key, &f, PRODUCT_TTL_HOURS).await?;
            f
        }
    };
    let (food, created) = import(&state, me, &found).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        ApiJson(food),
    ))
}

/// Look a barcode up: your foods, then the shared catalog (and foods shared with you), then
/// the configured providers; a provider's hit is imported so the next scan is local.
#[utoipa::path(get, path = "/api/v1/foods/barcode/{code}", tag = "foods",
    security(("session" = []), ("api_key" = [])),
    params(("code" = String, Path, description = "EAN-13, EAN-8, UPC-A or UPC-E")),
    responses(
        (status = 200, description = "The food", body = Food),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Nobody knows this barcode", body = ErrorBody),
        (status = 422, description = "Not a valid barcode (e.g. wrong check digit)", body = ErrorBody),
        (status = 502, description = "A provider failed", body = ErrorBody),
        (status = 504, description = "A provider did not answer in time", body = ErrorBody),
    ))]
async fn barcode_lookup(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    Path(code): Path<String>,
) -> ApiResult<ApiJson<Food>> {
    let barcode = Barcode::parse(&code).map_err(|e| ApiError::invalid("code", e.to_string()))?;
    let local = tx
        .query_opt(
            "SELECT id FROM food_items WHERE barcode = $1
             ORDER BY CASE WHEN user_id = auth.uid() THEN 0 WHEN user_id IS NULL THEN 1 ELSE 2 END, created_at
             LIMIT 1",
            &[&barcode.as_str()],
        )
        .await?;
    if let Some(row) = local {
        let id: Uuid = row.get(0);
        let food = load_foods(&mut tx, &[id])
            .await?
            .pop()
            .ok_or_else(ApiError::internal)?;
        tx.commit().await?;
        return Ok(ApiJson(food));
    }
    let me = tx.user_id().await?;
    let key = format!("barcode:{}", barcode.as_str());
    let cached: Option<Option<ProviderFood>> = cache_get(&mut tx, &key).await?;
    tx.commit().await?;
    let found = match cached {
        Some(f) => f,
        None => {
            // Providers know UPC-A codes by their 12 digits; GTIN-13 with a leading 0 is the same product.
            let lookup = barcode
                .as_str()
                .strip_prefix('0')
                .unwrap_or(barcode.as_str());
            let mut f = state
                .providers
                .barcode(lookup)
                .await
                .map_err(provider_error)?;
            if f.is_none() && lookup != barcode.as_str() {
                f = state
                    .providers
                    .barcode(barcode.as_str())
                    .await
                    .map_err(provider_error)?;
            }
            // Misses are cached too (for a day), so scanning an unknown product twice asks once.
            cache_put(
                &state,
                me,
                &key,
                &f,
                if f.is_some() {
                    PRODUCT_TTL_HOURS
                } else {
                    SEARCH_TTL_HOURS
                },
            )
            .await?;
            f
        }
    };
    let Some(mut found) = found else {
        return Err(ApiError::not_found("food with that barcode"));
    };
    found.barcode = Some(barcode.as_str().to_string());
    let (food, _) = import(&state, me, &found).await?;
    Ok(ApiJson(food))
}
