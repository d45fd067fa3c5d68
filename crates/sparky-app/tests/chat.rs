//! Conversations and messages under RLS: list, rename, delete, clear, and nobody else's.

use sparky_app::chat::{self, ChatRole, NewMessage, RenameInput};
use sparky_app::{AppError, LimitBounds, PageRequest};
use sparky_db::Database;
use sparky_testkit::TestDb;
use uuid::Uuid;

async fn user(db: &Database, email: &str) -> Uuid {
    let tx = db.anonymous().await.unwrap();
    let rows = tx
        .query_and_commit(
            "SELECT user_id FROM auth.register_user($1, $2, $3, true)",
            &[&email, &"not-a-real-hash", &"Someone"],
        )
        .await
        .unwrap();
    rows[0].get(0)
}

fn page() -> PageRequest {
    PageRequest::parse(None, None, LimitBounds::new(20, 100)).unwrap()
}

#[tokio::test]
async fn conversations_are_private_and_can_be_renamed_deleted_and_cleared() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let bob = user(&db, "bob@example.com").await;

    let mut tx = db.as_user(ann).await.unwrap();
    let first = chat::create(&mut tx, "Breakfast").await.unwrap();
    let second = chat::create(&mut tx, "Protein").await.unwrap();
    // Using a conversation moves it to the top; a later transaction has a later now(), as
    // every message of a real chat has.
    tx.commit().await.unwrap();
    let mut tx = db.as_user(ann).await.unwrap();
    chat::append(
        &mut tx,
        first.id,
        &NewMessage {
            role: Some(ChatRole::User),
            content: "I had 2 eggs".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    chat::append(
        &mut tx,
        first.id,
        &NewMessage {
            role: Some(ChatRole::Assistant),
            content: "Logged.".into(),
            provider: Some("openai".into()),
            model: Some("gpt-x".into()),
            tokens_in: Some(120),
            tokens_out: Some(8),
            latency_ms: Some(900),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // Bob sees none of it, cannot read, rename, delete or write into Ann's conversation.
    let mut tx = db.as_user(bob).await.unwrap();
    assert!(chat::list(&mut tx, &page()).await.unwrap().items.is_empty());
    assert!(matches!(
        chat::with_messages(&mut tx, first.id).await,
        Err(AppError::NotFound(_))
    ));
    let n: i64 = tx
        .query_one("SELECT count(*) FROM chat_messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "Bob sees none of Ann's messages");
    assert!(matches!(
        chat::rename(
            &mut tx,
            first.id,
            RenameInput {
                title: "mine".into()
            }
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        chat::delete(&mut tx, first.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        chat::append(
            &mut tx,
            first.id,
            &NewMessage {
                content: "sneaky".into(),
                ..Default::default()
            }
        )
        .await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(chat::clear(&mut tx).await.unwrap(), 0);
    // Not even with a hand-written insert naming Ann's conversation.
    let err = tx
        .execute(
            "INSERT INTO chat_messages (conversation_id, user_id, role, content) VALUES ($1, auth.uid(), 'user', 'x')",
            &[&first.id],
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("42501"), "{err:?}");
    drop(tx);

    // Ann: most recently used first, messages with their details, rename, delete, clear.
    let mut tx = db.as_user(ann).await.unwrap();
    let list = chat::list(&mut tx, &page()).await.unwrap();
    let ids: Vec<Uuid> = list.items.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![first.id, second.id]);
    let full = chat::with_messages(&mut tx, first.id).await.unwrap();
    assert_eq!(full.messages.len(), 2);
    assert_eq!(full.messages[1].tokens_out, Some(8));
    assert_eq!(full.messages[1].model.as_deref(), Some("gpt-x"));
    let renamed = chat::rename(
        &mut tx,
        second.id,
        RenameInput {
            title: "  Protein   ideas ".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(renamed.title, "Protein ideas");
    assert!(matches!(
        chat::rename(&mut tx, second.id, RenameInput { title: " ".into() }).await,
        Err(AppError::Invalid(_))
    ));
    chat::delete(&mut tx, second.id).await.unwrap();
    assert_eq!(chat::list(&mut tx, &page()).await.unwrap().items.len(), 1);
    assert_eq!(chat::clear(&mut tx).await.unwrap(), 1);
    let n: i64 = tx
        .query_one("SELECT count(*) FROM chat_messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "clearing removes the messages too");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn context_is_rebuilt_from_history() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let c = chat::create(&mut tx, "x").await.unwrap();
    let photo = sparky_ai::ImageData::from_bytes("image/jpeg", &[1, 2, 3]);
    for (role, text, images, calls, call_id) in [
        (
            ChatRole::User,
            "what is this",
            chat::images_value(std::slice::from_ref(&photo)),
            None,
            None,
        ),
        (
            ChatRole::Assistant,
            "",
            None,
            Some(serde_json::json!([{"id": "c1", "name": "read_day", "arguments": "{}"}])),
            None,
        ),
        (
            ChatRole::Tool,
            "{\"ok\":true}",
            None,
            None,
            Some("c1".to_string()),
        ),
        (ChatRole::Assistant, "A banana.", None, None, None),
        (
            ChatRole::User,
            "and this?",
            chat::images_value(&[photo]),
            None,
            None,
        ),
    ] {
        chat::append(
            &mut tx,
            c.id,
            &NewMessage {
                role: Some(role),
                content: text.into(),
                images,
                tool_calls: calls,
                tool_call_id: call_id,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let ctx = chat::context(&mut tx, c.id, 100_000).await.unwrap();
    assert_eq!(ctx.len(), 5);
    assert!(!ctx[0].has_images(), "the old photo is dropped");
    assert!(ctx[4].has_images(), "the newest photo is kept");
    assert!(
        matches!(&ctx[1], sparky_ai::Message::Assistant { tool_calls, .. } if tool_calls[0].name == "read_day")
    );
    assert!(matches!(&ctx[2], sparky_ai::Message::Tool(r) if r.tool_call_id == "c1"));
}

/// A database error the application does not expect is an internal error whose text (for
/// the log) has PostgreSQL's code and words, not tokio-postgres's bare "db error".
#[tokio::test]
async fn an_unexpected_database_error_keeps_postgresqls_words() {
    let test = TestDb::new().await;
    let db = test.database().await;
    let ann = user(&db, "ann@example.com").await;
    let mut tx = db.as_user(ann).await.unwrap();
    let err = tx.query("SELECT 1 / 0", &[]).await.unwrap_err();
    match AppError::from(err) {
        AppError::Internal(text) => {
            assert!(text.contains("22012"), "{text}");
            assert!(text.contains("division by zero"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}
