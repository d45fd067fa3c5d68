//! Accounts schema (migration 2026_11_25_13_00): users' admin flag and disabling, the
//! preferences timezone, sessions, API keys, the owner's administration policies and the
//! SECURITY DEFINER functions in schema `auth` that the HTTP layer calls.
//!
//! Everything under test runs the way the server will run it: as the request role through
//! `Database::anonymous` (before anyone is known: register, login, resolving a cookie or key)
//! or `Database::as_user`. Fixtures are written with the owner client (a superuser in the test
//! cluster); one test migrates a database with a NON-superuser owner, where FORCE RLS filters
//! the owner too and the owner policies are what make the functions and the admin CLI work.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sparky_db::{doctor, Database, DbError, MigrationSource, Migrator};
use sparky_testkit::{TestDb, APP_ROLE};
use tokio_postgres::Client;
use uuid::Uuid;

const DENIED: &str = "42501";
const UNIQUE_VIOLATION: &str = "23505";
const CHECK_VIOLATION: &str = "23514";
const SIGNUP_CLOSED: &str = "SPK01";
/// 30 days, the kind of TTL the server uses.
const TTL: i32 = 30 * 24 * 3600;

fn sha(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[track_caller]
fn assert_code<T: std::fmt::Debug>(what: &str, code: &str, result: Result<T, DbError>) {
    match result {
        Err(e) => assert_eq!(e.code(), Some(code), "{what}: expected {code}, got {e:?}"),
        Ok(v) => panic!("{what}: expected {code}, but it succeeded with {v:?}"),
    }
}

/// `auth.register_user` in an anonymous transaction, committed.
async fn register(
    db: &Database,
    email: &str,
    hash: &str,
    allow_signup: bool,
) -> Result<(Uuid, bool), DbError> {
    let tx = db.anonymous().await?;
    let rows = tx
        .query_and_commit(
            "SELECT user_id, is_admin FROM auth.register_user($1, $2, $3, $4)",
            &[&email, &hash, &"Some Name", &allow_signup],
        )
        .await?;
    assert_eq!(rows.len(), 1, "register_user returns one row");
    Ok((rows[0].get(0), rows[0].get(1)))
}

/// `auth.login_credentials` in an anonymous transaction.
async fn login(db: &Database, email: &str) -> Vec<(Uuid, String, bool)> {
    let mut tx = db.anonymous().await.unwrap();
    tx.query(
        "SELECT user_id, password_hash, disabled FROM auth.login_credentials($1)",
        &[&email],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// `auth.resolve_credential` in an anonymous transaction, committed (so renewals stick).
async fn resolve(db: &Database, kind: &str, token: &str) -> Option<Uuid> {
    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit(
            "SELECT auth.resolve_credential($1, $2, $3)",
            &[&kind, &sha(token), &TTL],
        )
        .await
        .unwrap();
    rows[0].get(0)
}

async fn create_user(owner: &Client, email: &str) -> Uuid {
    owner
        .query_one(
            "INSERT INTO users (email, password_hash, full_name) VALUES ($1, $2, $3) RETURNING id",
            &[&email, &format!("hash-of-{email}"), &"Name"],
        )
        .await
        .expect("create user")
        .get(0)
}

/// A session for `user` whose cookie token is `token`, expiring `expires_in` from now
/// (a PostgreSQL interval, e.g. '1 day' or '-1 minute').
async fn create_session(owner: &Client, user: Uuid, token: &str, expires_in: &str) -> Uuid {
    owner
        .query_one(
            "INSERT INTO sessions (user_id, token_hash, expires_at, last_seen_at) \
             VALUES ($1, $2, now() + $3::text::interval, now() - interval '2 days') RETURNING id",
            &[&user, &sha(token), &expires_in],
        )
        .await
        .expect("create session")
        .get(0)
}

/// An API key for `user`; `expires_in` NULL = never expires.
async fn create_key(owner: &Client, user: Uuid, key: &str, expires_in: Option<&str>) -> Uuid {
    owner
        .query_one(
            "INSERT INTO api_keys (user_id, name, key_prefix, key_hash, expires_at) \
             VALUES ($1, 'test key', left($2, 8), $3, now() + $4::text::interval) RETURNING id",
            &[&user, &key, &sha(key), &expires_in],
        )
        .await
        .expect("create api key")
        .get(0)
}

async fn count(
    owner: &Client,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> i64 {
    owner
        .query_one(sql, params)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .get(0)
}

async fn disable(owner: &Client, user: Uuid) {
    owner
        .execute(
            "UPDATE users SET disabled_at = now() WHERE id = $1",
            &[&user],
        )
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// register_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn register_user_makes_the_first_account_admin_and_then_follows_the_signup_setting() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;

    // A fresh instance must be claimable even with signup closed.
    let (first, first_admin) = register(&db, "first@example.com", "h1", false)
        .await
        .unwrap();
    assert!(first_admin, "the first account is the admin");

    // After that, closed means closed: SPK01 and nothing written.
    assert_code(
        "second registration with signup closed",
        SIGNUP_CLOSED,
        register(&db, "second@example.com", "h2", false).await,
    );
    assert_eq!(count(&owner, "SELECT count(*) FROM users", &[]).await, 1);
    assert_eq!(
        count(&owner, "SELECT count(*) FROM user_preferences", &[]).await,
        1
    );

    // Open signup: a normal user, with a preferences row carrying the defaults.
    let (second, second_admin) = register(&db, "  Second@Example.com ", "h2", true)
        .await
        .unwrap();
    assert!(!second_admin);
    assert_ne!(first, second);
    for (user, admin) in [(first, true), (second, false)] {
        let row = owner
            .query_one(
                "SELECT u.is_admin, u.disabled_at IS NULL, p.timezone, p.units_system \
                 FROM users u JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1",
                &[&user],
            )
            .await
            .expect("users row with its preferences row");
        assert_eq!(row.get::<_, bool>(0), admin);
        assert!(row.get::<_, bool>(1), "a new account is active");
        assert_eq!(row.get::<_, String>(2), "UTC");
        assert_eq!(row.get::<_, String>(3), "metric");
    }
    // Stored normalised (trimmed, lowercased).
    let email: String = owner
        .query_one("SELECT email FROM users WHERE id = $1", &[&second])
        .await
        .unwrap()
        .get(0);
    assert_eq!(email, "second@example.com");
}

#[tokio::test]
async fn an_email_is_taken_in_every_case() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;

    register(&db, "A@x.com", "h", true).await.unwrap();
    assert_code(
        "register a@x.com after A@x.com",
        UNIQUE_VIOLATION,
        register(&db, "a@x.com", "h", true).await,
    );
    assert_eq!(count(&owner, "SELECT count(*) FROM users", &[]).await, 1);

    // The index holds on every path, not just in register_user: the owner (admin CLI) ...
    let r = owner
        .execute(
            "INSERT INTO users (email, password_hash) VALUES ('a@X.COM', 'h')",
            &[],
        )
        .await;
    assert_eq!(
        r.unwrap_err().code().map(|c| c.code()),
        Some(UNIQUE_VIOLATION)
    );
    // ... and a user changing their own email to a case variant of someone else's.
    let (b, _) = register(&db, "b@x.com", "h", true).await.unwrap();
    let mut tx = db.as_user(b).await.unwrap();
    let r = tx
        .execute("UPDATE users SET email = 'A@X.com' WHERE id = $1", &[&b])
        .await;
    assert_code("b takes A@X.com", UNIQUE_VIOLATION, r);
    let n: i64 = count(
        &owner,
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_users_email_lower' \
         AND indexdef LIKE 'CREATE UNIQUE INDEX%lower((email)::text)%'",
        &[],
    )
    .await;
    assert_eq!(
        n, 1,
        "idx_users_email_lower is a unique index on lower(email)"
    );
}

#[tokio::test]
async fn concurrent_first_registrations_make_exactly_one_admin() {
    for round in 0..3 {
        let test_db = TestDb::new().await;
        let owner = test_db.owner_client().await;
        let db = test_db.database().await;
        let (r1, r2) = tokio::join!(
            register(&db, "one@example.com", "h", false),
            register(&db, "two@example.com", "h", false),
        );
        // With signup closed, exactly one of the two may exist: the admin.
        let results = [r1, r2];
        let admins = results
            .iter()
            .filter(|r| matches!(r, Ok((_, true))))
            .count();
        assert_eq!(admins, 1, "round {round}: {results:?}");
        let other = results
            .iter()
            .find(|r| !matches!(r, Ok((_, true))))
            .unwrap();
        assert!(
            matches!(other, Err(e) if e.code() == Some(SIGNUP_CLOSED)),
            "round {round}: the loser sees a closed signup, got {other:?}"
        );
        assert_eq!(
            count(&owner, "SELECT count(*) FROM users WHERE is_admin", &[]).await,
            1
        );
        assert_eq!(count(&owner, "SELECT count(*) FROM users", &[]).await, 1);
    }

    // Open signup: both succeed, one admin.
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let (r1, r2) = tokio::join!(
        register(&db, "one@example.com", "h", true),
        register(&db, "two@example.com", "h", true),
    );
    let (a, b) = (r1.unwrap(), r2.unwrap());
    assert!(a.1 ^ b.1, "exactly one admin: {a:?} {b:?}");
    assert_eq!(
        count(&owner, "SELECT count(*) FROM users WHERE is_admin", &[]).await,
        1
    );
}

#[tokio::test]
async fn a_registration_waits_for_an_uncommitted_first_one() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;

    // The first registration is made but not committed yet.
    let mut first = db.anonymous().await.unwrap();
    let row = first
        .query_one(
            "SELECT user_id, is_admin FROM auth.register_user($1, $2, $3, $4)",
            &[&"one@example.com", &"h", &"One", &true],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(1));

    // A second one must wait for it (the advisory lock) instead of also seeing no users.
    let db2 = db.clone();
    let second = tokio::spawn(async move { register(&db2, "two@example.com", "h", true).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    if second.is_finished() {
        panic!(
            "the second registration did not wait for the first: {:?}",
            second.await
        );
    }
    first.commit().await.unwrap();
    let (_, admin) = second.await.unwrap().unwrap();
    assert!(!admin, "the second account is not an admin");
}

// ---------------------------------------------------------------------------------------------
// login_credentials, user columns, preferences timezone
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn login_credentials_returns_the_hash_and_the_disabled_flag() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let (a, _) = register(&db, "alice@example.com", "argon2-hash-a", true)
        .await
        .unwrap();
    // A second administrator, so that Alice (the first) may be disabled below.
    let (b, _) = register(&db, "bea@example.com", "argon2-hash-b", true)
        .await
        .unwrap();
    owner
        .execute("UPDATE users SET is_admin = true WHERE id = $1", &[&b])
        .await
        .unwrap();

    assert_eq!(
        login(&db, "alice@example.com").await,
        vec![(a, "argon2-hash-a".to_string(), false)]
    );
    // Case and surrounding spaces do not matter.
    assert_eq!(
        login(&db, " ALICE@Example.COM ").await,
        vec![(a, "argon2-hash-a".to_string(), false)]
    );
    assert!(login(&db, "nobody@example.com").await.is_empty());

    disable(&owner, a).await;
    assert_eq!(
        login(&db, "alice@example.com").await,
        vec![(a, "argon2-hash-a".to_string(), true)]
    );

    // The request role still never reads a hash, nor changes its own admin/disabled state.
    let mut tx = db.as_user(a).await.unwrap();
    assert_code(
        "select password_hash",
        DENIED,
        tx.query("SELECT password_hash FROM users WHERE id = $1", &[&a])
            .await,
    );
    let mut tx = db.as_user(a).await.unwrap();
    let row = tx
        .query_one(
            "SELECT is_admin, disabled_at IS NOT NULL FROM users WHERE id = $1",
            &[&a],
        )
        .await
        .expect("is_admin and disabled_at are readable");
    assert!(row.get::<_, bool>(0));
    assert!(row.get::<_, bool>(1));
    for set in ["is_admin = false", "disabled_at = NULL"] {
        let mut tx = db.as_user(a).await.unwrap();
        let r = tx
            .execute(&format!("UPDATE users SET {set} WHERE id = $1"), &[&a])
            .await;
        assert_code(set, DENIED, r);
    }

    // login_credentials is not for PUBLIC and runs as its owner.
    let row = owner
        .query_one(
            "SELECT p.prosecdef, p.proacl IS NOT NULL, \
                    NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0), \
                    pg_get_function_result(p.oid) \
             FROM pg_proc p WHERE p.oid = 'auth.login_credentials(text)'::regprocedure",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0) && row.get::<_, bool>(1) && row.get::<_, bool>(2));
    assert_eq!(
        row.get::<_, String>(3),
        "TABLE(user_id uuid, password_hash text, disabled boolean)"
    );
}

#[tokio::test]
async fn the_timezone_preference_is_readable_and_writable_by_its_user_within_limits() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;
    let (a, _) = register(&db, "a@example.com", "h", true).await.unwrap();

    let mut tx = db.as_user(a).await.unwrap();
    let n = tx
        .execute(
            "UPDATE user_preferences SET timezone = 'Europe/Berlin' WHERE user_id = $1",
            &[&a],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let tz: String = tx
        .query_one(
            "SELECT timezone FROM user_preferences WHERE user_id = $1",
            &[&a],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tz, "Europe/Berlin");
    drop(tx);

    for bad in [String::new(), "   ".to_string(), "x".repeat(65)] {
        let mut tx = db.as_user(a).await.unwrap();
        let r = tx
            .execute(
                "UPDATE user_preferences SET timezone = $2 WHERE user_id = $1",
                &[&a, &bad],
            )
            .await;
        assert_code(&format!("timezone {bad:?}"), CHECK_VIOLATION, r);
    }
}

// ---------------------------------------------------------------------------------------------
// sessions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_user_manages_only_their_own_sessions() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let a = create_user(&owner, "a@example.com").await;
    let b = create_user(&owner, "b@example.com").await;

    let insert = "INSERT INTO sessions (user_id, token_hash, expires_at, user_agent, ip) \
                  VALUES ($1, $2, now() + interval '30 days', 'test', '127.0.0.1') RETURNING id";
    // A creates her own session (what the app does right after a verified login) ...
    let tx = db.as_user(a).await.unwrap();
    let rows = tx
        .query_and_commit(insert, &[&a, &sha("a-token")])
        .await
        .unwrap();
    let session_a: Uuid = rows[0].get(0);
    // ... but not one for B.
    let mut tx = db.as_user(a).await.unwrap();
    assert_code(
        "A creates a session for B",
        DENIED,
        tx.query(insert, &[&b, &sha("forged")]).await,
    );
    let session_b = create_session(&owner, b, "b-token", "30 days").await;

    let mut tx = db.as_user(b).await.unwrap();
    let seen: i64 = tx
        .query_one("SELECT count(*) FROM sessions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 1, "B sees exactly his own session");
    let n = tx
        .execute("DELETE FROM sessions WHERE id = $1", &[&session_a])
        .await
        .unwrap();
    assert_eq!(n, 0, "B deletes A's session");
    drop(tx);
    let mut tx = db.as_user(b).await.unwrap();
    assert_code(
        "B extends his own session",
        DENIED,
        tx.execute(
            "UPDATE sessions SET expires_at = now() + interval '10 years' WHERE id = $1",
            &[&session_b],
        )
        .await,
    );
    let mut tx = db.as_user(b).await.unwrap();
    let n = tx
        .execute("DELETE FROM sessions WHERE id = $1", &[&session_b])
        .await
        .unwrap();
    assert_eq!(n, 1, "B signs out his own session");
    drop(tx);

    // Nobody without a user sees any session.
    let mut tx = db.anonymous().await.unwrap();
    let seen: i64 = tx
        .query_one("SELECT count(*) FROM sessions", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 0);
    drop(tx);
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM sessions WHERE id = $1",
            &[&session_a]
        )
        .await,
        1
    );
}

#[tokio::test]
async fn resolve_credential_accepts_only_live_sessions_of_active_users() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let a = create_user(&owner, "a@example.com").await;
    let d = create_user(&owner, "disabled@example.com").await;
    let live = create_session(&owner, a, "live", "20 days").await;
    create_session(&owner, a, "expired", "-1 minute").await;
    create_session(&owner, d, "of-disabled", "20 days").await;
    disable(&owner, d).await;

    assert_eq!(resolve(&db, "session", "live").await, Some(a));
    assert_eq!(resolve(&db, "session", "expired").await, None);
    assert_eq!(resolve(&db, "session", "of-disabled").await, None);
    assert_eq!(resolve(&db, "session", "unknown").await, None);
    // A session token is not an API key, and unknown kinds resolve nothing.
    assert_eq!(resolve(&db, "api_key", "live").await, None);
    assert_eq!(resolve(&db, "cookie", "live").await, None);

    // The session id is left in the transaction for auth.set_password; nothing on a miss.
    let mut tx = db.anonymous().await.unwrap();
    let row = tx
        .query_one(
            "SELECT auth.resolve_credential('session', $1, $2), current_setting('app.session_id', true)",
            &[&sha("live"), &TTL],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), Some(a));
    assert_eq!(row.get::<_, Option<String>>(1), Some(live.to_string()));
    drop(tx);
    let mut tx = db.anonymous().await.unwrap();
    let row = tx
        .query_one(
            "SELECT auth.resolve_credential('session', $1, $2), coalesce(current_setting('app.session_id', true), '')",
            &[&sha("unknown"), &TTL],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), None);
    assert_eq!(row.get::<_, String>(1), "");
}

#[tokio::test]
async fn sessions_slide_forward_only_past_half_their_ttl() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let a = create_user(&owner, "a@example.com").await;
    // TTL 30 days: 20 days left is fresh, 1 day left is past half.
    let fresh = create_session(&owner, a, "fresh", "20 days").await;
    let old = create_session(&owner, a, "old", "1 day").await;
    let snapshot = |id: Uuid| {
        let owner = &owner;
        async move {
            let row = owner
                .query_one(
                    "SELECT expires_at::text, last_seen_at::text FROM sessions WHERE id = $1",
                    &[&id],
                )
                .await
                .unwrap();
            (row.get::<_, String>(0), row.get::<_, String>(1))
        }
    };
    let fresh_before = snapshot(fresh).await;

    assert_eq!(resolve(&db, "session", "fresh").await, Some(a));
    assert_eq!(resolve(&db, "session", "old").await, Some(a));

    assert_eq!(
        snapshot(fresh).await,
        fresh_before,
        "a fresh session is not written"
    );
    let renewed = owner
        .query_one(
            "SELECT expires_at > now() + interval '29 days', \
                    expires_at <= now() + interval '30 days', \
                    last_seen_at > now() - interval '1 minute' \
             FROM sessions WHERE id = $1",
            &[&old],
        )
        .await
        .unwrap();
    assert!(renewed.get::<_, bool>(0), "renewed to a full TTL");
    assert!(renewed.get::<_, bool>(1), "not beyond the TTL");
    assert!(renewed.get::<_, bool>(2), "last_seen_at moved");
}

#[tokio::test]
async fn purge_expired_sessions_removes_only_expired_rows() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let a = create_user(&owner, "a@example.com").await;
    let b = create_user(&owner, "b@example.com").await;
    create_session(&owner, a, "a-old-1", "-1 day").await;
    create_session(&owner, a, "a-old-2", "-1 second").await;
    create_session(&owner, b, "b-old", "-10 days").await;
    let keep = [
        create_session(&owner, a, "a-live", "1 hour").await,
        create_session(&owner, b, "b-live", "10 days").await,
    ];

    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit("SELECT auth.purge_expired_sessions()", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, i32>(0), 3);
    let left: Vec<Uuid> = owner
        .query("SELECT id FROM sessions ORDER BY expires_at", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, keep);
}

// ---------------------------------------------------------------------------------------------
// API keys
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_user_manages_only_their_own_api_keys() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let a = create_user(&owner, "a@example.com").await;
    let b = create_user(&owner, "b@example.com").await;

    let insert = "INSERT INTO api_keys (user_id, name, key_prefix, key_hash) \
                  VALUES ($1, $2, 'spk_1234', $3) RETURNING id";
    let tx = db.as_user(a).await.unwrap();
    let rows = tx
        .query_and_commit(insert, &[&a, &"laptop", &sha("a-key")])
        .await
        .unwrap();
    let key_a: Uuid = rows[0].get(0);
    let mut tx = db.as_user(a).await.unwrap();
    assert_code(
        "A creates a key for B",
        DENIED,
        tx.query(insert, &[&b, &"forged", &sha("forged")]).await,
    );
    let mut tx = db.as_user(a).await.unwrap();
    assert_code(
        "empty key name",
        CHECK_VIOLATION,
        tx.query(insert, &[&a, &"  ", &sha("unnamed")]).await,
    );
    let key_b = create_key(&owner, b, "b-key", None).await;

    let mut tx = db.as_user(b).await.unwrap();
    let names: Vec<Uuid> = tx
        .query("SELECT id FROM api_keys", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, vec![key_b], "B sees exactly his own key");
    let n = tx
        .execute("DELETE FROM api_keys WHERE id = $1", &[&key_a])
        .await
        .unwrap();
    assert_eq!(n, 0, "B deletes A's key");
    drop(tx);
    let mut tx = db.as_user(a).await.unwrap();
    assert_code(
        "A renames her own key",
        DENIED,
        tx.execute("UPDATE api_keys SET name = 'x' WHERE id = $1", &[&key_a])
            .await,
    );
    let mut tx = db.anonymous().await.unwrap();
    let seen: i64 = tx
        .query_one("SELECT count(*) FROM api_keys", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 0, "no user, no keys");
    drop(tx);
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM api_keys WHERE id = $1",
            &[&key_a]
        )
        .await,
        1
    );
}

#[tokio::test]
async fn resolve_credential_honours_api_key_expiry_revocation_and_disabling() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let a = create_user(&owner, "a@example.com").await;
    let d = create_user(&owner, "disabled@example.com").await;
    let forever = create_key(&owner, a, "forever", None).await;
    create_key(&owner, a, "until-tomorrow", Some("1 day")).await;
    create_key(&owner, a, "expired", Some("-1 second")).await;
    create_key(&owner, d, "of-disabled", None).await;
    disable(&owner, d).await;

    assert_eq!(resolve(&db, "api_key", "forever").await, Some(a));
    assert_eq!(resolve(&db, "api_key", "until-tomorrow").await, Some(a));
    assert_eq!(resolve(&db, "api_key", "expired").await, None);
    assert_eq!(resolve(&db, "api_key", "of-disabled").await, None);
    assert_eq!(resolve(&db, "api_key", "unknown").await, None);
    assert_eq!(resolve(&db, "session", "forever").await, None);
    // An API key is not a session: no session id is set.
    let mut tx = db.anonymous().await.unwrap();
    let row = tx
        .query_one(
            "SELECT auth.resolve_credential('api_key', $1, $2), coalesce(current_setting('app.session_id', true), '')",
            &[&sha("forever"), &TTL],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), Some(a));
    assert_eq!(row.get::<_, String>(1), "");
    drop(tx);

    // last_used_at: set on use, then refreshed at most once a minute.
    let used = |id: Uuid| {
        let owner = &owner;
        async move {
            owner
                .query_one(
                    "SELECT last_used_at IS NOT NULL AND last_used_at > now() - interval '1 minute' \
                     FROM api_keys WHERE id = $1",
                    &[&id],
                )
                .await
                .unwrap()
                .get::<_, bool>(0)
        }
    };
    assert!(used(forever).await, "last_used_at set on use");
    let set_last_used = |ago: &'static str| {
        let owner = &owner;
        async move {
            owner
                .execute(
                    "UPDATE api_keys SET last_used_at = now() - $2::text::interval WHERE id = $1",
                    &[&forever, &ago],
                )
                .await
                .unwrap();
        }
    };
    set_last_used("10 seconds").await;
    let before: String = owner
        .query_one(
            "SELECT last_used_at::text FROM api_keys WHERE id = $1",
            &[&forever],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(resolve(&db, "api_key", "forever").await, Some(a));
    let after: String = owner
        .query_one(
            "SELECT last_used_at::text FROM api_keys WHERE id = $1",
            &[&forever],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(before, after, "used 10 s ago: not written again");
    set_last_used("2 minutes").await;
    assert!(!used(forever).await);
    assert_eq!(resolve(&db, "api_key", "forever").await, Some(a));
    assert!(used(forever).await, "used 2 min ago: refreshed");

    // Revoking (deleting) a key takes effect at once.
    let tx = db.as_user(a).await.unwrap();
    tx.query_and_commit("DELETE FROM api_keys WHERE id = $1", &[&forever])
        .await
        .unwrap();
    assert_eq!(resolve(&db, "api_key", "forever").await, None);
}

// ---------------------------------------------------------------------------------------------
// set_password, find_user_id_by_email
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn set_password_changes_the_hash_and_signs_out_the_other_sessions() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let (a, _) = register(&db, "a@example.com", "old-hash", true)
        .await
        .unwrap();
    let (b, _) = register(&db, "b@example.com", "b-hash", true)
        .await
        .unwrap();
    let current = create_session(&owner, a, "current", "20 days").await;
    create_session(&owner, a, "phone", "20 days").await;
    create_session(&owner, a, "tablet", "1 day").await;
    let b_session = create_session(&owner, b, "b-session", "20 days").await;
    create_key(&owner, a, "a-key", None).await;

    // The request: resolve the cookie, act as its user, change the password, commit.
    let mut tx = db.as_user(a).await.unwrap();
    let who: Option<Uuid> = tx
        .query_one(
            "SELECT auth.resolve_credential('session', $1, $2)",
            &[&sha("current"), &TTL],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(who, Some(a));
    tx.execute("SELECT auth.set_password($1)", &[&"new-hash"])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(
        login(&db, "a@example.com").await,
        vec![(a, "new-hash".to_string(), false)]
    );
    assert_eq!(
        login(&db, "b@example.com").await,
        vec![(b, "b-hash".to_string(), false)]
    );
    let left: Vec<Uuid> = owner
        .query("SELECT id FROM sessions ORDER BY created_at, id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut expected = vec![current, b_session];
    expected.sort();
    let mut left_sorted = left.clone();
    left_sorted.sort();
    assert_eq!(
        left_sorted, expected,
        "only A's current session and B's survive"
    );
    assert_eq!(resolve(&db, "session", "current").await, Some(a));
    assert_eq!(resolve(&db, "session", "phone").await, None);
    assert_eq!(
        resolve(&db, "api_key", "a-key").await,
        Some(a),
        "API keys stay"
    );

    // Without a current session (e.g. an API client), every session goes.
    let tx = db.as_user(a).await.unwrap();
    tx.query_and_commit("SELECT auth.set_password($1)", &[&"newer-hash"])
        .await
        .unwrap();
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM sessions WHERE user_id = $1",
            &[&a]
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &owner,
            "SELECT count(*) FROM sessions WHERE user_id = $1",
            &[&b]
        )
        .await,
        1
    );

    // Nobody signed in: refused, nothing changed.
    let mut tx = db.anonymous().await.unwrap();
    assert_code(
        "anonymous set_password",
        DENIED,
        tx.execute("SELECT auth.set_password($1)", &[&"evil"]).await,
    );
    drop(tx);
    assert_eq!(login(&db, "a@example.com").await[0].1, "newer-hash");
}

#[tokio::test]
async fn find_user_id_by_email_is_for_signed_in_callers_and_active_users() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let a = create_user(&owner, "a@example.com").await;
    let b = create_user(&owner, "b@example.com").await;
    let d = create_user(&owner, "gone@example.com").await;
    disable(&owner, d).await;

    let find = |user: Option<Uuid>, email: &'static str| {
        let db = &db;
        async move {
            let mut tx = match user {
                Some(u) => db.as_user(u).await.unwrap(),
                None => db.anonymous().await.unwrap(),
            };
            tx.query_one("SELECT auth.find_user_id_by_email($1)", &[&email])
                .await
                .unwrap()
                .get::<_, Option<Uuid>>(0)
        }
    };
    assert_eq!(
        find(None, "b@example.com").await,
        None,
        "anonymous learns nothing"
    );
    assert_eq!(find(Some(a), "b@example.com").await, Some(b));
    assert_eq!(find(Some(a), " B@Example.COM ").await, Some(b));
    assert_eq!(
        find(Some(a), "gone@example.com").await,
        None,
        "disabled user"
    );
    assert_eq!(find(Some(a), "nobody@example.com").await, None);

    // What it is for: a grant by email.
    let mut tx = db.as_user(a).await.unwrap();
    let n = tx
        .execute(
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) \
             VALUES ($1, auth.find_user_id_by_email($2), 'reports')",
            &[&a, &"B@example.com"],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
}

// ---------------------------------------------------------------------------------------------
// Policies, grants, RLS flags
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn owner_admin_policies_cover_exactly_the_account_tables_and_only_the_owner() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let owner_role: String = owner
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);

    let rows = owner
        .query(
            "SELECT tablename::text, policyname::text, roles::text[], cmd, qual, with_check \
             FROM pg_policies WHERE schemaname = 'public' AND policyname LIKE '%owner_admin' \
             ORDER BY tablename",
            &[],
        )
        .await
        .unwrap();
    let tables: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        tables,
        ["api_keys", "sessions", "user_preferences", "users"]
    );
    for r in &rows {
        let table: String = r.get(0);
        assert_eq!(r.get::<_, String>(1), format!("{table}_owner_admin"));
        assert_eq!(
            r.get::<_, Vec<String>>(2),
            vec![owner_role.clone()],
            "{table}"
        );
        assert_eq!(r.get::<_, String>(3), "ALL");
        assert_eq!(r.get::<_, Option<String>>(4).as_deref(), Some("true"));
        assert_eq!(r.get::<_, Option<String>>(5).as_deref(), Some("true"));
    }

    // No policy anywhere is for the request role by name (they are PUBLIC or the owner's), and
    // the login lookup policy of 2026_11_25_12_00 is gone (the owner policy replaced it).
    let for_app: i64 = count(
        &owner,
        "SELECT count(*) FROM pg_policies WHERE $1 = ANY (roles)",
        &[&APP_ROLE],
    )
    .await;
    assert_eq!(for_app, 0);
    let lookup: i64 = count(
        &owner,
        "SELECT count(*) FROM pg_policies WHERE policyname = 'users_login_lookup'",
        &[],
    )
    .await;
    assert_eq!(lookup, 0);
    // Derived tables (kept by SECURITY DEFINER triggers, read-only to the request role), the
    // server's settings and password links (changed by SECURITY DEFINER functions) let the
    // owner write them even without BYPASSRLS: a `<table>_maintain` policy, owner only.
    let maintain = owner
        .query(
            "SELECT tablename::text, policyname::text, roles::text[] FROM pg_policies \
             WHERE schemaname = 'public' AND policyname LIKE '%\\_maintain' ORDER BY tablename",
            &[],
        )
        .await
        .unwrap();
    let tables: Vec<String> = maintain.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        tables,
        [
            "assistant_usage",
            "diary_day_totals",
            "goal_target_history",
            "instance_settings",
            "measurement_day_totals",
            "password_links",
            "recent_foods"
        ]
    );
    for r in &maintain {
        let table: String = r.get(0);
        assert_eq!(r.get::<_, String>(1), format!("{table}_maintain"));
        assert_eq!(
            r.get::<_, Vec<String>>(2),
            vec![owner_role.clone()],
            "{table}"
        );
    }
    // Every other policy on a public table is for PUBLIC.
    let other: Vec<String> = owner
        .query(
            "SELECT tablename || '.' || policyname FROM pg_policies \
             WHERE schemaname = 'public' AND policyname NOT LIKE '%owner_admin' \
               AND policyname NOT LIKE '%\\_maintain' \
               AND roles <> '{public}'::name[]",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(other.is_empty(), "policies restricted to a role: {other:?}");
}

#[tokio::test]
async fn the_new_tables_pass_the_doctor_rules() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;

    for table in ["sessions", "api_keys"] {
        let row = owner
            .query_one(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, \
                        (SELECT array_agg(p.cmd::text ORDER BY p.cmd) FROM pg_policies p \
                         WHERE p.tablename = c.relname AND p.policyname NOT LIKE '%owner_admin'), \
                        has_table_privilege($2, c.oid, 'SELECT'), \
                        has_table_privilege($2, c.oid, 'INSERT'), \
                        has_table_privilege($2, c.oid, 'DELETE'), \
                        has_table_privilege($2, c.oid, 'UPDATE'), \
                        has_table_privilege($2, c.oid, 'TRUNCATE'), \
                        has_table_privilege($2, c.oid, 'REFERENCES'), \
                        has_table_privilege($2, c.oid, 'TRIGGER'), \
                        EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid \
                                AND t.tgname = 'set_updated_at'), \
                        EXISTS (SELECT 1 FROM pg_index i \
                                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
                                WHERE i.indrelid = c.oid AND a.attname = 'user_id') \
                 FROM pg_class c WHERE c.oid = $1::text::regclass",
                &[&table, &APP_ROLE],
            )
            .await
            .unwrap();
        assert!(row.get::<_, bool>(0), "{table}: RLS not enabled");
        assert!(row.get::<_, bool>(1), "{table}: RLS not forced");
        assert_eq!(
            row.get::<_, Vec<String>>(2),
            ["DELETE", "INSERT", "SELECT"],
            "{table}: request-role policies"
        );
        let privileges: Vec<bool> = (3..10).map(|i| row.get(i)).collect();
        assert_eq!(
            privileges,
            [true, true, true, false, false, false, false],
            "{table}: SELECT, INSERT, DELETE and nothing else"
        );
        assert!(row.get::<_, bool>(10), "{table}: no updated_at trigger");
        assert!(row.get::<_, bool>(11), "{table}: user_id not indexed");
    }
    let expires_index: i64 = count(
        &owner,
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_sessions_expires'",
        &[],
    )
    .await;
    assert_eq!(expires_index, 1);

    // The auth functions: SECURITY DEFINER, fixed search_path, not PUBLIC, the request role may.
    let functions = [
        "auth.login_credentials(text)",
        "auth.register_user(text,text,text,boolean)",
        "auth.resolve_credential(text,text,integer)",
        "auth.set_password(text)",
        "auth.find_user_id_by_email(text)",
        "auth.purge_expired_sessions()",
    ];
    for f in functions {
        let row = owner
            .query_one(
                "SELECT p.prosecdef, coalesce(p.proconfig, '{}') @> '{\"search_path=pg_catalog, public\"}', \
                        p.proacl IS NOT NULL \
                          AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0), \
                        has_function_privilege($2, p.oid, 'EXECUTE'), \
                        pg_get_userbyid(p.proowner) = current_user \
                 FROM pg_proc p WHERE p.oid = $1::text::regprocedure",
                &[&f, &APP_ROLE],
            )
            .await
            .unwrap_or_else(|e| panic!("{f}: {e:?}"));
        for (i, what) in [
            "SECURITY DEFINER",
            "search_path",
            "not PUBLIC",
            "request role executes",
            "owner-owned",
        ]
        .iter()
        .enumerate()
        {
            assert!(row.get::<_, bool>(i), "{f}: {what}");
        }
    }

    // `sparky doctor` itself finds no RLS problem.
    let migrator = Migrator::new(MigrationSource::Embedded, APP_ROLE).unwrap();
    let report = doctor::examine(&owner, APP_ROLE, &migrator).await.unwrap();
    let problems: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.level == doctor::Level::Problem)
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
}

/// The production case the owner policies exist for: an owner that is neither superuser nor
/// BYPASSRLS is filtered by FORCE RLS like everyone else. Registration, login, resolving and
/// the admin CLI's queries must still work; fitness data stays closed to it.
#[tokio::test]
async fn with_a_non_superuser_owner_the_account_functions_and_admin_queries_work() {
    sparky_testkit::with_a_plain_owner(|config, app| async move {
        let app_role = app;
        Migrator::new(MigrationSource::Embedded, &app_role)
            .unwrap()
            .run(&config)
            .await
            .expect("migrations run as a non-superuser owner");
        let owner = sparky_db::connect(&config).await.unwrap();
        let flags: (bool, bool) = {
            let r = owner
                .query_one(
                    "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
                    &[],
                )
                .await
                .unwrap();
            (r.get(0), r.get(1))
        };
        assert_eq!(flags, (false, false), "the owner really is a plain role");
        let db = Database::new(config.clone(), &app_role, 4).unwrap();

        let (a, a_admin) = register(&db, "a@example.com", "hash-a", false)
            .await
            .unwrap();
        assert!(a_admin);
        assert_code(
            "closed signup",
            SIGNUP_CLOSED,
            register(&db, "b@example.com", "hash-b", false).await,
        );
        let (b, b_admin) = register(&db, "b@example.com", "hash-b", true)
            .await
            .unwrap();
        assert!(!b_admin);
        assert_code(
            "duplicate",
            UNIQUE_VIOLATION,
            register(&db, "B@example.com", "x", true).await,
        );
        assert_eq!(
            login(&db, "A@example.com").await,
            vec![(a, "hash-a".to_string(), false)]
        );

        // A session created by the app as the user, then resolved before anyone is known.
        let tx = db.as_user(b).await.unwrap();
        tx.query_and_commit(
            "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 day')",
            &[&b, &sha("b-cookie")],
        )
        .await
        .unwrap();
        assert_eq!(resolve(&db, "session", "b-cookie").await, Some(b));
        let renewed = count(
            &owner,
            "SELECT count(*) FROM sessions WHERE expires_at > now() + interval '29 days'",
            &[],
        )
        .await;
        assert_eq!(renewed, 1, "the renewal went through under FORCE RLS");
        let mut tx = db.as_user(a).await.unwrap();
        let found: Option<Uuid> = tx
            .query_one("SELECT auth.find_user_id_by_email('b@example.com')", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(found, Some(b));
        drop(tx);
        let tx = db.as_user(b).await.unwrap();
        tx.query_and_commit("SELECT auth.set_password('hash-b2')", &[])
            .await
            .unwrap();
        assert_eq!(login(&db, "b@example.com").await[0].1, "hash-b2");

        // The admin CLI, as the owner: list, disable; then the user is locked out.
        assert_eq!(count(&owner, "SELECT count(*) FROM users", &[]).await, 2);
        assert_eq!(
            count(&owner, "SELECT count(*) FROM user_preferences", &[]).await,
            2
        );
        let n = owner
            .execute("UPDATE users SET disabled_at = now() WHERE id = $1", &[&b])
            .await
            .unwrap();
        assert_eq!(n, 1, "the owner can disable a user");
        assert!(login(&db, "b@example.com").await[0].2, "disabled");
        assert_eq!(resolve(&db, "session", "b-cookie").await, None);

        let tx = db.anonymous().await.unwrap();
        tx.query_and_commit("SELECT auth.purge_expired_sessions()", &[])
            .await
            .unwrap();

        // Fitness data has no owner policy: the owner sees none of it.
        let tx = db.as_user(a).await.unwrap();
        tx.query_and_commit(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'weight', 70, 'kg', now())",
            &[&a],
        )
        .await
        .unwrap();
        assert_eq!(
            count(&owner, "SELECT count(*) FROM measurements", &[]).await,
            0
        );
    })
    .await;
}

/// While accounts exist one enabled administrator stays: deleting, demoting or disabling the
/// last one is refused (SPA01) from the request role and the owner alike; with a second
/// administrator, or as the last account of all, it goes. A statement removing several
/// accounts is judged by where it ends.
#[tokio::test]
async fn the_last_administrator_stays_while_accounts_exist() {
    const LAST_ADMIN: &str = "SPA01";
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let (ann, ann_admin) = register(&db, "ann@example.com", "h", true).await.unwrap();
    let (bob, bob_admin) = register(&db, "bob@example.com", "h", true).await.unwrap();
    assert!(ann_admin && !bob_admin);

    let mut tx = db.as_user(ann).await.unwrap();
    assert_code(
        "the only administrator deletes their account",
        LAST_ADMIN,
        tx.execute("DELETE FROM users WHERE id = auth.uid()", &[])
            .await,
    );
    for (what, sql) in [
        ("owner deletes", "DELETE FROM users WHERE id = $1"),
        (
            "owner demotes",
            "UPDATE users SET is_admin = false WHERE id = $1",
        ),
        (
            "owner disables",
            "UPDATE users SET disabled_at = now() WHERE id = $1",
        ),
    ] {
        let e = owner.execute(sql, &[&ann]).await.unwrap_err();
        assert_eq!(e.code().map(|c| c.code()), Some(LAST_ADMIN), "{what}: {e}");
    }
    // Ordinary changes of the administrator's own row still work.
    owner
        .execute("UPDATE users SET full_name = 'Ann' WHERE id = $1", &[&ann])
        .await
        .unwrap();
    // A disabled second administrator does not count.
    owner
        .execute(
            "UPDATE users SET is_admin = true, disabled_at = now() WHERE id = $1",
            &[&bob],
        )
        .await
        .unwrap();
    let e = owner
        .execute("DELETE FROM users WHERE id = $1", &[&ann])
        .await
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.code()), Some(LAST_ADMIN), "{e}");
    // An enabled one does: then Ann may go, and Bob is the last administrator.
    owner
        .execute("UPDATE users SET disabled_at = NULL WHERE id = $1", &[&bob])
        .await
        .unwrap();
    let mut tx = db.as_user(ann).await.unwrap();
    tx.execute("DELETE FROM users WHERE id = auth.uid()", &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Bob is the last account of all: he may go, leaving an empty instance.
    let mut tx = db.as_user(bob).await.unwrap();
    tx.execute("DELETE FROM users WHERE id = auth.uid()", &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // One statement removing every account is allowed whatever order it visits them in; one
    // that leaves an account behind without an administrator is not.
    let (cat, _) = register(&db, "cat@example.com", "h", true).await.unwrap();
    let (dan, _) = register(&db, "dan@example.com", "h", true).await.unwrap();
    let (eve, _) = register(&db, "eve@example.com", "h", true).await.unwrap();
    let e = owner
        .execute("DELETE FROM users WHERE id = ANY($1)", &[&vec![cat, dan]])
        .await
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.code()), Some(LAST_ADMIN), "{e}");
    owner
        .execute(
            "DELETE FROM users WHERE id = ANY($1)",
            &[&vec![cat, dan, eve]],
        )
        .await
        .unwrap();
    let left: i64 = owner
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

/// The last account going while someone registers: the registration and the check share a
/// lock, so either the newcomer sees the instance empty and becomes the administrator, or the
/// going account sees the newcomer and stays; never an account left without one.
#[tokio::test]
async fn the_last_account_going_waits_for_a_registration_in_flight() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;
    let (ann, _) = register(&db, "ann@example.com", "h", true).await.unwrap();
    // A registration holding its lock, having seen Ann: the newcomer is no administrator.
    let mut newcomer = db.anonymous().await.unwrap();
    let rows = newcomer
        .query(
            "SELECT user_id, is_admin FROM auth.register_user($1, $2, $3, true)",
            &[&"new@example.com", &"h", &"New"],
        )
        .await
        .unwrap();
    assert!(!rows[0].get::<_, bool>(1));
    let going = tokio::spawn({
        let db = test_db.database().await;
        async move {
            let mut tx = db.as_user(ann).await.unwrap();
            let r = tx
                .execute("DELETE FROM users WHERE id = auth.uid()", &[])
                .await;
            if r.is_ok() {
                tx.commit().await.unwrap();
            }
            r
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!going.is_finished(), "the check waits for the registration");
    newcomer.commit().await.unwrap();
    assert_code(
        "the last administrator going",
        "SPA01",
        going.await.unwrap(),
    );
    let owner = test_db.owner_client().await;
    let admins: i64 = owner
        .query_one("SELECT count(*) FROM users WHERE is_admin", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(admins, 1, "Ann is still here, and the administrator");
}
