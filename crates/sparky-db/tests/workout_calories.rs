//! Workout calorie estimates kept by the database (migration 2026_12_03_20_00): made when an
//! entry is written and made again when the owner's weights change, whoever writes, also with
//! an owner role that FORCE RLS filters (neither superuser nor BYPASSRLS); and the estimate
//! function is not a way for the request role to read someone's weight. Durations to the
//! second (migration 2026_12_19_09_00) beside the seed's rounded minutes.

use sparky_db::{Database, DbError, MigrationSource, Migrator};
use sparky_testkit::TestDb;
use uuid::Uuid;

async fn register(db: &Database, email: &str) -> Uuid {
    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit(
            "SELECT user_id FROM auth.register_user($1, 'hash', 'Some Name', true)",
            &[&email],
        )
        .await
        .unwrap();
    rows[0].get(0)
}

async fn exec(
    db: &Database,
    user: Uuid,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) {
    db.as_user(user)
        .await
        .unwrap()
        .query_and_commit(sql, params)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// (calories_burned, calories_source) of the owner's only workout, read as the owner user.
async fn estimate(db: &Database, owner: Uuid) -> (Option<String>, Option<String>) {
    let rows = db
        .as_user(owner)
        .await
        .unwrap()
        .query_and_commit(
            "SELECT calories_burned::text, calories_source FROM exercise_diary WHERE user_id = $1",
            &[&owner],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    (rows[0].get(0), rows[0].get(1))
}

/// The scenario, through the request role only: Ann logs a workout before any weight; Bob
/// (`checkin`) logs her weight; Cat (`calorie`) logs a workout for her; Ann deletes the weight.
async fn follow_weights(db: &Database) {
    let ann = register(db, "ann@example.com").await;
    let bob = register(db, "bob@example.com").await;
    let cat = register(db, "cat@example.com").await;
    for (grantee, access) in [(bob, "checkin"), (cat, "calorie")] {
        exec(
            db,
            ann,
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) VALUES ($1, $2, $3)",
            &[&ann, &grantee, &access],
        )
        .await;
    }
    let exercise = "INSERT INTO exercises (name, met_value, user_id) VALUES ('Eight', 8, auth.uid()) RETURNING id";
    let tx = db.as_user(ann).await.unwrap();
    let ex: Uuid = tx.query_and_commit(exercise, &[]).await.unwrap()[0].get(0);
    exec(
        db,
        ann,
        "INSERT INTO exercise_diary (user_id, exercise_id, exercise_name, met_value, duration_minutes,
                                     performed_at, entry_date)
         VALUES ($1, $2, 'Eight', 8, 30, '2026-06-10 12:00+00', '2026-06-10')",
        &[&ann, &ex],
    )
    .await;
    assert_eq!(estimate(db, ann).await, (None, None), "no weight yet");

    // Bob may write Ann's measurements but not read her diary; the estimate follows anyway.
    exec(
        db,
        bob,
        "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'weight', 70, 'kg', '2026-06-01 08:00+00')",
        &[&ann],
    )
    .await;
    // 8 MET × 70 kg × 0.5 h.
    assert_eq!(
        estimate(db, ann).await,
        (Some("280.00".into()), Some("met".into()))
    );
    let burned: Option<String> = db
        .as_user(ann)
        .await
        .unwrap()
        .query_and_commit(
            "SELECT burned::text FROM diary_day_totals WHERE user_id = $1 AND entry_date = '2026-06-10'",
            &[&ann],
        )
        .await
        .unwrap()[0]
        .get(0);
    assert_eq!(burned.as_deref(), Some("280.00"), "the day's totals follow");

    // Cat may write Ann's diary but not read her weights: her entry is estimated all the same.
    let tx = db.as_user(cat).await.unwrap();
    let seen: i64 = tx
        .query_and_commit(
            "SELECT count(*) FROM measurements WHERE user_id = $1",
            &[&ann],
        )
        .await
        .unwrap()[0]
        .get(0);
    assert_eq!(seen, 0, "cat cannot read ann's weights");
    let tx = db.as_user(cat).await.unwrap();
    let cats: Option<String> = tx
        .query_and_commit(
            "INSERT INTO exercise_diary (user_id, exercise_id, exercise_name, met_value, duration_minutes,
                                         performed_at, entry_date)
             VALUES ($1, NULL, 'Eight', 8, 60, '2026-06-11 12:00+00', '2026-06-11')
             RETURNING calories_burned::text",
            &[&ann],
        )
        .await
        .unwrap()[0]
        .get(0);
    assert_eq!(cats.as_deref(), Some("560.00"));
    // Acting as Ann inside the estimate did not stick to Cat's transaction.
    let mut tx = db.as_user(cat).await.unwrap();
    tx.execute(
        "INSERT INTO exercise_diary (user_id, exercise_name, met_value, duration_minutes, performed_at)
         VALUES ($1, 'Eight', 8, 60, '2026-06-12 12:00+00')",
        &[&ann],
    )
    .await
    .unwrap();
    let me: Uuid = tx.query_and_commit("SELECT auth.uid()", &[]).await.unwrap()[0].get(0);
    assert_eq!(me, cat);

    // The weight goes: so does the estimate.
    exec(
        db,
        ann,
        "DELETE FROM measurements WHERE user_id = $1",
        &[&ann],
    )
    .await;
    let rows = db
        .as_user(ann)
        .await
        .unwrap()
        .query_and_commit(
            "SELECT count(*) FILTER (WHERE calories_burned IS NOT NULL) FROM exercise_diary",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 0);
}

#[tokio::test]
async fn estimates_follow_weights_whoever_writes() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;
    follow_weights(&db).await;
}

#[tokio::test]
async fn the_estimate_functions_are_not_the_request_roles() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await;
    let bob = register(&db, "bob@example.com").await;
    exec(
        &db,
        ann,
        "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'weight', 70, 'kg', now())",
        &[&ann],
    )
    .await;
    for sql in [
        "SELECT public.workout_calories_estimate_seconds($1, current_date, 1, 3600)",
        "SELECT public.workout_body_weight_kg($1, current_date)",
        "SELECT public.workout_calories_refresh(ARRAY[$1::uuid], ARRAY[current_date])",
    ] {
        let mut tx = db.as_user(bob).await.unwrap();
        let r: Result<_, DbError> = tx.query(sql, &[&ann]).await;
        assert_eq!(
            r.as_ref().err().and_then(|e| e.code()),
            Some("42501"),
            "{sql}: {r:?}"
        );
    }
}

/// With an owner that FORCE RLS filters, the functions act as the diary's owner to read the
/// weight and write the estimate.
#[tokio::test]
async fn estimates_follow_weights_with_a_non_superuser_owner() {
    sparky_testkit::with_a_plain_owner(|config, app| async move {
        Migrator::new(MigrationSource::Embedded, &app)
            .unwrap()
            .run(&config)
            .await
            .expect("migrations run as a non-superuser owner");
        let owner = sparky_db::connect(&config).await.unwrap();
        let plain: bool = owner
            .query_one(
                "SELECT NOT (rolsuper OR rolbypassrls) FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(plain, "the owner really is a plain role");
        let db = Database::new(config.clone(), &app, 4).unwrap();
        follow_weights(&db).await;
    })
    .await;
}

/// Upgrading to durations in seconds gives every existing workout its seconds, also when the
/// owner is a plain role that FORCE RLS filters (it saw no row to update).
#[tokio::test]
async fn every_workout_gets_its_seconds_with_a_non_superuser_owner() {
    const SECONDS: &str = "2026_12_19_09_00";
    sparky_testkit::with_a_plain_owner(|config, app| async move {
        let newest = Migrator::new(MigrationSource::Embedded, &app).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for m in newest
            .migrations()
            .iter()
            .filter(|m| m.version.as_str() < SECONDS)
        {
            std::fs::write(dir.path().join(&m.file_name), &m.sql).unwrap();
        }
        Migrator::new(MigrationSource::Directory(dir.path().into()), &app)
            .unwrap()
            .run(&config)
            .await
            .expect("the migrations before");
        let db = Database::new(config.clone(), &app, 4).unwrap();
        let ann = register(&db, "ann@example.com").await;
        exec(
            &db,
            ann,
            "INSERT INTO exercise_diary (user_id, exercise_name, duration_minutes, performed_at)
             VALUES ($1, 'Run', 31, '2026-06-10 12:00+00'), ($1, 'Walk', NULL, '2026-06-10 13:00+00')",
            &[&ann],
        )
        .await;
        newest.run(&config).await.expect("the seconds migration");
        let rows = db
            .as_user(ann)
            .await
            .unwrap()
            .query_and_commit(
                "SELECT duration_seconds FROM exercise_diary ORDER BY performed_at",
                &[],
            )
            .await
            .unwrap();
        let seconds: Vec<Option<i32>> = rows.iter().map(|r| r.get(0)).collect();
        assert_eq!(seconds, vec![Some(1860), None]);
        let owner = sparky_db::connect(&config).await.unwrap();
        let forced: bool = owner
            .query_one(
                "SELECT relforcerowsecurity FROM pg_class WHERE oid = 'exercise_diary'::regclass",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(forced, "FORCE is back on");
    })
    .await;
}

/// Deleting a user removes their weights and workouts in one statement; re-estimating the
/// workouts of a user being deleted must not get in the way.
#[tokio::test]
async fn a_user_with_weights_and_workouts_can_be_deleted() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await;
    for sql in [
        "INSERT INTO exercise_diary (user_id, exercise_name, met_value, duration_minutes, performed_at)
         VALUES ($1, 'Eight', 8, 30, '2026-06-10 12:00+00')",
        "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'weight', 70, 'kg', '2026-06-01 08:00+00')",
    ] {
        exec(&db, ann, sql, &[&ann]).await;
    }
    assert_eq!(estimate(&db, ann).await.0.as_deref(), Some("280.00"));
    let owner = test_db.owner_client().await;
    owner
        .execute("DELETE FROM users WHERE id = $1", &[&ann])
        .await
        .unwrap();
    let left: i64 = owner
        .query_one(
            "SELECT (SELECT count(*) FROM exercise_diary) + (SELECT count(*) FROM measurements)
                  + (SELECT count(*) FROM diary_day_totals) + (SELECT count(*) FROM measurement_day_totals)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

/// The seconds and the seed's minutes agree whichever a writer gives, and the estimate uses
/// the seconds.
#[tokio::test]
async fn durations_keep_their_seconds_and_the_minutes_follow() {
    let test_db = TestDb::new().await;
    let db = test_db.database().await;
    let ann = register(&db, "ann@example.com").await;
    exec(
        &db,
        ann,
        "INSERT INTO measurements (user_id, type, value, unit, measured_at, entry_date)
         VALUES ($1, 'weight', 72, 'kg', '2026-06-01 07:00+00', '2026-06-01')",
        &[&ann],
    )
    .await;
    let tx = db.as_user(ann).await.unwrap();
    let ex: Uuid = tx
        .query_and_commit(
            "INSERT INTO exercises (name, met_value, user_id) VALUES ('Ten', 10, auth.uid()) RETURNING id",
            &[],
        )
        .await
        .unwrap()[0]
        .get(0);
    let row = |sql: &'static str| {
        let db = &db;
        async move {
            let r = db
                .as_user(ann)
                .await
                .unwrap()
                .query_and_commit(sql, &[&ann, &ex])
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
            let r = &r[0];
            (
                r.get::<_, Option<i32>>(0),
                r.get::<_, Option<i32>>(1),
                r.get::<_, Option<String>>(2),
            )
        }
    };
    // A seed-style insert: minutes only.
    let seed = row(
        "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, performed_at, entry_date)
         VALUES ($1, $2, 30, '2026-06-10 12:00+00', '2026-06-10')
         RETURNING duration_minutes, duration_seconds, calories_burned::text",
    )
    .await;
    // 10 MET × 72 kg × 0.5 h.
    assert_eq!(seed, (Some(30), Some(1800), Some("360.00".into())));
    // Seconds: 25:34 is 26 minutes rounded, and 10 × 72 × 1534 / 3600 = 306.8 kcal.
    let exact = row(
        "INSERT INTO exercise_diary (user_id, exercise_id, duration_seconds, performed_at, entry_date)
         VALUES ($1, $2, 1534, '2026-06-11 12:00+00', '2026-06-11')
         RETURNING duration_minutes, duration_seconds, calories_burned::text",
    )
    .await;
    assert_eq!(exact, (Some(26), Some(1534), Some("306.80".into())));
    // Both given: the seconds win.
    let both = row(
        "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, duration_seconds, performed_at, entry_date)
         VALUES ($1, $2, 99, 45, '2026-06-12 12:00+00', '2026-06-12')
         RETURNING duration_minutes, duration_seconds, calories_burned::text",
    )
    .await;
    assert_eq!(both, (Some(1), Some(45), Some("9.00".into())));
    // Updating the minutes alone (a seed-style writer) sets the seconds, and the estimate.
    let minutes_changed = row("UPDATE exercise_diary SET duration_minutes = 20
         WHERE user_id = $1 AND exercise_id = $2 AND entry_date = '2026-06-11'
         RETURNING duration_minutes, duration_seconds, calories_burned::text")
    .await;
    assert_eq!(
        minutes_changed,
        (Some(20), Some(1200), Some("240.00".into()))
    );
    // Updating the seconds alone sets the minutes: 29 s is 0 minutes, and still 5.8 kcal.
    let seconds_changed = row("UPDATE exercise_diary SET duration_seconds = 29
         WHERE user_id = $1 AND exercise_id = $2 AND entry_date = '2026-06-11'
         RETURNING duration_minutes, duration_seconds, calories_burned::text")
    .await;
    assert_eq!(seconds_changed, (Some(0), Some(29), Some("5.80".into())));
    // Clearing either clears both.
    let cleared = row("UPDATE exercise_diary SET duration_minutes = NULL
         WHERE user_id = $1 AND exercise_id = $2 AND entry_date = '2026-06-10'
         RETURNING duration_minutes, duration_seconds, calories_burned::text")
    .await;
    assert_eq!(cleared, (None, None, None));
    let without = row(
        "INSERT INTO exercise_diary (user_id, exercise_id, calories_burned, performed_at, entry_date)
         VALUES ($1, $2, 100, '2026-06-13 12:00+00', '2026-06-13')
         RETURNING duration_minutes, duration_seconds, calories_burned::text",
    )
    .await;
    assert_eq!(without, (None, None, Some("100.00".into())));
    // A negative duration is refused by the column's check.
    let mut tx = db.as_user(ann).await.unwrap();
    let refused = tx
        .query(
            "INSERT INTO exercise_diary (user_id, exercise_id, duration_seconds, performed_at, entry_date)
             VALUES ($1, $2, -1, now(), current_date)",
            &[&ann, &ex],
        )
        .await;
    assert_eq!(
        refused
            .err()
            .and_then(|e| e.code().map(str::to_string))
            .as_deref(),
        Some("23514")
    );
}
