//! A scriptable fake HTTP server (axum on 127.0.0.1:0) that records every request it gets.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;
use sparky_providers::ProviderSettings;

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

/// What the fake answers.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn json(v: Value) -> Reply {
        Reply::raw(200, v.to_string())
    }
    pub fn raw(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply::raw(status, "{}")
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

type Script = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

pub struct Fake {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Fake {
    /// Starts a fake answering every request with `script(request, index)` (index counts from 0).
    pub async fn start(script: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Fake {
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let log = requests.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let log = log.clone();
            let script = script.clone();
            async move {
                let (parts, body) = req.into_parts();
                let query = Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
                    .map(|q| q.0)
                    .unwrap_or_default();
                let body = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                let rec = Recorded {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_string(),
                    query,
                    headers: parts.headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                let index = {
                    let mut log = log.lock().unwrap();
                    log.push(rec.clone());
                    log.len() - 1
                };
                let reply = script(&rec, index);
                if !reply.delay.is_zero() {
                    tokio::time::sleep(reply.delay).await;
                }
                let mut resp = Response::new(Body::from(reply.body));
                *resp.status_mut() = StatusCode::from_u16(reply.status).unwrap();
                for (k, v) in reply.headers {
                    resp.headers_mut()
                        .insert(k, HeaderValue::from_str(&v).unwrap());
                }
                resp
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake {
            url: format!("http://{addr}"),
            requests,
        }
    }

    pub fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("no request reached the fake")
    }
}

/// Test settings: 2 s timeout, 2 retries, 10 ms backoff.
pub fn settings(url: &str) -> ProviderSettings {
    ProviderSettings {
        base_url: url.to_string(),
        timeout: Duration::from_secs(2),
        retries: 2,
        backoff: Duration::from_millis(10),
        user_agent: sparky_providers::USER_AGENT.to_string(),
    }
}

/// A base URL nothing listens on.
pub async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// `Decimal` from a literal string, for readable assertions.
pub fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}
