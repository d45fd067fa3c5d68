//! What the assistant's tests share: users and their foods, made through the same operations
//! as the API.

use serde_json::json;
use sparky_app::foods::FoodInput;
use sparky_db::Database;
use uuid::Uuid;

/// A registered user (the same SQL as registration).
pub async fn user(db: &Database, email: &str) -> Uuid {
    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit(
            "SELECT user_id FROM auth.register_user($1, $2, $3, true)",
            &[&email, &"not-a-real-hash", &"Someone"],
        )
        .await
        .unwrap();
    rows[0].get(0)
}

/// Ann's own foods: an egg (1 large = 50 g, 72 kcal) and toast (1 slice = 28 g, 80 kcal).
pub async fn foods(db: &Database, owner: Uuid) -> (Uuid, Uuid) {
    let mut tx = db.as_user(owner).await.unwrap();
    let mut ids = Vec::new();
    for (name, unit, grams, kcal, protein) in [
        ("Egg", "large", 50, 72, 6.3),
        ("Toast", "slice", 28, 80, 2.6),
    ] {
        let input: FoodInput = serde_json::from_value(json!({
            "name": name,
            "servings": [{"size": 1, "unit": unit, "weight_g": grams,
                          "nutrients": {"calories": kcal, "protein": protein}}]
        }))
        .unwrap();
        let food = sparky_app::foods::create(&mut tx, &input.parse().unwrap())
            .await
            .unwrap();
        ids.push(food.id);
    }
    tx.commit().await.unwrap();
    (ids[0], ids[1])
}
