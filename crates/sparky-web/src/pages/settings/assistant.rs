//! Settings → Assistant: which AI provider and model the assistant uses for you, and your own
//! API key (stored encrypted, never shown again). Empty fields use the server's default. The
//! same operation as `PUT /api/v1/assistant/settings`, with its checks (the SSRF guard on the
//! base URL).

use crate::pages::PageQuery;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use sparky_app::assistant::config::{self, AssistantSettingsInput, ProviderKind};
use sparky_app::AppError;

use super::super::forms::{Errors, Opt};
use super::super::{html, redirect, Page, PageError, PageForm, Shell};
use super::settings_shell;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings/assistant", get(show).post(save))
}

/// The providers, as the settings API names them.
const PROVIDERS: [&str; 4] = ["openai", "anthropic", "ollama", "openai_compatible"];

/// What the form holds, as typed (the key is never sent back to the browser).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AssistantForm {
    provider: String,
    base_url: String,
    model: String,
    vision_model: String,
    api_key: String,
    remove_key: Option<String>,
    /// "Ask me before saving": a checkbox, so absent when unticked.
    review_writes: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/settings_assistant.html")]
struct AssistantPage {
    shell: Shell,
    tab: &'static str,
    f: AssistantForm,
    providers: Vec<Opt>,
    has_api_key: bool,
    /// The server's default, e.g. "openai, gpt-4o-mini"; None when it has none.
    default: Option<String>,
    errors: Errors,
    saved: bool,
}

fn kind_name(k: ProviderKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

async fn render(
    mut page: Page,
    state: &AppState,
    form: Option<AssistantForm>,
    errors: Errors,
    saved: bool,
) -> Result<AssistantPage, PageError> {
    let t = page.t;
    let shell = settings_shell(&mut page, t.get("assistant.title")).await?;
    let s = config::get(&mut page.tx, &state.assistant).await?;
    page.tx.commit().await?;
    let f = form.unwrap_or_else(|| AssistantForm {
        provider: s.provider.map(kind_name).unwrap_or_default(),
        base_url: s.base_url.clone().unwrap_or_default(),
        model: s.model.clone().unwrap_or_default(),
        vision_model: s.vision_model.clone().unwrap_or_default(),
        review_writes: s.review_writes.then(|| "1".to_string()),
        ..AssistantForm::default()
    });
    let mut providers = vec![Opt::new(
        "",
        t.get("assistant.provider.default"),
        &f.provider,
    )];
    providers.extend(
        PROVIDERS
            .iter()
            .map(|p| Opt::new(p, t.get(&format!("assistant.provider.{p}")), &f.provider)),
    );
    let default = s.instance.configured.then(|| {
        let provider = s.instance.provider.map(kind_name).unwrap_or_default();
        let name = t.get(&format!("assistant.provider.{provider}"));
        match &s.instance.model {
            Some(m) => format!("{name}, {m}"),
            None => name.to_string(),
        }
    });
    Ok(AssistantPage {
        shell,
        tab: "assistant",
        f,
        providers,
        has_api_key: s.has_api_key,
        default,
        errors,
        saved,
    })
}

#[derive(Deserialize, Default)]
pub struct Saved {
    saved: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    page: Page,
    PageQuery(q): PageQuery<Saved>,
) -> Result<Response, PageError> {
    Ok(html(
        &render(page, &state, None, Errors::default(), q.saved.is_some()).await?,
    ))
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

async fn save(
    State(state): State<AppState>,
    mut page: Page,
    PageForm(form): PageForm<AssistantForm>,
) -> Result<Response, PageError> {
    let t = page.t;
    let provider = match form.provider.trim() {
        "" => None,
        p => match serde_json::from_value::<ProviderKind>(serde_json::Value::String(p.into())) {
            Ok(k) => Some(k),
            Err(_) => {
                let errors = Errors::one("provider", t.get("assistant.err.provider"));
                return again(page, &state, form, errors).await;
            }
        },
    };
    let api_key = if form.remove_key.is_some() {
        Some(String::new())
    } else {
        optional(&form.api_key)
    };
    let input = AssistantSettingsInput {
        provider,
        base_url: optional(&form.base_url),
        model: optional(&form.model),
        vision_model: optional(&form.vision_model),
        api_key,
        // A checkbox: unticked is not sent, so its absence is "off".
        review_writes: Some(form.review_writes.is_some()),
    };
    match config::put(&mut page.tx, &state.assistant, input).await {
        Ok(_) => {
            page.tx.commit().await?;
            Ok(redirect("/settings/assistant?saved=1"))
        }
        Err(e @ AppError::Invalid(_)) => {
            let errors = Errors::from_app(&t, "assistant.err", &e).unwrap_or_default();
            again(page, &state, form, errors).await
        }
        Err(AppError::Unavailable(_)) => {
            let errors = Errors::one("api_key", t.get("assistant.err.no_secret"));
            again(page, &state, form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The form again with its errors (422); nothing was saved.
async fn again(
    page: Page,
    state: &AppState,
    mut form: AssistantForm,
    errors: Errors,
) -> Result<Response, PageError> {
    form.api_key.clear();
    let body = html(&render(page, state, Some(form), errors, false).await?);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}
