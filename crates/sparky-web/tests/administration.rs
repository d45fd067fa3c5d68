//! Administrators manage accounts over `/api/v1/admin/accounts`, black-box over HTTP against a
//! real database; everyone else gets 403 and changes nothing.

mod common;

use common::{As, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sparky_web::WebConfig;

const ACCOUNTS: &str = "/api/v1/admin/accounts";

async fn patch(app: &TestApp, who: &As, id: &str, body: Value) -> common::Response {
    app.request(Method::PATCH, &format!("{ACCOUNTS}/{id}"), who, Some(body))
        .await
}

#[tokio::test]
async fn an_administrator_creates_disables_enables_resets_and_deletes_accounts() {
    // Sign-ups closed: the administrator's accounts are the way in.
    let app = TestApp::spawn_with(WebConfig {
        allow_signup: false,
        ..Default::default()
    })
    .await;
    let (ann_id, ann) = app.user("ann@example.com").await;

    let created = app
        .post(
            ACCOUNTS,
            &ann,
            json!({"email": " Bob@Example.com", "password": PASSWORD, "full_name": "Bob"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["email"], "bob@example.com");
    assert_eq!(created.body["is_admin"], false);
    assert_eq!(created.body["disabled"], false);
    assert_eq!(created.body["is_you"], false);
    let bob_id = created.body["id"].as_str().unwrap().to_string();
    let login = app.login("bob@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "the new account signs in");
    let bob = As::Cookie(login.session_cookie().unwrap());

    let dup = app
        .post(
            ACCOUNTS,
            &ann,
            json!({"email": "BOB@example.com", "password": PASSWORD, "full_name": "Bob 2"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{:?}", dup.body);
    let bad = app
        .post(
            ACCOUNTS,
            &ann,
            json!({"email": "nope", "password": "short", "full_name": ""}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = bad.body["error"]["fields"].as_object().unwrap();
    assert!(["email", "password", "full_name"]
        .iter()
        .all(|f| fields.contains_key(*f)));

    let list = app.get(ACCOUNTS, &ann).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let emails: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["ann@example.com", "bob@example.com"]);
    assert_eq!(list.body[0]["is_you"], true);
    assert_eq!(list.body[0]["id"], ann_id.as_str());

    // Bob is no administrator: every operation is refused and nothing changes.
    let before = common::accounts_overview(&app).await;
    assert_eq!(app.get(ACCOUNTS, &bob).await.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            ACCOUNTS,
            &bob,
            json!({"email": "eve@example.com", "password": PASSWORD, "full_name": "Eve"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    for body in [
        json!({"is_admin": true}),
        json!({"disabled": true}),
        json!({"password": "another long password"}),
    ] {
        assert_eq!(
            patch(&app, &bob, &bob_id, body.clone()).await.status,
            StatusCode::FORBIDDEN,
            "{body}"
        );
        assert_eq!(
            patch(&app, &bob, &ann_id, body.clone()).await.status,
            StatusCode::FORBIDDEN,
            "{body}"
        );
    }
    assert_eq!(
        app.delete(&format!("{ACCOUNTS}/{ann_id}"), &bob)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(common::accounts_overview(&app).await, before);

    // Disabling ends Bob's session and stops his key; enabling lets him sign in again.
    let key = app
        .post("/api/v1/api-keys", &bob, json!({"name": "phone"}))
        .await;
    let bob_key = As::Key(key.body["key"].as_str().unwrap().to_string());
    let off = patch(&app, &ann, &bob_id, json!({"disabled": true})).await;
    assert_eq!(off.status, StatusCode::OK, "{:?}", off.body);
    assert_eq!(off.body["disabled"], true);
    assert_eq!(
        app.get("/api/v1/me", &bob).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/me", &bob_key).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );
    let on = patch(&app, &ann, &bob_id, json!({"disabled": false})).await;
    assert_eq!(on.body["disabled"], false);
    assert_eq!(app.get("/api/v1/me", &bob_key).await.status, StatusCode::OK);

    // A new password: the old one stops, sessions end.
    let bob = As::Cookie(
        app.login("bob@example.com", PASSWORD)
            .await
            .session_cookie()
            .unwrap(),
    );
    let weak = patch(&app, &ann, &bob_id, json!({"password": "bob@example.com"})).await;
    assert_eq!(
        weak.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        weak.body
    );
    assert!(weak.body["error"]["fields"]["password"].is_string());
    let reset = patch(
        &app,
        &ann,
        &bob_id,
        json!({"password": "a brand new passphrase"}),
    )
    .await;
    assert_eq!(reset.status, StatusCode::OK, "{:?}", reset.body);
    assert_eq!(
        app.get("/api/v1/me", &bob).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let bob = As::Cookie(
        app.login("bob@example.com", "a brand new passphrase")
            .await
            .session_cookie()
            .unwrap(),
    );

    // Nothing to change, unknown fields, unknown accounts.
    let empty = patch(&app, &ann, &bob_id, json!({})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = patch(&app, &ann, &bob_id, json!({"email": "x@example.com"})).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let nobody = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        patch(&app, &ann, &nobody, json!({"disabled": true}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("{ACCOUNTS}/{nobody}"), &ann)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Her own account: changed in Settings; the last administrator stays.
    for body in [
        json!({"disabled": true}),
        json!({"password": "yet another passphrase"}),
        json!({"is_admin": false}),
    ] {
        let r = patch(&app, &ann, &ann_id, body.clone()).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{body}: {:?}", r.body);
    }
    assert_eq!(
        app.delete(&format!("{ACCOUNTS}/{ann_id}"), &ann)
            .await
            .status,
        StatusCode::CONFLICT
    );

    // Handing over: Bob becomes administrator, Ann steps down and loses the list.
    let up = patch(&app, &ann, &bob_id, json!({"is_admin": true})).await;
    assert_eq!(up.body["is_admin"], true);
    let down = patch(&app, &ann, &ann_id, json!({"is_admin": false})).await;
    assert_eq!(down.status, StatusCode::OK, "{:?}", down.body);
    assert_eq!(app.get(ACCOUNTS, &ann).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(ACCOUNTS, &bob).await.status, StatusCode::OK);

    // Deleting takes the account's data with it.
    let entry = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 60, "unit": "kg", "date": "2026-05-01"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let gone = app.delete(&format!("{ACCOUNTS}/{ann_id}"), &bob).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{:?}", gone.body);
    assert_eq!(
        app.get("/api/v1/me", &ann).await.status,
        StatusCode::UNAUTHORIZED
    );
    let owner = app.db.owner_client().await;
    let left: i64 = owner
        .query_one("SELECT count(*) FROM measurements", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    assert_eq!(
        common::accounts_overview(&app).await,
        [("bob@example.com".to_string(), true, false)]
    );
}

#[tokio::test]
async fn a_read_only_key_of_an_administrator_reads_but_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (bob_id, _) = app.user("bob@example.com").await;
    let key = app
        .post(
            "/api/v1/api-keys",
            &ann,
            json!({"name": "dashboard", "read_only": true}),
        )
        .await;
    let ro = As::Key(key.body["key"].as_str().unwrap().to_string());
    assert_eq!(app.get(ACCOUNTS, &ro).await.status, StatusCode::OK);
    let before = common::accounts_overview(&app).await;
    let r = app
        .post(
            ACCOUNTS,
            &ro,
            json!({"email": "eve@example.com", "password": PASSWORD, "full_name": "Eve"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(
        patch(&app, &ro, &bob_id, json!({"disabled": true}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&format!("{ACCOUNTS}/{bob_id}"), &ro)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post(
            &format!("{ACCOUNTS}/{bob_id}/password-link"),
            &ro,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(common::accounts_overview(&app).await, before);
    let links: i64 = app
        .db
        .owner_client()
        .await
        .query_one("SELECT count(*) FROM password_links", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(links, 0);
}

#[tokio::test]
async fn administrators_close_and_reopen_signups_for_every_request() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let now = app.get("/api/v1/admin/signups", &ann).await;
    assert_eq!(now.status, StatusCode::OK, "{:?}", now.body);
    assert_eq!(
        now.body,
        json!({"open": true, "closed_by_administrator": false, "allowed_by_server": true})
    );
    assert_eq!(
        app.get("/api/v1/admin/signups", &bob).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .put("/api/v1/admin/signups", &bob, json!({"open": false}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.register("cat@example.com", PASSWORD).await.status,
        StatusCode::CREATED
    );

    let closed = app
        .put("/api/v1/admin/signups", &ann, json!({"open": false}))
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{:?}", closed.body);
    assert_eq!(closed.body["open"], false);
    assert_eq!(closed.body["closed_by_administrator"], true);
    let refused = app.register("dan@example.com", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.code(), "signup_closed");
    let page = app.get("/register", &As::Nobody).await;
    assert!(
        page.body
            .as_str()
            .unwrap()
            .contains("does not take new accounts"),
        "{:?}",
        page.body
    );
    // Administrators still make accounts.
    let made = app
        .post(
            ACCOUNTS,
            &ann,
            json!({"email": "dan@example.com", "password": PASSWORD, "full_name": "Dan"}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(
        app.put("/api/v1/admin/signups", &ann, json!({"open": "no"}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let open = app
        .put("/api/v1/admin/signups", &ann, json!({"open": true}))
        .await;
    assert_eq!(open.body["open"], true);
    assert_eq!(
        app.register("eve@example.com", PASSWORD).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_servers_closed_signups_stay_closed() {
    let app = TestApp::spawn_with(WebConfig {
        allow_signup: false,
        ..Default::default()
    })
    .await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .put("/api/v1/admin/signups", &ann, json!({"open": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({"open": false, "closed_by_administrator": false, "allowed_by_server": false})
    );
    assert_eq!(
        app.register("bob@example.com", PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );
}

/// The `token` of a password link's address, after checking where it points.
fn token_of(app: &TestApp, url: &str) -> String {
    let prefix = format!("{}/set-password?token=", app.base);
    assert!(url.starts_with(&prefix), "{url}");
    url[prefix.len()..].to_string()
}

#[tokio::test]
async fn a_password_link_lets_the_person_choose_their_password_once() {
    let app = TestApp::spawn_with(WebConfig {
        allow_signup: false,
        ..Default::default()
    })
    .await;
    let (_, ann) = app.user("ann@example.com").await;

    // An account made without a password comes with a link; nobody can sign in yet.
    let created = app
        .post(
            ACCOUNTS,
            &ann,
            json!({"email": "bob@example.com", "full_name": "Bob"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["email"], "bob@example.com");
    let bob_id = created.body["id"].as_str().unwrap().to_string();
    let link = &created.body["password_link"];
    let token = token_of(&app, link["url"].as_str().unwrap());
    let expires: chrono::DateTime<chrono::Utc> =
        link["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(created.body["password_link_expires_at"], link["expires_at"]);
    let days = (expires - chrono::Utc::now()).num_hours();
    assert!((167..=168).contains(&days), "{days} hours");
    // With a password there is no link.
    let with_password = app
        .post(
            ACCOUNTS,
            &ann,
            json!({"email": "cat@example.com", "full_name": "Cat", "password": PASSWORD}),
        )
        .await;
    assert_eq!(with_password.status, StatusCode::CREATED);
    assert!(with_password.body["password_link"].is_null());

    let use_link = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/password-link",
                &As::Nobody,
                json!({"token": token, "password": password}),
            )
            .await
        }
    };
    // A weak password, or the email as password: 422, and the link still works.
    for weak in ["short", "bob@example.com"] {
        let r = use_link(token.clone(), weak).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{weak}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"]["password"].is_string(),
            "{:?}",
            r.body
        );
    }
    // Unknown, empty, huge and NUL tokens are 404 or 422, never a 500.
    for bad in [
        String::new(),
        "x".repeat(5000),
        "nope".into(),
        format!("{token}x"),
    ] {
        let r = use_link(bad, "a long new password").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    }
    let r = use_link(format!("{token}\u{0}"), "a long new password").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);

    let used = use_link(token.clone(), "bob's own new password").await;
    assert_eq!(used.status, StatusCode::OK, "{:?}", used.body);
    assert_eq!(used.body["email"], "bob@example.com");
    let bob = As::Cookie(used.session_cookie().expect("signed in"));
    assert_eq!(
        app.get("/api/v1/me", &bob).await.body["id"],
        bob_id.as_str()
    );
    assert_eq!(
        app.login("bob@example.com", "bob's own new password")
            .await
            .status,
        StatusCode::OK
    );
    // Once only.
    let again = use_link(token.clone(), "someone else's password").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{:?}", again.body);
    assert_eq!(
        app.login("bob@example.com", "bob's own new password")
            .await
            .status,
        StatusCode::OK
    );

    // A forgotten password: a new link for an existing account ends its sessions when used,
    // and a newer link replaces an older one.
    let path = format!("{ACCOUNTS}/{bob_id}/password-link");
    let first = app.post(&path, &ann, json!({})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let second = app.post(&path, &ann, json!({})).await;
    assert_eq!(second.status, StatusCode::CREATED);
    let old = token_of(&app, first.body["url"].as_str().unwrap());
    let new = token_of(&app, second.body["url"].as_str().unwrap());
    assert_ne!(old, new);
    assert_eq!(
        use_link(old, "replaced link password").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        use_link(new, "bob's third password").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me", &bob).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Only administrators make links, never for themselves, not for a disabled account.
    let bob = As::Cookie(
        app.login("bob@example.com", "bob's third password")
            .await
            .session_cookie()
            .unwrap(),
    );
    let ann_id = app.get("/api/v1/me", &ann).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            &format!("{ACCOUNTS}/{ann_id}/password-link"),
            &bob,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = app
        .post(
            &format!("{ACCOUNTS}/{ann_id}/password-link"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(
        patch(&app, &ann, &bob_id, json!({"disabled": true}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.post(&path, &ann, json!({})).await.status,
        StatusCode::CONFLICT
    );
    let r = app
        .post(
            &format!("{ACCOUNTS}/{}/password-link", uuid::Uuid::new_v4()),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
}

#[tokio::test]
async fn a_password_link_starts_with_the_public_url() {
    let app = TestApp::spawn_with(
        WebConfig::default()
            .with_public_url(Some("https://fit.example.com"))
            .unwrap(),
    )
    .await;
    let (_, ann) = app.user("ann@example.com").await;
    let bob = app.register("bob@example.com", PASSWORD).await;
    let bob_id = bob.body["id"].as_str().unwrap();
    let As::Cookie(cookie) = ann else {
        unreachable!()
    };
    // A browser at the public address sends it as its Origin.
    let r = app
        .request_with(
            Method::POST,
            &format!("{ACCOUNTS}/{bob_id}/password-link"),
            &As::Nobody,
            None,
            &[
                ("cookie", &format!("sparky_session={cookie}")),
                ("origin", "https://fit.example.com"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["url"]
        .as_str()
        .unwrap()
        .starts_with("https://fit.example.com/set-password?token="));
}

#[tokio::test]
async fn administrators_see_when_each_account_last_signed_in() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let created = app
        .post(
            ACCOUNTS,
            &ann,
            json!({"email": "bob@example.com", "full_name": "Bob", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(
        created.body["last_sign_in_at"].is_null(),
        "{:?}",
        created.body
    );
    let last_sign_in = |list: &Value, email: &str| -> Option<chrono::DateTime<chrono::Utc>> {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"] == email)
            .unwrap()["last_sign_in_at"]
            .as_str()
            .map(|t| t.parse().unwrap())
    };
    let before = app.get(ACCOUNTS, &ann).await.body;
    let ann_first = last_sign_in(&before, "ann@example.com").expect("Ann signed in");
    assert_eq!(last_sign_in(&before, "bob@example.com"), None);

    let started = chrono::Utc::now();
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    let after = app.get(ACCOUNTS, &ann).await.body;
    let bob = last_sign_in(&after, "bob@example.com").expect("Bob signed in");
    assert!(
        bob >= started - chrono::Duration::seconds(5),
        "{bob} vs {started}"
    );
    assert_eq!(last_sign_in(&after, "ann@example.com"), Some(ann_first));
    // Nobody writes it but the database.
    let bob_id = created.body["id"].as_str().unwrap();
    let r = patch(&app, &ann, bob_id, json!({"last_sign_in_at": null})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}
