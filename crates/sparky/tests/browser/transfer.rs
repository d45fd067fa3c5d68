//! Settings → Your data: the export link downloads the archive, and the import form sends it
//! into a new account.

use base64::Engine;
use serde_json::json;

use super::harness::{Driver, Server};
use super::register;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_settings_and_import_into_a_new_account() {
    let server = Server::start().await;
    let driver = Driver::start();
    let ann = driver.session(&server.base).await;
    register(&ann, "Ann Example", "ann@example.com").await;
    let (status, body) = ann
        .api(
            "POST",
            "/api/v1/measurements",
            Some(json!({"type": "weight", "value": 70.5, "unit": "kg", "date": "2026-01-05"})),
        )
        .await;
    assert!((200..300).contains(&status), "{status} {body}");

    // What the link on Settings downloads.
    ann.goto("/settings").await;
    let encoded = ann
        .js(
            "var a = document.querySelector('a[href=\"/api/v1/export\"][download]');
             return fetch(a.href).then(function (r) { return r.arrayBuffer(); }).then(function (b) {
               var u = new Uint8Array(b), s = '';
               for (var i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);
               return btoa(s);
             });",
            vec![],
        )
        .await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_str().expect("base64 text"))
        .unwrap();
    let archive = sparky_app::transfer::read_archive(&bytes, 1 << 30).unwrap();
    assert_eq!(archive.manifest.user.email, "ann@example.com");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ann.tar.gz");
    std::fs::write(&path, &bytes).unwrap();
    ann.close().await;

    // A new account imports it through the form.
    let bea = driver.session(&server.base).await;
    register(&bea, "Bea Example", "bea@example.com").await;
    bea.goto("/settings").await;
    bea.until(
        "the page's script to be ready",
        "return document.documentElement.getAttribute('data-js') === 'ready';",
    )
    .await;
    bea.find("#import-file")
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    bea.click("form[data-import] button[type=submit]").await;
    bea.until_text("[data-import-status]", "Imported").await;
    let (status, body) = bea.api("GET", "/api/v1/measurements", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("70.5"), "{body}");

    // A second import is refused, and the form says why.
    bea.click("form[data-import] button[type=submit]").await;
    bea.until_text("[data-import-status]", "already holds data")
        .await;
    bea.close().await;
}
