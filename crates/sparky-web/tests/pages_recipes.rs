//! The recipe pages (`/recipes`, `/recipes/{id}`) as a browser without JavaScript uses them:
//! create a recipe, find foods and add them as ingredients, remove one, change the servings
//! and cooked weight, log a serving, delete it; bad input re-renders with the field marked and
//! changes nothing; sign-in, CSRF and family grants.

mod common;
mod pages_kit;

use common::{As, TestApp};
use pages_kit::{get, grant, post, token};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn recipe(app: &TestApp, who: &As, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/recipes/{id}"), who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// Rolled oats (100 g = 379 kcal; 1 cup = 81 g = 307 kcal) and milk (100 ml = 42 kcal).
async fn foods(app: &TestApp, who: &As) -> (String, String, String) {
    let oats = app
        .post(
            "/api/v1/foods",
            who,
            json!({"name": "Rolled oats", "servings": [
                {"size": 100, "unit": "g", "nutrients": {"calories": 379, "protein": 13}},
                {"size": 1, "unit": "cup", "weight_g": 81, "nutrients": {"calories": 307, "protein": 10.5}}
            ]}),
        )
        .await;
    assert_eq!(oats.status, StatusCode::CREATED);
    let milk = app
        .post(
            "/api/v1/foods",
            who,
            json!({"name": "Milk", "servings": [{"size": 100, "unit": "ml", "nutrients": {"calories": 42, "protein": 3.4}}]}),
        )
        .await;
    assert_eq!(milk.status, StatusCode::CREATED);
    (
        oats.body["id"].as_str().unwrap().to_string(),
        oats.body["servings"][1]["id"].as_str().unwrap().to_string(),
        milk.body["id"].as_str().unwrap().to_string(),
    )
}

async fn new_recipe(app: &TestApp, who: &As, csrf: &str, name: &str, servings: &str) -> String {
    let r = post(
        app,
        "/recipes",
        who,
        None,
        Some(csrf),
        &[("name", name), ("servings", servings)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location.trim_start_matches("/recipes/").to_string()
}

#[tokio::test]
async fn a_recipe_is_built_from_found_foods_changed_logged_and_deleted() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (oats, cup, milk) = foods(&app, &ann).await;
    let csrf = token(&app, &ann, "/recipes").await;
    let list = get(&app, "/recipes", &ann, None).await;
    assert!(list.body.contains("No recipes yet"), "{}", list.body);

    let id = new_recipe(&app, &ann, &csrf, "Porridge", "2").await;
    let page = get(&app, &format!("/recipes/{id}"), &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No ingredients yet"), "{}", page.body);
    assert!(page.body.contains("Makes 2 servings"));

    // Find the oats and pick them: the serving picker lists the cup.
    let found = get(&app, &format!("/recipes/{id}?q=oats"), &ann, None).await;
    assert!(
        found.body.contains(&format!("/recipes/{id}?food={oats}")),
        "{}",
        found.body
    );
    let frag = get(&app, &format!("/recipes/{id}/search?q=milk"), &ann, None).await;
    assert!(
        frag.body.contains(&format!("/recipes/{id}?food={milk}")),
        "{}",
        frag.body
    );
    let picked = get(&app, &format!("/recipes/{id}?food={oats}"), &ann, None).await;
    assert!(picked.body.contains("1 cup (81 g)"), "{}", picked.body);

    // Two cups of oats and 500 ml of milk (typed with its unit): 614 + 210 = 824 kcal, 412
    // a serving.
    for (food, serving, q) in [(&oats, cup.as_str(), "2"), (&milk, "", "500 ml")] {
        let r = post(
            &app,
            &format!("/recipes/{id}/ingredients"),
            &ann,
            None,
            Some(&csrf),
            &[
                ("food_item_id", food),
                ("serving_id", serving),
                ("quantity", q),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = recipe(&app, &ann, &id).await;
    assert_eq!(r["per_serving"]["calories"], json!(412.0));
    let page = get(&app, &format!("/recipes/{id}"), &ann, None).await;
    assert!(page.body.contains("412 kcal"), "{}", page.body);
    assert!(page.body.contains("Rolled oats"));
    // Two of the cup serving say what they weigh.
    assert!(page.body.contains("2 servings (162 g)"), "{}", page.body);
    assert!(page.body.contains(&format!("href=\"/add/food/{id}\"")));
    // "Log a serving" opens the recipe in the add-food picker, in servings.
    let pick = get(&app, &format!("/add/food/{id}"), &ann, None).await;
    assert_eq!(pick.status, StatusCode::OK);
    assert!(pick.body.contains("Porridge"), "{}", pick.body);
    assert!(pick.body.contains("1 serving"), "{}", pick.body);

    // A bad amount re-renders the picked food with the field marked; nothing is added.
    let r = post(
        &app,
        &format!("/recipes/{id}/ingredients"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("food_item_id", &oats),
            ("serving_id", ""),
            ("quantity", "lots"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("value=\"lots\""));
    assert_eq!(
        recipe(&app, &ann, &id).await["ingredients"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Four servings, weighed at 1 kg: 206 kcal and 250 g a serving.
    let r = post(
        &app,
        &format!("/recipes/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("name", "Big porridge"),
            ("servings", "4"),
            ("cooked_weight_g", "1000"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = recipe(&app, &ann, &id).await;
    assert_eq!(r["name"], "Big porridge");
    assert_eq!(r["per_serving"]["calories"], json!(206.0));
    assert_eq!(r["serving_weight_g"], json!(250.0));
    // Bad servings and weight re-render what was typed; nothing changes.
    let r = post(
        &app,
        &format!("/recipes/{id}"),
        &ann,
        None,
        Some(&csrf),
        &[
            ("name", "x"),
            ("servings", "0"),
            ("cooked_weight_g", "heavy"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("value=\"heavy\""));
    assert_eq!(recipe(&app, &ann, &id).await["name"], "Big porridge");

    // Half the milk (250 ml, in the unit it has): 614 + 105 = 719 kcal, 179.75 a serving; a
    // bad amount re-renders and changes nothing.
    let ingredient = recipe(&app, &ann, &id).await["ingredients"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = get(&app, &format!("/recipes/{id}"), &ann, None).await;
    assert!(page.body.contains(&format!(
        "action=\"/recipes/{id}/ingredients/{ingredient}\""
    )));
    let r = post(
        &app,
        &format!("/recipes/{id}/ingredients/{ingredient}"),
        &ann,
        None,
        Some(&csrf),
        &[("quantity", "250")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        recipe(&app, &ann, &id).await["per_serving"]["calories"],
        json!(179.75)
    );
    let r = post(
        &app,
        &format!("/recipes/{id}/ingredients/{ingredient}"),
        &ann,
        None,
        Some(&csrf),
        &[("quantity", "-1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        recipe(&app, &ann, &id).await["per_serving"]["calories"],
        json!(179.75)
    );
    // The refusal is shown in that ingredient's form, opened, with what was typed.
    assert!(
        r.body
            .contains(&format!("<p class=\"form-error\" id=\"e-{ingredient}\"")),
        "{}",
        r.body
    );
    assert!(r.body.contains("<details open>"), "{}", r.body);
    assert!(r.body.contains("value=\"-1\""), "{}", r.body);

    // The same milk in another unit (250 ml): the calories stay, the unit is kept; a unit the
    // food cannot be measured in is refused in the ingredient's form and changes nothing.
    let r = post(
        &app,
        &format!("/recipes/{id}/ingredients/{ingredient}"),
        &ann,
        None,
        Some(&csrf),
        &[("quantity", "250"), ("unit", "ml")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = recipe(&app, &ann, &id).await;
    assert_eq!(after["per_serving"]["calories"], json!(179.75));
    assert_eq!(after["ingredients"][1]["unit"], "ml");
    assert_eq!(after["ingredients"][1]["quantity"], json!(250.0));
    let r = post(
        &app,
        &format!("/recipes/{id}/ingredients/{ingredient}"),
        &ann,
        None,
        Some(&csrf),
        &[("quantity", "2"), ("unit", "bucket")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains(&format!("id=\"e-{ingredient}\"")),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"bucket\""), "{}", r.body);
    assert_eq!(
        recipe(&app, &ann, &id).await["ingredients"][1]["unit"],
        "ml"
    );

    // Remove the milk.
    let r = post(
        &app,
        &format!("/recipes/{id}/ingredients/{ingredient}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        recipe(&app, &ann, &id).await["per_serving"]["calories"],
        json!(153.5)
    );

    // Listed with a serving's calories; a forged form without the token changes nothing.
    let list = get(&app, "/recipes", &ann, None).await;
    assert!(list.body.contains("Big porridge"));
    assert!(
        list.body
            .contains("154 kcal a serving · 4 servings · 1 ingredient<"),
        "{}",
        list.body
    );
    let r = post(
        &app,
        &format!("/recipes/{id}/delete"),
        &ann,
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Sent without the script's confirm=yes: a page asks, with the form to send again, and
    // nothing is deleted yet.
    let asked = post(
        &app,
        &format!("/recipes/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[],
    )
    .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains("<h1>Delete the recipe “Big porridge”?"),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains(&format!("action=\"/recipes/{id}/delete\""))
            && asked.body.contains("name=\"confirm\" value=\"yes\"")
            && asked.body.contains(&format!("href=\"/recipes/{id}\"")),
        "{}",
        asked.body
    );
    let still = app.get(&format!("/api/v1/recipes/{id}"), &ann).await;
    assert_eq!(still.status, StatusCode::OK, "{}", still.body);
    let r = post(
        &app,
        &format!("/recipes/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/recipes");
    let r = app.get(&format!("/api/v1/recipes/{id}"), &ann).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Without a session, the sign-in page.
    let r = get(&app, "/recipes", &As::Nobody, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/signin?next=%2Frecipes");
}

#[tokio::test]
async fn a_bad_new_recipe_rerenders_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = token(&app, &ann, "/recipes").await;
    for (name, servings) in [
        ("  ", "2"),
        ("Soup", "0"),
        ("Soup", "many"),
        ("Soup", "1001"),
    ] {
        let r = post(
            &app,
            "/recipes",
            &ann,
            None,
            Some(&csrf),
            &[("name", name), ("servings", servings)],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name} {servings}: {}",
            r.body
        );
        assert!(r.body.contains("aria-invalid=\"true\""));
    }
    let r = app.get("/api/v1/recipes", &ann).await;
    assert_eq!(r.body["items"], json!([]));
}

#[tokio::test]
async fn family_members_read_recipes_only_with_the_food_list_grant() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let csrf = token(&app, &ann, "/recipes").await;
    let id = new_recipe(&app, &ann, &csrf, "Ann's stew", "6").await;
    grant(&app, &ann, "bob@example.com", "food_list").await;
    grant(&app, &ann, "cat@example.com", "checkin").await;

    let list = get(&app, "/recipes", &bob, Some(&ann_id)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Ann&#39;s stew"), "{}", list.body);
    assert!(!list.body.contains("action=\"/recipes\""));
    let page = get(&app, &format!("/recipes/{id}"), &bob, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/delete"));
    assert!(!page.body.contains("/ingredients\""));
    // Foods are shared, her diary is not: nothing offers to log into it.
    assert!(
        !page.body.contains(&format!("/add/food/{id}")),
        "{}",
        page.body
    );
    for path in [
        format!("/add/food/{id}"),
        "/add?date=2026-12-05&meal=dinner&tab=copy".to_string(),
        "/add/search?q=stew".to_string(),
        "/add/barcode?code=4006381333931".to_string(),
    ] {
        let r = get(&app, &path, &bob, Some(&ann_id)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    // Her own view still offers it.
    let own_view = get(&app, &format!("/recipes/{id}"), &ann, None).await;
    assert!(own_view.body.contains(&format!("/add/food/{id}")));
    let bcsrf = page.csrf();
    let r = post(
        &app,
        &format!("/recipes/{id}"),
        &bob,
        Some(&ann_id),
        Some(&bcsrf),
        &[("name", "Bob's now"), ("servings", "1")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(recipe(&app, &ann, &id).await["name"], "Ann's stew");
    // "Copy to my recipes" makes it Bob's, to change as he likes.
    assert!(page.body.contains("Copy to my recipes"), "{}", page.body);
    let r = post(
        &app,
        &format!("/recipes/{id}/copy"),
        &bob,
        Some(&ann_id),
        Some(&bcsrf),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let copy = get(&app, &r.location, &bob, Some(&ann_id)).await;
    assert!(copy.body.contains("Ann&#39;s stew"), "{}", copy.body);
    assert!(copy.body.contains("/delete\""), "{}", copy.body);
    let own = get(&app, "/recipes", &bob, None).await;
    assert!(own.body.contains("Ann&#39;s stew"));
    // Bob's own list does not mix Ann's other recipes in.
    let id2 = new_recipe(&app, &ann, &csrf, "Ann's goulash", "4").await;
    assert!(!id2.is_empty());
    let own = get(&app, "/recipes", &bob, None).await;
    assert!(!own.body.contains("goulash"));

    let list = get(&app, "/recipes", &cat, Some(&ann_id)).await;
    assert!(list.body.contains("not shared with you"));
    assert!(!list.body.contains("stew"));
    let page = get(&app, &format!("/recipes/{id}"), &cat, Some(&ann_id)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_meal_on_today_is_saved_as_a_recipe() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (oats, cup, milk) = foods(&app, &ann).await;
    for body in [
        json!({"food_item_id": oats, "nutrition_data_id": cup, "quantity": 1, "unit": "cup",
               "meal_type": "breakfast", "date": "2026-03-01"}),
        json!({"food_item_id": milk, "quantity": 200, "unit": "ml",
               "meal_type": "breakfast", "date": "2026-03-01"}),
    ] {
        let r = app.post("/api/v1/diary", &ann, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // The day links each meal that has entries to the form, filled in.
    let day = get(&app, "/day/2026-03-01", &ann, None).await;
    let link = "/recipes?date=2026-03-01&amp;meal=breakfast#from-meal";
    assert!(day.body.contains(link), "{}", day.body);
    assert!(!day.body.contains("meal=lunch#from-meal"), "{}", day.body);
    // A meal holding a quick add (no food to be an ingredient) is not offered: saving it
    // would be refused.
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"date": "2026-03-01", "meal_type": "dinner", "name": "Takeaway",
                   "nutrients": {"calories": 800}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": milk, "quantity": 100, "unit": "ml",
                   "meal_type": "dinner", "date": "2026-03-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let day = get(&app, "/day/2026-03-01", &ann, None).await;
    assert!(day.body.contains(link), "{}", day.body);
    assert!(!day.body.contains("meal=dinner#from-meal"), "{}", day.body);
    let form = get(&app, "/recipes?date=2026-03-01&meal=breakfast", &ann, None).await;
    assert!(
        form.body
            .contains(r#"name="date" type="date" value="2026-03-01""#),
        "{}",
        form.body
    );
    assert!(
        form.body.contains(r#"<option value="breakfast" selected>"#),
        "{}",
        form.body
    );

    let csrf = token(&app, &ann, "/recipes").await;
    let fields = |meal: &'static str, name: &'static str, servings: &'static str| {
        [
            ("date", "2026-03-01"),
            ("meal", meal),
            ("name", name),
            ("servings", servings),
        ]
    };
    let send = |form: [(&'static str, &'static str); 4]| {
        let (app, ann, csrf) = (&app, ann.clone(), csrf.clone());
        async move { post(app, "/recipes/from-meal", &ann, None, Some(&csrf), &form).await }
    };
    // An empty meal, a bad servings count and a missing CSRF token change nothing.
    let r = send(fields("lunch", "Lunch", "1")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("nothing is logged for lunch on 2026-03-01"),
        "{}",
        r.body
    );
    let r = send(fields("breakfast", "Oats", "lots")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Enter how many servings"), "{}", r.body);
    assert!(
        r.body.contains(r#"value="Oats""#),
        "the typed name stays: {}",
        r.body
    );
    let r = post(
        &app,
        "/recipes/from-meal",
        &ann,
        None,
        None,
        &fields("breakfast", "Oats", "1"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let none = app.get("/api/v1/recipes", &ann).await;
    assert_eq!(none.body["items"], json!([]));

    let r = send(fields("breakfast", "Oats with milk", "1")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.location.trim_start_matches("/recipes/").to_string();
    let saved = recipe(&app, &ann, &id).await;
    assert_eq!(saved["name"], "Oats with milk");
    // 307 kcal for the cup and 84 for the milk.
    assert_eq!(saved["per_serving"]["calories"].as_f64(), Some(391.0));
    assert_eq!(saved["ingredients"][0]["unit"], "cup");
    let page = get(&app, &format!("/recipes/{id}"), &ann, None).await;
    assert!(page.body.contains("Oats with milk"), "{}", page.body);
}

/// Viewing a family member's day, each meal with entries offers "Save as my recipe": the
/// meal becomes a recipe of the viewer's own (their foods, when shared), which they then
/// change as they like; someone who does not share the diary cannot be read that way.
#[tokio::test]
async fn a_family_members_meal_is_saved_as_my_recipe() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let (oats, cup, milk) = foods(&app, &ann).await;
    for body in [
        json!({"food_item_id": oats, "nutrition_data_id": cup, "quantity": 1, "unit": "cup",
               "meal_type": "dinner", "date": "2026-03-01"}),
        json!({"food_item_id": milk, "quantity": 200, "unit": "ml",
               "meal_type": "dinner", "date": "2026-03-01"}),
    ] {
        let r = app.post("/api/v1/diary", &ann, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    grant(&app, &ann, "bob@example.com", "calorie").await;
    grant(&app, &ann, "bob@example.com", "food_list").await;

    let day = get(&app, "/day/2026-03-01", &bob, Some(&ann_id)).await;
    assert_eq!(day.status, StatusCode::OK);
    assert!(day.body.contains("Save as my recipe"), "{}", day.body);
    assert!(
        day.body
            .contains(&format!(r#"name="from_user" value="{ann_id}""#)),
        "{}",
        day.body
    );
    // Only the meal with entries offers it.
    assert_eq!(day.body.matches("action=\"/recipes/from-meal\"").count(), 1);
    let name = "Dinner from Test Person"; // her full name (the test users all have it)
    assert!(day.body.contains(name), "{}", day.body);

    let csrf = day.csrf();
    let fields = |who: &str, meal: &'static str| {
        vec![
            ("date".to_string(), "2026-03-01".to_string()),
            ("meal".to_string(), meal.to_string()),
            ("name".to_string(), name.to_string()),
            ("servings".to_string(), "1".to_string()),
            ("from_user".to_string(), who.to_string()),
        ]
    };
    let send = |form: Vec<(String, String)>| {
        let (app, bob, csrf, ann_id) = (&app, bob.clone(), csrf.clone(), ann_id.clone());
        async move {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            post(
                app,
                "/recipes/from-meal",
                &bob,
                Some(&ann_id),
                Some(&csrf),
                &pairs,
            )
            .await
        }
    };
    // An empty meal is refused where Bob can read it (the page shows why); nothing is made.
    let r = send(fields(&ann_id, "lunch")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("nothing is logged for lunch on 2026-03-01"),
        "{}",
        r.body
    );
    assert_eq!(
        app.get("/api/v1/recipes", &bob).await.body["items"],
        json!([])
    );

    let r = send(fields(&ann_id, "dinner")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.location.trim_start_matches("/recipes/").to_string();
    let saved = recipe(&app, &bob, &id).await;
    assert_eq!(saved["user_id"], json!(bob_id));
    assert_eq!(saved["name"], name);
    // 307 kcal for the cup of oats and 84 for the milk, from Ann's foods.
    assert_eq!(saved["per_serving"]["calories"].as_f64(), Some(391.0));
    assert_eq!(saved["ingredients"].as_array().unwrap().len(), 2);
    // It is Bob's: his recipe page lets him change it, Ann's list does not have it.
    let page = get(&app, &format!("/recipes/{id}"), &bob, Some(&ann_id)).await;
    assert!(page.body.contains("/delete"), "{}", page.body);
    assert_eq!(
        app.get("/api/v1/recipes", &ann).await.body["items"],
        json!([])
    );

    // Cat, with whom Ann shares nothing, cannot read her meal that way: not found, nothing
    // made; a malformed person is refused naming the field.
    let (_, cat) = app.user("cat@example.com").await;
    let ccsrf = token(&app, &cat, "/recipes").await;
    for (from, status) in [
        (ann_id.as_str(), StatusCode::NOT_FOUND),
        ("someone", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let form = [
            ("date", "2026-03-01"),
            ("meal", "dinner"),
            ("name", "Taken"),
            ("servings", "1"),
            ("from_user", from),
        ];
        let r = post(&app, "/recipes/from-meal", &cat, None, Some(&ccsrf), &form).await;
        assert_eq!(r.status, status, "{from}: {}", r.body);
    }
    assert_eq!(
        app.get("/api/v1/recipes", &cat).await.body["items"],
        json!([])
    );
}

/// The recipes list says whose recipes it shows.
#[tokio::test]
async fn the_list_names_whose_recipes_it_shows() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    app.put("/api/v1/me", &ann, json!({"full_name": "Ann Lee"}))
        .await;
    grant(&app, &ann, "bob@example.com", "food_list").await;
    let own = get(&app, "/recipes", &bob, None).await;
    assert!(own.body.contains(">Your recipes<"), "{}", own.body);
    let hers = get(&app, "/recipes", &bob, Some(&ann_id)).await;
    assert_eq!(hers.status, StatusCode::OK);
    assert!(hers.body.contains("Ann Lee&#39;s recipes"), "{}", hers.body);
    assert!(!hers.body.contains(">Your recipes<"), "{}", hers.body);
}
