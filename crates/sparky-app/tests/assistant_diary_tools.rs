//! The assistant's tools that change a diary as a whole: copying a meal or a day, deleting an
//! entry, applying a meal plan; each undone by asking, each held to row level security.

use serde_json::{json, Value};
use sparky_app::assistant::tools::{call as tool, ToolOutput};
use sparky_app::error::AppError;
use sparky_db::{Database, UserTx};
use sparky_testkit::TestDb;
use uuid::Uuid;

mod common;
use common::{foods, user};

async fn call(tx: &mut UserTx, name: &str, args: Value) -> Result<ToolOutput, AppError> {
    tool(tx, &Default::default(), name, args).await
}

async fn grant(db: &Database, grantor: Uuid, grantee: Uuid, access: &str) {
    db.as_user(grantor)
        .await
        .unwrap()
        .query_and_commit(
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type)
             VALUES ($1, $2, $3)",
            &[&grantor, &grantee, &access],
        )
        .await
        .unwrap();
}

/// (entries, kcal) of one day of someone's diary, read as them.
async fn day(db: &Database, who: Uuid, date: &str) -> (i64, f64) {
    let row = &db
        .as_user(who)
        .await
        .unwrap()
        .query_and_commit(
            "SELECT count(*), coalesce(sum(calories), 0)::float8 FROM food_diary
             WHERE user_id = $1 AND entry_date = $2::text::date",
            &[&who, &date],
        )
        .await
        .unwrap()[0];
    (row.get(0), row.get(1))
}

async fn log(tx: &mut UserTx, food: Uuid, quantity: u32, meal: &str, date: &str) -> Uuid {
    let out = call(
        tx,
        "log_food",
        json!({"food_id": food, "quantity": quantity, "unit": "serving", "meal": meal, "date": date}),
    )
    .await
    .unwrap();
    out.result["logged"]["entry_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn field_of(e: &AppError) -> String {
    e.to_string()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_meal_or_a_day_is_copied_and_the_copy_undone() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let (egg, toast) = foods(&db, ann).await;
    let mut tx = db.as_user(ann).await.unwrap();
    log(&mut tx, egg, 2, "breakfast", "2026-07-06").await;
    log(&mut tx, toast, 1, "breakfast", "2026-07-06").await;
    call(
        &mut tx,
        "quick_add",
        json!({"name": "Soup", "meal": "dinner", "calories": 300, "date": "2026-07-06"}),
    )
    .await
    .unwrap();

    // Breakfast only: two eggs (144 kcal) and a slice (80 kcal).
    let out = call(
        &mut tx,
        "copy_meal",
        json!({"from_date": "2026-07-06", "to_date": "2026-07-07", "meal": "breakfast"}),
    )
    .await
    .unwrap();
    let card = out.card.expect("a card");
    assert_eq!(
        card.title,
        "Copied the breakfast of 2026-07-06 to 2026-07-07"
    );
    assert_eq!(card.lines.len(), 2, "{:?}", card.lines);
    assert_eq!(out.result["copied"].as_array().unwrap().len(), 2);
    // The whole day.
    let out = call(
        &mut tx,
        "copy_meal",
        json!({"from_date": "2026-07-06", "to_date": "2026-07-08"}),
    )
    .await
    .unwrap();
    assert_eq!(out.card.unwrap().lines.len(), 3);
    tx.commit().await.unwrap();
    assert_eq!(day(&db, ann, "2026-07-07").await, (2, 224.0));
    assert_eq!(day(&db, ann, "2026-07-08").await, (3, 524.0));

    // Refusals name the argument, and write nothing.
    let mut tx = db.as_user(ann).await.unwrap();
    for (args, field) in [
        (
            json!({"from_date": "2026-07-01", "to_date": "2026-07-09"}),
            "from_date",
        ),
        (
            json!({"from_date": "2026-07-06", "to_date": "2026-07-06"}),
            "to_date",
        ),
        (json!({"from_date": "2026-07-06", "meal": "brunch"}), "meal"),
        (json!({"from_date": "soon"}), "from_date"),
        (
            json!({"from_date": "2026-07-06", "to_date": "9999-01-01"}),
            "to_date",
        ),
        (json!({"to_date": "2026-07-09"}), "from_date"),
    ] {
        let e = call(&mut tx, "copy_meal", args.clone()).await.unwrap_err();
        assert_eq!(field_of(&e), field, "{args}: {e}");
    }
    let e = call(
        &mut tx,
        "copy_meal",
        json!({"from_date": "2026-07-01", "to_date": "2026-07-09"}),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("nothing to copy"), "{e}");

    // Undo takes back the newest copy: the whole day.
    let undone = call(&mut tx, "undo_last_action", json!({})).await.unwrap();
    assert_eq!(undone.result["already_removed"], false, "{}", undone.result);
    tx.commit().await.unwrap();
    assert_eq!(day(&db, ann, "2026-07-08").await, (0, 0.0));
    assert_eq!(day(&db, ann, "2026-07-07").await, (2, 224.0));

    // Bob cannot copy from Ann's diary until she shares it; then her dinner lands in his.
    let mut tx = db.as_user(bob).await.unwrap();
    let copy_dinner = json!({"from_date": "2026-07-06", "to_date": "2026-07-06", "meal": "dinner", "from_user_id": ann});
    let e = call(&mut tx, "copy_meal", copy_dinner.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e}");
    // Nor write into her diary.
    let e = call(
        &mut tx,
        "copy_meal",
        json!({"from_date": "2026-07-06", "to_date": "2026-07-10", "user_id": ann}),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e}");
    drop(tx);
    assert_eq!(day(&db, ann, "2026-07-10").await, (0, 0.0));
    grant(&db, ann, bob, "reports").await;
    let mut tx = db.as_user(bob).await.unwrap();
    let out = call(&mut tx, "copy_meal", copy_dinner).await.unwrap();
    assert_eq!(out.card.unwrap().user_id, bob);
    // Reading her diary does not let him write it.
    let e = call(
        &mut tx,
        "copy_meal",
        json!({"from_date": "2026-07-06", "to_date": "2026-07-10", "user_id": ann}),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e}");
    tx.rollback().await.unwrap();
    let mut tx = db.as_user(bob).await.unwrap();
    call(
        &mut tx,
        "copy_meal",
        json!({"from_date": "2026-07-06", "to_date": "2026-07-06", "meal": "dinner", "from_user_id": ann}),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(day(&db, bob, "2026-07-06").await, (1, 300.0));
    assert_eq!(day(&db, ann, "2026-07-10").await, (0, 0.0));
}

#[tokio::test]
async fn a_deleted_entry_is_put_back_by_undo() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let (egg, _) = foods(&db, ann).await;
    let mut tx = db.as_user(ann).await.unwrap();
    let id = log(&mut tx, egg, 2, "breakfast", "2026-07-06").await;
    tx.commit().await.unwrap();

    // Bob: not found without a share, refused with a read-only one.
    let mut tx = db.as_user(bob).await.unwrap();
    let e = call(&mut tx, "delete_entry", json!({"entry_id": id}))
        .await
        .unwrap_err();
    assert_eq!(field_of(&e), "entry_id", "{e}");
    drop(tx);
    grant(&db, ann, bob, "reports").await;
    let mut tx = db.as_user(bob).await.unwrap();
    let e = call(&mut tx, "delete_entry", json!({"entry_id": id}))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e}");
    drop(tx);
    assert_eq!(day(&db, ann, "2026-07-06").await, (1, 144.0));

    let mut tx = db.as_user(ann).await.unwrap();
    for bad in [
        json!({}),
        json!({"entry_id": "x"}),
        json!({"entry_id": Uuid::new_v4()}),
    ] {
        let e = call(&mut tx, "delete_entry", bad.clone())
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "entry_id", "{bad}: {e}");
    }
    let out = call(&mut tx, "delete_entry", json!({"entry_id": id}))
        .await
        .unwrap();
    let card = out.card.expect("a card");
    assert_eq!(card.title, "Deleted from breakfast on 2026-07-06");
    assert_eq!(card.lines, ["Egg — 2 × 1 large (50 g): 144 kcal"]);
    tx.commit().await.unwrap();
    assert_eq!(day(&db, ann, "2026-07-06").await, (0, 0.0));

    // Undo puts it back with its id.
    let mut tx = db.as_user(ann).await.unwrap();
    let undone = call(&mut tx, "undo_last_action", json!({})).await.unwrap();
    assert_eq!(undone.result["already_removed"], false, "{}", undone.result);
    let back: i64 = tx
        .query_one("SELECT count(*) FROM food_diary WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(back, 1);
    tx.commit().await.unwrap();
    assert_eq!(day(&db, ann, "2026-07-06").await, (1, 144.0));
    let owner = test.owner_client().await;
    let totals: i64 = owner
        .query_one(
            "SELECT entries::bigint FROM diary_day_totals WHERE user_id = $1 AND entry_date = '2026-07-06'",
            &[&ann],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(totals, 1);
    // The next undo is the logging before it; then nothing is left.
    let mut tx = db.as_user(ann).await.unwrap();
    let undone = call(&mut tx, "undo_last_action", json!({})).await.unwrap();
    assert_eq!(
        undone.card.unwrap().title,
        "Undone: Logged to breakfast on 2026-07-06"
    );
    let e = call(&mut tx, "undo_last_action", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e}");
    tx.commit().await.unwrap();
    assert_eq!(day(&db, ann, "2026-07-06").await, (0, 0.0));
}

#[tokio::test]
async fn a_meal_plan_is_applied_once_and_undone() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let (egg, _) = foods(&db, ann).await;
    let mut tx = db.as_user(ann).await.unwrap();
    let e = call(&mut tx, "apply_meal_plan", json!({}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("there is no meal plan yet"), "{e}");
    let t: sparky_app::meal_plans::TemplateInput =
        serde_json::from_value(json!({"name": "Egg week", "is_active": true})).unwrap();
    let t = sparky_app::meal_plans::create_template(&mut tx, &t.parse().unwrap())
        .await
        .unwrap();
    let item: sparky_app::meal_plans::ItemInput = serde_json::from_value(
        json!({"food_item_id": egg, "quantity": 2, "unit": "serving", "meal_type": "breakfast"}),
    )
    .unwrap();
    sparky_app::meal_plans::add_item(&mut tx, t.id, &item.parse().unwrap())
        .await
        .unwrap();

    let week = json!({"from": "2026-07-06", "to": "2026-07-08"});
    let out = call(&mut tx, "apply_meal_plan", week.clone())
        .await
        .unwrap();
    let card = out.card.expect("a card");
    assert_eq!(card.title, "Applied Egg week to 2026-07-06 – 2026-07-08");
    assert_eq!(card.lines[0], "2026-07-06: 1 entry, 144 kcal");
    assert_eq!(out.result["applied"].as_array().unwrap().len(), 3);
    // Again: nothing written, no card to undo.
    let again = call(&mut tx, "apply_meal_plan", week.clone())
        .await
        .unwrap();
    assert!(again.card.is_none());
    assert_eq!(again.result["already_applied"].as_array().unwrap().len(), 3);
    // Refusals name the argument.
    for (args, field) in [
        (json!({"plan": "soup"}), "plan"),
        (json!({"from": "2026-07-01", "to": "2026-09-01"}), "to"),
        (json!({"from": "2026-07-09", "to": "2026-07-01"}), "to"),
        (json!({"from": "soon"}), "from"),
        (
            json!({"from": "2026-07-06", "until": "2026-07-07"}),
            "arguments",
        ),
    ] {
        let e = call(&mut tx, "apply_meal_plan", args.clone())
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), field, "{args}: {e}");
    }
    tx.commit().await.unwrap();
    for d in ["2026-07-06", "2026-07-07", "2026-07-08"] {
        assert_eq!(day(&db, ann, d).await, (1, 144.0), "{d}");
    }

    // Bob cannot put it into her diary, nor undo her action.
    let mut tx = db.as_user(bob).await.unwrap();
    let e = call(
        &mut tx,
        "apply_meal_plan",
        json!({"plan": "Egg week", "from": "2026-07-09", "user_id": ann}),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(&e), "plan", "{e}");
    let e = call(&mut tx, "undo_last_action", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e}");
    drop(tx);

    // Undo takes the plan off the three days; they can be applied again.
    let mut tx = db.as_user(ann).await.unwrap();
    let undone = call(&mut tx, "undo_last_action", json!({})).await.unwrap();
    assert_eq!(undone.result["already_removed"], false, "{}", undone.result);
    tx.commit().await.unwrap();
    for d in ["2026-07-06", "2026-07-07", "2026-07-08"] {
        assert_eq!(day(&db, ann, d).await, (0, 0.0), "{d}");
    }
    let plans: i64 = test
        .owner_client()
        .await
        .query_one(
            "SELECT count(*) FROM meal_plans WHERE user_id = $1",
            &[&ann],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(plans, 0);
    let mut tx = db.as_user(ann).await.unwrap();
    let out = call(
        &mut tx,
        "apply_meal_plan",
        json!({"plan": "egg", "from": "2026-07-07"}),
    )
    .await
    .unwrap();
    assert_eq!(out.result["applied"].as_array().unwrap().len(), 1);
    tx.commit().await.unwrap();
    assert_eq!(day(&db, ann, "2026-07-07").await, (1, 144.0));
    grant(&db, ann, bob, "calorie").await;
    // With her diary shared for writing, Bob applies his own plan there (he has none).
    let mut tx = db.as_user(bob).await.unwrap();
    let e = call(&mut tx, "apply_meal_plan", json!({"user_id": ann}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("there is no meal plan yet"), "{e}");
}

#[tokio::test]
async fn a_days_workouts_are_copied_and_the_copy_undone() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    call(
        &mut tx,
        "log_exercise",
        json!({"exercise": "running", "duration_minutes": 30, "distance": 5,
               "distance_unit": "km", "date": "2026-07-06"}),
    )
    .await
    .unwrap();
    let e = call(
        &mut tx,
        "copy_workouts",
        json!({"from_date": "2026-07-01", "to_date": "2026-07-07"}),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("nothing to copy"), "{e}");
    let out = call(
        &mut tx,
        "copy_workouts",
        json!({"from_date": "2026-07-06", "to_date": "2026-07-07"}),
    )
    .await
    .unwrap();
    let card = out.card.expect("a card");
    assert_eq!(
        card.title,
        "Copied the workouts of 2026-07-06 to 2026-07-07"
    );
    assert!(card.lines[0].contains("30 min, 5 km"), "{:?}", card.lines);
    let count = async |tx: &mut UserTx| -> i64 {
        tx.query_one(
            "SELECT count(*) FROM exercise_diary WHERE entry_date = '2026-07-07'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    };
    assert_eq!(count(&mut tx).await, 1);
    let undone = call(&mut tx, "undo_last_action", json!({})).await.unwrap();
    assert_eq!(undone.result["already_removed"], false, "{}", undone.result);
    assert_eq!(count(&mut tx).await, 0);
}
