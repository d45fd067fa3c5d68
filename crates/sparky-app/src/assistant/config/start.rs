//! The caller's effective provider for a request, after the rate limit and daily token budget.

use sparky_ai::{AiClient, ProviderConfig};
use sparky_db::UserTx;

use super::guard::{guard_url, may_use_private};
use super::settings::stored;
use super::Assistant;
use crate::assistant::agent::AgentSettings;
use crate::error::{AppError, AppResult};

/// The caller's effective provider, after the rate limit and the daily token budget.
pub async fn start(tx: &mut UserTx, a: &Assistant) -> AppResult<AgentSettings> {
    // One user's messages are counted one at a time, each after the one before was stored
    // (the caller stores it in this transaction): counted at once, 13 of 20 simultaneous
    // messages passed a limit of 5.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('assistant-limit:' || auth.uid()::text, 0))",
        &[],
    )
    .await?;
    let (recent, tokens_today) = crate::chat::usage(tx).await?;
    if recent >= a.instance.rate_per_minute {
        return Err(AppError::RateLimited { retry_after: 60 });
    }
    if tokens_today >= a.instance.daily_tokens {
        let row = tx
            .query_one(
                "SELECT extract(epoch FROM (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day')
                         - (now() AT TIME ZONE 'UTC'))::bigint",
                &[],
            )
            .await?;
        let secs: i64 = row.get(0);
        return Err(AppError::RateLimited {
            retry_after: secs.max(1) as u64,
        });
    }
    let owner = tx.user_id().await?;
    let s = stored(tx).await?;
    let i = &a.instance;
    let own = s
        .as_ref()
        .filter(|s| s.provider.is_some() || s.base_url.is_some());
    // A provider the user chose stays on the public internet at every connection (the check
    // when it was saved cannot see DNS answers that change later).
    let public_only = own.is_some() && !may_use_private(tx, a).await?;
    let (kind, base_url, key, model, vision_model) = match own {
        // The user's own provider: only their key goes there (never the instance's).
        Some(s) => {
            let kind = s.provider.or(i.provider).ok_or_else(not_configured)?;
            let key = match (&s.key, &a.secret) {
                (Some((n, c)), Some(secret)) => Some(secret.open(owner, n, c)?),
                (Some(_), None) => {
                    return Err(AppError::Unavailable(
                        "this server has lost its secret key; enter your AI key again".into(),
                    ))
                }
                (None, _) => None,
            };
            let model = s
                .model
                .clone()
                .or_else(|| {
                    (Some(kind) == i.provider)
                        .then(|| i.model.clone())
                        .flatten()
                })
                .ok_or_else(|| AppError::conflict("choose a model in your assistant settings"))?;
            if let Some(url) = &s.base_url {
                let normalised = sparky_ai::normalise_base_url(kind, url)
                    .map_err(|e| AppError::invalid("base_url", e.to_string()))?;
                guard_url(tx, a, &normalised).await?;
            }
            let vision = s.vision_model.clone().or_else(|| {
                (Some(kind) == i.provider && s.model.is_none())
                    .then(|| i.vision_model.clone())
                    .flatten()
            });
            (kind, s.base_url.clone(), key, model, vision)
        }
        None => {
            let kind = i.provider.ok_or_else(not_configured)?;
            let model = s
                .as_ref()
                .and_then(|s| s.model.clone())
                .or_else(|| i.model.clone())
                .ok_or_else(not_configured)?;
            let vision = s
                .as_ref()
                .and_then(|s| s.vision_model.clone())
                .or_else(|| i.vision_model.clone());
            (kind, i.base_url.clone(), i.api_key.clone(), model, vision)
        }
    };
    let mut config = ProviderConfig::new(kind);
    config.base_url = base_url;
    config.public_only = public_only;
    if let Some(k) = key {
        config = config.api_key(k);
    }
    config.retry.initial_backoff = i.initial_backoff;
    let client = AiClient::new(config).map_err(|e| AppError::conflict(e.to_string()))?;
    let mut settings = AgentSettings::new(client, model);
    settings.vision_model = vision_model;
    settings.max_steps = i.max_steps;
    settings.context_budget = i.context_tokens;
    settings.tokens_left = Some(i.daily_tokens.saturating_sub(tokens_today).max(0) as u64);
    settings.review_writes = s.as_ref().is_some_and(|s| s.review_writes);
    Ok(settings)
}

fn not_configured() -> AppError {
    AppError::conflict(
        "the assistant is not set up: the administrator sets SPARKY_AI_PROVIDER and SPARKY_AI_MODEL, \
         or choose a provider and model in your assistant settings",
    )
}
