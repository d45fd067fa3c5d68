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
    "/exercise/copy",
    "/exercise/log",
    "/exercise/mine/{id}",
    "/exercise/mine/{id}/delete",
    "/exercise/new",
    "/exercise/workout/{id}",
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
    "/plans/{id}/unapply",
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
    "/settings/accounts",
    "/settings/accounts/signups",
    "/settings/accounts/{id}/cancel-link",
    "/settings/accounts/{id}/delete",
    "/settings/accounts/{id}/demote",
    "/settings/accounts/{id}/disable",
    "/settings/accounts/{id}/email-link",
    "/settings/accounts/{id}/enable",
    "/settings/accounts/{id}/link",
    "/settings/accounts/{id}/password",
    "/settings/accounts/{id}/promote",
    "/settings/assistant",
    "/settings/custom-nutrients",
    "/settings/custom-nutrients/{id}",
    "/settings/custom-nutrients/{id}/delete",
    "/settings/family",
    "/settings/family/{id}/revoke",
    "/settings/import",
    "/settings/import-from",
    "/settings/keys",
    "/settings/keys/{id}/revoke",
    "/settings/password",
    "/settings/preferences",
    "/settings/profile",
    "/settings/sessions/others/end",
    "/set-password",
    "/forgot-password",
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
    "daily_max",
    "daily_min",
    "date",
    "day",
    "description",
    "dimension",
    "direction",
    "distance",
    "duration",
    "email",
    "email_link",
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
    "is_admin",
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
    "open",
    "password",
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
    "token",
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
    "instructions",
    "met_value",
    "muscle_groups",
    "diary_of",
    "day_0",
    "day_6",
    "unit_was",
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

/// Ann and Bob (Bob shares his diary with Ann, Ann her reports with Bob), and something of
/// each kind of Ann's for the forms to point at.
struct Seeded {
    app: TestApp,
    ann: common::As,
    bob_id: String,
    food_id: String,
    plan_id: String,
    recipe_id: String,
    /// Ann's and Bob's ids and those of Ann's rows, a random one and a malformed one.
    ids: Vec<String>,
}

async fn seed() -> Seeded {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let created = |r: common::Response| {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body
    };
    let food = created(
        app.post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Oats", "servings": [
                {"size": 100, "unit": "g", "nutrients": {"calories": 379, "protein": 13}}]}),
        )
        .await,
    );
    let food_id = id_of(&food);
    // A custom nutrient of Ann's, for the settings forms and the food forms' inputs.
    let caffeine = created(
        app.post(
            "/api/v1/custom-nutrients",
            &ann,
            json!({"name": "Caffeine", "unit": "mg"}),
        )
        .await,
    );
    let mut ids = vec![
        id_of(&caffeine),
        ann_id.clone(),
        bob_id.clone(),
        food_id.clone(),
        id_of(&food["servings"][0]),
    ];
    for date in ["2026-03-01", "2026-03-02"] {
        let entry = app
            .post(
                "/api/v1/diary",
                &ann,
                json!({"food_item_id": food_id, "quantity": 50, "unit": "g",
                       "meal_type": "breakfast", "date": date}),
            )
            .await;
        ids.push(id_of(&created(entry)));
    }
    let recipe = created(
        app.post(
            "/api/v1/recipes",
            &ann,
            json!({"name": "Porridge", "servings": 2, "ingredients": [
                {"food_item_id": food_id, "quantity": 80, "unit": "g"}]}),
        )
        .await,
    );
    let plan = created(
        app.post("/api/v1/meal-plan-templates", &ann, json!({"name": "Plan"}))
            .await,
    );
    let plan_id = id_of(&plan);
    let item = created(
        app.post(
            &format!("/api/v1/meal-plan-templates/{plan_id}/items"),
            &ann,
            json!({"food_item_id": food_id, "quantity": 50, "unit": "g", "meal_type": "lunch"}),
        )
        .await,
    );
    let weight = created(
        app.post(
            "/api/v1/measurements",
            &ann,
            json!({"type": "weight", "value": 70, "unit": "kg",
                   "measured_at": "2026-03-01T08:00:00Z"}),
        )
        .await,
    );
    // Ann's own exercise and Bob's (his is not hers to change, nor hers his).
    let mut exercises = Vec::new();
    for who in [&ann, &bob] {
        let e = created(
            app.post(
                "/api/v1/exercises",
                who,
                json!({"name": "Sled push", "category": "strength", "met_value": 6}),
            )
            .await,
        );
        exercises.push(id_of(&e));
    }
    grant(&app, &bob, "ann@example.com", "calorie").await;
    grant(&app, &ann, "bob@example.com", "reports").await;
    let recipe_id = id_of(&recipe);
    ids.extend(exercises);
    ids.extend([
        recipe_id.clone(),
        id_of(&recipe["ingredients"][0]),
        plan_id.clone(),
        id_of(&item),
        id_of(&weight),
        uuid::Uuid::new_v4().to_string(),
        "not-a-uuid".into(),
    ]);
    Seeded {
        app,
        ann,
        bob_id,
        food_id,
        plan_id,
        recipe_id,
        ids,
    }
}

/// The run's seed: `PAGES_FUZZ_SEED` to repeat one, else random (printed).
fn seeded_rng() -> (u64, StdRng) {
    let seed = std::env::var("PAGES_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("PAGES_FUZZ_SEED={seed}");
    (seed, StdRng::seed_from_u64(seed))
}

/// Posts one form as Ann (viewing Bob or not) and checks the answer: never a 5xx, and on
/// her own data a refusal in the page's own words (the kit checks that every 422 says why).
async fn send(
    s: &Seeded,
    seed: u64,
    path: &str,
    viewing: Option<&str>,
    form: &[(String, String)],
    answered: &mut std::collections::BTreeMap<u16, usize>,
) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Shown only when the test fails (the kit panics on a silent 422 inside post).
    eprintln!("POST {path} viewing {viewing:?}: {pairs:?}");
    let r = post(&s.app, path, &s.ann, viewing, None, &pairs).await;
    assert!(
        r.status.as_u16() < 500,
        "seed {seed}: POST {path} {pairs:?} answered {}: {}",
        r.status,
        r.body
    );
    assert!(
        viewing.is_some() || !r.body.contains("data-unexplained"),
        "seed {seed}: POST {path} {pairs:?} was refused without its page's reason: {}",
        r.body
    );
    *answered.entry(r.status.as_u16()).or_default() += 1;
}

/// Nothing was corrupted: derived rows equal their sources, and Ann is still signed in.
async fn still_whole(s: &Seeded) {
    common::assert_day_totals_match_diary(&s.app).await;
    let me = s.app.get("/api/v1/me", &s.ann).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
}

#[tokio::test]
async fn random_forms_never_answer_5xx_and_change_nothing_they_should_not() {
    let s = seed().await;
    let (seed, mut rng) = seeded_rng();
    let csrf = get(&s.app, "/", &s.ann, None).await.csrf();
    let mut answered = std::collections::BTreeMap::new();
    for round in 0..24 {
        // Every third round as Ann viewing Bob's data (he shares his diary with her).
        let viewing = (round % 3 == 2).then_some(s.bob_id.as_str());
        for route in ROUTES {
            let mut path = route.to_string();
            while path.contains("{id}") {
                let id = &s.ids[rng.random_range(0..s.ids.len())];
                path = path.replacen("{id}", id, 1);
            }
            let mut form = vec![("_csrf".to_string(), csrf.clone())];
            for _ in 0..rng.random_range(0..14) {
                let f = FIELDS[rng.random_range(0..FIELDS.len())];
                form.push((f.to_string(), value(&mut rng, &s.ids)));
            }
            send(&s, seed, &path, viewing, &form, &mut answered).await;
        }
    }
    println!("answers by status: {answered:?}");
    // Most forms were refused, but some did get through; the run exercised both.
    assert!(answered.keys().any(|s| (400..500).contains(s)));
    assert!(answered.contains_key(&303), "{answered:?}");
    still_whole(&s).await;
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
    let s = seed().await;
    let pages = [
        "/".to_string(),
        "/day/2026-03-01".into(),
        format!("/add?date=2026-03-01&meal=lunch&food={}", s.food_id),
        "/add?date=2026-03-01&meal=lunch&tab=create".into(),
        format!("/foods/{}", s.food_id),
        "/checkin".into(),
        "/exercise".into(),
        "/exercise/new?name=Sled+push".into(),
        "/goals".into(),
        "/plans".into(),
        format!("/plans/{}", s.plan_id),
        "/recipes".into(),
        format!("/recipes/{}", s.recipe_id),
        format!("/recipes/{}?food={}", s.recipe_id, s.food_id),
        "/settings".into(),
        "/settings/accounts".into(),
        "/settings/assistant".into(),
        "/settings/family".into(),
        "/settings/security".into(),
        "/onboarding".into(),
    ];
    let mut forms = Vec::new();
    for p in &pages {
        let page = get(&s.app, p, &s.ann, None).await;
        assert_eq!(page.status, StatusCode::OK, "{p}");
        forms.extend(forms_of(&page.body));
    }
    // Signing out, ending sessions and revoking keys would end the run, not test input.
    forms.retain(|(action, _)| {
        action != "/signout" && !action.contains("/sessions/") && action != "/viewing"
    });
    assert!(forms.len() >= 30, "only {} forms found", forms.len());

    let (seed, mut rng) = seeded_rng();
    let mut answered = std::collections::BTreeMap::new();
    for round in 0..6 {
        let viewing = (round % 3 == 2).then_some(s.bob_id.as_str());
        for (action, fields) in &forms {
            let mut form: Vec<(String, String)> = Vec::new();
            for (name, v) in fields {
                match rng.random_range(0..10) {
                    _ if name == "_csrf" => form.push((name.clone(), v.clone())),
                    0 => {}
                    1..=4 => form.push((name.clone(), v.clone())),
                    _ => form.push((name.clone(), value(&mut rng, &s.ids))),
                }
            }
            send(&s, seed, action, viewing, &form, &mut answered).await;
        }
    }
    println!("{} forms; answers by status: {answered:?}", forms.len());
    assert!(answered.contains_key(&303), "{answered:?}");
    assert!(answered.contains_key(&422), "{answered:?}");
    still_whole(&s).await;
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

/// Every page a browser can ask for, with hostile query parameters (the ones the pages read,
/// and others): an answer, never a 5xx, and a 422 only with its reason.
#[tokio::test]
async fn pages_with_hostile_query_parameters_never_answer_5xx() {
    let s = seed().await;
    let (seed, mut rng) = seeded_rng();
    let pages = [
        "/".to_string(),
        "/day".into(),
        "/day/{date}".into(),
        "/add".into(),
        "/add/barcode".into(),
        "/add/food/{id}".into(),
        "/add/preview".into(),
        "/add/search".into(),
        "/checkin".into(),
        "/exercise".into(),
        "/exercise/estimate".into(),
        "/exercise/log/{id}".into(),
        "/exercise/mine/{id}".into(),
        "/exercise/new".into(),
        "/exercise/search".into(),
        "/goals".into(),
        "/onboarding".into(),
        "/plans".into(),
        "/plans/{id}".into(),
        "/plans/{id}/search".into(),
        "/recipes".into(),
        "/recipes/{id}".into(),
        "/recipes/{id}/search".into(),
        "/reports".into(),
        "/settings".into(),
        "/settings/accounts".into(),
        "/settings/assistant".into(),
        "/settings/family".into(),
        "/settings/security".into(),
        "/set-password".into(),
        "/forgot-password".into(),
    ];
    let params = [
        "date",
        "meal",
        "tab",
        "q",
        "food",
        "serving_id",
        "quantity",
        "unit",
        "days",
        "type",
        "cursor",
        "from",
        "to",
        "period",
        "by",
        "code",
        "next",
        "saved",
        "done",
        "exercise_id",
        "duration",
        "weight",
        "limit",
        "offset",
        "name",
        "servings",
        "token",
    ];
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for round in 0..8 {
        let viewing = (round % 3 == 2).then_some(s.bob_id.as_str());
        for page in &pages {
            let mut path = page.clone();
            while path.contains("{id}") {
                let id = s.ids[rng.random_range(0..s.ids.len())].clone();
                path = path.replacen("{id}", &id, 1);
            }
            path = path.replace("{date}", &value(&mut rng, &s.ids).replace('/', "%2F"));
            let query: Vec<(&str, String)> = (0..rng.random_range(0..6))
                .map(|_| {
                    let p = params[rng.random_range(0..params.len())];
                    (p, value(&mut rng, &s.ids))
                })
                .collect();
            let url = format!("{path}?{}", serde_urlencoded::to_string(&query).unwrap());
            eprintln!("GET {url} viewing {viewing:?}");
            let r = get(&s.app, &url, &s.ann, viewing).await;
            assert!(
                r.status.as_u16() < 500,
                "seed {seed}: GET {url} answered {}: {}",
                r.status,
                r.body
            );
            *answered.entry(r.status.as_u16()).or_default() += 1;
        }
    }
    println!("answers by status: {answered:?}");
    assert!(answered.contains_key(&200), "{answered:?}");
    still_whole(&s).await;
}
