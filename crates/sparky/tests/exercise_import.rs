//! Black-box tests of `sparky exercises import` against a real PostgreSQL, with the small
//! hand-written free-exercise-db-shaped file tests/data/free_exercise_db_sample.json.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use sparky_testkit::TestDb;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn sparky(url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("SPARKY_DATA_DIR")
        .env_remove("SPARKY_APP_ROLE")
        .env_remove("SPARKY_PASSWORD")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn import(url: &str, path: &std::path::Path) -> Output {
    sparky(url)
        .args(["exercises", "import"])
        .arg(path)
        .output()
        .expect("run sparky")
}

async fn imported(owner: &tokio_postgres::Client) -> i64 {
    owner
        .query_one(
            "SELECT count(*) FROM exercises WHERE source = 'free-exercise-db'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// source_id, category, MET, equipment, instructions.
type Kind = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[test]
fn exercises_import_documents_the_shape() {
    let out = sparky("postgres://unused")
        .args(["exercises", "import", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "free-exercise-db",
        "primaryMuscles",
        "secondaryMuscles",
        "instructions",
        "Required: id, name",
    ] {
        assert!(help.contains(needle), "{needle} missing from: {help}");
    }
}

#[tokio::test]
async fn imports_into_the_shared_catalog_once() {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    let before: i64 = owner
        .query_one("SELECT count(*) FROM exercises", &[])
        .await
        .unwrap()
        .get(0);
    let out = import(&db.url(), &data("free_exercise_db_sample.json"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 4 exercises (0 already present)"),
        "{}",
        text(&out)
    );
    assert_eq!(imported(&owner).await, 4);
    let row = owner
        .query_one(
            "SELECT name::text, category::text, muscle_groups, equipment::text, instructions,
                    met_value::text, compendium_code, user_id IS NULL
             FROM exercises WHERE source = 'free-exercise-db' AND source_id = 'Sample_Barbell_Squat'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "Sample Barbell Squat");
    assert_eq!(row.get::<_, String>(1), "strength");
    assert_eq!(
        row.get::<_, Vec<String>>(2),
        vec!["quadriceps", "glutes", "hamstrings"]
    );
    assert_eq!(row.get::<_, String>(3), "barbell");
    assert_eq!(
        row.get::<_, String>(4),
        "Set the bar on your upper back.\nSquat down, then stand up."
    );
    assert_eq!(row.get::<_, String>(5), "3.50");
    assert_eq!(row.get::<_, String>(6), "02054");
    assert!(row.get::<_, bool>(7));
    let kinds = owner
        .query(
            "SELECT source_id::text, category::text, met_value::text, equipment::text, instructions
             FROM exercises WHERE source = 'free-exercise-db' ORDER BY source_id",
            &[],
        )
        .await
        .unwrap();
    let kinds: Vec<Kind> = kinds
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(kinds[1].0, "Sample_Hamstring_Reach");
    assert_eq!(kinds[1].1, "flexibility");
    assert_eq!(kinds[1].2.as_deref(), Some("2.30"));
    assert_eq!(kinds[1].3, None);
    assert_eq!(kinds[2].0, "Sample_Power_Clean");
    assert_eq!(kinds[2].2.as_deref(), Some("6.00"));
    assert_eq!(kinds[2].4, None);
    assert_eq!(kinds[3].0, "Sample_Rowing_Machine");
    assert_eq!(kinds[3].1, "cardio");
    assert_eq!(kinds[3].2, None);

    // Again: nothing new, nothing changed.
    let again = import(&db.url(), &data("free_exercise_db_sample.json"));
    assert!(again.status.success(), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("imported 0 exercises (4 already present)"),
        "{}",
        text(&again)
    );
    assert_eq!(imported(&owner).await, 4);
    let after: i64 = owner
        .query_one("SELECT count(*) FROM exercises", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(after, before + 4);

    // Users see the imported exercises like the rest of the catalog, read-only.
    let database = db.database().await;
    let user = uuid::Uuid::new_v4();
    owner
        .execute(
            "INSERT INTO users (id, email, password_hash) VALUES ($1, 'a@example.com', 'x')",
            &[&user],
        )
        .await
        .unwrap();
    let mut tx = database.as_user(user).await.unwrap();
    let seen: i64 = tx
        .query_one(
            "SELECT count(*) FROM exercises WHERE source = 'free-exercise-db'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(seen, 4);
    let changed = tx
        .execute(
            "UPDATE exercises SET name = 'mine' WHERE source = 'free-exercise-db'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(changed, 0);
}

#[tokio::test]
async fn malformed_files_are_refused_and_nothing_is_written() {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    let dir = tempfile::tempdir().unwrap();
    for (name, content, wanted) in [
        ("broken.json", "[{\"id\": \"a\", \"name\": ", "invalid JSON"),
        (
            "object.json",
            "{\"id\": \"a\", \"name\": \"A\"}",
            "JSON array",
        ),
        (
            "nameless.json",
            "[{\"id\": \"ok\", \"name\": \"Fine\"}, {\"id\": \"bad\", \"primaryMuscles\": []}]",
            "entry 1 (id \"bad\"): \"name\" is missing",
        ),
        (
            "muscles.json",
            "[{\"id\": \"ok\", \"name\": \"Fine\", \"primaryMuscles\": \"chest\"}]",
            "\"primaryMuscles\" must be a list of strings",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let out = import(&db.url(), &path);
        assert!(!out.status.success(), "{name}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(wanted), "{name}: {stderr}");
        assert_eq!(imported(&owner).await, 0, "{name}");
    }
    let missing = import(&db.url(), &dir.path().join("nope.json"));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}
