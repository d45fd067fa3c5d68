//! Upgrades keep data: a database at the seed-era schema, full of rows, migrates to the
//! newest schema without losing or changing a row, and its users then see their own rows
//! through RLS.

use sparky_db::{MigrationSource, Migrator};
use sparky_testkit::{TestDb, APP_ROLE};
use tokio_postgres::Client;
use uuid::Uuid;

/// The last version of the seed-era schema (the seed's tables plus its meal_plans example).
const SEED_ERA: &str = "2024_03_15_14_20";

const TABLES: &[&str] = &[
    "users",
    "user_preferences",
    "food_items",
    "nutrition_data",
    "food_diary",
    "exercises",
    "exercise_diary",
    "measurements",
    "goals",
    "meal_plan_templates",
    "meal_plans",
    "family_access",
    "chat_history",
];

/// The seed's chat_history pairs, rebuilt from chat_messages (the user message keeps the id).
const CHAT_PAIRS: &str = "SELECT jsonb_build_object('id', u.id, 'user_id', u.user_id, 'message', u.content,
        'response', a.content, 'ai_provider', a.provider, 'model_used', a.model,
        'tokens_used', a.tokens_out, 'response_time_ms', a.latency_ms, 'created_at', u.created_at) AS j
    FROM chat_messages u
    CROSS JOIN LATERAL (SELECT m.* FROM chat_messages m
                        WHERE m.conversation_id = u.conversation_id AND m.seq > u.seq
                        ORDER BY m.seq LIMIT 1) a
    WHERE u.role = 'user' ORDER BY u.id";

async fn seed_era_data(client: &Client) -> (Uuid, Uuid) {
    let rows = client
        .query(
            "INSERT INTO users (email, password_hash, full_name) VALUES
               ('ann@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', 'Ann'),
               ('bob@example.com', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo', 'Bob')
             RETURNING id",
            &[],
        )
        .await
        .unwrap();
    let (ann, bob): (Uuid, Uuid) = (rows[0].get(0), rows[1].get(0));
    client
        .execute(
            "INSERT INTO user_preferences (user_id, theme, units_system) VALUES ($1, 'dark', 'imperial'), ($2, 'system', 'metric')",
            &[&ann, &bob],
        )
        .await
        .unwrap();
    client
        .batch_execute(&format!(
            "INSERT INTO food_items (name, brand, barcode, source) VALUES ('Oats', 'Acme', '4006381333931', 'user'), ('Apple', NULL, NULL, 'user');
             INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, calories, protein, carbohydrates, fat, fiber, sugar, sodium)
               SELECT id, 40, 'g', 150.40, 5.2, 27.1, 2.8, 4.0, 0.4, 2 FROM food_items;
             INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at)
               SELECT u, f.id, 1.5, 'serving', m, timestamptz '2024-02-01 08:00+00' + (n || ' days')::interval
               FROM (VALUES ('{ann}'::uuid), ('{bob}'::uuid)) AS us(u), food_items f,
                    (VALUES ('breakfast'), ('lunch'), ('dinner'), ('snack')) AS ms(m), generate_series(1, 30) n;
             INSERT INTO exercises (name, category, muscle_groups, equipment, instructions) VALUES
               ('Squat', 'strength', ARRAY['quadriceps','glutes'], 'barbell', 'Sit back and down.');
             INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, sets, reps, weight, distance, notes, performed_at)
               SELECT '{ann}', id, 30, 5, 5, 90.72, NULL, 'felt good', '2024-02-02 18:00+00' FROM exercises;
             INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES
               ('{ann}', 'weight', 90.72, 'kg', '2024-02-01 07:00+00'), ('{bob}', 'body_fat', 18.5, '%', '2024-02-01 07:00+00');
             INSERT INTO goals (user_id, type, target_value, target_unit, target_date, current_value, status) VALUES
               ('{ann}', 'weight_loss', 80, 'kg', '2024-12-31', 90.72, 'active');
             INSERT INTO meal_plan_templates (user_id, name, description, target_calories) VALUES ('{ann}', 'Cut', 'Lean week', 1800);
             INSERT INTO meal_plans (user_id, name, planned_date, total_calories) VALUES ('{ann}', 'Monday', '2024-02-05', 1750.5);
             INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) VALUES ('{ann}', '{bob}', 'reports');
             INSERT INTO chat_history (user_id, message, response, ai_provider, model_used, tokens_used, response_time_ms)
               VALUES ('{ann}', 'How much protein?', 'About 1.6 g/kg.', 'openai', 'gpt', 42, 900);"
        ))
        .await
        .unwrap();
    (ann, bob)
}

/// Every row of every table as text, minus columns a migration may legitimately fill in.
async fn snapshot(client: &Client) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for table in TABLES {
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[table])
            .await
            .unwrap()
            .get(0);
        let sql = if exists {
            format!("SELECT to_jsonb(t) - 'updated_at' - 'user_id_owner' AS j FROM {table} t ORDER BY id")
        } else {
            // chat_history became conversations and messages: each pair read back from them.
            assert_eq!(*table, "chat_history", "{table} is gone");
            CHAT_PAIRS.to_string()
        };
        let rows = client.query(&sql, &[]).await.unwrap();
        let seed_columns: Vec<String> = client
            .query(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1",
                &[&table],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let values = rows
            .iter()
            .map(|r| {
                let mut j: serde_json::Value = r.get(0);
                // Compare only the columns the seed-era table had.
                if let Some(obj) = j.as_object_mut().filter(|_| exists) {
                    obj.retain(|k, _| seed_columns.contains(k) && k != "updated_at");
                }
                j.to_string()
            })
            .collect();
        out.push((table.to_string(), values));
    }
    out
}

#[tokio::test]
async fn a_seed_era_database_with_data_upgrades_without_losing_a_row() {
    let db = TestDb::empty().await;
    let config = db.owner_config();
    let newest = Migrator::new(MigrationSource::Embedded, APP_ROLE).unwrap();

    // The seed-era schema, as an older Sparky would have left it.
    let dir = tempfile::tempdir().unwrap();
    for m in newest
        .migrations()
        .iter()
        .filter(|m| m.version.as_str() <= SEED_ERA)
    {
        std::fs::write(dir.path().join(&m.file_name), &m.sql).unwrap();
    }
    let old = Migrator::new(MigrationSource::Directory(dir.path().into()), APP_ROLE).unwrap();
    old.run(&config).await.unwrap();
    let client = db.owner_client().await;
    let (ann, bob) = seed_era_data(&client).await;
    let before = snapshot(&client).await;

    let report = newest.run(&config).await.unwrap();
    assert!(!report.applied.is_empty(), "there were migrations to apply");
    assert!(newest.status(&client).await.unwrap().is_current());

    // Every row that existed is still there, unchanged on the columns the seed-era tables
    // had (migrations may add rows, such as the starter exercise catalog, never lose one).
    let after = snapshot(&client).await;
    for ((table, rows_before), (_, rows_after)) in before.iter().zip(after.iter()) {
        let after_by_id: std::collections::HashMap<String, serde_json::Value> = rows_after
            .iter()
            .map(|r| {
                let v: serde_json::Value = serde_json::from_str(r).unwrap();
                (v["id"].to_string(), v)
            })
            .collect();
        for b in rows_before {
            let b: serde_json::Value = serde_json::from_str(b).unwrap();
            let a = after_by_id
                .get(&b["id"].to_string())
                .unwrap_or_else(|| panic!("{table}: row {} was lost", b["id"]));
            for (k, v) in b.as_object().unwrap() {
                assert_eq!(a.get(k), Some(v), "{table}.{k} changed");
            }
        }
    }

    // Durations got their seconds (migration 2026_12_19_09_00): 30 minutes is 1,800 s.
    let seconds: Vec<Option<i32>> = client
        .query("SELECT duration_seconds FROM exercise_diary", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(seconds, vec![Some(1800)]);

    // Upgraded rows are now under RLS and still reachable by their owners.
    let database = db.database().await;
    let mut tx = database.as_user(ann).await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 240, "Ann sees exactly her 240 entries");
    let prefs: String = tx
        .query_one(
            "SELECT units_system FROM user_preferences WHERE user_id = $1",
            &[&ann],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(prefs, "imperial");
    drop(tx);
    // Bob holds a `reports` grant from Ann: he sees his own entries and hers.
    let mut tx = database.as_user(bob).await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM food_diary", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 480);
    let weights: i64 = tx
        .query_one(
            "SELECT count(*) FROM measurements WHERE user_id = $1",
            &[&ann],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(weights, 1);
}

/// Several active weight goals of different types (allowed before one-at-a-time): the newest
/// stays active, the others are paused, nothing is deleted, and other users' goals and other
/// types are left as they were.
#[tokio::test]
async fn several_active_weight_goals_leave_the_newest_active() {
    const ONE_WEIGHT_GOAL: &str = "2026_12_11_10_00";
    let db = TestDb::empty().await;
    let config = db.owner_config();
    let newest = Migrator::new(MigrationSource::Embedded, APP_ROLE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for m in newest
        .migrations()
        .iter()
        .filter(|m| m.version.as_str() < ONE_WEIGHT_GOAL)
    {
        std::fs::write(dir.path().join(&m.file_name), &m.sql).unwrap();
    }
    let old = Migrator::new(MigrationSource::Directory(dir.path().into()), APP_ROLE).unwrap();
    old.run(&config).await.unwrap();
    let client = db.owner_client().await;
    let rows = client
        .query(
            "INSERT INTO users (email, password_hash) VALUES ('ann@example.com', 'x'), ('bob@example.com', 'x')
             RETURNING id",
            &[],
        )
        .await
        .unwrap();
    let (ann, bob): (Uuid, Uuid) = (rows[0].get(0), rows[1].get(0));
    client
        .execute(
            "INSERT INTO goals (user_id, type, target_value, target_unit, start_date, status, created_at) VALUES
               ($1, 'weight_loss', 80, 'kg', '2026-01-01', 'active', '2026-01-01 08:00+00'),
               ($1, 'weight_target', 78, 'kg', '2026-02-01', 'active', '2026-02-01 08:00+00'),
               ($1, 'muscle_gain', 85, 'kg', '2026-01-15', 'active', '2026-01-15 08:00+00'),
               ($1, 'calorie_target', 2000, 'kcal', '2026-01-01', 'active', '2026-01-01 08:00+00'),
               ($2, 'weight_loss', 70, 'kg', '2026-01-01', 'active', '2026-01-01 08:00+00')",
            &[&ann, &bob],
        )
        .await
        .unwrap();
    newest.run(&config).await.unwrap();
    let status: Vec<(Uuid, String, String)> = client
        .query(
            "SELECT user_id, type, status FROM goals ORDER BY user_id = $1 DESC, type",
            &[&ann],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let of = |who: Uuid, kind: &str| {
        status
            .iter()
            .find(|(u, t, _)| *u == who && t == kind)
            .map(|(_, _, s)| s.as_str())
            .unwrap()
            .to_string()
    };
    assert_eq!(status.len(), 5, "{status:?}");
    assert_eq!(of(ann, "weight_target"), "active", "the newest");
    assert_eq!(of(ann, "weight_loss"), "paused");
    assert_eq!(of(ann, "muscle_gain"), "paused");
    assert_eq!(of(ann, "calorie_target"), "active");
    assert_eq!(of(bob, "weight_loss"), "active");
    // And a second one is refused from now on.
    let err = client
        .execute(
            "INSERT INTO goals (user_id, type, target_value, start_date, status)
             VALUES ($1, 'muscle_gain', 90, '2026-03-01', 'active')",
            &[&bob],
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("idx_goals_one_active_weight_goal")
            || format!("{err:?}").contains("idx_goals_one_active_weight_goal"),
        "{err:?}"
    );
}

/// The same upgrade on a managed database, whose owner is a plain role (neither superuser nor
/// BYPASSRLS) that FORCE RLS filters: every data migration still reaches every row (a
/// migration that updated or copied rows as such an owner saw none, or was refused).
#[tokio::test]
async fn a_seed_era_database_upgrades_with_a_plain_owner() {
    sparky_testkit::with_a_plain_owner(|config, app| async move {
        let newest = Migrator::new(MigrationSource::Embedded, &app).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for m in newest
            .migrations()
            .iter()
            .filter(|m| m.version.as_str() <= SEED_ERA)
        {
            std::fs::write(dir.path().join(&m.file_name), &m.sql).unwrap();
        }
        Migrator::new(MigrationSource::Directory(dir.path().into()), &app)
            .unwrap()
            .run(&config)
            .await
            .expect("the seed-era schema");
        let client = sparky_db::connect(&config).await.unwrap();
        let (ann, _bob) = seed_era_data(&client).await;
        // Two active weight goals (allowed then) and a daily calorie target.
        client
            .execute(
                "INSERT INTO goals (user_id, type, target_value, target_unit, status, created_at) VALUES
                   ($1, 'muscle_gain', 82, 'kg', 'active', '2024-03-01'),
                   ($1, 'calorie_target', 2100, 'kcal', 'active', '2024-03-01')",
                &[&ann],
            )
            .await
            .unwrap();
        newest
            .run(&config)
            .await
            .expect("the upgrade as a plain owner");
        let db = sparky_db::Database::new(config.clone(), &app, 2).unwrap();
        let mut tx = db.as_user(ann).await.unwrap();
        let active_weight: i64 = tx
            .query_one(
                "SELECT count(*) FROM goals WHERE status = 'active'
                   AND type IN ('weight_loss', 'muscle_gain', 'weight_target')",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(active_weight, 1, "one active weight goal");
        let history: i64 = tx
            .query_one("SELECT count(*) FROM goal_target_history", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(history, 1, "the calorie target's history");
        let seconds: Option<i32> = tx
            .query_one("SELECT duration_seconds FROM exercise_diary", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(seconds, Some(1800));
        // What data migrations derived from rows they had to read.
        let name: String = tx
            .query_one("SELECT exercise_name FROM exercise_diary", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(name, "Squat");
        let counts: (i64, i64, i64) = {
            let r = tx
                .query_one(
                    "SELECT (SELECT count(*) FROM food_diary WHERE user_id = $1),
                            (SELECT count(*) FROM diary_day_totals WHERE user_id = $1 AND entries > 0),
                            (SELECT count(*) FROM recent_foods WHERE user_id = $1)",
                    &[&ann],
                )
                .await
                .unwrap();
            (r.get(0), r.get(1), r.get(2))
        };
        assert_eq!(counts, (240, 30, 2), "entries, days with totals, recent foods");
        // The word index is the owner's (no row level security of its own).
        let words: i64 = sparky_db::connect(&config)
            .await
            .unwrap()
            .query_one("SELECT count(*) FROM food_search_words", &[])
            .await
            .unwrap()
            .get(0);
        assert!(words > 0, "the search finds the foods there were");
        let onboarded: bool = tx
            .query_one(
                "SELECT onboarded_at IS NOT NULL FROM user_preferences WHERE user_id = $1",
                &[&ann],
            )
            .await
            .unwrap()
            .get(0);
        assert!(onboarded, "an existing account is not sent through onboarding again");
        let r = tx
            .query_one(
                "SELECT (SELECT count(*) FROM food_diary
                         WHERE user_id = $1 AND (food_name = '(unknown food)' OR calories IS NULL)),
                        (SELECT count(*) FROM chat_messages WHERE user_id = $1),
                        (SELECT count(*) FROM measurements WHERE user_id = $1 AND entry_date IS NOT NULL),
                        (SELECT count(*) FROM goals WHERE user_id = $1 AND start_date IS NOT NULL)",
                &[&ann],
            )
            .await
            .unwrap();
        let derived: (i64, i64, i64, i64) = (r.get(0), r.get(1), r.get(2), r.get(3));
        assert_eq!(
            derived,
            (0, 2, 1, 3),
            "entries without their food's name or nutrients, chat messages, dated measurements, started goals"
        );
    })
    .await;
}
