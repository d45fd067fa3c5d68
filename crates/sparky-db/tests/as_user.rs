//! `Database::as_user`: the request transaction is the request role acting as one user, and
//! nothing of it survives into the next transaction on the same connection.

use sparky_db::{Database, RequestLogin};
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

/// One connection, so every transaction below reuses the previous one's connection.
async fn single_connection(db: &TestDb) -> Database {
    db.database_builder().pool_size(1).build().unwrap()
}

#[tokio::test]
async fn runs_as_the_request_role_and_the_user() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = single_connection(&db).await;
    let mut tx = database.as_user(alice).await.unwrap();
    let row = tx
        .query_one("SELECT current_user::text, auth.uid()", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), db.app_role());
    assert_eq!(row.get::<_, Option<Uuid>>(1), Some(alice));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_next_transaction_on_a_connection_does_not_inherit_role_or_user() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let bob = make_user(&db, "bob@example.com").await;
    let database = single_connection(&db).await;

    // Committed, rolled back by drop, and failed transactions all leave the connection clean.
    let mut tx = database.as_user(alice).await.unwrap();
    tx.query("SELECT 1", &[]).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = database.as_user(alice).await.unwrap();
    tx.query("SELECT 1", &[]).await.unwrap();
    drop(tx);

    let mut tx = database.as_user(alice).await.unwrap();
    assert!(tx.query("SELECT * FROM no_such_table", &[]).await.is_err());
    drop(tx);

    let mut tx = database.as_user(bob).await.unwrap();
    let row = tx.query_one("SELECT auth.uid()", &[]).await.unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), Some(bob));
    tx.commit().await.unwrap();

    let mut tx = database.anonymous().await.unwrap();
    let row = tx
        .query_one("SELECT auth.uid(), current_user::text", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), None);
    assert_eq!(row.get::<_, String>(1), db.app_role());
    let n: i64 = tx
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "no user set = no rows");
    tx.commit().await.unwrap();

    // Outside a request transaction the pooled connection is the owner again: the role
    // switch was transaction-local.
    let owner = db.owner_client().await;
    let n: i64 = owner
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
}

#[tokio::test]
async fn writes_commit_or_roll_back_as_a_whole() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = single_connection(&db).await;
    let insert = "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'weight', 80, 'kg', now())";

    let mut tx = database.as_user(alice).await.unwrap();
    tx.execute(insert, &[&alice]).await.unwrap();
    drop(tx); // rolled back

    let mut tx = database.as_user(alice).await.unwrap();
    tx.execute(insert, &[&alice]).await.unwrap();
    tx.execute(insert, &[&alice]).await.unwrap();
    tx.commit().await.unwrap();

    let tx = database.as_user(alice).await.unwrap();
    let rows = tx
        .query_and_commit("SELECT count(*) FROM measurements", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 2);
}

#[tokio::test]
async fn a_one_statement_transaction_is_one_round_trip_and_commits() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = single_connection(&db).await;
    let tx = database.as_user(alice).await.unwrap();
    tx.query_and_commit(
        "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'weight', 80, 'kg', now())",
        &[&alice],
    )
    .await
    .unwrap();
    let owner = db.owner_client().await;
    let n: i64 = owner
        .query_one("SELECT count(*) FROM measurements", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    // And a failing one leaves the connection usable.
    let tx = database.as_user(alice).await.unwrap();
    assert!(tx.query_and_commit("SELECT 1/0", &[]).await.is_err());
    let mut tx = database.as_user(alice).await.unwrap();
    assert_eq!(
        tx.query_one("SELECT auth.uid()", &[])
            .await
            .unwrap()
            .get::<_, Option<Uuid>>(0),
        Some(alice)
    );
}

#[tokio::test]
async fn commit_with_next_statement_commits_that_statement_and_ends_the_transaction() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = single_connection(&db).await;
    let insert = "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'weight', 80, 'kg', now())";
    let count = async || -> i64 {
        db.owner_client()
            .await
            .query_one("SELECT count(*) FROM measurements", &[])
            .await
            .unwrap()
            .get(0)
    };

    // A read first, then the armed write: both in one transaction, committed with the write.
    let mut tx = database.as_user(alice).await.unwrap();
    tx.query("SELECT count(*) FROM measurements", &[])
        .await
        .unwrap();
    tx.commit_with_next_statement();
    tx.execute(insert, &[&alice]).await.unwrap();
    assert_eq!(count().await, 1, "committed without calling commit()");
    // The transaction is over: nothing more can ride on it, and commit() is a no-op.
    assert!(tx.execute(insert, &[&alice]).await.is_err());
    tx.commit().await.unwrap();
    assert_eq!(count().await, 1);

    // A failing armed statement rolls back what came before it in the transaction.
    let mut tx = database.as_user(alice).await.unwrap();
    tx.execute(insert, &[&alice]).await.unwrap();
    tx.commit_with_next_statement();
    assert!(tx.query("SELECT 1/0", &[]).await.is_err());
    drop(tx);
    assert_eq!(count().await, 1, "the earlier insert was rolled back");

    // Arming before the first statement: BEGIN, setup, the write and COMMIT in one pipeline;
    // and the connection is clean for the next request.
    let mut tx = database.as_user(alice).await.unwrap();
    tx.commit_with_next_statement();
    tx.execute(insert, &[&alice]).await.unwrap();
    drop(tx);
    assert_eq!(
        count().await,
        2,
        "dropping a committed transaction rolls nothing back"
    );
    let mut tx = database.as_user(alice).await.unwrap();
    assert_eq!(
        tx.query_one("SELECT auth.uid()", &[])
            .await
            .unwrap()
            .get::<_, Option<Uuid>>(0),
        Some(alice)
    );
}

#[tokio::test]
async fn a_request_cancelled_mid_query_leaves_no_open_transaction_behind() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = single_connection(&db).await;
    let mut tx = database.as_user(alice).await.unwrap();
    // The client goes away while the first (pipelined) statement runs.
    let cancelled = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        tx.query("SELECT pg_sleep(0.5)", &[]),
    )
    .await;
    assert!(cancelled.is_err(), "the query was cut off");
    drop(tx);
    let owner = db.owner_client().await;
    let after: chrono::DateTime<chrono::Utc> = owner
        .query_one("SELECT clock_timestamp()", &[])
        .await
        .unwrap()
        .get(0);
    // The next transaction on that same connection is a new one, not the cancelled one's.
    let mut tx = database.as_user(alice).await.unwrap();
    let started: chrono::DateTime<chrono::Utc> =
        tx.query_one("SELECT now()", &[]).await.unwrap().get(0);
    assert!(
        started >= after,
        "new transaction started {started}, cancel at {after}"
    );
    tx.commit().await.unwrap();
}

/// Cancelling an abandoned statement signals its backend some time after the cancel request
/// was sent; a connection reused at once could have the next request's statement cancelled
/// instead. So the next transaction, even on a pool of one, is never hit by that cancel.
#[tokio::test]
async fn a_cancel_never_reaches_the_next_request() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = single_connection(&db).await;
    // Statements that end just before, at or just after the moment they are abandoned: the
    // cancel then lands after their end, while the connection may already serve the next.
    for round in 0..40 {
        let sleep = format!("SELECT pg_sleep({})", f64::from(15 + round % 20) / 1000.0);
        let mut tx = database.as_user(alice).await.unwrap();
        let cut =
            tokio::time::timeout(std::time::Duration::from_millis(20), tx.query(&sleep, &[])).await;
        drop(cut);
        drop(tx);
        let mut next = database.as_user(alice).await.unwrap();
        let slept = next.query("SELECT pg_sleep(0.03)", &[]).await;
        assert!(
            slept.is_ok(),
            "round {round}: the next request was cancelled: {slept:?}"
        );
        next.commit().await.unwrap();
    }
}

/// Request connections use generic plans (planned once per connection), and keep any
/// server options the configuration already had.
#[tokio::test]
async fn request_connections_plan_once_and_keep_configured_options() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let mut config = db.request_config();
    config.options("-c work_mem=5MB");
    let database = db
        .database_builder()
        .requests(RequestLogin::as_request_role(config))
        .pool_size(1)
        .build()
        .unwrap();
    let mut tx = database.as_user(alice).await.unwrap();
    let row = tx
        .query_one(
            "SELECT current_setting('plan_cache_mode'), current_setting('work_mem')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "force_generic_plan");
    assert_eq!(row.get::<_, String>(1), "5MB");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn query_many_answers_each_query_in_order_and_can_carry_the_commit() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let database = single_connection(&db).await;

    let mut tx = database.as_user(alice).await.unwrap();
    tx.commit_with_next_statement();
    let sets = tx
        .query_many(&[
            ("SELECT auth.uid()", &[]),
            ("SELECT g FROM generate_series(1, $1::int) g", &[&3i32]),
            ("SELECT 1 WHERE false", &[]),
            (
                "SELECT txid_current_if_assigned() IS NULL, now() = statement_timestamp()",
                &[],
            ),
        ])
        .await
        .unwrap();
    assert_eq!(sets.len(), 4);
    assert_eq!(sets[0][0].get::<_, Option<Uuid>>(0), Some(alice));
    let numbers: Vec<i32> = sets[1].iter().map(|r| r.get(0)).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(sets[2].is_empty());
    // All of them ran inside the request transaction (now() is its start, not the statement's).
    assert!(
        !sets[3][0].get::<_, bool>(1),
        "the queries ran outside the transaction"
    );
    // The commit went with them: the transaction is over.
    assert!(tx.query("SELECT 1", &[]).await.is_err());
    tx.commit().await.unwrap();

    // One failing query fails the call, and nothing of the transaction stays.
    let insert = "INSERT INTO measurements (user_id, type, value, unit, measured_at)
                  VALUES (auth.uid(), 'weight', 80, 'kg', now()) RETURNING 1";
    let weights = "SELECT count(*) FROM measurements";
    let mut tx = database.as_user(alice).await.unwrap();
    let failed = tx
        .query_many(&[(insert, &[]), ("SELECT * FROM no_such_table", &[])])
        .await;
    assert!(failed.is_err());
    drop(tx);
    let mut tx = database.as_user(alice).await.unwrap();
    let n: i64 = tx.query_one(weights, &[]).await.unwrap().get(0);
    assert_eq!(n, 0, "a failed pipeline kept its insert");
    // The same insert in a pipeline that succeeds is committed with it.
    tx.commit_with_next_statement();
    let sets = tx
        .query_many(&[(insert, &[]), (weights, &[])])
        .await
        .unwrap();
    assert_eq!(
        sets[1][0].get::<_, i64>(0),
        1,
        "a later query sees the earlier one's row"
    );
    drop(tx);
    let owner = db.owner_client().await;
    let n: i64 = owner.query_one(weights, &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
    let mut tx = database.as_user(alice).await.unwrap();
    assert_eq!(
        tx.query_one("SELECT auth.uid()", &[])
            .await
            .unwrap()
            .get::<_, Option<Uuid>>(0),
        Some(alice)
    );
    tx.commit().await.unwrap();
}
