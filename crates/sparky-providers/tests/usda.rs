//! The USDA FoodData Central client against a fake speaking FDC's documented shapes.

mod common;

use common::{d, settings, Fake, Reply};
use serde_json::json;
use sparky_providers::{ProviderError, Usda};

const KEY: &str = "TEST-KEY-123";

fn flat(number: &str, value: f64, unit: &str) -> serde_json::Value {
    json!({ "nutrientId": 1000, "nutrientName": "x", "nutrientNumber": number, "unitName": unit, "value": value })
}

fn nested(number: &str, amount: f64, unit: &str) -> serde_json::Value {
    json!({ "type": "FoodNutrient", "id": 1, "amount": amount,
            "nutrient": { "id": 1, "number": number, "name": "x", "unitName": unit } })
}

fn branded_search() -> serde_json::Value {
    json!({
        "totalHits": 1, "currentPage": 1, "totalPages": 1,
        "foods": [{
            "fdcId": 2345678,
            "description": "WHOLE WHEAT BREAD",
            "dataType": "Branded",
            "brandOwner": "Acme Bakeries Inc.",
            "gtinUpc": "012345678905",
            "servingSize": 28.0,
            "servingSizeUnit": "g",
            "householdServingFullText": "1 slice",
            "foodNutrients": [
                flat("203", 10.7, "G"), flat("204", 3.57, "G"), flat("205", 46.4, "G"),
                flat("208", 250.0, "KCAL"), flat("291", 7.1, "G"), flat("269", 3.57, "G"),
                flat("307", 464.0, "MG"), flat("606", 0.0, "G"), flat("605", 0.0, "G"),
                flat("601", 0.0, "MG"), flat("306", 250.0, "MG"), flat("301", 143.0, "MG"),
                flat("303", 2.57, "MG"), flat("320", 0.0, "UG"), flat("401", 0.0, "MG"),
                flat("318", 1000.0, "IU")
            ]
        }]
    })
}

#[tokio::test]
async fn branded_search_maps_flat_nutrient_numbers_and_sends_the_key() {
    let fake = Fake::start(|_, _| Reply::json(branded_search())).await;
    let usda = Usda::new(settings(&fake.url), KEY.to_string());
    let foods = usda.search("whole wheat bread", 3).await.unwrap();

    let req = fake.last();
    assert_eq!(req.path, "/v1/foods/search");
    assert_eq!(req.q("api_key"), Some(KEY));
    assert_eq!(req.q("query"), Some("whole wheat bread"));
    assert_eq!(req.q("pageNumber"), Some("3"));

    assert_eq!(foods.len(), 1);
    let f = &foods[0];
    assert_eq!(f.source, "usda");
    assert_eq!(f.source_id, "2345678");
    assert_eq!(f.name, "WHOLE WHEAT BREAD");
    assert_eq!(f.brand.as_deref(), Some("Acme Bakeries Inc."));
    assert_eq!(f.barcode.as_deref(), Some("012345678905"));

    let s = &f.servings[0];
    assert!(s.is_default);
    assert_eq!(
        (s.size, s.unit.as_str(), s.weight_g),
        (d("100"), "g", Some(d("100")))
    );
    let n = &s.nutrients;
    assert_eq!(n.calories, Some(d("250")));
    assert_eq!(n.protein, Some(d("10.7")));
    assert_eq!(n.fat, Some(d("3.57")));
    assert_eq!(n.carbohydrates, Some(d("46.4")));
    assert_eq!(n.fiber, Some(d("7.1")));
    assert_eq!(n.sugar, Some(d("3.57")));
    assert_eq!(n.sodium, Some(d("464")));
    assert_eq!(n.saturated_fat, Some(d("0")));
    assert_eq!(n.trans_fat, Some(d("0")));
    assert_eq!(n.cholesterol, Some(d("0")));
    assert_eq!(n.potassium, Some(d("250")));
    assert_eq!(n.calcium, Some(d("143")));
    assert_eq!(n.iron, Some(d("2.57")));
    assert_eq!(n.vitamin_a, Some(d("0")), "320 RAE, not 318 IU");
    assert_eq!(n.vitamin_c, Some(d("0")));

    assert_eq!(f.servings.len(), 2);
    let slice = &f.servings[1];
    assert!(!slice.is_default);
    assert_eq!(
        (slice.size, slice.unit.as_str(), slice.weight_g),
        (d("1"), "slice", Some(d("28")))
    );
    assert_eq!(slice.nutrients.calories, Some(d("70")));
    assert_eq!(slice.nutrients.sodium, Some(d("129.92")));
}

#[tokio::test]
async fn foundation_details_map_nested_numbers_with_energy_priority_and_unit_conversion() {
    let fake = Fake::start(|_, _| {
        Reply::json(json!({
            "fdcId": 1750340,
            "description": "Apples, fuji, with skin, raw",
            "dataType": "Foundation",
            "foodNutrients": [
                nested("268", 267.0, "kJ"),
                nested("957", 64.7, "kcal"),
                nested("958", 63.8, "kcal"),
                nested("203", 0.148, "g"),
                nested("204", 0.162, "g"),
                nested("269.3", 13.3, "g"),
                nested("307", 0.001, "g"),
                nested("320", 0.003, "mg"),
                nested("401", 2100.0, "µg"),
                { "type": "FoodNutrient", "nutrient": { "number": "205", "unitName": "g" } }
            ],
            "foodPortions": [
                { "id": 1, "value": 1.0, "measureUnit": { "id": 1000, "name": "cup", "abbreviation": "cup" },
                  "modifier": "sliced", "gramWeight": 109.0, "amount": 1.0 },
                { "id": 2, "amount": 1.0, "modifier": "medium", "gramWeight": 200.0,
                  "measureUnit": { "name": "undetermined" } },
                { "id": 3, "portionDescription": "Quantity not specified", "gramWeight": 0 }
            ]
        }))
    })
    .await;
    let usda = Usda::new(settings(&fake.url), KEY.to_string());
    let food = usda.food("1750340").await.unwrap();

    let req = fake.last();
    assert_eq!(req.path, "/v1/food/1750340");
    assert_eq!(req.q("api_key"), Some(KEY));

    assert_eq!(food.source_id, "1750340");
    assert_eq!(food.brand, None);
    assert_eq!(food.barcode, None);
    let n = &food.servings[0].nutrients;
    assert_eq!(
        n.calories,
        Some(d("63.8")),
        "958 beats 957 and 268 without 208"
    );
    assert_eq!(n.protein, Some(d("0.148")));
    assert_eq!(n.sugar, Some(d("13.3")), "269.3 when 269 is missing");
    assert_eq!(n.sodium, Some(d("1")), "g → mg");
    assert_eq!(n.vitamin_a, Some(d("3")), "mg → µg");
    assert_eq!(n.vitamin_c, Some(d("2.1")), "µg → mg");
    assert_eq!(n.carbohydrates, None, "no amount: unknown");
    assert_eq!(n.fiber, None);

    let units: Vec<_> = food
        .servings
        .iter()
        .map(|s| (s.size, s.unit.clone(), s.weight_g))
        .collect();
    assert_eq!(
        units,
        vec![
            (d("100"), "g".to_string(), Some(d("100"))),
            (d("1"), "cup".to_string(), Some(d("109"))),
            (d("1"), "medium".to_string(), Some(d("200"))),
        ]
    );
    assert_eq!(food.servings[2].nutrients.calories, Some(d("127.6")));
}

#[tokio::test]
async fn sr_legacy_kilojoules_only_and_208_preferred() {
    let fake = Fake::start(|req, _| {
        let nutrients = if req.path.ends_with("/1") {
            json!([nested("268", 418.4, "kJ"), nested("203", 1.0, "g")])
        } else {
            json!([nested("268", 1000.0, "kJ"), nested("958", 1.0, "kcal"), nested("208", 52.0, "kcal")])
        };
        Reply::json(json!({ "fdcId": 1, "description": "x", "dataType": "SR Legacy", "foodNutrients": nutrients }))
    })
    .await;
    let usda = Usda::new(settings(&fake.url), KEY.to_string());
    let kj = usda.food("1").await.unwrap();
    assert_eq!(kj.servings[0].nutrients.calories, Some(d("100")));
    let both = usda.food("2").await.unwrap();
    assert_eq!(both.servings[0].nutrients.calories, Some(d("52")));
}

#[tokio::test]
async fn branded_liquids_default_to_100_ml() {
    let fake = Fake::start(|_, _| {
        Reply::json(json!({ "foods": [{
            "fdcId": 9, "description": "COLA", "dataType": "Branded", "brandName": "FIZZ",
            "servingSize": 355, "servingSizeUnit": "MLT",
            "foodNutrients": [flat("208", 42.0, "KCAL")]
        }]}))
    })
    .await;
    let foods = Usda::new(settings(&fake.url), KEY.to_string())
        .search("cola", 1)
        .await
        .unwrap();
    let f = &foods[0];
    assert_eq!(f.brand.as_deref(), Some("FIZZ"));
    assert_eq!(
        (f.servings[0].unit.as_str(), f.servings[0].weight_g),
        ("ml", None)
    );
    assert_eq!(
        (f.servings[1].size, f.servings[1].unit.as_str()),
        (d("355"), "ml")
    );
    assert_eq!(f.servings[1].weight_g, None);
    assert_eq!(f.servings[1].nutrients.calories, Some(d("149.1")));
}

#[tokio::test]
async fn missing_key_unknown_ids_and_404() {
    let fake = Fake::start(|_, _| Reply::raw(404, r#"{"error":"not found"}"#)).await;
    let usda = Usda::new(settings(&fake.url), String::new());
    assert!(matches!(
        usda.search("apple", 1).await,
        Err(ProviderError::NotConfigured { provider: "usda" })
    ));
    assert!(matches!(
        usda.food("1").await,
        Err(ProviderError::NotConfigured { .. })
    ));
    assert_eq!(fake.hits(), 0);

    let usda = Usda::new(settings(&fake.url), KEY.to_string());
    assert!(matches!(
        usda.food("12a").await,
        Err(ProviderError::NotFound { .. })
    ));
    assert_eq!(fake.hits(), 0, "an id that is not digits is never sent");
    assert!(matches!(
        usda.food("99999999").await,
        Err(ProviderError::NotFound { provider: "usda" })
    ));
    assert_eq!(fake.hits(), 1);
}

#[tokio::test]
async fn malformed_and_unexpected_shapes_are_bad_responses() {
    let fake = Fake::start(|req, _| {
        if req.path.contains("search") {
            Reply::raw(200, "<html>oops</html>")
        } else {
            Reply::json(json!(["not", "an", "object"]))
        }
    })
    .await;
    let usda = Usda::new(settings(&fake.url), KEY.to_string());
    assert!(matches!(
        usda.search("a", 1).await,
        Err(ProviderError::BadResponse {
            provider: "usda",
            ..
        })
    ));
    assert!(matches!(
        usda.food("1").await,
        Err(ProviderError::BadResponse { .. })
    ));
}

#[tokio::test]
async fn barcode_searches_branded_foods_by_gtin() {
    let fake = Fake::start(|_, _| Reply::json(branded_search())).await;
    let usda = Usda::new(settings(&fake.url), KEY.to_string());
    let hit = usda.barcode("12345678905").await.unwrap().unwrap();
    assert_eq!(hit.source_id, "2345678");
    let req = fake.last();
    assert_eq!(req.q("query"), Some("12345678905"));
    assert_eq!(req.q("dataType"), Some("Branded"));
    assert!(usda.barcode("99999").await.unwrap().is_none());
}
