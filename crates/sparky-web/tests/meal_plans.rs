//! Meal plan templates, their items, and applying them to the food diary, black-box over HTTP
//! against a real database.

mod common;

use common::{As, TestApp};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

async fn create(app: &TestApp, who: &As, path: &str, body: Value) -> Value {
    let r = app.post(path, who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{path}: {:?}", r.body);
    r.body
}

/// Oats (100 g = 379 kcal; 1 cup = 81 g = 307 kcal), milk (100 ml = 42 kcal), apple
/// (1 serving = 95 kcal). Returns their ids (and the oats' cup serving).
struct Foods {
    oats: String,
    oats_cup: String,
    milk: String,
    apple: String,
}

async fn foods(app: &TestApp, who: &As) -> Foods {
    let oats = create(app, who, "/api/v1/foods", json!({
        "name": "Rolled oats",
        "servings": [
            {"size": 100, "unit": "g", "nutrients": {"calories": 379, "protein": 13.15, "fat": 6.52}},
            {"size": 1, "unit": "cup", "weight_g": 81, "nutrients": {"calories": 307, "protein": 10.65}}
        ]
    }))
    .await;
    let milk = create(
        app,
        who,
        "/api/v1/foods",
        json!({"name": "Milk", "servings": [{"size": 100, "unit": "ml", "nutrients": {"calories": 42, "protein": 3.4, "fat": 1}}]}),
    )
    .await;
    let apple = create(
        app,
        who,
        "/api/v1/foods",
        json!({"name": "Apple", "servings": [{"size": 1, "unit": "serving", "weight_g": 182, "nutrients": {"calories": 95, "protein": 0.5}}]}),
    )
    .await;
    Foods {
        oats: oats["id"].as_str().unwrap().into(),
        oats_cup: oats["servings"][1]["id"].as_str().unwrap().into(),
        milk: milk["id"].as_str().unwrap().into(),
        apple: apple["id"].as_str().unwrap().into(),
    }
}

/// A template with oats 50 g + milk 250 ml for breakfast every day (294.5 kcal) and two
/// apples as a Monday snack (190 kcal). Returns (template id, [oats, milk, apple] item ids).
async fn weekday_template(app: &TestApp, who: &As, f: &Foods) -> (String, Vec<String>) {
    let t = create(
        app,
        who,
        "/api/v1/meal-plan-templates",
        json!({"name": "Weekday plan", "description": "simple", "target_calories": 2000}),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_string();
    let items_path = format!("/api/v1/meal-plan-templates/{id}/items");
    let mut items = Vec::new();
    for body in [
        json!({"food_item_id": f.oats, "quantity": 50, "unit": "g", "meal_type": "breakfast"}),
        json!({"food_item_id": f.milk, "quantity": 250, "unit": "ml", "meal_type": "breakfast"}),
        json!({"food_item_id": f.apple, "quantity": 2, "unit": "serving", "meal_type": "snack", "day_of_week": 0}),
    ] {
        let item = create(app, who, &items_path, body).await;
        items.push(item["id"].as_str().unwrap().to_string());
    }
    (id, items)
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn template_and_item_crud_with_nutrients_and_day_totals() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;

    // Template validation names the field.
    for (body, field) in [
        (json!({"name": "  "}), "name"),
        (
            json!({"name": "x", "target_calories": -1}),
            "target_calories",
        ),
        (json!({"name": "x", "colour": "red"}), "colour"),
    ] {
        let r = app
            .post("/api/v1/meal-plan-templates", &ann, body.clone())
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{field}: {:?}",
            r.body
        );
    }

    let (id, items) = weekday_template(&app, &ann, &f).await;
    let path = format!("/api/v1/meal-plan-templates/{id}");

    // Item validation names the field; a food or serving that is not there is a 404.
    for (body, field) in [
        (
            json!({"food_item_id": f.oats, "quantity": 1, "unit": "furlong", "meal_type": "lunch"}),
            "unit",
        ),
        (
            json!({"food_item_id": f.oats, "quantity": 100, "unit": "slice", "meal_type": "lunch"}),
            "unit",
        ),
        (
            json!({"food_item_id": f.oats, "quantity": 1, "unit": "g", "meal_type": "brunch"}),
            "meal_type",
        ),
        (
            json!({"food_item_id": f.oats, "quantity": 0, "unit": "g", "meal_type": "lunch"}),
            "quantity",
        ),
        (
            json!({"food_item_id": f.oats, "quantity": 1, "unit": "g", "meal_type": "lunch", "day_of_week": 7}),
            "day_of_week",
        ),
    ] {
        let r = app.post(&format!("{path}/items"), &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{field}: {:?}",
            r.body
        );
    }
    let r = app
        .post(&format!("{path}/items"), &ann, json!({"food_item_id": Uuid::new_v4(), "quantity": 1, "unit": "g", "meal_type": "lunch"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // GET: items with their nutrients as the diary would log them, and per-weekday totals.
    let got = app.get(&path, &ann).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
    assert_eq!(got.body["name"], "Weekday plan");
    assert_eq!(got.body["user_id"], ann_id.as_str());
    assert_eq!(got.body["target_calories"], 2000.0);
    assert_eq!(got.body["item_count"], 3);
    let its = got.body["items"].as_array().unwrap();
    assert_eq!(its.len(), 3);
    // Every-day items first, then by meal.
    assert_eq!(its[0]["food_name"], "Rolled oats");
    assert_eq!(num(&its[0]["nutrients"]["calories"]), 189.5);
    assert_eq!(num(&its[0]["nutrients"]["protein"]), 6.575);
    assert_eq!(num(&its[0]["servings"]), 0.5);
    assert_eq!(its[0]["serving"]["description"], "100 g");
    assert_eq!(its[0]["day_of_week"], Value::Null);
    assert_eq!(its[1]["food_name"], "Milk");
    assert_eq!(num(&its[1]["nutrients"]["calories"]), 105.0);
    assert_eq!(its[2]["food_name"], "Apple");
    assert_eq!(its[2]["day_of_week"], 0);
    assert_eq!(num(&its[2]["nutrients"]["calories"]), 190.0);
    let days = got.body["days"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[0]["day"], "monday");
    assert_eq!(days[0]["item_count"], 3);
    assert_eq!(num(&days[0]["totals"]["calories"]), 484.5);
    assert_eq!(num(&days[0]["totals"]["protein"]), 16.075);
    for d in &days[1..] {
        assert_eq!(d["item_count"], 2);
        assert_eq!(num(&d["totals"]["calories"]), 294.5);
        assert_eq!(num(&d["totals"]["fat"]), 5.76);
    }

    // PUT an item: 200 ml milk on Tuesdays only.
    let r = app
        .put(&format!("{path}/items/{}", items[1]), &ann, json!({"food_item_id": f.milk, "quantity": 200, "unit": "ml", "meal_type": "breakfast", "day_of_week": 1}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(num(&r.body["nutrients"]["calories"]), 84.0);
    assert_eq!(r.body["day_of_week"], 1);
    let r = app
        .put(
            &format!("{path}/items/{}", items[1]),
            &ann,
            json!({"food_item_id": f.milk, "quantity": 200, "unit": "g", "meal_type": "breakfast"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"].get("unit").is_some());
    // Grams against the cup serving go through its weight: 81 g = 1 cup = 307 kcal.
    let cup = create(&app, &ann, &format!("{path}/items"), json!({"food_item_id": f.oats, "nutrition_data_id": f.oats_cup, "quantity": 81, "unit": "g", "meal_type": "dinner", "day_of_week": 6})).await;
    assert_eq!(num(&cup["nutrients"]["calories"]), 307.0);
    assert_eq!(cup["serving"]["description"], "1 cup (81 g)");
    let got = app.get(&path, &ann).await;
    let days = got.body["days"].as_array().unwrap();
    assert_eq!(num(&days[0]["totals"]["calories"]), 379.5);
    assert_eq!(num(&days[1]["totals"]["calories"]), 273.5);
    assert_eq!(num(&days[2]["totals"]["calories"]), 189.5);
    assert_eq!(num(&days[6]["totals"]["calories"]), 496.5);

    // Template PUT and list.
    let r = app
        .put(
            &path,
            &ann,
            json!({"name": "Cutting plan", "target_calories": 1800.5, "is_active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["name"], "Cutting plan");
    assert_eq!(r.body["description"], "simple", "left out: kept");
    assert_eq!(r.body["is_active"], false);
    assert_eq!(r.body["target_calories"], 1800.5);
    let r = app.put(&path, &ann, json!({"name": ""})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A field left out keeps its value (a name-only PUT used to clear the target and make
    // the plan active again); null clears it.
    let r = app
        .put(
            &path,
            &ann,
            json!({"name": "Cut", "description": "Weekdays"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["target_calories"], 1800.5, "{:?}", r.body);
    assert_eq!(r.body["is_active"], false);
    assert_eq!(r.body["description"], "Weekdays");
    let r = app.put(&path, &ann, json!({"name": "Cut"})).await;
    assert_eq!(r.body["description"], "Weekdays", "{:?}", r.body);
    let r = app
        .put(
            &path,
            &ann,
            json!({"name": "Cutting plan", "target_calories": null}),
        )
        .await;
    assert_eq!(r.body["target_calories"], Value::Null, "{:?}", r.body);
    assert_eq!(r.body["description"], "Weekdays");
    let r = app
        .put(
            &path,
            &ann,
            json!({"name": "Cutting plan", "target_calories": 1800.5, "description": null}),
        )
        .await;
    assert_eq!(r.body["description"], Value::Null, "{:?}", r.body);
    assert!(app.get(&path, &ann).await.body["item_count"].as_i64() > Some(0));
    create(
        &app,
        &ann,
        "/api/v1/meal-plan-templates",
        json!({"name": "Another"}),
    )
    .await;
    let list = app.get("/api/v1/meal-plan-templates", &ann).await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.body.as_array().unwrap().clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["name"], "Another");
    assert_eq!(list[0]["item_count"], 0);
    assert_eq!(list[0]["is_active"], true);
    assert_eq!(list[1]["name"], "Cutting plan");
    assert_eq!(list[1]["item_count"], 4);

    // DELETE an item, then the template (its items go with it).
    let r = app
        .delete(&format!("{path}/items/{}", items[2]), &ann)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .delete(&format!("{path}/items/{}", items[2]), &ann)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app.get(&path, &ann).await.body["item_count"].as_i64() > Some(0));
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &ann).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&path, &ann).await.status, StatusCode::NOT_FOUND);
    let owner = app.db.owner_client().await;
    let left: i64 = owner
        .query_one("SELECT count(*) FROM meal_plan_template_items", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

/// (rows, sum of calories) of a user's diary, read as the owner role.
async fn diary_stats(app: &TestApp, user: &str) -> (i64, Decimal) {
    let owner = app.db.owner_client().await;
    let user: Uuid = user.parse().unwrap();
    let r = owner
        .query_one(
            "SELECT count(*), coalesce(sum(calories), 0) FROM food_diary WHERE user_id = $1",
            &[&user],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1))
}

fn dates(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| d.get("date").unwrap_or(d).as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn apply_writes_weekday_entries_once_and_survives_template_deletion() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let (id, _) = weekday_template(&app, &ann, &f).await;
    let apply = format!("/api/v1/meal-plan-templates/{id}/apply");

    // Range validation names the field.
    for body in [
        json!({"from": "2026-06-10", "to": "2026-06-01"}),
        json!({"from": "2026-06-01", "to": "2026-08-02"}),
    ] {
        let r = app.post(&apply, &ann, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            r.body["error"]["fields"].get("to").is_some(),
            "{:?}",
            r.body
        );
    }
    let r = app.post(&apply, &ann, json!({"from": "2026-06-01"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 0);

    // 2026-06-01 is a Monday; 14 days hold two Mondays. 62 days is the most allowed.
    let r = app
        .post(
            &apply,
            &ann,
            json!({"from": "2026-06-01", "to": "2026-06-14"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user_id"], ann_id.as_str());
    let applied = r.body["applied"].as_array().unwrap();
    assert_eq!(applied.len(), 14);
    assert!(r.body["skipped"].as_array().unwrap().is_empty());
    assert_eq!(applied[0]["date"], "2026-06-01");
    assert_eq!(applied[0]["entries"], 3);
    assert_eq!(num(&applied[0]["total_calories"]), 484.5);
    assert_eq!(applied[1]["entries"], 2);
    assert_eq!(num(&applied[1]["total_calories"]), 294.5);
    assert_eq!(num(&applied[7]["total_calories"]), 484.5);
    assert_eq!(common::assert_day_totals_match_diary(&app).await, 14);

    // The diary shows them as ordinary entries, with the apples on Mondays only.
    let monday = app.get("/api/v1/diary/2026-06-01", &ann).await;
    assert_eq!(monday.status, StatusCode::OK);
    assert_eq!(num(&monday.body["totals"]["calories"]), 484.5);
    assert_eq!(num(&monday.body["totals"]["protein"]), 16.075);
    let breakfast = &monday.body["meals"][0];
    assert_eq!(breakfast["entries"].as_array().unwrap().len(), 2);
    assert_eq!(breakfast["entries"][0]["food_name"], "Rolled oats");
    assert_eq!(breakfast["entries"][0]["quantity"], 50.0);
    assert_eq!(breakfast["entries"][0]["unit"], "g");
    assert_eq!(breakfast["entries"][0]["serving"]["description"], "100 g");
    assert_eq!(num(&breakfast["totals"]["calories"]), 294.5);
    let snack = &monday.body["meals"][3];
    assert_eq!(snack["entries"][0]["food_name"], "Apple");
    assert_eq!(num(&snack["entries"][0]["nutrients"]["calories"]), 190.0);
    for day in ["2026-06-02", "2026-06-07", "2026-06-14"] {
        let d = app.get(&format!("/api/v1/diary/{day}"), &ann).await;
        assert_eq!(num(&d.body["totals"]["calories"]), 294.5, "{day}");
        assert!(d.body["meals"][3]["entries"].as_array().unwrap().is_empty());
    }
    assert_eq!(
        num(&app.get("/api/v1/diary/2026-06-08", &ann).await.body["totals"]["calories"]),
        484.5
    );
    assert!(
        app.get("/api/v1/diary/2026-06-15", &ann).await.body["meals"][0]["entries"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let expected_sum = Decimal::from(14) * Decimal::new(2945, 1) + Decimal::from(380);
    let stats = diary_stats(&app, &ann_id).await;
    assert_eq!(stats, (30, expected_sum));

    // Applying the same range again writes nothing and says so.
    let r = app
        .post(
            &apply,
            &ann,
            json!({"from": "2026-06-01", "to": "2026-06-14"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["applied"].as_array().unwrap().is_empty());
    assert_eq!(dates(&r.body["skipped"]).len(), 14);
    assert_eq!(diary_stats(&app, &ann_id).await, stats);
    assert_eq!(
        num(&app.get("/api/v1/diary/2026-06-01", &ann).await.body["totals"]["calories"]),
        484.5
    );

    // An overlapping range applies only the new dates (2026-06-15 is a Monday).
    let r = app
        .post(
            &apply,
            &ann,
            json!({"from": "2026-06-10", "to": "2026-06-20"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        dates(&r.body["applied"]),
        [
            "2026-06-15",
            "2026-06-16",
            "2026-06-17",
            "2026-06-18",
            "2026-06-19",
            "2026-06-20"
        ]
    );
    assert_eq!(
        dates(&r.body["skipped"]),
        [
            "2026-06-10",
            "2026-06-11",
            "2026-06-12",
            "2026-06-13",
            "2026-06-14"
        ]
    );
    let stats = diary_stats(&app, &ann_id).await;
    assert_eq!(stats.0, 30 + 6 * 2 + 1);

    // meal_plans: one row per date, its calories equal to the diary entries it wrote.
    let owner = app.db.owner_client().await;
    let ann_uuid: Uuid = ann_id.parse().unwrap();
    let template_uuid: Uuid = id.parse().unwrap();
    let plans = owner
        .query(
            "SELECT mp.planned_date::text, mp.name, mp.total_calories, mp.meal_plan_template_id,
                    (SELECT sum(d.calories) FROM food_diary d WHERE d.meal_plan_id = mp.id),
                    (SELECT count(*) FROM food_diary d WHERE d.meal_plan_id = mp.id
                       AND d.entry_date <> mp.planned_date)
             FROM meal_plans mp WHERE mp.user_id = $1 ORDER BY mp.planned_date",
            &[&ann_uuid],
        )
        .await
        .unwrap();
    assert_eq!(plans.len(), 20);
    for p in &plans {
        let total: Option<Decimal> = p.get(2);
        let diary: Option<Decimal> = p.get(4);
        assert_eq!(total, diary, "{}", p.get::<_, String>(0));
        assert_eq!(p.get::<_, String>(1), "Weekday plan");
        assert_eq!(p.get::<_, Option<Uuid>>(3), Some(template_uuid));
        assert_eq!(p.get::<_, i64>(5), 0, "entries on the planned date");
    }
    let plan_sum: Decimal = plans
        .iter()
        .map(|p| p.get::<_, Option<Decimal>>(2).unwrap())
        .sum();
    assert_eq!(plan_sum, stats.1);

    // Editing the food afterwards does not rewrite what was applied (snapshots).
    let r = app
        .put(&format!("/api/v1/foods/{}", f.milk), &ann, json!({"name": "Milk", "servings": [{"size": 100, "unit": "ml", "nutrients": {"calories": 64}}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(diary_stats(&app, &ann_id).await, stats);

    // Deleting the template leaves the diary and the dated plans (unlinked) alone.
    assert_eq!(
        app.delete(&format!("/api/v1/meal-plan-templates/{id}"), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(diary_stats(&app, &ann_id).await, stats);
    assert_eq!(
        num(&app.get("/api/v1/diary/2026-06-01", &ann).await.body["totals"]["calories"]),
        484.5
    );
    let after = owner
        .query(
            "SELECT count(*), count(meal_plan_template_id), sum(total_calories)
             FROM meal_plans WHERE user_id = $1",
            &[&ann_uuid],
        )
        .await
        .unwrap();
    assert_eq!(after[0].get::<_, i64>(0), 20);
    assert_eq!(after[0].get::<_, i64>(1), 0);
    assert_eq!(after[0].get::<_, Option<Decimal>>(2), Some(stats.1));
    let linked: i64 = owner
        .query_one(
            "SELECT count(meal_plan_id) FROM food_diary WHERE user_id = $1",
            &[&ann_uuid],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(linked, stats.0, "entries still know their dated plan");
    assert_eq!(
        app.post(
            &apply,
            &ann,
            json!({"from": "2026-07-01", "to": "2026-07-01"})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_item_whose_food_was_deleted_blocks_apply_with_a_named_field() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let (id, items) = weekday_template(&app, &ann, &f).await;
    assert_eq!(
        app.delete(&format!("/api/v1/foods/{}", f.apple), &ann)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let got = app
        .get(&format!("/api/v1/meal-plan-templates/{id}"), &ann)
        .await;
    let apple = &got.body["items"][2];
    assert_eq!(apple["food_name"], "Apple", "the name snapshot stays");
    assert_eq!(apple["food_item_id"], Value::Null);
    assert_eq!(apple["nutrients"], Value::Null);
    assert!(apple["problem"].as_str().unwrap().contains("deleted"));
    assert_eq!(num(&got.body["days"][0]["totals"]["calories"]), 294.5);

    let apply = format!("/api/v1/meal-plan-templates/{id}/apply");
    // Tuesday to Sunday never uses the Monday apple: fine.
    let r = app
        .post(
            &apply,
            &ann,
            json!({"from": "2026-06-02", "to": "2026-06-07"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["applied"].as_array().unwrap().len(), 6);
    // A Monday does: refused as a whole, nothing written.
    let before = diary_stats(&app, &ann_id).await;
    let r = app
        .post(
            &apply,
            &ann,
            json!({"from": "2026-06-08", "to": "2026-06-09"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"]
        .get(format!("items.{}", items[2]))
        .is_some());
    assert_eq!(diary_stats(&app, &ann_id).await, before);
}

#[tokio::test]
async fn other_users_cannot_see_or_change_a_template_and_food_list_only_reads() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (bob_id, bob) = app.user("bob@example.com").await;
    let (cat_id, cat) = app.user("cat@example.com").await;
    let f = foods(&app, &ann).await;
    let (id, items) = weekday_template(&app, &ann, &f).await;
    let path = format!("/api/v1/meal-plan-templates/{id}");
    let item_path = format!("{path}/items/{}", items[0]);
    let bob_food = create(&app, &bob, "/api/v1/foods", json!({"name": "Bob's bar", "servings": [{"size": 1, "unit": "serving", "nutrients": {"calories": 200}}]})).await;
    let bob_item = json!({"food_item_id": bob_food["id"], "quantity": 1, "unit": "serving", "meal_type": "snack"});
    let ann_item =
        json!({"food_item_id": f.oats, "quantity": 1, "unit": "g", "meal_type": "snack"});
    let range = json!({"from": "2026-06-01", "to": "2026-06-03"});

    // Bob: no grant, so the template does not exist for him.
    assert_eq!(app.get(&path, &bob).await.status, StatusCode::NOT_FOUND);
    assert!(app
        .get("/api/v1/meal-plan-templates", &bob)
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        app.get(
            &format!("/api/v1/meal-plan-templates?user_id={ann_id}"),
            &bob
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(&path, &bob, json!({"name": "mine"})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("{path}/items"), &bob, bob_item.clone())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(&item_path, &bob, bob_item.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&item_path, &bob).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("{path}/apply"), &bob, range.clone())
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("{path}/apply?user_id={ann_id}"),
            &bob,
            range.clone()
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&path, &bob).await.status, StatusCode::NOT_FOUND);
    // An item id of Ann's under Bob's own template is not found either.
    let bobs = create(
        &app,
        &bob,
        "/api/v1/meal-plan-templates",
        json!({"name": "Bob's"}),
    )
    .await;
    let bobs_id = bobs["id"].as_str().unwrap();
    assert_eq!(
        app.delete(
            &format!("/api/v1/meal-plan-templates/{bobs_id}/items/{}", items[0]),
            &bob
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // And he cannot put Ann's private food into his own template.
    assert_eq!(
        app.post(
            &format!("/api/v1/meal-plan-templates/{bobs_id}/items"),
            &bob,
            ann_item.clone()
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Directly under RLS, too: Bob and nobody see no items of Ann's.
    let db = app.db.database().await;
    let mut tx = db.as_user(bob_id.parse().unwrap()).await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM meal_plan_template_items", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    drop(tx);
    let mut tx = db.anonymous().await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM meal_plan_template_items", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    drop(tx);

    // Cat has food_list: reads the template and its items (with nutrients), changes nothing.
    let g = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "cat@example.com", "access_type": "food_list"}),
        )
        .await;
    assert_eq!(g.status, StatusCode::CREATED, "{:?}", g.body);
    let seen = app.get(&path, &cat).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    assert_eq!(seen.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(num(&seen.body["items"][0]["nutrients"]["calories"]), 189.5);
    assert_eq!(num(&seen.body["days"][0]["totals"]["calories"]), 484.5);
    let list = app
        .get(
            &format!("/api/v1/meal-plan-templates?user_id={ann_id}"),
            &cat,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(
        app.put(&path, &cat, json!({"name": "mine"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&format!("{path}/items"), &cat, ann_item.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.put(&item_path, &cat, ann_item.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&item_path, &cat).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.delete(&path, &cat).await.status, StatusCode::FORBIDDEN);
    // ... and cannot apply it to Ann's diary.
    let r = app
        .post(
            &format!("{path}/apply?user_id={ann_id}"),
            &cat,
            range.clone(),
        )
        .await;
    assert!(
        matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{:?}",
        r.body
    );
    assert_eq!(diary_stats(&app, &ann_id).await.0, 0);
    let owner = app.db.owner_client().await;
    let plans: i64 = owner
        .query_one("SELECT count(*) FROM meal_plans", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(plans, 0);
    // Nothing of Ann's changed.
    let got = app.get(&path, &ann).await;
    assert_eq!(got.body["name"], "Weekday plan");
    assert_eq!(got.body["item_count"], 3);

    // Reading a shared template lets Cat plan her own days with it.
    let r = app
        .post(&format!("{path}/apply"), &cat, range.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user_id"], cat_id.as_str());
    assert_eq!(r.body["applied"].as_array().unwrap().len(), 3);
    assert_eq!(diary_stats(&app, &cat_id).await.0, 3 + 2 + 2);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 0);
    // Ann does not see Cat's plans or diary through her template.
    assert_eq!(
        app.get("/api/v1/diary/2026-06-01", &ann).await.body["totals"],
        json!({})
    );
}

#[tokio::test]
async fn concurrent_applies_of_the_same_dates_write_the_diary_once() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let (id, _) = weekday_template(&app, &ann, &f).await;
    let apply = format!("/api/v1/meal-plan-templates/{id}/apply");
    let body = json!({"from": "2026-06-01", "to": "2026-06-07"});
    let (a, b, c) = tokio::join!(
        app.post(&apply, &ann, body.clone()),
        app.post(&apply, &ann, body.clone()),
        app.post(&apply, &ann, body.clone()),
    );
    let mut applied = 0;
    for r in [&a, &b, &c] {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let n = r.body["applied"].as_array().unwrap().len();
        assert_eq!(n + r.body["skipped"].as_array().unwrap().len(), 7);
        applied += n;
    }
    assert_eq!(applied, 7, "each date applied exactly once");
    let expected = Decimal::from(7) * Decimal::new(2945, 1) + Decimal::from(190);
    assert_eq!(diary_stats(&app, &ann_id).await, (7 * 2 + 1, expected));
}

/// Sends a POST with an `Idempotency-Key`, as `who` (a session cookie).
async fn post_with_key(
    app: &TestApp,
    who: &As,
    path: &str,
    key: &str,
    body: Value,
) -> common::Response {
    let As::Cookie(cookie) = who else {
        unreachable!()
    };
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("cookie", format!("sparky_session={cookie}"))
        .header("origin", app.origin())
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.json().await.unwrap_or(Value::Null);
    common::Response {
        status,
        headers,
        body,
    }
}

async fn plans_of(app: &TestApp, user: &str) -> i64 {
    let owner = app.db.owner_client().await;
    let user: Uuid = user.parse().unwrap();
    owner
        .query_one(
            "SELECT count(*) FROM meal_plans WHERE user_id = $1",
            &[&user],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn apply_takes_at_most_31_dates_and_refuses_a_day_it_would_overfill() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let (id, _) = weekday_template(&app, &ann, &f).await;
    let apply = format!("/api/v1/meal-plan-templates/{id}/apply");

    // 32 days, 32 dates, both forms at once, none: refused, naming the field; nothing written.
    let many: Vec<String> = (1..=31)
        .map(|d| format!("2026-07-{:02}", d.min(30)))
        .collect();
    let mut distinct = many.clone();
    distinct[30] = "2026-07-31".into();
    distinct.push("2026-08-01".into());
    for (body, field) in [
        (json!({"from": "2026-07-01", "to": "2026-08-01"}), "to"),
        (json!({"dates": distinct}), "dates"),
        (json!({"dates": []}), "dates"),
        (
            json!({"from": "2026-07-01", "to": "2026-07-02", "dates": ["2026-07-03"]}),
            "dates",
        ),
        (json!({"to": "2026-07-02"}), "from"),
        (json!({"from": "2026-07-01", "to": "9999-12-31"}), "to"),
    ] {
        let r = app.post(&apply, &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{field}: {:?}",
            r.body
        );
    }
    assert_eq!(diary_stats(&app, &ann_id).await.0, 0);
    assert_eq!(plans_of(&app, &ann_id).await, 0);

    // 31 days is the most: July 2026 has four Mondays (6, 13, 20, 27).
    let r = app
        .post(
            &apply,
            &ann,
            json!({"from": "2026-07-01", "to": "2026-07-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["applied"].as_array().unwrap().len(), 31);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 31 * 2 + 4);
    // 31 dates with a repeat are 30 distinct dates, all applied already.
    let r = app.post(&apply, &ann, json!({"dates": many})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["applied"].as_array().unwrap().is_empty());
    assert_eq!(dates(&r.body["skipped"]).len(), 30);

    // A list of dates, in any order and with repeats, applies exactly those (Mondays here).
    let r = app
        .post(
            &apply,
            &ann,
            json!({"dates": ["2026-08-10", "2026-08-03", "2026-08-10"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(dates(&r.body["applied"]), ["2026-08-03", "2026-08-10"]);
    assert_eq!(r.body["applied"][0]["entries"], 3);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 31 * 2 + 4 + 6);

    // 2026-09-01 (a Tuesday: two items) already holds 299 entries: applying the three days
    // around it is refused as a whole, naming that date.
    let owner = app.db.owner_client().await;
    let ann_uuid: Uuid = ann_id.parse().unwrap();
    owner
        .execute(
            "INSERT INTO food_diary (user_id, food_name, quantity, unit, meal_type, consumed_at, entry_date)
             SELECT $1, 'Filler', 1, 'serving', 'snack', timestamptz '2026-09-01 10:00Z', date '2026-09-01'
             FROM generate_series(1, 299)",
            &[&ann_uuid],
        )
        .await
        .unwrap();
    let before = (
        diary_stats(&app, &ann_id).await,
        plans_of(&app, &ann_id).await,
    );
    let range = json!({"from": "2026-08-31", "to": "2026-09-02"});
    let r = app.post(&apply, &ann, range.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let problem = r.body["error"]["fields"]["date"].as_str().unwrap();
    assert!(problem.contains("2026-09-01"), "{problem}");
    assert!(problem.contains("300"), "{problem}");
    assert_eq!(
        (
            diary_stats(&app, &ann_id).await,
            plans_of(&app, &ann_id).await
        ),
        before,
        "nothing written, not even the other two days"
    );
    // With room for exactly two more, the same request fills the day to its limit.
    owner
        .execute(
            "DELETE FROM food_diary WHERE id = (SELECT id FROM food_diary
                WHERE user_id = $1 AND food_name = 'Filler' LIMIT 1)",
            &[&ann_uuid],
        )
        .await
        .unwrap();
    let r = app.post(&apply, &ann, range).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["applied"].as_array().unwrap().len(), 3);
    let day = app.get("/api/v1/diary/2026-09-01", &ann).await;
    let entries: usize = day.body["meals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entries"].as_array().unwrap().len())
        .sum();
    assert_eq!(entries, 300);
    common::assert_day_totals_match_diary(&app).await;
}

#[tokio::test]
async fn a_template_holds_at_most_50_items() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let t = create(
        &app,
        &ann,
        "/api/v1/meal-plan-templates",
        json!({"name": "Big"}),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_string();
    let items = format!("/api/v1/meal-plan-templates/{id}/items");
    for i in 0..50 {
        create(
            &app,
            &ann,
            &items,
            json!({"food_item_id": f.apple, "quantity": 1, "meal_type": "snack", "sort_order": i}),
        )
        .await;
    }
    let r = app
        .post(
            &items,
            &ann,
            json!({"food_item_id": f.apple, "quantity": 1, "meal_type": "snack"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("50"));
    let got = app
        .get(&format!("/api/v1/meal-plan-templates/{id}"), &ann)
        .await;
    assert_eq!(got.body["item_count"], 50);
    // 50 items on 31 days is the most one apply writes.
    let r = app
        .post(
            &format!("/api/v1/meal-plan-templates/{id}/apply"),
            &ann,
            json!({"from": "2026-07-01", "to": "2026-07-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 50 * 31);

    // A template from before the bound with more items is not applied (nothing written).
    let owner = app.db.owner_client().await;
    let template: Uuid = id.parse().unwrap();
    let apple: Uuid = f.apple.parse().unwrap();
    owner
        .execute(
            "INSERT INTO meal_plan_template_items (meal_plan_template_id, food_item_id, food_name,
                 quantity, unit, meal_type)
             VALUES ($1, $2, 'Apple', 1, 'serving', 'snack')",
            &[&template, &apple],
        )
        .await
        .unwrap();
    let r = app
        .post(
            &format!("/api/v1/meal-plan-templates/{id}/apply"),
            &ann,
            json!({"from": "2026-08-01", "to": "2026-08-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.body["error"]["fields"]
        .get("meal_plan_template_id")
        .is_some());
    assert_eq!(diary_stats(&app, &ann_id).await.0, 50 * 31);
}

#[tokio::test]
async fn item_creation_and_apply_are_safe_to_retry_with_an_idempotency_key() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let t = create(
        &app,
        &ann,
        "/api/v1/meal-plan-templates",
        json!({"name": "Retry"}),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_string();
    let items = format!("/api/v1/meal-plan-templates/{id}/items");
    // Letter case of the meal does not matter; the unit may be the serving's own word.
    let body =
        json!({"food_item_id": f.oats, "quantity": 2, "unit": "cups", "meal_type": "BreakFast"});
    let (a, b) = tokio::join!(
        post_with_key(&app, &ann, &items, "item-1", body.clone()),
        post_with_key(&app, &ann, &items, "item-1", body.clone()),
    );
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    assert_eq!(b.status, StatusCode::CREATED, "{:?}", b.body);
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(a.body["meal_type"], "breakfast");
    assert_eq!(a.body["nutrition_data_id"], Value::Null);
    assert_eq!(a.body["serving"]["description"], "1 cup (81 g)");
    assert_eq!(num(&a.body["nutrients"]["calories"]), 614.0);
    let again = post_with_key(&app, &ann, &items, "item-1", body.clone()).await;
    assert_eq!(again.body["id"], a.body["id"]);
    // The same key for another body is refused.
    let other = post_with_key(
        &app,
        &ann,
        &items,
        "item-1",
        json!({"food_item_id": f.milk, "quantity": 200, "unit": "ml", "meal_type": "breakfast"}),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(other.body["error"]["fields"]
        .get("Idempotency-Key")
        .is_some());
    let got = app
        .get(&format!("/api/v1/meal-plan-templates/{id}"), &ann)
        .await;
    assert_eq!(got.body["item_count"], 1);

    // A retried apply answers as the first did (the dates as applied), and writes nothing.
    let apply = format!("/api/v1/meal-plan-templates/{id}/apply");
    let range = json!({"from": "2026-06-01", "to": "2026-06-03"});
    let first = post_with_key(&app, &ann, &apply, "apply-1", range.clone()).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["applied"].as_array().unwrap().len(), 3);
    let stats = diary_stats(&app, &ann_id).await;
    assert_eq!(stats, (3, Decimal::from(3 * 614)));
    let retry = post_with_key(&app, &ann, &apply, "apply-1", range.clone()).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body, first.body);
    assert_eq!(diary_stats(&app, &ann_id).await, stats);
    // Without the key it is still idempotent, by date.
    let plain = app.post(&apply, &ann, range).await;
    assert!(plain.body["applied"].as_array().unwrap().is_empty());
    assert_eq!(diary_stats(&app, &ann_id).await, stats);
    // The diary entries are ordinary ones, logged as "2 cups".
    let day = app.get("/api/v1/diary/2026-06-01", &ann).await;
    let entry = &day.body["meals"][0]["entries"][0];
    assert_eq!(
        (entry["quantity"].clone(), entry["unit"].clone()),
        (json!(2.0), json!("cup"))
    );
    assert_eq!(entry["servings"], 2.0);
}

#[tokio::test]
async fn template_lists_page_with_a_cursor_and_still_take_an_offset() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for name in ["b", "A", "c", "D", "e"] {
        create(
            &app,
            &ann,
            "/api/v1/meal-plan-templates",
            json!({"name": name}),
        )
        .await;
    }
    let names = |r: &common::Response| -> Vec<String> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    let mut seen = Vec::new();
    let mut path = "/api/v1/meal-plan-templates?limit=2".to_string();
    for expected in [["A", "b"].as_slice(), &["c", "D"], &["e"]] {
        let r = app.get(&path, &ann).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(names(&r), expected);
        seen.extend(names(&r));
        match r.headers.get("x-next-cursor") {
            Some(c) => {
                path = format!(
                    "/api/v1/meal-plan-templates?limit=2&cursor={}",
                    c.to_str().unwrap()
                )
            }
            None => assert_eq!(expected, ["e"], "only the last page has no cursor"),
        }
    }
    assert_eq!(seen.len(), 5);
    let r = app
        .get("/api/v1/meal-plan-templates?limit=2&offset=1", &ann)
        .await;
    assert_eq!(names(&r), ["b", "c"]);
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=nonsense", "cursor"),
        ("offset=-1", "offset"),
        ("offset=10001", "offset"),
        ("colour=red", "colour"),
    ] {
        let r = app
            .get(&format!("/api/v1/meal-plan-templates?{query}"), &ann)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{query}: {:?}",
            r.body
        );
    }
}

/// `?user_id=` on templates with every pair of access types granted to one person: only
/// `food_list` shows the grantor's templates (also when there are none), and applying one to
/// the grantor's diary is never allowed (their dated plans are theirs alone).
#[tokio::test]
async fn every_pair_of_access_types_on_the_template_endpoints() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (cat_id, cat) = app.user("cat@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let f = foods(&app, &ann).await;
    let (id, _) = weekday_template(&app, &ann, &f).await;
    let types = ["calorie", "checkin", "reports", "food_list"];
    for (i, a) in types.iter().enumerate() {
        for b in &types[i + 1..] {
            let mut grants = Vec::new();
            for (grantor, t) in [(&ann, a), (&ann, b), (&cat, a), (&cat, b)] {
                let r = app
                    .post(
                        "/api/v1/family-access",
                        grantor,
                        json!({"grantee_email": "bob@example.com", "access_type": t}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
                grants.push((grantor, r.body["id"].as_str().unwrap().to_string()));
            }
            let shared = *a == "food_list" || *b == "food_list";
            let r = app
                .get(
                    &format!("/api/v1/meal-plan-templates?user_id={ann_id}"),
                    &bob,
                )
                .await;
            if shared {
                assert_eq!(r.status, StatusCode::OK, "{a}+{b}: {:?}", r.body);
                assert_eq!(r.body.as_array().unwrap().len(), 1);
            } else {
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{a}+{b}: {:?}", r.body);
            }
            // Cat has no templates: an empty list when shared, else not found.
            let r = app
                .get(
                    &format!("/api/v1/meal-plan-templates?user_id={cat_id}"),
                    &bob,
                )
                .await;
            if shared {
                assert_eq!(r.status, StatusCode::OK, "{a}+{b}: {:?}", r.body);
                assert!(r.body.as_array().unwrap().is_empty());
            } else {
                assert_eq!(r.status, StatusCode::NOT_FOUND, "{a}+{b}: {:?}", r.body);
            }
            let r = app
                .get(&format!("/api/v1/meal-plan-templates/{id}"), &bob)
                .await;
            let want = if shared {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status, want, "{a}+{b}: {:?}", r.body);
            let r = app
                .post(
                    &format!("/api/v1/meal-plan-templates/{id}/apply?user_id={ann_id}"),
                    &bob,
                    json!({"from": "2026-06-01", "to": "2026-06-02"}),
                )
                .await;
            // A diary writer who reads the template may apply it to the diary.
            let writes = *a == "calorie" || *b == "calorie";
            let want = match (shared, writes) {
                (true, true) => StatusCode::OK,
                (true, false) => StatusCode::FORBIDDEN,
                _ => StatusCode::NOT_FOUND,
            };
            assert_eq!(r.status, want, "{a}+{b}: {:?}", r.body);
            if want == StatusCode::OK {
                assert_eq!(r.body["user_id"], ann_id.as_str(), "{:?}", r.body);
                assert_eq!(r.body["applied"].as_array().unwrap().len(), 2);
            }
            for (grantor, g) in grants {
                let r = app
                    .delete(&format!("/api/v1/family-access/{g}"), grantor)
                    .await;
                assert_eq!(r.status, StatusCode::NO_CONTENT);
            }
        }
    }
    // Only calorie + food_list applied it: once, on both dates.
    assert!(diary_stats(&app, &ann_id).await.0 > 0);
    assert_eq!(plans_of(&app, &ann_id).await, 2);
}

/// A date the template has nothing for is not applied, so once a Tuesday item is added, applying
/// again fills Tuesday (it was marked applied and skipped for good).
#[tokio::test]
async fn a_date_without_items_is_not_marked_applied() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let t = create(
        &app,
        &ann,
        "/api/v1/meal-plan-templates",
        json!({"name": "Mondays", "target_calories": 2000}),
    )
    .await;
    let id = t["id"].as_str().unwrap().to_string();
    let items = format!("/api/v1/meal-plan-templates/{id}/items");
    create(
        &app,
        &ann,
        &items,
        json!({"food_item_id": f.apple, "quantity": 1, "unit": "serving",
        "meal_type": "snack", "day_of_week": 0}),
    )
    .await;
    let apply = format!("/api/v1/meal-plan-templates/{id}/apply");
    // 2026-06-01 is a Monday.
    let range = json!({"from": "2026-06-01", "to": "2026-06-02"});
    let r = app.post(&apply, &ann, range.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(dates(&r.body["applied"]), ["2026-06-01"]);
    assert!(
        r.body["skipped"].as_array().unwrap().is_empty(),
        "{:?}",
        r.body
    );
    create(
        &app,
        &ann,
        &items,
        json!({"food_item_id": f.apple, "quantity": 1, "unit": "serving",
        "meal_type": "snack", "day_of_week": 1}),
    )
    .await;
    let r = app.post(&apply, &ann, range).await;
    assert_eq!(dates(&r.body["applied"]), ["2026-06-02"], "{:?}", r.body);
    assert_eq!(dates(&r.body["skipped"]), ["2026-06-01"]);
}

/// A shopping list's lines: name, amount, unit and the recipes it is for.
fn shopping_lines(body: &Value) -> Vec<(String, f64, String, Value)> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["amount"].as_f64().unwrap(),
                l["unit"].as_str().unwrap().to_string(),
                l["recipes"].clone(),
            )
        })
        .collect()
}

/// A recipe inside a planned recipe is opened up too, for the share of it used.
#[tokio::test]
async fn a_shopping_list_opens_recipes_inside_recipes() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let f = foods(&app, &ann).await;
    let flour = create(
        &app,
        &ann,
        "/api/v1/foods",
        json!({"name": "Flour", "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 364}}]}),
    )
    .await;
    // The dough makes 2 servings; the pizza, 4, uses one serving of dough.
    let dough = create(
        &app,
        &ann,
        "/api/v1/recipes",
        json!({"name": "Pizza dough", "servings": 2, "ingredients": [
            {"food_item_id": flour["id"], "quantity": 500, "unit": "g"},
            {"food_item_id": f.milk, "quantity": 100, "unit": "ml"}]}),
    )
    .await;
    let pizza = create(
        &app,
        &ann,
        "/api/v1/recipes",
        json!({"name": "Pizza", "servings": 4, "ingredients": [
            {"food_item_id": dough["id"], "quantity": 1, "unit": "serving"},
            {"food_item_id": f.oats, "quantity": 200, "unit": "g"}]}),
    )
    .await;
    let t = create(
        &app,
        &ann,
        "/api/v1/meal-plan-templates",
        json!({"name": "Pizza night"}),
    )
    .await;
    let id = t["id"].as_str().unwrap();
    create(
        &app,
        &ann,
        &format!("/api/v1/meal-plan-templates/{id}/items"),
        json!({"food_item_id": pizza["id"], "quantity": 1, "unit": "serving",
               "meal_type": "dinner", "day_of_week": 4}),
    )
    .await;
    let path =
        format!("/api/v1/meal-plan-templates/{id}/shopping-list?from=2026-07-06&to=2026-07-12");
    let line = |n: &str, a: f64, u: &str| (n.to_string(), a, u.to_string(), json!(["Pizza"]));
    // A quarter of the pizza: 50 g oats, and a quarter of a serving of dough, an eighth of
    // the dough: 62.5 g flour and 12.5 ml milk.
    let r = app.get(&path, &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        shopping_lines(&r.body),
        vec![
            line("Flour", 62.5, "g"),
            line("Milk", 12.5, "ml"),
            line("Rolled oats", 50.0, "g"),
        ]
    );
    // A loop (the dough holding some pizza) is refused, so the list stays as it was.
    let r = app
        .put(
            &format!("/api/v1/recipes/{}", dough["id"].as_str().unwrap()),
            &ann,
            json!({"name": "Pizza dough", "servings": 2, "ingredients": [
                {"food_item_id": flour["id"], "quantity": 500, "unit": "g"},
                {"food_item_id": pizza["id"], "quantity": 1, "unit": "serving"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let again = app.get(&path, &ann).await;
    assert_eq!(shopping_lines(&again.body)[0], line("Flour", 62.5, "g"));
}

/// A template's shopping list: every item as often as its weekday (or every day) comes up in
/// the range, per food in grams when every amount is weighed (oats in g and in cups add up),
/// per unit otherwise (milk in ml), a planned recipe opened up into its ingredients for the
/// share of it planned; the range is bounded, other users get a 404 and a `food_list` grantee
/// the same list; nothing is written.
#[tokio::test]
async fn a_shopping_list_adds_up_the_plan_over_its_days() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let f = foods(&app, &ann).await;
    let (id, _) = weekday_template(&app, &ann, &f).await;
    let items_path = format!("/api/v1/meal-plan-templates/{id}/items");
    // A cup of oats (81 g) on Wednesdays, and a quarter of a soup on Fridays.
    create(
        &app,
        &ann,
        &items_path,
        json!({"food_item_id": f.oats, "nutrition_data_id": f.oats_cup, "quantity": 1,
               "unit": "cup", "meal_type": "breakfast", "day_of_week": 2}),
    )
    .await;
    let lentils = create(
        &app,
        &ann,
        "/api/v1/foods",
        json!({"name": "Red lentils", "servings": [{"size": 100, "unit": "g", "nutrients": {"calories": 358}}]}),
    )
    .await;
    let soup = create(
        &app,
        &ann,
        "/api/v1/recipes",
        json!({"name": "Lentil soup", "servings": 4, "ingredients": [
            {"food_item_id": lentils["id"], "quantity": 400, "unit": "g"},
            {"food_item_id": f.milk, "quantity": 200, "unit": "ml"}]}),
    )
    .await;
    create(
        &app,
        &ann,
        &items_path,
        json!({"food_item_id": soup["id"], "quantity": 1, "unit": "serving",
               "meal_type": "dinner", "day_of_week": 4}),
    )
    .await;
    let before = app.db.owner_client().await;
    let rows = |c: tokio_postgres::Client| async move {
        c.query_one(
            "SELECT (SELECT count(*) FROM food_diary) + (SELECT count(*) FROM meal_plans)",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
    };
    let written = rows(before).await;

    let path = format!("/api/v1/meal-plan-templates/{id}/shopping-list");
    // 2026-07-06 is a Monday: a week has one of each weekday.
    let week = app
        .get(&format!("{path}?from=2026-07-06&to=2026-07-12"), &ann)
        .await;
    assert_eq!(week.status, StatusCode::OK, "{:?}", week.body);
    assert_eq!(week.body["name"], "Weekday plan");
    assert_eq!(week.body["from"], "2026-07-06");
    assert_eq!(week.body["to"], "2026-07-12");
    let line = |n: &str, a: f64, u: &str, r: Value| (n.to_string(), a, u.to_string(), r);
    assert_eq!(
        shopping_lines(&week.body),
        vec![
            // Two apples on the one Monday: a weighed serving (182 g each).
            line("Apple", 364.0, "g", json!([])),
            // 250 ml a day and 50 ml for a quarter of the soup: not weighed, so in ml.
            line("Milk", 1800.0, "ml", json!(["Lentil soup"])),
            line("Red lentils", 100.0, "g", json!(["Lentil soup"])),
            // 50 g a day and the Wednesday cup (81 g).
            line("Rolled oats", 431.0, "g", json!([])),
        ]
    );
    let oats = &week.body["items"][3];
    assert_eq!(oats["food_item_id"], json!(f.oats));
    assert_eq!(oats["weight_g"].as_f64(), Some(431.0));
    assert!(week.body["items"][1]["weight_g"].is_null());
    // A fortnight is twice the week; one Monday is only the daily items and the apples.
    let fortnight = app
        .get(&format!("{path}?from=2026-07-06&to=2026-07-19"), &ann)
        .await;
    assert_eq!(
        fortnight.body["items"][3]["amount"].as_f64(),
        Some(862.0),
        "{:?}",
        fortnight.body
    );
    let monday = app
        .get(&format!("{path}?from=2026-07-06&to=2026-07-06"), &ann)
        .await;
    assert_eq!(
        shopping_lines(&monday.body),
        vec![
            line("Apple", 364.0, "g", json!([])),
            line("Milk", 250.0, "ml", json!([])),
            line("Rolled oats", 50.0, "g", json!([])),
        ]
    );
    // Without a range: the week from today.
    let default = app.get(&path, &ann).await;
    assert_eq!(default.status, StatusCode::OK, "{:?}", default.body);
    let from: chrono::NaiveDate = default.body["from"].as_str().unwrap().parse().unwrap();
    let to: chrono::NaiveDate = default.body["to"].as_str().unwrap().parse().unwrap();
    assert_eq!((to - from).num_days(), 6);

    // Bad ranges are a 422 naming the field.
    for (query, field) in [
        ("from=2026-07-06&to=2026-07-05", "to"),
        ("from=2026-07-01&to=2026-08-01", "to"),
        ("from=2026-02-30", "from"),
        ("from=1800-01-01", "from"),
        ("when=tomorrow", "when"),
    ] {
        let r = app.get(&format!("{path}?{query}"), &ann).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"][field].is_string(),
            "{query}: {:?}",
            r.body
        );
    }
    // Someone else's template is not there; a food_list grantee reads the same list.
    let r = app
        .get(&format!("{path}?from=2026-07-06&to=2026-07-12"), &bob)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let g = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "cat@example.com", "access_type": "food_list"}),
        )
        .await;
    assert_eq!(g.status, StatusCode::CREATED, "{:?}", g.body);
    let shared = app
        .get(&format!("{path}?from=2026-07-06&to=2026-07-12"), &cat)
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{:?}", shared.body);
    assert_eq!(shopping_lines(&shared.body), shopping_lines(&week.body));
    assert_eq!(rows(app.db.owner_client().await).await, written);
}

/// Taking a plan off some dates removes what applying it wrote there, keeps entries changed
/// since (no longer the plan's) and entries logged by hand, frees the dates to be applied again, and is refused to
/// anyone who may not change that diary.
#[tokio::test]
async fn unapply_removes_what_a_plan_wrote_and_frees_the_dates() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let f = foods(&app, &ann).await;
    let (id, _) = weekday_template(&app, &ann, &f).await;
    let apply = format!("/api/v1/meal-plan-templates/{id}/apply");
    let unapply = format!("/api/v1/meal-plan-templates/{id}/unapply");
    // 2026-06-01 is a Monday (3 entries), the other days 2.
    let r = app
        .post(
            &apply,
            &ann,
            json!({"from": "2026-06-01", "to": "2026-06-07"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 15);
    // One entry by hand on a planned day, and one planned entry changed since.
    let hand = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": f.apple, "quantity": 1, "unit": "serving",
                   "meal_type": "snack", "date": "2026-06-02"}),
        )
        .await;
    assert_eq!(hand.status, StatusCode::CREATED, "{:?}", hand.body);
    let tuesday = app.get("/api/v1/diary/2026-06-03", &ann).await;
    let planned = tuesday.body["meals"][0]["entries"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .put(
            &format!("/api/v1/diary/{planned}"),
            &ann,
            json!({"quantity": 80}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // Bad dates change nothing.
    for body in [
        json!({"from": "2026-06-10", "to": "2026-06-01"}),
        json!({"from": "2026-06-01"}),
        json!({"dates": []}),
    ] {
        let r = app.post(&unapply, &ann, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
    }
    assert_eq!(diary_stats(&app, &ann_id).await.0, 16);

    let r = app
        .post(
            &unapply,
            &ann,
            json!({"from": "2026-06-02", "to": "2026-06-03"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user_id"], ann_id.as_str());
    assert_eq!(r.body["meal_plan_template_id"], id.as_str());
    assert_eq!(dates(&r.body["removed"]), ["2026-06-02", "2026-06-03"]);
    assert_eq!(r.body["removed"][0]["entries"], 2);
    assert_eq!(r.body["removed"][0]["kept"], 0);
    // The entry changed since stays, as an ordinary entry.
    assert_eq!(r.body["removed"][1]["entries"], 1);
    assert_eq!(r.body["removed"][1]["kept"], 1);
    let kept = app
        .db
        .owner_client()
        .await
        .query_one(
            "SELECT quantity::float8, meal_plan_id IS NULL FROM food_diary WHERE id = $1::text::uuid",
            &[&planned],
        )
        .await
        .unwrap();
    assert_eq!(
        (kept.get::<_, f64>(0), kept.get::<_, bool>(1)),
        (80.0, true)
    );
    assert!(r.body["not_applied"].as_array().unwrap().is_empty());
    // The hand-logged apple stays; the day totals still equal the diary.
    let day = app.get("/api/v1/diary/2026-06-02", &ann).await;
    assert!(day.body["meals"][0]["entries"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(day.body["meals"][3]["entries"][0]["food_name"], "Apple");
    assert_eq!(num(&day.body["totals"]["calories"]), 95.0);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 13);
    assert_eq!(plans_of(&app, &ann_id).await, 5);
    common::assert_day_totals_match_diary(&app).await;

    // Again: nothing left there. A list of dates takes Monday off and names the date it had
    // never been applied to.
    let r = app
        .post(
            &unapply,
            &ann,
            json!({"from": "2026-06-02", "to": "2026-06-03"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["removed"].as_array().unwrap().is_empty());
    assert_eq!(dates(&r.body["not_applied"]), ["2026-06-02", "2026-06-03"]);
    let r = app
        .post(
            &unapply,
            &ann,
            json!({"dates": ["2026-06-20", "2026-06-01"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(dates(&r.body["removed"]), ["2026-06-01"]);
    assert_eq!(r.body["removed"][0]["entries"], 3);
    assert_eq!(dates(&r.body["not_applied"]), ["2026-06-20"]);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 10);

    // The freed dates can be applied again; the others are still skipped.
    let r = app
        .post(
            &apply,
            &ann,
            json!({"from": "2026-06-01", "to": "2026-06-07"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        dates(&r.body["applied"]),
        ["2026-06-01", "2026-06-02", "2026-06-03"]
    );
    assert_eq!(dates(&r.body["skipped"]).len(), 4);
    assert_eq!(diary_stats(&app, &ann_id).await.0, 17);

    // Bob: a stranger's template is not found, and so is Ann's diary.
    let with_ann = format!("{unapply}?user_id={ann_id}");
    let week = json!({"from": "2026-06-01", "to": "2026-06-07"});
    let r = app.post(&unapply, &bob, week.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let mut grants = Vec::new();
    for t in ["food_list", "reports"] {
        let r = app
            .post(
                "/api/v1/family-access",
                &ann,
                json!({"grantee_email": "bob@example.com", "access_type": t}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        grants.push(r.body["id"].as_str().unwrap().to_string());
        // food_list alone: the template is readable, the diary not (404); with reports the
        // diary is readable but not his to change (403).
        let r = app.post(&with_ann, &bob, week.clone()).await;
        let want = match t {
            "food_list" => StatusCode::NOT_FOUND,
            _ => StatusCode::FORBIDDEN,
        };
        assert_eq!(r.status, want, "{t}: {:?}", r.body);
        assert_eq!(diary_stats(&app, &ann_id).await.0, 17);
    }
    let r = app
        .post(
            "/api/v1/family-access",
            &ann,
            json!({"grantee_email": "bob@example.com", "access_type": "calorie"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app.post(&with_ann, &bob, week).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user_id"], ann_id.as_str());
    assert_eq!(dates(&r.body["removed"]).len(), 7);
    // The apple logged by hand and the entry changed since.
    assert_eq!(diary_stats(&app, &ann_id).await.0, 2);
    assert_eq!(plans_of(&app, &ann_id).await, 0);
    common::assert_day_totals_match_diary(&app).await;
}
