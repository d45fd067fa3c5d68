//! Query parameters an operation does not declare are refused with 422 naming them, the way
//! JSON bodies refuse unknown fields. The declared names come from the OpenAPI document, so
//! the rule and the document cannot drift apart; a misspelt `?limt=5` is an error instead of
//! a silently ignored filter.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

/// Per operation (method, path template), the query parameter names it declares.
#[derive(Debug, Default, Clone)]
pub struct DeclaredQueries(Arc<HashMap<(Method, String), HashSet<String>>>);

impl DeclaredQueries {
    pub fn from_doc(doc: &OpenApi) -> DeclaredQueries {
        let mut map = HashMap::new();
        for (path, item) in doc.paths.paths.iter() {
            let ops = [
                (Method::GET, &item.get),
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::DELETE, &item.delete),
                (Method::PATCH, &item.patch),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                let names = op
                    .parameters
                    .iter()
                    .flatten()
                    .filter(|p| matches!(p.parameter_in, ParameterIn::Query))
                    .map(|p| p.name.clone())
                    .collect();
                map.insert((method, path.clone()), names);
            }
        }
        DeclaredQueries(Arc::new(map))
    }

    /// The first query parameter `(method, route)` does not declare, if any.
    fn undeclared(&self, method: &Method, route: &str, query: &str) -> Option<String> {
        let declared = self.0.get(&(method.clone(), route.to_string()))?;
        form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name.into_owned())
            .find(|name| !declared.contains(name))
    }
}

/// Route-layer middleware. A request without any credential on an authenticated route is
/// left to its handler, which answers 401 before looking at the input.
pub async fn refuse_undeclared(declared: DeclaredQueries, req: Request, next: Next) -> Response {
    let Some(query) = req.uri().query().filter(|q| !q.is_empty()) else {
        return next.run(req).await;
    };
    let Some(route) = req.extensions().get::<MatchedPath>() else {
        return next.run(req).await;
    };
    if !crate::auth::may_look_at_input(&req) {
        return next.run(req).await;
    }
    match declared.undeclared(req.method(), route.as_str(), query) {
        Some(name) => {
            let field = if name.is_empty() { "query" } else { &name };
            let field = field.replace('\0', "\u{fffd}");
            ApiError::invalid(&field, "is not a parameter of this operation").into_response()
        }
        None => next.run(req).await,
    }
}
