//! A deleted diary entry comes back (undo) with the custom nutrient amounts it was logged
//! with; a snapshot from before custom nutrients restores with none, a tampered one not at all.

use serde_json::json;
use sparky_app::custom_nutrients::CustomNutrientInput;
use sparky_app::diary::LogFoodInput;
use sparky_app::foods::FoodInput;
use sparky_app::Acting;
use sparky_testkit::TestDb;

mod common;
use common::user;

#[tokio::test]
async fn an_undone_delete_brings_the_amounts_back() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let input = CustomNutrientInput {
        name: "Caffeine".into(),
        unit: "mg".into(),
        daily_min: None,
        daily_max: None,
    };
    sparky_app::custom_nutrients::create(&mut tx, &input.parse().unwrap())
        .await
        .unwrap();
    let food: FoodInput = serde_json::from_value(json!({"name": "Espresso", "servings": [{
        "size": 30, "unit": "ml", "nutrients": {"calories": 2},
        "custom_nutrients": {"Caffeine": 63.5}}]}))
    .unwrap();
    let food = sparky_app::foods::create(&mut tx, &food.parse().unwrap())
        .await
        .unwrap();
    let log: LogFoodInput = serde_json::from_value(json!({"food_item_id": food.id,
        "quantity": 2, "meal_type": "breakfast", "date": "2026-11-02"}))
    .unwrap();
    let entry = sparky_app::diary::log(&mut tx, Acting::ME, &log.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        entry.custom_nutrients["Caffeine"]
            .decimal()
            .normalize()
            .to_string(),
        "127"
    );

    let snapshot = sparky_app::diary::remove(&mut tx, entry.id).await.unwrap();
    let back = sparky_app::diary::restore(&mut tx, &snapshot)
        .await
        .unwrap();
    assert_eq!(back.id, entry.id);
    assert_eq!(back.custom_nutrients, entry.custom_nutrients);

    // Written before custom nutrients existed: the key is missing.
    let mut older = sparky_app::diary::remove(&mut tx, entry.id).await.unwrap();
    older.as_object_mut().unwrap().remove("custom_per_serving");
    let back = sparky_app::diary::restore(&mut tx, &older).await.unwrap();
    assert!(back.custom_nutrients.is_empty());
    assert_eq!(back.nutrients, entry.nutrients);

    // Tampered with: refused, the entry stays deleted.
    let mut bad = sparky_app::diary::remove(&mut tx, entry.id).await.unwrap();
    for custom in [
        json!({"Caffeine": -1}),
        json!([1]),
        json!({"Caffeine": "x"}),
    ] {
        bad["custom_per_serving"] = custom.clone();
        let r = sparky_app::diary::restore(&mut tx, &bad).await;
        assert!(
            matches!(r, Err(sparky_app::error::AppError::Invalid(_))),
            "{custom}: {r:?}"
        );
    }
    let left: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}
