//! The web app: server-rendered pages (askama templates, checked at compile time) that call the
//! same application-layer operations as the JSON API. htmx swaps fragments; without JavaScript
//! every form still works as a plain form post.
//!
//! Pages authenticate with the session cookie (a missing or expired one redirects to sign-in
//! and back), check the origin and a per-session CSRF token on every write, and render errors
//! as HTML. The JSON API keeps its own error shape under `/api`.

mod auth_pages;
pub mod charts;
mod checkin;
mod checkin_writes;
mod confirm;
mod day;
mod day_writes;
mod exercise;
mod exercise_log;
mod food;
mod food_create;
mod food_custom;
mod food_pick;
mod food_writes;
mod forgot_password;
mod form_errors;
mod format;
mod forms;
mod goals;
pub mod link_mail;
mod my_exercises;
mod my_foods;
mod onboarding;
mod once;
mod page_error;
mod page_request;
mod plan_items;
mod plans;
mod plans_dated;
mod pwa;
mod qr;
mod recipe_edits;
mod recipes;
pub mod refusal;
mod reports;
mod set_password;
mod settings;
mod shopping;
mod undo_cookie;

use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use sparky_app::family::AccessibleUser;
use sparky_app::Acting;
use sparky_core::AccessType;
use sparky_db::UserTx;
use uuid::Uuid;

use crate::i18n::Messages;
use crate::AppState;

pub(crate) use forgot_password::request_link as request_password_link;
pub use format::Units;
pub(crate) use page_error::NotSharedPage;
pub use page_error::{html_errors, not_found_page, PageError};
pub use page_request::{csrf_token, PageForm, PagePath, PageQuery};

/// Cookie that remembers whose data the pages show ("viewing as").
pub const VIEWING_COOKIE: &str = "sparky_viewing";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(day::today))
        .route("/day", get(day::pick_day))
        .route("/day/{date}", get(day::day_page))
        .route(
            "/signin",
            get(auth_pages::signin_form).post(auth_pages::signin),
        )
        .route(
            "/register",
            get(auth_pages::register_form).post(auth_pages::register),
        )
        .route("/signout", post(auth_pages::signout))
        .route(
            "/set-password",
            get(set_password::set_password_form).post(set_password::set_password),
        )
        .route(
            forgot_password::PAGE_PATH,
            get(forgot_password::form).post(forgot_password::send),
        )
        // The addresses other apps use, for a newcomer who types one.
        .route("/login", get(|| async { redirect("/signin") }))
        .route("/signup", get(|| async { redirect("/register") }))
        .route("/logout", get(|| async { redirect("/settings") }))
        .route("/viewing", post(auth_pages::set_viewing))
        .merge(day_writes::routes())
        .merge(food::routes())
        .merge(checkin::routes())
        .merge(exercise::routes())
        .merge(my_exercises::routes())
        .merge(goals::routes())
        .merge(plans::routes())
        .merge(shopping::routes())
        .merge(recipes::routes())
        .merge(my_foods::routes())
        .merge(reports::routes())
        .merge(settings::routes())
        .merge(onboarding::routes())
        .merge(pwa::routes())
        .layer(axum::middleware::from_fn(refusal::say_why_refused))
        .layer(axum::middleware::from_fn(forget_stale_viewing))
}

/// Set by a page whose "viewing as" cookie names someone who no longer shares with the user
/// (or the user themselves), so the response drops the cookie: every later form then writes
/// the user's own data, which is what the page showed.
#[derive(Clone, Default)]
struct StaleViewing(std::sync::Arc<std::sync::atomic::AtomicBool>);

async fn forget_stale_viewing(mut req: Request, next: axum::middleware::Next) -> Response {
    let stale = StaleViewing::default();
    req.extensions_mut().insert(stale.clone());
    // A session that ended elsewhere (a password change) is found out by the handler's first
    // query, which knows nothing of the page: sign-in then comes back here, not to Today.
    let here = (req.method() == axum::http::Method::GET).then(|| page_request::next_of(req.uri()));
    let mut response = next.run(req).await;
    if let Some(here) = here.filter(|h| h != "/") {
        if response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.as_bytes())
            == Some(SIGN_IN_TO_TODAY.as_bytes())
        {
            let target = format!(
                "/signin?next={}",
                form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
            );
            if let Ok(v) = HeaderValue::from_str(&target) {
                response.headers_mut().insert(header::LOCATION, v);
            }
        }
    }
    if stale.0.load(std::sync::atomic::Ordering::Relaxed) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, forget_viewing_cookie());
    }
    response
}

/// Where [`PageError::SignIn`] of an expired session found by a query sends the browser.
const SIGN_IN_TO_TODAY: &str = "/signin?next=%2F";

/// The `Set-Cookie` value that removes the "viewing as" cookie.
pub fn forget_viewing_cookie() -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{VIEWING_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ))
    .expect("a cookie name and attributes are header text")
}

/// What every page's frame needs: title, theme, CSRF token, navigation, "viewing as".
pub struct Shell {
    pub title: String,
    pub t: Messages,
    pub theme: String,
    pub csrf: String,
    pub nav: &'static str,
    pub user_name: String,
    /// The signed-in user (nil before sign-in).
    pub user_id: Uuid,
    /// The signed-in user administers the server (Settings shows Accounts).
    pub is_admin: bool,
    /// People who shared data with the signed-in user, for the switcher.
    pub others: Vec<AccessibleUser>,
    /// Whose data is shown when it is not the user's own.
    pub viewing: Option<AccessibleUser>,
    pub units: Units,
    pub css: String,
    pub htmx: String,
    pub js: String,
    /// The assistant's drawer (signed-in pages only).
    pub chat_js: String,
    pub icon: String,
    /// Where switching whose data is shown leads: this page (for the other person), or its
    /// list when it is one person's recipe or plan ([`back_after_switch`]).
    pub back: String,
}

impl Shell {
    /// A message of the catalog.
    pub fn t(&self, key: &str) -> &'static str {
        self.t.get(key)
    }

    /// A message with placeholders filled.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.t.fill(key, args)
    }

    /// Whether the signed-in user may do `access` on the shown data (always on their own).
    /// Only hides controls; RLS decides what a write may do.
    pub fn may(&self, access: AccessType) -> bool {
        match &self.viewing {
            None => true,
            Some(v) => v.access_types.iter().any(|t| t == access.as_str()),
        }
    }

    /// Whether the goals of the person shown may be read (the nav leaves the link out when
    /// not, instead of leading to a 404).
    pub fn may_see_goals(&self) -> bool {
        self.may(AccessType::Calorie)
            || self.may(AccessType::Checkin)
            || self.may(AccessType::Reports)
    }

    /// Whether the measurements (weights, check-ins) and weight goals of the person shown may
    /// be read: what `Area::Measurements` opens.
    pub fn may_see_body(&self) -> bool {
        self.may(AccessType::Checkin) || self.may(AccessType::Reports)
    }

    /// "Today against your targets", or against the shown person's.
    pub fn today_against(&self) -> String {
        match self.viewing {
            None => self.t("goals.today").to_string(),
            Some(_) => self.fill("goals.today_of", &[("name", &self.viewing_name())]),
        }
    }

    /// `own` ("Your recipes") for the user's own data, else `of` filled with the shown
    /// person's name ("Ann's recipes").
    pub fn whose(&self, own: &str, of: &str) -> String {
        match self.viewing {
            None => self.t(own).to_string(),
            Some(_) => self.fill(of, &[("name", &self.viewing_name())]),
        }
    }

    pub fn may_log(&self) -> bool {
        self.may(AccessType::Calorie)
    }

    pub fn may_checkin(&self) -> bool {
        self.may(AccessType::Checkin)
    }

    /// A fresh once-token for a write form (`once.rs`): every form rendered gets its own, and
    /// sending that form again writes nothing more.
    pub fn once(&self) -> String {
        Uuid::new_v4().to_string()
    }

    pub fn is_current(&self, nav: &str) -> bool {
        self.nav == nav
    }

    pub fn viewing_id(&self) -> String {
        self.viewing
            .as_ref()
            .map(|v| v.user_id.to_string())
            .unwrap_or_default()
    }

    /// The shown person's name (or email) when it is not the user's own data.
    pub fn viewing_name(&self) -> String {
        self.viewing
            .as_ref()
            .and_then(|v| v.full_name.clone().or_else(|| v.email.clone()))
            .unwrap_or_default()
    }

    /// A frame for pages shown before sign-in.
    pub fn public(t: Messages, title: &str) -> Shell {
        Shell {
            title: title.to_string(),
            t,
            theme: "system".into(),
            csrf: String::new(),
            nav: "",
            user_name: String::new(),
            user_id: Uuid::nil(),
            is_admin: false,
            others: Vec::new(),
            viewing: None,
            units: Units::default(),
            css: crate::assets::url("app.css"),
            htmx: crate::assets::url("vendor/htmx.min.js"),
            js: crate::assets::url("app.js"),
            chat_js: crate::assets::url("chat.js"),
            icon: crate::assets::url("icon.svg"),
            back: "/".into(),
        }
    }
}

/// A signed-in page request: the user's RLS transaction (credential resolved with the first
/// query), the CSRF token of their session and whose data to show.
pub struct Page {
    pub tx: UserTx,
    pub csrf: String,
    pub t: Messages,
    /// From the "viewing as" cookie; RLS decides what it may see.
    pub viewing: Option<Uuid>,
    /// Whose data the page is about (the viewed person, else the user).
    pub acting: Acting,
    pub uri: Uri,
    pub htmx: bool,
    stale_viewing: Option<StaleViewing>,
}

/// A [`Page`] whose transaction was ended for a long wait (an upload) that must not hold a
/// pooled connection; [`Detached::attach`] opens a new one as the same user.
pub struct Detached {
    pub who: sparky_db::Identity,
    csrf: String,
    t: Messages,
    viewing: Option<Uuid>,
    acting: Acting,
    uri: Uri,
    htmx: bool,
    stale_viewing: Option<StaleViewing>,
}

impl Detached {
    pub async fn attach(self, app: &AppState) -> Result<Page, PageError> {
        Ok(Page {
            tx: app.db.as_identity(self.who).await?,
            csrf: self.csrf,
            t: self.t,
            viewing: self.viewing,
            acting: self.acting,
            uri: self.uri,
            htmx: self.htmx,
            stale_viewing: self.stale_viewing,
        })
    }
}

impl Page {
    /// Ends the page's transaction (committing what it read) and keeps the rest.
    pub async fn detach(mut self) -> Result<Detached, PageError> {
        let who = self.tx.identity().await?;
        self.tx.commit().await?;
        Ok(Detached {
            who,
            csrf: self.csrf,
            t: self.t,
            viewing: self.viewing,
            acting: self.acting,
            uri: self.uri,
            htmx: self.htmx,
            stale_viewing: self.stale_viewing,
        })
    }

    /// The frame: name, preferences (theme, units) and the people who shared with the user.
    pub async fn shell(&mut self, title: &str, nav: &'static str) -> Result<Shell, PageError> {
        let sparky_app::frame::Frame {
            me,
            preferences: prefs,
            others,
        } = sparky_app::frame::read(&mut self.tx).await?;
        let viewing = self
            .viewing
            .filter(|id| *id != me.id)
            .and_then(|id| others.iter().find(|o| o.user_id == id).cloned());
        // A cookie naming someone who no longer shares anything shows the user's own data,
        // and is dropped so the page's forms write what it shows.
        if viewing.is_none() {
            if self.viewing.is_some() {
                if let Some(stale) = &self.stale_viewing {
                    stale.0.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            self.viewing = None;
            self.acting = Acting::ME;
        }
        let units_prefs = match &viewing {
            Some(v) => sparky_app::preferences::get(&mut self.tx, Acting::new(Some(v.user_id)))
                .await
                .unwrap_or(prefs.clone()),
            None => prefs.clone(),
        };
        let mut shell = Shell::public(self.t, title);
        shell.theme = prefs.theme.clone();
        shell.csrf = self.csrf.clone();
        shell.nav = nav;
        shell.back = back_after_switch(&self.uri);
        shell.user_id = me.id;
        shell.is_admin = me.is_admin;
        shell.user_name = me.full_name.unwrap_or(me.email);
        shell.others = others;
        shell.viewing = viewing;
        shell.units = Units::from_preferences(&units_prefs);
        Ok(shell)
    }
}

/// The page a page address belongs to (`/settings/profile` → `/settings`, `/add/quick` →
/// `/add`, Today's own forms → `/`), for a GET of an address that only takes forms; `None`
/// for addresses that are not pages (`/mcp`, probes), which keep their 405.
pub fn section_of(path: &str) -> Option<String> {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "add" | "checkin" | "exercise" | "goals" | "plans" | "recipes" | "reports" | "settings"
        | "onboarding" => Some(format!("/{first}")),
        "day" | "diary" | "water" | "weight" | "viewing" | "signout" => Some("/".into()),
        _ => None,
    }
}

/// The page to show after switching whose data is shown on the page at `uri`: the same page
/// (a report, the check-in, a day…) for the other person, the list for one person's recipe or
/// plan, Today for anything else (a form's answer has no page of its own to go back to).
fn back_after_switch(uri: &Uri) -> String {
    let path = uri.path();
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    match path {
        "/reports" | "/checkin" | "/exercise" | "/goals" | "/recipes" | "/plans" => {
            format!("{path}{query}")
        }
        p if p.starts_with("/day/") && p.matches('/').count() == 2 => p.to_string(),
        p if p.starts_with("/recipes/") => "/recipes".into(),
        p if p.starts_with("/plans/") => "/plans".into(),
        p if p.starts_with("/exercise/") => "/exercise".into(),
        p if p.starts_with("/checkin/") => "/checkin".into(),
        _ => "/".into(),
    }
}

/// A day sent in the form field `field`, within the range every date is kept to.
pub(crate) fn form_date(field: &str, d: chrono::NaiveDate) -> Result<sparky_core::Date, PageError> {
    sparky_core::Date::new(d).map_err(|e| PageError::invalid(field, e.to_string()))
}

/// The day a page address names (`?date=`), else `default`; a day outside the range every
/// date is kept to is the 422 page naming it (pages showed it and offered to log there).
pub(crate) fn page_date(
    field: &str,
    named: Option<chrono::NaiveDate>,
    default: chrono::NaiveDate,
) -> Result<chrono::NaiveDate, PageError> {
    match named {
        Some(d) => form_date(field, d).map(sparky_core::Date::get),
        None => Ok(default),
    }
}

/// A day typed into the form field `field`: empty is none (the form's default, today); any
/// other text must be a date within the range every date is kept to, else the 422 page names
/// the field (an unreadable date had filed the entry under today).
pub(crate) fn optional_form_date(
    field: &str,
    text: &str,
) -> Result<Option<chrono::NaiveDate>, PageError> {
    match text.trim() {
        "" => Ok(None),
        typed => {
            let d = chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d")
                .map_err(|_| PageError::invalid(field, "must be a date like 2026-03-01"))?;
            Ok(Some(form_date(field, d)?.get()))
        }
    }
}

/// A rendered template as an HTML response.
pub fn html<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("template: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// 303 to `to`; for htmx, an `HX-Redirect` so the whole page changes.
pub fn redirect(to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert("hx-redirect", v);
    }
    r
}

/// Security headers for pages and assets: a strict Content-Security-Policy (no inline scripts
/// or styles), no framing, no referrer leaks across sites, no MIME sniffing.
pub fn security_headers(headers: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(
        headers,
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'; media-src 'self' blob:; worker-src 'self'; manifest-src 'self'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    );
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
    set(
        headers,
        "permissions-policy",
        "camera=(self), microphone=(), geolocation=()",
    );
}

#[cfg(test)]
mod tests {
    use super::back_after_switch;

    #[test]
    fn a_switch_goes_back_to_the_page_or_its_list() {
        let back = |u: &str| back_after_switch(&u.parse().unwrap());
        assert_eq!(back("/reports?days=7"), "/reports?days=7");
        assert_eq!(back("/day/2026-12-01"), "/day/2026-12-01");
        assert_eq!(
            back("/recipes/0b5c1f1e-0000-4000-8000-000000000000"),
            "/recipes"
        );
        assert_eq!(
            back("/plans/0b5c1f1e-0000-4000-8000-000000000000/items"),
            "/plans"
        );
        assert_eq!(back("/checkin/log"), "/checkin");
        assert_eq!(back("/add/quick"), "/");
        assert_eq!(back("/"), "/");
    }
}
