//! A Sparky server on port 0 over a fresh test database, and an HTTP client for it.

#![allow(dead_code)]

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use sparky_db::{Database, MigrationSource, Migrator};
use sparky_testkit::TestDb;
use sparky_web::{AppState, WebConfig};

pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub client: reqwest::Client,
    /// The server's turns for imports (a test may hold them).
    pub import_slots: std::sync::Arc<tokio::sync::Semaphore>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Value,
}

impl Response {
    /// The `code` of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    /// The session cookie's value from Set-Cookie, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("sparky_session="))
            .map(|c| c.split(';').next().unwrap()["sparky_session=".len()..].to_string())
    }
    pub fn set_cookie_header(&self) -> String {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum As {
    Nobody,
    Cookie(String),
    Key(String),
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(WebConfig::default()).await
    }

    pub async fn spawn_with(config: WebConfig) -> TestApp {
        let db = TestDb::new().await;
        let database = db.database().await;
        Self::serve(db, database, config).await
    }

    pub async fn serve(db: TestDb, database: Database, config: WebConfig) -> TestApp {
        Self::serve_with(db, database, config, None).await
    }

    /// A server whose food providers are `providers` (pointed at local fake servers).
    pub async fn spawn_with_providers(providers: sparky_providers::Providers) -> TestApp {
        let db = TestDb::new().await;
        let database = db.database().await;
        Self::serve_with(db, database, WebConfig::default(), Some(providers)).await
    }

    pub async fn serve_with(
        db: TestDb,
        database: Database,
        config: WebConfig,
        providers: Option<sparky_providers::Providers>,
    ) -> TestApp {
        let migrator = Migrator::new(MigrationSource::Embedded, db.app_role()).unwrap();
        let mut state = AppState::new(database, config, migrator);
        if let Some(p) = providers {
            state = state.with_providers(p);
        }
        Self::serve_state(db, state).await
    }

    /// A server whose assistant uses `assistant` (pointed at a local fake provider).
    pub async fn spawn_with_assistant(
        assistant: sparky_app::assistant::config::Assistant,
    ) -> TestApp {
        let db = TestDb::new().await;
        let database = db.database().await;
        let migrator = Migrator::new(MigrationSource::Embedded, db.app_role()).unwrap();
        let state =
            AppState::new(database, WebConfig::default(), migrator).with_assistant(assistant);
        Self::serve_state(db, state).await
    }

    /// A server whose settings are made knowing its own address (`http://127.0.0.1:PORT`), as
    /// `SPARKY_PUBLIC_URL` is.
    pub async fn spawn_at_own_address(make: impl FnOnce(&str) -> WebConfig) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let db = TestDb::new().await;
        let database = db.database().await;
        let migrator = Migrator::new(MigrationSource::Embedded, db.app_role()).unwrap();
        let state = AppState::new(database, make(&base), migrator);
        Self::serve_state_on(db, state, listener).await
    }

    /// Serves `state` on a free loopback port.
    pub async fn serve_state(db: TestDb, state: AppState) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve_state_on(db, state, listener).await
    }

    async fn serve_state_on(
        db: TestDb,
        state: AppState,
        listener: tokio::net::TcpListener,
    ) -> TestApp {
        let import_slots = state.import_slots();
        let app = sparky_web::router(state);
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            sparky_web::server::serve(listener, app, std::future::pending(), Default::default())
                .await
                .unwrap();
        });
        TestApp {
            base: format!("http://{addr}"),
            db,
            import_slots,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    pub fn origin(&self) -> String {
        self.base.clone()
    }

    /// Sends the head of a POST to `path` that announces a body of `length` bytes of
    /// `content_type`, with `header` ("Name: value") and this server's Origin, sends none of the
    /// body, and returns the answer's status: for answers that must not wait for the body
    /// (panics when none comes within 10 s).
    pub async fn status_before_body(
        &self,
        path: &str,
        header: &str,
        content_type: &str,
        length: usize,
    ) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{header}\r\nOrigin: {}\r\n\
             Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n",
            self.origin()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut answer = [0; 12];
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            stream.read_exact(&mut answer),
        )
        .await
        .expect("an answer before the body was sent")
        .unwrap();
        String::from_utf8_lossy(&answer[9..12]).parse().unwrap()
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        who: &As,
        body: Option<Value>,
    ) -> Response {
        self.request_with(method, path, who, body, &[]).await
    }

    /// [`TestApp::request`] with extra request headers.
    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        who: &As,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{}", self.base, path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        match who {
            As::Nobody => {}
            As::Cookie(c) => {
                req = req.header(header::COOKIE, format!("sparky_session={c}"));
                if method != Method::GET {
                    req = req.header(header::ORIGIN, self.origin());
                }
            }
            As::Key(k) => req = req.bearer_auth(k),
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, who: &As) -> Response {
        self.request(Method::GET, path, who, None).await
    }
    pub async fn post(&self, path: &str, who: &As, body: Value) -> Response {
        self.request(Method::POST, path, who, Some(body)).await
    }
    pub async fn put(&self, path: &str, who: &As, body: Value) -> Response {
        self.request(Method::PUT, path, who, Some(body)).await
    }
    /// POST with an `Idempotency-Key` header.
    pub async fn post_with_key(&self, path: &str, who: &As, key: &str, body: Value) -> Response {
        let mut req = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("idempotency-key", key)
            .json(&body);
        match who {
            As::Nobody => {}
            As::Cookie(c) => {
                req = req
                    .header(header::COOKIE, format!("sparky_session={c}"))
                    .header(header::ORIGIN, self.origin());
            }
            As::Key(k) => req = req.bearer_auth(k),
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Response {
            status,
            headers,
            body,
        }
    }
    pub async fn delete(&self, path: &str, who: &As) -> Response {
        self.request(Method::DELETE, path, who, None).await
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/register",
            &As::Nobody,
            json!({"email": email, "password": password, "full_name": "Test Person"}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            &As::Nobody,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Registers and signs in; returns (user id, cookie).
    pub async fn user(&self, email: &str) -> (String, As) {
        let r = self.register(email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let l = self.login(email, PASSWORD).await;
        assert_eq!(l.status, StatusCode::OK, "{:?}", l.body);
        (
            r.body["id"].as_str().unwrap().to_string(),
            As::Cookie(l.session_cookie().expect("session cookie")),
        )
    }

    /// Creates `who`'s own strength exercise "Sled push" and logs it on `date` with two sets
    /// (8 × 60 kg, 6 × 70 kg); returns the exercise's id.
    pub async fn sled_push_workout(&self, who: &As, date: &str) -> String {
        let r = self
            .post(
                "/api/v1/exercises",
                who,
                json!({"name": "Sled push", "category": "Strength"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        let r = self
            .post(
                "/api/v1/workouts",
                who,
                json!({"exercise_id": id, "date": date,
                       "sets": [{"reps": 8, "weight": 60}, {"reps": 6, "weight": 70}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        id
    }
}

/// A fixture of crates/sparky-import/fixtures (other trackers' export files).
pub fn import_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../sparky-import/fixtures")
            .join(name),
    )
    .unwrap()
}

pub const PASSWORD: &str = "correct horse battery staple";

/// The per-day totals kept by triggers hold exactly what the sources aggregate to, for every
/// user: diary_day_totals (food entries, nutrient sums and their JSON, workouts and calories
/// burned) and measurement_day_totals (water and the day's last weight), and recent_foods (when
/// each user last logged each food). Returns the number of days with food entries. Read as the
/// owner role.
pub async fn assert_day_totals_match_diary(app: &TestApp) -> i64 {
    let owner = app.db.owner_client().await;
    let names =
        "calories, protein, carbohydrates, fat, fiber, sugar, sodium, saturated_fat, trans_fat,
                 cholesterol, potassium, calcium, iron, vitamin_a, vitamin_c";
    let sums = names
        .split(',')
        .map(|n| format!("sum({})", n.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let checks = [
        (
            "food",
            // The "eaten" JSON too, as the function that writes it prints the fresh sums.
            format!(
                "SELECT user_id, entry_date, count(*)::integer, {sums}, public.day_eaten_json({sums})
                 FROM food_diary GROUP BY user_id, entry_date"
            ),
            format!("SELECT user_id, entry_date, entries, {names}, eaten_json FROM diary_day_totals WHERE entries > 0"),
        ),
        (
            "exercise",
            "SELECT user_id, entry_date, count(*)::integer, sum(calories_burned) FROM exercise_diary GROUP BY user_id, entry_date".to_string(),
            "SELECT user_id, entry_date, workouts, burned FROM diary_day_totals WHERE workouts > 0".to_string(),
        ),
        (
            "measurements",
            "SELECT user_id, entry_date, sum(value) FILTER (WHERE type = 'water'),
                    (array_agg(value ORDER BY measured_at DESC, created_at DESC, id DESC) FILTER (WHERE type = 'weight'))[1]
             FROM measurements WHERE type IN ('water', 'weight') GROUP BY user_id, entry_date".to_string(),
            "SELECT user_id, entry_date, water_ml, weight_kg FROM measurement_day_totals".to_string(),
        ),
        (
            "recent foods",
            "SELECT user_id, food_item_id, max(created_at) FROM food_diary
             WHERE food_item_id IS NOT NULL GROUP BY user_id, food_item_id".to_string(),
            "SELECT user_id, food_item_id, last_logged_at FROM recent_foods".to_string(),
        ),
    ];
    for (what, fresh, kept) in checks {
        let r = owner
            .query_one(
                &format!(
                    "WITH fresh AS ({fresh}), kept AS ({kept})
                     SELECT (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT ALL SELECT * FROM kept) x),
                            (SELECT count(*) FROM (SELECT * FROM kept EXCEPT ALL SELECT * FROM fresh) x)"
                ),
                &[],
            )
            .await
            .unwrap();
        let (missing, stale): (i64, i64) = (r.get(0), r.get(1));
        assert_eq!(
            (missing, stale),
            (0, 0),
            "{what} day totals disagree with their source: {missing} days missing or wrong, {stale} stale"
        );
    }
    owner
        .query_one(
            "SELECT count(*) FROM diary_day_totals WHERE entries > 0",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// A refused form (422) must say why where the user looks: an HTML answer without any error
/// message would leave them with the same page and no word of what went wrong.
pub fn assert_refusal_is_shown(status: reqwest::StatusCode, html: bool, body: &str) {
    if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY && html {
        assert!(
            ["class=\"error\"", "class=\"form-error\"", "role=\"alert\""]
                .iter()
                .any(|m| body.contains(m)),
            "a 422 page with no error message in it:\n{body}"
        );
    }
}

/// (email, is_admin, disabled) of every account, as the owner sees them.
pub async fn accounts_overview(app: &TestApp) -> Vec<(String, bool, bool)> {
    let owner = app.db.owner_client().await;
    owner
        .query(
            "SELECT email::text, is_admin, disabled_at IS NOT NULL FROM users ORDER BY email",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}
