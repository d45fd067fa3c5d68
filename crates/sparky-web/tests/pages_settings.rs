//! Settings in the browser: profile, preferences (units, timezone, theme), password, sessions,
//! API keys and family access; always the signed-in user's own.

mod common;
mod page_forms;

use common::{As, TestApp, PASSWORD};
use page_forms::{get, get_viewing, post, submit};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn between<'a>(html: &'a str, before: &str, after: &str) -> &'a str {
    let start = html
        .find(before)
        .unwrap_or_else(|| panic!("no {before} in:\n{html}"))
        + before.len();
    html[start..].split(after).next().unwrap()
}

#[tokio::test]
async fn profile_and_preferences_are_saved_and_shown_in_the_users_units() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    let page = get(&app, "/settings", &me).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"Test Person\""));
    assert!(page.body.contains("data-theme=\"system\""));
    assert!(
        page.body.contains("aria-current=\"page\">More")
            || page
                .body
                .contains("href=\"/settings\" aria-current=\"page\"")
    );

    let saved = submit(
        &app,
        "/settings",
        "/settings/profile",
        &me,
        &[
            ("full_name", "Ann Example"),
            ("sex", "female"),
            ("birth_date", "1988-03-01"),
            ("height", "180"),
            ("activity", "active"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location, "/settings?saved=profile");
    let profile = app.get("/api/v1/profile", &me).await.body;
    assert_eq!(profile["height_cm"], 180.0);
    assert_eq!(profile["sex"], "female");
    assert_eq!(profile["activity_level"], "active");
    assert_eq!(
        app.get("/api/v1/me", &me).await.body["full_name"],
        "Ann Example"
    );

    let saved = submit(
        &app,
        "/settings",
        "/settings/preferences",
        &me,
        &[
            ("units_system", "imperial"),
            ("theme", "dark"),
            ("timezone", "Europe/Berlin"),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let prefs = app.get("/api/v1/preferences", &me).await.body;
    assert_eq!(prefs["units_system"], "imperial");
    assert_eq!(prefs["theme"], "dark");
    assert_eq!(prefs["timezone"], "Europe/Berlin");

    // The theme frames every page; the height is now shown in inches.
    let page = get(&app, "/settings?saved=preferences", &me).await;
    assert!(page.body.contains("data-theme=\"dark\""));
    assert!(page.body.contains("Height (in)"));
    assert!(
        page.body
            .contains("name=\"height\" inputmode=\"text\" value=\"70.9\""),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("<option value=\"Europe/Berlin\" selected>"));
    assert!(page.body.contains("role=\"status\""));

    // Saving the same inches keeps the height.
    let saved = submit(
        &app,
        "/settings",
        "/settings/profile",
        &me,
        &[("full_name", "Ann Example"), ("height", "70")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/profile", &me).await.body["height_cm"],
        177.8
    );
    // Feet and inches, as people in the US say their height.
    let saved = submit(
        &app,
        "/settings",
        "/settings/profile",
        &me,
        &[("full_name", "Ann Example"), ("height", "5' 5\"")],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        app.get("/api/v1/profile", &me).await.body["height_cm"],
        165.1
    );
}

#[tokio::test]
async fn bad_input_is_shown_next_to_the_field_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("bob@example.com").await;
    let bad = submit(
        &app,
        "/settings",
        "/settings/profile",
        &me,
        &[("full_name", "Bob Changed"), ("height", "12")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("Enter a height between 50 and 272"),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("value=\"Bob Changed\""),
        "what was typed stays"
    );
    assert_eq!(
        app.get("/api/v1/me", &me).await.body["full_name"],
        "Test Person"
    );
    assert_eq!(
        app.get("/api/v1/profile", &me).await.body["height_cm"],
        Value::Null
    );

    let bad = submit(
        &app,
        "/settings",
        "/settings/preferences",
        &me,
        &[
            ("units_system", "imperial"),
            ("theme", "dark"),
            ("timezone", "Mars/Olympus"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Choose your timezone from the list"));
    let prefs = app.get("/api/v1/preferences", &me).await.body;
    assert_eq!(prefs["units_system"], "metric");
    assert_eq!(prefs["theme"], "system");

    let bad = submit(
        &app,
        "/settings/security",
        "/settings/password",
        &me,
        &[
            ("current_password", "not my password at all"),
            ("new_password", "a brand new passphrase"),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("That is not your current password"));
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn writes_need_the_token_and_pages_need_a_session() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("cy@example.com").await;
    for path in [
        "/settings/profile",
        "/settings/preferences",
        "/settings/password",
        "/settings/keys",
        "/settings/sessions/others/end",
        "/settings/family",
    ] {
        let r = post(
            &app,
            path,
            &me,
            &[("full_name", "Forged"), ("theme", "dark"), ("name", "x")],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        app.get("/api/v1/me", &me).await.body["full_name"],
        "Test Person"
    );
    for path in ["/settings", "/settings/security", "/settings/family"] {
        let r = get(&app, path, &As::Nobody).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            r.location,
            format!("/signin?next={}", path.replace('/', "%2F"))
        );
    }
}

#[tokio::test]
async fn password_sessions_and_api_keys() {
    // Several sign-ins of one account within a minute.
    let app = TestApp::spawn_with(sparky_web::WebConfig {
        login_attempts_per_minute_account: 100,
        ..sparky_web::WebConfig::default()
    })
    .await;
    let (_, me) = app.user("dee@example.com").await;
    let other = As::Cookie(
        app.login("dee@example.com", PASSWORD)
            .await
            .session_cookie()
            .unwrap(),
    );
    let third = As::Cookie(
        app.login("dee@example.com", PASSWORD)
            .await
            .session_cookie()
            .unwrap(),
    );

    let page = get(&app, "/settings/security", &me).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("/settings/sessions/").count(),
        3,
        "two others to end, and all others"
    );
    assert!(page.body.contains("This device"));

    // One session ends by itself...
    let third_page = get(&app, "/settings/security", &third).await;
    let mine_in_third = third_page.body.matches("/end\"").count();
    assert_eq!(mine_in_third, 3);
    let ids: Vec<&str> = page
        .body
        .split("/settings/sessions/")
        .skip(1)
        .map(|s| s.split('/').next().unwrap())
        .filter(|s| *s != "others")
        .collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        let r = submit(
            &app,
            "/settings/security",
            &format!("/settings/sessions/{id}/end"),
            &me,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(
        app.get("/api/v1/me", &other).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/me", &third).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/v1/me", &me).await.status, StatusCode::OK);

    // ...or all the others at once.
    let again = As::Cookie(
        app.login("dee@example.com", PASSWORD)
            .await
            .session_cookie()
            .unwrap(),
    );
    let r = submit(
        &app,
        "/settings/security",
        "/settings/sessions/others/end",
        &me,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/me", &again).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/v1/me", &me).await.status, StatusCode::OK);

    // An API key is shown once, works, is listed without its secret and can be revoked.
    let created = submit(
        &app,
        "/settings/security",
        "/settings/keys",
        &me,
        &[("name", "phone shortcut")],
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let key = between(&created.body, "id=\"new-key\" readonly value=\"", "\"").to_string();
    assert!(key.starts_with("spk_"), "{key}");
    assert_eq!(
        app.get("/api/v1/me", &As::Key(key.clone())).await.status,
        StatusCode::OK
    );
    let listed = get(&app, "/settings/security", &me).await;
    assert!(listed.body.contains("phone shortcut"));
    assert!(!listed.body.contains(&key));
    let bad = submit(
        &app,
        "/settings/security",
        "/settings/keys",
        &me,
        &[("name", "  ")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Give the key a name"));
    let keys = app.get("/api/v1/api-keys", &me).await.body;
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    let key_id = keys[0]["id"].as_str().unwrap();
    let r = submit(
        &app,
        "/settings/security",
        &format!("/settings/keys/{key_id}/revoke"),
        &me,
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/me", &As::Key(key)).await.status,
        StatusCode::UNAUTHORIZED
    );

    // The password changes; the other sessions end.
    let again = As::Cookie(
        app.login("dee@example.com", PASSWORD)
            .await
            .session_cookie()
            .unwrap(),
    );
    let r = submit(
        &app,
        "/settings/security",
        "/settings/password",
        &me,
        &[
            ("current_password", PASSWORD),
            ("new_password", "another long passphrase"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        app.login("dee@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("dee@example.com", "another long passphrase")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/me", &again).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn family_grants_are_given_listed_and_revoked_and_settings_stay_ones_own() {
    let app = TestApp::spawn().await;
    let (eve_id, eve) = app.user("eve@example.com").await;
    let (_, fay) = app.user("fay@example.com").await;
    app.put("/api/v1/me", &fay, json!({"full_name": "Fay"}))
        .await;

    let r = submit(
        &app,
        "/settings/family",
        "/settings/family",
        &eve,
        &[("email", "fay@example.com"), ("access_type", "checkin")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let grants = app.get("/api/v1/family-access", &eve).await.body;
    assert_eq!(grants["given"][0]["access_type"], "checkin");
    assert_eq!(grants["given"][0]["grantee"]["email"], "fay@example.com");

    let page = get(&app, "/settings/family", &eve).await;
    assert!(page.body.contains("Fay (fay@example.com)"));
    let received = get(&app, "/settings/family", &fay).await;
    assert!(received.body.contains("Test Person (eve@example.com)"));
    assert!(received.body.contains("Check-ins"));
    assert!(
        !received.body.contains("/revoke"),
        "a grantee cannot revoke"
    );
    let leave_action = format!(
        "/settings/family/{}/leave",
        grants["given"][0]["id"].as_str().unwrap()
    );
    assert!(received.body.contains(&leave_action), "{}", received.body);
    assert!(!page.body.contains("/leave"), "the grantor leaves nothing");
    // The form and "You share" speak of your foods; "Shared with you" of theirs.
    assert!(page.body.contains("use your custom foods"), "{}", page.body);
    assert!(
        !page.body.contains("use their custom foods"),
        "{}",
        page.body
    );
    app.post(
        "/api/v1/family-access",
        &eve,
        json!({"grantee_email": "fay@example.com", "access_type": "food_list"}),
    )
    .await;
    let received = get(&app, "/settings/family", &fay).await;
    assert!(
        received.body.contains("Foods: use their custom foods"),
        "{}",
        received.body
    );
    let page = get(&app, "/settings/family", &eve).await;
    assert!(
        page.body.contains("Foods: use your custom foods"),
        "{}",
        page.body
    );
    let food_list_id = app.get("/api/v1/family-access", &eve).await.body["given"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["access_type"] == "food_list")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let gone = app
        .delete(&format!("/api/v1/family-access/{food_list_id}"), &eve)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);

    let bad = submit(
        &app,
        "/settings/family",
        "/settings/family",
        &eve,
        &[("email", "nobody@example.com"), ("access_type", "calorie")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("There is no account with that email"));
    assert!(bad.body.contains("value=\"nobody@example.com\""));
    let again = submit(
        &app,
        "/settings/family",
        "/settings/family",
        &eve,
        &[("email", "fay@example.com"), ("access_type", "checkin")],
    )
    .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("You already share that with them"));
    assert_eq!(
        app.get("/api/v1/family-access", &eve).await.body["given"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Viewing Eve's data, Fay's settings are still Fay's.
    let viewing = get_viewing(&app, "/settings", &fay, &eve_id).await;
    assert_eq!(viewing.status, StatusCode::OK);
    assert!(viewing.body.contains("value=\"Fay\""));
    assert!(viewing.body.contains("Settings are always your own"));

    let id = grants["given"][0]["id"].as_str().unwrap();
    let r = submit(
        &app,
        "/settings/family",
        &format!("/settings/family/{id}/revoke"),
        &eve,
        &[],
    )
    .await;
    // Without confirm=yes (no script asked): a page asks, and the grant is still there.
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Stop sharing “Check-ins” with Fay?"),
        "{}",
        r.body
    );
    let still = app.get("/api/v1/family-access", &eve).await.body;
    assert_eq!(still["given"].as_array().unwrap().len(), 1, "{still}");
    let r = submit(
        &app,
        "/settings/family",
        &format!("/settings/family/{id}/revoke"),
        &eve,
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let grants = app.get("/api/v1/family-access", &eve).await.body;
    assert_eq!(grants["given"], json!([]));

    // Fay stops seeing what Eve shares again, after asking; Eve cannot leave for her.
    app.post(
        "/api/v1/family-access",
        &eve,
        json!({"grantee_email": "fay@example.com", "access_type": "reports"}),
    )
    .await;
    let id = app.get("/api/v1/family-access", &fay).await.body["received"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let leave = format!("/settings/family/{id}/leave");
    let r = submit(
        &app,
        "/settings/family",
        &leave,
        &eve,
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = submit(&app, "/settings/family", &leave, &eve, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = submit(&app, "/settings/family", &leave, &fay, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("Stop seeing Test Person’s “Everything, read only”?"),
        "{}",
        r.body
    );
    assert_eq!(
        app.get("/api/v1/family-access", &fay).await.body["received"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = submit(
        &app,
        "/settings/family",
        &leave,
        &fay,
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/settings/family?done=left");
    assert_eq!(
        app.get("/api/v1/family-access", &fay).await.body["received"],
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/family-access", &eve).await.body["given"],
        json!([])
    );
}

/// A large form is taken in only from a known session: with a session that is not valid the
/// answer (to the sign-in page) comes before the announced body is sent.
#[tokio::test]
async fn a_large_form_waits_for_the_session_check() {
    let app = TestApp::spawn().await;
    let status = app
        .status_before_body(
            "/settings/profile",
            "Cookie: sparky_session=not-a-real-session",
            "application/x-www-form-urlencoded",
            500_000,
        )
        .await;
    assert_eq!(status, 303, "to the sign-in page");
}

/// Settings → "Exercise calories eaten back": Today's remaining calories and its burned line
/// follow it; a value outside 0-100 is shown next to the field and changes nothing.
#[tokio::test]
async fn exercise_calories_eaten_back_is_a_preference_that_today_follows() {
    let app = TestApp::spawn().await;
    let (me_id, me) = app.user("ann@example.com").await;
    let me_uuid: uuid::Uuid = me_id.parse().unwrap();
    let owner = app.db.owner_client().await;
    owner
        .execute(
            "INSERT INTO goals (user_id, type, target_value, status)
             VALUES ($1, 'calorie_target', 2000, 'active')",
            &[&me_uuid],
        )
        .await
        .unwrap();
    owner
        .execute(
            "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, calories_burned, performed_at)
             SELECT $1, id, 30, 300, now() FROM exercises WHERE user_id IS NULL LIMIT 1",
            &[&me_uuid],
        )
        .await
        .unwrap();
    let today = get(&app, "/", &me).await;
    assert!(today.body.contains("<dd>300 kcal</dd>"), "{}", today.body);
    assert!(today.body.contains(">2,300<"), "2000 + 300: {}", today.body);

    let settings = get(&app, "/settings", &me).await;
    assert!(
        settings
            .body
            .contains("name=\"exercise_eat_back_percent\" type=\"number\" inputmode=\"numeric\" min=\"0\" max=\"100\" step=\"1\" value=\"100\""),
        "{}",
        settings.body
    );
    let form = |percent: &'static str| {
        [
            ("units_system", "metric"),
            ("theme", "system"),
            ("timezone", "UTC"),
            ("exercise_eat_back_percent", percent),
        ]
    };
    let saved = submit(&app, "/settings", "/settings/preferences", &me, &form("50")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        app.get("/api/v1/preferences", &me).await.body["exercise_eat_back_percent"],
        50
    );
    let today = get(&app, "/", &me).await;
    assert!(
        today.body.contains("<dd>300 kcal (50% counts)</dd>"),
        "{}",
        today.body
    );
    assert!(today.body.contains(">2,150<"), "2000 + 150: {}", today.body);

    for bad in ["150", "-5", "half", "12.5"] {
        let again = submit(&app, "/settings", "/settings/preferences", &me, &form(bad)).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            again.body.contains("Enter a whole number from 0 to 100."),
            "{}",
            again.body
        );
        assert_eq!(
            app.get("/api/v1/preferences", &me).await.body["exercise_eat_back_percent"],
            50,
            "{bad} changed nothing"
        );
    }

    // The first day of the week: the weekly budget on Today follows it.
    assert!(settings
        .body
        .contains("<option value=\"monday\" selected>Monday</option>"));
    let mut with_week = form("50").to_vec();
    with_week.push(("week_start", "sunday"));
    let saved = submit(&app, "/settings", "/settings/preferences", &me, &with_week).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        app.get("/api/v1/preferences", &me).await.body["week_start"],
        "sunday"
    );
    let settings = get(&app, "/settings", &me).await;
    assert!(settings
        .body
        .contains("<option value=\"sunday\" selected>Sunday</option>"));
    let today = get(&app, "/", &me).await;
    assert!(today.body.contains("Week to Saturday:"), "{}", today.body);
    let mut bad_week = form("50").to_vec();
    bad_week.push(("week_start", "someday"));
    let again = submit(&app, "/settings", "/settings/preferences", &me, &bad_week).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again.body.contains("Choose a day of the week."),
        "{}",
        again.body
    );
    assert_eq!(
        app.get("/api/v1/preferences", &me).await.body["week_start"],
        "sunday"
    );
}

/// The page asking before a revoke names what it is about, and an id that is not one of the
/// user's is the 404 page at once (it asked about anything).
#[tokio::test]
async fn the_question_names_what_goes_and_unknown_ids_are_404() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    let made = app
        .post("/api/v1/api-keys", &me, json!({"name": "grafana"}))
        .await;
    let id = made.body["id"].as_str().unwrap();
    let r = submit(
        &app,
        "/settings/security",
        &format!("/settings/keys/{id}/revoke"),
        &me,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Revoke the API key “grafana”?"),
        "{}",
        r.body
    );
    for path in [
        "/settings/keys/0b5c1f1e-0000-4000-8000-000000000000/revoke",
        "/settings/family/0b5c1f1e-0000-4000-8000-000000000000/revoke",
        "/recipes/0b5c1f1e-0000-4000-8000-000000000000/delete",
        "/plans/0b5c1f1e-0000-4000-8000-000000000000/delete",
    ] {
        let r = submit(&app, "/settings/security", path, &me, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
}

/// Saving the profile form with the height as it shows it (one place; inches for US units)
/// keeps the stored height (170 cm became 169.93 cm on every save in US units).
#[tokio::test]
async fn saving_the_profile_keeps_the_height_it_shows() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("ann@example.com").await;
    let r = app
        .put("/api/v1/profile", &me, json!({"height_cm": 170.25}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for (units, shown) in [("metric", "170.3"), ("imperial", "67")] {
        let r = app
            .put("/api/v1/preferences", &me, json!({"units_system": units}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let page = get(&app, "/settings", &me).await;
        assert!(
            page.body.contains(&format!("value=\"{shown}\"")),
            "{units}: {}",
            page.body
        );
        let saved = submit(
            &app,
            "/settings",
            "/settings/profile",
            &me,
            &[("full_name", "Ann"), ("height", shown)],
        )
        .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(
            app.get("/api/v1/profile", &me).await.body["height_cm"],
            170.25,
            "{units}"
        );
    }
}

/// The password forms count their checks: over the per-account limit the page says to wait,
/// in words, on the password field, and changes nothing.
#[tokio::test]
async fn password_forms_say_when_there_were_too_many_attempts() {
    let app = TestApp::spawn_with(sparky_web::WebConfig {
        login_attempts_per_minute_account: 2,
        ..Default::default()
    })
    .await;
    let (_, me) = app.user("lee@example.com").await;
    let change = |current: &'static str| {
        [
            ("current_password", current),
            ("new_password", "another long passphrase"),
        ]
    };
    for _ in 0..2 {
        let wrong = submit(
            &app,
            "/settings/security",
            "/settings/password",
            &me,
            &change("nope nope nope"),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            wrong.body.contains("not your current password"),
            "{}",
            wrong.body
        );
    }
    let limited = submit(
        &app,
        "/settings/security",
        "/settings/password",
        &me,
        &change(PASSWORD),
    )
    .await;
    assert_eq!(limited.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        limited.body.contains("Too many attempts. Try again in"),
        "{}",
        limited.body
    );
    let delete = submit(
        &app,
        "/settings/security",
        "/settings/delete-account",
        &me,
        &[("password", PASSWORD)],
    )
    .await;
    assert!(
        delete.body.contains("Too many attempts. Try again in"),
        "{}",
        delete.body
    );
    // Nothing changed: the old password still signs in, the account is there.
    assert_eq!(app.get("/api/v1/me", &me).await.status, StatusCode::OK);
    assert_eq!(
        app.login("lee@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
}

/// Settings → Security: an expired key says so; deleting the account needs the password, then
/// signs out and says it on the sign-in page.
#[tokio::test]
async fn keys_show_their_expiry_and_the_account_can_be_deleted() {
    let app = TestApp::spawn().await;
    let (id, me) = app.user("kim@example.com").await;
    let key = app
        .post(
            "/api/v1/api-keys",
            &me,
            json!({"name": "old script", "expires_at": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
    app.db
        .owner_client()
        .await
        .execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 day' WHERE name = 'old script'",
            &[],
        )
        .await
        .unwrap();
    let page = get(&app, "/settings/security", &me).await;
    assert!(page.body.contains("expired "), "{}", page.body);
    assert!(page.body.contains("no longer works"), "{}", page.body);

    let wrong = submit(
        &app,
        "/settings/security",
        "/settings/delete-account",
        &me,
        &[("password", "not it at all")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("nothing was deleted"), "{}", wrong.body);
    assert_eq!(app.get("/api/v1/me", &me).await.status, StatusCode::OK);

    let done = submit(
        &app,
        "/settings/security",
        "/settings/delete-account",
        &me,
        &[("password", PASSWORD)],
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location, "/signin");
    assert!(
        done.set_cookies
            .iter()
            .any(|c| c.starts_with("sparky_deleted=1")),
        "{:?}",
        done.set_cookies
    );
    assert_eq!(
        app.get("/api/v1/me", &me).await.status,
        StatusCode::UNAUTHORIZED
    );
    let users: i64 = app
        .db
        .owner_client()
        .await
        .query_one(
            "SELECT count(*) FROM users WHERE id = $1",
            &[&id.parse::<uuid::Uuid>().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 0);
    // Said to the browser that deleted it, once; a link alone says nothing.
    let signin = app
        .client
        .get(format!("{}/signin", app.base))
        .header("cookie", "sparky_deleted=1")
        .send()
        .await
        .unwrap();
    let cleared = signin.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let body = signin.text().await.unwrap();
    assert!(
        body.contains("Your account and all its data were deleted"),
        "{body}"
    );
    let link = get(&app, "/signin?deleted=1", &As::Nobody).await;
    assert!(!link.body.contains("were deleted"), "{}", link.body);
}

/// With sign-ups closed, the sign-in page does not offer an account and the register page says
/// why instead of taking a form it would refuse; the first account is still welcome.
#[tokio::test]
async fn closed_sign_ups_are_said_before_the_form() {
    let app = TestApp::spawn_with(sparky_web::WebConfig {
        allow_signup: false,
        ..Default::default()
    })
    .await;
    let first = get(&app, "/register", &As::Nobody).await;
    assert!(
        first.body.contains("action=\"/register\""),
        "{}",
        first.body
    );
    assert_eq!(
        app.register("admin@example.com", PASSWORD).await.status,
        StatusCode::CREATED
    );
    let register = get(&app, "/register", &As::Nobody).await;
    assert!(
        !register.body.contains("action=\"/register\""),
        "{}",
        register.body
    );
    assert!(register.body.contains("does not take new accounts"));
    let signin = get(&app, "/signin", &As::Nobody).await;
    assert!(
        !signin.body.contains("href=\"/register\""),
        "{}",
        signin.body
    );
    assert!(signin.body.contains("does not take new accounts"));
    // A sign-up sent anyway is refused with 403, said once, and makes no account.
    let sent = app
        .client
        .post(format!("{}/register", app.base))
        .header("origin", app.origin())
        .form(&[
            ("full_name", "Eve"),
            ("email", "eve@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::FORBIDDEN);
    let html = sent.text().await.unwrap();
    assert_eq!(
        html.matches("does not take new accounts").count(),
        1,
        "{html}"
    );
    assert!(!html.contains("form-error"), "{html}");
    assert_eq!(
        app.login("eve@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// The only administrator, with someone else on the instance, is told on the form why the
/// account cannot go yet, and nothing is deleted.
#[tokio::test]
async fn the_only_administrator_is_told_to_hand_over_first() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.user("ada@example.com").await;
    app.user("ben@example.com").await;
    let refused = submit(
        &app,
        "/settings/security",
        "/settings/delete-account",
        &admin,
        &[("password", PASSWORD)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("only enabled administrator")
            && refused.body.contains("sparky user admin EMAIL"),
        "{}",
        refused.body
    );
    assert_eq!(app.get("/api/v1/me", &admin).await.status, StatusCode::OK);
}

/// A session that ended elsewhere (a password change signs other devices out) sends the next
/// page to sign-in with the way back to that page, not to Today.
#[tokio::test]
async fn an_ended_session_comes_back_to_the_page_after_sign_in() {
    let app = TestApp::spawn().await;
    let (_, me) = app.user("kim@example.com").await;
    assert_eq!(get(&app, "/goals", &me).await.status, StatusCode::OK);
    app.db
        .owner_client()
        .await
        .execute("DELETE FROM sessions", &[])
        .await
        .unwrap();
    let page = get(&app, "/goals?x=1", &me).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location, "/signin?next=%2Fgoals%3Fx%3D1");
    let today = get(&app, "/", &me).await;
    assert_eq!(today.location, "/signin?next=%2F");
}
