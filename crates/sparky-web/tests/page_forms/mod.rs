//! Driving the web pages as a browser does: GET a page with the session cookie, read the CSRF
//! token from its forms, POST url-encoded forms with the Origin header.

#![allow(dead_code)]

use reqwest::{header, StatusCode};

use crate::common::{As, TestApp};

pub struct Html {
    pub status: StatusCode,
    pub location: String,
    pub body: String,
}

impl Html {
    /// The `_csrf` value of the page's forms.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no _csrf in the page:\n{}", self.body))
            + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

fn cookie(who: &As) -> Option<String> {
    match who {
        As::Cookie(c) => Some(format!("sparky_session={c}")),
        _ => None,
    }
}

async fn read(resp: reqwest::Response) -> Html {
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let body = resp.text().await.unwrap();
    crate::common::assert_refusal_is_shown(status, html, &body);
    Html {
        status,
        location,
        body,
    }
}

pub async fn get(app: &TestApp, path: &str, who: &As) -> Html {
    let mut req = app.client.get(format!("{}{path}", app.base));
    if let Some(c) = cookie(who) {
        req = req.header(header::COOKIE, c);
    }
    read(req.send().await.unwrap()).await
}

/// GETs `path` while viewing `user_id`'s data (the "viewing as" cookie).
pub async fn get_viewing(app: &TestApp, path: &str, who: &As, user_id: &str) -> Html {
    let session = cookie(who).expect("a session");
    let req = app.client.get(format!("{}{path}", app.base)).header(
        header::COOKIE,
        format!("{session}; sparky_viewing={user_id}"),
    );
    read(req.send().await.unwrap()).await
}

/// POSTs `fields` as a form from the app's own origin.
pub async fn post(app: &TestApp, path: &str, who: &As, fields: &[(&str, &str)]) -> Html {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .header(header::ORIGIN, app.origin())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    if let Some(c) = cookie(who) {
        req = req.header(header::COOKIE, c);
    }
    read(req.send().await.unwrap()).await
}

/// GETs `page` for its token, then POSTs `fields` with it.
pub async fn submit(
    app: &TestApp,
    page: &str,
    path: &str,
    who: &As,
    fields: &[(&str, &str)],
) -> Html {
    let token = get(app, page, who).await.csrf();
    let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
    all.extend_from_slice(fields);
    post(app, path, who, &all).await
}
