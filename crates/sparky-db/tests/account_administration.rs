//! Account administration through the request role (migration
//! `2026_12_16_10_00_administer_accounts`): only an enabled administrator reads every account
//! and calls the `auth.admin_*` functions; everyone else is refused by the database itself.

use sparky_db::{Database, DbError};
use sparky_testkit::TestDb;
use uuid::Uuid;

const NOT_ADMIN: &str = "SPA02";
const OWN_ACCOUNT: &str = "SPA03";
const LAST_ADMIN: &str = "SPA01";

#[track_caller]
fn assert_code<T: std::fmt::Debug>(what: &str, code: &str, result: Result<T, DbError>) {
    match result {
        Err(e) => assert_eq!(e.code(), Some(code), "{what}: expected {code}, got {e:?}"),
        Ok(v) => panic!("{what}: expected {code}, but it succeeded with {v:?}"),
    }
}

async fn register(db: &Database, email: &str) -> Uuid {
    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit(
            "SELECT user_id FROM auth.register_user($1, 'hash', 'Name', true)",
            &[&email],
        )
        .await
        .unwrap();
    rows[0].get(0)
}

/// The emails `user` sees in `users`.
async fn visible(db: &Database, user: Uuid) -> Vec<String> {
    let mut tx = db.as_user(user).await.unwrap();
    let rows = tx
        .query("SELECT email::text FROM users ORDER BY email", &[])
        .await
        .unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

async fn call(db: &Database, user: Uuid, sql: &str, id: Uuid) -> Result<u64, DbError> {
    let mut tx = db.as_user(user).await?;
    let n = tx.execute(sql, &[&id]).await?;
    tx.commit().await?;
    Ok(n)
}

#[tokio::test]
async fn only_an_enabled_administrator_reads_and_changes_other_accounts() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await; // the first: administrator
    let bob = register(&db, "bob@example.com").await;
    let cat = register(&db, "cat@example.com").await;

    assert_eq!(
        visible(&db, ann).await,
        ["ann@example.com", "bob@example.com", "cat@example.com"]
    );
    assert_eq!(visible(&db, bob).await, ["bob@example.com"]);

    let disable = "SELECT auth.admin_update_account($1, true, NULL, NULL)";
    let promote = "SELECT auth.admin_update_account($1, NULL, true, NULL)";
    let new_password = "SELECT auth.admin_update_account($1, NULL, NULL, 'new-hash')";
    let delete = "SELECT auth.admin_delete_account($1)";
    for (what, sql) in [
        ("disable", disable),
        ("promote", promote),
        ("new password", new_password),
        ("delete", delete),
    ] {
        assert_code(what, NOT_ADMIN, call(&db, bob, sql, cat).await);
        assert_code(
            &format!("{what} oneself"),
            NOT_ADMIN,
            call(&db, bob, sql, bob).await,
        );
    }
    {
        let mut tx = db.as_user(bob).await.unwrap();
        assert_code(
            "create",
            NOT_ADMIN,
            tx.query_one(
                "SELECT auth.admin_create_account('eve@example.com', 'h', 'Eve', true)",
                &[],
            )
            .await,
        );
    }
    // The request role cannot write the columns directly either.
    {
        let mut tx = db.as_user(bob).await.unwrap();
        assert_code(
            "bob makes himself administrator",
            "42501",
            tx.execute(
                "UPDATE users SET is_admin = true WHERE id = auth.uid()",
                &[],
            )
            .await,
        );
    }
    let state = |id: Uuid| {
        let owner = &owner;
        async move {
            let r = owner
                .query_one(
                    "SELECT is_admin, disabled_at IS NOT NULL, password_hash FROM users WHERE id = $1",
                    &[&id],
                )
                .await
                .unwrap();
            (
                r.get::<_, bool>(0),
                r.get::<_, bool>(1),
                r.get::<_, String>(2),
            )
        }
    };
    assert_eq!(state(cat).await, (false, false, "hash".to_string()));

    // The administrator: another account's sessions end when it is disabled.
    owner
        .execute(
            "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, 'x', now() + interval '1 day')",
            &[&cat],
        )
        .await
        .unwrap();
    let mut tx = db.as_user(ann).await.unwrap();
    let ended: Option<i32> = tx
        .query_one(
            "SELECT auth.admin_update_account($1, true, NULL, NULL)",
            &[&cat],
        )
        .await
        .unwrap()
        .get(0);
    tx.commit().await.unwrap();
    assert_eq!(ended, Some(1));
    assert_eq!(state(cat).await, (false, true, "hash".to_string()));
    let mut tx = db.as_user(ann).await.unwrap();
    let unknown: Option<i32> = tx
        .query_one(
            "SELECT auth.admin_update_account($1, true, NULL, NULL)",
            &[&Uuid::new_v4()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(unknown, None, "no such account");
    drop(tx);

    // Her own account is changed in Settings; the last administrator stays.
    assert_code(
        "disable herself",
        OWN_ACCOUNT,
        call(&db, ann, disable, ann).await,
    );
    assert_code(
        "her password",
        OWN_ACCOUNT,
        call(&db, ann, new_password, ann).await,
    );
    assert_code(
        "delete herself",
        OWN_ACCOUNT,
        call(&db, ann, delete, ann).await,
    );
    assert_code(
        "demote herself, the last administrator",
        LAST_ADMIN,
        call(
            &db,
            ann,
            "SELECT auth.admin_update_account($1, NULL, false, NULL)",
            ann,
        )
        .await,
    );

    // A disabled administrator is no administrator.
    call(&db, ann, promote, cat).await.unwrap();
    assert_eq!(state(cat).await, (true, true, "hash".to_string()));
    assert_eq!(visible(&db, cat).await, ["cat@example.com"]);
    assert_code(
        "disabled cat",
        NOT_ADMIN,
        call(&db, cat, disable, bob).await,
    );

    // Deleting takes everything the account owns.
    call(&db, ann, delete, bob).await.unwrap();
    let left: i64 = owner
        .query_one("SELECT count(*) FROM users WHERE id = $1", &[&bob])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    let mut tx = db.as_user(ann).await.unwrap();
    let gone: bool = tx
        .query_one("SELECT auth.admin_delete_account($1)", &[&bob])
        .await
        .unwrap()
        .get(0);
    assert!(!gone, "already deleted");
}

#[tokio::test]
async fn a_read_only_transaction_changes_nothing() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await;
    let bob = register(&db, "bob@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    tx.execute("SET TRANSACTION READ ONLY", &[]).await.unwrap();
    assert_code(
        "disable in a read-only transaction",
        "25006",
        tx.execute(
            "SELECT auth.admin_update_account($1, true, NULL, NULL)",
            &[&bob],
        )
        .await,
    );
}

#[tokio::test]
async fn only_an_administrator_closes_signups_and_everyone_reads_them() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await;
    let bob = register(&db, "bob@example.com").await;
    let closed = |db: Database| async move {
        let mut tx = db.anonymous().await.unwrap();
        let r = tx
            .query_one("SELECT signups_closed FROM instance_settings", &[])
            .await
            .unwrap();
        r.get::<_, bool>(0)
    };
    assert!(
        !closed(db.clone()).await,
        "open by default, read without a user"
    );
    let mut tx = db.as_user(bob).await.unwrap();
    assert_code(
        "bob closes sign-ups",
        NOT_ADMIN,
        tx.execute("SELECT auth.admin_set_signups_closed(true)", &[])
            .await,
    );
    drop(tx);
    let mut tx = db.as_user(bob).await.unwrap();
    assert_code(
        "bob writes the row",
        "42501",
        tx.execute("UPDATE instance_settings SET signups_closed = true", &[])
            .await,
    );
    drop(tx);
    let mut tx = db.as_user(ann).await.unwrap();
    tx.execute("SELECT auth.admin_set_signups_closed(true)", &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(closed(db.clone()).await);
    // The row deleted by hand: closing makes it again.
    let owner = test_db.owner_client().await;
    owner
        .execute("DELETE FROM instance_settings", &[])
        .await
        .unwrap();
    let mut tx = db.as_user(ann).await.unwrap();
    tx.execute("SELECT auth.admin_set_signups_closed(true)", &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(closed(db.clone()).await);
}

/// `auth.admin_make_password_link` as `user` for `target`, with the secret's hash `hash`.
async fn make_link(db: &Database, user: Uuid, target: Uuid, hash: &str) -> Result<bool, DbError> {
    let mut tx = db.as_user(user).await?;
    let row = tx
        .query_one(
            "SELECT auth.admin_make_password_link($1, $2, interval '7 days') IS NOT NULL",
            &[&target, &hash],
        )
        .await?;
    tx.commit().await?;
    Ok(row.get(0))
}

/// `auth.use_password_link` anonymously: the account whose password was set, if any.
async fn use_link(db: &Database, hash: &str, new_hash: &str) -> Option<Uuid> {
    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit("SELECT auth.use_password_link($1, $2)", &[&hash, &new_hash])
        .await
        .unwrap();
    rows[0].get(0)
}

async fn link_account(db: &Database, hash: &str) -> Option<String> {
    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit("SELECT email FROM auth.password_link($1)", &[&hash])
        .await
        .unwrap();
    rows.first().map(|r| r.get(0))
}

#[tokio::test]
async fn a_password_link_is_made_by_an_administrator_and_works_once() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await; // administrator
    let bob = register(&db, "bob@example.com").await;
    let cat = register(&db, "cat@example.com").await;
    let hash_of = |id: Uuid| {
        let owner = &owner;
        async move {
            owner
                .query_one("SELECT password_hash FROM users WHERE id = $1", &[&id])
                .await
                .unwrap()
                .get::<_, String>(0)
        }
    };
    let links = || {
        let owner = &owner;
        async move {
            owner
                .query_one("SELECT count(*) FROM password_links", &[])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };

    // Nobody but an administrator makes one, nor for themselves; the request role cannot
    // read or write the table at all.
    assert_code(
        "bob for cat",
        NOT_ADMIN,
        make_link(&db, bob, cat, "h-bob").await,
    );
    assert_code(
        "bob for bob",
        NOT_ADMIN,
        make_link(&db, bob, bob, "h-bob").await,
    );
    assert_code(
        "ann for ann",
        OWN_ACCOUNT,
        make_link(&db, ann, ann, "h-ann").await,
    );
    {
        let mut tx = db.as_user(ann).await.unwrap();
        assert_code(
            "reading the table",
            "42501",
            tx.query("SELECT * FROM password_links", &[]).await,
        );
    }
    assert_eq!(links().await, 0);
    assert!(!make_link(&db, ann, Uuid::new_v4(), "h-x").await.unwrap());
    assert_eq!(links().await, 0);

    // A link names its account; a newer one replaces it.
    assert!(make_link(&db, ann, bob, "h-1").await.unwrap());
    assert_eq!(
        link_account(&db, "h-1").await.as_deref(),
        Some("bob@example.com")
    );
    assert!(make_link(&db, ann, bob, "h-2").await.unwrap());
    assert_eq!(links().await, 1);
    assert_eq!(link_account(&db, "h-1").await, None);
    assert_eq!(use_link(&db, "h-1", "stolen").await, None);
    assert_ne!(hash_of(bob).await, "stolen");

    // Used once: the password is set, the sessions end, the link goes.
    owner
        .execute(
            "INSERT INTO sessions (user_id, token_hash, expires_at)
             VALUES ($1, 'bob-session', now() + interval '1 day')",
            &[&bob],
        )
        .await
        .unwrap();
    assert_eq!(use_link(&db, "h-2", "bob-new").await, Some(bob));
    assert_eq!(hash_of(bob).await, "bob-new");
    let sessions: i64 = owner
        .query_one("SELECT count(*) FROM sessions WHERE user_id = $1", &[&bob])
        .await
        .unwrap()
        .get(0);
    assert_eq!(sessions, 0);
    assert_eq!(use_link(&db, "h-2", "again").await, None);
    assert_eq!(hash_of(bob).await, "bob-new");
    assert_eq!(links().await, 0);

    // An expired link, or one of an account disabled since, does nothing.
    assert!(make_link(&db, ann, cat, "h-cat").await.unwrap());
    owner
        .execute(
            "UPDATE password_links SET expires_at = now() - interval '1 second'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(link_account(&db, "h-cat").await, None);
    assert_eq!(use_link(&db, "h-cat", "cat-new").await, None);
    assert!(make_link(&db, ann, cat, "h-cat2").await.unwrap());
    owner
        .execute(
            "UPDATE users SET disabled_at = now() WHERE id = $1",
            &[&cat],
        )
        .await
        .unwrap();
    assert_eq!(link_account(&db, "h-cat2").await, None);
    assert_eq!(use_link(&db, "h-cat2", "cat-new").await, None);
    assert_ne!(hash_of(cat).await, "cat-new");
    // A disabled account gets no new link (enable it first).
    assert_code(
        "disabled",
        OWN_ACCOUNT,
        make_link(&db, ann, cat, "h-cat3").await,
    );

    // Administrators see that a link waits, never its hash; others see nothing; only an
    // administrator withdraws one.
    assert!(make_link(&db, ann, bob, "h-bob-2").await.unwrap());
    {
        let mut tx = db.as_user(ann).await.unwrap();
        let waiting: Vec<Uuid> = tx
            .query(
                "SELECT user_id FROM password_links WHERE expires_at > now()",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(waiting.contains(&bob), "{waiting:?}");
        assert_code(
            "the hash",
            "42501",
            tx.query("SELECT token_hash FROM password_links", &[]).await,
        );
    }
    {
        let mut tx = db.as_user(bob).await.unwrap();
        let seen = tx
            .query("SELECT user_id FROM password_links", &[])
            .await
            .unwrap();
        assert!(seen.is_empty(), "not an administrator");
        assert_code(
            "bob withdraws",
            NOT_ADMIN,
            tx.query_one("SELECT auth.admin_cancel_password_link($1)", &[&bob])
                .await,
        );
    }
    let cancel = |id: Uuid| {
        let db = &db;
        async move {
            let mut tx = db.as_user(ann).await.unwrap();
            let row = tx
                .query_one("SELECT auth.admin_cancel_password_link($1)", &[&id])
                .await
                .unwrap();
            tx.commit().await.unwrap();
            row.get::<_, bool>(0)
        }
    };
    assert!(cancel(bob).await);
    assert!(!cancel(bob).await);
    assert_eq!(use_link(&db, "h-bob-2", "withdrawn").await, None);

    // Deleting the account takes its link.
    owner
        .execute("UPDATE users SET disabled_at = NULL WHERE id = $1", &[&cat])
        .await
        .unwrap();
    assert!(make_link(&db, ann, cat, "h-cat4").await.unwrap());
    owner
        .execute("DELETE FROM users WHERE id = $1", &[&cat])
        .await
        .unwrap();
    assert_eq!(links().await, 0);
}

#[tokio::test]
async fn a_new_session_records_when_its_account_signed_in() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await;
    let bob = register(&db, "bob@example.com").await;
    let last = |id: Uuid| {
        let owner = &owner;
        async move {
            owner
                .query_one(
                    "SELECT last_sign_in_at IS NOT NULL, last_sign_in_at >= now() - interval '1 minute'
                     FROM users WHERE id = $1",
                    &[&id],
                )
                .await
                .unwrap()
                .get::<_, bool>(0)
        }
    };
    assert!(!last(bob).await);
    // Bob starts a session as himself (as sign-in does, through the request role).
    {
        let mut tx = db.as_user(bob).await.unwrap();
        tx.execute(
            "INSERT INTO sessions (user_id, token_hash, expires_at)
             VALUES (auth.uid(), 'bob-token', now() + interval '1 day')",
            &[],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    assert!(last(bob).await);
    assert!(!last(ann).await);
    // He reads it, administrators read it, nobody writes it.
    let mut tx = db.as_user(bob).await.unwrap();
    let seen: bool = tx
        .query_one(
            "SELECT last_sign_in_at IS NOT NULL FROM users WHERE id = auth.uid()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(seen);
    assert_code(
        "bob clears it",
        "42501",
        tx.execute(
            "UPDATE users SET last_sign_in_at = NULL WHERE id = auth.uid()",
            &[],
        )
        .await,
    );
    let mut tx = db.as_user(ann).await.unwrap();
    let seen: i64 = tx
        .query_one("SELECT count(last_sign_in_at) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 1, "the administrator sees Bob's");
}

/// `auth.request_password_link` anonymously (the sign-in page's "Forgot your password?"):
/// the address the link is to be mailed to, if a link was made.
async fn request_link(
    db: &Database,
    email: &str,
    hash: &str,
    valid: &str,
) -> Result<Option<String>, DbError> {
    let tx = db.anonymous().await?;
    let rows = tx
        .query_and_commit(
            "SELECT email FROM auth.request_password_link($1, $2, $3::text::interval)",
            &[&email, &hash, &valid],
        )
        .await?;
    Ok(rows.first().map(|r| r.get(0)))
}

#[tokio::test]
async fn a_password_link_asked_for_by_address_is_made_only_for_an_enabled_account() {
    let test_db = TestDb::new().await;
    let owner = test_db.owner_client().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await; // administrator
    let bob = register(&db, "bob@example.com").await;
    let stored = || {
        let owner = &owner;
        async move {
            owner
                .query(
                    "SELECT user_id, token_hash, created_by IS NULL,
                            expires_at < now() + interval '61 minutes'
                     FROM password_links ORDER BY token_hash",
                    &[],
                )
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r.get::<_, Uuid>(0),
                        r.get::<_, String>(1),
                        r.get::<_, bool>(2),
                        r.get::<_, bool>(3),
                    )
                })
                .collect::<Vec<_>>()
        }
    };

    // No such account: no row, nothing made.
    assert_eq!(
        request_link(&db, "nobody@example.com", "h-0", "1 hour")
            .await
            .unwrap(),
        None
    );
    assert!(stored().await.is_empty());
    // Found case-insensitively and trimmed; the link is the account's one live link, asked
    // for by nobody in particular, for the hour asked.
    assert_eq!(
        request_link(&db, " BOB@Example.com ", "h-1", "1 hour")
            .await
            .unwrap()
            .as_deref(),
        Some("bob@example.com")
    );
    assert_eq!(stored().await, [(bob, "h-1".to_string(), true, true)]);
    assert_eq!(
        link_account(&db, "h-1").await.as_deref(),
        Some("bob@example.com")
    );
    // Asked again within 5 minutes: nothing new is made or mailed (the first still works),
    // until the first is older.
    assert_eq!(
        request_link(&db, "bob@example.com", "h-1b", "1 hour")
            .await
            .unwrap(),
        None
    );
    assert_eq!(stored().await, [(bob, "h-1".to_string(), true, true)]);
    owner
        .execute(
            "UPDATE password_links SET created_at = now() - interval '6 minutes'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        request_link(&db, "bob@example.com", "h-1c", "1 hour")
            .await
            .unwrap()
            .as_deref(),
        Some("bob@example.com")
    );
    assert_eq!(stored().await, [(bob, "h-1c".to_string(), true, true)]);
    // It replaces an administrator's link, and a request replaces the administrator's at once.
    assert!(make_link(&db, ann, bob, "h-admin").await.unwrap());
    request_link(&db, "bob@example.com", "h-2", "1 hour")
        .await
        .unwrap();
    assert_eq!(stored().await, [(bob, "h-2".to_string(), true, true)]);
    assert_eq!(link_account(&db, "h-admin").await, None);
    // Used like any link.
    assert_eq!(use_link(&db, "h-2", "bob-new").await, Some(bob));
    assert!(stored().await.is_empty());

    // A disabled account gets none; validity is bounded.
    owner
        .execute(
            "UPDATE users SET disabled_at = now() WHERE id = $1",
            &[&bob],
        )
        .await
        .unwrap();
    assert_eq!(
        request_link(&db, "bob@example.com", "h-3", "1 hour")
            .await
            .unwrap(),
        None
    );
    assert!(stored().await.is_empty());
    for valid in ["0 seconds", "-1 hour", "2 days"] {
        assert_code(
            valid,
            "22023",
            request_link(&db, "ann@example.com", "h-4", valid).await,
        );
    }
    assert!(stored().await.is_empty());
    // A signed-in caller gets nothing more: the link still goes to the address's owner.
    let mut tx = db.as_user(bob).await.unwrap();
    let row = tx
        .query_one(
            "SELECT count(*) FROM auth.request_password_link('ann@example.com', 'h-5', interval '1 hour')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    tx.commit().await.unwrap();
    assert_eq!(stored().await, [(ann, "h-5".to_string(), true, true)]);
}
