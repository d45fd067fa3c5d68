//! Food data providers (OpenFoodFacts, USDA FoodData Central, Nutritionix): search, import into
//! the shared catalog, and barcode lookups that fall back to them. The clients live in
//! `sparky-providers`; this module holds what Sparky does around them: the shared answer cache
//! (`provider_cache`, no personal data in it), the catalog import and the lookup order.
//!
//! No database connection is held while a provider is being asked, so a slow provider cannot
//! use up the pool: these operations take the request's transaction, finish and commit it
//! before asking, and open short transactions of their own for what they store afterwards.

use serde::{Deserialize, Serialize};
use sparky_core::barcode::Barcode;
use sparky_core::nutrition::Nutrients;
use sparky_core::Amount;
use sparky_db::{Database, Identity, UserTx};
use sparky_providers::{ProviderError, ProviderFood, Providers};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalog::{self, CatalogFood};
use crate::error::{AppError, AppResult};
use crate::foods::{describe_serving, Food};

/// Every provider Sparky knows, configured or not.
pub const ALL_PROVIDERS: [&str; 3] = [
    sparky_providers::OPENFOODFACTS,
    sparky_providers::USDA,
    sparky_providers::NUTRITIONIX,
];
/// How long a search answer is reused (and a barcode nobody knows).
const SEARCH_TTL_HOURS: i32 = 24;
/// How long a product answer is reused.
const PRODUCT_TTL_HOURS: i32 = 24 * 7;
/// Deepest search page that may be asked for.
pub const MAX_SEARCH_PAGE: u32 = 100;
/// Longest search text.
pub const MAX_QUERY_CHARS: usize = 100;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderInfo {
    pub name: String,
    pub configured: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderServingOut {
    pub size: Amount,
    pub unit: String,
    pub weight_g: Option<Amount>,
    pub is_default: bool,
    /// Human form, e.g. "1 serving (30 g)".
    pub description: String,
    pub nutrients: Nutrients,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderFoodOut {
    pub source: String,
    /// Pass to the import endpoint.
    pub source_id: String,
    pub name: String,
    pub brand: Option<String>,
    pub barcode: Option<String>,
    pub servings: Vec<ProviderServingOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderResults {
    pub items: Vec<ProviderFoodOut>,
    /// True when the answer came from Sparky's cache instead of the provider.
    pub cached: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    /// `source_id` from a provider search.
    #[schema(min_length = 1, max_length = 255)]
    pub source_id: String,
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
                size: Amount(s.size),
                description: describe_serving(s.size, &s.unit, s.weight_g),
                unit: s.unit.clone(),
                weight_g: s.weight_g.map(Amount),
                is_default: s.is_default,
                nutrients: s.nutrients.clone(),
            })
            .collect(),
    }
}

/// A provider's failure in Sparky's terms: 404 for unconfigured providers and unknown foods,
/// 502/504 naming the provider when it failed or was too slow.
pub fn provider_error(e: ProviderError) -> AppError {
    match e {
        ProviderError::NotConfigured { provider } => AppError::ProviderNotConfigured(provider),
        ProviderError::NotFound { provider } => AppError::NotFound(match provider {
            sparky_providers::USDA => "food at usda",
            sparky_providers::NUTRITIONIX => "food at nutritionix",
            _ => "food at openfoodfacts",
        }),
        ProviderError::Timeout { provider } => AppError::Upstream {
            timed_out: true,
            message: format!("{provider} did not answer in time; try again later"),
        },
        ProviderError::Unavailable { provider, .. }
        | ProviderError::BadResponse { provider, .. } => {
            tracing::warn!(provider, error = %e, "food provider failed");
            AppError::Upstream {
                timed_out: false,
                message: format!("{provider} is not answering properly right now; try again later"),
            }
        }
    }
}

/// Which providers this server can ask.
pub fn list(providers: &Providers) -> Vec<ProviderInfo> {
    let configured = providers.configured();
    ALL_PROVIDERS
        .iter()
        .map(|p| ProviderInfo {
            name: p.to_string(),
            configured: configured.contains(p),
        })
        .collect()
}

/// A provider name from a path: one Sparky knows (404 otherwise).
pub fn known_provider(name: &str) -> AppResult<&'static str> {
    ALL_PROVIDERS
        .iter()
        .copied()
        .find(|p| p.eq_ignore_ascii_case(name.trim()))
        .ok_or(AppError::NotFound("provider"))
}

fn configured(providers: &Providers, provider: &'static str) -> AppResult<()> {
    if providers.configured().contains(&provider) {
        Ok(())
    } else {
        Err(AppError::ProviderNotConfigured(provider))
    }
}

/// A validated provider search.
#[derive(Debug, Clone)]
pub struct ProviderSearch {
    pub provider: &'static str,
    /// Lower-cased, trimmed.
    pub q: String,
    pub page: u32,
}

impl ProviderSearch {
    pub fn parse(provider: &str, q: &str, page: Option<u32>) -> AppResult<ProviderSearch> {
        let provider = known_provider(provider)?;
        let q = q.trim().to_lowercase();
        if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::invalid("q", "must be 1 to 100 characters"));
        }
        let page = page.unwrap_or(1);
        if !(1..=MAX_SEARCH_PAGE).contains(&page) {
            return Err(AppError::invalid("page", "must be between 1 and 100"));
        }
        Ok(ProviderSearch { provider, q, page })
    }
}

async fn cache_get<T: serde::de::DeserializeOwned>(
    tx: &mut UserTx,
    key: &str,
) -> AppResult<Option<T>> {
    let row = tx
        .query_opt(
            "SELECT response FROM provider_cache WHERE cache_key = $1 AND expires_at > now()",
            &[&key],
        )
        .await?;
    // An entry that no longer decodes (an older shape) is a miss.
    Ok(row.and_then(|r| serde_json::from_value(r.get(0)).ok()))
}

async fn cache_put<T: Serialize>(
    tx: &mut UserTx,
    key: &str,
    value: &T,
    ttl_hours: i32,
) -> AppResult<()> {
    let json = serde_json::to_value(value).map_err(|e| AppError::internal(e.to_string()))?;
    tx.execute(
        "INSERT INTO provider_cache (cache_key, response, expires_at)
         VALUES ($1, $2, now() + make_interval(hours => $3))
         ON CONFLICT (cache_key) DO UPDATE SET response = EXCLUDED.response, expires_at = EXCLUDED.expires_at",
        &[&key, &json, &ttl_hours],
    )
    .await?;
    Ok(())
}

/// Stores a provider's answer in a short transaction of its own.
async fn remember<T: Serialize>(
    db: &Database,
    me: Uuid,
    key: &str,
    value: &T,
    ttl_hours: i32,
) -> AppResult<()> {
    let mut tx = db.as_user(me).await?;
    cache_put(&mut tx, key, value, ttl_hours).await?;
    tx.commit().await?;
    Ok(())
}

/// Searches one provider; answers are cached (shared by all users) for a day. Commits `tx`
/// before the provider is asked.
pub async fn search(
    mut tx: UserTx,
    db: &Database,
    providers: &Providers,
    s: &ProviderSearch,
) -> AppResult<ProviderResults> {
    configured(providers, s.provider)?;
    let key = format!("{}:search:{}:{}", s.provider, s.page, s.q);
    let cached: Option<Vec<ProviderFood>> = cache_get(&mut tx, &key).await?;
    let me = tx.user_id().await?;
    tx.commit().await?;
    if let Some(foods) = cached {
        return Ok(ProviderResults {
            items: foods.iter().map(food_out).collect(),
            cached: true,
        });
    }
    let foods = providers
        .search(s.provider, &s.q, s.page)
        .await
        .map_err(provider_error)?;
    remember(db, me, &key, &foods, SEARCH_TTL_HOURS).await?;
    Ok(ProviderResults {
        items: foods.iter().map(food_out).collect(),
        cached: false,
    })
}

/// Puts a provider's food into the shared catalog (once per product) and loads it, in a
/// transaction of its own.
async fn import_found(
    db: &Database,
    who: Identity,
    found: &ProviderFood,
) -> AppResult<(Food, bool)> {
    let food = CatalogFood::from_provider(found)
        .normalised()
        .ok_or(AppError::Upstream {
            timed_out: false,
            message: format!(
                "{} sent a food without a name or a serving; it cannot be imported",
                found.source
            ),
        })?;
    // A read-only API key's import is refused by PostgreSQL (the cache above is not the
    // user's data and is written either way).
    let mut tx = db.as_identity(who).await?;
    let (id, created) = catalog::import(&mut tx, &food).await?;
    let food = crate::foods::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok((food, created))
}

/// A validated source id.
pub fn parse_source_id(input: &ImportInput) -> AppResult<String> {
    let source_id = input.source_id.trim().to_string();
    if source_id.is_empty() || source_id.chars().count() > 255 {
        return Err(AppError::invalid(
            "source_id",
            "must be 1 to 255 characters",
        ));
    }
    Ok(source_id)
}

/// Turns a provider's food into a food of the shared catalog; importing it again returns the
/// same food (`false`: it was there already). Commits `tx` before the provider is asked.
pub async fn import(
    mut tx: UserTx,
    db: &Database,
    providers: &Providers,
    provider: &str,
    source_id: &str,
) -> AppResult<(Food, bool)> {
    let provider = known_provider(provider)?;
    // Already imported: no need to ask the provider at all.
    if let Some(id) = catalog::find(&mut tx, provider, source_id).await? {
        let food = crate::foods::get(&mut tx, id).await?;
        tx.commit().await?;
        return Ok((food, false));
    }
    configured(providers, provider)?;
    let key = format!("{provider}:food:{source_id}");
    let cached: Option<ProviderFood> = cache_get(&mut tx, &key).await?;
    let who = tx.identity().await?;
    let me = who.user_id;
    tx.commit().await?;
    let found = match cached {
        Some(f) => f,
        None => {
            let f = providers
                .fetch(provider, source_id)
                .await
                .map_err(provider_error)?;
            remember(db, me, &key, &f, PRODUCT_TTL_HOURS).await?;
            f
        }
    };
    import_found(db, who, &found).await
}

/// A barcode from a path: EAN-13, EAN-8, UPC-A or UPC-E with a valid check digit.
pub fn parse_barcode(code: &str) -> AppResult<Barcode> {
    Barcode::parse(code).map_err(|e| AppError::invalid("code", e.to_string()))
}

/// Looks a barcode up: the caller's own foods, then the shared catalog and foods shared with
/// the caller, then the configured providers; a provider's hit is imported so the next scan
/// is local. Misses are cached for a day. Commits `tx` before a provider is asked.
pub async fn barcode(
    mut tx: UserTx,
    db: &Database,
    providers: &Providers,
    barcode: &Barcode,
) -> AppResult<Food> {
    let local = tx
        .query_opt(
            "SELECT id FROM food_items WHERE barcode = $1
             ORDER BY CASE WHEN user_id = auth.uid() THEN 0 WHEN user_id IS NULL THEN 1 ELSE 2 END,
                      created_at, id
             LIMIT 1",
            &[&barcode.as_str()],
        )
        .await?;
    if let Some(row) = local {
        let food = crate::foods::get(&mut tx, row.get(0)).await?;
        tx.commit().await?;
        return Ok(food);
    }
    let key = format!("barcode:{}", barcode.as_str());
    let cached: Option<Option<ProviderFood>> = cache_get(&mut tx, &key).await?;
    let me = tx.user_id().await?;
    tx.commit().await?;
    let found = match cached {
        Some(f) => f,
        None => {
            // Providers know UPC-A codes by their 12 digits; GTIN-13 with a leading 0 is the
            // same product.
            let code = barcode.as_str();
            let short = code.strip_prefix('0').unwrap_or(code);
            let mut f = providers.barcode(short).await.map_err(provider_error)?;
            if f.is_none() && short != code {
                f = providers.barcode(code).await.map_err(provider_error)?;
            }
            let ttl = if f.is_some() {
                PRODUCT_TTL_HOURS
            } else {
                SEARCH_TTL_HOURS
            };
            remember(db, me, &key, &f, ttl).await?;
            f
        }
    };
    let Some(mut found) = found else {
        return Err(AppError::NotFound("food with that barcode"));
    };
    found.barcode = Some(barcode.as_str().to_string());
    // A lookup is a read (GET), also with a read-only API key: the product it found joins the
    // shared catalog like the provider cache above, not anyone's own data.
    Ok(import_found(db, Identity::user(me), &found).await?.0)
}
