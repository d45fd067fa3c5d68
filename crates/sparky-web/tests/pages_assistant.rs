//! The assistant in the web app: the drawer's markup and script on signed-in pages (not on the
//! sign-in page), and Settings → Assistant saving the provider, model and key through the same
//! operation as the API (key never shown, SSRF guard for non-administrators, bad input 422
//! with nothing saved).

mod common;
mod page_forms;

use common::{As, TestApp};
use page_forms::{get, submit};
use reqwest::StatusCode;
use sparky_app::assistant::config::{Assistant, InstanceConfig, ProviderKind, SecretKey};

async fn spawn(assistant: Assistant) -> TestApp {
    TestApp::spawn_with_assistant(assistant).await
}

fn instance() -> Assistant {
    Assistant {
        instance: InstanceConfig {
            provider: Some(ProviderKind::OpenAi),
            model: Some("gpt-test".into()),
            ..InstanceConfig::default()
        },
        secret: Some(SecretKey::from_bytes([7; 32])),
    }
}

async fn settings(app: &TestApp, who: &As) -> serde_json::Value {
    let r = app.get("/api/v1/assistant/settings", who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn every_signed_in_page_has_the_drawer_and_the_sign_in_page_does_not() {
    let app = spawn(Assistant::default()).await;
    let (_, me) = app.user("ann@example.com").await;
    for path in ["/", "/checkin", "/exercise", "/goals", "/settings"] {
        let page = get(&app, path, &me).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        for needle in [
            "id=\"chat-open\"",
            "aria-controls=\"chat\"",
            "<dialog class=\"drawer\" id=\"chat\"",
            "id=\"chat-input\"",
            "/assets/chat.",
            "data-t-undone=\"Undone\"",
            "data-t-save=\"Save\"",
            "data-t-discard=\"Discard\"",
        ] {
            assert!(page.body.contains(needle), "{path} lacks {needle}");
        }
    }
    let r = app
        .client
        .get(format!("{}/signin", app.base))
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(!body.contains("chat-open") && !body.contains("/assets/chat."));
}

#[tokio::test]
async fn settings_save_the_provider_and_key_without_showing_the_key() {
    let app = spawn(instance()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let page = get(&app, "/settings/assistant", &ann).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("OpenAI, gpt-test"), "{}", page.body);
    assert!(page
        .body
        .contains("href=\"/settings/assistant\" aria-current=\"page\""));

    // The first user is the administrator: a local Ollama is allowed.
    let saved = submit(
        &app,
        "/settings/assistant",
        "/settings/assistant",
        &ann,
        &[
            ("provider", "ollama"),
            ("base_url", "http://127.0.0.1:11434"),
            ("model", "qwen3:8b"),
            ("vision_model", ""),
            ("api_key", "secret-key-123"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location, "/settings/assistant?saved=1");
    let s = settings(&app, &ann).await;
    assert_eq!(s["provider"], "ollama");
    assert_eq!(s["model"], "qwen3:8b");
    assert_eq!(s["vision_model"], serde_json::Value::Null);
    assert_eq!(s["has_api_key"], true);
    let page = get(&app, "/settings/assistant?saved=1", &ann).await;
    assert!(page.body.contains("Saved."));
    assert!(page.body.contains("value=\"qwen3:8b\""));
    assert!(
        !page.body.contains("secret-key-123"),
        "the key is never shown"
    );
    assert!(page.body.contains("name=\"remove_key\""));

    // Saving again without a key keeps it; ticking "remove" removes it.
    let saved = submit(
        &app,
        "/settings/assistant",
        "/settings/assistant",
        &ann,
        &[("provider", "ollama"), ("model", "qwen3:14b")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let s = settings(&app, &ann).await;
    assert_eq!(
        (s["model"].clone(), s["has_api_key"].clone()),
        ("qwen3:14b".into(), true.into())
    );
    let saved = submit(
        &app,
        "/settings/assistant",
        "/settings/assistant",
        &ann,
        &[
            ("provider", "ollama"),
            ("model", "qwen3:14b"),
            ("remove_key", "1"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(settings(&app, &ann).await["has_api_key"], false);

    // Bob is not the administrator: a private address is refused, next to its field, and
    // nothing is saved.
    let refused = submit(
        &app,
        "/settings/assistant",
        "/settings/assistant",
        &bob,
        &[
            ("provider", "ollama"),
            ("base_url", "http://127.0.0.1:11434"),
            ("model", "qwen3:8b"),
            ("api_key", "bobs-key"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("private-network"), "{}", refused.body);
    assert!(!refused.body.contains("bobs-key"));
    let s = settings(&app, &bob).await;
    assert_eq!(s["provider"], serde_json::Value::Null);
    assert_eq!(s["has_api_key"], false);

    // A provider that does not exist.
    let refused = submit(
        &app,
        "/settings/assistant",
        "/settings/assistant",
        &bob,
        &[("provider", "skynet"), ("model", "x")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Choose one of the providers."));
    assert_eq!(settings(&app, &bob).await["model"], serde_json::Value::Null);
}

#[tokio::test]
async fn without_a_server_default_the_page_says_so() {
    let app = spawn(Assistant::default()).await;
    let (_, me) = app.user("ann@example.com").await;
    let page = get(&app, "/settings/assistant", &me).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("This server has no assistant set up"));
}

/// "Ask me before saving" is a checkbox: ticked turns `review_writes` on (and the page shows it
/// ticked), a save without it turns it off again, and the API's own change shows on the page.
#[tokio::test]
async fn the_review_checkbox_turns_review_writes_on_and_off() {
    let app = spawn(instance()).await;
    let (_, ann) = app.user("ann@example.com").await;
    let checkbox = "name=\"review_writes\" value=\"1\" aria-describedby=\"ai-review-hint\"";
    let page = get(&app, "/settings/assistant", &ann).await;
    assert!(page.body.contains(checkbox), "{}", page.body);
    assert!(page.body.contains("Ask me before saving"));
    assert!(!page.body.contains(&format!("{checkbox} checked")));
    assert_eq!(settings(&app, &ann).await["review_writes"], false);

    let saved = submit(
        &app,
        "/settings/assistant",
        "/settings/assistant",
        &ann,
        &[("model", "gpt-test"), ("review_writes", "on")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let s = settings(&app, &ann).await;
    assert_eq!(s["review_writes"], true, "{s}");
    assert_eq!(s["model"], "gpt-test", "the rest saved as before: {s}");
    let page = get(&app, "/settings/assistant?saved=1", &ann).await;
    assert!(page.body.contains(&format!("{checkbox} checked")));

    // A refused save shows the box as it was typed, and changes nothing.
    let refused = submit(
        &app,
        "/settings/assistant",
        "/settings/assistant",
        &ann,
        &[("provider", "skynet")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.body.contains(&format!("{checkbox} checked")));
    assert_eq!(settings(&app, &ann).await["review_writes"], true);

    // Unticked (a checkbox that is not ticked is not sent): off.
    let saved = submit(
        &app,
        "/settings/assistant",
        "/settings/assistant",
        &ann,
        &[("model", "gpt-test")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(settings(&app, &ann).await["review_writes"], false);
    let page = get(&app, "/settings/assistant", &ann).await;
    assert!(!page.body.contains(&format!("{checkbox} checked")));

    // Turned on through the API, the page shows it ticked.
    let r = app
        .put(
            "/api/v1/assistant/settings",
            &ann,
            serde_json::json!({"review_writes": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let page = get(&app, "/settings/assistant", &ann).await;
    assert!(page.body.contains(&format!("{checkbox} checked")));
}
