//! Provider kinds, their defaults, and the normalisation of pasted base URLs.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::AiError;

/// Which kind of service a provider is. Serialised as `openai`, `anthropic`, `ollama` and
/// `openai_compatible` (the names the settings API and the environment use).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// api.openai.com, chat-completions wire format.
    #[serde(rename = "openai")]
    OpenAi,
    /// api.anthropic.com, Messages wire format.
    Anthropic,
    /// A local or remote Ollama server, spoken to over its native `/api/chat` endpoint: only
    /// that endpoint honours a per-request context size (`options.num_ctx`).
    Ollama,
    /// Any other server speaking OpenAI chat-completions: llama.cpp server, LM Studio, vLLM,
    /// OpenRouter, Groq, Mistral, Gemini's OpenAI-compatible endpoint, Ollama's `/v1`.
    #[serde(rename = "openai_compatible")]
    OpenAiCompatible,
}

/// The wire format a request is sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WireFormat {
    /// `POST {base}/chat/completions`, server-sent events.
    OpenAiChat,
    /// `POST {base}/messages`, server-sent events with typed events.
    AnthropicMessages,
    /// `POST {base}/api/chat`, newline-delimited JSON.
    OllamaChat,
}

/// A well-known service reachable with [`ProviderKind::OpenAiCompatible`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KnownService {
    pub name: &'static str,
    pub base_url: &'static str,
    pub needs_api_key: bool,
}

/// Services known to speak OpenAI chat-completions, with the base URL to give them.
pub const OPENAI_COMPATIBLE_SERVICES: &[KnownService] = &[
    KnownService {
        name: "llama.cpp server",
        base_url: "http://localhost:8080/v1",
        needs_api_key: false,
    },
    KnownService {
        name: "LM Studio",
        base_url: "http://localhost:1234/v1",
        needs_api_key: false,
    },
    KnownService {
        name: "Ollama (OpenAI-compatible endpoint; prefer the ollama kind)",
        base_url: "http://localhost:11434/v1",
        needs_api_key: false,
    },
    KnownService {
        name: "OpenRouter",
        base_url: "https://openrouter.ai/api/v1",
        needs_api_key: true,
    },
    KnownService {
        name: "Groq",
        base_url: "https://api.groq.com/openai/v1",
        needs_api_key: true,
    },
    KnownService {
        name: "Mistral",
        base_url: "https://api.mistral.ai/v1",
        needs_api_key: true,
    },
    KnownService {
        name: "Google Gemini (OpenAI-compatible endpoint)",
        base_url: "https://generativelanguage.googleapis.com/v1beta/openai",
        needs_api_key: true,
    },
];

impl ProviderKind {
    /// Every kind, in the order a settings screen lists them.
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
        ProviderKind::Ollama,
        ProviderKind::OpenAiCompatible,
    ];

    /// The identifier used in settings and environment variables.
    pub fn id(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Ollama => "ollama",
            ProviderKind::OpenAiCompatible => "openai_compatible",
        }
    }

    /// A name to show people.
    pub fn display_name(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "OpenAI",
            ProviderKind::Anthropic => "Anthropic",
            ProviderKind::Ollama => "Ollama",
            ProviderKind::OpenAiCompatible => "OpenAI-compatible server",
        }
    }

    /// The base URL used when none is configured; `None` for a generic compatible server,
    /// which must be told where it is.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            ProviderKind::OpenAi => Some("https://api.openai.com/v1"),
            ProviderKind::Anthropic => Some("https://api.anthropic.com/v1"),
            ProviderKind::Ollama => Some("http://localhost:11434"),
            ProviderKind::OpenAiCompatible => None,
        }
    }

    /// Whether requests fail without an API key (local servers need none).
    pub fn requires_api_key(self) -> bool {
        matches!(self, ProviderKind::OpenAi | ProviderKind::Anthropic)
    }

    pub fn wire_format(self) -> WireFormat {
        match self {
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => WireFormat::OpenAiChat,
            ProviderKind::Anthropic => WireFormat::AnthropicMessages,
            ProviderKind::Ollama => WireFormat::OllamaChat,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ProviderKind {
    type Err = AiError;

    /// Accepts the ids, case-insensitively, with `-` or `_`, plus a few common aliases.
    fn from_str(s: &str) -> Result<ProviderKind, AiError> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        Ok(match norm.as_str() {
            "openai" => ProviderKind::OpenAi,
            "anthropic" | "claude" => ProviderKind::Anthropic,
            "ollama" => ProviderKind::Ollama,
            "openai_compatible" | "compatible" | "custom" | "llamacpp" | "llama.cpp"
            | "lmstudio" | "lm_studio" | "openrouter" | "groq" | "mistral" | "gemini"
            | "google" => ProviderKind::OpenAiCompatible,
            _ => {
                return Err(AiError::InvalidConfig {
                    message: format!(
                        "unknown AI provider \"{}\"; use one of: openai, anthropic, ollama, \
                         openai_compatible",
                        s.trim()
                    ),
                })
            }
        })
    }
}

/// Endpoint paths people paste on the end of a base URL (a `/v1` before them is kept).
const ENDPOINT_SUFFIXES: &[&str] = &[
    "/chat/completions",
    "/messages",
    "/api/chat",
    "/api/generate",
];

/// Turns what someone pasted into the base URL requests are built on: scheme added when missing
/// (`http://`), query and fragment dropped, trailing slashes and a pasted endpoint path
/// (`/chat/completions`, `/v1/chat/completions`, `/v1/messages`, `/messages`, `/api/chat`) removed,
/// then per wire format:
///
/// - OpenAI chat-completions and Anthropic Messages: a bare host gets `/v1`
///   (`http://localhost:8080` → `http://localhost:8080/v1`); any other path is kept
///   (`https://openrouter.ai/api/v1`, `https://generativelanguage.googleapis.com/v1beta/openai`).
/// - Ollama: the server root, with a pasted `/v1` or `/api` removed, because requests go to
///   `{root}/api/chat` (`http://host:11434/v1/` → `http://host:11434`).
pub fn normalise_base_url(kind: ProviderKind, input: &str) -> Result<String, AiError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(AiError::InvalidConfig {
            message: format!("the base URL for {} is empty", kind.display_name()),
        });
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("http://{trimmed}")
    };
    let invalid = || AiError::InvalidConfig {
        message: format!(
            "the base URL \"{trimmed}\" for {} is not a valid http(s) URL",
            kind.display_name()
        ),
    };
    let mut url = Url::parse(&with_scheme).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid());
    }
    url.set_query(None);
    url.set_fragment(None);

    let mut path = url.path().trim_end_matches('/').to_string();
    // Repeated so that `/v1/chat/completions/v1/chat/completions`-style double pastes collapse.
    loop {
        let before = path.len();
        for suffix in ENDPOINT_SUFFIXES {
            if let Some(stripped) = strip_suffix_ci(&path, suffix) {
                path = stripped.trim_end_matches('/').to_string();
                break;
            }
        }
        if path.len() == before {
            break;
        }
    }
    match kind.wire_format() {
        WireFormat::OpenAiChat | WireFormat::AnthropicMessages => {
            if path.is_empty() {
                path = "/v1".into();
            }
        }
        WireFormat::OllamaChat => {
            for suffix in ["/v1", "/api"] {
                if let Some(stripped) = strip_suffix_ci(&path, suffix) {
                    path = stripped.trim_end_matches('/').to_string();
                }
            }
        }
    }
    url.set_path(&path);
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn strip_suffix_ci<'a>(path: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = path.len().checked_sub(suffix.len())?;
    if path.is_char_boundary(cut) && path[cut..].eq_ignore_ascii_case(suffix) {
        Some(&path[..cut])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(kind: ProviderKind, s: &str) -> String {
        normalise_base_url(kind, s).unwrap()
    }

    #[test]
    fn openai_style_urls_lose_pasted_endpoints_and_keep_one_v1() {
        use ProviderKind::*;
        for input in [
            "https://api.openai.com/v1",
            "https://api.openai.com/v1/",
            "https://api.openai.com/v1/chat/completions",
            "https://api.openai.com/v1/chat/completions/",
            "https://api.openai.com/chat/completions",
            "https://api.openai.com",
            "https://api.openai.com/",
            "  https://api.openai.com/v1/chat/completions?foo=1#x  ",
        ] {
            assert_eq!(n(OpenAi, input), "https://api.openai.com/v1", "{input}");
        }
        assert_eq!(
            n(
                OpenAiCompatible,
                "https://openrouter.ai/api/v1/chat/completions"
            ),
            "https://openrouter.ai/api/v1"
        );
        assert_eq!(
            n(
                OpenAiCompatible,
                "https://generativelanguage.googleapis.com/v1beta/openai/"
            ),
            "https://generativelanguage.googleapis.com/v1beta/openai"
        );
        // Paths are case-sensitive, but a pasted endpoint is recognised in any case.
        assert_eq!(
            n(OpenAi, "https://api.openai.com/V1/Chat/Completions"),
            "https://api.openai.com/V1"
        );
        assert_eq!(
            n(OpenAiCompatible, "localhost:8080"),
            "http://localhost:8080/v1"
        );
        assert_eq!(
            n(
                OpenAiCompatible,
                "http://localhost:11434/v1/chat/completions"
            ),
            "http://localhost:11434/v1"
        );
        assert_eq!(
            n(
                OpenAiCompatible,
                "http://h:1/v1/chat/completions/chat/completions"
            ),
            "http://h:1/v1"
        );
    }

    #[test]
    fn anthropic_urls_lose_messages_and_keep_one_v1() {
        use ProviderKind::Anthropic;
        for input in [
            "https://api.anthropic.com",
            "https://api.anthropic.com/",
            "https://api.anthropic.com/v1",
            "https://api.anthropic.com/v1/",
            "https://api.anthropic.com/v1/messages",
            "https://api.anthropic.com/v1/messages/",
            "https://api.anthropic.com/messages",
        ] {
            assert_eq!(
                n(Anthropic, input),
                "https://api.anthropic.com/v1",
                "{input}"
            );
        }
        assert_eq!(
            n(Anthropic, "https://proxy.example/anthropic/v1/messages"),
            "https://proxy.example/anthropic/v1"
        );
    }

    #[test]
    fn ollama_urls_become_the_server_root() {
        use ProviderKind::Ollama;
        for input in [
            "http://host:11434",
            "http://host:11434/",
            "http://host:11434/v1",
            "http://host:11434/v1/",
            "http://host:11434/v1/chat/completions",
            "http://host:11434/api",
            "http://host:11434/api/chat",
            "host:11434",
        ] {
            assert_eq!(n(Ollama, input), "http://host:11434", "{input}");
        }
        assert_eq!(
            n(Ollama, "https://gpu.example/ollama/api/chat"),
            "https://gpu.example/ollama"
        );
    }

    #[test]
    fn bad_urls_are_refused_with_a_message() {
        for input in ["", "   ", "ftp://x/y", "http://", "not a url at all"] {
            let err = normalise_base_url(ProviderKind::OpenAi, input).unwrap_err();
            assert!(
                matches!(err, AiError::InvalidConfig { .. }),
                "{input}: {err}"
            );
            assert!(err.to_string().contains("base URL"), "{err}");
        }
    }

    #[test]
    fn kinds_round_trip_and_have_defaults() {
        for kind in ProviderKind::ALL {
            assert_eq!(kind.id().parse::<ProviderKind>().unwrap(), kind);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.id()));
            if let Some(url) = kind.default_base_url() {
                assert_eq!(normalise_base_url(kind, url).unwrap(), url);
            }
        }
        assert_eq!(
            "OpenAI-Compatible".parse::<ProviderKind>().unwrap(),
            ProviderKind::OpenAiCompatible
        );
        assert!("gpt".parse::<ProviderKind>().is_err());
        for service in OPENAI_COMPATIBLE_SERVICES {
            assert_eq!(
                normalise_base_url(ProviderKind::OpenAiCompatible, service.base_url).unwrap(),
                service.base_url
            );
        }
    }
}
