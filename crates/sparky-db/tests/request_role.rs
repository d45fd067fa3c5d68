//! Requests log in as the request role, which is not a member of the owner: a statement that
//! resets or changes the role inside a request still cannot see other users' rows or become
//! the owner.

use sparky_db::{roles, Database, MigrationSource, Migrator, RequestLogin};
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

async fn weigh(db: &TestDb, user: Uuid, kg: f64) {
    db.owner_client()
        .await
        .execute(
            "INSERT INTO measurements (user_id, type, value, unit, measured_at)
             VALUES ($1, 'weight', $2::float8::numeric, 'kg', now())",
            &[&user, &kg],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn reset_role_in_a_request_still_sees_only_the_users_rows() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let bob = make_user(&db, "bob@example.com").await;
    weigh(&db, alice, 61.0).await;
    weigh(&db, bob, 82.0).await;
    let database = db.database().await;

    let mut tx = database.as_user(alice).await.unwrap();
    tx.execute("RESET ROLE", &[]).await.unwrap();
    let row = tx
        .query_one(
            "SELECT current_user::text, session_user::text,
                    (SELECT count(*) FROM measurements),
                    (SELECT count(*) FROM measurements WHERE user_id = $1),
                    (SELECT count(*) FROM users)",
            &[&bob],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), db.app_role());
    assert_eq!(row.get::<_, String>(1), db.app_role());
    assert_eq!(row.get::<_, i64>(2), 1, "only alice's own measurement");
    assert_eq!(row.get::<_, i64>(3), 0, "none of bob's");
    assert_eq!(row.get::<_, i64>(4), 1, "only alice's own account");
    tx.commit().await.unwrap();

    // Also with no acting user at all.
    let mut tx = database.anonymous().await.unwrap();
    tx.execute("RESET ROLE", &[]).await.unwrap();
    let n: i64 = tx
        .query_one("SELECT count(*) FROM measurements", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_request_cannot_become_the_owner() {
    let db = TestDb::new().await;
    let alice = make_user(&db, "alice@example.com").await;
    let owner: String = db
        .owner_client()
        .await
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    let database = db.database().await;

    for statement in [
        format!("SET ROLE \"{owner}\""),
        format!("SET SESSION AUTHORIZATION \"{owner}\""),
        format!("SELECT set_config('role', '{owner}', false)"),
    ] {
        let mut tx = database.as_user(alice).await.unwrap();
        let err = tx.execute(&statement, &[]).await.expect_err("refused");
        assert_eq!(err.code(), Some("42501"), "{statement}: {err}");
    }

    // The owner is not reachable by membership either.
    let member: bool = db
        .owner_client()
        .await
        .query_one(
            "SELECT pg_has_role($1, $2, 'MEMBER')",
            &[&db.app_role(), &owner],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!member);
}

#[tokio::test]
async fn the_request_role_logs_in_and_a_membership_in_the_owner_is_a_risk() {
    let test_db = TestDb::empty().await;
    let admin = test_db.owner_client().await;
    let suffix = &Uuid::new_v4().simple().to_string()[..8];
    let owner_role = format!("owner_{suffix}");
    let app_role = format!("app_{suffix}");
    admin
        .batch_execute(&format!(
            "CREATE ROLE {owner_role} LOGIN NOSUPERUSER NOBYPASSRLS CREATEROLE NOCREATEDB;
             ALTER DATABASE \"{}\" OWNER TO {owner_role};
             GRANT ALL ON SCHEMA public TO {owner_role};",
            test_db.name()
        ))
        .await
        .unwrap();
    let mut owner_config = test_db.owner_config();
    owner_config.user(&owner_role);
    let mut app_config = test_db.owner_config();
    app_config.user(&app_role);

    let (owner_c, app_c, app) = (owner_config.clone(), app_config.clone(), app_role.clone());
    let outcome = tokio::spawn(async move {
        Migrator::new(MigrationSource::Embedded, &app)
            .unwrap()
            .request_role_login(true)
            .run(&owner_c)
            .await
            .expect("migrations create the request role with LOGIN");
        let owner = sparky_db::connect(&owner_c).await.unwrap();
        assert!(roles::bypass_risks(&owner, &app).await.unwrap().is_empty());

        // Requests log in as the role itself.
        let database = Database::builder(owner_c.clone(), &app)
            .requests(RequestLogin::as_request_role(app_c))
            .pool_size(1)
            .build()
            .unwrap();
        let mut tx = database.anonymous().await.unwrap();
        let session_user: String = tx
            .query_one("SELECT session_user::text", &[])
            .await
            .unwrap()
            .get(0);
        assert_eq!(session_user, app);
        tx.commit().await.unwrap();

        // PostgreSQL refuses circular membership, and the owner is a member of the request
        // role; undone, the request role could be made a member of the owner, and could
        // then become it: serve and doctor refuse that.
        let owner_name = owner_c.get_user().unwrap();
        let circular = owner
            .batch_execute(&format!("GRANT {owner_name} TO {app}"))
            .await
            .expect_err("circular membership");
        assert_eq!(
            circular.code().map(|c| c.code()),
            Some("0LP01"),
            "{circular}"
        );
        owner
            .batch_execute(&format!(
                "REVOKE {app} FROM {owner_name}; GRANT {owner_name} TO {app}"
            ))
            .await
            .unwrap();
        let risks = roles::bypass_risks(&owner, &app).await.unwrap();
        assert!(
            risks.iter().any(|r| r.contains("member of the owner role")),
            "{risks:?}"
        );
    })
    .await;

    let mut maint = test_db.owner_config();
    maint.dbname("postgres");
    let c = sparky_db::connect(&maint).await.unwrap();
    let _ = c
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            test_db.name()
        ))
        .await;
    let _ = c
        .batch_execute(&format!(
            "DROP OWNED BY {app_role}; DROP ROLE IF EXISTS {app_role}; DROP ROLE IF EXISTS {owner_role}"
        ))
        .await;
    outcome.unwrap();
}
