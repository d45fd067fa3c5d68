//! Recipes: foods made of other foods, black-box over HTTP against a real database — their
//! nutrients, logging them, keeping them apart per user, and refusing bad input whole.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn create(app: &TestApp, who: &As, path: &str, body: Value) -> Value {
    let r = app.post(path, who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {:?}", r.body);
    r.body
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Flour (100 g = 364 kcal, 10.33 g protein, fat unknown), milk (100 ml = 42 kcal, 3.4 g
/// protein, 1 g fat, weight unknown), egg (1 large = 50 g = 72 kcal, 6.3 g protein, 4.8 g fat).
struct Foods {
    flour: String,
    milk: String,
    egg: String,
}

async fn foods(app: &TestApp, who: &As) -> Foods {
    let flour = create(app, who, "/api/v1/foods", json!({"name": "Flour",
        "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 364, "protein": 10.33}}]})).await;
    let milk = create(app, who, "/api/v1/foods", json!({"name": "Milk",
        "servings": [{"size": 100, "unit": "ml", "nutrients": {"calories": 42, "protein": 3.4, "fat": 1}}]})).await;
    let egg = create(app, who, "/api/v1/foods", json!({"name": "Egg",
        "servings": [{"size": 1, "unit": "large", "weight_g": 50, "nutrients": {"calories": 72, "protein": 6.3, "fat": 4.8}}]})).await;
    Foods {
        flour: id(&flour),
        milk: id(&milk),
        egg: id(&egg),
    }
}

/// Pancakes for four: 200 g flour, 300 ml milk, 2 large eggs = 998 kcal.
fn pancakes(f: &Foods) -> Value {
    json!({
        "name": "Pancakes",
        "servings": 4,
        "ingredients": [
            {"food_item_id": f.flour, "quantity": 200, "unit": "g"},
            {"food_item_id": f.milk, "quantity": 300, "unit": "ml"},
            {"food_item_id": f.egg, "quantity": 2, "unit": "large"}
        ]
    })
}

/// Every ingredient's position, in order (as the owner).
async fn positions(app: &TestApp) -> Vec<i16> {
    app.db
        .owner_client()
        .await
        .query(
            "SELECT position FROM recipe_ingredients ORDER BY position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn recipe_count(app: &TestApp) -> i64 {
    let owner = app.db.owner_client().await;
    owner
        .query_one(
            "SELECT (SELECT count(*) FROM food_items WHERE recipe_servings IS NOT NULL)
                  + (SELECT count(*) FROM recipe_ingredients)",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_recipe_adds_its_ingredients_up_and_logs_like_a_food() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;

    let r = create(&app, &ann, "/api/v1/recipes", pancakes(&f)).await;
    let rid = id(&r);
    assert_eq!(r["name"], "Pancakes");
    assert_eq!(num(&r["servings"]), 4.0);
    // 728 + 126 + 144 kcal; protein 20.66 + 10.2 + 12.6; fat only from milk and eggs.
    assert_eq!(num(&r["total"]["calories"]), 998.0);
    assert_eq!(num(&r["per_serving"]["calories"]), 249.5);
    assert_eq!(num(&r["per_serving"]["protein"]), 10.865);
    assert_eq!(num(&r["per_serving"]["fat"]), 3.15);
    assert!(r["per_serving"]["fiber"].is_null(), "{r}");
    assert_eq!(r["partial"], json!(["fat"]));
    // The milk's weight is unknown, so the serving's is too, until the dish is weighed.
    assert!(r["serving_weight_g"].is_null(), "{r}");
    assert_eq!(r["up_to_date"], true);
    let ings = r["ingredients"].as_array().unwrap();
    assert_eq!(ings.len(), 3);
    assert_eq!(ings[0]["food_name"], "Flour");
    assert_eq!(num(&ings[0]["weight_g"]), 200.0);
    assert!(ings[1]["weight_g"].is_null());
    assert_eq!(num(&ings[2]["weight_g"]), 100.0);
    assert_eq!(num(&ings[2]["nutrients"]["calories"]), 144.0);
    assert_eq!(ings[2]["unit"], "large");

    // Weighed after cooking: 600 g, so a serving is 150 g and can be logged in grams.
    let mut body = pancakes(&f);
    body["cooked_weight_g"] = json!(600);
    let r2 = app
        .put(&format!("/api/v1/recipes/{rid}"), &ann, body.clone())
        .await;
    assert_eq!(r2.status, StatusCode::OK, "{:?}", r2.body);
    assert_eq!(num(&r2.body["serving_weight_g"]), 150.0);
    let serving = r2.body["nutrition_data_id"].as_str().unwrap().to_string();
    assert_eq!(serving, r["nutrition_data_id"].as_str().unwrap());
    // Without `ingredients`, a PUT keeps them (it used to remove every one).
    let renamed = app
        .put(
            &format!("/api/v1/recipes/{rid}"),
            &ann,
            json!({"name": body["name"], "servings": body["servings"], "cooked_weight_g": 600}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], body["name"]);
    assert_eq!(
        renamed.body["ingredients"].as_array().unwrap().len(),
        r2.body["ingredients"].as_array().unwrap().len(),
        "{:?}",
        renamed.body
    );
    assert_eq!(num(&renamed.body["serving_weight_g"]), 150.0);
    // Without `cooked_weight_g` it keeps that too, with or without ingredients; null clears it.
    for body in [
        json!({"name": "Pancakes", "servings": body["servings"]}),
        json!({"name": "Pancakes", "servings": body["servings"], "ingredients": body["ingredients"]}),
    ] {
        let kept = app.put(&format!("/api/v1/recipes/{rid}"), &ann, body).await;
        assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
        assert_eq!(num(&kept.body["cooked_weight_g"]), 600.0, "{:?}", kept.body);
        assert_eq!(num(&kept.body["serving_weight_g"]), 150.0);
    }
    let cleared = app
        .put(
            &format!("/api/v1/recipes/{rid}"),
            &ann,
            json!({"name": "Pancakes", "servings": body["servings"], "cooked_weight_g": null}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert!(
        cleared.body["cooked_weight_g"].is_null(),
        "{:?}",
        cleared.body
    );
    let again = app
        .put(&format!("/api/v1/recipes/{rid}"), &ann, body.clone())
        .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);

    // Logging it is logging a food.
    let e = create(
        &app,
        &ann,
        "/api/v1/diary",
        json!({"food_item_id": rid, "quantity": 300,
        "unit": "g", "meal_type": "dinner", "date": "2026-03-01"}),
    )
    .await;
    assert_eq!(num(&e["nutrients"]["calories"]), 499.0);
    assert_eq!(e["food_name"], "Pancakes");
    let e1 = create(
        &app,
        &ann,
        "/api/v1/diary",
        json!({"food_item_id": rid, "quantity": 1,
        "meal_type": "breakfast", "date": "2026-03-02"}),
    )
    .await;
    assert_eq!(num(&e1["nutrients"]["calories"]), 249.5);

    // Listed, searchable, and a food with one serving; its serving is not edited as a food.
    let list = app.get("/api/v1/recipes", &ann).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["items"][0]["id"], json!(rid));
    assert_eq!(list.body["items"][0]["ingredient_count"], 3);
    assert_eq!(
        num(&list.body["items"][0]["per_serving"]["calories"]),
        249.5
    );
    let found = app.get("/api/v1/foods?q=pancakes", &ann).await;
    assert_eq!(found.body["items"][0]["id"], json!(rid), "{:?}", found.body);
    let food = app.get(&format!("/api/v1/foods/{rid}"), &ann).await;
    assert_eq!(food.body["source"], "recipe");
    assert_eq!(food.body["servings"].as_array().unwrap().len(), 1);
    let put_food = app
        .put(
            &format!("/api/v1/foods/{rid}"),
            &ann,
            json!({"name": "Pancakes",
            "servings": [{"size": 1, "unit": "serving", "nutrients": {"calories": 1}}]}),
        )
        .await;
    assert_eq!(put_food.status, StatusCode::CONFLICT, "{:?}", put_food.body);

    // An ingredient's food changes: the recipe keeps its saved values and says it is out of
    // date; saving it again takes the new values. The diary keeps what was logged.
    let r = app
        .put(&format!("/api/v1/foods/{}", f.flour), &ann, json!({"name": "Flour",
            "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 400, "protein": 10.33}}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let stale = app.get(&format!("/api/v1/recipes/{rid}"), &ann).await;
    assert_eq!(stale.body["up_to_date"], false);
    assert_eq!(num(&stale.body["per_serving"]["calories"]), 249.5);
    assert_eq!(
        num(&stale.body["ingredients"][0]["nutrients"]["calories"]),
        800.0
    );
    let saved = app
        .put(&format!("/api/v1/recipes/{rid}"), &ann, body.clone())
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(num(&saved.body["per_serving"]["calories"]), 267.5);
    assert_eq!(saved.body["up_to_date"], true);
    assert_eq!(saved.body["nutrition_data_id"], json!(serving));
    let day = app.get("/api/v1/diary/2026-03-01", &ann).await;
    assert_eq!(
        num(&day.body["totals"]["calories"]),
        499.0,
        "{:?}",
        day.body
    );

    // A deleted ingredient food: the recipe still logs its saved values; saving it again
    // asks for a replacement; leaving the ingredient out works.
    let r = app
        .delete(&format!("/api/v1/foods/{}", f.flour), &ann)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let gone = app.get(&format!("/api/v1/recipes/{rid}"), &ann).await;
    assert!(gone.body["ingredients"][0]["food_item_id"].is_null());
    assert!(gone.body["ingredients"][0]["problem"].is_string());
    assert_eq!(gone.body["up_to_date"], false);
    let r = app
        .put(&format!("/api/v1/recipes/{rid}"), &ann, body.clone())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["error"]["fields"]["ingredients[0].food_item_id"].is_string(),
        "{:?}",
        r.body
    );
    let r = app
        .post(&format!("/api/v1/recipes/{rid}/copy"), &ann, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["error"]["fields"]["ingredients[0].food_item_id"].is_string(),
        "{:?}",
        r.body
    );
    body["ingredients"].as_array_mut().unwrap().remove(0);
    let r = app.put(&format!("/api/v1/recipes/{rid}"), &ann, body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(num(&r.body["per_serving"]["calories"]), 67.5);

    // Deleting the recipe takes its ingredients; the diary keeps its entries.
    let r = app.delete(&format!("/api/v1/recipes/{rid}"), &ann).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(recipe_count(&app).await, 0);
    assert_eq!(
        app.get(&format!("/api/v1/recipes/{rid}"), &ann)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let day = app.get("/api/v1/diary/2026-03-01", &ann).await;
    assert_eq!(num(&day.body["totals"]["calories"]), 499.0);
    common::assert_day_totals_match_diary(&app).await;
}

#[tokio::test]
async fn bad_recipes_are_refused_whole_naming_the_field() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let rich = create(
        &app,
        &ann,
        "/api/v1/foods",
        json!({"name": "Lard",
        "servings": [{"size": 1, "unit": "g", "nutrients": {"calories": 9}}]}),
    )
    .await;
    let ing = |food: &str, q: Value, unit: &str| json!({"food_item_id": food, "quantity": q, "unit": unit});
    let with = |name: &str, servings: Value, ingredients: Vec<Value>| json!({"name": name, "servings": servings, "ingredients": ingredients});
    let too_many: Vec<Value> = (0..101).map(|_| ing(&f.egg, json!(1), "large")).collect();
    let cases = [
        (with(" ", json!(1), vec![]), "name"),
        (with(&"x".repeat(256), json!(1), vec![]), "name"),
        (with("x", json!(0), vec![]), "servings"),
        (with("x", json!(1000.5), vec![]), "servings"),
        (
            json!({"name": "x", "servings": 1, "cooked_weight_g": -5}),
            "cooked_weight_g",
        ),
        (with("x", json!(1), too_many), "ingredients"),
        (
            with("x", json!(1), vec![ing(&f.flour, json!(0), "g")]),
            "ingredients[0].quantity",
        ),
        (
            with(
                "x",
                json!(1),
                vec![
                    ing(&f.egg, json!(1), "large"),
                    ing(&f.flour, json!(1), "furlong"),
                ],
            ),
            "ingredients[1].unit",
        ),
        (
            with(
                "x",
                json!(1),
                vec![ing(&f.milk, json!(1), "cup"), ing(&f.milk, json!(100), "g")],
            ),
            "ingredients[1].unit",
        ),
        (
            with(
                "x",
                json!(1),
                vec![ing("00000000-0000-0000-0000-000000000000", json!(1), "g")],
            ),
            "ingredients[0].food_item_id",
        ),
        (
            with(
                "x",
                json!(1),
                vec![json!({"food_item_id": f.flour, "nutrition_data_id": f.milk, "quantity": 1})],
            ),
            "ingredients[0].nutrition_data_id",
        ),
        // 20 kg of lard is 180,000 kcal: too much for one serving.
        (
            with("x", json!(1), vec![ing(&id(&rich), json!(20), "kg")]),
            "servings",
        ),
        (
            json!({"name": "x", "servings": 1, "colour": "red"}),
            "colour",
        ),
        (json!({"name": "x", "servings": "many"}), "servings"),
    ];
    for (body, field) in cases {
        let r = app.post("/api/v1/recipes", &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{field}: {:?}",
            r.body
        );
    }
    assert_eq!(
        recipe_count(&app).await,
        0,
        "a refused recipe leaves nothing behind"
    );

    // Three servings of it are fine; a recipe may not contain itself.
    let ok = create(
        &app,
        &ann,
        "/api/v1/recipes",
        with(
            "Lard cake",
            json!(3),
            vec![ing(&id(&rich), json!(20), "kg")],
        ),
    )
    .await;
    let rid = id(&ok);
    assert_eq!(num(&ok["per_serving"]["calories"]), 60000.0);
    assert_eq!(num(&ok["serving_weight_g"]), 6666.6667);
    let r = app
        .put(
            &format!("/api/v1/recipes/{rid}"),
            &ann,
            with("Lard cake", json!(3), vec![ing(&rid, json!(1), "serving")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["ingredients[0].food_item_id"].is_string());
    // A recipe can be an ingredient of another one.
    let nested = create(
        &app,
        &ann,
        "/api/v1/recipes",
        with(
            "Cake and a half",
            json!(1),
            vec![ing(&rid, json!(1.5), "serving")],
        ),
    )
    .await;
    assert_eq!(num(&nested["per_serving"]["calories"]), 90000.0);
    // 1.5 × the stored 6666.6667 g, rounded half up at the stored precision.
    assert_eq!(num(&nested["serving_weight_g"]), 10000.0001);
    // … but not of one it contains: Lard cake may not contain Cake and a half (which contains
    // Lard cake), neither by replacing its list nor by adding one ingredient; nothing changes.
    let nid = id(&nested);
    let r = app
        .put(
            &format!("/api/v1/recipes/{rid}"),
            &ann,
            with("Lard cake", json!(3), vec![ing(&nid, json!(1), "serving")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot contain a recipe that contains it"),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            &format!("/api/v1/recipes/{rid}/ingredients"),
            &ann,
            json!({"food_item_id": nid, "quantity": 1, "unit": "serving"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let kept = app.get(&format!("/api/v1/recipes/{rid}"), &ann).await;
    assert_eq!(kept.body["ingredients"].as_array().unwrap().len(), 1);
    assert_eq!(num(&kept.body["per_serving"]["calories"]), 60000.0);
    // … and a plain food is not a recipe.
    let r = app.get(&format!("/api/v1/recipes/{}", f.flour), &ann).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .put(
            &format!("/api/v1/recipes/{}", f.flour),
            &ann,
            with("x", json!(1), vec![]),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/v1/recipes?limit=0", &ann).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn recipes_are_private_until_a_food_list_is_shared() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let f = foods(&app, &ann).await;
    let r = create(&app, &ann, "/api/v1/recipes", pancakes(&f)).await;
    let rid = id(&r);
    let path = format!("/api/v1/recipes/{rid}");

    // Bob sees nothing of it, and cannot use Ann's foods in his recipes.
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.put(&path, &bob, pancakes(&f)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::NOT_FOUND);
    let list = app.get("/api/v1/recipes", &bob).await;
    assert_eq!(list.body["items"], json!([]));
    let mine = app.post("/api/v1/recipes", &bob, pancakes(&f)).await;
    assert_eq!(mine.status, StatusCode::UNPROCESSABLE_ENTITY);
    for i in 0..3 {
        assert!(mine.body["error"]["fields"][format!("ingredients[{i}].food_item_id")].is_string());
    }

    let copy = format!("{path}/copy");
    assert_eq!(
        app.post(&copy, &bob, json!({})).await.status,
        StatusCode::NOT_FOUND
    );

    // With her food list shared, Bob reads the recipe, lists it, logs it and builds on it, but
    // cannot change it.
    create(
        &app,
        &ann,
        "/api/v1/family-access",
        json!({"grantee_email": "bob@example.com", "access_type": "food_list"}),
    )
    .await;
    let shared = app.get(&path, &bob).await;
    assert_eq!(shared.status, StatusCode::OK);
    assert_eq!(shared.body["ingredients"].as_array().unwrap().len(), 3);
    let list = app
        .get(&format!("/api/v1/recipes?user_id={ann_id}"), &bob)
        .await;
    assert_eq!(list.body["items"][0]["id"], json!(rid));
    assert_eq!(
        app.put(&path, &bob, pancakes(&f)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::FORBIDDEN);
    let e = create(
        &app,
        &bob,
        "/api/v1/diary",
        json!({"food_item_id": rid, "quantity": 2, "meal_type": "lunch"}),
    )
    .await;
    assert_eq!(num(&e["nutrients"]["calories"]), 499.0);
    let bobs = create(
        &app,
        &bob,
        "/api/v1/recipes",
        json!({"name": "Double batch", "servings": 8,
        "ingredients": [{"food_item_id": rid, "quantity": 8}]}),
    )
    .await;
    assert_eq!(num(&bobs["per_serving"]["calories"]), 249.5);
    assert_ne!(
        bobs["user_id"], shared.body["user_id"],
        "Bob's recipe is his own"
    );

    // Bob copies it into his own recipes (same name: it is not his); Ann's own copy says so.
    let bobs_copy = create(&app, &bob, &copy, json!({})).await;
    assert_eq!(bobs_copy["name"], "Pancakes");
    assert_ne!(bobs_copy["user_id"], shared.body["user_id"]);
    assert_eq!(bobs_copy["per_serving"], shared.body["per_serving"]);
    assert_eq!(bobs_copy["ingredients"].as_array().unwrap().len(), 3);
    let r = app
        .put(
            &format!("/api/v1/recipes/{}", id(&bobs_copy)),
            &bob,
            json!({"name": "Bob's pancakes", "servings": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let anns_copy = create(&app, &ann, &copy, json!({})).await;
    assert_eq!(anns_copy["name"], "Pancakes (copy)");
    let named = create(&app, &ann, &copy, json!({"name": "Sunday pancakes"})).await;
    assert_eq!(named["name"], "Sunday pancakes");
    let r = app.post(&copy, &ann, json!({"name": " "})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post(&copy, &ann, json!({"colour": "red"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The database refuses what the API would not do: Bob writing into Ann's recipe.
    let owner = app.db.owner_client().await;
    let bob_id: uuid::Uuid = owner
        .query_one("SELECT id FROM users WHERE email = 'bob@example.com'", &[])
        .await
        .unwrap()
        .get(0);
    let database = app.db.database().await;
    let mut tx = database.as_user(bob_id).await.unwrap();
    let rid_uuid: uuid::Uuid = rid.parse().unwrap();
    let denied = tx
        .execute(
            "INSERT INTO recipe_ingredients (recipe_food_id, food_name, quantity, unit, position)
             VALUES ($1, 'Salt', 1, 'g', 50)",
            &[&rid_uuid],
        )
        .await;
    assert!(denied.is_err(), "bob inserted into ann's recipe");
    drop(tx);
    let mut tx = database.as_user(bob_id).await.unwrap();
    let changed = tx
        .execute(
            "UPDATE recipe_ingredients SET quantity = 1 WHERE recipe_food_id = $1",
            &[&rid_uuid],
        )
        .await
        .unwrap();
    assert_eq!(changed, 0);
}

#[tokio::test]
async fn creating_a_recipe_is_idempotent() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let first = app
        .post_with_key("/api/v1/recipes", &ann, "recipe-1", pancakes(&f))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app
        .post_with_key("/api/v1/recipes", &ann, "recipe-1", pancakes(&f))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    let mut other = pancakes(&f);
    other["servings"] = json!(2);
    let clash = app
        .post_with_key("/api/v1/recipes", &ann, "recipe-1", other)
        .await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    let list = app.get("/api/v1/recipes", &ann).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn ingredients_are_added_and_removed_one_at_a_time() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let f = foods(&app, &ann).await;
    // Built up from nothing, as the web page does.
    let r = create(
        &app,
        &ann,
        "/api/v1/recipes",
        json!({"name": "Batter", "servings": 2}),
    )
    .await;
    let rid = id(&r);
    assert!(r["per_serving"]["calories"].is_null());
    assert_eq!(r["up_to_date"], true);
    let add = format!("/api/v1/recipes/{rid}/ingredients");
    for (food, q, unit) in [
        (&f.flour, 200, "g"),
        (&f.milk, 300, "ml"),
        (&f.egg, 2, "large"),
    ] {
        let r = app
            .post(
                &add,
                &ann,
                json!({"food_item_id": food, "quantity": q, "unit": unit}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app.get(&format!("/api/v1/recipes/{rid}"), &ann).await;
    assert_eq!(num(&r.body["per_serving"]["calories"]), 499.0);
    let milk = r.body["ingredients"][1]["id"].as_str().unwrap().to_string();

    // A bad ingredient names its field and changes nothing.
    let bad = app
        .post(
            &add,
            &ann,
            json!({"food_item_id": f.milk, "quantity": 2, "unit": "furlong"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body["error"]["fields"]["unit"].is_string(),
        "{:?}",
        bad.body
    );
    let bad = app
        .post(&add, &ann, json!({"food_item_id": rid, "quantity": 1}))
        .await;
    assert!(
        bad.body["error"]["fields"]["food_item_id"].is_string(),
        "{:?}",
        bad.body
    );
    let bad = app
        .post(&add, &ann, json!({"food_item_id": f.milk, "quantity": -1}))
        .await;
    assert!(
        bad.body["error"]["fields"]["quantity"].is_string(),
        "{:?}",
        bad.body
    );
    // Not Bob's to change, nor to see.
    let r = app
        .post(&add, &bob, json!({"food_item_id": f.milk, "quantity": 1}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.delete(&format!("{add}/{milk}"), &bob).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Changing the milk to 100 ml in its place: 728 + 42 + 144 = 914, 457 a serving; a bad
    // amount or an unknown ingredient changes nothing.
    let put = format!("{add}/{milk}");
    let r = app
        .put(
            &put,
            &ann,
            json!({"food_item_id": f.milk, "quantity": 100, "unit": "ml"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(num(&r.body["per_serving"]["calories"]), 457.0);
    assert_eq!(r.body["ingredients"][1]["id"], json!(milk));
    assert_eq!(num(&r.body["ingredients"][1]["quantity"]), 100.0);
    let r = app
        .put(
            &put,
            &ann,
            json!({"food_item_id": f.milk, "quantity": 1, "unit": "furlong"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .put(
            &format!("{add}/{}", uuid::Uuid::new_v4()),
            &ann,
            json!({"food_item_id": f.milk, "quantity": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .put(&put, &bob, json!({"food_item_id": f.milk, "quantity": 1}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .put(
            &put,
            &ann,
            json!({"food_item_id": f.milk, "quantity": 300, "unit": "ml"}),
        )
        .await;
    assert_eq!(num(&r.body["per_serving"]["calories"]), 499.0);

    // Removing the milk: the rest moves up, the serving is worked out again.
    let r = app.delete(&format!("{add}/{milk}"), &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(num(&r.body["per_serving"]["calories"]), 436.0);
    assert_eq!(r.body["ingredients"][1]["food_name"], "Egg");
    let r = app.delete(&format!("{add}/{milk}"), &ann).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(positions(&app).await, vec![0, 1]);

    // With an ingredient's food gone, adding keeps the saved serving (the recipe says it is
    // out of date); removing the broken ingredient brings it up to date.
    assert_eq!(
        app.delete(&format!("/api/v1/foods/{}", f.flour), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = app
        .post(
            &add,
            &ann,
            json!({"food_item_id": f.milk, "quantity": 100, "unit": "ml"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(num(&r.body["per_serving"]["calories"]), 436.0);
    assert_eq!(r.body["up_to_date"], false);
    let flour = r.body["ingredients"][0]["id"].as_str().unwrap().to_string();
    let r = app.delete(&format!("{add}/{flour}"), &ann).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(num(&r.body["per_serving"]["calories"]), 93.0);
    assert_eq!(r.body["up_to_date"], true);

    // At most 100.
    let many: Vec<Value> = (0..100)
        .map(|_| json!({"food_item_id": f.egg, "quantity": 1, "unit": "large"}))
        .collect();
    let r = app
        .put(
            &format!("/api/v1/recipes/{rid}"),
            &ann,
            json!({"name": "Omelette", "servings": 100, "ingredients": many}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            &add,
            &ann,
            json!({"food_item_id": f.egg, "quantity": 1, "unit": "large"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn concurrent_changes_to_one_recipe_go_one_after_the_other() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let r = create(
        &app,
        &ann,
        "/api/v1/recipes",
        json!({"name": "Crowd omelette", "servings": 1}),
    )
    .await;
    let rid = id(&r);
    let add = format!("/api/v1/recipes/{rid}/ingredients");
    // Twelve eggs added at once, from as many connections.
    let posts = (0..12).map(|_| {
        app.post(
            &add,
            &ann,
            json!({"food_item_id": f.egg, "quantity": 1, "unit": "large"}),
        )
    });
    for r in futures::future::join_all(posts).await {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app.get(&format!("/api/v1/recipes/{rid}"), &ann).await;
    assert_eq!(r.body["ingredients"].as_array().unwrap().len(), 12);
    assert_eq!(num(&r.body["per_serving"]["calories"]), 864.0);
    assert_eq!(num(&r.body["serving_weight_g"]), 600.0);
    assert_eq!(r.body["up_to_date"], true);
    assert_eq!(positions(&app).await, (0..12).collect::<Vec<i16>>());
    // Removing and adding at once still leaves positions 0..n-1 and the serving exact.
    let ids: Vec<String> = r.body["ingredients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let paths: Vec<String> = ids[..6].iter().map(|i| format!("{add}/{i}")).collect();
    let removes = paths.iter().map(|p| app.delete(p, &ann));
    let adds = (0..3).map(|_| {
        app.post(
            &add,
            &ann,
            json!({"food_item_id": f.milk, "quantity": 100, "unit": "ml"}),
        )
    });
    let (removed, added) = futures::future::join(
        futures::future::join_all(removes),
        futures::future::join_all(adds),
    )
    .await;
    for r in removed.iter().chain(added.iter()) {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app.get(&format!("/api/v1/recipes/{rid}"), &ann).await;
    assert_eq!(r.body["ingredients"].as_array().unwrap().len(), 9);
    assert_eq!(
        num(&r.body["per_serving"]["calories"]),
        6.0 * 72.0 + 3.0 * 42.0
    );
    assert_eq!(positions(&app).await, (0..9).collect::<Vec<i16>>());
}

#[tokio::test]
async fn a_logged_meal_is_saved_as_a_recipe() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let f = foods(&app, &ann).await;
    let log = |food: &str, quantity: f64, unit: &str, meal: &str| {
        json!({"food_item_id": food, "quantity": quantity, "unit": unit,
               "meal_type": meal, "date": "2026-03-01"})
    };
    // Dinner, logged in the order eaten; lunch is not part of it.
    for body in [
        log(&f.flour, 200.0, "g", "dinner"),
        log(&f.milk, 300.0, "ml", "dinner"),
        log(&f.egg, 2.0, "large", "dinner"),
        log(&f.egg, 1.0, "large", "lunch"),
    ] {
        create(&app, &ann, "/api/v1/diary", body).await;
    }

    let body = json!({"date": "2026-03-01", "meal_type": "dinner", "name": "Sunday pancakes",
                      "servings": 4});
    let first = app
        .post_with_key("/api/v1/recipes/from-diary", &ann, "meal-1", body.clone())
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let r = &first.body;
    assert_eq!(r["name"], "Sunday pancakes");
    assert_eq!(num(&r["servings"]), 4.0);
    assert_eq!(num(&r["total"]["calories"]), 998.0);
    assert_eq!(num(&r["per_serving"]["calories"]), 249.5);
    let ings = r["ingredients"].as_array().unwrap();
    let shown: Vec<(&str, f64, &str)> = ings
        .iter()
        .map(|i| {
            (
                i["food_name"].as_str().unwrap(),
                num(&i["quantity"]),
                i["unit"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("Flour", 200.0, "g"),
            ("Milk", 300.0, "ml"),
            ("Egg", 2.0, "large")
        ]
    );
    // A retry with the same key is the same recipe; the same key for another meal is refused.
    let again = app
        .post_with_key("/api/v1/recipes/from-diary", &ann, "meal-1", body.clone())
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    let mut other = body.clone();
    other["meal_type"] = json!("lunch");
    let clash = app
        .post_with_key("/api/v1/recipes/from-diary", &ann, "meal-1", other)
        .await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Without servings, the meal is one serving: logging it logs the meal again.
    let once = create(
        &app,
        &ann,
        "/api/v1/recipes/from-diary",
        json!({"date": "2026-03-01", "meal_type": "dinner", "name": "Dinner again"}),
    )
    .await;
    assert_eq!(num(&once["per_serving"]["calories"]), 998.0);
    assert_eq!(recipe_count(&app).await, 2 + 6);

    // Ann shares one kind of her data with Bob; the grant.
    let share = |access_type: &'static str| {
        let (app, ann) = (&app, ann.clone());
        async move {
            create(
                app,
                &ann,
                "/api/v1/family-access",
                json!({"grantee_email": "bob@example.com", "access_type": access_type}),
            )
            .await
        }
    };
    // Refused whole, naming the meal: an empty meal, a quick add in it, someone else's meal
    // (only your own diary is read), bad details.
    let refuse = |who: &As, body: Value, field: &'static str, says: &'static str| {
        let app = &app;
        let who = who.clone();
        async move {
            let r = app.post("/api/v1/recipes/from-diary", &who, body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
            let problem = r.body["error"]["fields"][field]
                .as_str()
                .unwrap_or_default();
            assert!(problem.contains(says), "{field}: {problem}");
        }
    };
    refuse(
        &ann,
        json!({"date": "2026-03-01", "meal_type": "snack", "name": "Nothing"}),
        "meal_type",
        "nothing is logged for snack on 2026-03-01",
    )
    .await;
    let quick = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"name": "Birthday cake", "meal_type": "lunch", "date": "2026-03-01",
                   "nutrients": {"calories": 450}}),
        )
        .await;
    assert_eq!(quick.status, StatusCode::CREATED, "{:?}", quick.body);
    refuse(
        &ann,
        json!({"date": "2026-03-01", "meal_type": "lunch", "name": "Lunch"}),
        "meal_type",
        "\u{201c}Birthday cake\u{201d} was logged without a food",
    )
    .await;
    refuse(
        &bob,
        json!({"date": "2026-03-01", "meal_type": "dinner", "name": "Ann's dinner"}),
        "meal_type",
        "nothing is logged",
    )
    .await;
    refuse(
        &ann,
        json!({"date": "2026-03-01", "meal_type": "dinner", "name": " ", "servings": 0}),
        "servings",
        "greater than 0",
    )
    .await;
    let r = app
        .post(
            "/api/v1/recipes/from-diary",
            &ann,
            json!({"date": "2026-03-01", "meal_type": "dinner", "name": "x", "extra": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);

    // Bob logs Ann's shared egg; once she stops sharing, saving his meal names the entry.
    let grant = share("food_list").await;
    create(
        &app,
        &bob,
        "/api/v1/diary",
        log(&f.egg, 3.0, "large", "breakfast"),
    )
    .await;
    let r = app
        .delete(&format!("/api/v1/family-access/{}", id(&grant)), &ann)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    refuse(
        &bob,
        json!({"date": "2026-03-01", "meal_type": "breakfast", "name": "Eggs"}),
        "meal_type",
        "\u{201c}Egg\u{201d}: no such food is visible to you",
    )
    .await;
    assert_eq!(recipe_count(&app).await, 2 + 6);

    // Ann's dinner, from Bob's side: a diary not shared is a 404; shared (`reports`), her own
    // foods are not his to use until she shares her food list; then it is his recipe.
    let ann_id = first.body["user_id"].as_str().unwrap().to_string();
    let hers = json!({"date": "2026-03-01", "meal_type": "dinner", "name": "Ann's pancakes",
                      "servings": 4, "from_user_id": ann_id});
    let r = app
        .post("/api/v1/recipes/from-diary", &bob, hers.clone())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    share("reports").await;
    refuse(
        &bob,
        hers.clone(),
        "meal_type",
        "\u{201c}Flour\u{201d}: no such food is visible to you",
    )
    .await;
    share("food_list").await;
    let bobs = create(&app, &bob, "/api/v1/recipes/from-diary", hers).await;
    assert_eq!(num(&bobs["per_serving"]["calories"]), 249.5);
    assert_ne!(bobs["user_id"], json!(ann_id));
    assert_eq!(recipe_count(&app).await, 3 + 9);
    common::assert_day_totals_match_diary(&app).await;
}
