//! A hostile browser: every form the web app posts to gets forms of random field names and
//! values (NUL, huge and negative numbers, impossible dates, long text, other people's and
//! random ids), own and viewing a family member. No answer may be a 5xx, a refused form (422)
//! must say why on the page (checked by the kit for every post), and afterwards the derived
//! day totals still equal the diaries and the session still works.

mod common;
mod pages_kit;

use common::TestApp;
use pages_kit::{get, grant, post};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::json;

/// Every route that takes a form (`/signout` left out: it ends the session under test).
const ROUTES: &[&str] = &[
    "/add/copy",
    "/add/create",
    "/add/log",
    "/add/quick",
    "/checkin",
    "/checkin/entry/{id}",
    "/checkin/entry/{id}/delete",
    "/checkin/types",
    "/checkin/water",
    "/diary/restore",
    "/diary/{id}",
    "/diary/{id}/delete",
    "/exercise/log",
    "/exercise/workout/{id}/delete",
    "/goals/targets",
    "/goals/weight",
    "/goals/{id}/delete",
    "/goals/{id}/status",
    "/onboarding",
    "/onboarding/skip",
    "/plans",
    "/plans/{id}",
    "/plans/{id}/apply",
    "/plans/{id}/delete",
    "/plans/{id}/items",
    "/plans/{id}/items/{id}/delete",
    "/recipes",
    "/recipes/from-meal",
    "/recipes/{id}",
    "/recipes/{id}/copy",
    "/recipes/{id}/delete",
    "/recipes/{id}/ingredients",
    "/recipes/{id}/ingredients/{id}",
    "/settings/assistant",
    "/settings/family",
    "/settings/family/{id}/revoke",
    "/settings/keys",
    "/settings/keys/{id}/revoke",
    "/settings/password",
    "/settings/preferences",
    "/settings/profile",
    "/settings/sessions/others/end",
    "/viewing",
    "/water",
    "/weight",
];

/// The field names the web app's forms use.
const FIELDS: &[&str] = &[
    "access_type",
    "action",
    "activity",
    "add_sets",
    "amount",
    "barcode",
    "birth_date",
    "brand",
    "calories",
    "carbohydrates",
    "category",
    "code",
    "cooked_weight_g",
    "current_password",
    "date",
    "day",
    "description",
    "dimension",
    "direction",
    "distance",
    "duration",
    "email",
    "entry",
    "equipment",
    "exercise_eat_back_percent",
    "exercise_id",
    "fat",
    "fiber",
    "food_item_id",
    "from",
    "from_date",
    "from_user",
    "full_name",
    "goal",
    "goal_type",
    "height",
    "height_unit",
    "kind",
    "meal",
    "meal_override",
    "ml",
    "muscle",
    "name",
    "new_password",
    "next",
    "note",
    "notes",
    "protein",
    "q",
    "quantity",
    "serving_id",
    "servings",
    "set_rows",
    "sex",
    "size",
    "sodium",
    "status",
    "sugar",
    "target",
    "target_calories",
    "target_date",
    "theme",
    "timezone",
    "to",
    "to_date",
    "type",
    "unit",
    "units_system",
    "user_id",
    "value",
    "water_target",
    "week_start",
    "weekdays",
    "weight",
    "weight_g",
    "weight_unit",
    "with_calorie_target",
];

const VALUES: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "a\u{0}b",
    "-1",
    "0",
    "1",
    "2.5",
    "1,5",
    "1e400",
    "NaN",
    "inf",
    "99999999999999999999999999999",
    "-99999999999999999999",
    "2026-03-01",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "breakfast",
    "dinner",
    "serving",
    "g",
    "cup",
    "metric",
    "imperial",
    "dark",
    "Europe/Paris",
    "Not/AZone",
    "<script>alert(1)</script>",
    "é🍎",
    "true",
    "on",
    "monday",
    "calorie",
    "reports",
    "food_list",
    "checkin",
    "weight",
    "kg",
];

fn value(rng: &mut StdRng, ids: &[String]) -> String {
    match rng.random_range(0..10) {
        0 => "x".repeat(rng.random_range(256..5000)),
        1 | 2 => ids[rng.random_range(0..ids.len())].clone(),
        _ => VALUES[rng.random_range(0..VALUES.len())].to_string(),
    }
}

fn id_of(v: &serde_json::Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

#[tokio::test]
async fn random_forms_never_answer_5xx_and_change_nothing_they_should_not() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;

    // Something of each kind for the ids: a food with a serving, a diary entry, a recipe with
    // an ingredient, a meal plan with an item, a measurement, a workout, a goal, a grant.
    let food = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Oats", "servings": [
                {"size": 100, "unit": "g", "nutrients": {"calories": 379, "protein": 13}}]}),
        )
        .await;
    assert_eq!(food.status, StatusCode::CREATED, "{:?}", food.body);
    let food_id = id_of(&food.body);
    let serving_id = id_of(&food.body["servings"][0]);
    let entry = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": food_id, "quantity": 50, "unit": "g",
                   "meal_type": "breakfast", "date": "2026-03-01"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let recipe = app
        .post(
            "/api/v1/recipes",
            &ann,
            json!({"name": "Porridge", "servings": 2, "ingredients": [
                {"food_item_id": food_id, "quantity": 80, "unit": "g"}]}),
        )
        .await;
    assert_eq!(recipe.status, StatusCode::CREATED, "{:?}", recipe.body);
    let plan = app
        .post("/api/v1/meal-plan-templates", &ann, json!({"name": "Plan"}))
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{:?}", plan.body);
    let plan_id = id_of(&plan.body);
    let item = app
        .post(
            &format!("/api/v1/meal-plan-templates/{plan_id}/items"),
            &ann,
            json!({"food_item_id": food_id, "quantity": 50, "unit": "g", "meal_type": "lunch"}),
        )
        .await;
    assert_eq!(item.status, StatusCode::CREATED, "{:?}", item.body);
    let weight = app
        .post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 70, "unit": "kg", "measured_at": "2026-03-01T08:00:00Z"}),
        )
        .await;
    assert_eq!(weight.status, StatusCode::CREATED, "{:?}", weight.body);
    grant(&app, &bob, "ann@example.com", "calorie").await;
    grant(&app, &ann, "bob@example.com", "reports").await;

    let mut ids = vec![
        ann_id.clone(),
        bob_id.clone(),
        food_id,
        serving_id,
        id_of(&entry.body),
        id_of(&recipe.body),
        id_of(&recipe.body["ingredients"][0]),
        plan_id,
        id_of(&item.body),
        id_of(&weight.body),
        uuid::Uuid::new_v4().to_string(),
    ];
    ids.push("not-a-uuid".into());

    let seed = std::env::var("PAGES_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("PAGES_FUZZ_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let csrf = get(&app, "/", &ann, None).await.csrf();
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..24 {
        // Every third round as Ann viewing Bob's data (he shares his diary with her).
        let viewing = (round % 3 == 2).then_some(bob_id.as_str());
        for route in ROUTES {
            let mut path = route.to_string();
            while path.contains("{id}") {
                let id = &ids[rng.random_range(0..ids.len())];
                path = path.replacen("{id}", id, 1);
            }
            let n = rng.random_range(0..14);
            let form: Vec<(String, String)> = (0..n)
                .map(|_| {
                    let f = FIELDS[rng.random_range(0..FIELDS.len())];
                    (f.to_string(), value(&mut rng, &ids))
                })
                .collect();
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            // Shown only when the test fails (the kit panics on a silent 422 inside post).
            eprintln!("POST {path} viewing {viewing:?}: {pairs:?}");
            let r = post(&app, &path, &ann, viewing, Some(&csrf), &pairs).await;
            assert!(
                r.status.as_u16() < 500,
                "seed {seed}: POST {path} {pairs:?} answered {}: {}",
                r.status,
                r.body
            );
            // On one's own data every page says why it refused, in its own words; the
            // general reason is only for forms that a viewed person's page does not show.
            assert!(
                viewing.is_some() || !r.body.contains("data-unexplained"),
                "seed {seed}: POST {path} {pairs:?} was refused without its page's reason: {}",
                r.body
            );
            *answered.entry(r.status.as_u16()).or_default() += 1;
        }
    }
    println!("answers by status: {answered:?}");
    // Most forms were refused, but some did get through; the run exercised both.
    assert!(answered.keys().any(|s| (400..500).contains(s)));
    assert!(answered.contains_key(&303), "{answered:?}");

    // Nothing was corrupted: derived rows equal their sources, and Ann is still signed in.
    common::assert_day_totals_match_diary(&app).await;
    let me = app.get("/api/v1/me", &ann).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
}

/// The forms each page really shows, as (action, fields with the values the page filled in).
fn forms_of(page: &str) -> Vec<(String, Vec<(String, String)>)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!(" {name}=\"");
        let start = tag.find(&key)? + key.len();
        Some(tag[start..].split('"').next()?.replace("&amp;", "&"))
    };
    let mut out = Vec::new();
    for chunk in page.split("<form").skip(1) {
        let Some(end) = chunk.find("</form>") else {
            continue;
        };
        let form = &chunk[..end];
        let head = form.split('>').next().unwrap_or_default();
        if !head.contains("method=\"post\"") {
            continue;
        }
        let Some(action) = attr(head, "action") else {
            continue;
        };
        let mut fields = Vec::new();
        for tag in form.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap_or_default();
            if !(tag.starts_with("input")
                || tag.starts_with("select")
                || tag.starts_with("textarea"))
            {
                continue;
            }
            if let Some(name) = attr(tag, "name") {
                fields.push((name, attr(tag, "value").unwrap_or_default()));
            }
        }
        out.push((action, fields));
    }
    out
}

/// Every form of the app's pages, sent back with some of its values swapped for hostile ones
/// (or left out): the handlers' own paths, not only their form parsing, get the bad input.
#[tokio::test]
async fn the_pages_own_forms_with_hostile_values_never_answer_5xx() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let food = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Oats", "servings": [
                {"size": 100, "unit": "g", "nutrients": {"calories": 379, "protein": 13}}]}),
        )
        .await;
    let food_id = id_of(&food.body);
    for date in ["2026-03-01", "2026-03-02"] {
        let r = app
            .post(
                "/api/v1/diary",
                &ann,
                json!({"food_item_id": food_id, "quantity": 50, "unit": "g",
                       "meal_type": "breakfast", "date": date}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let recipe = app
        .post(
            "/api/v1/recipes",
            &ann,
            json!({"name": "Porridge", "servings": 2, "ingredients": [
                {"food_item_id": food_id, "quantity": 80, "unit": "g"}]}),
        )
        .await;
    let plan = app
        .post("/api/v1/meal-plan-templates", &ann, json!({"name": "Plan"}))
        .await;
    let plan_id = id_of(&plan.body);
    app.post(
        &format!("/api/v1/meal-plan-templates/{plan_id}/items"),
        &ann,
        json!({"food_item_id": food_id, "quantity": 50, "unit": "g", "meal_type": "lunch"}),
    )
    .await;
    app.post(
        "/api/v1/measurements",
        &ann,
        json!({"type": "weight", "value": 70, "unit": "kg", "measured_at": "2026-03-01T08:00:00Z"}),
    )
    .await;
    grant(&app, &bob, "ann@example.com", "calorie").await;
    grant(&app, &ann, "bob@example.com", "reports").await;

    let pages = [
        "/".to_string(),
        "/day/2026-03-01".into(),
        format!("/add?date=2026-03-01&meal=lunch&food={food_id}"),
        "/checkin".into(),
        "/exercise".into(),
        "/goals".into(),
        "/plans".into(),
        format!("/plans/{plan_id}"),
        "/recipes".into(),
        format!("/recipes/{}", id_of(&recipe.body)),
        format!("/recipes/{}?food={food_id}", id_of(&recipe.body)),
        "/settings".into(),
        "/settings/assistant".into(),
        "/settings/family".into(),
        "/settings/security".into(),
        "/onboarding".into(),
    ];
    let mut forms = Vec::new();
    for p in &pages {
        let page = get(&app, p, &ann, None).await;
        assert_eq!(page.status, StatusCode::OK, "{p}");
        forms.extend(forms_of(&page.body));
    }
    // Signing out, ending sessions and revoking keys would end the run, not test input.
    forms.retain(|(action, _)| {
        action != "/signout" && !action.contains("/sessions/") && action != "/viewing"
    });
    assert!(forms.len() >= 30, "only {} forms found", forms.len());

    let seed = std::env::var("PAGES_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("PAGES_FUZZ_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let ids = vec![
        ann_id.clone(),
        bob_id.clone(),
        food_id.clone(),
        uuid::Uuid::new_v4().to_string(),
    ];
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..6 {
        let viewing = (round % 3 == 2).then_some(bob_id.as_str());
        for (action, fields) in &forms {
            let mut sent: Vec<(String, String)> = Vec::new();
            for (name, v) in fields {
                match rng.random_range(0..10) {
                    _ if name == "_csrf" => sent.push((name.clone(), v.clone())),
                    0 => {}
                    1..=4 => sent.push((name.clone(), v.clone())),
                    _ => sent.push((name.clone(), value(&mut rng, &ids))),
                }
            }
            let pairs: Vec<(&str, &str)> =
                sent.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            eprintln!("POST {action} viewing {viewing:?}: {pairs:?}");
            let r = post(&app, action, &ann, viewing, None, &pairs).await;
            assert!(
                r.status.as_u16() < 500,
                "seed {seed}: POST {action} {pairs:?} answered {}: {}",
                r.status,
                r.body
            );
            assert!(
                viewing.is_some() || !r.body.contains("data-unexplained"),
                "seed {seed}: POST {action} {pairs:?} was refused without its page's reason: {}",
                r.body
            );
            *answered.entry(r.status.as_u16()).or_default() += 1;
        }
    }
    println!("{} forms; answers by status: {answered:?}", forms.len());
    assert!(answered.contains_key(&303), "{answered:?}");
    assert!(answered.contains_key(&422), "{answered:?}");
    common::assert_day_totals_match_diary(&app).await;
    assert_eq!(app.get("/api/v1/me", &ann).await.status, StatusCode::OK);
}

/// A form posted for someone whose page does not show it (here: Ann's weight-goal form, sent
/// while she views Bob, who shares only his diary) is refused with the general reason instead
/// of the page coming back without a word.
#[tokio::test]
async fn a_refusal_without_a_place_on_its_page_is_said_in_general_words() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    grant(&app, &bob, "ann@example.com", "calorie").await;
    let csrf = get(&app, "/goals", &ann, None).await.csrf();
    let r = post(
        &app,
        "/goals/weight",
        &ann,
        Some(&bob_id),
        Some(&csrf),
        &[("from", "soon")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("data-unexplained"), "{}", r.body);
    assert!(r.body.contains("That was not saved"), "{}", r.body);
    // Inside the page's main area, once.
    let main = r.body.find("<main id=\"main\">").expect("a page");
    let alert = r.body.find("data-unexplained").unwrap();
    assert!(alert > main, "{}", r.body);
    assert_eq!(r.body.matches("data-unexplained").count(), 1);
    // On her own goals page the same form's refusal is the page's own.
    let r = post(
        &app,
        "/goals/weight",
        &ann,
        None,
        Some(&csrf),
        &[("from", "soon")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(!r.body.contains("data-unexplained"), "{}", r.body);
}
