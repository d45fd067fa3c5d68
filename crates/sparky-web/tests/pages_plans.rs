//! The meal plan pages (`/plans`, `/plans/{id}`) as a browser without JavaScript uses them:
//! create, rename and delete a template, find a food and add it per meal and weekday, remove
//! it, apply the template to dates (and the app layer's 31-day bound); bad input re-renders
//! and changes nothing; CSRF, sign-in and family grants.

mod common;
mod pages_kit;

use common::{As, TestApp};
use pages_kit::{get, grant, post, token};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn templates(app: &TestApp, who: &As) -> Vec<Value> {
    let r = app.get("/api/v1/meal-plan-templates", who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body.as_array().unwrap().clone()
}

async fn template(app: &TestApp, who: &As, id: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/meal-plan-templates/{id}"), who)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

async fn oats(app: &TestApp, who: &As) -> (String, String) {
    let r = app
        .post(
            "/api/v1/foods",
            who,
            json!({"name": "Rolled oats", "servings": [
                {"size": 100, "unit": "g", "nutrients": {"calories": 379}},
                {"size": 1, "unit": "cup", "weight_g": 81, "nutrients": {"calories": 307}}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["servings"][1]["id"].as_str().unwrap().to_string(),
    )
}

/// Creates a plan through the page; returns its id.
async fn new_plan(app: &TestApp, who: &As, csrf: &str, name: &str) -> String {
    let r = post(app, "/plans", who, None, Some(csrf), &[("name", name)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location.trim_start_matches("/plans/").to_string()
}

#[tokio::test]
async fn templates_are_created_filled_renamed_and_deleted() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (food, cup) = oats(&app, &ann).await;
    let csrf = token(&app, &ann, "/plans").await;

    let id = new_plan(&app, &ann, &csrf, "Training week").await;
    assert_eq!(templates(&app, &ann).await[0]["name"], "Training week");
    let list = get(&app, "/plans", &ann, None).await;
    assert!(list.body.contains("Training week"));
    assert!(list.body.contains("0 foods"));

    // Find the food (the add-food search) and pick it.
    let page = get(&app, &format!("/plans/{id}?q=oats"), &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("/plans/{id}?food={food}")),
        "{}",
        page.body
    );
    let frag = get(&app, &format!("/plans/{id}/search?q=rolled"), &ann, None).await;
    assert!(frag.body.contains("Rolled oats"));
    let picked = get(&app, &format!("/plans/{id}?food={food}"), &ann, None).await;
    assert!(picked.body.contains("name=\"serving_id\""));
    assert!(picked.body.contains("1 cup"), "{}", picked.body);

    // Add it: 2 cups at breakfast every day, and 50 g on Mondays at dinner.
    let r = post(
        &app,
        &format!("/plans/{id}/items"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("food_item_id", &food),
            ("serving_id", &cup),
            ("quantity", "2"),
            ("meal", "breakfast"),
            ("day", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = get(&app, "/plans", &ann, None).await;
    assert!(
        list.body.contains("1 food<") || list.body.contains("1 food "),
        "{}",
        list.body
    );
    assert!(!list.body.contains("1 foods"), "{}", list.body);
    let g100 = template(&app, &ann, &id).await;
    let r = post(
        &app,
        &format!("/plans/{id}/items"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("food_item_id", &food),
            ("quantity", "0.5"),
            ("meal", "dinner"),
            ("day", "0"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = template(&app, &ann, &id).await;
    let items = t["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(g100["items"][0]["meal_type"], "breakfast");
    let monday_item = items.iter().find(|i| i["day_of_week"] == 0).unwrap();
    assert_eq!(monday_item["meal_type"], "dinner");
    let page = get(&app, &format!("/plans/{id}"), &ann, None).await;
    assert!(page.body.contains("Every day"));
    assert!(page.body.contains("Mondays"));
    assert!(page.body.contains("614 kcal"), "2 cups: {}", page.body);

    // Ticked days: one item each, all at once; a day that is none adds nothing at all.
    assert!(
        picked.body.contains(r#"name="day_2" value="1""#),
        "{}",
        picked.body
    );
    let with_days = |extra: &'static str| {
        let (app, ann, csrf, id, food) = (&app, &ann, csrf.clone(), id.clone(), food.clone());
        async move {
            let mut fields = vec![
                ("food_item_id", food.as_str()),
                ("quantity", "1"),
                ("meal", "lunch"),
                ("day_2", "1"),
                ("day_4", "1"),
            ];
            if !extra.is_empty() {
                fields.push(("day", extra));
            }
            post(
                app,
                &format!("/plans/{id}/items"),
                ann,
                None,
                Some(&csrf),
                &fields,
            )
            .await
        }
    };
    let r = with_days("9").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        template(&app, &ann, &id).await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let r = with_days("").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = template(&app, &ann, &id).await;
    let mut lunch_days: Vec<i64> = t["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["meal_type"] == "lunch")
        .map(|i| i["day_of_week"].as_i64().unwrap())
        .collect();
    lunch_days.sort();
    assert_eq!(lunch_days, [2, 4]);
    for item in t["items"].as_array().unwrap() {
        if item["meal_type"] == "lunch" {
            let lunch = item["id"].as_str().unwrap();
            let r = post(
                &app,
                &format!("/plans/{id}/items/{lunch}/delete"),
                &ann,
                None,
                Some(&csrf),
                &[],
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
    }

    // Remove the Monday item.
    let item = monday_item["id"].as_str().unwrap();
    let r = post(
        &app,
        &format!("/plans/{id}/items/{item}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        template(&app, &ann, &id).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Rename with a calorie target.
    let r = post(
        &app,
        &format!("/plans/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("name", "Rest week"),
            ("target_calories", "2100"),
            ("description", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = template(&app, &ann, &id).await;
    assert_eq!(t["name"], "Rest week");
    assert_eq!(t["target_calories"], json!(2100.0));

    // A description too long is said under it, with what was typed kept.
    let long = "x".repeat(10_001);
    let r = post(
        &app,
        &format!("/plans/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("name", "Rest week"),
            ("target_calories", "2100"),
            ("description", &long),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("<p class=\"error\">"), "{}", r.body);
    assert!(!r.body.contains("You may not be allowed"), "{}", r.body);

    // Delete.
    let r = post(
        &app,
        &format!("/plans/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/plans");
    assert!(templates(&app, &ann).await.is_empty());
}

#[tokio::test]
async fn applying_writes_the_diary_once_and_respects_the_bound() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (food, cup) = oats(&app, &ann).await;
    let csrf = token(&app, &ann, "/plans").await;
    let id = new_plan(&app, &ann, &csrf, "Oats").await;
    let r = post(
        &app,
        &format!("/plans/{id}/items"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("food_item_id", &food),
            ("serving_id", &cup),
            ("quantity", "1"),
            ("meal", "breakfast"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let r = post(
        &app,
        &format!("/plans/{id}/apply"),
        &ann,
        None,
        Some(&csrf),
        &[("from", "2026-06-01"), ("to", "2026-06-03")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = get(&app, &r.location, &ann, None).await;
    assert!(
        shown
            .body
            .contains("Diary entries added: 3, on 3 days (days that already had this plan: 0)"),
        "{}",
        shown.body
    );
    for day in ["2026-06-01", "2026-06-02", "2026-06-03"] {
        let d = app.get(&format!("/api/v1/diary/{day}"), &ann).await;
        assert_eq!(
            d.body["meals"][0]["entries"].as_array().unwrap().len(),
            1,
            "{day}"
        );
    }
    // Again, overlapping: only the new day is written.
    let r = post(
        &app,
        &format!("/plans/{id}/apply"),
        &ann,
        None,
        Some(&csrf),
        &[("from", "2026-06-03"), ("to", "2026-06-04")],
    )
    .await;
    let shown = get(&app, &r.location, &ann, None).await;
    assert!(
        shown
            .body
            .contains("Diary entries added: 1, on 1 day (days that already had this plan: 1)"),
        "{}",
        shown.body
    );
    // The notice comes from this session's own apply: an address made up elsewhere, or
    // with other numbers, shows none.
    for forged in [
        format!("/plans/{id}?entries=1000000&days=31&skipped=0"),
        r.location.replacen("entries=1", "entries=1000", 1),
    ] {
        let page = get(&app, &forged, &ann, None).await;
        assert_eq!(page.status, StatusCode::OK, "{forged}");
        assert!(
            !page.body.contains("diary entries on"),
            "{forged}: {}",
            page.body
        );
    }

    // More than 31 days: refused with the app layer's message, nothing written.
    let r = post(
        &app,
        &format!("/plans/{id}/apply"),
        &ann,
        None,
        Some(&csrf),
        &[("from", "2026-07-01"), ("to", "2026-08-15")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at most 31"), "{}", r.body);
    assert!(r.body.contains("value=\"2026-08-15\""));
    let d = app.get("/api/v1/diary/2026-07-01", &ann).await;
    assert!(d.body["meals"][0]["entries"].as_array().unwrap().is_empty());
    // A date that is not one.
    let r = post(
        &app,
        &format!("/plans/{id}/apply"),
        &ann,
        None,
        Some(&csrf),
        &[("from", "soon"), ("to", "2026-07-02")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choose a date"));
}

#[tokio::test]
async fn bad_input_re_renders_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (food, _) = oats(&app, &ann).await;
    let csrf = token(&app, &ann, "/plans").await;

    let r = post(&app, "/plans", &ann, None, Some(&csrf), &[("name", "   ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("must be 1 to 255 characters"), "{}", r.body);
    assert!(templates(&app, &ann).await.is_empty());

    let id = new_plan(&app, &ann, &csrf, "Week").await;
    let r = post(
        &app,
        &format!("/plans/{id}/items"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("food_item_id", &food),
            ("quantity", "lots"),
            ("meal", "lunch"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Enter an amount greater than zero"));
    assert!(r.body.contains("value=\"lots\""));
    let r = post(
        &app,
        &format!("/plans/{id}/items"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("food_item_id", &food),
            ("quantity", "-2"),
            ("meal", "lunch"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(template(&app, &ann, &id).await["items"]
        .as_array()
        .unwrap()
        .is_empty());

    let r = post(
        &app,
        &format!("/plans/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("name", "Week 2"), ("target_calories", "a lot")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("value=\"a lot\""));
    let r = post(
        &app,
        &format!("/plans/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[("name", "Week 2"), ("target_calories", "900000")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("between 0 and 100,000"), "{}", r.body);
    assert_eq!(template(&app, &ann, &id).await["name"], "Week");
}

#[tokio::test]
async fn writes_need_the_token_and_pages_need_a_session() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = post(&app, "/plans", &ann, None, None, &[("name", "Week")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(templates(&app, &ann).await.is_empty());
    let r = get(&app, "/plans", &As::Nobody, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/signin?next=%2Fplans");
}

#[tokio::test]
async fn family_members_read_plans_only_with_the_food_list_grant() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let csrf = token(&app, &ann, "/plans").await;
    let id = new_plan(&app, &ann, &csrf, "Ann's week").await;
    grant(&app, &ann, "bob@example.com", "food_list").await;
    grant(&app, &ann, "cat@example.com", "checkin").await;

    // Bob reads, without any form to change it; a crafted change is refused.
    let list = get(&app, "/plans", &bob, Some(&ann_id)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Ann&#39;s week"), "{}", list.body);
    assert!(!list.body.contains("action=\"/plans\""));
    let page = get(&app, &format!("/plans/{id}"), &bob, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/apply"));
    assert!(!page.body.contains("/unapply"));
    assert!(!page.body.contains("/delete"));
    let bcsrf = page.csrf();
    let r = post(
        &app,
        &format!("/plans/{id}"),
        &bob,
        Some(&ann_id),
        Some(&bcsrf),
        &[("name", "Bob's now")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = post(
        &app,
        &format!("/plans/{id}/delete"),
        &bob,
        Some(&ann_id),
        Some(&bcsrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(template(&app, &ann, &id).await["name"], "Ann's week");

    // Cat (check-ins only) sees none of them.
    let list = get(&app, "/plans", &cat, Some(&ann_id)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("not shared with you"));
    assert!(!list.body.contains("week"));
    let page = get(&app, &format!("/plans/{id}"), &cat, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

/// Someone else's plan's or recipe's food search is a 404, as the plan and recipe are (it
/// answered with Add links for anyone who knew the id).
#[tokio::test]
async fn a_strangers_plan_and_recipe_search_are_404() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let plan = app
        .post(
            "/api/v1/meal-plan-templates",
            &ann,
            json!({"name": "Ann's week"}),
        )
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{:?}", plan.body);
    let recipe = app
        .post(
            "/api/v1/recipes",
            &ann,
            json!({"name": "Ann's stew", "servings": 2}),
        )
        .await;
    assert_eq!(recipe.status, StatusCode::CREATED, "{:?}", recipe.body);
    for path in [
        format!("/plans/{}/search?q=oats", plan.body["id"].as_str().unwrap()),
        format!(
            "/recipes/{}/search?q=oats",
            recipe.body["id"].as_str().unwrap()
        ),
    ] {
        assert_eq!(
            get(&app, &path, &bob, None).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            get(&app, &path, &ann, None).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

/// A plan of one's own goes into the diary of someone who lets one log into theirs
/// (`calorie`), chosen on the apply form; the page says whose. Without that grant the write is
/// refused and nothing is added anywhere.
#[tokio::test]
async fn a_plan_is_applied_to_a_family_members_diary() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let (cat_id, _cat) = app.user("cat@example.com").await;
    app.put("/api/v1/me", &bob, json!({"full_name": "Bob"}))
        .await;
    let (food, cup) = oats(&app, &ann).await;
    let csrf = token(&app, &ann, "/plans").await;
    let id = new_plan(&app, &ann, &csrf, "Kids' breakfast").await;
    let r = post(
        &app,
        &format!("/plans/{id}/items"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("food_item_id", &food),
            ("serving_id", &cup),
            ("quantity", "1"),
            ("meal", "breakfast"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // No one shares a diary yet: no choice offered.
    let page = get(&app, &format!("/plans/{id}"), &ann, None).await;
    assert!(!page.body.contains("name=\"diary_of\""), "{}", page.body);

    grant(&app, &bob, "ann@example.com", "calorie").await;
    let page = get(&app, &format!("/plans/{id}"), &ann, None).await;
    assert!(
        page.body
            .contains(&format!("<option value=\"{bob_id}\">Bob</option>")),
        "{}",
        page.body
    );
    let apply = |who: &str| {
        let (app, ann, csrf, id, who) = (&app, &ann, csrf.clone(), id.clone(), who.to_string());
        async move {
            post(
                app,
                &format!("/plans/{id}/apply"),
                ann,
                None,
                Some(&csrf),
                &[
                    ("from", "2026-06-01"),
                    ("to", "2026-06-02"),
                    ("diary_of", who.as_str()),
                ],
            )
            .await
        }
    };
    let r = apply(&bob_id).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = get(&app, &r.location, &ann, None).await;
    assert!(shown.body.contains("In Bob&#39;s diary."), "{}", shown.body);
    let entries = |who: As| {
        let app = &app;
        async move {
            let d = app.get("/api/v1/diary/2026-06-01", &who).await;
            d.body["meals"][0]["entries"].as_array().unwrap().len()
        }
    };
    assert_eq!(entries(bob.clone()).await, 1);
    assert_eq!(entries(ann.clone()).await, 0, "not Ann's own diary");

    // Someone who shares nothing with Ann: refused, nothing added.
    let r = apply(&cat_id).await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    let r = apply("not-a-person").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Bob's grant ended: refused too, his diary as it was.
    let grants = app.get("/api/v1/family-access", &bob).await.body;
    let grant_id = grants["given"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .delete(&format!("/api/v1/family-access/{grant_id}"), &bob)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = post(
        &app,
        &format!("/plans/{id}/apply"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("from", "2026-06-05"),
            ("to", "2026-06-05"),
            ("diary_of", bob_id.as_str()),
        ],
    )
    .await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    let d = app.get("/api/v1/diary/2026-06-05", &bob).await;
    assert_eq!(d.body["meals"][0]["entries"], json!([]), "{}", d.body);
}

/// The take-off form (under the apply form, the same dates suggested) removes what applying
/// wrote and says how much; sent again it changes nothing more. Bad dates are shown at its
/// inputs with a 422, a stranger gets a 404, and neither changes the diary; a forged or
/// apply-marked address shows no notice.
#[tokio::test]
async fn a_plan_is_taken_off_the_diary_through_the_page() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (food, cup) = oats(&app, &ann).await;
    let csrf = token(&app, &ann, "/plans").await;
    let id = new_plan(&app, &ann, &csrf, "Oats").await;
    let r = post(
        &app,
        &format!("/plans/{id}/items"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("food_item_id", &food),
            ("serving_id", &cup),
            ("quantity", "1"),
            ("meal", "breakfast"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let entries = |day: &'static str| {
        let (app, ann) = (&app, &ann);
        async move {
            let d = app.get(&format!("/api/v1/diary/{day}"), ann).await;
            assert_eq!(d.status, StatusCode::OK, "{:?}", d.body);
            d.body["meals"][0]["entries"].as_array().unwrap().len()
        }
    };
    let days = ["2026-06-01", "2026-06-02", "2026-06-03"];

    // Both forms are on the page, each with its own once-token, suggesting the same dates.
    let (apply_to, off_to) = (format!("/plans/{id}/apply"), format!("/plans/{id}/unapply"));
    let page = get(&app, &format!("/plans/{id}"), &ann, None).await;
    assert!(page.body.contains("Take off the diary"), "{}", page.body);
    let (apply_once, off_once) = (page.once_of(&apply_to), page.once_of(&off_to));
    assert_ne!(apply_once, off_once);
    let value_of = |id_attr: &str| {
        let at = page.body.find(&format!("id=\"{id_attr}\"")).unwrap();
        let rest = &page.body[at..];
        let v = rest.find("value=\"").unwrap() + "value=\"".len();
        rest[v..].split('"').next().unwrap().to_string()
    };
    assert_eq!(value_of("off-from"), value_of("ap-from"));
    assert_eq!(value_of("off-to"), value_of("ap-to"));

    let r = post(
        &app,
        &apply_to,
        &ann,
        None,
        Some(&csrf),
        &[
            ("from", days[0]),
            ("to", days[2]),
            ("_once", apply_once.as_str()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let apply_mark = r.location.rsplit("mark=").next().unwrap().to_string();
    for day in days {
        assert_eq!(entries(day).await, 1, "{day}");
    }

    // Dates that are not dates, or the wrong way round: said at the take-off form's inputs
    // (not the apply form's), its dates kept, nothing removed.
    for (from, to, field, said) in [
        ("soon", days[2], "off-from", "Choose a date"),
        (days[2], days[0], "off-to", "must not be before"),
    ] {
        let r = post(
            &app,
            &off_to,
            &ann,
            None,
            Some(&csrf),
            &[("from", from), ("to", to), ("_once", off_once.as_str())],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(said), "{}", r.body);
        let at = r.body.find(&format!("id=\"{field}\"")).unwrap();
        let next_field = r.body[at..].find("</div>").unwrap();
        assert!(
            r.body[at..at + next_field].contains("class=\"error\""),
            "{}",
            r.body
        );
        let apply_form = r.body.find(&format!("action=\"{apply_to}\"")).unwrap();
        let off_form = r.body.find(&format!("action=\"{off_to}\"")).unwrap();
        assert!(
            !r.body[apply_form..off_form].contains("class=\"error\""),
            "{}",
            r.body
        );
        assert!(r.body.contains(&format!("value=\"{from}\"")), "{}", r.body);
        assert!(
            r.body.contains("<details class=\"weekday-targets\" open>"),
            "{}",
            r.body
        );
    }
    for day in days {
        assert_eq!(entries(day).await, 1, "{day}");
    }

    // Someone the plan is not shared with: a 404 page, Ann's diary as it was.
    let bob_csrf = token(&app, &bob, "/plans").await;
    let r = post(
        &app,
        &off_to,
        &bob,
        None,
        Some(&bob_csrf),
        &[("from", days[0]), ("to", days[2])],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    for day in days {
        assert_eq!(entries(day).await, 1, "{day}");
    }

    // One of the planned entries changed since (another amount): it stays.
    let day = app.get(&format!("/api/v1/diary/{}", days[1]), &ann).await;
    let changed = day.body["meals"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["entries"].as_array().unwrap().clone())
        .next()
        .expect("the planned entry");
    let r = app
        .put(
            &format!("/api/v1/diary/{}", changed["id"].as_str().unwrap()),
            &ann,
            serde_json::json!({"quantity": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Taken off the three days and one it never was on.
    let fields = [
        ("from", days[0]),
        ("to", "2026-06-04"),
        ("_once", off_once.as_str()),
    ];
    let r = post(&app, &off_to, &ann, None, Some(&csrf), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location.starts_with(&format!("/plans/{id}?")),
        "{}",
        r.location
    );
    let shown = get(&app, &r.location, &ann, None).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains(
            "Diary entries removed: 2, from 3 days. 1 entry changed since was kept. \
             1 of the days did not have this plan."
        ),
        "{}",
        shown.body
    );
    for day in days {
        let left = if day == days[1] { 1 } else { 0 };
        assert_eq!(entries(day).await, left, "{day}");
    }
    // The same form sent again (its answer lost): the same answer, nothing more.
    let again = post(&app, &off_to, &ann, None, Some(&csrf), &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(again.location, r.location);

    // Numbers made up, or vouched for by an apply's mark, show no notice.
    for forged in [
        r.location
            .replacen("removed_entries=2", "removed_entries=300", 1),
        r.location.replacen("kept=1", "kept=0", 1),
        format!("/plans/{id}?removed_entries=2&removed_days=3&not_applied=0"),
        format!("/plans/{id}?removed_entries=2&removed_days=3&not_applied=0&mark={apply_mark}"),
    ] {
        let page = get(&app, &forged, &ann, None).await;
        assert_eq!(page.status, StatusCode::OK, "{forged}");
        assert!(!page.body.contains("removed:"), "{forged}: {}", page.body);
        assert!(
            !page.body.contains("nothing changed"),
            "{forged}: {}",
            page.body
        );
    }

    // A new take-off of the same days finds nothing to remove, and says so.
    let page = get(&app, &format!("/plans/{id}"), &ann, None).await;
    let once = page.once_of(&off_to);
    let r = post(
        &app,
        &off_to,
        &ann,
        None,
        Some(&csrf),
        &[("from", days[0]), ("to", days[2]), ("_once", once.as_str())],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let shown = get(&app, &r.location, &ann, None).await;
    assert!(
        shown
            .body
            .contains("This plan was not applied to any of those days; nothing changed."),
        "{}",
        shown.body
    );

    // The days may have the plan again.
    let r = post(
        &app,
        &apply_to,
        &ann,
        None,
        Some(&csrf),
        &[("from", days[0]), ("to", days[0])],
    )
    .await;
    let shown = get(&app, &r.location, &ann, None).await;
    assert!(
        shown
            .body
            .contains("Diary entries added: 1, on 1 day (days that already had this plan: 0)"),
        "{}",
        shown.body
    );
}

/// The shopping list page: the plan's foods over the days asked for (a week from today when
/// none are), amounts as a shop sells them, the text download, a bad range shown at its field
/// with a 422, a food_list grantee's list of the grantor's plan, a stranger's 404.
#[tokio::test]
async fn the_shopping_list_page_adds_up_the_plan() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let (oats_id, _) = oats(&app, &ann).await;
    let csrf = token(&app, &ann, "/plans").await;
    let id = new_plan(&app, &ann, &csrf, "Porridge week").await;
    let r = app
        .post(
            &format!("/api/v1/meal-plan-templates/{id}/items"),
            &ann,
            json!({"food_item_id": oats_id, "quantity": 200, "unit": "g", "meal_type": "breakfast"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let plan = get(&app, &format!("/plans/{id}"), &ann, None).await;
    assert!(
        plan.body
            .contains(&format!("href=\"/plans/{id}/shopping\"")),
        "{}",
        plan.body
    );
    // A week of 200 g a day is 1.4 kg.
    let page = get(&app, &format!("/plans/{id}/shopping"), &ann, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("<b>1.4 kg</b> Rolled oats"),
        "{}",
        page.body
    );
    let two = get(
        &app,
        &format!("/plans/{id}/shopping?from=2026-07-06&to=2026-07-07"),
        &ann,
        None,
    )
    .await;
    assert!(
        two.body.contains("<b>400 g</b> Rolled oats"),
        "{}",
        two.body
    );
    assert!(two.body.contains("value=\"2026-07-07\""), "{}", two.body);
    let text = app
        .client
        .get(format!(
            "{}/plans/{id}/shopping?from=2026-07-06&to=2026-07-07&format=text",
            app.base
        ))
        .header(reqwest::header::COOKIE, pages_kit::cookie_of(&ann, None))
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), StatusCode::OK);
    assert!(text.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(
        text.text().await.unwrap(),
        "Porridge week: 2026-07-06 to 2026-07-07\n\n- 400 g Rolled oats\n"
    );
    // Bad ranges: shown at the field, 422, no list.
    for (query, field) in [
        ("from=2026-07-06&to=2026-07-05", "sh-to"),
        ("from=2026-07-01&to=2026-08-15", "sh-to"),
        ("from=2026-13-01", "sh-from"),
    ] {
        let r = get(&app, &format!("/plans/{id}/shopping?{query}"), &ann, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
        let at = r.body.find(&format!("id=\"{field}\"")).unwrap();
        assert!(
            r.body[at..].contains("class=\"error\""),
            "{query}: {}",
            r.body
        );
        assert!(!r.body.contains("Rolled oats</span>"), "{query}");
    }
    // A food_list grantee shops for the grantor's plan; anyone else gets a 404.
    grant(&app, &ann, "bob@example.com", "food_list").await;
    let shared = get(&app, &format!("/plans/{id}/shopping"), &bob, Some(&ann_id)).await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.body);
    assert!(
        shared.body.contains("<b>1.4 kg</b> Rolled oats"),
        "{}",
        shared.body
    );
    let stranger = get(&app, &format!("/plans/{id}/shopping"), &cat, None).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND, "{}", stranger.body);
}
