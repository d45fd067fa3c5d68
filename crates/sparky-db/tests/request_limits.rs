//! What one request may cost the server: its statements are cut at `statement_timeout`, an
//! idle transaction is ended by the server, and a statement whose request was dropped is
//! cancelled in PostgreSQL. Each time the pooled connection serves the next request.
//!
//! Waits on the server are polled up to a generous bound; nothing asserts how fast it was.

use std::time::{Duration, Instant};

use sparky_db::{Database, UserTx};
use sparky_testkit::TestDb;
use uuid::Uuid;

async fn make_user(db: &TestDb, email: &str) -> Uuid {
    db.owner_client()
        .await
        .query_one(
            "INSERT INTO users (email, password_hash, full_name) VALUES ($1, 'x', 'Test') RETURNING id",
            &[&email],
        )
        .await
        .unwrap()
        .get(0)
}

/// One request connection, so the next transaction proves the same connection is healthy.
fn one_connection(db: &TestDb, statement: Duration, idle: Duration) -> Database {
    db.database_builder()
        .pool_size(1)
        .statement_timeout(statement)
        .idle_in_transaction_timeout(idle)
        .build()
        .unwrap()
}

/// The next request on the (only) connection works and acts as the right user.
async fn next_request_works(database: &Database, user: Uuid) {
    let mut tx = database.as_user(user).await.unwrap();
    let row = tx
        .query_one("SELECT auth.uid(), current_user::text", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), Some(user));
    tx.commit().await.unwrap();
}

/// Polls `check` until it holds, for at most `bound`.
async fn eventually<F, Fut>(bound: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + bound;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn running(owner: &tokio_postgres::Client, marker: &str) -> i64 {
    owner
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
             WHERE state = 'active' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()",
            &[&marker],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_slow_statement_is_cut_at_the_timeout_and_the_connection_stays_healthy() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = one_connection(&db, Duration::from_millis(200), Duration::from_secs(60));

    let mut tx = database.as_user(alice).await.unwrap();
    let err = tx
        .query("SELECT pg_sleep(30)", &[])
        .await
        .expect_err("cut by statement_timeout");
    assert_eq!(err.code(), Some("57014"), "{err}");
    drop(tx);
    next_request_works(&database, alice).await;

    // The same applies to the one-round-trip path (BEGIN + setup + query + COMMIT).
    let tx = database.as_user(alice).await.unwrap();
    let err = tx
        .query_and_commit("SELECT pg_sleep(30)", &[])
        .await
        .expect_err("cut by statement_timeout");
    assert_eq!(err.code(), Some("57014"), "{err}");
    next_request_works(&database, alice).await;

    let mut tx = database.as_user(alice).await.unwrap();
    let setting: String = tx
        .query_one("SELECT current_setting('statement_timeout')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(setting, "200ms");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn an_operation_can_raise_the_timeout_for_its_own_transaction_only() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = one_connection(&db, Duration::from_millis(200), Duration::from_secs(60));

    // Raised before the first statement: sent with BEGIN and the setup.
    let mut tx = database.as_user(alice).await.unwrap();
    tx.set_statement_timeout(Duration::from_secs(30));
    tx.query("SELECT pg_sleep(0.5)", &[])
        .await
        .expect("longer than the default, within the raised limit");
    let setting: String = tx
        .query_one("SELECT current_setting('statement_timeout')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(setting, "30s");
    tx.commit().await.unwrap();

    // Raised in the middle of a transaction.
    let mut tx = database.as_user(alice).await.unwrap();
    tx.query("SELECT 1", &[]).await.unwrap();
    tx.set_statement_timeout(Duration::from_secs(30));
    tx.query_and_commit("SELECT pg_sleep(0.5)", &[])
        .await
        .expect("raised mid-transaction");

    // The next transaction on the same connection has the default again.
    let mut tx = database.as_user(alice).await.unwrap();
    let err = tx
        .query("SELECT pg_sleep(30)", &[])
        .await
        .expect_err("back to 200 ms");
    assert_eq!(err.code(), Some("57014"), "{err}");
}

#[tokio::test]
async fn a_dropped_request_cancels_its_statement_in_postgresql() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    // No timeout could end the statement: only the cancel can.
    let database = one_connection(&db, Duration::ZERO, Duration::from_secs(600));
    let owner = db.owner_client().await;
    let marker = "abandoned_by_its_client";
    let sql = format!("SELECT pg_sleep(600) AS {marker}");

    let mut tx: UserTx = database.as_user(alice).await.unwrap();
    {
        let query = tx.query(&sql, &[]);
        tokio::pin!(query);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            tokio::select! {
                r = &mut query => panic!("the query ended early: {:?}", r.err()),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
            if running(&owner, marker).await == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "the query never started");
        }
        // The query future is dropped here: the HTTP client went away.
    }
    drop(tx);

    assert!(
        eventually(Duration::from_secs(60), || async {
            running(&owner, marker).await == 0
        })
        .await,
        "the abandoned statement is still running"
    );
    next_request_works(&database, alice).await;
}

#[tokio::test]
async fn an_idle_transaction_is_ended_by_the_server() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = one_connection(&db, Duration::from_secs(60), Duration::from_millis(300));
    let owner = db.owner_client().await;

    let mut tx = database.as_user(alice).await.unwrap();
    let pid: i32 = tx
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    // The transaction is left open and idle, as by a handler stuck on something else.
    assert!(
        eventually(Duration::from_secs(60), || async {
            let n: i64 = owner
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                    &[&pid],
                )
                .await
                .unwrap()
                .get(0);
            n == 0
        })
        .await,
        "the idle transaction's session is still there"
    );
    assert!(
        tx.query("SELECT 1", &[]).await.is_err(),
        "the session was ended"
    );
    drop(tx);
    // The pool replaces the closed connection.
    next_request_works(&database, alice).await;
}
