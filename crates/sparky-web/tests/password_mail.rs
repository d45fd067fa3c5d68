//! "Forgot your password?": a password link mailed to the account's address, through a fake
//! SMTP server and Sparky's real mail client, from the page (without JavaScript) and the API.

mod common;
mod page_forms;

use std::time::Duration;

use common::{As, TestApp, PASSWORD};
use page_forms::{get, post};
use reqwest::StatusCode;
use serde_json::json;
use sparky_providers::mail::Mailer;
use sparky_testkit::fake_smtp::{FakeSmtp, ReceivedMail};
use sparky_web::WebConfig;

const PAGE: &str = "/forgot-password";
const SENT: &str =
    "If an account here has that address, a link to choose a new password is on its way";

/// A server that mails through `smtp`, with its own address as SPARKY_PUBLIC_URL.
async fn mailing_app(smtp: &FakeSmtp) -> TestApp {
    let mailer = Mailer::new(&smtp.url(), "Sparky <sparky@example.com>").unwrap();
    TestApp::spawn_at_own_address(|base| {
        WebConfig {
            mail: Some(mailer),
            ..Default::default()
        }
        .with_public_url(Some(base))
        .unwrap()
    })
    .await
}

/// The password link in a mailed message.
fn link_in(mail: &ReceivedMail) -> String {
    let body = mail.body();
    body.split_whitespace()
        .find(|w| w.contains("/set-password?token="))
        .unwrap_or_else(|| panic!("no link in:\n{body}"))
        .to_string()
}

/// How many password links are stored.
async fn links(app: &TestApp) -> i64 {
    app.db
        .owner_client()
        .await
        .query_one("SELECT count(*) FROM password_links", &[])
        .await
        .unwrap()
        .get(0)
}

async fn ask(app: &TestApp, email: &str) -> page_forms::Html {
    post(app, PAGE, &As::Nobody, &[("email", email)]).await
}

#[tokio::test]
async fn a_forgotten_password_is_replaced_through_a_mailed_link() {
    let smtp = FakeSmtp::start().await;
    let app = mailing_app(&smtp).await;
    app.user("ann@example.com").await;
    app.db
        .owner_client()
        .await
        .execute(
            "UPDATE users SET full_name = 'Ann Lee' WHERE email = 'ann@example.com'",
            &[],
        )
        .await
        .unwrap();

    // The sign-in page leads to the form.
    let signin = get(&app, "/signin", &As::Nobody).await;
    assert!(
        signin.body.contains("href=\"/forgot-password\""),
        "{}",
        signin.body
    );
    let form = get(&app, PAGE, &As::Nobody).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("Email me a link"), "{}", form.body);

    // Asked with the address as typed (case, spaces): the page says the same as for anyone.
    let sent = ask(&app, "  ANN@example.com ").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains(SENT), "{}", sent.body);
    let mail = smtp.next_message().await;
    assert_eq!(mail.from, "sparky@example.com");
    assert_eq!(mail.to, ["ann@example.com"]);
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your Sparky password link")
    );
    assert!(mail.body().starts_with("Hello Ann Lee,"), "{}", mail.body());
    assert!(mail.body().contains("ignore this message"));
    let link = link_in(&mail);
    let path = link
        .strip_prefix(&app.base)
        .unwrap_or_else(|| panic!("{link} is not on {}", app.base));
    let token = path.strip_prefix("/set-password?token=").unwrap();

    // The link's page names the account; the password chosen there signs in, the old one
    // no longer works, and the link is used up.
    let page = get(&app, path, &As::Nobody).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Ann Lee (ann@example.com)"),
        "{}",
        page.body
    );
    let chosen = post(
        &app,
        "/set-password",
        &As::Nobody,
        &[("token", token), ("password", "ann remembers this one")],
    )
    .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    assert_eq!(
        app.login("ann@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ann@example.com", "ann remembers this one")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, path, &As::Nobody).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn asking_tells_nobody_which_addresses_have_accounts() {
    let smtp = FakeSmtp::start().await;
    let app = mailing_app(&smtp).await;
    let (_, ann) = app.user("ann@example.com").await;
    let (bob_id, _) = app.user("bob@example.com").await;
    let r = app
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/admin/accounts/{bob_id}"),
            &ann,
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // No account, and a disabled one: the same page as for Ann, and no message.
    let nobody = ask(&app, "nobody@example.com").await;
    let disabled = ask(&app, "bob@example.com").await;
    for page in [&nobody, &disabled] {
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(SENT), "{}", page.body);
    }
    assert_eq!(nobody.body, disabled.body);
    assert!(smtp
        .message_within(Duration::from_millis(500))
        .await
        .is_none());
    assert_eq!(links(&app).await, 0, "no link was made");

    // Ann's own request: the same page.
    let asked = ask(&app, "ann@example.com").await;
    assert_eq!(asked.body, nobody.body);
    assert_eq!(smtp.next_message().await.to, ["ann@example.com"]);
}

#[tokio::test]
async fn requests_are_limited_and_bad_input_is_refused() {
    let smtp = FakeSmtp::start().await;
    let app = mailing_app(&smtp).await;
    app.user("ann@example.com").await;
    app.user("dan@example.com").await;

    assert_eq!(ask(&app, "ann@example.com").await.status, StatusCode::OK);
    smtp.next_message().await;
    // One a minute per address (whatever its case), with or without an account.
    let again = ask(&app, "Ann@Example.com").await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        again.body
    );
    assert!(again.body.contains("Try again in"), "{}", again.body);
    assert!(smtp
        .message_within(Duration::from_millis(300))
        .await
        .is_none());
    assert_eq!(ask(&app, "cat@example.com").await.status, StatusCode::OK);
    assert_eq!(
        ask(&app, "cat@example.com").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Past the minute (the counts cleared): the same answer, but within 5 minutes of the last
    // mailed link nothing new is sent; the first link still works.
    app.db
        .owner_client()
        .await
        .execute("DELETE FROM auth.login_attempts", &[])
        .await
        .unwrap();
    let again = ask(&app, "ann@example.com").await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.body.contains(SENT));
    assert!(smtp
        .message_within(Duration::from_millis(300))
        .await
        .is_none());

    // Not an address, empty, NUL, too long: 422, nothing counted or sent.
    let long = format!("{}@example.com", "a".repeat(300));
    for bad in ["ann", "", "ann\0@example.com", long.as_str()] {
        let r = ask(&app, bad).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {}",
            r.body
        );
    }
    assert!(smtp
        .message_within(Duration::from_millis(300))
        .await
        .is_none());

    // Another site's form is refused.
    let foreign = app
        .client
        .post(format!("{}{PAGE}", app.base))
        .header("origin", "https://evil.example")
        .form(&[("email", "dan@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);

    // The link is on the public address, whatever Host the request claimed.
    let poisoned = app
        .client
        .post(format!("{}{PAGE}", app.base))
        .header("host", "evil.example")
        .form(&[("email", "dan@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(poisoned.status(), StatusCode::OK);
    let link = link_in(&smtp.next_message().await);
    assert!(
        link.starts_with(&format!("{}/set-password?token=", app.base)),
        "{link}"
    );
}

#[tokio::test]
async fn the_api_asks_the_same_way() {
    let smtp = FakeSmtp::start().await;
    let app = mailing_app(&smtp).await;
    app.user("ann@example.com").await;
    let path = "/api/v1/auth/password-link/request";

    let r = app
        .post(path, &As::Nobody, json!({"email": "ann@example.com"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body, json!({"status": "accepted"}));
    let link = link_in(&smtp.next_message().await);
    assert!(link.starts_with(&format!("{}/set-password?token=", app.base)));
    let r = app
        .post(path, &As::Nobody, json!({"email": "nobody@example.com"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.body, json!({"status": "accepted"}));

    for (body, field) in [
        (json!({"email": "not-an-address"}), "email"),
        (json!({"email": 5}), "email"),
        (json!({"email": "a@example.com", "admin": true}), "admin"),
    ] {
        let r = app.post(path, &As::Nobody, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{body}: {:?}", r.body);
    }
    let r = app
        .post(path, &As::Nobody, json!({"email": "ann@example.com"}))
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "rate_limited");

    // The mail server refusing the message: the answer is the same; nothing breaks.
    smtp.refuse_next();
    let r = app
        .post(path, &As::Nobody, json!({"email": "ANN+1@example.com"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn a_server_without_mail_says_to_ask_the_administrator() {
    let app = TestApp::spawn().await;
    app.user("ann@example.com").await;
    let page = get(&app, PAGE, &As::Nobody).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("This server does not send email"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Email me a link"));
    let sent = ask(&app, "ann@example.com").await;
    assert_eq!(sent.status, StatusCode::NOT_FOUND);
    assert!(sent.body.contains("This server does not send email"));
    let r = app
        .post(
            "/api/v1/auth/password-link/request",
            &As::Nobody,
            json!({"email": "ann@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(r.code(), "not_configured");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("SPARKY_SMTP_URL"),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn an_administrator_has_a_link_emailed_instead_of_passing_it_on() {
    let smtp = FakeSmtp::start().await;
    let app = mailing_app(&smtp).await;
    let (_, ann) = app.user("ann@example.com").await; // the first: administrator
    let (bob_id, _) = app.user("bob@example.com").await;
    let accounts = "/settings/accounts";

    // Settings → Accounts offers it on Bob's row, and for a new account without a password.
    let page = get(&app, accounts, &ann).await;
    assert!(
        page.body
            .contains(&format!("/settings/accounts/{bob_id}/email-link")),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"email_link\""));
    let sent = page_forms::submit(
        &app,
        accounts,
        &format!("/settings/accounts/{bob_id}/email-link"),
        &ann,
        &[],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.location, "/settings/accounts?done=link-emailed");
    let mail = smtp.next_message().await;
    assert_eq!(mail.to, ["bob@example.com"]);
    assert!(
        mail.body().contains("An administrator of"),
        "{}",
        mail.body()
    );
    assert!(!mail.body().contains("ignore this message"));
    let link = link_in(&mail);
    let page = get(&app, &link[app.base.len()..], &As::Nobody).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let done = get(&app, "/settings/accounts?done=link-emailed", &ann).await;
    assert!(done.body.contains("on its way to their email address"));

    // A new account without a password, "email them the link too": shown and mailed.
    let made = page_forms::submit(
        &app,
        accounts,
        accounts,
        &ann,
        &[
            ("full_name", "Cat"),
            ("email", "cat@example.com"),
            ("email_link", "1"),
        ],
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made
        .body
        .contains("is on its way to their email address too"));
    let mail = smtp.next_message().await;
    assert_eq!(mail.to, ["cat@example.com"]);
    assert!(mail.body().starts_with("Hello Cat,"), "{}", mail.body());
    assert!(
        made.body.contains(&link_in(&mail)),
        "the link shown is the one mailed"
    );

    // Over the API: ?email=true mails it too and says so.
    let r = app
        .post(
            &format!("/api/v1/admin/accounts/{bob_id}/password-link?email=true"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["emailed"], true);
    let mail = smtp.next_message().await;
    assert_eq!(link_in(&mail), r.body["url"].as_str().unwrap());
    let r = app
        .post(
            &format!("/api/v1/admin/accounts/{bob_id}/password-link"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["emailed"], false);
    assert!(smtp
        .message_within(Duration::from_millis(300))
        .await
        .is_none());
    let r = app
        .post(
            &format!("/api/v1/admin/accounts/{bob_id}/password-link?email=maybe"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}

#[tokio::test]
async fn without_mail_an_administrator_is_not_offered_to_email_links() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (bob_id, _) = app.user("bob@example.com").await;
    let page = get(&app, "/settings/accounts", &ann).await;
    assert!(!page.body.contains("email-link"), "{}", page.body);
    assert!(!page.body.contains("name=\"email_link\""));
    let r = page_forms::submit(
        &app,
        "/settings/accounts",
        &format!("/settings/accounts/{bob_id}/email-link"),
        &ann,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &format!("/api/v1/admin/accounts/{bob_id}/password-link?email=true"),
            &ann,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(r.code(), "not_configured");
    assert_eq!(links(&app).await, 0, "no link was made");
}
