//! Outbound HTTP to food data providers: OpenFoodFacts, USDA FoodData Central and Nutritionix.
//!
//! Every client maps its provider's payloads onto one shape, [`ProviderFood`], whose servings
//! carry [`Nutrients`] in Sparky's units (kcal; g for macros; mg for sodium, cholesterol,
//! potassium, calcium, iron, vitamin C; µg RAE for vitamin A). Missing nutrients stay `None`.
//!
//! Every request has a timeout ([`ProviderError::Timeout`]), is retried with exponential backoff
//! on 429, 5xx and connection errors (honouring `Retry-After`, capped at 5 s) before giving up
//! with [`ProviderError::Unavailable`], and never panics on what a provider sends.

mod http;
pub mod mail;
mod nutrients;
mod nutritionix;
mod openfoodfacts;
mod usda;

use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use nutritionix::{Nutritionix, COMMON_PREFIX};
pub use openfoodfacts::OpenFoodFacts;
pub use sparky_core::nutrition::{kj_to_kcal, Nutrients};
pub use usda::Usda;

/// The User-Agent every client sends (OpenFoodFacts asks apps to identify themselves).
pub const USER_AGENT: &str = concat!(
    "Sparky/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted fitness tracker)"
);

/// A food as a provider describes it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProviderFood {
    /// `"openfoodfacts"`, `"usda"` or `"nutritionix"`.
    pub source: String,
    /// OpenFoodFacts: the barcode; USDA: the fdcId; Nutritionix: `nix_item_id`, or
    /// `"common:<food_name>"` for common foods.
    pub source_id: String,
    pub name: String,
    pub brand: Option<String>,
    /// Digits as the provider gives them.
    pub barcode: Option<String>,
    /// At least one; exactly one has `is_default`, and it comes first.
    pub servings: Vec<ProviderServing>,
}

/// One serving of a [`ProviderFood`] with the nutrients of exactly that serving.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProviderServing {
    pub size: Decimal,
    pub unit: String,
    /// Grams of one such serving, when known.
    pub weight_g: Option<Decimal>,
    pub is_default: bool,
    pub nutrients: Nutrients,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("{provider} is not configured")]
    NotConfigured { provider: &'static str },
    #[error("{provider} did not answer in time")]
    Timeout { provider: &'static str },
    #[error("{provider} is unavailable: {message}")]
    Unavailable {
        provider: &'static str,
        message: String,
    },
    #[error("{provider} sent an unexpected response: {message}")]
    BadResponse {
        provider: &'static str,
        message: String,
    },
    #[error("{provider} does not know that food")]
    NotFound { provider: &'static str },
}

impl ProviderError {
    /// The provider the error is about.
    pub fn provider(&self) -> &'static str {
        match self {
            ProviderError::NotConfigured { provider }
            | ProviderError::Timeout { provider }
            | ProviderError::Unavailable { provider, .. }
            | ProviderError::BadResponse { provider, .. }
            | ProviderError::NotFound { provider } => provider,
        }
    }
}

/// How one client talks to its provider.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    /// Scheme, host and path prefix, e.g. `https://world.openfoodfacts.org`; a trailing slash is
    /// ignored.
    pub base_url: String,
    /// Per-request timeout (connect, send and read the whole body).
    pub timeout: Duration,
    /// Further attempts after the first on 429, 5xx and connection errors.
    pub retries: u32,
    /// Delay before the first retry; doubles for each further retry (capped at 5 s).
    pub backoff: Duration,
    pub user_agent: String,
}

impl ProviderSettings {
    /// Settings for `base_url` with the defaults: 8 s timeout, 2 retries, 250 ms backoff,
    /// [`USER_AGENT`].
    pub fn new(base_url: impl Into<String>) -> ProviderSettings {
        ProviderSettings {
            base_url: base_url.into(),
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            backoff: DEFAULT_BACKOFF,
            user_agent: USER_AGENT.to_string(),
        }
    }
}

pub const OPENFOODFACTS: &str = "openfoodfacts";
pub const USDA: &str = "usda";
pub const NUTRITIONIX: &str = "nutritionix";

pub const DEFAULT_OPENFOODFACTS_URL: &str = "https://world.openfoodfacts.org";
pub const DEFAULT_USDA_URL: &str = "https://api.nal.usda.gov/fdc";
pub const DEFAULT_NUTRITIONIX_URL: &str = "https://trackapi.nutritionix.com";
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(8000);
const DEFAULT_RETRIES: u32 = 2;
const DEFAULT_BACKOFF: Duration = Duration::from_millis(250);
/// Upper bound on configured retries, so a typo cannot make a request take forever.
const MAX_RETRIES: u32 = 10;

/// All configured providers, built from environment-style settings.
#[derive(Debug, Default)]
pub struct Providers {
    pub openfoodfacts: Option<OpenFoodFacts>,
    pub usda: Option<Usda>,
    pub nutritionix: Option<Nutritionix>,
}

impl Providers {
    /// Reads the process environment; see [`Providers::from_vars`].
    pub fn from_env() -> Providers {
        Providers::from_vars(|name| std::env::var(name).ok())
    }

    /// Builds the providers from variables looked up with `var`:
    ///
    /// - `SPARKY_OPENFOODFACTS` (default `true`; `false`/`0`/`no`/`off` disables),
    ///   `SPARKY_OPENFOODFACTS_URL` (default `https://world.openfoodfacts.org`)
    /// - `SPARKY_USDA_API_KEY` (enables USDA), `SPARKY_USDA_URL`
    ///   (default `https://api.nal.usda.gov/fdc`)
    /// - `SPARKY_NUTRITIONIX_APP_ID` + `SPARKY_NUTRITIONIX_APP_KEY` (both enable Nutritionix),
    ///   `SPARKY_NUTRITIONIX_URL` (default `https://trackapi.nutritionix.com`)
    /// - `SPARKY_PROVIDER_TIMEOUT_MS` (default 8000), `SPARKY_PROVIDER_RETRIES` (default 2, at
    ///   most 10), `SPARKY_PROVIDER_BACKOFF_MS` (default 250)
    ///
    /// Unparsable numbers fall back to the defaults.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Providers {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let timeout = get("SPARKY_PROVIDER_TIMEOUT_MS")
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_TIMEOUT);
        let retries = get("SPARKY_PROVIDER_RETRIES")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(DEFAULT_RETRIES)
            .min(MAX_RETRIES);
        let backoff = get("SPARKY_PROVIDER_BACKOFF_MS")
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_millis)
            .unwrap_or(DEFAULT_BACKOFF);
        let settings = |url_var: &str, default: &str| ProviderSettings {
            base_url: get(url_var).unwrap_or_else(|| default.to_string()),
            timeout,
            retries,
            backoff,
            user_agent: USER_AGENT.to_string(),
        };

        let off_enabled = !matches!(
            get("SPARKY_OPENFOODFACTS")
                .map(|v| v.to_ascii_lowercase())
                .as_deref(),
            Some("false" | "0" | "no" | "off")
        );
        let openfoodfacts = off_enabled.then(|| {
            OpenFoodFacts::new(settings(
                "SPARKY_OPENFOODFACTS_URL",
                DEFAULT_OPENFOODFACTS_URL,
            ))
        });
        let usda = get("SPARKY_USDA_API_KEY")
            .map(|key| Usda::new(settings("SPARKY_USDA_URL", DEFAULT_USDA_URL), key));
        let nutritionix = match (
            get("SPARKY_NUTRITIONIX_APP_ID"),
            get("SPARKY_NUTRITIONIX_APP_KEY"),
        ) {
            (Some(id), Some(key)) => Some(Nutritionix::new(
                settings("SPARKY_NUTRITIONIX_URL", DEFAULT_NUTRITIONIX_URL),
                id,
                key,
            )),
            _ => None,
        };
        Providers {
            openfoodfacts,
            usda,
            nutritionix,
        }
    }

    /// Names of the configured providers, in a fixed order.
    pub fn configured(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.openfoodfacts.is_some() {
            names.push(OPENFOODFACTS);
        }
        if self.usda.is_some() {
            names.push(USDA);
        }
        if self.nutritionix.is_some() {
            names.push(NUTRITIONIX);
        }
        names
    }

    /// Searches one provider by name. Pages start at 1 (0 is treated as 1); Nutritionix has a
    /// single page. An unknown or unconfigured name is [`ProviderError::NotConfigured`].
    pub async fn search(
        &self,
        provider: &str,
        query: &str,
        page: u32,
    ) -> Result<Vec<ProviderFood>, ProviderError> {
        match self.named(provider)? {
            Named::OpenFoodFacts(c) => c.search(query, page).await,
            Named::Usda(c) => c.search(query, page).await,
            Named::Nutritionix(c) => {
                if page > 1 {
                    Ok(Vec::new())
                } else {
                    c.search(query).await
                }
            }
        }
    }

    /// Fetches one food by the `source_id` a search returned.
    pub async fn fetch(
        &self,
        provider: &str,
        source_id: &str,
    ) -> Result<ProviderFood, ProviderError> {
        match self.named(provider)? {
            Named::OpenFoodFacts(c) => c.product(source_id).await,
            Named::Usda(c) => c.food(source_id).await,
            Named::Nutritionix(c) => c.item(source_id).await,
        }
    }

    /// Looks a barcode up: OpenFoodFacts first, then USDA branded foods (by `gtinUpc`), then
    /// Nutritionix (by UPC), each only when configured. `Ok(None)` when no configured provider
    /// knows it (or the barcode is not 1–32 digits); an error only when no provider found it and
    /// at least one failed (the first failure is returned).
    pub async fn barcode(&self, barcode: &str) -> Result<Option<ProviderFood>, ProviderError> {
        let barcode = barcode.trim();
        if !is_digits(barcode, 32) {
            return Ok(None);
        }
        let mut first_error = None;
        let mut note = |e: ProviderError| {
            tracing::warn!(provider = e.provider(), error = %e, "barcode lookup failed");
            first_error.get_or_insert(e);
        };
        if let Some(off) = &self.openfoodfacts {
            match off.product(barcode).await {
                Ok(food) => return Ok(Some(food)),
                Err(ProviderError::NotFound { .. }) => {}
                Err(e) => note(e),
            }
        }
        if let Some(usda) = &self.usda {
            match usda.barcode(barcode).await {
                Ok(Some(food)) => return Ok(Some(food)),
                Ok(None) | Err(ProviderError::NotFound { .. }) => {}
                Err(e) => note(e),
            }
        }
        if let Some(nix) = &self.nutritionix {
            match nix.barcode(barcode).await {
                Ok(Some(food)) => return Ok(Some(food)),
                Ok(None) | Err(ProviderError::NotFound { .. }) => {}
                Err(e) => note(e),
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }

    fn named(&self, provider: &str) -> Result<Named<'_>, ProviderError> {
        let name = provider.trim();
        let found = if name.eq_ignore_ascii_case(OPENFOODFACTS) {
            self.openfoodfacts
                .as_ref()
                .map(Named::OpenFoodFacts)
                .ok_or(OPENFOODFACTS)
        } else if name.eq_ignore_ascii_case(USDA) {
            self.usda.as_ref().map(Named::Usda).ok_or(USDA)
        } else if name.eq_ignore_ascii_case(NUTRITIONIX) {
            self.nutritionix
                .as_ref()
                .map(Named::Nutritionix)
                .ok_or(NUTRITIONIX)
        } else {
            Err("unknown")
        };
        found.map_err(|provider| ProviderError::NotConfigured { provider })
    }
}

enum Named<'a> {
    OpenFoodFacts(&'a OpenFoodFacts),
    Usda(&'a Usda),
    Nutritionix(&'a Nutritionix),
}

/// An all-digit identifier of sensible length (safe to put in a URL path).
pub(crate) fn is_digits(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
}

/// Orders servings so the default comes first and guarantees exactly one default; rounds values.
pub(crate) fn finish_servings(mut servings: Vec<ProviderServing>) -> Vec<ProviderServing> {
    let default_at = servings.iter().position(|s| s.is_default).unwrap_or(0);
    if !servings.is_empty() {
        let d = servings.remove(default_at);
        servings.insert(0, d);
    }
    for (i, s) in servings.iter_mut().enumerate() {
        s.is_default = i == 0;
        s.size = nutrients::tidy_dec(s.size);
        s.weight_g = s.weight_g.map(nutrients::tidy_dec);
        s.nutrients = nutrients::tidy(&s.nutrients);
    }
    servings
}
