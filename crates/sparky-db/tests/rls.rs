//! Row Level Security: every user table keeps users apart, family grants open exactly their
//! rows, the shared catalog is read-only, and the request role cannot step around any of it.
//!
//! Each test gets its own copy of the migrated template (sparky-testkit). Data is seeded with
//! the owner client (a superuser in tests); everything under test runs as the request role
//! through `Database::as_user`, one transaction per check (an RLS error aborts a transaction,
//! and "takes effect at once" means "in the next transaction"). Checks that write are rolled
//! back (the `UserTx` is dropped) unless they say otherwise.
//!
//! Decision: with no acting user the request role sees no rows at all, the shared catalog
//! included ("no user = no rows", ARCHITECTURE.md, the database contract). Every request that reads the catalog has a
//! user; the few anonymous requests (login) go through SECURITY DEFINER functions.

use std::collections::HashMap;

use sparky_db::{Database, DbError};
use sparky_testkit::TestDb;
use tokio_postgres::types::ToSql;
use tokio_postgres::Client;
use uuid::Uuid;

/// SQLSTATE insufficient_privilege: both "permission denied" and "new row violates row-level
/// security policy".
const DENIED: &str = "42501";

type Param<'a> = &'a (dyn ToSql + Sync);

/// What a row's owner column holds for a user.
#[derive(Clone, Copy, PartialEq)]
enum Owner {
    /// The user's id.
    User,
    /// nutrition_data: the id of a food item the user owns.
    Food,
}

/// One user table, with SQL to create a row in it and to touch a row harmlessly.
struct Table {
    name: &'static str,
    owner_col: &'static str,
    owner: Owner,
    /// `INSERT … RETURNING id`; `$1` = owner value, `$2` = grantee (family_access only).
    insert: &'static str,
    /// A SET clause the request role may use on its own rows.
    touch: &'static str,
}

/// Every table holding user data, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "users",
        owner_col: "id",
        owner: Owner::User,
        insert: "INSERT INTO users (id, email, password_hash) VALUES ($1, 'intruder@example.com', 'x') RETURNING id",
        touch: "full_name = 'touched'",
    },
    Table {
        name: "user_preferences",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO user_preferences (user_id, theme) VALUES ($1, 'dark') RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "user_profiles",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO user_profiles (user_id, sex, height_cm) VALUES ($1, 'female', 165) RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "food_items",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO food_items (user_id, name, source) VALUES ($1, 'Own cake', 'user') RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "nutrition_data",
        owner_col: "food_item_id",
        owner: Owner::Food,
        insert: "INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, calories) VALUES ($1, 100, 'g', 350) RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "recipe_ingredients",
        owner_col: "recipe_food_id",
        owner: Owner::Food,
        insert: "INSERT INTO recipe_ingredients (recipe_food_id, food_name, quantity, unit, position) VALUES ($1, 'Flour', 200, 'g', 0) RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "exercises",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO exercises (user_id, name) VALUES ($1, 'Own stretch') RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "food_diary",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at) \
                 VALUES ($1, (SELECT id FROM food_items WHERE user_id IS NULL ORDER BY name LIMIT 1), 150, 'g', 'lunch', now()) RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "exercise_diary",
        owner_col: "user_id",
        owner: Owner::User,
        // Calories typed in: an estimate would change when the seeded weight arrives.
        insert: "INSERT INTO exercise_diary (user_id, exercise_id, duration_minutes, calories_burned, performed_at) \
                 VALUES ($1, (SELECT id FROM exercises WHERE user_id IS NULL ORDER BY name LIMIT 1), 30, 100, now()) RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "measurements",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'weight', 70.5, 'kg', now()) RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "goals",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO goals (user_id, type, target_value, target_unit) VALUES ($1, 'weight_loss', 65, 'kg') RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "meal_plan_templates",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO meal_plan_templates (user_id, name, target_calories) VALUES ($1, 'Lean week', 1800) RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "meal_plans",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO meal_plans (user_id, name, planned_date) VALUES ($1, 'Monday', current_date) RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "family_access",
        owner_col: "grantor_user_id",
        owner: Owner::User,
        insert: "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) VALUES ($1, $2, 'reports') RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "chat_conversations",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO chat_conversations (user_id, title) VALUES ($1, 'Protein') RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "assistant_actions",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO assistant_actions (user_id, tool, undo, card) VALUES ($1, 'log_food', '{}', '{}') RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "assistant_requests",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO assistant_requests (user_id, kind) VALUES ($1, 'meal_photo') RETURNING id",
        touch: "tokens_in = 1",
    },
    Table {
        name: "health_data_records",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO health_data_records (user_id, source, kind, record_key, fingerprint) \
                 VALUES ($1, 'HealthKit', 'steps', '2026-06-01', 'm|8000') RETURNING id",
        touch: "updated_at = now()",
    },
    Table {
        name: "import_records",
        owner_col: "user_id",
        owner: Owner::User,
        insert: "INSERT INTO import_records (user_id, source, record_key, area) \
                 VALUES ($1, 'mfp', 'diary:abc', 'diary') RETURNING id",
        touch: "updated_at = now()",
    },
];

const ACCESS_TYPES: &[&str] = &["calorie", "checkin", "reports", "food_list"];

/// The family matrix of the README (Family access), the database contract: may a grantee with `access` read the grantor's row?
fn grantee_reads(table: &str, access: &str) -> bool {
    match table {
        "users" | "user_preferences" | "user_profiles" => true,
        "food_diary" | "exercise_diary" => matches!(access, "calorie" | "reports"),
        // Which plans were applied to the diary, for those who may apply one to it.
        "meal_plans" => access == "calorie",
        // The goals row here is a weight goal: it follows the weight (its start is one); the
        // daily targets follow the diary (crates/sparky-web/tests/goals.rs).
        "measurements" | "goals" => matches!(access, "checkin" | "reports"),
        "food_items" | "nutrition_data" | "recipe_ingredients" | "meal_plan_templates" => {
            access == "food_list"
        }
        _ => false,
    }
}

/// … and insert, update and delete it?
fn grantee_writes(table: &str, access: &str) -> bool {
    match table {
        "food_diary" | "exercise_diary" | "meal_plans" => access == "calorie",
        "measurements" => access == "checkin",
        _ => false,
    }
}

/// A user's seeded row per table (for `users`, the user's id).
type Rows = HashMap<&'static str, Uuid>;

fn owner_value(t: &Table, user: Uuid, rows: &Rows) -> Uuid {
    match t.owner {
        Owner::User => user,
        Owner::Food => rows["food_items"],
    }
}

/// Parameters for `t.insert`: the owner value and, for family_access, the grantee.
fn insert_params<'a>(t: &Table, owner: &'a Uuid, grantee: &'a Uuid) -> Vec<Param<'a>> {
    if t.name == "family_access" {
        vec![owner, grantee]
    } else {
        vec![owner]
    }
}

async fn create_user(owner: &Client, email: &str) -> Uuid {
    owner
        .query_one(
            "INSERT INTO users (email, password_hash, full_name) VALUES ($1, $2, $3) RETURNING id",
            &[
                &email,
                &format!("hash-of-{email}"),
                &format!("Name of {email}"),
            ],
        )
        .await
        .expect("create user")
        .get(0)
}

/// Shared catalog rows (user_id NULL): one food with nutrition, one exercise.
async fn create_catalog(owner: &Client) -> (Uuid, Uuid, Uuid) {
    let food: Uuid = owner
        .query_one(
            "INSERT INTO food_items (name, source) VALUES ('Catalog apple', 'openfoodfacts') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let nutrition: Uuid = owner
        .query_one(
            "INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, calories) VALUES ($1, 100, 'g', 52) RETURNING id",
            &[&food],
        )
        .await
        .unwrap()
        .get(0);
    let exercise: Uuid = owner
        .query_one(
            "INSERT INTO exercises (name, source) VALUES ('Catalog run', 'seed') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    (food, nutrition, exercise)
}

/// One row of `user` in every table (as the owner); family_access grants `grantee` 'reports'.
async fn seed_rows(owner: &Client, user: Uuid, grantee: Uuid) -> Rows {
    let mut rows = Rows::new();
    rows.insert("users", user);
    for t in TABLES.iter().filter(|t| t.name != "users") {
        let value = owner_value(t, user, &rows);
        let id: Uuid = owner
            .query_one(t.insert, &insert_params(t, &value, &grantee))
            .await
            .unwrap_or_else(|e| panic!("seed {}: {e:?}", t.name))
            .get(0);
        rows.insert(t.name, id);
    }
    rows
}

/// A fresh database with a catalog and users named by `emails`.
async fn setup(emails: &[&str]) -> (TestDb, Client, Database, Vec<Uuid>) {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    let database = db.database().await;
    create_catalog(&owner).await;
    let mut users = Vec::new();
    for email in emails {
        users.push(create_user(&owner, email).await);
    }
    (db, owner, database, users)
}

/// Runs a statement as `user` in its own transaction, rolled back afterwards.
async fn exec(db: &Database, user: Uuid, sql: &str, params: &[Param<'_>]) -> Result<u64, DbError> {
    let mut tx = db.as_user(user).await?;
    tx.execute(sql, params).await
}

/// Runs a statement as `user` and commits it.
async fn exec_commit(
    db: &Database,
    user: Uuid,
    sql: &str,
    params: &[Param<'_>],
) -> Result<u64, DbError> {
    let mut tx = db.as_user(user).await?;
    let n = tx.execute(sql, params).await?;
    tx.commit().await?;
    Ok(n)
}

/// How many of the rows `sql` counts does `user` see.
async fn count(db: &Database, user: Uuid, sql: &str, params: &[Param<'_>]) -> i64 {
    let mut tx = db.as_user(user).await.unwrap();
    tx.query_one(sql, params)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .get(0)
}

/// Does `user` see the row `id` of `t`?
async fn sees(db: &Database, user: Uuid, t: &Table, id: Uuid) -> bool {
    let sql = format!("SELECT count(*) FROM {} WHERE id = $1", t.name);
    count(db, user, &sql, &[&id]).await == 1
}

#[track_caller]
fn assert_denied<T: std::fmt::Debug>(what: &str, result: Result<T, DbError>) {
    match result {
        Err(e) => assert_eq!(e.code(), Some(DENIED), "{what}: expected 42501, got {e:?}"),
        Ok(v) => panic!("{what}: expected 42501, but it succeeded with {v:?}"),
    }
}

#[tokio::test]
async fn a_user_cannot_read_change_delete_or_create_another_users_rows_in_any_table() {
    let (_db, owner, db, users) = setup(&["a@example.com", "b@example.com", "c@example.com"]).await;
    let (a, b, c) = (users[0], users[1], users[2]);
    let rows_a = seed_rows(&owner, a, c).await;
    let rows_b = seed_rows(&owner, b, c).await;

    for t in TABLES {
        let name = t.name;
        let (row_a, row_b) = (rows_a[name], rows_b[name]);
        assert!(
            sees(&db, a, t, row_a).await,
            "{name}: A must see her own row"
        );
        assert!(
            sees(&db, b, t, row_b).await,
            "{name}: B must see his own row"
        );
        assert!(!sees(&db, b, t, row_a).await, "{name}: B reads A's row");

        let update = format!("UPDATE {name} SET {} WHERE id = $1", t.touch);
        if name == "family_access" {
            // Grants are never updated through the request role (no UPDATE privilege at all).
            assert_denied(
                "update family_access",
                exec(&db, b, &update, &[&row_a]).await,
            );
        } else {
            assert_eq!(
                exec(&db, b, &update, &[&row_a]).await.unwrap(),
                0,
                "{name}: B updates A's row"
            );
            assert_eq!(
                exec(&db, b, &update, &[&row_b]).await.unwrap(),
                1,
                "{name}: B updates his own row"
            );
        }

        let delete = format!("DELETE FROM {name} WHERE id = $1");
        assert_eq!(
            exec(&db, b, &delete, &[&row_a]).await.unwrap(),
            0,
            "{name}: B deletes A's row"
        );
        assert_eq!(
            exec(&db, b, &delete, &[&row_b]).await.unwrap(),
            1,
            "{name}: B deletes his own row"
        );

        let a_value = owner_value(t, a, &rows_a);
        let mut tx = db.as_user(b).await.unwrap();
        let inserted = tx.query(t.insert, &insert_params(t, &a_value, &b)).await;
        assert_denied(&format!("{name}: B inserts a row owned by A"), inserted);
        drop(tx);

        // His own row he may re-create (after deleting it: preferences and grants are unique).
        let b_value = owner_value(t, b, &rows_b);
        let mut tx = db.as_user(b).await.unwrap();
        tx.execute(&delete, &[&row_b]).await.unwrap();
        let own = tx.query(t.insert, &insert_params(t, &b_value, &c)).await;
        if name == "users" {
            assert_denied("users: no INSERT for the request role", own);
        } else {
            assert_eq!(
                own.unwrap_or_else(|e| panic!("{name}: B inserts his own row: {e:?}"))
                    .len(),
                1
            );
        }
        drop(tx);

        let moved = format!("UPDATE {name} SET {} = $1 WHERE id = $2", t.owner_col);
        assert_denied(
            &format!("{name}: B moves his row to A"),
            exec(&db, b, &moved, &[&a_value, &row_b]).await,
        );
    }

    // Nothing of A's changed (every write above was refused, or rolled back).
    for t in TABLES {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE id = $1 AND updated_at = created_at",
            t.name
        );
        let n: i64 = owner
            .query_one(&sql, &[&rows_a[t.name]])
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 1, "{}: A's row is gone or was modified", t.name);
    }
}

#[tokio::test]
async fn without_a_user_the_request_role_sees_no_rows_not_even_the_catalog() {
    let (db, owner, database, users) = setup(&["a@example.com", "b@example.com"]).await;
    let (a, b) = (users[0], users[1]);
    seed_rows(&owner, a, b).await;
    seed_rows(&owner, b, a).await;

    for t in TABLES {
        let sql = format!("SELECT count(*) FROM {}", t.name);

        // The request role on a plain connection, app.user_id never set.
        owner
            .batch_execute(&format!("BEGIN; SET LOCAL ROLE {}", db.app_role()))
            .await
            .unwrap();
        let n: i64 = owner.query_one(&sql, &[]).await.unwrap().get(0);
        owner.batch_execute("ROLLBACK").await.unwrap();
        assert_eq!(n, 0, "{}: rows visible without a user", t.name);

        // The app's anonymous transaction (app.user_id = '').
        let mut tx = database.anonymous().await.unwrap();
        let n: i64 = tx.query_one(&sql, &[]).await.unwrap().get(0);
        assert_eq!(n, 0, "{}: rows visible to an anonymous transaction", t.name);
    }

    // Nor can anonymous write anything, catalog rows included.
    let mut tx = database.anonymous().await.unwrap();
    let r = tx
        .execute(
            "INSERT INTO food_items (name) VALUES ('Anonymous food')",
            &[],
        )
        .await;
    assert_denied("anonymous inserts a catalog food", r);
    let mut tx = database.anonymous().await.unwrap();
    let n = tx
        .execute("UPDATE food_items SET name = 'x'", &[])
        .await
        .unwrap();
    assert_eq!(n, 0);

    // With a user, the catalog is there.
    let catalog = "SELECT count(*) FROM food_items WHERE user_id IS NULL";
    assert_eq!(count(&database, a, catalog, &[]).await, 1);
}

#[tokio::test]
async fn the_request_role_never_reads_password_hash_but_login_credentials_returns_it() {
    let (_db, _owner, database, users) = setup(&["a@example.com", "b@example.com"]).await;
    let a = users[0];

    let mut tx = database.as_user(a).await.unwrap();
    let r = tx
        .query("SELECT password_hash FROM users WHERE id = $1", &[&a])
        .await;
    assert_denied("read own password_hash", r);
    let mut tx = database.as_user(a).await.unwrap();
    assert_denied(
        "SELECT * FROM users",
        tx.query("SELECT * FROM users", &[]).await,
    );
    let mut tx = database.as_user(a).await.unwrap();
    let r = tx
        .execute(
            "UPDATE users SET password_hash = 'new' WHERE id = $1",
            &[&a],
        )
        .await;
    assert_denied("update own password_hash", r);

    // What the request role may read and change of its own row.
    let mut tx = database.as_user(a).await.unwrap();
    let row = tx
        .query_one(
            "SELECT id, email, full_name FROM users WHERE id = $1",
            &[&a],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(1), "a@example.com");
    drop(tx);
    let n = exec(
        &database,
        a,
        "UPDATE users SET full_name = 'Alice', email = 'alice@example.com' WHERE id = $1",
        &[&a],
    )
    .await
    .unwrap();
    assert_eq!(n, 1);

    // Login happens before anyone is known: anonymous transaction, SECURITY DEFINER function.
    let mut tx = database.anonymous().await.unwrap();
    let rows = tx
        .query(
            "SELECT user_id, password_hash FROM auth.login_credentials($1)",
            &[&"a@example.com"],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, Uuid>(0), a);
    assert_eq!(rows[0].get::<_, String>(1), "hash-of-a@example.com");
    let rows = tx
        .query(
            "SELECT * FROM auth.login_credentials($1)",
            &[&"nobody@example.com"],
        )
        .await
        .unwrap();
    assert!(rows.is_empty());
    // The function leaves no trace that would widen later statements of the transaction.
    let n: i64 = tx
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn login_credentials_is_not_executable_by_public() {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    for function in [
        "auth.login_credentials(text)",
        "auth.uid()",
        "public.set_updated_at()",
    ] {
        let sql = format!(
            "SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a \
             WHERE p.oid = '{function}'::regprocedure AND a.grantee = 0"
        );
        let n: i64 = owner.query_one(&sql, &[]).await.unwrap().get(0);
        // proacl NULL would mean the default (PUBLIC may execute): it must be set explicitly.
        let acl_set: bool = owner
            .query_one(
                &format!(
                    "SELECT proacl IS NOT NULL FROM pg_proc WHERE oid = '{function}'::regprocedure"
                ),
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(acl_set && n == 0, "{function} is executable by PUBLIC");
    }
    let definer: bool = owner
        .query_one("SELECT prosecdef FROM pg_proc WHERE oid = 'auth.login_credentials(text)'::regprocedure", &[])
        .await
        .unwrap()
        .get(0);
    assert!(definer);
}

#[tokio::test]
async fn each_family_access_type_opens_exactly_its_rows_and_revoking_closes_them_at_once() {
    let (_db, owner, db, users) = setup(&[
        "grantor@example.com",
        "grantee@example.com",
        "other@example.com",
    ])
    .await;
    let (a, b, c) = (users[0], users[1], users[2]);
    let rows_a = seed_rows(&owner, a, c).await;
    let rows_b = seed_rows(&owner, b, c).await;
    let matrix: Vec<&Table> = TABLES
        .iter()
        .filter(|t| t.name != "family_access")
        .collect();

    // No grant yet: B sees nothing of A's.
    for t in &matrix {
        assert!(
            !sees(&db, b, t, rows_a[t.name]).await,
            "{}: visible before any grant",
            t.name
        );
    }

    for (i, access) in ACCESS_TYPES.iter().enumerate() {
        let n = exec_commit(
            &db,
            a,
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) VALUES ($1, $2, $3)",
            &[&a, &b, access],
        )
        .await
        .unwrap();
        assert_eq!(n, 1);

        for t in &matrix {
            let name = t.name;
            let row_a = rows_a[name];
            let reads = grantee_reads(name, access);
            let writes = grantee_writes(name, access);
            let ctx = format!("{access} / {name}");
            assert_eq!(sees(&db, b, t, row_a).await, reads, "{ctx}: read");

            let update = format!("UPDATE {name} SET {} WHERE id = $1", t.touch);
            let n = exec(&db, b, &update, &[&row_a]).await.unwrap();
            assert_eq!(n, writes as u64, "{ctx}: update");

            let delete = format!("DELETE FROM {name} WHERE id = $1");
            let n = exec(&db, b, &delete, &[&row_a]).await.unwrap();
            assert_eq!(n, writes as u64, "{ctx}: delete");

            let a_value = owner_value(t, a, &rows_a);
            let mut tx = db.as_user(b).await.unwrap();
            let inserted = tx.query(t.insert, &insert_params(t, &a_value, &c)).await;
            if writes {
                inserted.unwrap_or_else(|e| panic!("{ctx}: insert: {e:?}"));
            } else {
                assert_denied(&format!("{ctx}: insert"), inserted);
            }
            drop(tx);

            // Grants go one way: A gets nothing of B's except his users row.
            let expected = name == "users";
            assert_eq!(
                sees(&db, a, t, rows_b[name]).await,
                expected,
                "{ctx}: grantor reads grantee"
            );
        }

        // Both sides see the grant.
        let grant = "SELECT count(*) FROM family_access WHERE grantor_user_id = $1 AND grantee_user_id = $2";
        assert_eq!(count(&db, a, grant, &[&a, &b]).await, 1);
        assert_eq!(count(&db, b, grant, &[&a, &b]).await, 1);
        assert_eq!(
            count(&db, c, grant, &[&a, &b]).await,
            0,
            "a third user sees the grant"
        );

        // Revoke: by the owner role, by the grantor, or left by the grantee.
        let revoke =
            "DELETE FROM family_access WHERE grantor_user_id = $1 AND grantee_user_id = $2";
        let n = match i % 3 {
            0 => owner.execute(revoke, &[&a, &b]).await.unwrap(),
            1 => exec_commit(&db, a, revoke, &[&a, &b]).await.unwrap(),
            _ => exec_commit(&db, b, revoke, &[&a, &b]).await.unwrap(),
        };
        assert_eq!(n, 1);
        for t in &matrix {
            assert!(
                !sees(&db, b, t, rows_a[t.name]).await,
                "{access} / {}: visible after revoking",
                t.name
            );
            let update = format!("UPDATE {} SET {} WHERE id = $1", t.name, t.touch);
            assert_eq!(exec(&db, b, &update, &[&rows_a[t.name]]).await.unwrap(), 0);
        }
    }
}

#[tokio::test]
async fn only_the_grantor_creates_grants_and_only_their_two_sides_delete_them() {
    let (_db, _owner, db, users) =
        setup(&["a@example.com", "b@example.com", "c@example.com"]).await;
    let (a, b, c) = (users[0], users[1], users[2]);
    let insert = "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) VALUES ($1, $2, $3)";

    assert_eq!(
        exec_commit(&db, a, insert, &[&a, &b, &"reports"])
            .await
            .unwrap(),
        1
    );

    // The grantee cannot widen, forge or change it.
    assert_denied(
        "grantee grants himself more",
        exec(&db, b, insert, &[&a, &b, &"calorie"]).await,
    );
    assert_denied(
        "grant in a third user's name",
        exec(&db, b, insert, &[&c, &b, &"calorie"]).await,
    );
    assert_denied(
        "grantee updates the grant",
        exec(
            &db,
            b,
            "UPDATE family_access SET access_type = 'calorie' WHERE grantor_user_id = $1",
            &[&a],
        )
        .await,
    );
    assert_denied(
        "grantor updates the grant",
        exec(
            &db,
            a,
            "UPDATE family_access SET access_type = 'calorie' WHERE grantor_user_id = $1",
            &[&a],
        )
        .await,
    );
    let n = exec(
        &db,
        c,
        "DELETE FROM family_access WHERE grantor_user_id = $1",
        &[&a],
    )
    .await
    .unwrap();
    assert_eq!(n, 0, "third user deletes the grant");

    // Nobody grants to themselves, nor grants an unknown access type.
    assert_denied(
        "grant to oneself",
        exec(&db, a, insert, &[&a, &a, &"calorie"]).await,
    );
    let r = exec(&db, a, insert, &[&a, &c, &"everything"]).await;
    assert_eq!(r.unwrap_err().code(), Some("23514"), "unknown access type");

    // The grantee may leave it; the grantor may withdraw one.
    let n = exec_commit(
        &db,
        b,
        "DELETE FROM family_access WHERE grantor_user_id = $1",
        &[&a],
    )
    .await
    .unwrap();
    assert_eq!(n, 1, "grantee leaves the grant");
    exec_commit(&db, a, insert, &[&a, &c, &"reports"])
        .await
        .unwrap();
    let n = exec_commit(
        &db,
        a,
        "DELETE FROM family_access WHERE grantor_user_id = $1",
        &[&a],
    )
    .await
    .unwrap();
    assert_eq!(n, 1, "grantor withdraws the grant");
}

#[tokio::test]
async fn the_shared_catalog_is_readable_by_every_user_and_writable_by_none() {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    let database = db.database().await;
    let (food, nutrition, exercise) = create_catalog(&owner).await;
    let a = create_user(&owner, "a@example.com").await;
    let b = create_user(&owner, "b@example.com").await;

    for user in [a, b] {
        let id: &[Param<'_>] = &[&food];
        assert_eq!(
            count(
                &database,
                user,
                "SELECT count(*) FROM food_items WHERE id = $1",
                id
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &database,
                user,
                "SELECT count(*) FROM nutrition_data WHERE id = $1",
                &[&nutrition]
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &database,
                user,
                "SELECT count(*) FROM exercises WHERE id = $1",
                &[&exercise]
            )
            .await,
            1
        );

        for (sql, id) in [
            ("UPDATE food_items SET name = 'x' WHERE id = $1", food),
            (
                "UPDATE food_items SET user_id = (SELECT auth.uid()) WHERE id = $1",
                food,
            ),
            ("DELETE FROM food_items WHERE id = $1", food),
            (
                "UPDATE nutrition_data SET calories = 1 WHERE id = $1",
                nutrition,
            ),
            ("DELETE FROM nutrition_data WHERE id = $1", nutrition),
            ("UPDATE exercises SET name = 'x' WHERE id = $1", exercise),
            (
                "UPDATE exercises SET user_id = (SELECT auth.uid()) WHERE id = $1",
                exercise,
            ),
            ("DELETE FROM exercises WHERE id = $1", exercise),
        ] {
            assert_eq!(
                exec(&database, user, sql, &[&id]).await.unwrap(),
                0,
                "{sql}"
            );
        }
        assert_denied(
            "insert a catalog food",
            exec(
                &database,
                user,
                "INSERT INTO food_items (name) VALUES ('x')",
                &[],
            )
            .await,
        );
        assert_denied(
            "insert a catalog exercise",
            exec(
                &database,
                user,
                "INSERT INTO exercises (name, user_id) VALUES ('x', NULL)",
                &[],
            )
            .await,
        );
        assert_denied(
            "add nutrition to a catalog food",
            exec(
                &database,
                user,
                "INSERT INTO nutrition_data (food_item_id, serving_size, calories) VALUES ($1, 1, 1)",
                &[&food],
            )
            .await,
        );
    }

    // Users can log catalog items in their own diaries, of course.
    let n = exec(
        &database,
        a,
        "INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at) VALUES ($1, $2, 1, 'piece', 'snack', now())",
        &[&a, &food],
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn diary_rows_may_only_reference_foods_and_exercises_the_writer_can_see() {
    let (_db, owner, db, users) = setup(&["a@example.com", "b@example.com"]).await;
    let (a, b) = (users[0], users[1]);
    let rows_a = seed_rows(&owner, a, b).await;

    let food_sql = "INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at) VALUES ($1, $2, 1, 'g', 'lunch', now())";
    assert_denied(
        "log A's private food",
        exec(&db, b, food_sql, &[&b, &rows_a["food_items"]]).await,
    );
    let exercise_sql =
        "INSERT INTO exercise_diary (user_id, exercise_id, performed_at) VALUES ($1, $2, now())";
    assert_denied(
        "log A's private exercise",
        exec(&db, b, exercise_sql, &[&b, &rows_a["exercises"]]).await,
    );
    // A herself can.
    assert_eq!(
        exec(&db, a, food_sql, &[&a, &rows_a["food_items"]])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        exec(&db, a, exercise_sql, &[&a, &rows_a["exercises"]])
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn updated_at_moves_forward_on_every_table_and_created_at_stays() {
    let (_db, owner, database, users) = setup(&["a@example.com", "b@example.com"]).await;
    let (a, b) = (users[0], users[1]);
    let rows = seed_rows(&owner, a, b).await;

    // Every table with an updated_at column has the trigger.
    let missing: Vec<String> = owner
        .query(
            "SELECT c.relname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' \
             JOIN pg_attribute att ON att.attrelid = c.oid AND att.attname = 'updated_at' AND NOT att.attisdropped \
             WHERE c.relkind = 'r' AND NOT EXISTS ( \
                 SELECT 1 FROM pg_trigger tg WHERE tg.tgrelid = c.oid \
                 AND tg.tgfoid = 'public.set_updated_at()'::regprocedure)",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        missing.is_empty(),
        "tables without the updated_at trigger: {missing:?}"
    );

    for t in TABLES {
        let before = owner
            .query_one(
                &format!(
                    "SELECT created_at, updated_at FROM {} WHERE id = $1",
                    t.name
                ),
                &[&rows[t.name]],
            )
            .await
            .unwrap();
        let (created, updated): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
            (before.get(0), before.get(1));
        // Even an explicit value is overridden: updated_at is the time of the change.
        let after = owner
            .query_one(
                &format!(
                    "UPDATE {} SET updated_at = '2000-01-01' WHERE id = $1 RETURNING created_at, updated_at",
                    t.name
                ),
                &[&rows[t.name]],
            )
            .await
            .unwrap();
        let (created2, updated2): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
            (after.get(0), after.get(1));
        assert_eq!(created2, created, "{}: created_at changed", t.name);
        assert!(
            updated2 > updated,
            "{}: updated_at did not move forward",
            t.name
        );
    }

    // It also fires for the request role (which has no EXECUTE on the function).
    let goal = rows["goals"];
    let old: chrono::DateTime<chrono::Utc> = owner
        .query_one("SELECT updated_at FROM goals WHERE id = $1", &[&goal])
        .await
        .unwrap()
        .get(0);
    let mut tx = database.as_user(a).await.unwrap();
    let new: chrono::DateTime<chrono::Utc> = tx
        .query_one(
            "UPDATE goals SET status = 'paused' WHERE id = $1 RETURNING updated_at",
            &[&goal],
        )
        .await
        .unwrap()
        .get(0);
    assert!(new > old);
}

#[tokio::test]
async fn the_request_role_owns_nothing_and_cannot_bypass_rls() {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    let role = db.app_role();

    let row = owner
        .query_one("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .unwrap();
    for i in 0..4 {
        assert!(!row.get::<_, bool>(i), "request role attribute {i} is set");
    }

    let owned: i64 = owner
        .query_one(
            "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid) \
                  + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid) \
                  + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) \
                  + (SELECT count(*) FROM pg_type WHERE typowner = r.oid) \
             FROM pg_roles r WHERE r.rolname = $1",
            &[&role],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(owned, 0, "the request role owns objects");

    // Member of no role that could lend it ownership or BYPASSRLS.
    let memberships: i64 = owner
        .query_one(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1",
            &[&role],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        memberships, 0,
        "the request role is a member of other roles"
    );

    for t in TABLES {
        let flags = owner
            .query_one(
                "SELECT relrowsecurity, relforcerowsecurity, \
                        has_table_privilege($2, c.oid, 'TRUNCATE'), \
                        has_table_privilege($2, c.oid, 'REFERENCES'), \
                        has_table_privilege($2, c.oid, 'TRIGGER') \
                 FROM pg_class c WHERE c.oid = $1::text::regclass",
                &[&t.name, &role],
            )
            .await
            .unwrap();
        assert!(flags.get::<_, bool>(0), "{}: RLS not enabled", t.name);
        assert!(flags.get::<_, bool>(1), "{}: RLS not forced", t.name);
        for i in 2..5 {
            assert!(!flags.get::<_, bool>(i), "{}: extra privilege {i}", t.name);
        }
    }

    let any_on_migrations: bool = owner
        .query_one(
            "SELECT has_table_privilege($1, 'migrations', 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')",
            &[&role],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        !any_on_migrations,
        "the request role has privileges on migrations"
    );

    // Every user table is covered by policies, and each policy evaluates auth.uid() once
    // per statement: `(SELECT auth.uid())`, never a bare per-row call.
    let policies = owner
        .query(
            "SELECT tablename::text, policyname::text, coalesce(qual, '') || ' ' || coalesce(with_check, '') \
             FROM pg_policies WHERE schemaname = 'public'",
            &[],
        )
        .await
        .unwrap();
    let mut tables_with_policies = std::collections::HashSet::new();
    for p in &policies {
        let (table, name, text): (String, String, String) = (p.get(0), p.get(1), p.get(2));
        let bare = text.replace("SELECT auth.uid() AS uid", "");
        assert!(
            !bare.contains("auth.uid()"),
            "{table}.{name} calls auth.uid() per row: {text}"
        );
        tables_with_policies.insert(table);
    }
    for t in TABLES {
        assert!(
            tables_with_policies.contains(t.name),
            "{} has no policies",
            t.name
        );
    }
}

#[tokio::test]
async fn every_policy_column_is_indexed() {
    let db = TestDb::new().await;
    let owner = db.owner_client().await;
    // (table, leading index column(s)) that the policies and the family subqueries filter on.
    let needed = [
        ("user_preferences", "user_id"),
        ("food_items", "user_id"),
        ("nutrition_data", "food_item_id"),
        ("food_diary", "user_id"),
        ("exercises", "user_id"),
        ("exercise_diary", "user_id"),
        ("measurements", "user_id"),
        ("goals", "user_id"),
        ("meal_plan_templates", "user_id"),
        ("meal_plans", "user_id"),
        ("chat_conversations", "user_id"),
        ("chat_messages", "user_id"),
        ("chat_messages", "conversation_id"),
        ("assistant_actions", "user_id"),
        ("assistant_requests", "user_id"),
        ("health_data_records", "user_id"),
        ("import_records", "user_id"),
        ("family_access", "grantor_user_id"),
        ("family_access", "grantee_user_id"),
    ];
    for (table, column) in needed {
        let n: i64 = owner
            .query_one(
                "SELECT count(*) FROM pg_index i \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
                 WHERE i.indrelid = $1::text::regclass AND a.attname = $2 AND i.indisvalid",
                &[&table, &column],
            )
            .await
            .unwrap()
            .get(0);
        assert!(n > 0, "no valid index leads with {table}.{column}");
    }
    for name in [
        "idx_food_diary_user_date",
        "idx_measurements_user_type",
        "idx_meal_plans_user_date",
    ] {
        let n: i64 = owner
            .query_one(
                "SELECT count(*) FROM pg_indexes WHERE indexname = $1",
                &[&name],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 1, "{name} is missing");
    }
}

/// diary_day_totals and measurement_day_totals are derived data: readable exactly where their
/// sources are (the diaries: own, 'calorie' and 'reports' grantors; measurements: own,
/// 'checkin' and 'reports'), written only by their triggers, also when the request role writes
/// the sources.
#[tokio::test]
async fn day_totals_follow_their_sources_policies_and_only_triggers_write_them() {
    let (_db, owner, database, users) =
        setup(&["a@example.com", "b@example.com", "c@example.com"]).await;
    let (a, b, c) = (users[0], users[1], users[2]);
    let add = "INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at, entry_date, calories)
               VALUES ($1, (SELECT id FROM food_items WHERE user_id IS NULL ORDER BY name LIMIT 1), 100, 'g', 'lunch',
                       '2026-05-01 12:00+00', '2026-05-01', 250)";
    exec_commit(&database, a, add, &[&a]).await.unwrap();
    exec_commit(&database, a, add, &[&a]).await.unwrap();
    let totals = "SELECT count(*) FROM diary_day_totals WHERE user_id = $1 AND entries = 2 AND calories = 500";
    exec_commit(
        &database,
        a,
        "INSERT INTO measurements (user_id, type, value, unit, measured_at) VALUES ($1, 'water', 250, 'ml', '2026-05-01 08:00+00')",
        &[&a],
    )
    .await
    .unwrap();
    let water = "SELECT count(*) FROM measurement_day_totals WHERE user_id = $1 AND water_ml = 250";
    assert_eq!(count(&database, a, water, &[&a]).await, 1, "own water");
    assert_eq!(
        count(&database, b, water, &[&a]).await,
        0,
        "a stranger's water"
    );
    assert_eq!(count(&database, a, totals, &[&a]).await, 1, "own totals");
    assert_eq!(count(&database, b, totals, &[&a]).await, 0, "a stranger");
    owner
        .execute(
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) VALUES ($1, $2, 'reports'), ($1, $3, 'checkin')",
            &[&a, &b, &c],
        )
        .await
        .unwrap();
    assert_eq!(
        count(&database, b, totals, &[&a]).await,
        1,
        "a 'reports' grantee"
    );
    assert_eq!(
        count(&database, c, totals, &[&a]).await,
        0,
        "a 'checkin' grantee"
    );
    let recent = "SELECT count(*) FROM recent_foods WHERE user_id = $1";
    assert_eq!(
        count(&database, a, recent, &[&a]).await,
        1,
        "own recent foods"
    );
    assert_eq!(
        count(&database, b, recent, &[&a]).await,
        1,
        "recent foods for 'reports'"
    );
    assert_eq!(
        count(&database, c, recent, &[&a]).await,
        0,
        "none for 'checkin'"
    );

    // Nobody writes totals directly, not even for themselves.
    assert_denied(
        "insert",
        exec(
            &database,
            b,
            "INSERT INTO diary_day_totals (user_id, entry_date, entries, workouts, calories) VALUES ($1, '2026-05-02', 1, 0, 1)",
            &[&b],
        )
        .await,
    );
    assert_denied(
        "update",
        exec(
            &database,
            a,
            "UPDATE diary_day_totals SET calories = 0",
            &[],
        )
        .await,
    );
    assert_denied(
        "delete",
        exec(&database, a, "DELETE FROM measurement_day_totals", &[]).await,
    );

    // Deleting the day's entries removes the day.
    exec_commit(
        &database,
        a,
        "DELETE FROM food_diary WHERE user_id = $1",
        &[&a],
    )
    .await
    .unwrap();
    let any = "SELECT count(*) FROM diary_day_totals WHERE user_id = $1";
    assert_eq!(count(&database, a, any, &[&a]).await, 0);
}

/// goal_target_history is derived from goals by a trigger: readable where the daily targets
/// are (own, 'calorie' and 'reports' grantors), written only by the trigger, also when the
/// request role changes goals; a goal that stops being active leaves no target from that
/// day; deleting an account with goals still works.
#[tokio::test]
async fn target_history_follows_goals_and_only_its_trigger_writes_it() {
    let (_db, owner, database, users) =
        setup(&["a@example.com", "b@example.com", "c@example.com"]).await;
    let (a, b, c) = (users[0], users[1], users[2]);
    exec_commit(
        &database,
        a,
        "INSERT INTO goals (user_id, type, target_value, status) VALUES ($1, 'calorie_target', 2000, 'active')",
        &[&a],
    )
    .await
    .unwrap();
    let today = "SELECT count(*) FROM goal_target_history WHERE user_id = $1
                 AND type = 'calorie_target' AND valid_from = CURRENT_DATE AND target_value = $2::int";
    assert_eq!(count(&database, a, today, &[&a, &2000]).await, 1, "own");
    assert_eq!(
        count(&database, b, today, &[&a, &2000]).await,
        0,
        "a stranger"
    );
    owner
        .execute(
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type) VALUES ($1, $2, 'calorie'), ($1, $3, 'checkin')",
            &[&a, &b, &c],
        )
        .await
        .unwrap();
    assert_eq!(
        count(&database, b, today, &[&a, &2000]).await,
        1,
        "'calorie'"
    );
    assert_eq!(
        count(&database, c, today, &[&a, &2000]).await,
        0,
        "'checkin'"
    );

    // A change the same day replaces that day's target; pausing leaves none from today.
    exec_commit(
        &database,
        a,
        "UPDATE goals SET target_value = 1800 WHERE user_id = $1",
        &[&a],
    )
    .await
    .unwrap();
    assert_eq!(count(&database, a, today, &[&a, &1800]).await, 1);
    exec_commit(
        &database,
        a,
        "UPDATE goals SET status = 'paused' WHERE user_id = $1",
        &[&a],
    )
    .await
    .unwrap();
    let none = "SELECT count(*) FROM goal_target_history WHERE user_id = $1
                AND valid_from = CURRENT_DATE AND target_value IS NULL";
    assert_eq!(count(&database, a, none, &[&a]).await, 1);
    let rows = "SELECT count(*) FROM goal_target_history WHERE user_id = $1";
    assert_eq!(count(&database, a, rows, &[&a]).await, 1, "one row a day");

    // Nobody writes it directly, not even for themselves.
    assert_denied(
        "insert",
        exec(
            &database,
            a,
            "INSERT INTO goal_target_history (user_id, type, valid_from, target_value) VALUES ($1, 'calorie_target', '2026-01-01', 1)",
            &[&a],
        )
        .await,
    );
    assert_denied(
        "update",
        exec(
            &database,
            a,
            "UPDATE goal_target_history SET target_value = 1",
            &[],
        )
        .await,
    );
    assert_denied(
        "delete",
        exec(&database, a, "DELETE FROM goal_target_history", &[]).await,
    );
    // The archive import's function writes the caller's own rows only, whatever the rows
    // say; without an acting user it refuses.
    exec_commit(
        &database,
        b,
        "SELECT goal_target_history_import($1::text::jsonb)",
        &[&format!(
            r#"[{{"user_id": "{a}", "type": "calorie_target", "valid_from": "2026-01-01",
                 "target_value": "1"}}]"#
        )],
    )
    .await
    .unwrap();
    let of = |u: uuid::Uuid| {
        let owner = &owner;
        async move {
            owner
                .query_one(
                    "SELECT count(*) FROM goal_target_history WHERE user_id = $1 AND valid_from = '2026-01-01'",
                    &[&u],
                )
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    assert_eq!((of(a).await, of(b).await), (0, 1), "the caller's, not a's");
    let mut tx = database.anonymous().await.unwrap();
    let anonymous = tx
        .execute("SELECT goal_target_history_import('[]')", &[])
        .await;
    assert!(anonymous.is_err(), "no acting user");

    // An account with an active target goes with its goals and history.
    exec_commit(
        &database,
        a,
        "UPDATE goals SET status = 'active' WHERE user_id = $1",
        &[&a],
    )
    .await
    .unwrap();
    owner
        .execute("DELETE FROM users WHERE id = $1", &[&a])
        .await
        .unwrap();
    let left: i64 = owner
        .query_one(
            "SELECT count(*) FROM goal_target_history WHERE user_id = $1",
            &[&a],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}
