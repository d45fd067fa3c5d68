//! My foods (`/foods`, `/foods/{id}`) as a browser without JavaScript uses them: list and
//! search one's own foods, change a food (its other servings follow per gram, logged entries
//! keep their values), refusals that change nothing, delete after confirming; other people's
//! foods read-only or invisible, as RLS decides.

mod common;
mod pages_kit;

use common::{As, TestApp};
use pages_kit::{get, grant, post, token};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Rolled oats: 100 g = 379 kcal, 13 g protein; 1 cup (81 g) = 307 kcal, 10.5 g protein.
async fn oats(app: &TestApp, who: &As) -> String {
    let r = app
        .post(
            "/api/v1/foods",
            who,
            json!({"name": "Rolled oats", "brand": "Mill", "servings": [
                {"size": 100, "unit": "g", "nutrients": {"calories": 379, "protein": 13, "potassium": 362}},
                {"size": 1, "unit": "cup", "weight_g": 81, "nutrients": {"calories": 307, "protein": 10.5}}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn food(app: &TestApp, who: &As, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/foods/{id}"), who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// The form's fields as the page fills them, with `changes` applied.
fn fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("name", "Rolled oats"),
        ("brand", "Mill"),
        ("barcode", ""),
        ("size", "100"),
        ("unit", "g"),
        ("weight_g", ""),
        ("calories", "379"),
        ("protein", "13"),
        ("carbohydrates", ""),
        ("fat", ""),
        ("fiber", ""),
        ("sugar", ""),
        ("sodium", ""),
    ];
    for (k, v) in changes {
        f.iter_mut().find(|(name, _)| name == k).unwrap().1 = v;
    }
    f
}

#[tokio::test]
async fn own_foods_are_listed_changed_and_deleted() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let empty = get(&app, "/foods", &ann, None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(
        empty.body.contains("You have not made a food yet"),
        "{}",
        empty.body
    );
    let id = oats(&app, &ann).await;
    let entry = app
        .post(
            "/api/v1/diary",
            &ann,
            json!({"food_item_id": id, "meal_type": "breakfast", "date": "2026-12-01", "quantity": 50, "unit": "g"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);

    let list = get(&app, "/foods", &ann, None).await;
    assert!(
        list.body.contains(&format!("href=\"/foods/{id}\"")),
        "{}",
        list.body
    );
    assert!(list.body.contains("379 kcal · 100 g"), "{}", list.body);
    let found = get(&app, "/foods?q=oat", &ann, None).await;
    assert!(found.body.contains("Rolled oats"));
    let none = get(&app, "/foods?q=quinoa", &ann, None).await;
    assert!(
        none.body.contains("No food of yours matches"),
        "{}",
        none.body
    );
    // Today links here.
    let today = get(&app, "/", &ann, None).await;
    assert!(today.body.contains("href=\"/foods\""));

    let page = get(&app, &format!("/foods/{id}"), &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"379\""), "{}", page.body);
    assert!(page.body.contains("1 cup (81 g)"));
    let csrf = page.csrf();

    // A number that is not one, and a label that cannot be: the form again, nothing changed.
    for (change, said) in [(("calories", "lots"), "Calories"), (("fat", "150"), "Fat")] {
        let r = post(
            &app,
            &format!("/foods/{id}"),
            &ann,
            None,
            Some(&csrf),
            &fields(&[change]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(said), "{}", r.body);
        assert!(
            r.body.contains(&format!("value=\"{}\"", change.1)),
            "{}",
            r.body
        );
        assert_eq!(
            food(&app, &ann, &id).await["servings"][0]["nutrients"]["calories"],
            json!(379.0)
        );
    }

    // 400 kcal per 100 g: the cup follows per gram (324 kcal; its protein, 13 g per 100 g,
    // is 10.53 g), and the default keeps the potassium the form does not show. The logged
    // entry keeps its 189.5 kcal.
    let r = post(
        &app,
        &format!("/foods/{id}"),
        &ann,
        None,
        Some(&csrf),
        &fields(&[("calories", "400"), ("name", "Oats, rolled")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, format!("/foods/{id}?saved=1"));
    let f = food(&app, &ann, &id).await;
    assert_eq!(f["name"], "Oats, rolled");
    let servings = f["servings"].as_array().unwrap();
    let default = servings
        .iter()
        .find(|s| s["is_default"] == json!(true))
        .unwrap();
    let cup = servings.iter().find(|s| s["unit"] == "cup").unwrap();
    assert_eq!(default["nutrients"]["calories"], json!(400.0));
    assert_eq!(default["nutrients"]["potassium"], json!(362.0));
    assert_eq!(cup["nutrients"]["calories"], json!(324.0));
    assert_eq!(cup["nutrients"]["protein"], json!(10.53));
    let day = app.get("/api/v1/diary/2026-12-01", &ann).await;
    assert_eq!(
        day.body["meals"][0]["entries"][0]["nutrients"]["calories"],
        json!(189.5),
        "{:?}",
        day.body
    );
    let saved = get(&app, &format!("/foods/{id}?saved=1"), &ann, None).await;
    assert!(saved.body.contains("Saved."), "{}", saved.body);

    // Delete asks first; then the food is gone and the entry stays.
    let ask = post(
        &app,
        &format!("/foods/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[],
    )
    .await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.body.contains("Delete the food"), "{}", ask.body);
    assert_eq!(food(&app, &ann, &id).await["id"], json!(id));
    let r = post(
        &app,
        &format!("/foods/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/foods");
    let gone = app.get(&format!("/api/v1/foods/{id}"), &ann).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let day = app.get("/api/v1/diary/2026-12-01", &ann).await;
    assert_eq!(day.body["meals"][0]["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn other_peoples_foods_are_read_only_or_invisible() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let (_, cat) = app.user("cat@example.com").await;
    let id = oats(&app, &ann).await;
    grant(&app, &ann, "bob@example.com", "food_list").await;
    let bcsrf = token(&app, &bob, "/settings").await;
    let ccsrf = token(&app, &cat, "/settings").await;

    // Bob may read her foods: listed when viewing her, shown without a form.
    let list = get(&app, "/foods", &bob, Some(&ann_id)).await;
    assert!(list.body.contains("Rolled oats"), "{}", list.body);
    let own = get(&app, "/foods", &bob, None).await;
    assert!(!own.body.contains("Rolled oats"));
    let page = get(&app, &format!("/foods/{id}"), &bob, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/delete\""), "{}", page.body);
    assert!(page.body.contains("Only your own foods can be changed"));
    // Cat may not see it at all.
    let hidden = get(&app, &format!("/foods/{id}"), &cat, None).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let list = get(&app, "/foods", &cat, Some(&ann_id)).await;
    assert!(!list.body.contains("Rolled oats"), "{}", list.body);

    // Neither may change or delete it, whatever they send.
    for (who, csrf, status) in [
        (&bob, &bcsrf, StatusCode::FORBIDDEN),
        (&cat, &ccsrf, StatusCode::NOT_FOUND),
    ] {
        let r = post(
            &app,
            &format!("/foods/{id}"),
            who,
            None,
            Some(csrf),
            &fields(&[("name", "Mine now")]),
        )
        .await;
        assert_eq!(r.status, status, "{}", r.body);
        let r = post(
            &app,
            &format!("/foods/{id}/delete"),
            who,
            None,
            Some(csrf),
            &[("confirm", "yes")],
        )
        .await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    assert_eq!(food(&app, &ann, &id).await["name"], "Rolled oats");

    // A recipe is one of her foods, changed on its own page.
    let recipe = app
        .post(
            "/api/v1/recipes",
            &ann,
            json!({"name": "Porridge", "servings": 1, "ingredients": [{"food_item_id": id, "quantity": 50, "unit": "g"}]}),
        )
        .await;
    assert_eq!(recipe.status, StatusCode::CREATED, "{:?}", recipe.body);
    let rid = recipe.body["id"].as_str().unwrap();
    let list = get(&app, "/foods", &ann, None).await;
    assert!(
        list.body.contains(&format!("href=\"/recipes/{rid}\"")),
        "{}",
        list.body
    );
    let r = get(&app, &format!("/foods/{rid}"), &ann, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, format!("/recipes/{rid}"));
}

/// A new weight for the default serving rescales what the form does not show, and servings
/// in ounces follow per gram too.
#[tokio::test]
async fn a_new_serving_weight_rescales_hidden_nutrients_and_other_servings() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "Peanut butter", "servings": [
                {"size": 2, "unit": "tbsp", "weight_g": 32, "nutrients": {"calories": 190, "potassium": 200}},
                {"size": 1, "unit": "oz", "nutrients": {"calories": 167}}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    let page = get(&app, &format!("/foods/{id}"), &ann, None).await;
    let r = post(
        &app,
        &format!("/foods/{id}"),
        &ann,
        None,
        Some(&page.csrf()),
        &[
            ("name", "Peanut butter"),
            ("size", "1"),
            ("unit", "tbsp"),
            ("weight_g", "16"),
            ("calories", "95"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = food(&app, &ann, &id).await;
    let servings = f["servings"].as_array().unwrap();
    let default = servings
        .iter()
        .find(|s| s["is_default"] == json!(true))
        .unwrap();
    let oz = servings.iter().find(|s| s["unit"] == "oz").unwrap();
    assert_eq!(default["nutrients"]["potassium"], json!(100.0), "{f}");
    // 95 kcal / 16 g × 28.349523 g.
    assert_eq!(oz["nutrients"]["calories"], json!(168.325), "{f}");
}
