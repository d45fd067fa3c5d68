//! Accounts, sessions and API keys, black-box over HTTP against a real database.

mod common;

use common::{As, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sparky_web::WebConfig;

#[tokio::test]
async fn registration_rules() {
    let app = TestApp::spawn().await;
    let first = app.register("  Ann@Example.com ", PASSWORD).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(first.body["email"], "ann@example.com", "normalised");
    assert_eq!(
        first.body["is_admin"], true,
        "the first account administers"
    );

    let second = app.register("bob@example.com", PASSWORD).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.body["is_admin"], false);

    let dup = app.register("ANN@example.com", PASSWORD).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.code(), "conflict");

    let short = app.register("c@example.com", "short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.body["error"]["fields"]["password"].is_string(),
        "{:?}",
        short.body
    );

    let own = app
        .register("carla.long@example.com", "Carla.Long@example.com")
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        own.body["error"]["fields"]["password"],
        "must not be your email address"
    );

    let common = app.register("c@example.com", "Password123").await;
    assert_eq!(common.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common.body["error"]["fields"]["password"]
        .as_str()
        .unwrap()
        .contains("common"));

    let bad = app
        .post(
            "/api/v1/auth/register",
            &As::Nobody,
            json!({"email": "not-an-email", "password": "x", "full_name": ""}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = bad.body["error"]["fields"].as_object().unwrap();
    assert!(
        fields.contains_key("email")
            && fields.contains_key("password")
            && fields.contains_key("full_name")
    );

    // Every account gets its preferences row.
    let owner = app.db.owner_client().await;
    let n: i64 = owner
        .query_one("SELECT count(*) FROM user_preferences", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
}

#[tokio::test]
async fn closed_signup_still_admits_the_first_account() {
    let app = TestApp::spawn_with(WebConfig {
        allow_signup: false,
        ..Default::default()
    })
    .await;
    assert_eq!(
        app.register("admin@example.com", PASSWORD).await.status,
        StatusCode::CREATED
    );
    let r = app.register("late@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "signup_closed");
}

#[tokio::test]
async fn login_me_and_logout() {
    let app = TestApp::spawn().await;
    app.register("ann@example.com", PASSWORD).await;
    let login = app.login("ANN@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{:?}", login.body);
    let set_cookie = login.set_cookie_header();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain http has no Secure cookies"
    );
    let cookie = As::Cookie(login.session_cookie().unwrap());

    let me = app.get("/api/v1/me", &cookie).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "ann@example.com");

    let renamed = app
        .put("/api/v1/me", &cookie, json!({"full_name": "Ann Lee"}))
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.body["full_name"], "Ann Lee");

    // The session lives in PostgreSQL, hashed.
    let owner = app.db.owner_client().await;
    let stored: String = owner
        .query_one("SELECT token_hash FROM sessions", &[])
        .await
        .unwrap()
        .get(0);
    let As::Cookie(secret) = &cookie else {
        unreachable!()
    };
    assert_ne!(&stored, secret);

    let out = app.post("/api/v1/auth/logout", &cookie, json!({})).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.set_cookie_header().contains("Max-Age=0"));
    let after = app.get("/api/v1/me", &cookie).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "unauthenticated");
}

#[tokio::test]
async fn secure_cookies_behind_https() {
    let config = WebConfig::default()
        .with_public_url(Some("https://fit.example.com"))
        .unwrap();
    let app = TestApp::spawn_with(config).await;
    app.register("ann@example.com", PASSWORD).await;
    let login = app.login("ann@example.com", PASSWORD).await;
    assert!(login.set_cookie_header().contains("Secure"));
    // A public address under a path is refused: pages link from the root.
    for url in ["https://fit.example.com/", "https://fit.example.com:8443"] {
        assert!(
            WebConfig::default().with_public_url(Some(url)).is_ok(),
            "{url}"
        );
    }
    for url in [
        "https://fit.example.com/sparky/",
        "https://example.com/fit",
        "https://fit.example.com?x=1",
    ] {
        let err = WebConfig::default().with_public_url(Some(url)).unwrap_err();
        assert!(err.contains("more than a host name"), "{err}");
    }
    for url in [
        "ftp://fit.example.com",
        "https://user:pw@fit.example.com",
        "fit.example.com",
    ] {
        let err = WebConfig::default().with_public_url(Some(url)).unwrap_err();
        assert!(!err.contains("pw"), "{err}");
        assert!(err.contains("not an address"), "{err}");
    }
    // The default port is left out, as browsers leave it out of Origin.
    let c = WebConfig::default()
        .with_public_url(Some("HTTPS://Fit.Example.com:443/"))
        .unwrap();
    assert_eq!(c.public_origin.as_deref(), Some("https://fit.example.com"));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = TestApp::spawn().await;
    app.register("ann@example.com", PASSWORD).await;
    let wrong = app.login("ann@example.com", "not the password").await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.body, unknown.body);
    assert!(wrong.session_cookie().is_none());
}

#[tokio::test]
async fn disabled_accounts_cannot_sign_in_and_lose_their_sessions() {
    let app = TestApp::spawn().await;
    // The first account is the administrator, who stays enabled.
    app.user("root@example.com").await;
    let (_, cookie) = app.user("ann@example.com").await;
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "UPDATE users SET disabled_at = now() WHERE email = 'ann@example.com'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        app.get("/api/v1/me", &cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = app.login("ann@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert_eq!(login.code(), "account_disabled");
}

#[tokio::test]
async fn expired_sessions_are_refused() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.user("ann@example.com").await;
    assert_eq!(app.get("/api/v1/me", &cookie).await.status, StatusCode::OK);
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "UPDATE sessions SET expires_at = now() - interval '1 second'",
            &[],
        )
        .await
        .unwrap();
    let r = app.get("/api/v1/me", &cookie).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let (_, here) = app.user("ann@example.com").await;
    let elsewhere = As::Cookie(
        app.login("ann@example.com", PASSWORD)
            .await
            .session_cookie()
            .unwrap(),
    );

    let wrong = app
        .post(
            "/api/v1/me/password",
            &here,
            json!({"current_password": "guess guess guess", "new_password": "a new long secret"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body["error"]["fields"]["current_password"].is_string());

    let weak = app
        .post(
            "/api/v1/me/password",
            &here,
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body["error"]["fields"]["new_password"].is_string());
    for same in [PASSWORD, "ann@example.com"] {
        let r = app
            .post(
                "/api/v1/me/password",
                &here,
                json!({"current_password": PASSWORD, "new_password": same}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{same}");
        assert!(r.body["error"]["fields"]["new_password"].is_string());
    }

    let ok = app
        .post(
            "/api/v1/me/password",
            &here,
            json!({"current_password": PASSWORD, "new_password": "a new long secret"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{:?}", ok.body);
    assert_eq!(app.get("/api/v1/me", &here).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", &elsewhere).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ann@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ann@example.com", "a new long secret")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn api_keys_authenticate_list_without_secrets_and_revoke_at_once() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.user("ann@example.com").await;
    let created = app
        .post("/api/v1/api-keys", &cookie, json!({"name": "phone"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let key = created.body["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("spk_"));
    let id = created.body["id"].as_str().unwrap().to_string();

    let bearer = As::Key(key.clone());
    let me = app.get("/api/v1/me", &bearer).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "ann@example.com");

    let list = app.get("/api/v1/api-keys", &bearer).await;
    assert_eq!(list.status, StatusCode::OK);
    let text = list.body.to_string();
    assert!(!text.contains(&key[4..]), "no secrets in lists");
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(list.body[0]["last_used_at"].is_string(), "use is recorded");

    // A key can be used for writes without any Origin header (no cookie, no CSRF risk).
    let renamed = app
        .put("/api/v1/me", &bearer, json!({"full_name": "Script"}))
        .await;
    assert_eq!(renamed.status, StatusCode::OK);

    // Another user cannot see or revoke it.
    let (_, bob) = app.user("bob@example.com").await;
    assert_eq!(
        app.delete(&format!("/api/v1/api-keys/{id}"), &bob)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/api-keys", &bob)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        0
    );

    assert_eq!(
        app.delete(&format!("/api/v1/api-keys/{id}"), &cookie)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/v1/me", &bearer).await.status,
        StatusCode::UNAUTHORIZED
    );

    let bogus = As::Key("spk_not-a-real-key".into());
    assert_eq!(
        app.get("/api/v1/me", &bogus).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn expired_api_keys_stop_working() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.user("ann@example.com").await;
    let past = app
        .post(
            "/api/v1/api-keys",
            &cookie,
            json!({"name": "old", "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    let created = app
        .post(
            "/api/v1/api-keys",
            &cookie,
            json!({"name": "soon", "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    let key = As::Key(created.body["key"].as_str().unwrap().to_string());
    assert_eq!(app.get("/api/v1/me", &key).await.status, StatusCode::OK);
    app.db
        .owner_client()
        .await
        .execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 minute'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        app.get("/api/v1/me", &key).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// A key made with an expiring key expires no later than it: a leaked key that runs out soon
/// cannot mint one that never does. Made with a session, a key lasts as asked.
#[tokio::test]
async fn keys_made_by_a_key_expire_with_it() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.user("ann@example.com").await;
    let expiring = app
        .post(
            "/api/v1/api-keys",
            &cookie,
            json!({"name": "short", "expires_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    let short = As::Key(expiring.body["key"].as_str().unwrap().to_string());
    for (asked, got) in [
        (json!({"name": "forever"}), json!("2030-01-01T00:00:00Z")),
        (
            json!({"name": "later", "expires_at": "2099-01-01T00:00:00Z"}),
            json!("2030-01-01T00:00:00Z"),
        ),
        (
            json!({"name": "sooner", "expires_at": "2029-01-01T00:00:00Z"}),
            json!("2029-01-01T00:00:00Z"),
        ),
    ] {
        let r = app.post("/api/v1/api-keys", &short, asked.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{asked}: {:?}", r.body);
        assert_eq!(r.body["expires_at"], got, "{asked}: {:?}", r.body);
    }
    let lasting = app
        .post("/api/v1/api-keys", &cookie, json!({"name": "by session"}))
        .await;
    assert_eq!(
        lasting.body["expires_at"],
        Value::Null,
        "{:?}",
        lasting.body
    );
    // A key without an expiry makes keys as asked.
    let open = As::Key(lasting.body["key"].as_str().unwrap().to_string());
    let r = app
        .post("/api/v1/api-keys", &open, json!({"name": "also lasting"}))
        .await;
    assert_eq!(r.body["expires_at"], Value::Null, "{:?}", r.body);
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let app = TestApp::spawn_with(WebConfig {
        login_attempts_per_minute_account: 3,
        ..Default::default()
    })
    .await;
    app.register("ann@example.com", PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(
            app.login("ann@example.com", "wrong wrong wrong")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = app.login("ann@example.com", PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another account from the same address is still allowed (per-IP limit is higher).
    app.register("bob@example.com", PASSWORD).await;
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

/// Someone holding a stolen session cannot guess the password at full speed through
/// changing it or deleting the account: those checks share a per-account count (the
/// sign-in limit), which a wrong password's rollback does not undo.
#[tokio::test]
async fn own_password_checks_are_rate_limited() {
    let app = TestApp::spawn_with(WebConfig {
        login_attempts_per_minute_account: 3,
        ..Default::default()
    })
    .await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let change = |current: &str| json!({"current_password": current, "new_password": "a brand new passphrase"});
    for _ in 0..2 {
        let r = app
            .post("/api/v1/me/password", &ann, change("wrong wrong wrong"))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    }
    let wrong_delete = app
        .request(
            Method::DELETE,
            "/api/v1/me",
            &ann,
            Some(json!({"password": "wrong wrong wrong"})),
        )
        .await;
    assert_eq!(wrong_delete.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The fourth check in the minute is refused even with the right password.
    let limited = app
        .post("/api/v1/me/password", &ann, change(PASSWORD))
        .await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        limited.body
    );
    assert_eq!(limited.code(), "rate_limited");
    assert!(limited.headers.contains_key("retry-after"));
    assert_eq!(
        app.login("ann@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    // Another account is not affected.
    let r = app
        .post("/api/v1/me/password", &bob, change(PASSWORD))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
}

#[tokio::test]
async fn per_address_limit() {
    let app = TestApp::spawn_with(WebConfig {
        login_attempts_per_minute_ip: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(
        app.login("a@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("b@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("c@example.com", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Registrations are counted per client address, through the API and the sign-up page alike;
/// one over the limit is a 429 with `Retry-After` (the page says so) and creates nothing.
/// Sign-ins have their own count.
#[tokio::test]
async fn per_address_signup_limit() {
    let app = TestApp::spawn_with(WebConfig {
        signups_per_minute_ip: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(
        app.register("a@example.com", PASSWORD).await.status,
        StatusCode::CREATED
    );
    // Bad input counts too: each attempt may cost a password hash.
    assert_eq!(
        app.register("not an email", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let refused = app.register("c@example.com", PASSWORD).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.code(), "rate_limited");
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // The sign-up page shares the count and says how long to wait.
    let page = app
        .client
        .post(format!("{}/register", app.base))
        .header("origin", app.origin())
        .form(&[
            ("full_name", "Dee Example"),
            ("email", "d@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the form again, not a redirect"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("Too many accounts were created"), "{html}");

    // Nothing was created by the refused attempts; signing in is counted apart.
    let owner = app.db.owner_client().await;
    let emails: Vec<String> = owner
        .query("SELECT email FROM users ORDER BY email", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(emails, ["a@example.com"]);
    assert_eq!(
        app.login("a@example.com", PASSWORD).await.status,
        StatusCode::OK
    );

    // A sign-up posted from another site's page is refused, like a sign-in.
    let foreign = app
        .client
        .post(format!("{}/api/v1/auth/register", app.base))
        .header("origin", "https://evil.example")
        .json(&json!({"email": "e@example.com", "password": PASSWORD, "full_name": "E"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
}

/// `DELETE /api/v1/me` with the password deletes the account and everything it owns; another
/// person's diary entry of one of its foods keeps what it recorded, and grants both ways go.
#[tokio::test]
async fn deleting_your_account_removes_everything_you_own() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let cake = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Ann's cake", "servings": [{"size": 1, "unit": "slice",
                   "nutrients": {"calories": 320}}]}),
        )
        .await;
    assert_eq!(cake.status, StatusCode::CREATED, "{:?}", cake.body);
    let cake = cake.body["id"].as_str().unwrap().to_string();
    for (from, to, access) in [
        (&ann, "bob@example.com", "food_list"),
        (&bob, "ann@example.com", "calorie"),
    ] {
        let r = app
            .post(
                "/api/v1/family-access",
                from,
                json!({"grantee_email": to, "access_type": access}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    for who in [&ann, &bob] {
        let r = app
            .post(
                "/api/v1/diary",
                who,
                json!({"food_item_id": cake, "quantity": 1, "meal_type": "snack", "date": "2026-05-01"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let r = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 60, "unit": "kg", "date": "2026-05-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let key = app
        .post(
            "/api/v1/api-keys",
            &ann,
            json!({"name": "dashboard", "read_only": true}),
        )
        .await;
    let read_only = key.body["key"].as_str().unwrap().to_string();

    let delete = async |who: &As, password: &str| {
        let mut req = app
            .client
            .delete(format!("{}/api/v1/me", app.base))
            .json(&json!({"password": password}));
        req = match who {
            As::Cookie(c) => req
                .header("cookie", format!("sparky_session={c}"))
                .header("origin", app.origin()),
            As::Key(k) => req.bearer_auth(k),
            As::Nobody => req,
        };
        req.send().await.unwrap()
    };
    let wrong = delete(&ann, "not my password").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let ro = delete(&As::Key(read_only.clone()), PASSWORD).await;
    assert_eq!(ro.status(), StatusCode::FORBIDDEN);
    // A wrong password gets the same answer: a read-only key learns nothing about it.
    let ro_wrong = delete(&As::Key(read_only.clone()), "not my password").await;
    assert_eq!(ro_wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/me", &ann).await.status, StatusCode::OK);
    // Ann, the first account, is the only administrator and Bob is still here.
    let only_admin = delete(&ann, PASSWORD).await;
    assert_eq!(only_admin.status(), StatusCode::CONFLICT);
    let body: Value = only_admin.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sparky user admin EMAIL"),
        "{body}"
    );
    assert_eq!(app.get("/api/v1/me", &ann).await.status, StatusCode::OK);
    app.db
        .owner_client()
        .await
        .execute(
            "UPDATE users SET is_admin = true WHERE email = 'bob@example.com'",
            &[],
        )
        .await
        .unwrap();

    let done = delete(&ann, PASSWORD).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let cleared = done.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(
        app.get("/api/v1/me", &ann).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/me", &As::Key(read_only)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ann@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Nothing of Ann's is left in any table with an owner column.
    let owner = app.db.owner_client().await;
    let columns = owner
        .query(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns
             WHERE table_schema IN ('public', 'auth')
               AND column_name IN ('user_id', 'grantor_user_id', 'grantee_user_id')
               AND table_name IN (SELECT table_name FROM information_schema.tables
                                  WHERE table_type = 'BASE TABLE')",
            &[],
        )
        .await
        .unwrap();
    assert!(columns.len() > 10, "{}", columns.len());
    let ann_uuid: uuid::Uuid = ann_id.parse().unwrap();
    for c in &columns {
        let (schema, table, column): (String, String, String) = (c.get(0), c.get(1), c.get(2));
        let n: i64 = owner
            .query_one(
                &format!("SELECT count(*) FROM {schema}.{table} WHERE {column} = $1"),
                &[&ann_uuid],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{schema}.{table}.{column}");
    }
    // Bob keeps his entry of Ann's cake, with what it recorded.
    let day = app.get("/api/v1/diary/2026-05-01", &bob).await;
    assert_eq!(day.status, StatusCode::OK);
    assert!(
        day.body.to_string().contains("Ann's cake"),
        "{:?}",
        day.body
    );
    assert!(day.body.to_string().contains("320"), "{:?}", day.body);
    let n: i64 = owner
        .query_one(
            "SELECT count(*) FROM food_diary WHERE user_id = $1",
            &[&bob_id.parse::<uuid::Uuid>().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}
