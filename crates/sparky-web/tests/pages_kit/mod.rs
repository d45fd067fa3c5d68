//! Driving the web app's pages like a browser without JavaScript: GET a page with the session
//! cookie (and the "viewing as" cookie), read the CSRF token from its forms, post forms.

#![allow(dead_code)]

use reqwest::{header, StatusCode};
use serde_json::json;

use crate::common::{As, TestApp};

pub struct Html {
    pub status: StatusCode,
    pub location: String,
    pub body: String,
    /// The response's `Set-Cookie` values.
    pub set_cookies: Vec<String>,
}

impl Html {
    /// Asserts the write was taken: a redirect back to the page, or the page itself.
    pub fn assert_accepted(&self) {
        assert!(
            self.status.is_redirection() || self.status.is_success(),
            "{}: {}",
            self.status,
            self.body
        );
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with _csrf") + marker.len();
        self.body[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

impl Html {
    /// The once-token of the first form posting to `action`.
    pub fn once_of(&self, action: &str) -> String {
        let form = format!("action=\"{action}\"");
        let at = self
            .body
            .find(&form)
            .unwrap_or_else(|| panic!("no form posting to {action}:\n{}", self.body));
        let rest = &self.body[at..];
        let rest = &rest[..rest.find("</form>").unwrap_or(rest.len())];
        let marker = "name=\"_once\" value=\"";
        let start = rest
            .find(marker)
            .unwrap_or_else(|| panic!("the form posting to {action} has no once-token"))
            + marker.len();
        rest[start..].split('"').next().unwrap().to_string()
    }
}

pub fn cookie_of(who: &As, viewing: Option<&str>) -> String {
    let mut c = match who {
        As::Cookie(c) => format!("sparky_session={c}"),
        _ => String::new(),
    };
    if let Some(v) = viewing {
        c.push_str(&format!("; sparky_viewing={v}"));
    }
    c
}

async fn done(r: reqwest::Response) -> Html {
    let status = r.status();
    let location = r
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let set_cookies = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let html = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let body = r.text().await.unwrap();
    crate::common::assert_refusal_is_shown(status, html, &body);
    Html {
        status,
        location,
        body,
        set_cookies,
    }
}

pub async fn get(app: &TestApp, path: &str, who: &As, viewing: Option<&str>) -> Html {
    let r = app
        .client
        .get(format!("{}{}", app.base, path))
        .header(header::COOKIE, cookie_of(who, viewing))
        .send()
        .await
        .unwrap();
    done(r).await
}

/// Posts a form as a browser would (same origin); `csrf` is added as `_csrf` when given.
pub async fn post(
    app: &TestApp,
    path: &str,
    who: &As,
    viewing: Option<&str>,
    csrf: Option<&str>,
    fields: &[(&str, &str)],
) -> Html {
    let mut pairs: Vec<(&str, &str)> = fields.to_vec();
    if let Some(t) = csrf {
        pairs.push(("_csrf", t));
    }
    let body = serde_urlencoded::to_string(&pairs).unwrap();
    let r = app
        .client
        .post(format!("{}{}", app.base, path))
        .header(header::COOKIE, cookie_of(who, viewing))
        .header(header::ORIGIN, app.origin())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    done(r).await
}

/// Posts a `multipart/form-data` form as a browser without JavaScript sends a file upload:
/// the text `fields`, then `file` as (field name, file name, bytes) when given.
pub async fn post_multipart(
    app: &TestApp,
    path: &str,
    who: &As,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> Html {
    let boundary = "----sparkytestboundary7MA4YWxkTrZu0gW";
    let mut body: Vec<u8> = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, file_name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let r = app
        .client
        .post(format!("{}{}", app.base, path))
        .header(header::COOKIE, cookie_of(who, None))
        .header(header::ORIGIN, app.origin())
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    done(r).await
}

impl Html {
    /// Whether the response removes the "viewing as" cookie.
    pub fn forgets_viewing(&self) -> bool {
        self.set_cookies
            .iter()
            .any(|c| c.starts_with("sparky_viewing=;") && c.contains("Max-Age=0"))
    }

    /// The "viewing as" cookie's new value, when the response sets one.
    pub fn viewing_set(&self) -> Option<String> {
        self.set_cookies.iter().find_map(|c| {
            let value = c.strip_prefix("sparky_viewing=")?.split(';').next()?;
            (!value.is_empty()).then(|| value.to_string())
        })
    }
}

/// The CSRF token for `who` (read from a page).
pub async fn token(app: &TestApp, who: &As, page: &str) -> String {
    let h = get(app, page, who, None).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    h.csrf()
}

/// `grantor` shares `access_type` with the user at `email`.
pub async fn grant(app: &TestApp, grantor: &As, email: &str, access_type: &str) {
    let r = app
        .post(
            "/api/v1/family-access",
            grantor,
            json!({"grantee_email": email, "access_type": access_type}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}
