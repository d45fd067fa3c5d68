//! A request that runs past the statement timeout is stopped by PostgreSQL and answered with
//! a JSON 503 `timeout`, and the pooled connection serves the next request.

mod common;

use std::time::Duration;

use common::TestApp;
use reqwest::StatusCode;
use sparky_testkit::TestDb;
use sparky_web::WebConfig;

#[tokio::test]
async fn a_request_past_the_statement_timeout_is_a_503_timeout_and_the_next_one_works() {
    let db = TestDb::new().await;
    // One connection: the request after the timeout proves that connection is healthy.
    let database = db
        .database_builder()
        .pool_size(1)
        .statement_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let app = TestApp::serve(db, database, WebConfig::default()).await;
    let (_, ann) = app.user("ann@example.com").await;
    assert_eq!(app.get("/api/v1/me", &ann).await.status, StatusCode::OK);

    // The owner holds a lock that the request needs for longer than the timeout, so the
    // request's statement waits until PostgreSQL stops it.
    let owner = app.db.owner_client().await;
    owner
        .batch_execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let r = app.get("/api/v1/me", &ann).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
    assert_eq!(r.code(), "timeout", "{:?}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("took too long"), "{message}");
    assert!(
        !r.body.to_string().contains("57014"),
        "no internals: {:?}",
        r.body
    );

    owner.batch_execute("ROLLBACK").await.unwrap();
    let r = app.get("/api/v1/me", &ann).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}
