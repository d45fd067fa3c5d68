//! Backups that restore, tested end to end with the `sparky` binary, real PostgreSQL and the
//! real pg_dump, pg_restore and psql: back up a database with data, destroy it, restore, and
//! compare every table's rows, grants and policies; a corrupted file is refused.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sparky_db::{Database, EmbeddedOptions, EmbeddedPostgres, MigrationSource, Migrator};
use sparky_testkit::{TestDb, APP_ROLE};
use tokio_postgres::Client;
use uuid::Uuid;

const ANN: &str = "00000000-0000-4000-8000-00000000000a";
const BOB: &str = "00000000-0000-4000-8000-00000000000b";

/// The newest migration of the "older Sparky" the upgrade tests start from.
const OLDER_SCHEMA: &str = "2026_11_25_15_00";

fn sparky() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
    for var in [
        "DATABASE_URL",
        "SPARKY_DATA_DIR",
        "SPARKY_APP_ROLE",
        "SPARKY_BIND",
        "SPARKY_MIGRATIONS_DIR",
        "SPARKY_BACKUP_DIR",
        "SPARKY_BACKUP_TIME",
        "SPARKY_BACKUP_KEEP",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// Runs the command without blocking the runtime, so connections the test dropped really
/// close (the restore refuses a database other sessions are connected to).
async fn run(cmd: &mut Command) -> Output {
    let cmd = std::mem::replace(cmd, Command::new("true"));
    tokio::process::Command::from(cmd)
        .output()
        .await
        .expect("run sparky")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `sparky backup` into `dir`; the dump's path.
async fn backup(cmd: &mut Command, dir: &Path) -> PathBuf {
    let out = run(cmd.arg("backup").arg("--to").arg(dir)).await;
    assert!(out.status.success(), "backup: {}", text(&out));
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(path.is_file(), "{}", text(&out));
    path
}

fn manifest(dump: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dump.with_extension("json")).expect("manifest");
    serde_json::from_str(&text).unwrap()
}

/// Rows in most tables, written as the owner (a superuser in the test clusters). Only columns
/// the seed-era schema already had, so it also fits an older schema.
async fn add_data(client: &Client) {
    client
        .batch_execute(&format!(
            "INSERT INTO users (id, email, password_hash, full_name) VALUES
               ('{ANN}', 'ann@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', 'Ann'),
               ('{BOB}', 'bob@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', 'Bob');
             INSERT INTO user_preferences (user_id, theme, units_system)
               VALUES ('{ANN}', 'dark', 'imperial'), ('{BOB}', 'system', 'metric') ON CONFLICT DO NOTHING;
             INSERT INTO food_items (name, brand, barcode, source, user_id)
               VALUES ('Oats', 'Acme', '4006381333931', 'user', '{ANN}'), ('Apple', NULL, NULL, 'user', '{BOB}');
             INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, calories, protein, carbohydrates, fat, fiber, sugar, sodium)
               SELECT id, 40, 'g', 150.40, 5.2, 27.1, 2.8, 4.0, 0.4, 2 FROM food_items;
             INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at)
               SELECT u, f.id, 1.5, 'serving', m, timestamptz '2026-02-01 08:00+00' + (n || ' days')::interval
               FROM (VALUES ('{ANN}'::uuid), ('{BOB}'::uuid)) AS us(u), food_items f,
                    (VALUES ('breakfast'), ('lunch'), ('dinner'), ('snack')) AS ms(m), generate_series(1, 30) n;
             INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, notes, performed_at)
               SELECT '{ANN}', id, 30, 'felt good', timestamptz '2026-02-02 18:00+00' + (n || ' days')::interval
               FROM exercises, generate_series(1, 3) n WHERE user_id IS NULL AND name LIKE 'Barbell%';
             INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES
               ('{ANN}', 'weight', 90.72, 'kg', '2026-02-01 07:00+00'), ('{BOB}', 'body_fat', 18.5, '%', '2026-02-01 07:00+00');
             INSERT INTO goals (user_id, type, target_value, target_unit, target_date, status)
               VALUES ('{ANN}', 'weight_loss', 80, 'kg', '2026-12-31', 'active');
             INSERT INTO meal_plan_templates (user_id, name, description, target_calories) VALUES ('{ANN}', 'Cut', 'Lean week', 1800);
             INSERT INTO meal_plans (user_id, name, planned_date, total_calories) VALUES ('{ANN}', 'Monday', '2026-02-05', 1750.5);
             INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) VALUES ('{ANN}', '{BOB}', 'reports');
             -- The seed's chat_history before the assistant's migration, conversations after.
             DO $$ BEGIN
             IF to_regclass('chat_history') IS NOT NULL THEN
               INSERT INTO chat_history (user_id, message, response, ai_provider, model_used, tokens_used, response_time_ms)
                 VALUES ('{ANN}', 'How much protein?', 'About 1.6 g/kg.', 'openai', 'gpt', 42, 900);
             ELSE
               INSERT INTO chat_conversations (id, user_id, title)
                 VALUES ('00000000-0000-4000-8000-00000000c0c0', '{ANN}', 'Protein');
               INSERT INTO chat_messages (conversation_id, user_id, role, content, provider, model, tokens_out, latency_ms)
                 VALUES ('00000000-0000-4000-8000-00000000c0c0', '{ANN}', 'user', 'How much protein?', NULL, NULL, NULL, NULL),
                        ('00000000-0000-4000-8000-00000000c0c0', '{ANN}', 'assistant', 'About 1.6 g/kg.', 'openai', 'gpt', 42, 900);
             END IF;
             END $$;"
        ))
        .await
        .expect("add data");
}

/// Tables added after the seed-era schema, when they exist.
async fn add_newer_data(client: &Client) {
    client
        .batch_execute(&format!(
            "INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ('{ANN}', 'abc', now() + interval '30 days');
             INSERT INTO api_keys (user_id, name, key_prefix, key_hash) VALUES ('{BOB}', 'phone', 'spk_1234', 'def');
             INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg)
               SELECT id, s, 5, 100.5 FROM exercise_diary, generate_series(1, 3) s;"
        ))
        .await
        .expect("add newer data");
}

/// Every table's row count and a checksum of its rows, plus the request role's grants, the
/// policies and the RLS flags: what a restore must bring back.
async fn fingerprint(client: &Client) -> Vec<String> {
    let tables = client
        .query(
            "SELECT n.nspname::text, c.relname::text, c.relrowsecurity, c.relforcerowsecurity
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname NOT LIKE 'pg\\_%'
             ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for t in &tables {
        let (schema, table): (String, String) = (t.get(0), t.get(1));
        let row = client
            .query_one(
                &format!(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))
                     FROM \"{schema}\".\"{table}\" t"
                ),
                &[],
            )
            .await
            .unwrap();
        out.push(format!(
            "table {schema}.{table}: {} rows, md5 {}, rls {} force {}",
            row.get::<_, i64>(0),
            row.get::<_, String>(1),
            t.get::<_, bool>(2),
            t.get::<_, bool>(3)
        ));
    }
    for r in client
        .query(
            "SELECT format('policy %s.%s.%s %s %s to %s', schemaname, tablename, policyname,
                           permissive, cmd, roles), coalesce(qual, ''), coalesce(with_check, '')
             FROM pg_policies ORDER BY schemaname, tablename, policyname",
            &[],
        )
        .await
        .unwrap()
    {
        let (head, using, check): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        out.push(format!(
            "{head} using {} check {}",
            same_meaning(&using),
            same_meaning(&check)
        ));
    }
    for r in client
        .query(
            "SELECT format('grant %s on %s.%s', privilege_type, table_schema, table_name)
             FROM information_schema.role_table_grants WHERE grantee = $1
             UNION ALL
             SELECT format('grant %s on routine %s.%s', privilege_type, routine_schema, routine_name)
             FROM information_schema.role_routine_grants WHERE grantee = $1
             ORDER BY 1",
            &[&APP_ROLE],
        )
        .await
        .unwrap()
    {
        out.push(r.get(0));
    }
    out
}

/// A policy expression without its casts and parentheses. PostgreSQL prints a restored
/// `x = ANY (ARRAY[...])` with its casts in other places than the original (the same
/// expression, parsed again), so the text alone would differ after any dump and restore.
fn same_meaning(expr: &str) -> String {
    let mut s = expr.to_string();
    for noise in ["::text[]", "::text", "::character varying"] {
        s = s.replace(noise, "");
    }
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .collect()
}

fn count(fp: &[String], table: &str) -> i64 {
    let prefix = format!("table public.{table}: ");
    let line = fp
        .iter()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no table {table}"));
    line[prefix.len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn relations(client: &Client) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// A copy of `dump` (with its checksum file) with one byte changed.
fn corrupted_copy(dump: &Path, dir: &Path) -> PathBuf {
    let bad = dir.join("corrupted.dump");
    let mut bytes = std::fs::read(dump).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&bad, bytes).unwrap();
    std::fs::copy(
        format!("{}.sha256", dump.display()),
        format!("{}.sha256", bad.display()),
    )
    .unwrap();
    std::fs::copy(dump.with_extension("json"), bad.with_extension("json")).unwrap();
    bad
}

fn migration_files() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../db/migrations")
}

/// The migrations of an older Sparky: every file up to and including `newest`.
fn older_migrations(newest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(migration_files()).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        if name.len() >= 16 && &name[..16] <= newest {
            std::fs::copy(e.path(), dir.path().join(&name)).unwrap();
        }
    }
    dir
}

#[tokio::test]
async fn a_backup_restores_every_row_grant_and_policy_and_a_corrupted_one_is_refused() {
    let db = TestDb::new().await;
    {
        let owner = db.owner_client().await;
        add_data(&owner).await;
        add_newer_data(&owner).await;
    }
    let before = fingerprint(&db.owner_client().await).await;
    assert_eq!(count(&before, "food_diary"), 480);
    assert_eq!(count(&before, "exercise_sets"), 90);
    let newest: String = db
        .owner_client()
        .await
        .query_one("SELECT max(version) FROM migrations", &[])
        .await
        .unwrap()
        .get(0);

    let dir = tempfile::tempdir().unwrap();
    let dump = backup(sparky().env("DATABASE_URL", db.url()), dir.path()).await;
    let m = manifest(&dump);
    assert_eq!(m["schema_version"], newest.as_str());
    assert_eq!(m["app_role"], APP_ROLE);
    assert_eq!(m["kind"], "manual");
    assert_eq!(m["format"], "sparky-backup/1");
    let bytes = std::fs::read(&dump).unwrap();
    assert_eq!(&bytes[..5], b"PGDMP", "pg_dump custom format");
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(m["sha256"], sha.as_str());
    let sum = std::fs::read_to_string(format!("{}.sha256", dump.display())).unwrap();
    let name = dump.file_name().unwrap().to_string_lossy();
    assert_eq!(sum, format!("{sha}  {name}\n"), "sha256sum format");

    // Destroy the database; restore into a new, empty one.
    drop(db);
    let target = TestDb::empty().await;

    let bad = corrupted_copy(&dump, dir.path());
    let out = run(sparky()
        .args(["restore"])
        .arg(&bad)
        .env("DATABASE_URL", target.url()))
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("is corrupted or incomplete"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("Nothing was restored"),
        "{}",
        text(&out)
    );
    assert_eq!(relations(&target.owner_client().await).await, 0);

    let out = run(sparky()
        .arg("restore")
        .arg(&dump)
        .env("DATABASE_URL", target.url()))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("the schema is current"),
        "{}",
        text(&out)
    );
    let after = fingerprint(&target.owner_client().await).await;
    assert_eq!(before, after);

    // The request role works on the restored database under RLS: Ann sees her own diary,
    // and nobody sees anything without a user.
    {
        let database = Database::new(target.owner_config(), APP_ROLE, 2).unwrap();
        let ann: Uuid = ANN.parse().unwrap();
        let mut tx = database.as_user(ann).await.unwrap();
        let own: i64 = tx
            .query_one(
                "SELECT count(*) FROM food_diary WHERE user_id = $1",
                &[&ann],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(own, 240);
        let bobs_keys: i64 = tx
            .query_one("SELECT count(*) FROM api_keys", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(bobs_keys, 0, "Bob's API key is not Ann's to see");
        tx.rollback().await.unwrap();
        // Bob holds Ann's `reports` grant, so he reads her diary too.
        let bob: Uuid = BOB.parse().unwrap();
        let mut tx = database.as_user(bob).await.unwrap();
        let shared: i64 = tx
            .query_one(
                "SELECT count(*) FROM food_diary WHERE user_id = $1",
                &[&ann],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(shared, 240);
        tx.rollback().await.unwrap();
        let mut anon = database.anonymous().await.unwrap();
        let none: i64 = anon
            .query_one("SELECT count(*) FROM food_diary", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(none, 0);
        anon.rollback().await.unwrap();
    }

    // A database with data is not overwritten without --force.
    target
        .owner_client()
        .await
        .batch_execute(
            "INSERT INTO users (email, password_hash, full_name) VALUES ('eve@example.com', 'x', 'Eve')",
        )
        .await
        .unwrap();
    let changed = fingerprint(&target.owner_client().await).await;
    assert_ne!(changed, before);
    let out = run(sparky()
        .arg("restore")
        .arg(&dump)
        .env("DATABASE_URL", target.url()))
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("is not empty"), "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert_eq!(fingerprint(&target.owner_client().await).await, changed);

    // A corrupted file is refused with --force too, and changes nothing.
    let out = run(sparky()
        .args(["restore", "--force"])
        .arg(&bad)
        .env("DATABASE_URL", target.url()))
    .await;
    assert!(!out.status.success());
    assert_eq!(fingerprint(&target.owner_client().await).await, changed);

    // --force replaces everything, Eve included.
    let out = run(sparky()
        .args(["restore", "--force"])
        .arg(&dump)
        .env("DATABASE_URL", target.url()))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fingerprint(&target.owner_client().await).await, before);

    // A restore that fails half-way (here: the request role in the backup does not match
    // this server's) changes nothing either.
    let out = run(sparky()
        .args(["restore", "--force"])
        .arg(&dump)
        .env("DATABASE_URL", target.url())
        .env("SPARKY_APP_ROLE", "another_app"))
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("SPARKY_APP_ROLE=sparky_app"),
        "{}",
        text(&out)
    );
    assert_eq!(fingerprint(&target.owner_client().await).await, before);
}

/// A copy of `dump` damaged near its end, where the table data lies, with a checksum file made
/// for the damaged copy: its table of contents still reads, so the restore starts, and fails
/// part-way through the data.
fn damaged_data_copy(dump: &Path, dir: &Path) -> PathBuf {
    let bad = dir.join("damaged.dump");
    let mut bytes = std::fs::read(dump).unwrap();
    let at = bytes.len() * 19 / 20;
    for b in &mut bytes[at..at + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(&bad, &bytes).unwrap();
    std::fs::write(
        format!("{}.sha256", bad.display()),
        format!("{}  damaged.dump\n", hex::encode(Sha256::digest(&bytes))),
    )
    .unwrap();
    bad
}

#[tokio::test]
async fn a_restore_that_fails_part_way_is_rolled_back() {
    let db = TestDb::new().await;
    {
        let owner = db.owner_client().await;
        add_data(&owner).await;
        // Enough hard-to-compress data that the table data fills most of the dump.
        owner
            .batch_execute(&format!(
                "INSERT INTO chat_messages (conversation_id, user_id, role, content)
                 SELECT '00000000-0000-4000-8000-00000000c0c0', '{ANN}', 'user',
                        md5(n::text || 'q') || md5(n::text) || md5(n::text || 'a') || md5(n::text || 'b')
                 FROM generate_series(1, 30000) n"
            ))
            .await
            .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let dump = backup(sparky().env("DATABASE_URL", db.url()), dir.path()).await;
    let bad = damaged_data_copy(&dump, dir.path());

    // pg_restore stops in the middle of the data: nothing of the restore remains.
    let empty = TestDb::empty().await;
    let out = run(sparky()
        .arg("restore")
        .arg(&bad)
        .env("DATABASE_URL", empty.url()))
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("rolled back"), "{}", text(&out));
    assert_eq!(relations(&empty.owner_client().await).await, 0);

    // With --force into a database with data: the data stays as it was.
    let before = fingerprint(&db.owner_client().await).await;
    let out = run(sparky()
        .args(["restore", "--force"])
        .arg(&bad)
        .env("DATABASE_URL", db.url()))
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("rolled back"), "{}", text(&out));
    assert_eq!(fingerprint(&db.owner_client().await).await, before);

    // An SQL error part-way (this database has no schema public for the tables) is rolled
    // back too: the schema auth, created before the failure, is gone again.
    let no_public = TestDb::empty().await;
    no_public
        .owner_client()
        .await
        .batch_execute("DROP SCHEMA public")
        .await
        .unwrap();
    let out = run(sparky()
        .arg("restore")
        .arg(&dump)
        .env("DATABASE_URL", no_public.url()))
    .await;
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("rolled back"), "{}", text(&out));
    let auth: bool = no_public
        .owner_client()
        .await
        .query_one("SELECT to_regnamespace('auth') IS NOT NULL", &[])
        .await
        .unwrap()
        .get(0);
    assert!(!auth, "nothing of the failed restore remains");
}

/// Moving to another server: the backup of one owner role restores as another, whose
/// objects they become, with the owner's policies moved to it.
#[tokio::test]
async fn a_backup_restores_under_another_owner_role() {
    let db = TestDb::new().await;
    add_data(&db.owner_client().await).await;
    let before = fingerprint(&db.owner_client().await).await;
    let dir = tempfile::tempdir().unwrap();
    let dump = backup(sparky().env("DATABASE_URL", db.url()), dir.path()).await;
    let old_owner = manifest(&dump)["owner_role"].as_str().unwrap().to_string();

    let new_owner = format!("owner_{}", &Uuid::new_v4().simple().to_string()[..8]);
    let target = TestDb::empty().await;
    {
        let admin = target.owner_client().await;
        admin
            .batch_execute(&format!(
                "CREATE ROLE {new_owner} LOGIN NOSUPERUSER CREATEROLE;
                 ALTER DATABASE \"{}\" OWNER TO {new_owner};",
                target.name()
            ))
            .await
            .unwrap();
    }
    let mut config = target.owner_config();
    config.user(&new_owner);
    let url = sparky_testkit::url_for(&config);

    let out = run(sparky().arg("restore").arg(&dump).env("DATABASE_URL", &url)).await;
    assert!(out.status.success(), "{}", text(&out));
    let client = target.owner_client().await;
    let after = fingerprint(&client).await;
    let moved = |fp: &[String]| -> Vec<String> {
        fp.iter()
            .map(|l| l.replace(&format!("to {{{new_owner}}}"), "to {OWNER}"))
            .map(|l| l.replace(&format!("to {{{old_owner}}}"), "to {OWNER}"))
            .collect()
    };
    assert_eq!(moved(&before), moved(&after));
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_policies WHERE $1 = ANY (roles)",
            &[&old_owner],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "no policy names the old owner");
    let owners: Vec<String> = client
        .query(
            "SELECT DISTINCT pg_get_userbyid(c.relowner)::text FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'auth')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(owners, std::slice::from_ref(&new_owner));
    drop(client);

    // The new owner serves it: schema current, request role safe.
    let out = run(sparky().arg("doctor").env("DATABASE_URL", &url)).await;
    assert!(out.status.success(), "{}", text(&out));
    let out = run(sparky()
        .args(["migrate", "status"])
        .env("DATABASE_URL", &url))
    .await;
    assert!(out.status.success(), "{}", text(&out));

    let name = target.name().to_string();
    drop(target);
    let admin = sparky_db::connect(&{
        let mut c = db.owner_config();
        c.dbname("postgres");
        c
    })
    .await
    .unwrap();
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE); DROP ROLE IF EXISTS {new_owner}"
        ))
        .await
        .ok();
}

#[test]
fn backup_and_restore_have_help() {
    for args in [
        ["backup", "--help"],
        ["restore", "--help"],
        ["serve", "--help"],
    ] {
        let out = sparky().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Usage"), "{args:?}");
        if args[0] == "serve" {
            assert!(help.contains("SPARKY_BACKUP_TIME"), "{help}");
            assert!(help.contains("SPARKY_BACKUP_KEEP"), "{help}");
        }
    }
    let out = sparky()
        .args(["serve", "--backup-time", "3.30"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("HH:MM"), "{}", text(&out));
}

#[tokio::test]
async fn a_backup_of_an_older_schema_restores_and_migrates_forward() {
    let older = older_migrations(OLDER_SCHEMA);
    let db = TestDb::empty().await;
    let out = run(sparky()
        .args(["migrate", "up"])
        .env("DATABASE_URL", db.url())
        .env("SPARKY_MIGRATIONS_DIR", older.path()))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    add_data(&db.owner_client().await).await;
    let before = fingerprint(&db.owner_client().await).await;

    let dir = tempfile::tempdir().unwrap();
    let dump = backup(sparky().env("DATABASE_URL", db.url()), dir.path()).await;
    assert_eq!(manifest(&dump)["schema_version"], OLDER_SCHEMA);
    drop(db);

    let target = TestDb::empty().await;
    let out = run(sparky()
        .arg("restore")
        .arg(&dump)
        .env("DATABASE_URL", target.url()))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("newer migration(s) will be applied"),
        "{}",
        text(&out)
    );
    assert_eq!(fingerprint(&target.owner_client().await).await, before);

    let out = run(sparky()
        .args(["migrate", "status"])
        .env("DATABASE_URL", target.url()))
    .await;
    assert_eq!(out.status.code(), Some(1), "pending: {}", text(&out));
    let out = run(sparky()
        .args(["migrate", "up"])
        .env("DATABASE_URL", target.url()))
    .await;
    assert!(out.status.success(), "{}", text(&out));

    let client = target.owner_client().await;
    let diary: i64 = client
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(diary, 480);
    // A later migration ran on the restored rows: the corrected Compendium codes.
    let code: String = client
        .query_one(
            "SELECT compendium_code FROM exercises WHERE user_id IS NULL AND name = 'Fencing'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(code, "15200");

    // A backup from a newer Sparky than this one is refused before anything changes.
    let newer_dump = dir.path().join("newer.dump");
    std::fs::copy(&dump, &newer_dump).unwrap();
    std::fs::copy(
        format!("{}.sha256", dump.display()),
        format!("{}.sha256", newer_dump.display()),
    )
    .unwrap();
    let mut m = manifest(&dump);
    m["schema_version"] = "2999_01_01_00_00".into();
    std::fs::write(newer_dump.with_extension("json"), m.to_string()).unwrap();
    let fresh = TestDb::empty().await;
    let out = run(sparky()
        .arg("restore")
        .arg(&newer_dump)
        .env("DATABASE_URL", fresh.url()))
    .await;
    assert!(!out.status.success());
    assert!(text(&out).contains("newer Sparky"), "{}", text(&out));
    assert_eq!(relations(&fresh.owner_client().await).await, 0);
}

// ---------------------------------------------------------------------------------------
// The embedded default: a data directory of our own.

fn data_dir() -> tempfile::TempDir {
    // PostgreSQL runs as `postgres` when the tests run as root, so the directory must be
    // reachable by it: a fresh one right under /tmp (Sparky chowns it).
    tempfile::Builder::new()
        .prefix("spk-bk")
        .tempdir_in("/tmp")
        .unwrap()
}

async fn start_cluster(dir: &Path) -> EmbeddedPostgres {
    EmbeddedPostgres::start(&EmbeddedOptions {
        data_dir: dir.to_path_buf(),
        os_user: std::env::var("SPARKY_PG_OS_USER").ok(),
        extra_settings: vec![("fsync".into(), "off".into())],
    })
    .await
    .expect("start the embedded cluster")
}

async fn embedded_fingerprint(dir: &Path) -> Vec<String> {
    let pg = start_cluster(dir).await;
    let fp = {
        let client = sparky_db::connect(&pg.owner_config("sparky"))
            .await
            .unwrap();
        fingerprint(&client).await
    };
    pg.stop().await.unwrap();
    fp
}

/// A running `sparky serve`, killed on drop.
struct Server {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(cmd: &mut Command) -> Server {
        let mut child = cmd
            .arg("serve")
            .env("SPARKY_BIND", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening") {
                    let _ = tx.send(());
                }
                let mut l = log2.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        if rx.recv_timeout(Duration::from_secs(120)).is_err() {
            let _ = child.kill();
            panic!("server did not start: {}", log.lock().unwrap());
        }
        Server { child, log }
    }

    /// SIGTERM; waits for the exit and returns the log.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "server did not stop: {}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // The log thread may still be reading the last lines.
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn manifests(dir: &Path) -> Vec<serde_json::Value> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn embedded_backup_before_migrating_and_restore_into_a_new_data_directory() {
    let older = older_migrations(OLDER_SCHEMA);
    let a = data_dir();
    let backups = a.path().join("backups");
    let in_a = || {
        let mut cmd = sparky();
        cmd.env("SPARKY_DATA_DIR", a.path());
        cmd
    };

    // A fresh install of the older Sparky: nothing to back up.
    let server = Server::start(in_a().env("SPARKY_MIGRATIONS_DIR", older.path()));
    server.stop();
    assert!(
        manifests(&backups).is_empty(),
        "no backup of an empty database"
    );

    // Use it.
    {
        let pg = start_cluster(a.path()).await;
        let client = sparky_db::connect(&pg.owner_config("sparky"))
            .await
            .unwrap();
        add_data(&client).await;
        drop(client);
        pg.stop().await.unwrap();
    }

    // Upgrade: serve backs up before applying the new migrations.
    let log = Server::start(&mut in_a()).stop();
    assert!(log.contains("backed up before migrating"), "{log}");
    let taken = manifests(&backups);
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(taken[0]["kind"], "pre-migrate");
    assert_eq!(taken[0]["schema_version"], OLDER_SCHEMA);
    // No backup when nothing is pending.
    Server::start(&mut in_a()).stop();
    assert_eq!(manifests(&backups).len(), 1);

    // The pre-migration backup holds the data as it was before the upgrade.
    let pre = backups.join(taken[0]["file"].as_str().unwrap());
    let b = data_dir();
    let out = run(sparky()
        .arg("restore")
        .arg(&pre)
        .env("SPARKY_DATA_DIR", b.path()))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let restored_pre = embedded_fingerprint(b.path()).await;
    assert_eq!(count(&restored_pre, "food_diary"), 480);
    assert!(restored_pre
        .iter()
        .all(|l| !l.starts_with("table public.exercise_sets")));

    // A manual backup of the upgraded install restores into a new data directory exactly.
    let dump = backup(&mut in_a(), &backups).await;
    let out = run(in_a().arg("doctor")).await;
    assert!(
        text(&out).contains("[ok     ] backups: newest backup is 0 min old"),
        "{}",
        text(&out)
    );
    let before = embedded_fingerprint(a.path()).await;
    let c = data_dir();
    let out = run(sparky()
        .arg("restore")
        .arg(&dump)
        .env("SPARKY_DATA_DIR", c.path()))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("the schema is current"),
        "{}",
        text(&out)
    );
    assert_eq!(embedded_fingerprint(c.path()).await, before);
    // ...and serves from it.
    let log = Server::start(sparky().env("SPARKY_DATA_DIR", c.path())).stop();
    assert!(!log.contains("backed up before migrating"), "{log}");
}

/// On a managed database the owner is a plain role that FORCEd row level security filters:
/// `pg_dump` cannot read the rows as it. `sparky backup` says so, and what to do, before
/// running it (it said pg_dump's "query would be affected by row-level security policy",
/// whose hint is to lift FORCE).
#[tokio::test]
async fn a_backup_as_a_plain_owner_says_what_to_do() {
    sparky_testkit::with_a_plain_owner(|config, app| async move {
        Migrator::new(MigrationSource::Embedded, &app)
            .unwrap()
            .run(&config)
            .await
            .unwrap();
        let url = sparky_testkit::url_for(&config);
        let dir = tempfile::tempdir().unwrap();
        let out = run(sparky()
            .arg("backup")
            .env("DATABASE_URL", &url)
            .env("SPARKY_APP_ROLE", &app)
            .env("SPARKY_BACKUP_DIR", dir.path()))
        .await;
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("BYPASSRLS"), "{}", text(&out));
        // doctor says so too, instead of suggesting `sparky backup`.
        let out = run(sparky()
            .arg("doctor")
            .env("DATABASE_URL", &url)
            .env("SPARKY_APP_ROLE", &app)
            .env("SPARKY_BACKUP_DIR", dir.path()))
        .await;
        let said = text(&out);
        let line = said
            .lines()
            .find(|l| l.contains("backups"))
            .unwrap_or_else(|| panic!("{said}"));
        assert!(line.contains("`sparky backup` would refuse"), "{said}");
        assert!(!line.contains("take one with"), "{said}");
    })
    .await;
}
