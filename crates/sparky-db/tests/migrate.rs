//! The migration runner against a real PostgreSQL: every rule of the foundation issue.

use std::path::Path;

use sparky_db::migrate::{MigrateError, State};
use sparky_db::{MigrationSource, Migrator};
use sparky_testkit::{TestDb, APP_ROLE};
use tempfile::TempDir;
use tokio_postgres::Client;

fn dir_with(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    dir
}

fn migrator(dir: &Path) -> Migrator {
    Migrator::new(MigrationSource::Directory(dir.to_path_buf()), APP_ROLE).unwrap()
}

async fn applied(client: &Client) -> Vec<String> {
    client
        .query("SELECT version FROM migrations ORDER BY version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn table_exists(client: &Client, name: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
        .await
        .unwrap()
        .get(0)
}

const A: (&str, &str) = (
    "2024_01_01_00_00_create_a.sql",
    "CREATE TABLE a (id int primary key, note text);",
);
const B: (&str, &str) = (
    "2024_01_02_00_00_create_b.sql",
    "CREATE TABLE b (id int primary key);\nINSERT INTO b VALUES (1);",
);

#[tokio::test]
async fn applies_pending_in_order_and_records_them() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[B, A]);
    let report = migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    assert_eq!(report.applied, vec!["2024_01_01_00_00", "2024_01_02_00_00"]);
    let client = db.owner_client().await;
    let rows = client
        .query(
            "SELECT version, description, checksum, execution_ms FROM migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get::<_, String>(1), "create_a");
    let checksum: String = rows[1].get(2);
    let expected = sparky_db::migrate::source::normalise(B.1.as_bytes(), "b")
        .unwrap()
        .1;
    assert_eq!(checksum, expected);
    assert!(rows[0].get::<_, Option<i64>>(3).is_some());

    // A second run has nothing to do.
    let again = migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    assert!(again.applied.is_empty());
    let status = migrator(dir.path()).status(&client).await.unwrap();
    assert!(status.is_current());
    assert_eq!(status.count(State::Applied), 2);
}

#[tokio::test]
async fn seed_style_file_with_its_own_transaction_and_tracking_insert_applies() {
    let db = TestDb::empty().await;
    let seed_style = "-- Migration: Add meal planning functionality\n-- Version: 2024_03_15_14_20\nBEGIN;\n\
        CREATE TABLE meal_plans (id int primary key);\n\
        -- Update migration version\n\
        INSERT INTO migrations (version, applied_at) VALUES ('2024_03_15_14_20', NOW());\nCOMMIT;\n";
    let dir = dir_with(&[A, ("2024_03_15_14_20_add_meal_planning.sql", seed_style)]);
    migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    let client = db.owner_client().await;
    assert!(table_exists(&client, "meal_plans").await);
    let row = client
        .query_one(
            "SELECT checksum, description FROM migrations WHERE version = '2024_03_15_14_20'",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, Option<String>>(0).is_some());
    assert_eq!(row.get::<_, String>(1), "add_meal_planning");
}

#[tokio::test]
async fn no_transaction_file_creates_an_index_concurrently() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[
        A,
        (
            "2024_01_03_00_00_index_a_note.sql",
            "-- sparky:no-transaction\n-- Built concurrently so writes continue meanwhile.\nCREATE INDEX CONCURRENTLY idx_a_note ON a (note);\n",
        ),
    ]);
    migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    let client = db.owner_client().await;
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_a_note'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(valid);
    assert_eq!(applied(&client).await.len(), 2);
}

#[tokio::test]
async fn no_transaction_file_with_two_statements_is_refused() {
    let dir = dir_with(&[(
        "2024_01_03_00_00_two.sql",
        "-- sparky:no-transaction\nCREATE INDEX CONCURRENTLY i1 ON a (note);\nCREATE INDEX CONCURRENTLY i2 ON a (id);\n",
    )]);
    let err = Migrator::new(MigrationSource::Directory(dir.path().into()), APP_ROLE).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("2024_01_03_00_00_two.sql"), "{text}");
    assert!(text.contains("exactly one statement"), "{text}");
}

#[tokio::test]
async fn a_failing_migration_leaves_no_trace_and_names_file_and_position() {
    let db = TestDb::empty().await;
    let bad = "CREATE TABLE c (id int);\nINSERT INTO c VALUES (1);\nSELECT * FROM no_such_table;\n";
    let dir = dir_with(&[
        A,
        ("2024_01_02_00_00_broken.sql", bad),
        ("2024_01_03_00_00_later.sql", "CREATE TABLE d (id int);"),
    ]);
    let err = migrator(dir.path())
        .run(&db.owner_config())
        .await
        .unwrap_err();
    match &err {
        MigrateError::Failed {
            file,
            line,
            message,
            ..
        } => {
            assert_eq!(file, "2024_01_02_00_00_broken.sql");
            assert_eq!(*line, 3);
            assert!(message.contains("no_such_table"), "{message}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    let client = db.owner_client().await;
    assert!(
        table_exists(&client, "a").await,
        "earlier migration stays applied"
    );
    assert!(
        !table_exists(&client, "c").await,
        "the failed file's statements are rolled back"
    );
    assert!(
        !table_exists(&client, "d").await,
        "later files are not applied"
    );
    assert_eq!(applied(&client).await, vec!["2024_01_01_00_00"]);
}

/// A migration revised after release (sparky_db's list of revisions) is accepted where its
/// earlier text was applied, and its recorded checksum brought up to date; any other change of
/// it is still refused.
#[tokio::test]
async fn a_revised_migration_applied_in_its_earlier_form_is_accepted() {
    const REVISED: &str = "2026_11_26_02_10";
    const EARLIER: &str = "81014546ed112a50bf01fb81cdd7d5134dd4a66219c5c35da7fc6260267a2f83";
    let db = TestDb::new().await;
    let client = db.owner_client().await;
    let newest = Migrator::new(MigrationSource::Embedded, APP_ROLE).unwrap();
    let current = newest
        .migrations()
        .iter()
        .find(|m| m.version == REVISED)
        .unwrap()
        .checksum
        .clone();
    assert_ne!(current, EARLIER, "the file was revised");
    client
        .execute(
            "UPDATE migrations SET checksum = $2 WHERE version = $1",
            &[&REVISED, &EARLIER],
        )
        .await
        .unwrap();
    assert_eq!(
        newest.status(&client).await.unwrap().count(State::Modified),
        0
    );
    newest.verify(&client).await.unwrap();
    // The release that brings the revision brings newer migrations too: applying them records
    // the revision's checksum.
    let dir = tempfile::tempdir().unwrap();
    for m in newest.migrations() {
        std::fs::write(dir.path().join(&m.file_name), &m.sql).unwrap();
    }
    std::fs::write(dir.path().join("2099_01_01_00_00_later.sql"), "SELECT 1;").unwrap();
    let later = Migrator::new(MigrationSource::Directory(dir.path().into()), APP_ROLE).unwrap();
    later.run(&db.owner_config()).await.unwrap();
    let recorded: String = client
        .query_one(
            "SELECT checksum FROM migrations WHERE version = $1",
            &[&REVISED],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, current);
    // Any other text is a change.
    client
        .execute(
            "UPDATE migrations SET checksum = $2 WHERE version = $1",
            &[&REVISED, &"0".repeat(64)],
        )
        .await
        .unwrap();
    let err = later.run(&db.owner_config()).await.unwrap_err();
    assert!(matches!(err, MigrateError::Modified { .. }), "{err:?}");
}

#[tokio::test]
async fn a_changed_applied_file_is_refused_until_repaired() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[A]);
    migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    std::fs::write(
        dir.path().join(A.0),
        "CREATE TABLE a (id bigint primary key);",
    )
    .unwrap();
    std::fs::write(dir.path().join(B.0), B.1).unwrap();
    let err = migrator(dir.path())
        .run(&db.owner_config())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, MigrateError::Modified { .. }), "{err:?}");
    assert!(
        text.contains(A.0) && text.contains("migrate repair"),
        "{text}"
    );
    let client = db.owner_client().await;
    assert!(
        !table_exists(&client, "b").await,
        "nothing applied after a refusal"
    );
    let status = migrator(dir.path()).status(&client).await.unwrap();
    assert_eq!(status.count(State::Modified), 1);

    migrator(dir.path())
        .repair(&client, "2024_01_01_00_00")
        .await
        .unwrap();
    migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    assert!(table_exists(&client, "b").await);
    // Repairing a file that matches is refused.
    assert!(migrator(dir.path())
        .repair(&client, "2024_01_01_00_00")
        .await
        .is_err());
}

#[tokio::test]
async fn crlf_checkout_is_not_a_change() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[(
        "2024_01_01_00_00_create_a.sql",
        "CREATE TABLE a (id int);\nSELECT 1;\n",
    )]);
    migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    std::fs::write(
        dir.path().join("2024_01_01_00_00_create_a.sql"),
        "CREATE TABLE a (id int);\r\nSELECT 1;\r\n",
    )
    .unwrap();
    let client = db.owner_client().await;
    assert!(migrator(dir.path())
        .status(&client)
        .await
        .unwrap()
        .is_current());
}

#[tokio::test]
async fn an_older_pending_file_needs_allow_out_of_order() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[B]);
    migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    std::fs::write(dir.path().join(A.0), A.1).unwrap();
    let err = migrator(dir.path())
        .run(&db.owner_config())
        .await
        .unwrap_err();
    assert!(matches!(err, MigrateError::OutOfOrder { .. }), "{err:?}");
    assert!(err.to_string().contains(A.0));
    assert!(err.to_string().contains("--allow-out-of-order"));
    let report = migrator(dir.path())
        .allow_out_of_order(true)
        .run(&db.owner_config())
        .await
        .unwrap();
    assert_eq!(report.applied, vec!["2024_01_01_00_00"]);
}

#[tokio::test]
async fn a_database_from_a_newer_binary_is_refused() {
    let db = TestDb::empty().await;
    let newer = dir_with(&[A, B]);
    migrator(newer.path())
        .run(&db.owner_config())
        .await
        .unwrap();
    let older = dir_with(&[A]);
    let err = migrator(older.path())
        .run(&db.owner_config())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, MigrateError::Unknown { versions } if versions == &["2024_01_02_00_00"]),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer Sparky"));
    let client = db.owner_client().await;
    let status = migrator(older.path()).status(&client).await.unwrap();
    assert_eq!(status.count(State::Unknown), 1);
}

#[tokio::test]
async fn mark_applied_records_without_running() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[A, B]);
    let client = db.owner_client().await;
    migrator(dir.path())
        .mark_applied(&client, "2024_01_01_00_00")
        .await
        .unwrap();
    assert!(!table_exists(&client, "a").await);
    let report = migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    assert_eq!(report.applied, vec!["2024_01_02_00_00"]);
    assert!(!table_exists(&client, "a").await, "marked file was not run");
    assert!(migrator(dir.path())
        .mark_applied(&client, "2024_01_01_00_00")
        .await
        .is_err());
    assert!(migrator(dir.path())
        .mark_applied(&client, "2030_01_01_00_00")
        .await
        .is_err());
}

#[tokio::test]
async fn a_hand_marked_row_without_checksum_is_adopted() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[A]);
    migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    let client = db.owner_client().await;
    // The seed's manual mark: version and time only.
    client
        .batch_execute(
            "INSERT INTO migrations (version, applied_at) VALUES ('2024_01_02_00_00', NOW())",
        )
        .await
        .unwrap();
    std::fs::write(dir.path().join(B.0), B.1).unwrap();
    std::fs::write(
        dir.path().join("2024_01_03_00_00_c.sql"),
        "CREATE TABLE c (id int);",
    )
    .unwrap();
    migrator(dir.path()).run(&db.owner_config()).await.unwrap();
    let checksum: Option<String> = client
        .query_one(
            "SELECT checksum FROM migrations WHERE version = '2024_01_02_00_00'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(checksum.is_some());
    assert!(!table_exists(&client, "b").await);
}

#[tokio::test]
async fn down_runs_rollback_files_and_refuses_without_one() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[
        A,
        ("2024_01_01_00_00_create_a.down.sql", "DROP TABLE a;"),
        B,
        (
            "2024_01_02_00_00_create_b.down.sql",
            "BEGIN;\nDROP TABLE b;\nCOMMIT;",
        ),
        ("2024_01_03_00_00_no_down.sql", "CREATE TABLE c (id int);"),
    ]);
    let config = db.owner_config();
    migrator(dir.path()).run(&config).await.unwrap();
    let client = db.owner_client().await;

    let err = migrator(dir.path()).down(&config, None).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("2024_01_03_00_00_no_down.down.sql"),
        "{err}"
    );
    assert!(table_exists(&client, "c").await);
    assert_eq!(applied(&client).await.len(), 3);

    std::fs::write(
        dir.path().join("2024_01_03_00_00_no_down.down.sql"),
        "DROP TABLE c;",
    )
    .unwrap();
    let done = migrator(dir.path()).down(&config, None).await.unwrap();
    assert_eq!(done, vec!["2024_01_03_00_00"]);
    assert!(!table_exists(&client, "c").await);

    let done = migrator(dir.path())
        .down(&config, Some("2024_01_01_00_00"))
        .await
        .unwrap();
    assert_eq!(done, vec!["2024_01_02_00_00", "2024_01_01_00_00"]);
    assert!(applied(&client).await.is_empty());
    assert!(!table_exists(&client, "a").await);
    // And up again.
    migrator(dir.path()).run(&config).await.unwrap();
    assert_eq!(applied(&client).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_runners_apply_each_migration_once() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[
        A,
        (
            "2024_01_02_00_00_slow.sql",
            "SELECT pg_sleep(0.5);\nCREATE TABLE slow (id int);\nINSERT INTO slow VALUES (1);",
        ),
        (
            "2024_01_03_00_00_index_concurrently.sql",
            "-- sparky:no-transaction\nCREATE INDEX CONCURRENTLY idx_a_note ON a (note);",
        ),
    ]);
    let config = db.owner_config();
    let (m1, m2, m3) = (
        migrator(dir.path()),
        migrator(dir.path()),
        migrator(dir.path()),
    );
    let (r1, r2, r3) = tokio::join!(m1.run(&config), m2.run(&config), m3.run(&config));
    let reports = [r1.unwrap(), r2.unwrap(), r3.unwrap()];
    let total: usize = reports.iter().map(|r| r.applied.len()).sum();
    assert_eq!(total, 3, "each migration applied exactly once: {reports:?}");
    assert!(reports.iter().any(|r| r.waited_for_lock), "{reports:?}");
    let client = db.owner_client().await;
    let n: i64 = client
        .query_one("SELECT count(*) FROM slow", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    // The lock was released: nobody holds it now.
    let held: i64 = client
        .query_one("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(held, 0);
}

#[tokio::test]
async fn the_lock_is_released_after_a_failure() {
    let db = TestDb::empty().await;
    let dir = dir_with(&[("2024_01_01_00_00_bad.sql", "SELECT 1/0;")]);
    assert!(migrator(dir.path()).run(&db.owner_config()).await.is_err());
    let client = db.owner_client().await;
    let held: i64 = client
        .query_one("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(held, 0);
}

#[tokio::test]
async fn an_owner_that_cannot_create_the_request_role_gets_instructions() {
    let db = TestDb::empty().await;
    let admin = db.owner_client().await;
    let owner = format!("owner_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    admin
        .batch_execute(&format!(
            "CREATE ROLE {owner} LOGIN NOSUPERUSER NOCREATEROLE; ALTER DATABASE \"{}\" OWNER TO {owner}; GRANT ALL ON SCHEMA public TO {owner};",
            db.name()
        ))
        .await
        .unwrap();
    let mut config = db.owner_config();
    config.user(&owner);
    let dir = dir_with(&[A]);
    let role = format!("app_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let err = Migrator::new(MigrationSource::Directory(dir.path().into()), &role)
        .unwrap()
        .run(&config)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("GRANT {role} TO {owner}")), "{text}");
    assert!(!table_exists(&admin, "a").await);
    admin
        .batch_execute(&format!(
            "REASSIGN OWNED BY {owner} TO CURRENT_USER; DROP OWNED BY {owner}"
        ))
        .await
        .ok();
    drop(admin);
    drop(db);
    // Roles are cluster-wide: remove them once the database that used them is gone.
    let cleanup = TestDb::empty().await;
    cleanup
        .owner_client()
        .await
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {owner}; DROP ROLE IF EXISTS {role}"
        ))
        .await
        .ok();
}

#[tokio::test]
async fn new_file_is_named_for_the_runner() {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:34:56Z")
        .unwrap()
        .to_utc();
    let p1 = sparky_db::migrate::new_migration_file(dir.path(), "Add water intake!", now).unwrap();
    assert_eq!(
        p1.file_name().unwrap(),
        "2026_11_25_12_34_add_water_intake.sql"
    );
    // Same minute: the next free one, so versions stay unique and ordered.
    let p2 = sparky_db::migrate::new_migration_file(dir.path(), "second", now).unwrap();
    assert_eq!(p2.file_name().unwrap(), "2026_11_25_12_35_second.sql");
    assert!(Migrator::new(MigrationSource::Directory(dir.path().into()), APP_ROLE).is_ok());
}

/// The real schema: every embedded migration applies to an empty database, rolls back with
/// its down file, and applies again (up → down → up).
#[tokio::test]
async fn embedded_migrations_apply_roll_back_and_reapply() {
    let db = TestDb::empty().await;
    let config = db.owner_config();
    let m = Migrator::new(MigrationSource::Embedded, APP_ROLE).unwrap();
    let report = m.run(&config).await.unwrap();
    assert_eq!(report.applied.len(), m.migrations().len());
    let client = db.owner_client().await;
    let schema_before = schema_fingerprint(&client).await;
    let first = m.migrations()[0].version.clone();
    let undone = m.down(&config, Some(&first)).await.unwrap();
    assert_eq!(undone.len(), m.migrations().len());
    assert!(!table_exists(&client, "food_diary").await);
    m.run(&config).await.unwrap();
    assert_eq!(schema_fingerprint(&client).await, schema_before);
}

async fn schema_fingerprint(client: &Client) -> Vec<String> {
    client
        .query(
            "SELECT table_name || '.' || column_name || ':' || data_type
             FROM information_schema.columns WHERE table_schema IN ('public', 'auth')
             UNION ALL SELECT tablename || ' policy ' || policyname || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies
             UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
             UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}
