//! The OpenFoodFacts client against a fake speaking OFF's documented shapes.

mod common;

use common::{d, settings, Fake, Reply};
use serde_json::json;
use sparky_providers::{OpenFoodFacts, ProviderError};

fn nutella() -> serde_json::Value {
    json!({
        "code": "3017620422003",
        "status": 1,
        "status_verbose": "product found",
        "product": {
            "code": "3017620422003",
            "product_name": "Nutella",
            "brands": "Ferrero, Nutella",
            "serving_size": "15 g",
            "serving_quantity": 15,
            "nutrition_data_per": "100g",
            "nutriments": {
                "energy-kcal_100g": 539,
                "energy-kj_100g": 2252,
                "energy_100g": 2252,
                "fat_100g": 30.9,
                "saturated-fat_100g": 10.6,
                "trans-fat_100g": 0,
                "carbohydrates_100g": 57.5,
                "sugars_100g": 56.3,
                "fiber_100g": 3.4,
                "proteins_100g": 6.3,
                "salt_100g": 0.107,
                "sodium_100g": 0.0428,
                "cholesterol_100g": 0.002,
                "potassium_100g": 0.4,
                "calcium_100g": 0.12,
                "iron_100g": 0.0042,
                "vitamin-c_100g": 0.0015,
                "vitamin-a_100g": 0.00012,
                "energy-kcal_serving": 80.9
            }
        }
    })
}

fn product_of(nutriments: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    let mut product =
        json!({ "code": "12345678", "product_name": "Test", "nutriments": nutriments });
    for (k, v) in extra.as_object().unwrap() {
        product[k] = v.clone();
    }
    json!({ "status": 1, "product": product })
}

#[tokio::test]
async fn product_maps_nutriments_per_100g_and_the_serving() {
    let fake = Fake::start(|_, _| Reply::json(nutella())).await;
    let off = OpenFoodFacts::new(settings(&fake.url));
    let food = off.product("3017620422003").await.unwrap();

    let req = fake.last();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/api/v2/product/3017620422003.json");
    let fields = req.q("fields").unwrap();
    assert!(fields.contains("nutriments") && fields.contains("serving_quantity"));
    assert!(req.header("user-agent").unwrap().starts_with("Sparky/"));

    assert_eq!(food.source, "openfoodfacts");
    assert_eq!(food.source_id, "3017620422003");
    assert_eq!(food.barcode.as_deref(), Some("3017620422003"));
    assert_eq!(food.name, "Nutella");
    assert_eq!(food.brand.as_deref(), Some("Ferrero"));
    assert_eq!(food.servings.len(), 2);

    let per100 = &food.servings[0];
    assert!(per100.is_default);
    assert_eq!((per100.size, per100.unit.as_str()), (d("100"), "g"));
    assert_eq!(per100.weight_g, Some(d("100")));
    let n = &per100.nutrients;
    assert_eq!(n.calories, Some(d("539")));
    assert_eq!(n.fat, Some(d("30.9")));
    assert_eq!(n.saturated_fat, Some(d("10.6")));
    assert_eq!(n.trans_fat, Some(d("0")));
    assert_eq!(n.carbohydrates, Some(d("57.5")));
    assert_eq!(n.sugar, Some(d("56.3")));
    assert_eq!(n.fiber, Some(d("3.4")));
    assert_eq!(n.protein, Some(d("6.3")));
    // Minerals and vitamins come in grams: mg (and µg for vitamin A).
    assert_eq!(n.sodium, Some(d("42.8")));
    assert_eq!(n.cholesterol, Some(d("2")));
    assert_eq!(n.potassium, Some(d("400")));
    assert_eq!(n.calcium, Some(d("120")));
    assert_eq!(n.iron, Some(d("4.2")));
    assert_eq!(n.vitamin_c, Some(d("1.5")));
    assert_eq!(n.vitamin_a, Some(d("120")));

    let serving = &food.servings[1];
    assert!(!serving.is_default);
    assert_eq!((serving.size, serving.unit.as_str()), (d("1"), "serving"));
    assert_eq!(serving.weight_g, Some(d("15")));
    assert_eq!(serving.nutrients.calories, Some(d("80.85")));
    assert_eq!(serving.nutrients.sodium, Some(d("6.42")));
    assert_eq!(serving.nutrients.vitamin_a, Some(d("18")));
}

#[tokio::test]
async fn kilojoule_only_products_are_converted_to_kcal() {
    let fake = Fake::start(|req, _| {
        if req.path.contains("111") {
            Reply::json(product_of(json!({ "energy-kj_100g": 1000 }), json!({})))
        } else {
            // `energy_100g` is OFF's kJ value.
            Reply::json(product_of(json!({ "energy_100g": "2092" }), json!({})))
        }
    })
    .await;
    let off = OpenFoodFacts::new(settings(&fake.url));
    let kj = off.product("111").await.unwrap();
    let kcal = kj.servings[0].nutrients.calories.unwrap();
    assert!((kcal - d("239.0057")).abs() < d("0.001"), "{kcal}");
    let energy = off.product("222").await.unwrap();
    assert_eq!(energy.servings[0].nutrients.calories, Some(d("500")));
}

#[tokio::test]
async fn missing_nutrients_stay_unknown_not_zero() {
    let body = product_of(
        json!({ "energy-kcal_100g": 52, "proteins_100g": 0.3, "fiber_unit": "g" }),
        json!({ "product_name": "", "generic_name": "Apple" }),
    );
    let fake = Fake::start(move |_, _| Reply::json(body.clone())).await;
    let food = OpenFoodFacts::new(settings(&fake.url))
        .product("12345678")
        .await
        .unwrap();
    assert_eq!(food.name, "Apple", "falls back to generic_name");
    assert_eq!(food.brand, None);
    assert_eq!(food.servings.len(), 1, "no serving info, only 100 g");
    let n = &food.servings[0].nutrients;
    assert_eq!(n.calories, Some(d("52")));
    assert_eq!(n.protein, Some(d("0.3")));
    for v in [
        n.fat,
        n.carbohydrates,
        n.fiber,
        n.sugar,
        n.sodium,
        n.iron,
        n.vitamin_a,
    ] {
        assert_eq!(v, None);
    }
}

#[tokio::test]
async fn serving_only_nutriments_become_the_default_serving() {
    let body = product_of(
        json!({ "energy-kcal_serving": 120, "fat_serving": 4, "sodium_serving": 0.2 }),
        json!({ "serving_size": "1 bar (40 g)", "serving_quantity": "40" }),
    );
    let fake = Fake::start(move |_, _| Reply::json(body.clone())).await;
    let food = OpenFoodFacts::new(settings(&fake.url))
        .product("12345678")
        .await
        .unwrap();
    let s = &food.servings[0];
    assert!(s.is_default);
    assert_eq!(
        (s.size, s.unit.as_str(), s.weight_g),
        (d("1"), "serving", Some(d("40")))
    );
    assert_eq!(s.nutrients.calories, Some(d("120")));
    assert_eq!(s.nutrients.fat, Some(d("4")));
    assert_eq!(s.nutrients.sodium, Some(d("200")));
    assert_eq!(s.nutrients.protein, None);
    let per100 = &food.servings[1];
    assert!(!per100.is_default);
    assert_eq!((per100.size, per100.unit.as_str()), (d("100"), "g"));
    assert_eq!(per100.nutrients.calories, Some(d("300")));
    assert_eq!(food.servings.iter().filter(|s| s.is_default).count(), 1);
}

#[tokio::test]
async fn sodium_is_derived_from_salt_and_serving_weight_from_text() {
    let body = product_of(
        json!({ "energy-kcal_100g": 250, "salt_100g": 1.25 }),
        json!({ "serving_size": "1 slice (28 g)" }),
    );
    let fake = Fake::start(move |_, _| Reply::json(body.clone())).await;
    let food = OpenFoodFacts::new(settings(&fake.url))
        .product("12345678")
        .await
        .unwrap();
    assert_eq!(food.servings[0].nutrients.sodium, Some(d("500")));
    assert_eq!(food.servings[1].weight_g, Some(d("28")));
    assert_eq!(food.servings[1].nutrients.calories, Some(d("70")));
}

#[tokio::test]
async fn status_zero_and_http_404_are_not_found() {
    let fake = Fake::start(|req, _| {
        if req.path.contains("404") {
            Reply::raw(404, r#"{"status":0,"status_verbose":"product not found"}"#)
        } else {
            Reply::json(
                json!({ "code": "000", "status": 0, "status_verbose": "product not found" }),
            )
        }
    })
    .await;
    let off = OpenFoodFacts::new(settings(&fake.url));
    assert!(matches!(
        off.product("0000").await,
        Err(ProviderError::NotFound {
            provider: "openfoodfacts"
        })
    ));
    assert!(matches!(
        off.product("40404").await,
        Err(ProviderError::NotFound { .. })
    ));
    assert_eq!(fake.hits(), 2, "no retries for a miss");
    // Not a barcode: no request at all.
    assert!(matches!(
        off.product("../etc").await,
        Err(ProviderError::NotFound { .. })
    ));
    assert_eq!(fake.hits(), 2);
}

#[tokio::test]
async fn malformed_json_is_a_bad_response() {
    let fake = Fake::start(|req, _| {
        if req.path.contains("search") {
            Reply::json(json!({ "count": 0 }))
        } else {
            Reply::raw(200, "{\"status\":1,\"product\":{")
        }
    })
    .await;
    let off = OpenFoodFacts::new(settings(&fake.url));
    assert!(matches!(
        off.product("123").await,
        Err(ProviderError::BadResponse { .. })
    ));
    assert!(matches!(
        off.search("x", 1).await,
        Err(ProviderError::BadResponse { .. })
    ));
    assert_eq!(fake.hits(), 2, "a bad answer is not retried");
}

#[tokio::test]
async fn search_sends_the_query_and_maps_products() {
    let fake = Fake::start(|_, _| {
        Reply::json(json!({
            "count": 3, "page": 2, "page_size": 20,
            "products": [
                { "code": "5000159407236", "product_name": "Peanut Butter", "brands": "Acme",
                  "nutriments": { "energy-kcal_100g": 588, "proteins_100g": 25 } },
                { "product_name": "No code, skipped" },
                { "code": "123", "nutriments": {} }
            ]
        }))
    })
    .await;
    let off = OpenFoodFacts::new(settings(&fake.url));
    let foods = off.search("peanut butter", 2).await.unwrap();
    let req = fake.last();
    assert_eq!(req.path, "/cgi/search.pl");
    assert_eq!(req.q("search_terms"), Some("peanut butter"));
    assert_eq!(req.q("json"), Some("1"));
    assert_eq!(req.q("page"), Some("2"));
    assert!(req.q("page_size").is_some());
    assert!(req.q("fields").unwrap().contains("product_name"));

    assert_eq!(foods.len(), 2);
    assert_eq!(foods[0].name, "Peanut Butter");
    assert_eq!(foods[0].servings[0].nutrients.protein, Some(d("25")));
    assert_eq!(foods[1].name, "123", "falls back to the code");
    assert_eq!(foods[1].servings.len(), 1);
    assert!(foods[1].servings[0].is_default);

    assert!(off.search("  ", 1).await.unwrap().is_empty());
    assert_eq!(fake.hits(), 1, "blank queries are not sent");
}

#[tokio::test]
async fn ml_products_use_a_100_ml_serving() {
    let body = product_of(
        json!({ "energy-kcal_100g": 42, "sugars_100g": 10.6 }),
        json!({ "nutrition_data_per": "100ml", "serving_quantity": 330, "serving_quantity_unit": "ml" }),
    );
    let fake = Fake::start(move |_, _| Reply::json(body.clone())).await;
    let food = OpenFoodFacts::new(settings(&fake.url))
        .product("12345678")
        .await
        .unwrap();
    assert_eq!(food.servings[0].unit, "ml");
    assert_eq!(food.servings[0].weight_g, None);
    assert_eq!(food.servings[1].weight_g, None);
    assert_eq!(food.servings[1].nutrients.calories, Some(d("138.6")));
}
