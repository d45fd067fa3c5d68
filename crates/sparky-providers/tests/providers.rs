//! The `Providers` facade: configuration from variables, dispatch by name, barcode fallback.

mod common;

use std::collections::HashMap;

use common::{Fake, Reply};
use serde_json::json;
use sparky_providers::{ProviderError, Providers};

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn configuration_from_variables() {
    assert_eq!(
        Providers::from_vars(vars(&[])).configured(),
        vec!["openfoodfacts"]
    );
    assert!(
        Providers::from_vars(vars(&[("SPARKY_OPENFOODFACTS", "false")]))
            .configured()
            .is_empty()
    );
    let all = Providers::from_vars(vars(&[
        ("SPARKY_USDA_API_KEY", "k"),
        ("SPARKY_NUTRITIONIX_APP_ID", "i"),
        ("SPARKY_NUTRITIONIX_APP_KEY", "k"),
        ("SPARKY_PROVIDER_TIMEOUT_MS", "not a number"),
    ]));
    assert_eq!(
        all.configured(),
        vec!["openfoodfacts", "usda", "nutritionix"]
    );
    let half = Providers::from_vars(vars(&[
        ("SPARKY_NUTRITIONIX_APP_ID", "i"),
        ("SPARKY_USDA_API_KEY", " "),
    ]));
    assert_eq!(
        half.configured(),
        vec!["openfoodfacts"],
        "nutritionix needs both, usda a non-blank key"
    );
}

/// One fake serving all three providers.
async fn fake() -> Fake {
    Fake::start(|req, _| match req.path.as_str() {
        "/off/api/v2/product/3017620422003.json" => Reply::json(json!({
            "status": 1, "product": { "code": "3017620422003", "product_name": "Nutella",
                                       "nutriments": { "energy-kcal_100g": 539 } } })),
        "/off/api/v2/product/0500.json" => Reply::status(500),
        p if p.starts_with("/off/api/v2/product/") => Reply::json(json!({ "status": 0 })),
        "/off/cgi/search.pl" => {
            Reply::json(json!({ "products": [{ "code": "1", "product_name": "A" }] }))
        }
        "/usda/v1/foods/search" => {
            if req.q("dataType") == Some("Branded") && req.q("query") == Some("0012345678905") {
                Reply::json(
                    json!({ "foods": [{ "fdcId": 77, "description": "USDA BREAD",
                                               "gtinUpc": "012345678905", "foodNutrients": [] }] }),
                )
            } else {
                Reply::json(json!({ "foods": [] }))
            }
        }
        "/usda/v1/food/77" => Reply::json(json!({ "fdcId": 77, "description": "USDA BREAD" })),
        "/nix/v2/search/instant" => {
            Reply::json(json!({ "common": [{ "food_name": "egg" }], "branded": [] }))
        }
        _ => Reply::raw(404, "{}"),
    })
    .await
}

fn configured(fake: &Fake, usda: bool) -> Providers {
    let off = format!("{}/off", fake.url);
    let usda_url = format!("{}/usda", fake.url);
    let nix = format!("{}/nix/", fake.url);
    let mut pairs = vec![
        ("SPARKY_OPENFOODFACTS_URL", off.as_str()),
        ("SPARKY_USDA_URL", usda_url.as_str()),
        ("SPARKY_NUTRITIONIX_URL", nix.as_str()),
        ("SPARKY_NUTRITIONIX_APP_ID", "i"),
        ("SPARKY_NUTRITIONIX_APP_KEY", "k"),
        ("SPARKY_PROVIDER_TIMEOUT_MS", "2000"),
        ("SPARKY_PROVIDER_RETRIES", "1"),
        ("SPARKY_PROVIDER_BACKOFF_MS", "10"),
    ];
    if usda {
        pairs.push(("SPARKY_USDA_API_KEY", "k"));
    }
    Providers::from_vars(vars(&pairs))
}

#[tokio::test]
async fn search_and_fetch_dispatch_by_name() {
    let fake = fake().await;
    let p = configured(&fake, true);
    assert_eq!(
        p.search("openfoodfacts", "a", 1).await.unwrap()[0].name,
        "A"
    );
    assert_eq!(
        p.search("nutritionix", "egg", 1).await.unwrap()[0].source_id,
        "common:egg"
    );
    assert!(
        p.search("nutritionix", "egg", 2).await.unwrap().is_empty(),
        "one page only"
    );
    assert!(p.search("usda", "x", 1).await.unwrap().is_empty());
    assert_eq!(p.fetch("usda", "77").await.unwrap().name, "USDA BREAD");
    assert_eq!(
        p.fetch("openfoodfacts", "3017620422003")
            .await
            .unwrap()
            .name,
        "Nutella"
    );
    assert!(matches!(
        p.search("myfitnesspal", "x", 1).await,
        Err(ProviderError::NotConfigured {
            provider: "unknown"
        })
    ));
    let no_usda = configured(&fake, false);
    assert!(matches!(
        no_usda.fetch("usda", "77").await,
        Err(ProviderError::NotConfigured { provider: "usda" })
    ));
}

#[tokio::test]
async fn barcode_tries_openfoodfacts_then_usda() {
    let fake = fake().await;
    let p = configured(&fake, true);
    let off = p.barcode("3017620422003").await.unwrap().unwrap();
    assert_eq!(off.source, "openfoodfacts");

    let usda = p.barcode("0012345678905").await.unwrap().unwrap();
    assert_eq!(
        (usda.source.as_str(), usda.source_id.as_str()),
        ("usda", "77")
    );

    assert!(
        p.barcode("4006381333931").await.unwrap().is_none(),
        "nobody knows it"
    );
    assert!(p.barcode("not-a-barcode").await.unwrap().is_none());

    // OFF failing and nobody else finding it: the failure is reported.
    let off_only = Providers::from_vars(vars(&[
        ("SPARKY_OPENFOODFACTS_URL", &format!("{}/off", fake.url)),
        ("SPARKY_PROVIDER_RETRIES", "0"),
    ]));
    assert!(matches!(
        off_only.barcode("0500").await,
        Err(ProviderError::Unavailable {
            provider: "openfoodfacts",
            ..
        })
    ));
    assert!(
        off_only.barcode("0012345678905").await.unwrap().is_none(),
        "USDA not configured"
    );
}
