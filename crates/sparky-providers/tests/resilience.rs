//! Timeouts, retries and backoff, exercised through each real client.

mod common;

use std::time::{Duration, Instant};

use common::{closed_port_url, settings, Fake, Reply};
use serde_json::json;
use sparky_providers::{
    Nutritionix, OpenFoodFacts, ProviderError, ProviderFood, ProviderSettings, Usda,
};

/// A payload every client accepts for its "one food" call.
fn ok_body(path: &str) -> serde_json::Value {
    if path.starts_with("/api/v2/product/") {
        json!({ "status": 1, "product": { "code": "123", "product_name": "P" } })
    } else if path.starts_with("/v1/food/") {
        json!({ "fdcId": 123, "description": "U", "foodNutrients": [] })
    } else {
        json!({ "foods": [{ "food_name": "n", "nix_item_id": "abc", "nf_calories": 1 }] })
    }
}

#[derive(Clone, Copy, Debug)]
enum Client {
    Off,
    Usda,
    Nix,
}

const ALL: [Client; 3] = [Client::Off, Client::Usda, Client::Nix];

async fn fetch(client: Client, s: ProviderSettings) -> Result<ProviderFood, ProviderError> {
    match client {
        Client::Off => OpenFoodFacts::new(s).product("123").await,
        Client::Usda => Usda::new(s, "k".into()).food("123").await,
        Client::Nix => {
            Nutritionix::new(s, "i".into(), "k".into())
                .item("abc")
                .await
        }
    }
}

#[tokio::test]
async fn a_429_is_retried_honouring_retry_after() {
    for client in ALL {
        let fake = Fake::start(|req, i| {
            if i == 0 {
                Reply::raw(429, r#"{"error":"slow down"}"#).header("retry-after", "1")
            } else {
                Reply::json(ok_body(&req.path))
            }
        })
        .await;
        let started = Instant::now();
        let food = fetch(client, settings(&fake.url)).await;
        let elapsed = started.elapsed();
        assert!(food.is_ok(), "{client:?}: {food:?}");
        assert_eq!(fake.hits(), 2, "{client:?}");
        assert!(
            elapsed >= Duration::from_millis(950),
            "{client:?} waited only {elapsed:?}"
        );
        assert!(
            elapsed < Duration::from_secs(3),
            "{client:?} waited {elapsed:?}"
        );
    }
}

#[tokio::test]
async fn a_429_without_retry_after_uses_the_short_backoff() {
    let fake = Fake::start(|req, i| {
        if i < 2 {
            Reply::status(if i == 0 { 429 } else { 503 })
        } else {
            Reply::json(ok_body(&req.path))
        }
    })
    .await;
    let started = Instant::now();
    fetch(Client::Off, settings(&fake.url)).await.unwrap();
    assert_eq!(fake.hits(), 3);
    assert!(started.elapsed() < Duration::from_millis(900));
}

#[tokio::test]
async fn retry_after_is_capped_at_five_seconds() {
    let fake = Fake::start(|req, i| {
        if i == 0 {
            Reply::status(429).header("retry-after", "3600")
        } else {
            Reply::json(ok_body(&req.path))
        }
    })
    .await;
    let started = Instant::now();
    fetch(Client::Usda, settings(&fake.url)).await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(4900) && elapsed < Duration::from_secs(7),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn server_errors_give_unavailable_after_all_retries() {
    for client in ALL {
        let fake = Fake::start(|_, _| Reply::raw(500, "internal error")).await;
        let err = fetch(client, settings(&fake.url)).await.unwrap_err();
        assert!(
            matches!(err, ProviderError::Unavailable { .. }),
            "{client:?}: {err:?}"
        );
        assert_eq!(fake.hits(), 3, "{client:?}: retries (2) + 1");
    }
    let fake = Fake::start(|_, _| Reply::status(502)).await;
    let mut s = settings(&fake.url);
    s.retries = 0;
    assert!(matches!(
        fetch(Client::Off, s).await,
        Err(ProviderError::Unavailable { .. })
    ));
    assert_eq!(fake.hits(), 1);
}

#[tokio::test]
async fn slow_answers_time_out_promptly() {
    for client in ALL {
        let fake =
            Fake::start(|req, _| Reply::json(ok_body(&req.path)).delay(Duration::from_secs(5)))
                .await;
        let mut s = settings(&fake.url);
        s.timeout = Duration::from_millis(300);
        let started = Instant::now();
        let err = fetch(client, s).await.unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            matches!(err, ProviderError::Timeout { .. }),
            "{client:?}: {err:?}"
        );
        assert!(
            elapsed < Duration::from_millis(1300),
            "{client:?} took {elapsed:?}"
        );
        assert!(
            elapsed >= Duration::from_millis(290),
            "{client:?} took {elapsed:?}"
        );
    }
}

#[tokio::test]
async fn connection_errors_are_retried_then_unavailable_without_leaking_the_key() {
    let url = closed_port_url().await;
    let usda = Usda::new(settings(&url), "SECRET-KEY".into());
    let started = Instant::now();
    let err = usda.search("apple", 1).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    match &err {
        ProviderError::Unavailable {
            provider: "usda",
            message,
        } => {
            assert!(!message.contains("SECRET-KEY"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains("SECRET-KEY"));
}

#[tokio::test]
async fn hostile_numbers_never_panic() {
    let fake = Fake::start(|_, _| {
        Reply::json(json!({ "status": 1, "product": {
            "code": "1", "serving_quantity": 1e300,
            "nutriments": {
                "energy-kcal_100g": 7.9e28, "fat_100g": -3, "vitamin-a_100g": 79228162514264337593543950335u128.to_string(),
                "proteins_100g": { "nested": true }, "sugars_100g": "NaN", "iron_100g": 1e-30
            }
        }}))
    })
    .await;
    let food = OpenFoodFacts::new(settings(&fake.url))
        .product("1")
        .await
        .unwrap();
    let n = &food.servings[0].nutrients;
    assert_eq!(n.calories, None, "absurd values are dropped");
    assert_eq!(n.fat, None, "negative values are dropped");
    assert_eq!(n.vitamin_a, None);
    assert_eq!(n.protein, None);
    assert_eq!(n.sugar, None);
    assert!(n.validate().is_ok());
}
