//! Food providers through the API: the real clients talk to a local fake OpenFoodFacts.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode as AxumStatus;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use sparky_providers::Providers;

#[derive(Clone, Default)]
struct Fake {
    product_hits: Arc<AtomicUsize>,
    search_hits: Arc<AtomicUsize>,
}

/// A fake OpenFoodFacts: one known product (UPC-A 036000291452), a search, a broken product
/// (always 500) and a slow one.
async fn fake_off() -> (String, Fake) {
    let fake = Fake::default();
    async fn product(State(f): State<Fake>, Path(file): Path<String>) -> axum::response::Response {
        f.product_hits.fetch_add(1, Ordering::SeqCst);
        let code = file.trim_end_matches(".json");
        match code {
            "036000291452" | "0036000291452" => Json(json!({
                "status": 1,
                "product": {
                    "code": "0036000291452", "product_name": "Crunchy Oat Bars", "brands": "Acme,Other",
                    "serving_size": "30 g", "serving_quantity": 30,
                    "nutriments": {"energy-kj_100g": 1882.8, "proteins_100g": 8.5, "carbohydrates_100g": 64,
                                   "fat_100g": 17.2, "sodium_100g": 0.3, "iron_100g": 0.0029}
                }
            }))
            .into_response(),
            "4006381333931" => AxumStatus::INTERNAL_SERVER_ERROR.into_response(),
            "5000112637922" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                Json(json!({"status": 0})).into_response()
            }
            _ => Json(json!({"status": 0, "status_verbose": "product not found"})).into_response(),
        }
    }
    async fn search(State(f): State<Fake>) -> Json<serde_json::Value> {
        f.search_hits.fetch_add(1, Ordering::SeqCst);
        Json(json!({"products": [
            {"code": "0036000291452", "product_name": "Crunchy Oat Bars", "brands": "Acme",
             "nutriments": {"energy-kcal_100g": 450, "proteins_100g": 8.5}}
        ]}))
    }
    let app = Router::new()
        .route("/api/v2/product/{file}", get(product))
        .route("/cgi/search.pl", get(search))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

async fn app_with_fake() -> (TestApp, Fake) {
    let (url, fake) = fake_off().await;
    let providers = Providers::from_vars(|name| match name {
        "SPARKY_OPENFOODFACTS_URL" => Some(url.clone()),
        "SPARKY_PROVIDER_TIMEOUT_MS" => Some("500".into()),
        "SPARKY_PROVIDER_RETRIES" => Some("1".into()),
        "SPARKY_PROVIDER_BACKOFF_MS" => Some("10".into()),
        _ => None,
    });
    (TestApp::spawn_with_providers(providers).await, fake)
}

#[tokio::test]
async fn list_providers_shows_what_is_configured() {
    let (app, _) = app_with_fake().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app.get("/api/v1/providers", &ann).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 3);
    let off = list.iter().find(|p| p["name"] == "openfoodfacts").unwrap();
    assert_eq!(off["configured"], true);
    let usda = list.iter().find(|p| p["name"] == "usda").unwrap();
    assert_eq!(usda["configured"], false);
    let r = app.get("/api/v1/providers/usda/search?q=oats", &ann).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "provider_not_configured");
}

#[tokio::test]
async fn search_is_cached_and_import_is_deduplicated() {
    let (app, fake) = app_with_fake().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let r = app
        .get("/api/v1/providers/openfoodfacts/search?q=Oat%20bars", &ann)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["cached"], false);
    assert_eq!(r.body["items"][0]["name"], "Crunchy Oat Bars");
    // Another user, same search: from the shared cache, the provider is not asked again.
    let again = app
        .get("/api/v1/providers/openfoodfacts/search?q=oat%20bars", &bob)
        .await;
    assert_eq!(again.body["cached"], true);
    assert_eq!(fake.search_hits.load(Ordering::SeqCst), 1);

    let source_id = r.body["items"][0]["source_id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = app
        .post(
            "/api/v1/providers/openfoodfacts/import",
            &ann,
            json!({"source_id": source_id}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let food = &first.body;
    assert!(
        food["user_id"].is_null(),
        "imported into the shared catalog"
    );
    // kJ only: 1882.8 kJ / 4.184 = 450 kcal; sodium 0.3 g = 300 mg; iron 0.0029 g = 2.9 mg.
    assert_eq!(food["servings"][0]["nutrients"]["calories"], 450.0);
    assert_eq!(food["servings"][0]["nutrients"]["sodium"], 300.0);
    assert_eq!(food["servings"][0]["nutrients"]["iron"], 2.9);
    assert_eq!(
        food["servings"].as_array().unwrap().len(),
        2,
        "the product's own serving too"
    );
    let second = app
        .post(
            "/api/v1/providers/openfoodfacts/import",
            &bob,
            json!({"source_id": source_id}),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(
        second.body["id"], food["id"],
        "importing twice returns the same food"
    );
    // It is now found by the ordinary food search, for everyone.
    let found = app.get("/api/v1/foods?q=crunchy", &bob).await;
    assert_eq!(found.body["items"][0]["id"], food["id"]);
}

#[tokio::test]
async fn barcode_lookup_order_and_import_on_a_provider_hit() {
    let (app, fake) = app_with_fake().await;
    let (_, ann) = app.user("ann@example.com").await;
    // Not a barcode: refused before anyone is asked.
    let bad = app.get("/api/v1/foods/barcode/036000291453", &ann).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["fields"]["code"].is_string());
    assert_eq!(fake.product_hits.load(Ordering::SeqCst), 0);

    // Unknown locally: OpenFoodFacts answers and the product is imported.
    let hit = app.get("/api/v1/foods/barcode/036000291452", &ann).await;
    assert_eq!(hit.status, StatusCode::OK, "{:?}", hit.body);
    assert_eq!(hit.body["name"], "Crunchy Oat Bars");
    assert_eq!(hit.body["barcode"], "0036000291452");
    let hits = fake.product_hits.load(Ordering::SeqCst);
    // The EAN-13 form of the same code is the same product, now local.
    let again = app.get("/api/v1/foods/barcode/0036000291452", &ann).await;
    assert_eq!(again.body["id"], hit.body["id"]);
    assert_eq!(
        fake.product_hits.load(Ordering::SeqCst),
        hits,
        "the second scan is local"
    );

    // My own food with that barcode comes first.
    let mine = app
        .post(
            "/api/v1/foods",
            &ann,
            json!({"name": "My oat bar", "barcode": "0036000291452", "servings": [{"size": 1, "unit": "bar"}]}),
        )
        .await;
    let r = app.get("/api/v1/foods/barcode/036000291452", &ann).await;
    assert_eq!(r.body["id"], mine.body["id"]);
    // ... but not for another user, who gets the catalog's.
    let (_, bob) = app.user("bob@example.com").await;
    let r = app.get("/api/v1/foods/barcode/036000291452", &bob).await;
    assert_eq!(r.body["id"], hit.body["id"]);

    // Nobody knows it: 404 (and the miss is cached).
    let miss = app.get("/api/v1/foods/barcode/96385074", &ann).await;
    assert_eq!(miss.status, StatusCode::NOT_FOUND);
    let before = fake.product_hits.load(Ordering::SeqCst);
    assert_eq!(
        app.get("/api/v1/foods/barcode/96385074", &ann).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(fake.product_hits.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn provider_failures_are_502_and_504_naming_the_provider() {
    let (app, _) = app_with_fake().await;
    let (_, ann) = app.user("ann@example.com").await;
    let broken = app.get("/api/v1/foods/barcode/4006381333931", &ann).await;
    assert_eq!(broken.status, StatusCode::BAD_GATEWAY, "{:?}", broken.body);
    assert_eq!(broken.code(), "provider_unavailable");
    assert!(broken.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("openfoodfacts"));

    let started = std::time::Instant::now();
    let slow = app.get("/api/v1/foods/barcode/5000112637922", &ann).await;
    assert_eq!(slow.status, StatusCode::GATEWAY_TIMEOUT, "{:?}", slow.body);
    assert_eq!(slow.code(), "provider_timeout");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no hang: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn provider_parameters_are_bounded_and_import_failures_name_the_provider() {
    let (app, fake) = app_with_fake().await;
    let (_, ann) = app.user("ann@example.com").await;
    let long = "a".repeat(101);
    for (query, field) in [
        ("q=", "q"),
        (&*format!("q={long}"), "q"),
        ("q=oats&page=0", "page"),
        ("q=oats&page=101", "page"),
        ("q=oats&colour=red", "colour"),
    ] {
        let r = app
            .get(
                &format!("/api/v1/providers/openfoodfacts/search?{query}"),
                &ann,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            r.body
        );
        assert!(
            r.body["error"]["fields"].get(field).is_some(),
            "{query}: {:?}",
            r.body
        );
    }
    assert_eq!(
        fake.search_hits.load(Ordering::SeqCst),
        0,
        "nobody was asked"
    );
    let r = app
        .get("/api/v1/providers/nosuch/search?q=oats", &ann)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Provider names take any letter case.
    let r = app
        .get(
            "/api/v1/providers/OpenFoodFacts/search?q=oats&page=100",
            &ann,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    for body in [
        json!({"source_id": "  "}),
        json!({"source_id": "x".repeat(256)}),
    ] {
        let r = app
            .post("/api/v1/providers/openfoodfacts/import", &ann, body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert!(r.body["error"]["fields"].get("source_id").is_some());
    }
    // The provider fails: 502 naming it, and nothing is imported or cached.
    let r = app
        .post(
            "/api/v1/providers/openfoodfacts/import",
            &ann,
            json!({"source_id": "4006381333931"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{:?}", r.body);
    assert_eq!(r.code(), "provider_unavailable");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("openfoodfacts"));
    // An unknown product is a 404.
    let r = app
        .post(
            "/api/v1/providers/openfoodfacts/import",
            &ann,
            json!({"source_id": "96385074"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let owner = app.db.owner_client().await;
    let n: i64 = owner
        .query_one(
            "SELECT count(*) FROM food_items WHERE source = 'openfoodfacts'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}
