//! A user's own assistant settings: reading them and replacing them (the API key sealed).

use serde::{Deserialize, Serialize};
use sparky_db::UserTx;
use utoipa::ToSchema;

use super::guard::guard_url;
use super::{parse_kind, Assistant, ProviderKind};
use crate::error::{AppError, AppResult};

/// A user's assistant settings. The API key is never shown; `has_api_key` says whether one is
/// saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssistantSettings {
    /// Your provider (null: the instance default).
    #[schema(value_type = String, required = false, nullable, max_length = 20)]
    pub provider: Option<ProviderKind>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub vision_model: Option<String>,
    pub has_api_key: bool,
    /// The chat proposes its writes (a card with Save and Discard) instead of making them.
    pub review_writes: bool,
    /// What the instance offers when you set nothing.
    pub instance: InstanceDefaults,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InstanceDefaults {
    pub configured: bool,
    #[schema(value_type = Option<String>)]
    pub provider: Option<ProviderKind>,
    pub model: Option<String>,
    pub vision_model: Option<String>,
    pub rate_per_minute: i64,
    pub daily_tokens: i64,
}

/// Replace your assistant settings. Fields left out (or null) use the instance default.
/// `api_key`: left out keeps the saved key, `""` removes it, any other text replaces it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistantSettingsInput {
    /// openai, anthropic, ollama or openai_compatible.
    #[schema(value_type = Option<String>, max_length = 20)]
    pub provider: Option<ProviderKind>,
    #[schema(max_length = 500)]
    pub base_url: Option<String>,
    #[schema(max_length = 200)]
    pub model: Option<String>,
    #[schema(max_length = 200)]
    pub vision_model: Option<String>,
    #[schema(max_length = 500)]
    pub api_key: Option<String>,
    /// `true`: the chat proposes its writes for you to save or discard; `false`: it writes at
    /// once (with Undo). Left out: kept as it is.
    pub review_writes: Option<bool>,
}

pub(super) struct StoredSettings {
    pub(super) provider: Option<ProviderKind>,
    pub(super) base_url: Option<String>,
    pub(super) model: Option<String>,
    pub(super) vision_model: Option<String>,
    pub(super) key: Option<(Vec<u8>, Vec<u8>)>,
    pub(super) review_writes: bool,
}

pub(super) async fn stored(tx: &mut UserTx) -> AppResult<Option<StoredSettings>> {
    let row = tx
        .query_opt(
            "SELECT provider, base_url, model, vision_model, api_key_nonce, api_key_ciphertext,
                    review_writes
             FROM assistant_settings WHERE user_id = auth.uid()",
            &[],
        )
        .await?;
    Ok(row.map(|r| StoredSettings {
        provider: r
            .get::<_, Option<String>>(0)
            .as_deref()
            .and_then(parse_kind),
        base_url: r.get(1),
        model: r.get(2),
        vision_model: r.get(3),
        key: match (
            r.get::<_, Option<Vec<u8>>>(4),
            r.get::<_, Option<Vec<u8>>>(5),
        ) {
            (Some(n), Some(c)) => Some((n, c)),
            _ => None,
        },
        review_writes: r.get(6),
    }))
}

fn kind_name(k: ProviderKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn defaults(a: &Assistant) -> InstanceDefaults {
    let i = &a.instance;
    InstanceDefaults {
        configured: i.provider.is_some() && i.model.is_some(),
        provider: i.provider,
        model: i.model.clone(),
        vision_model: i.vision_model.clone(),
        rate_per_minute: i.rate_per_minute,
        daily_tokens: i.daily_tokens,
    }
}

/// The caller's settings (never the key itself).
pub async fn get(tx: &mut UserTx, a: &Assistant) -> AppResult<AssistantSettings> {
    let s = stored(tx).await?;
    Ok(AssistantSettings {
        provider: s.as_ref().and_then(|s| s.provider),
        base_url: s.as_ref().and_then(|s| s.base_url.clone()),
        model: s.as_ref().and_then(|s| s.model.clone()),
        vision_model: s.as_ref().and_then(|s| s.vision_model.clone()),
        has_api_key: s.as_ref().is_some_and(|s| s.key.is_some()),
        review_writes: s.as_ref().is_some_and(|s| s.review_writes),
        instance: defaults(a),
    })
}

fn clean(v: Option<String>, field: &str, max: usize) -> AppResult<Option<String>> {
    match v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max => Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        )),
        other => Ok(other),
    }
}

/// Replaces the caller's settings. A base URL on a private network is refused unless the
/// caller is the administrator or the instance allows it.
pub async fn put(
    tx: &mut UserTx,
    a: &Assistant,
    input: AssistantSettingsInput,
) -> AppResult<AssistantSettings> {
    let base_url = clean(input.base_url, "base_url", 500)?;
    let model = clean(input.model, "model", 200)?;
    let vision_model = clean(input.vision_model, "vision_model", 200)?;
    if input
        .api_key
        .as_ref()
        .is_some_and(|k| k.chars().count() > 500)
    {
        return Err(AppError::invalid(
            "api_key",
            "must be at most 500 characters",
        ));
    }
    if let Some(url) = &base_url {
        let kind = input
            .provider
            .or(a.instance.provider)
            .unwrap_or(ProviderKind::OpenAiCompatible);
        let normalised = sparky_ai::normalise_base_url(kind, url)
            .map_err(|e| AppError::invalid("base_url", e.to_string()))?;
        guard_url(tx, a, &normalised).await?;
    }
    let owner = tx.user_id().await?;
    // None = keep what is saved; Some(None) = remove; Some(Some(..)) = replace.
    let key: Option<Option<(Vec<u8>, Vec<u8>)>> = match input.api_key.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(k) => {
            let secret = a.secret.as_ref().ok_or_else(|| {
                AppError::Unavailable(
                    "this server has no secret key to protect API keys with".into(),
                )
            })?;
            Some(Some(secret.seal(owner, k)?))
        }
    };
    let provider = input.provider.map(kind_name);
    let (replace_key, nonce, sealed) = match key {
        None => (false, None, None),
        Some(None) => (true, None, None),
        Some(Some((n, c))) => (true, Some(n), Some(c)),
    };
    tx.execute(
        "INSERT INTO assistant_settings AS s (user_id, provider, base_url, model, vision_model,
                                              api_key_nonce, api_key_ciphertext, review_writes)
         VALUES (auth.uid(), $1, $2, $3, $4, $6, $7, coalesce($8, false))
         ON CONFLICT (user_id) DO UPDATE SET provider = $1, base_url = $2, model = $3,
             vision_model = $4,
             api_key_nonce = CASE WHEN $5 THEN $6 ELSE s.api_key_nonce END,
             api_key_ciphertext = CASE WHEN $5 THEN $7 ELSE s.api_key_ciphertext END,
             review_writes = coalesce($8, s.review_writes)",
        &[
            &provider,
            &base_url,
            &model,
            &vision_model,
            &replace_key,
            &nonce,
            &sealed,
            &input.review_writes,
        ],
    )
    .await?;
    get(tx, a).await
}
