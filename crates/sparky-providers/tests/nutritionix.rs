//! The Nutritionix client against a fake that insists on both auth headers.

mod common;

use common::{d, settings, Fake, Recorded, Reply};
use serde_json::{json, Value};
use sparky_providers::{Nutritionix, ProviderError};

fn authed(req: &Recorded) -> bool {
    req.header("x-app-id") == Some("app-id") && req.header("x-app-key") == Some("app-key")
}

fn egg() -> Value {
    json!({
        "food_name": "egg",
        "brand_name": null,
        "serving_qty": 1,
        "serving_unit": "large",
        "serving_weight_grams": 50,
        "nf_calories": 71.5,
        "nf_total_fat": 4.76,
        "nf_saturated_fat": 1.56,
        "nf_cholesterol": 186,
        "nf_sodium": 71,
        "nf_total_carbohydrate": 0.36,
        "nf_dietary_fiber": 0,
        "nf_sugars": 0.19,
        "nf_protein": 6.3,
        "nf_potassium": 69,
        "nf_p": 99,
        "full_nutrients": [
            { "attr_id": 203, "value": 6.3 },
            { "attr_id": 301, "value": 28 },
            { "attr_id": 303, "value": 0.88 },
            { "attr_id": 320, "value": 80 },
            { "attr_id": 401, "value": 0 },
            { "attr_id": 605, "value": 0.02 }
        ],
        "nix_item_id": null,
        "alt_measures": [
            { "serving_weight": 50, "measure": "large", "seq": 1, "qty": 1 },
            { "serving_weight": 100, "measure": "g", "seq": null, "qty": 100 },
            { "serving_weight": 243, "measure": "cup", "seq": 2, "qty": 1 }
        ]
    })
}

/// A fake Nutritionix: 401 without both headers, otherwise routes like the real API.
async fn fake() -> Fake {
    Fake::start(|req, _| {
        if !authed(req) {
            return Reply::raw(401, r#"{"message":"unauthorized"}"#);
        }
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/v2/search/instant") => Reply::json(json!({
                "common": [
                    { "food_name": "apple", "serving_unit": "medium (3\" dia)", "serving_qty": 1,
                      "tag_name": "apple", "tag_id": "384", "photo": { "thumb": "x" }, "locale": "en_US" }
                ],
                "branded": [
                    { "food_name": "Apple Chips", "brand_name": "Bare", "nix_item_id": "5a1b2c3d4e5f6a7b8c9d0e1f",
                      "serving_qty": 10, "serving_unit": "chips", "nf_calories": 140,
                      "brand_name_item_name": "Bare Apple Chips", "nix_brand_id": "x" }
                ]
            })),
            ("POST", "/v2/natural/nutrients") => {
                let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
                match body["query"].as_str() {
                    Some("unicorn") => Reply::raw(404, r#"{"message":"We couldn't match any of your foods"}"#),
                    Some(_) => Reply::json(json!({ "foods": [egg()] })),
                    None => Reply::raw(400, "{}"),
                }
            }
            ("GET", "/v2/search/item") => match req.q("nix_item_id") {
                Some("5a1b2c3d4e5f6a7b8c9d0e1f") => Reply::json(json!({ "foods": [{
                    "food_name": "Apple Chips", "brand_name": "Bare", "nix_item_id": "5a1b2c3d4e5f6a7b8c9d0e1f",
                    "serving_qty": 10, "serving_unit": "chips", "serving_weight_grams": 28,
                    "nf_calories": 140, "nf_total_fat": 7, "nf_protein": null, "nf_sodium": 0,
                    "upc": "0859619003137"
                }]})),
                _ => Reply::raw(404, r#"{"message":"resource not found"}"#),
            },
            _ => Reply::raw(404, "{}"),
        }
    })
    .await
}

fn client(fake: &Fake) -> Nutritionix {
    Nutritionix::new(settings(&fake.url), "app-id".into(), "app-key".into())
}

#[tokio::test]
async fn instant_search_sends_both_headers_and_maps_common_and_branded() {
    let fake = fake().await;
    let foods = client(&fake).search("apple").await.unwrap();
    let req = fake.last();
    assert!(authed(&req));
    assert_eq!(req.q("query"), Some("apple"));

    assert_eq!(foods.len(), 2);
    let common = &foods[0];
    assert_eq!(common.source, "nutritionix");
    assert_eq!(common.source_id, "common:apple");
    assert_eq!(common.servings.len(), 1);
    assert_eq!(common.servings[0].unit, "medium (3\" dia)");
    assert_eq!(
        common.servings[0].nutrients,
        Default::default(),
        "resolved only when fetched"
    );

    let branded = &foods[1];
    assert_eq!(branded.source_id, "5a1b2c3d4e5f6a7b8c9d0e1f");
    assert_eq!(branded.brand.as_deref(), Some("Bare"));
    let s = &branded.servings[0];
    assert_eq!(
        (s.size, s.unit.as_str(), s.is_default),
        (d("10"), "chips", true)
    );
    assert_eq!(s.nutrients.calories, Some(d("140")));
    assert_eq!(s.nutrients.fat, None, "search results carry only calories");
}

#[tokio::test]
async fn wrong_credentials_are_unavailable_without_retries() {
    let fake = fake().await;
    let nix = Nutritionix::new(settings(&fake.url), "app-id".into(), "wrong".into());
    assert!(matches!(
        nix.search("apple").await,
        Err(ProviderError::Unavailable {
            provider: "nutritionix",
            ..
        })
    ));
    assert_eq!(fake.hits(), 1);
    let none = Nutritionix::new(settings(&fake.url), "".into(), "".into());
    assert!(matches!(
        none.search("apple").await,
        Err(ProviderError::NotConfigured { .. })
    ));
    assert_eq!(fake.hits(), 1);
}

#[tokio::test]
async fn natural_language_maps_full_nutrients_and_measures() {
    let fake = fake().await;
    let foods = client(&fake).natural("1 large egg").await.unwrap();
    let req = fake.last();
    assert!(authed(&req));
    assert_eq!(req.method, "POST");
    assert_eq!(req.header("content-type"), Some("application/json"));
    let sent: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(sent, json!({ "query": "1 large egg" }));

    assert_eq!(foods.len(), 1);
    let egg = &foods[0];
    assert_eq!(egg.source_id, "common:egg");
    assert_eq!(egg.brand, None);
    let s = &egg.servings[0];
    assert!(s.is_default);
    assert_eq!(
        (s.size, s.unit.as_str(), s.weight_g),
        (d("1"), "large", Some(d("50")))
    );
    let n = &s.nutrients;
    assert_eq!(n.calories, Some(d("71.5")));
    assert_eq!(n.fat, Some(d("4.76")));
    assert_eq!(n.saturated_fat, Some(d("1.56")));
    assert_eq!(n.cholesterol, Some(d("186")));
    assert_eq!(n.sodium, Some(d("71")));
    assert_eq!(n.carbohydrates, Some(d("0.36")));
    assert_eq!(n.fiber, Some(d("0")));
    assert_eq!(n.sugar, Some(d("0.19")));
    assert_eq!(n.protein, Some(d("6.3")));
    assert_eq!(n.potassium, Some(d("69")));
    assert_eq!(n.calcium, Some(d("28")));
    assert_eq!(n.iron, Some(d("0.88")));
    assert_eq!(n.vitamin_a, Some(d("80")));
    assert_eq!(n.vitamin_c, Some(d("0")));
    assert_eq!(n.trans_fat, Some(d("0.02")));

    // The duplicate "1 large" measure is dropped; 100 g and a cup are scaled by weight.
    assert_eq!(egg.servings.len(), 3);
    assert_eq!(egg.servings.iter().filter(|s| s.is_default).count(), 1);
    let cup = &egg.servings[2];
    assert_eq!(
        (cup.size, cup.unit.as_str(), cup.weight_g),
        (d("1"), "cup", Some(d("243")))
    );
    assert_eq!(cup.nutrients.calories, Some(d("347.49")));
}

#[tokio::test]
async fn natural_language_with_no_match_is_empty() {
    let fake = fake().await;
    assert!(client(&fake).natural("unicorn").await.unwrap().is_empty());
    assert_eq!(fake.hits(), 1);
}

#[tokio::test]
async fn item_by_nix_id_and_by_common_name() {
    let fake = fake().await;
    let nix = client(&fake);
    let chips = nix.item("5a1b2c3d4e5f6a7b8c9d0e1f").await.unwrap();
    let req = fake.last();
    assert_eq!(req.path, "/v2/search/item");
    assert!(authed(&req));
    assert_eq!(chips.name, "Apple Chips");
    assert_eq!(chips.barcode.as_deref(), Some("0859619003137"));
    let s = &chips.servings[0];
    assert_eq!(s.weight_g, Some(d("28")));
    assert_eq!(s.nutrients.fat, Some(d("7")));
    assert_eq!(s.nutrients.protein, None);
    assert_eq!(s.nutrients.sodium, Some(d("0")));

    let egg = nix.item("common:egg").await.unwrap();
    assert_eq!(egg.source_id, "common:egg");
    let req = fake.last();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v2/natural/nutrients")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&req.body).unwrap(),
        json!({ "query": "egg" })
    );

    assert!(matches!(
        nix.item("ffffffffffffffffffffffff").await,
        Err(ProviderError::NotFound { .. })
    ));
    assert!(matches!(
        nix.item("common:unicorn").await,
        Err(ProviderError::NotFound { .. })
    ));
    let hits = fake.hits();
    assert!(matches!(
        nix.item("a/../b").await,
        Err(ProviderError::NotFound { .. })
    ));
    assert_eq!(
        fake.hits(),
        hits,
        "ids that are not alphanumeric are never sent"
    );
}

#[tokio::test]
async fn malformed_json_is_a_bad_response() {
    let fake = Fake::start(|_, _| Reply::raw(200, "{\"foods\": [")).await;
    let nix = client(&fake);
    assert!(matches!(
        nix.natural("egg").await,
        Err(ProviderError::BadResponse { .. })
    ));
    assert!(matches!(
        nix.search("egg").await,
        Err(ProviderError::BadResponse { .. })
    ));
    assert!(matches!(
        nix.item("abc").await,
        Err(ProviderError::BadResponse { .. })
    ));
}
