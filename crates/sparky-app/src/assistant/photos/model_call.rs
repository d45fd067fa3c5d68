//! The vision model call: the meal prompt, asking the model and recording the request.

use std::time::Instant;

use sparky_ai::{AiError, ChatOptions, ChatRequest, ImageData, Message};
use sparky_db::{Database, UserTx};
use uuid::Uuid;

use crate::assistant::config::{self, Assistant};
use crate::error::{AppError, AppResult};

pub(super) const MEAL_PROMPT: &str = "You look at photos of meals for a food diary and estimate what is on \
the plate. Answer with JSON only, no prose, in this shape:\n\
{\"items\": [{\"name\": \"scrambled eggs\", \"grams\": 120}, {\"name\": \"white bread, toasted\", \"grams\": 30}]}\n\
One item per food or drink you can see (at most 20), named as a food database would name it: \
short, generic, in English (\"banana\", \"white rice, cooked\", \"orange juice\"). grams is your best \
estimate of the edible weight as a number (for a drink, its millilitres). \
If there is no food in the photo, answer {\"items\": []}.";

pub(super) struct Answer {
    pub(super) text: String,
    pub(super) provider: String,
    pub(super) model: String,
}

fn ai_error(e: AiError) -> AppError {
    AppError::Upstream {
        timed_out: matches!(e, AiError::Timeout { .. }),
        message: e.to_string(),
    }
}

fn small(n: u32) -> i32 {
    n.min(i32::MAX as u32) as i32
}

/// Checks the rate limit and budget and picks the provider (in `tx`, committed before the
/// model is called), asks the vision model, records the call, and returns the answer with a
/// fresh transaction of the user's for what follows.
pub(super) async fn ask(
    db: &Database,
    a: &Assistant,
    mut tx: UserTx,
    kind: &str,
    system: &str,
    prompt: String,
    image: ImageData,
) -> AppResult<(Answer, UserTx)> {
    let settings = config::start(&mut tx, a).await?;
    let user_id = tx.user_id().await?;
    let model = settings
        .vision_model
        .clone()
        .unwrap_or_else(|| settings.model.clone());
    let provider = settings.client.label().to_string();
    let request_id: Uuid = tx
        .query_one(
            "INSERT INTO assistant_requests (user_id, kind, provider, model)
             VALUES (auth.uid(), $1, $2, $3) RETURNING id",
            &[&kind, &provider, &model],
        )
        .await?
        .get(0);
    tx.commit().await?;

    let request = ChatRequest {
        model: model.clone(),
        system: Some(system.to_string()),
        messages: vec![Message::user_with_images(prompt, vec![image])],
        tools: Vec::new(),
        options: ChatOptions {
            max_tokens: settings.max_tokens,
            ..Default::default()
        },
    };
    let started = Instant::now();
    let result = settings.client.complete(&request).await;
    let latency = small(started.elapsed().as_millis().min(u32::MAX as u128) as u32);

    let mut tx = db.as_user(user_id).await?;
    let (tokens_in, tokens_out, error) = match &result {
        Ok(r) => (
            r.usage.map(|u| small(u.input_tokens)),
            r.usage.map(|u| small(u.output_tokens)),
            None,
        ),
        Err(e) => (None, None, Some(e.to_string())),
    };
    tx.execute(
        "UPDATE assistant_requests SET tokens_in = $2, tokens_out = $3, latency_ms = $4, error = $5
         WHERE id = $1",
        &[&request_id, &tokens_in, &tokens_out, &latency, &error],
    )
    .await?;
    match result {
        Ok(r) => Ok((
            Answer {
                text: r.text,
                provider,
                model,
            },
            tx,
        )),
        Err(e) => {
            tx.commit().await?;
            Err(ai_error(e))
        }
    }
}

pub(super) fn shorten(t: &str, max: usize) -> String {
    let t = t.trim();
    if t.chars().count() <= max {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(max).collect();
        s.push('…');
        s
    }
}
