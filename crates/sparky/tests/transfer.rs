//! `sparky export --user EMAIL [--out FILE]` and `sparky import --user EMAIL FILE`, end to end
//! with the binary and real PostgreSQL: an account exported from one database and imported
//! into another exports the same files again; a broken archive or a non-empty account is
//! refused with a message that says why, and nothing is written.

use std::process::{Command, Output, Stdio};

use sparky_app::transfer;
use sparky_testkit::TestDb;

fn sparky(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
    for var in [
        "DATABASE_URL",
        "SPARKY_DATA_DIR",
        "SPARKY_APP_ROLE",
        "SPARKY_APP_DATABASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

async fn run(cmd: Command) -> Output {
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

async fn user(db: &TestDb, email: &str) -> String {
    let id: uuid::Uuid = db
        .owner_client()
        .await
        .query_one(
            "INSERT INTO users (email, password_hash, full_name) VALUES ($1, 'x', 'Someone') RETURNING id",
            &[&email],
        )
        .await
        .unwrap()
        .get(0);
    id.to_string()
}

async fn seed(db: &TestDb, u: &str) {
    let sql = r#"
INSERT INTO user_preferences (user_id, timezone, units_system) VALUES ('{u}', 'America/Denver', 'imperial');
INSERT INTO food_items (user_id, name, source) VALUES ('{u}', 'Porridge, "thick"', 'user');
INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, calories, protein, is_default)
SELECT id, 1, 'bowl', 310.5, 11, true FROM food_items WHERE user_id = '{u}';
INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type, consumed_at, entry_date, food_name, calories)
SELECT '{u}', f.id, n.id, d.q, 'bowl', 'breakfast', d.at, d.at::date, f.name, 310.5 * d.q
FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id,
     (VALUES (1, timestamptz '2026-10-01T14:00:00Z'), (1.5, '2026-10-02T14:00:00Z'), (2, '2026-10-03T14:00:00Z')) AS d(q, at)
WHERE f.user_id = '{u}';
INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ('{u}', 'weight', 82.3, 'kg', '2026-10-01T13:00:00Z');
INSERT INTO exercise_diary (user_id, exercise_id, exercise_name, duration_minutes, met_value, performed_at, entry_date)
SELECT '{u}', id, name, 40, met_value, '2026-10-02T23:00:00Z', '2026-10-02' FROM exercises WHERE user_id IS NULL ORDER BY name LIMIT 1;
INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg)
SELECT id, 1, 10, 40 FROM exercise_diary WHERE user_id = '{u}';
"#
    .replace("{u}", u);
    db.owner_client().await.batch_execute(&sql).await.unwrap();
}

async fn diary_rows(db: &TestDb, u: &str) -> i64 {
    db.owner_client()
        .await
        .query_one(
            &format!(
                "SELECT (SELECT count(*) FROM food_diary WHERE user_id = '{u}')
                      + (SELECT count(*) FROM food_items WHERE user_id = '{u}')
                      + (SELECT count(*) FROM measurements WHERE user_id = '{u}')"
            ),
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn export_and_import_round_trip_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let first_path = dir.path().join("alice.tar.gz");
    let second_path = dir.path().join("carol.tar.gz");

    let a = TestDb::new().await;
    let alice = user(&a, "alice@example.com").await;
    seed(&a, &alice).await;
    let mut cmd = sparky(&a.url());
    cmd.args(["export", "--user", "Alice@Example.com", "--out"])
        .arg(&first_path);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        first_path.display().to_string()
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&first_path).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "an export is readable by its owner only"
    );
    let first_bytes = std::fs::read(&first_path).unwrap();
    let first = transfer::read_archive(&first_bytes, 1 << 30).unwrap();
    assert_eq!(first.manifest.user.email, "alice@example.com");
    assert_eq!(
        first
            .manifest
            .files
            .iter()
            .find(|f| f.name == "diary.csv")
            .unwrap()
            .rows,
        3
    );

    // Another database, another account.
    let b = TestDb::new().await;
    let carol = user(&b, "carol@example.com").await;
    let mut cmd = sparky(&b.url());
    cmd.args(["import", "--user", "carol@example.com"])
        .arg(&first_path);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported"), "{}", text(&out));
    assert_eq!(diary_rows(&b, &carol).await, diary_rows(&a, &alice).await);

    let mut cmd = sparky(&b.url());
    cmd.args(["export", "--user", "carol@example.com", "--out"])
        .arg(&second_path);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    let second = transfer::read_archive(&std::fs::read(&second_path).unwrap(), 1 << 30).unwrap();
    for (name, data) in &first.files {
        assert_eq!(
            String::from_utf8_lossy(data),
            String::from_utf8_lossy(&second.files[name]),
            "{name}"
        );
    }

    // `--out -` writes the archive to standard output.
    let mut cmd = sparky(&b.url());
    cmd.args(["export", "--user", "carol@example.com", "--out", "-"]);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    transfer::read_archive(&out.stdout, 1 << 30).unwrap();

    // A second import into the same account is refused.
    let mut cmd = sparky(&b.url());
    cmd.args(["import", "--user", "carol@example.com"])
        .arg(&first_path);
    let out = run(cmd).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("already holds data"), "{}", text(&out));
    assert_eq!(diary_rows(&b, &carol).await, 5);
}

#[tokio::test]
async fn a_broken_archive_or_unknown_account_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.tar.gz");
    let db = TestDb::new().await;
    let alice = user(&db, "alice@example.com").await;
    seed(&db, &alice).await;
    let mut cmd = sparky(&db.url());
    cmd.args(["export", "--user", "alice@example.com", "--out"])
        .arg(&path);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    // An existing file is kept unless --force.
    let before = std::fs::read(&path).unwrap();
    let mut cmd = sparky(&db.url());
    cmd.args(["export", "--user", "alice@example.com", "--out"])
        .arg(&path);
    let out = run(cmd).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let mut cmd = sparky(&db.url());
    cmd.args(["export", "--user", "alice@example.com", "--force", "--out"])
        .arg(&path);
    let out = run(cmd).await;
    assert!(out.status.success(), "{}", text(&out));
    // A link, a pipe or a device is never replaced, even with --force; a link planted where
    // the half-written file goes is not followed.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let link = dir.path().join("link.tar.gz");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let fifo = dir.path().join("pipe.tar.gz");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    for target in [&link, &fifo] {
        let mut cmd = sparky(&db.url());
        cmd.args(["export", "--user", "alice@example.com", "--force", "--out"])
            .arg(target);
        let out = run(cmd).await;
        assert!(!out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("not a regular file"), "{}", text(&out));
    }
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let planted = dir.path().join("fresh.tar.gz.partial");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let mut cmd = sparky(&db.url());
    cmd.args(["export", "--user", "alice@example.com", "--out"])
        .arg(dir.path().join("fresh.tar.gz"));
    let out = run(cmd).await;
    assert!(!out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    // A directory that does not exist is named by the file asked for.
    let nowhere = dir.path().join("no-such-dir").join("x.tar.gz");
    let mut cmd = sparky(&db.url());
    cmd.args(["export", "--user", "alice@example.com", "--out"])
        .arg(&nowhere);
    let out = run(cmd).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains(&format!("cannot write {}", nowhere.display())),
        "{}",
        text(&out)
    );
    let mut archive = transfer::read_archive(&std::fs::read(&path).unwrap(), 1 << 30).unwrap();
    let diary = String::from_utf8(archive.files["diary.csv"].clone()).unwrap();
    // Line 4 is the third entry; its `quantity` is the 8th column.
    let mut lines: Vec<String> = diary.lines().map(str::to_string).collect();
    let mut fields: Vec<&str> = lines[3].split(',').collect();
    assert_eq!(
        diary.lines().next().unwrap().split(',').nth(7),
        Some("quantity")
    );
    fields[7] = "two";
    lines[3] = fields.join(",");
    archive.files.insert(
        "diary.csv".into(),
        format!("{}\n", lines.join("\n")).into_bytes(),
    );
    let broken = dir.path().join("broken.tar.gz");
    std::fs::write(
        &broken,
        transfer::pack(&archive.manifest, &archive.files).unwrap(),
    )
    .unwrap();

    let carol = user(&db, "carol@example.com").await;
    let mut cmd = sparky(&db.url());
    cmd.args(["import", "--user", "carol@example.com"])
        .arg(&broken);
    let out = run(cmd).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("diary.csv line 4 column 8 (quantity): not a number"),
        "{}",
        text(&out)
    );
    assert_eq!(diary_rows(&db, &carol).await, 0);

    let garbage = dir.path().join("garbage.tar.gz");
    std::fs::write(&garbage, b"not an archive").unwrap();
    let mut cmd = sparky(&db.url());
    cmd.args(["import", "--user", "carol@example.com"])
        .arg(&garbage);
    let out = run(cmd).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not a gzip-compressed tar file"),
        "{}",
        text(&out)
    );

    let mut cmd = sparky(&db.url());
    cmd.args(["export", "--user", "nobody@example.com", "--out"])
        .arg(dir.path().join("x.tar.gz"));
    let out = run(cmd).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("not found"), "{}", text(&out));
    assert_eq!(diary_rows(&db, &carol).await, 0);
}
