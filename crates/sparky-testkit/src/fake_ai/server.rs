//! The server: [`FakeAi`], its request handler, and plain and JSON responses.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};

use super::answer::full_answer;
use super::error::error_response;
use super::request::{wire_of, RecordedRequest, Wire};
use super::script::{Reply, Script};
use super::stream::stream_response;

#[derive(Default)]
struct Shared {
    scripts: VecDeque<Script>,
    requests: Vec<RecordedRequest>,
}

/// The running fake. Dropping it stops the server.
pub struct FakeAi {
    url: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAi {
    pub async fn start() -> FakeAi {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake AI server");
        let addr = listener.local_addr().expect("fake AI address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeAi {
            url: format!("http://{addr}"),
            shared,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`, without a path.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues the answer to the next chat request.
    pub fn push(&self, script: Script) -> &FakeAi {
        self.lock().scripts.push_back(script);
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Scripts not yet used.
    pub fn scripts_left(&self) -> usize {
        self.lock().scripts.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn handle(State(shared): State<Arc<Mutex<Shared>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let wire = wire_of(&path);
    let script = {
        let mut shared = shared.lock().unwrap_or_else(|p| p.into_inner());
        shared.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            wire,
            headers,
            body: body.clone(),
        });
        if wire.is_some() {
            shared.scripts.pop_front()
        } else {
            None
        }
    };
    let Some(wire) = wire else {
        if path.ends_with("/models") {
            return json_response(
                200,
                json!({"object": "list", "data": [{"id": "fake-model", "object": "model"}, {"id": "fake-vision", "object": "model"}]}),
            );
        }
        if path.ends_with("/api/tags") {
            return json_response(
                200,
                json!({"models": [{"name": "fake-model:latest", "model": "fake-model:latest"}]}),
            );
        }
        return plain(404, "text/plain", "404 page not found".into());
    };
    let Some(script) = script else {
        return plain(
            500,
            "text/plain",
            "fake AI server: no script left for this request".into(),
        );
    };
    if !script.delay.is_zero() {
        tokio::time::sleep(script.delay).await;
    }
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("fake-model")
        .to_string();
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(
        // Ollama streams unless told not to.
        wire == Wire::Ollama,
    );
    let mut response = match &script.reply {
        Reply::Raw {
            status,
            content_type,
            body,
        } => plain(*status, content_type, body.clone()),
        Reply::Error(kind) => error_response(wire, kind, &model),
        Reply::Answer {
            parts,
            finish,
            usage,
        } => {
            if stream {
                stream_response(wire, &script, parts, *finish, *usage, &model)
            } else {
                json_response(200, full_answer(wire, parts, *finish, *usage, &model))
            }
        }
    };
    for (name, value) in &script.headers {
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(n, v);
        }
    }
    response
}

pub(super) fn plain(status: u16, content_type: &str, body: String) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("response")
}

pub(super) fn json_response(status: u16, v: Value) -> Response {
    plain(status, "application/json", v.to_string())
}
