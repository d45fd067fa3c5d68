//! Which AI provider a user's assistant talks to: the instance default from the environment
//! (`SPARKY_AI_*`), overridden by the user's own settings. A user's API key is encrypted at
//! rest with XChaCha20-Poly1305 under the server's secret key (`SPARKY_SECRET_KEY`, or a
//! generated 0600 file in the data directory), never returned, and replaced rather than read
//! back. Only the administrator may point a provider at a private-network address (SSRF guard)
//! unless `SPARKY_AI_ALLOW_PRIVATE=1`. Per-user rate limit and daily token budget.

mod guard;
mod secret;
mod settings;
mod start;

use std::time::Duration;

pub use sparky_ai::is_private;
pub use sparky_ai::ProviderKind;

pub use guard::guard_url;
pub use secret::{SecretKey, SECRET_KEY_FILE};
pub use settings::{get, put, AssistantSettings, AssistantSettingsInput, InstanceDefaults};
pub use start::start;

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

#[cfg(test)]
mod tests {
    use super::*;

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
