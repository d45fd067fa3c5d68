//! What the browser tests stand on: a real `sparky serve` over a test database, Debian's
//! chromedriver on a free loopback port, and headless Chromium sessions driven over WebDriver
//! (fantoccini), with a few helpers (CDP device emulation, screenshots, axe-core, keys).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use sparky_testkit::TestDb;

/// How long any one wait in a test may take before it fails with what it was waiting for.
pub const WAIT: Duration = Duration::from_secs(30);

const INSTALL: &str = "the browser tests need Debian's Chromium and its WebDriver: \
     `apt-get install chromium chromium-driver` (or set SPARKY_CHROMIUM and SPARKY_CHROMEDRIVER \
     to their paths); .ci/run installs them";

/// The Chromium and chromedriver executables; fails the test (never skips it) when missing.
pub fn browser_tools() -> (PathBuf, PathBuf) {
    let find = |var: &str, names: &[&str]| -> Option<PathBuf> {
        if let Ok(p) = std::env::var(var) {
            return Some(PathBuf::from(p)).filter(|p| p.is_file());
        }
        let path = std::env::var("PATH").unwrap_or_default();
        names.iter().find_map(|name| {
            std::env::split_paths(&path)
                .chain([
                    PathBuf::from("/usr/bin"),
                    PathBuf::from("/usr/lib/chromium"),
                ])
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    };
    let chromium = find("SPARKY_CHROMIUM", &["chromium", "chromium-browser"]);
    let driver = find("SPARKY_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => (c, d),
        (c, d) => panic!(
            "{INSTALL} (chromium: {}, chromedriver: {})",
            c.map(|p| p.display().to_string())
                .unwrap_or_else(|| "not found".into()),
            d.map(|p| p.display().to_string())
                .unwrap_or_else(|| "not found".into()),
        ),
    }
}

/// A child process killed (and reaped) when dropped, with what it printed kept for failures.
struct Process {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Process {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Collects a pipe's lines into `log`, sending each to `lines` too.
fn drain(
    pipe: impl std::io::Read + Send + 'static,
    log: Arc<Mutex<String>>,
    lines: std::sync::mpsc::Sender<String>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = lines.send(line.clone());
            let mut l = log.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `sparky serve` on 127.0.0.1 over a fresh test database, the starter food catalog loaded.
pub struct Server {
    pub base: String,
    process: Process,
    /// Dropped after the process, which holds connections to it.
    _db: TestDb,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_with(&[]).await
    }

    /// With more environment variables (e.g. `SPARKY_AI_*` pointing at a fake provider).
    pub async fn start_with(env: &[(&str, &str)]) -> Server {
        let db = TestDb::new().await;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sparky"));
        for var in [
            "SPARKY_DATA_DIR",
            "SPARKY_PUBLIC_URL",
            "SPARKY_APP_DATABASE_URL",
            "SPARKY_AI_PROVIDER",
            "SPARKY_AI_BASE_URL",
            "SPARKY_AI_MODEL",
            "SPARKY_AI_VISION_MODEL",
            "SPARKY_AI_API_KEY",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .arg("serve")
            .env("DATABASE_URL", db.url())
            .env("SPARKY_BIND", "127.0.0.1:0")
            .env("SPARKY_STARTER_CATALOG", "true")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sparky serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        drain(child.stdout.take().unwrap(), log.clone(), tx.clone());
        drain(child.stderr.take().unwrap(), log.clone(), tx);
        let process = Process { child, log };
        let deadline = Instant::now() + Duration::from_secs(120);
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("Sparky is ready: open ") {
                        break url.trim().trim_end_matches('/').to_string();
                    }
                }
                Err(_) => panic!("sparky serve did not start:\n{}", process.log()),
            }
        };
        let server = Server {
            base,
            process,
            _db: db,
        };
        server.wait_for_catalog().await;
        server
    }

    /// The catalog (SR24, then its supplement) loads beside serving on a first start; the tests
    /// search it.
    async fn wait_for_catalog(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        let client = self._db.owner_client().await;
        loop {
            let loaded: i64 = client
                .query_one("SELECT count(*) FROM catalog_loads", &[])
                .await
                .map(|r| r.get(0))
                .unwrap_or(0);
            if loaded >= 2 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the starter catalog did not load:\n{}",
                self.process.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// Debian's chromedriver on a free loopback port.
pub struct Driver {
    pub url: String,
    chromium: PathBuf,
    _process: Process,
}

impl Driver {
    pub fn start() -> Driver {
        let (chromium, chromedriver) = browser_tools();
        let port = free_port();
        let mut child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{INSTALL}: cannot run {}: {e}", chromedriver.display()));
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, _rx) = std::sync::mpsc::channel();
        drain(child.stdout.take().unwrap(), log.clone(), tx.clone());
        drain(child.stderr.take().unwrap(), log.clone(), tx);
        let process = Process { child, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen:\n{}",
                process.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            url: format!("http://127.0.0.1:{port}/"),
            chromium,
            _process: process,
        }
    }

    /// A new headless browser with its own profile (cookies): one person.
    pub async fn session(&self, base: &str) -> Browser {
        self.session_with(base, &[]).await
    }

    /// A session with more Chromium switches (e.g. a fake camera).
    pub async fn session_with(&self, base: &str, extra: &[String]) -> Browser {
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-features=Translate,MediaRouter",
            "--lang=en-US",
            "--window-size=1280,900",
            "--hide-scrollbars",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        args.extend(extra.iter().cloned());
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": self.chromium, "args": args}),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{INSTALL}: cannot start a Chromium session: {e}"));
        let browser = Browser {
            client,
            base: base.to_string(),
        };
        browser.viewport(DESKTOP).await;
        browser
    }
}

/// A viewport: width, height, phone (touch, mobile viewport rules) or not.
#[derive(Clone, Copy, Debug)]
pub struct Viewport {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    pub mobile: bool,
}

pub const PHONE: Viewport = Viewport {
    name: "phone",
    width: 390,
    height: 844,
    mobile: true,
};
pub const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 900,
    mobile: false,
};

/// A Chrome DevTools Protocol command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

/// One browser session at the server `base`.
pub struct Browser {
    pub client: Client,
    pub base: String,
}

impl Browser {
    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    async fn cdp(&self, cmd: &'static str, params: Value) {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"));
    }

    /// The page's size (CSS pixels, device pixel ratio 1) and, for phones, mobile rules.
    pub async fn viewport(&self, v: Viewport) {
        self.viewport_height(v, v.height).await;
    }

    async fn viewport_height(&self, v: Viewport, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": v.width, "height": height, "deviceScaleFactor": 1, "mobile": v.mobile}),
        )
        .await;
        self.cdp(
            "Emulation.setTouchEmulationEnabled",
            json!({"enabled": v.mobile}),
        )
        .await;
    }

    /// The system colour scheme the page sees (`prefers-color-scheme`).
    pub async fn color_scheme(&self, dark: bool) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" }}]}),
        )
        .await;
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!(
                "no element `{css}` on {} ({e}); the page:\n{}",
                self.path().await,
                self.body_text().await
            ),
        }
    }

    /// Clicks `css`, finding it again when htmx replaced it between finding and clicking.
    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            let element = self.find(css).await;
            match element.click().await {
                Ok(()) => return,
                Err(e) if tries < 5 && e.to_string().contains("stale element") => tries += 1,
                // At the window's bottom the phone's tab bar covers it: into the middle.
                Err(e) if tries < 5 && e.to_string().contains("click intercepted") => {
                    tries += 1;
                    if let Ok(arg) = serde_json::to_value(&element) {
                        let _ = self
                            .client
                            .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
                            .await;
                    }
                }
                Err(e) => panic!("click `{css}`: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Replaces an input's text by typing `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into `{css}`: {err}"));
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value; a
    /// returned promise is awaited.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `script` returns true.
    pub async fn until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.js(script, vec![]).await == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                let diagnostics = self
                    .client
                    .execute(
                        "return JSON.stringify({ready: document.readyState, \
                         js: document.documentElement.getAttribute('data-js'), \
                         controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller), \
                         resources: performance.getEntriesByType('resource').map(function (e) { \
                           return e.name.replace(location.origin, '') + ' ' + e.responseStatus + ' ' + Math.round(e.duration) + 'ms ' + e.transferSize + 'B'; })});",
                        vec![],
                    )
                    .await
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                panic!(
                    "timed out waiting for {what} on {}; {diagnostics}; the page:\n{}",
                    self.path().await,
                    self.body_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the text of `css` contains `needle`.
    pub async fn until_text(&self, css: &str, needle: &str) {
        self.until(
            &format!("`{css}` to show {needle:?}"),
            &format!(
                "var e = document.querySelector({}); return !!e && e.innerText.indexOf({}) >= 0;",
                json!(css),
                json!(needle)
            ),
        )
        .await;
    }

    /// Waits until no element matches `css`.
    pub async fn until_gone(&self, css: &str) {
        self.until(
            &format!("`{css}` to go away"),
            &format!("return !document.querySelector({});", json!(css)),
        )
        .await;
    }

    /// A JSON API call from the page (the session cookie and the page's Origin go along).
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let r = self
            .js(
                "var init = {method: arguments[0], headers: {'content-type': 'application/json'}};
                 if (arguments[2] !== null) init.body = JSON.stringify(arguments[2]);
                 return fetch(arguments[1], init).then(function (r) {
                   return r.text().then(function (t) { return [r.status, t]; });
                 });",
                vec![json!(method), json!(path), body.unwrap_or(Value::Null)],
            )
            .await;
        let status = r[0].as_u64().unwrap_or(0) as u16;
        let text = r[1].as_str().unwrap_or_default();
        (
            status,
            serde_json::from_str(text).unwrap_or(Value::String(text.into())),
        )
    }

    /// Key presses sent to whatever has focus, as a person types them.
    pub async fn keys(&self, keys: &[Key]) {
        let mut actions = KeyActions::new("keyboard".into());
        for k in keys {
            let c: char = (*k).into();
            actions = actions
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Shift+Enter, as a person types a new line where Enter alone sends.
    pub async fn shift_enter(&self) {
        let (shift, enter): (char, char) = (Key::Shift.into(), Key::Enter.into());
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value: enter })
            .then(KeyAction::Up { value: enter })
            .then(KeyAction::Up { value: shift });
        self.client.perform_actions(actions).await.unwrap();
    }

    pub async fn type_text(&self, text: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for c in text.chars() {
            actions = actions
                .then(KeyAction::Down { value: c })
                .then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(actions).await.unwrap();
    }

    /// Whether the focused element matches `css`.
    pub async fn focused(&self, css: &str) -> bool {
        self.js(
            "var a = document.activeElement; return !!a && a.matches(arguments[0]);",
            vec![json!(css)],
        )
        .await
            == Value::Bool(true)
    }

    /// Presses Tab until the focused element matches `css` (at most `max` times).
    pub async fn tab_to(&self, css: &str, max: usize) {
        for _ in 0..max {
            if self.focused(css).await {
                return;
            }
            self.keys(&[Key::Tab]).await;
        }
        assert!(
            self.focused(css).await,
            "{max} Tabs did not reach `{css}` on {}",
            self.path().await
        );
    }

    /// A PNG of the page at `v` (the whole page, unless a dialog is open) under `dir`.
    pub async fn screenshot(&self, v: Viewport, dir: &Path, name: &str) {
        let height = self
            .js(
                "return document.querySelector('dialog[open]') ? 0 : document.documentElement.scrollHeight;",
                vec![],
            )
            .await
            .as_u64()
            .unwrap_or(0) as u32;
        let tall = height > v.height;
        if tall {
            self.viewport_height(v, height.min(6000)).await;
        }
        let png = self.client.screenshot().await.unwrap();
        if tall {
            self.viewport_height(v, v.height).await;
        }
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// axe-core's violations on the current page (all rules of its default set).
    pub async fn axe(&self) -> Vec<Value> {
        static AXE: &str = include_str!("../../../sparky-web/tests/vendor/axe.min.js");
        if self.js("return typeof window.axe;", vec![]).await != json!("object") {
            self.js(&format!("{AXE}\nreturn true;"), vec![]).await;
        }
        let r = self
            .js(
                "return window.axe.run(document, {resultTypes: ['violations']})
                   .then(function (r) { return r.violations; });",
                vec![],
            )
            .await;
        r.as_array().cloned().unwrap_or_default()
    }
}
