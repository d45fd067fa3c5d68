//! Settings → Accounts in the browser (without JavaScript): an administrator creates,
//! disables, enables, promotes, resets and deletes accounts; nobody else sees the page.

mod common;
mod page_forms;

use common::{As, TestApp, PASSWORD};
use page_forms::{get, post, submit};
use reqwest::StatusCode;
use sparky_web::WebConfig;

const PAGE: &str = "/settings/accounts";

#[tokio::test]
async fn an_administrator_closes_and_reopens_signups_from_settings() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let page = get(&app, PAGE, &ann).await;
    assert!(
        page.body.contains("name=\"open\" value=\"yes\" checked"),
        "{}",
        page.body
    );
    assert!(get(&app, "/signin", &As::Nobody)
        .await
        .body
        .contains("href=\"/register\""));
    let r = submit(
        &app,
        PAGE,
        "/settings/accounts/signups",
        &ann,
        &[("open", "no")],
    )
    .await;
    assert_eq!(r.location, "/settings/accounts?done=signups", "{}", r.body);
    let page = get(&app, &r.location, &ann).await;
    assert!(page.body.contains("Sign-ups saved."));
    assert!(
        page.body.contains("name=\"open\" value=\"no\" checked"),
        "{}",
        page.body
    );
    assert!(!get(&app, "/signin", &As::Nobody)
        .await
        .body
        .contains("href=\"/register\""));
    assert!(get(&app, "/register", &As::Nobody)
        .await
        .body
        .contains("does not take new accounts"));
    assert_eq!(
        app.register("bob@example.com", PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );
    submit(
        &app,
        PAGE,
        "/settings/accounts/signups",
        &ann,
        &[("open", "yes")],
    )
    .await;
    assert_eq!(
        app.register("bob@example.com", PASSWORD).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_administrator_manages_accounts_from_settings() {
    let app = TestApp::spawn_with(WebConfig {
        allow_signup: false,
        ..Default::default()
    })
    .await;
    let (ann_id, ann) = app.user("ann@example.com").await;

    let settings = get(&app, "/settings", &ann).await;
    assert!(
        settings.body.contains("href=\"/settings/accounts\""),
        "the tab shows for an administrator"
    );
    let page = get(&app, PAGE, &ann).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("ann@example.com"));

    // A refused form keeps what was typed, never the password, and creates nothing.
    let bad = submit(
        &app,
        PAGE,
        PAGE,
        &ann,
        &[
            ("full_name", "Bob"),
            ("email", "bob-at-example"),
            ("password", "secret words here"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("value=\"bob-at-example\""));
    assert!(!bad.body.contains("secret words here"));
    assert!(bad.body.contains("aria-invalid=\"true\""));
    assert_eq!(common::accounts_overview(&app).await.len(), 1);

    // Created once, even when the form is sent twice.
    let form = get(&app, PAGE, &ann).await;
    let once = form.once_of(PAGE);
    let fields = [
        ("_csrf", form.csrf()),
        ("_once", once),
        ("full_name", "Bob".to_string()),
        ("email", "bob@example.com".to_string()),
        ("password", PASSWORD.to_string()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for _ in 0..2 {
        let r = post(&app, PAGE, &ann, &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location, "/settings/accounts?done=created");
    }
    assert_eq!(
        common::accounts_overview(&app).await,
        [
            ("ann@example.com".into(), true, false),
            ("bob@example.com".into(), false, false)
        ]
    );
    let login = app.login("bob@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK);
    let bob = As::Cookie(login.session_cookie().unwrap());
    let bob_id = app.get("/api/v1/me", &bob).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Bob is no administrator: no tab, a 403 page, and his forms change nothing.
    let settings = get(&app, "/settings", &bob).await;
    assert!(!settings.body.contains("href=\"/settings/accounts\""));
    assert_eq!(get(&app, PAGE, &bob).await.status, StatusCode::FORBIDDEN);
    let r = submit(
        &app,
        "/settings",
        &format!("{PAGE}/{ann_id}/disable"),
        &bob,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = submit(
        &app,
        "/settings",
        &format!("{PAGE}/{bob_id}/promote"),
        &bob,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        common::accounts_overview(&app).await[0],
        ("ann@example.com".into(), true, false)
    );

    // Disable and enable.
    let r = submit(&app, PAGE, &format!("{PAGE}/{bob_id}/disable"), &ann, &[]).await;
    assert_eq!(r.location, "/settings/accounts?done=disabled", "{}", r.body);
    assert_eq!(
        app.get("/api/v1/me", &bob).await.status,
        StatusCode::UNAUTHORIZED
    );
    let shown = get(&app, &r.location, &ann).await;
    assert!(shown.body.contains("Account disabled"));
    assert!(shown.body.contains(&format!("{PAGE}/{bob_id}/enable")));
    let r = submit(&app, PAGE, &format!("{PAGE}/{bob_id}/enable"), &ann, &[]).await;
    assert_eq!(r.location, "/settings/accounts?done=enabled");
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::OK
    );

    // A weak password is refused on Bob's row (opened); a good one is set.
    let password = format!("{PAGE}/{bob_id}/password");
    let r = submit(&app, PAGE, &password, &ann, &[("password", "short")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("<details open>"), "{}", r.body);
    assert!(r.body.contains("at least 10 characters"), "{}", r.body);
    let r = submit(
        &app,
        PAGE,
        &password,
        &ann,
        &[("password", "a fresh passphrase")],
    )
    .await;
    assert_eq!(r.location, "/settings/accounts?done=password");
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("bob@example.com", "a fresh passphrase")
            .await
            .status,
        StatusCode::OK
    );

    // Her own account: refused on her row; the last administrator stays.
    let r = submit(&app, PAGE, &format!("{PAGE}/{ann_id}/disable"), &ann, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("change your own account in Settings"),
        "{}",
        r.body
    );
    let r = submit(&app, PAGE, &format!("{PAGE}/{ann_id}/demote"), &ann, &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("only enabled administrator"), "{}", r.body);

    // Promote Bob; deleting asks first (without a script) and then takes his data.
    let r = submit(&app, PAGE, &format!("{PAGE}/{bob_id}/promote"), &ann, &[]).await;
    assert_eq!(r.location, "/settings/accounts?done=promoted");
    assert_eq!(
        common::accounts_overview(&app).await[1],
        ("bob@example.com".into(), true, false)
    );
    let delete = format!("{PAGE}/{bob_id}/delete");
    let asked = submit(&app, PAGE, &delete, &ann, &[]).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(
        asked
            .body
            .contains("Delete the account Bob (bob@example.com)"),
        "{}",
        asked.body
    );
    assert_eq!(
        common::accounts_overview(&app).await.len(),
        2,
        "asking deletes nothing"
    );
    let r = submit(&app, PAGE, &delete, &ann, &[("confirm", "yes")]).await;
    assert_eq!(r.location, "/settings/accounts?done=deleted", "{}", r.body);
    assert_eq!(
        common::accounts_overview(&app).await,
        [("ann@example.com".into(), true, false)]
    );
    let r = submit(&app, PAGE, &delete, &ann, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Closing sign-ups: the sign-in page stops offering them, the sign-up page says so.
    let r = submit(
        &app,
        PAGE,
        "/settings/accounts/signups",
        &ann,
        &[("open", "no")],
    )
    .await;
    assert_eq!(r.location, "/settings/accounts?done=signups", "{}", r.body);
    let shown = get(&app, PAGE, &ann).await;
    assert!(
        shown.body.contains("SPARKY_ALLOW_SIGNUP=false"),
        "this server was started with sign-ups closed"
    );

    // Handing over: Ann makes Cat administrator and steps down, landing on Settings.
    let cat = app
        .post(
            "/api/v1/admin/accounts",
            &ann,
            serde_json::json!({"email": "cat@example.com", "password": PASSWORD, "full_name": "Cat", "is_admin": true}),
        )
        .await;
    assert_eq!(cat.status, StatusCode::CREATED, "{:?}", cat.body);
    let r = submit(&app, PAGE, &format!("{PAGE}/{ann_id}/demote"), &ann, &[]).await;
    assert_eq!(r.location, "/settings", "{}", r.body);
    assert_eq!(get(&app, PAGE, &ann).await.status, StatusCode::FORBIDDEN);
    assert!(!get(&app, "/settings", &ann)
        .await
        .body
        .contains("href=\"/settings/accounts\""));
}
