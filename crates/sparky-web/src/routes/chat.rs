//! `/api/v1/chat`: the assistant (see `sparky_app::assistant`). `POST /api/v1/chat` streams
//! the turn as server-sent events; conversations can be listed, read, renamed, deleted and
//! cleared; a write's card can be undone, a proposed one saved or discarded. `/api/v1/assistant/settings`: your provider, model
//! and key (the key is never returned).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sparky_app::assistant::config::{self, AssistantSettings, AssistantSettingsInput};
use sparky_app::assistant::{actions, agent, proposals, Action, Card, ChatEvent};
use sparky_app::chat::{
    self, Conversation, ConversationPage, ConversationWithMessages, RenameInput,
};
use sparky_app::PageRequest;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_chat_message))
        .routes(routes!(list_conversations, clear_conversations))
        .routes(routes!(
            get_conversation,
            rename_conversation,
            delete_conversation
        ))
        .routes(routes!(undo_assistant_action))
        .routes(routes!(save_assistant_proposal))
        .routes(routes!(discard_assistant_proposal))
        .routes(routes!(get_assistant_settings, put_assistant_settings))
}

/// Talk to the assistant. The answer is a stream of server-sent events, each named by its
/// `type` with a JSON `data` of [`ChatEvent`]: `conversation` first, then `text_delta`,
/// `tool_call`, `tool_card` (a write, with its `action_id` for undo), `tool_error` and
/// `question` (quick replies) as they happen, and last `done` (its `text` is authoritative:
/// after writes it is built from the cards, not the model's words) or `error`.
/// Problems found before the turn starts (bad input, no provider set up, rate limit or daily
/// token budget) are ordinary JSON errors.
#[utoipa::path(post, path = "/api/v1/chat", tag = "assistant",
    request_body = sparky_app::assistant::agent::ChatInput,
    responses(
        (status = 200, description = "The turn as server-sent events", content_type = "text/event-stream", body = ChatEvent),
        (status = 404, description = "No such conversation", body = ErrorBody),
        (status = 409, description = "The assistant is not set up", body = ErrorBody),
    ))]
async fn send_chat_message(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<sparky_app::assistant::agent::ChatInput>,
) -> ApiResult<Response> {
    let input = input.parse()?;
    let settings = config::start(&mut tx, &state.assistant).await?;
    let turn = agent::prepare(&mut tx, &settings, input).await?;
    tx.commit().await?;
    let (send, receive) = tokio::sync::mpsc::channel::<ChatEvent>(256);
    let db = state.db.clone();
    // The turn runs to its end even if the client goes away: its writes and history are whole.
    tokio::spawn(async move { agent::run(&db, &settings, true, turn, send).await });
    let events = futures::stream::unfold(receive, |mut r| async move {
        let event = r.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(sse_event(&event)), r))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

fn sse_event(e: &ChatEvent) -> Event {
    let data = serde_json::to_value(e).unwrap_or_default();
    let name = data["type"].as_str().unwrap_or("message").to_string();
    Event::default().event(name).data(data.to_string())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationListParams {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 512)]
    pub cursor: Option<String>,
}

/// Your conversations, most recently used first.
#[utoipa::path(get, path = "/api/v1/chat/conversations", tag = "assistant",
    params(ConversationListParams),
    responses((status = 200, description = "A page of conversations", body = ConversationPage)))]
async fn list_conversations(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<ConversationListParams>,
) -> ApiResult<ApiJson<ConversationPage>> {
    let page = PageRequest::parse(p.limit, p.cursor.as_deref(), chat::PAGE_BOUNDS)?;
    let list = chat::list(&mut tx, &page).await?;
    tx.commit().await?;
    Ok(ApiJson(list))
}

/// Delete all your conversations.
#[utoipa::path(delete, path = "/api/v1/chat/conversations", tag = "assistant",
    responses((status = 204, description = "Cleared")))]
async fn clear_conversations(Auth { mut tx, .. }: Auth) -> ApiResult<StatusCode> {
    chat::clear(&mut tx).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A conversation with its messages (the newest 500), oldest first.
#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}", tag = "assistant",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses(
        (status = 200, description = "The conversation", body = ConversationWithMessages),
        (status = 404, description = "No such conversation of yours", body = ErrorBody),
    ))]
async fn get_conversation(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<ConversationWithMessages>> {
    let c = chat::with_messages(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(c))
}

/// Rename a conversation.
#[utoipa::path(patch, path = "/api/v1/chat/conversations/{id}", tag = "assistant",
    params(("id" = Uuid, Path, description = "Conversation id")),
    request_body = RenameInput,
    responses(
        (status = 200, description = "Renamed", body = Conversation),
        (status = 404, description = "No such conversation of yours", body = ErrorBody),
    ))]
async fn rename_conversation(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RenameInput>,
) -> ApiResult<ApiJson<Conversation>> {
    let c = chat::rename(&mut tx, id, input).await?;
    tx.commit().await?;
    Ok(ApiJson(c))
}

/// Delete a conversation and its messages (what the assistant wrote stays in your diary).
#[utoipa::path(delete, path = "/api/v1/chat/conversations/{id}", tag = "assistant",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such conversation of yours", body = ErrorBody),
    ))]
async fn delete_conversation(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    chat::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Undo what the assistant wrote (a card's Undo button).
#[utoipa::path(post, path = "/api/v1/chat/actions/{id}/undo", tag = "assistant",
    params(("id" = Uuid, Path, description = "The card's action_id")),
    responses(
        (status = 200, description = "Undone", body = Action),
        (status = 404, description = "No such action of yours", body = ErrorBody),
        (status = 409, description = "Already undone", body = ErrorBody),
    ))]
async fn undo_assistant_action(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Action>> {
    let done = actions::undo(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(done))
}

/// Save a write the assistant proposed for review (a card's Save button, for a user who chose
/// `review_writes`): its tool runs now with the arguments it was proposed with, under your
/// row level security, and the answer is the card of what was written, with its Undo. A
/// refusal (the food was deleted since) leaves the proposal waiting.
#[utoipa::path(post, path = "/api/v1/chat/proposals/{id}/save", tag = "assistant",
    params(("id" = Uuid, Path, description = "The card's proposal_id")),
    responses(
        (status = 200, description = "Saved: what was written", body = Card),
        (status = 404, description = "No such proposal of yours", body = ErrorBody),
        (status = 409, description = "Already saved or discarded", body = ErrorBody),
        (status = 422, description = "The write is refused now", body = ErrorBody),
    ))]
async fn save_assistant_proposal(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Card>> {
    let card = proposals::save(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ApiJson(card))
}

/// Discard a write the assistant proposed for review: nothing is written.
#[utoipa::path(post, path = "/api/v1/chat/proposals/{id}/discard", tag = "assistant",
    params(("id" = Uuid, Path, description = "The card's proposal_id")),
    responses(
        (status = 204, description = "Discarded"),
        (status = 404, description = "No such proposal of yours", body = ErrorBody),
        (status = 409, description = "Already saved or discarded", body = ErrorBody),
    ))]
async fn discard_assistant_proposal(
    Auth { mut tx, .. }: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    proposals::discard(&mut tx, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your assistant settings and the instance default. The API key is never returned.
#[utoipa::path(get, path = "/api/v1/assistant/settings", tag = "assistant",
    responses((status = 200, description = "Your settings", body = AssistantSettings)))]
async fn get_assistant_settings(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
) -> ApiResult<ApiJson<AssistantSettings>> {
    let s = config::get(&mut tx, &state.assistant).await?;
    tx.commit().await?;
    Ok(ApiJson(s))
}

/// Replace your assistant settings. `api_key`: left out keeps the saved key, `""` removes it,
/// other text replaces it (it is stored encrypted and never shown again). A base URL on a
/// private network is refused unless you are the administrator.
#[utoipa::path(put, path = "/api/v1/assistant/settings", tag = "assistant",
    request_body = AssistantSettingsInput,
    responses(
        (status = 200, description = "Saved", body = AssistantSettings),
        (status = 503, description = "No secret key to protect API keys with", body = ErrorBody),
    ))]
async fn put_assistant_settings(
    State(state): State<AppState>,
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<AssistantSettingsInput>,
) -> ApiResult<ApiJson<AssistantSettings>> {
    let s = config::put(&mut tx, &state.assistant, input).await?;
    tx.commit().await?;
    Ok(ApiJson(s))
}
