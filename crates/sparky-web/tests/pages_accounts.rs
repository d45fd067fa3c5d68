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

/// The password link shown on the page (the value of its read-only field).
fn shown_link(body: &str) -> String {
    let marker = "/set-password?token=";
    let at = body
        .find(marker)
        .unwrap_or_else(|| panic!("no link shown:\n{body}"));
    let start = body[..at].rfind('"').unwrap() + 1;
    let end = at + body[at..].find('"').unwrap();
    body[start..end].to_string()
}

#[tokio::test]
async fn a_new_account_without_a_password_gets_a_link_to_choose_one() {
    let app = TestApp::spawn_with(WebConfig {
        allow_signup: false,
        ..Default::default()
    })
    .await;
    let (_, ann) = app.user("ann@example.com").await;
    let made = submit(
        &app,
        PAGE,
        PAGE,
        &ann,
        &[("full_name", "Bob"), ("email", "bob@example.com")],
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made.body.contains("Account created. Send them the link"));
    let link = shown_link(&made.body);
    assert!(
        link.starts_with(&format!("{}/set-password?token=", app.base)),
        "{link}"
    );
    let path = &link[app.base.len()..];
    let token = &path["/set-password?token=".len()..];
    // The link is on Bob's row, opened, with its QR code for a phone (drawn, not spelled out:
    // the token appears once, in the field); reloading the page does not show it again.
    assert!(made.body.contains("Password link for bob@example.com"));
    assert!(
        made.body.contains("class=\"qr\" viewBox=\"0 0 ")
            && made
                .body
                .contains("aria-label=\"QR code of the password link\""),
        "{}",
        made.body
    );
    assert_eq!(made.body.matches(token).count(), 1);
    assert!(!get(&app, PAGE, &ann)
        .await
        .body
        .contains("/set-password?token="));

    // Whoever opens it sees whose password it sets; a weak one is refused and the link stays.
    let page = get(&app, path, &As::Nobody).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("For Bob (bob@example.com)."),
        "{}",
        page.body
    );
    let weak = post(
        &app,
        "/set-password",
        &As::Nobody,
        &[("token", token), ("password", "short")],
    )
    .await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        weak.body
    );
    assert!(weak.body.contains("Password: "), "{}", weak.body);
    assert!(!weak.body.contains("value=\"short\""));
    // Chosen: signed in on this browser, on to onboarding.
    let chosen = post(
        &app,
        "/set-password",
        &As::Nobody,
        &[("token", token), ("password", "bob chose this one")],
    )
    .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    assert_eq!(chosen.location, "/onboarding");
    let cookie = chosen
        .set_cookies
        .iter()
        .find_map(|c| c.strip_prefix("sparky_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("signed in");
    let bob = As::Cookie(cookie);
    assert_eq!(
        app.get("/api/v1/me", &bob).await.body["email"],
        "bob@example.com"
    );
    // Used: the page and the form say so, and change nothing.
    let gone = get(&app, path, &As::Nobody).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert!(
        gone.body.contains("does not work any more"),
        "{}",
        gone.body
    );
    let again = post(
        &app,
        "/set-password",
        &As::Nobody,
        &[("token", token), ("password", "someone else's now")],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again
        .set_cookies
        .iter()
        .all(|c| !c.starts_with("sparky_session=")));
    assert_eq!(
        app.login("bob@example.com", "bob chose this one")
            .await
            .status,
        StatusCode::OK
    );
    // Another site's form is refused.
    let foreign = app
        .client
        .post(format!("{}/set-password", app.base))
        .header("origin", "https://evil.example")
        .form(&[("token", token), ("password", "a long new password")])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_administrator_makes_a_password_link_for_a_forgotten_password() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let made = submit(
        &app,
        PAGE,
        &format!("/settings/accounts/{bob_id}/link"),
        &ann,
        &[],
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made.body.contains("Password link made."));
    // Made again, withdrawn: the row says it waits until then, and the link stops working.
    let again = submit(
        &app,
        PAGE,
        &format!("/settings/accounts/{bob_id}/link"),
        &ann,
        &[],
    )
    .await;
    let withdrawn = shown_link(&again.body);
    let page = get(&app, PAGE, &ann).await;
    assert!(
        page.body
            .contains("A password link waits to be used, until"),
        "{}",
        page.body
    );
    let cancel = format!("/settings/accounts/{bob_id}/cancel-link");
    let r = submit(&app, PAGE, &cancel, &ann, &[]).await;
    assert_eq!(
        r.location, "/settings/accounts?done=link-cancelled",
        "{}",
        r.body
    );
    let page = get(&app, &r.location, &ann).await;
    assert!(page.body.contains("Password link withdrawn"));
    assert!(!page.body.contains("waits to be used"));
    let path = &withdrawn[app.base.len()..];
    assert_eq!(
        get(&app, path, &As::Nobody).await.status,
        StatusCode::NOT_FOUND
    );
    // Sent twice (a second tab): the page again, nothing else.
    let r = submit(&app, PAGE, &cancel, &ann, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let made = submit(
        &app,
        PAGE,
        &format!("/settings/accounts/{bob_id}/link"),
        &ann,
        &[],
    )
    .await;
    let link = shown_link(&made.body);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let chosen = post(
        &app,
        "/set-password",
        &As::Nobody,
        &[("token", &token), ("password", "bob remembers this")],
    )
    .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    assert_eq!(
        app.get("/api/v1/me", &bob).await.status,
        StatusCode::UNAUTHORIZED,
        "his other sessions ended"
    );
    // No link for oneself (the row says why) nor for a disabled account (no button).
    let own = submit(
        &app,
        PAGE,
        &format!("/settings/accounts/{ann_id}/link"),
        &ann,
        &[],
    )
    .await;
    assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.body);
    assert!(own.body.contains("Settings: Security"), "{}", own.body);
    submit(
        &app,
        PAGE,
        &format!("/settings/accounts/{bob_id}/disable"),
        &ann,
        &[],
    )
    .await
    .assert_accepted();
    let page = get(&app, PAGE, &ann).await;
    assert!(!page
        .body
        .contains(&format!("/settings/accounts/{bob_id}/link")));
    let refused = submit(
        &app,
        PAGE,
        &format!("/settings/accounts/{bob_id}/link"),
        &ann,
        &[],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("enable it first"), "{}", refused.body);
    // Anyone else gets the 403 page and no link.
    let (_, cat) = app.user("cat@example.com").await;
    let before: i64 = links(&app).await;
    let r = submit(
        &app,
        "/settings",
        &format!("/settings/accounts/{ann_id}/link"),
        &cat,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(links(&app).await, before);
}

async fn links(app: &TestApp) -> i64 {
    app.db
        .owner_client()
        .await
        .query_one("SELECT count(*) FROM password_links", &[])
        .await
        .unwrap()
        .get(0)
}
