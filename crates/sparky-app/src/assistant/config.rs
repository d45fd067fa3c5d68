//! Which AI provider a user's assistant talks to: the instance default from the environment
//! (`SPARKY_AI_*`), overridden by the user's own settings. A user's API key is encrypted at
//! rest with XChaCha20-Poly1305 under the server's secret key (`SPARKY_SECRET_KEY`, or a
//! generated 0600 file in the data directory), never returned, and replaced rather than read
//! back. Only the administrator may point a provider at a private-network address (SSRF guard)
//! unless `SPARKY_AI_ALLOW_PRIVATE=1`. Per-user rate limit and daily token budget.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
pub use sparky_ai::ProviderKind;
use sparky_ai::{AiClient, ProviderConfig};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use super::agent::AgentSettings;
use crate::error::{AppError, AppResult};

/// The file the generated secret key lives in, inside the data directory.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// The server's key for secrets at rest.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

fn decode_key(text: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    let t = text.trim();
    let bytes = hex::decode(t)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(t).ok())?;
    bytes.try_into().ok()
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }

    /// `SPARKY_SECRET_KEY` (64 hex digits or base64 of 32 bytes) when given, else the key file
    /// in `data_dir`, created (mode 0600) with a random key the first time.
    pub fn load(env_value: Option<&str>, data_dir: &Path) -> Result<SecretKey, String> {
        if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
            return decode_key(v).map(SecretKey).ok_or_else(|| {
                "SPARKY_SECRET_KEY must be 32 bytes as 64 hex digits or base64".to_string()
            });
        }
        let path = data_dir.join(SECRET_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => decode_key(&text)
                .map(SecretKey)
                .ok_or_else(|| format!("{} does not hold a 32-byte key in hex", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                std::fs::create_dir_all(data_dir)
                    .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
                write_private(&path, &hex::encode(key))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(SecretKey(key))
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Encrypts `plain` bound to `owner` (a ciphertext moved to another user does not open).
    pub fn seal(&self, owner: Uuid, plain: &str) -> AppResult<(Vec<u8>, Vec<u8>)> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| AppError::internal("encrypting the API key failed"))?;
        Ok((nonce.to_vec(), sealed))
    }

    pub fn open(&self, owner: Uuid, nonce: &[u8], sealed: &[u8]) -> AppResult<String> {
        if nonce.len() != 24 {
            return Err(AppError::internal("stored API key has a bad nonce"));
        }
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| {
                AppError::conflict(
                    "your saved AI key cannot be decrypted (the server's secret key changed): enter it again",
                )
            })?;
        String::from_utf8(plain).map_err(|_| AppError::internal("stored API key is not text"))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The instance's assistant configuration, from the environment.
#[derive(Debug, Clone)]
pub struct InstanceConfig {
    /// `SPARKY_AI_PROVIDER`: openai, anthropic, ollama or openai_compatible.
    pub provider: Option<ProviderKind>,
    /// `SPARKY_AI_BASE_URL`.
    pub base_url: Option<String>,
    /// `SPARKY_AI_MODEL`.
    pub model: Option<String>,
    /// `SPARKY_AI_VISION_MODEL` (default: the model).
    pub vision_model: Option<String>,
    /// `SPARKY_AI_API_KEY`.
    pub api_key: Option<String>,
    /// `SPARKY_AI_ALLOW_PRIVATE=1`: anyone may use private-network addresses.
    pub allow_private: bool,
    /// `SPARKY_AI_RATE_PER_MINUTE` (default 10): messages a user may send per minute.
    pub rate_per_minute: i64,
    /// `SPARKY_AI_DAILY_TOKENS` (default 200000): tokens a user may use per UTC day.
    pub daily_tokens: i64,
    /// `SPARKY_AI_MAX_STEPS` (default 8): model calls per message.
    pub max_steps: usize,
    /// `SPARKY_AI_CONTEXT_TOKENS` (default 12000): history sent with each call.
    pub context_tokens: usize,
    /// Backoff of retries (tests shorten it).
    pub initial_backoff: Duration,
}

impl Default for InstanceConfig {
    fn default() -> InstanceConfig {
        InstanceConfig {
            provider: None,
            base_url: None,
            model: None,
            vision_model: None,
            api_key: None,
            allow_private: false,
            rate_per_minute: 10,
            daily_tokens: 200_000,
            max_steps: 8,
            context_tokens: 12_000,
            initial_backoff: Duration::from_millis(500),
        }
    }
}

fn parse_kind(text: &str) -> Option<ProviderKind> {
    serde_json::from_value(serde_json::Value::String(
        text.trim().to_ascii_lowercase().replace('-', "_"),
    ))
    .ok()
}

impl InstanceConfig {
    /// Reads `SPARKY_AI_*` through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<InstanceConfig, String> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let number =
            |name: &str, default: i64| -> Result<i64, String> {
                match get(name) {
                    None => Ok(default),
                    Some(v) => v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                        format!("{name} must be a positive whole number, not {v:?}")
                    }),
                }
            };
        let provider = match get("SPARKY_AI_PROVIDER") {
            None => None,
            Some(p) => Some(parse_kind(&p).ok_or_else(|| {
                format!("SPARKY_AI_PROVIDER {p:?} is not one of openai, anthropic, ollama, openai_compatible")
            })?),
        };
        let d = InstanceConfig::default();
        Ok(InstanceConfig {
            provider,
            base_url: get("SPARKY_AI_BASE_URL"),
            model: get("SPARKY_AI_MODEL"),
            vision_model: get("SPARKY_AI_VISION_MODEL"),
            api_key: get("SPARKY_AI_API_KEY"),
            allow_private: matches!(
                get("SPARKY_AI_ALLOW_PRIVATE").as_deref(),
                Some("1" | "true")
            ),
            rate_per_minute: number("SPARKY_AI_RATE_PER_MINUTE", d.rate_per_minute)?,
            daily_tokens: number("SPARKY_AI_DAILY_TOKENS", d.daily_tokens)?,
            max_steps: number("SPARKY_AI_MAX_STEPS", d.max_steps as i64)?.min(50) as usize,
            context_tokens: number("SPARKY_AI_CONTEXT_TOKENS", d.context_tokens as i64)? as usize,
            initial_backoff: d.initial_backoff,
        })
    }
}

/// The assistant's server-side configuration.
#[derive(Debug, Clone, Default)]
pub struct Assistant {
    pub instance: InstanceConfig,
    /// Needed to save or use per-user keys.
    pub secret: Option<SecretKey>,
}

// ---------------------------------------------------------------------------------------------
// Per-user settings
// ---------------------------------------------------------------------------------------------

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
}

struct StoredSettings {
    provider: Option<ProviderKind>,
    base_url: Option<String>,
    model: Option<String>,
    vision_model: Option<String>,
    key: Option<(Vec<u8>, Vec<u8>)>,
}

async fn stored(tx: &mut UserTx) -> AppResult<Option<StoredSettings>> {
    let row = tx
        .query_opt(
            "SELECT provider, base_url, model, vision_model, api_key_nonce, api_key_ciphertext
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
                                              api_key_nonce, api_key_ciphertext)
         VALUES (auth.uid(), $1, $2, $3, $4, $6, $7)
         ON CONFLICT (user_id) DO UPDATE SET provider = $1, base_url = $2, model = $3,
             vision_model = $4,
             api_key_nonce = CASE WHEN $5 THEN $6 ELSE s.api_key_nonce END,
             api_key_ciphertext = CASE WHEN $5 THEN $7 ELSE s.api_key_ciphertext END",
        &[
            &provider,
            &base_url,
            &model,
            &vision_model,
            &replace_key,
            &nonce,
            &sealed,
        ],
    )
    .await?;
    get(tx, a).await
}

pub use sparky_ai::is_private;

/// The SSRF guard: refuses a URL whose host is (or resolves to) a private address unless the
/// caller is the administrator or `SPARKY_AI_ALLOW_PRIVATE` is set.
pub async fn guard_url(tx: &mut UserTx, a: &Assistant, url: &str) -> AppResult<()> {
    if a.instance.allow_private {
        return Ok(());
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|_| AppError::invalid("base_url", "is not a URL"))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| AppError::invalid("base_url", "has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let private = match host.parse::<IpAddr>() {
        Ok(ip) => is_private(ip),
        Err(_) => {
            let lower = host.to_ascii_lowercase();
            if lower == "localhost"
                || lower.ends_with(".localhost")
                || lower.ends_with(".local")
                || lower.ends_with(".internal")
                || !lower.contains('.')
            {
                true
            } else {
                let lookup = tokio::time::timeout(
                    Duration::from_secs(5),
                    tokio::net::lookup_host((lower.as_str(), port)),
                )
                .await;
                match lookup {
                    Ok(Ok(addrs)) => {
                        let addrs: Vec<_> = addrs.collect();
                        addrs.is_empty() || addrs.iter().any(|a| is_private(a.ip()))
                    }
                    // Unresolvable: refused for non-administrators (it could be internal).
                    _ => true,
                }
            }
        }
    };
    if !private {
        return Ok(());
    }
    if may_use_private(tx, a).await? {
        Ok(())
    } else {
        Err(AppError::invalid(
            "base_url",
            format!(
                "{host} is a private-network address (or cannot be resolved); only the administrator \
                 may point the assistant there (or the server sets SPARKY_AI_ALLOW_PRIVATE=1)"
            ),
        ))
    }
}

/// Whether the caller may point the assistant at private-network addresses: the
/// administrator, or everyone with `SPARKY_AI_ALLOW_PRIVATE`.
async fn may_use_private(tx: &mut UserTx, a: &Assistant) -> AppResult<bool> {
    if a.instance.allow_private {
        return Ok(true);
    }
    Ok(tx
        .query_one(
            "SELECT coalesce((SELECT is_admin FROM users WHERE id = auth.uid()), false)",
            &[],
        )
        .await?
        .get(0))
}

/// The caller's effective provider, after the rate limit and the daily token budget.
pub async fn start(tx: &mut UserTx, a: &Assistant) -> AppResult<AgentSettings> {
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
    Ok(settings)
}

fn not_configured() -> AppError {
    AppError::conflict(
        "the assistant is not set up: the administrator sets SPARKY_AI_PROVIDER and SPARKY_AI_MODEL, \
         or choose a provider and model in your assistant settings",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_open_only_for_their_owner_and_with_the_same_key() {
        let k = SecretKey::from_bytes([7; 32]);
        let ann = Uuid::new_v4();
        let (n, c) = k.seal(ann, "sk-secret").unwrap();
        assert!(!c.windows(9).any(|w| w == b"sk-secret"));
        assert_eq!(k.open(ann, &n, &c).unwrap(), "sk-secret");
        assert!(k.open(Uuid::new_v4(), &n, &c).is_err());
        assert!(SecretKey::from_bytes([8; 32]).open(ann, &n, &c).is_err());
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("sparky-key-{}", Uuid::new_v4()));
        let a = SecretKey::load(None, &dir).unwrap();
        let b = SecretKey::load(None, &dir).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(SECRET_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let from_env = SecretKey::load(Some(&"ab".repeat(32)), &dir).unwrap();
        assert_eq!(from_env.0, [0xab; 32]);
        assert!(SecretKey::load(Some("short"), &dir).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn environment() {
        let vars = |name: &str| match name {
            "SPARKY_AI_PROVIDER" => Some("Anthropic".to_string()),
            "SPARKY_AI_MODEL" => Some("claude-x".to_string()),
            "SPARKY_AI_DAILY_TOKENS" => Some("5000".to_string()),
            _ => None,
        };
        let c = InstanceConfig::from_vars(vars).unwrap();
        assert_eq!(c.provider, Some(ProviderKind::Anthropic));
        assert_eq!(c.daily_tokens, 5000);
        assert_eq!(c.rate_per_minute, 10);
        assert!(
            InstanceConfig::from_vars(|n| (n == "SPARKY_AI_PROVIDER").then(|| "gpt".into()))
                .is_err()
        );
        assert!(InstanceConfig::from_vars(
            |n| (n == "SPARKY_AI_RATE_PER_MINUTE").then(|| "-1".into())
        )
        .is_err());
    }
}
