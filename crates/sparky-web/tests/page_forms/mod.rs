//! Shorter calls over `pages_kit` for tests that act as the signed-in user themselves: GET a
//! page, POST a form (its `_csrf` among the fields), or both at once with [`submit`].

#![allow(dead_code)]

#[path = "../pages_kit/mod.rs"]
mod kit;

pub use kit::Html;

use crate::common::{As, TestApp};

pub async fn get(app: &TestApp, path: &str, who: &As) -> Html {
    kit::get(app, path, who, None).await
}

/// GETs `path` while viewing `user_id`'s data (the "viewing as" cookie).
pub async fn get_viewing(app: &TestApp, path: &str, who: &As, user_id: &str) -> Html {
    kit::get(app, path, who, Some(user_id)).await
}

/// POSTs `fields` as a form from the app's own origin.
pub async fn post(app: &TestApp, path: &str, who: &As, fields: &[(&str, &str)]) -> Html {
    kit::post(app, path, who, None, None, fields).await
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
    kit::post(app, path, who, None, Some(&token), fields).await
}

/// Posts a `multipart/form-data` form (a file upload) with `fields` and `file`.
pub async fn post_multipart(
    app: &TestApp,
    path: &str,
    who: &As,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> Html {
    kit::post_multipart(app, path, who, fields, file).await
}
