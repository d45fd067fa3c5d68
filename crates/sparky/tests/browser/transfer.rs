//! Settings → Your data: the export link downloads the archive, the import form sends it
//! into a new account, and another app's export is checked, then imported.

use base64::Engine;
use serde_json::json;

use super::harness::{Browser, Driver, Server, DESKTOP, PHONE};
use super::{register, screenshot_dir};

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

    // What the link on Settings downloads (waiting for it: a loaded machine once ran the
    // script before the page had it).
    ann.goto("/settings").await;
    ann.find("a[href=\"/api/v1/export\"][download]").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_apps_export_is_checked_then_imported() {
    let server = Server::start().await;
    let driver = Driver::start();
    let cy = driver.session(&server.base).await;
    register(&cy, "Cy Example", "cy@example.com").await;
    cy.goto("/settings").await;
    cy.until(
        "the page's script to be ready",
        "return document.documentElement.getAttribute('data-js') === 'ready';",
    )
    .await;
    // Import is offered only after a check.
    let shown = cy
        .js(
            "return getComputedStyle(document.querySelector('[data-import-from-confirm]')).display;",
            vec![],
        )
        .await;
    assert_eq!(shown, "none");
    // The stylesheet alone (as without the script, which sets `hidden` on a change) shows the
    // CSV fields only while "Any CSV" is chosen.
    let displays = cy
        .js(
            "var form = document.querySelector('form[data-import-from]');
             var fields = form.querySelector('[data-csv-only]');
             var kind = form.querySelector('select[name=kind]');
             var was = [kind.value, fields.hidden];
             fields.hidden = false;
             kind.value = 'strong';
             var other = getComputedStyle(fields).display;
             kind.value = 'csv';
             var csv = getComputedStyle(fields).display;
             kind.value = was[0];
             fields.hidden = was[1];
             return [other, csv];",
            vec![],
        )
        .await;
    assert_eq!(displays, json!(["none", "block"]));
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sparky-import/fixtures/strong/strong.csv")
        .canonicalize()
        .unwrap();
    check_file(&cy, "strong", &file).await;
    cy.until_text("[data-import-from-status]", "Ready to add: 4 workouts")
        .await;
    let status = cy.text("[data-import-from-status]").await;
    assert!(status.contains("a rest timer, not a set"), "{status}");
    // Nothing is written by the check.
    let (_, body) = cy
        .api(
            "GET",
            "/api/v1/workouts?from=2025-11-01&to=2025-11-30",
            None,
        )
        .await;
    assert!(!body.to_string().contains("Bench"), "{body}");
    for (v, name) in [
        (PHONE, "import-from-phone"),
        (DESKTOP, "import-from-desktop"),
    ] {
        cy.viewport(v).await;
        cy.goto("/settings#from-h").await;
        cy.screenshot(v, &screenshot_dir(), name).await;
    }
    // Check again (the form is the same page), then import.
    cy.until(
        "the page's script to be ready",
        "return document.documentElement.getAttribute('data-js') === 'ready';",
    )
    .await;
    check_file(&cy, "strong", &file).await;
    cy.until_text("[data-import-from-status]", "Ready to add")
        .await;
    cy.click("[data-import-from-confirm]").await;
    cy.until_text("[data-import-from-status]", "Added: 4 workouts")
        .await;
    let (status, body) = cy
        .api(
            "GET",
            "/api/v1/workouts?from=2025-11-01&to=2025-11-30",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("Bench Press (Barbell)"), "{body}");
    // The same file again adds nothing, and says so.
    cy.click("form[data-import-from] button[type=submit]").await;
    cy.until_text("[data-import-from-status]", "Nothing new to add")
        .await;
    // A MacroFactor workbook (a binary .xlsx) goes through the same form.
    let book = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sparky-import/fixtures/macrofactor/granular.xlsx")
        .canonicalize()
        .unwrap();
    check_file(&cy, "macrofactor", &book).await;
    cy.until_text(
        "[data-import-from-status]",
        "Ready to add: 2 foods, 5 diary entries, 3 measurements, 3 workouts",
    )
    .await;
    // Cronometer's servings: its other nutrient columns are listed, Caffeine kept as the
    // custom nutrient of that name; one serving reads "entry", not "entries".
    let (status, body) = cy
        .api(
            "POST",
            "/api/v1/custom-nutrients",
            Some(json!({"name": "Caffeine", "unit": "mg"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let servings =
        std::env::temp_dir().join(format!("sparky-cronometer-{}.csv", std::process::id()));
    std::fs::write(
        &servings,
        "Day,Time,Group,Food Name,Amount,Energy (kcal),Caffeine (mg),Omega-3 (g)\n\
         2025-01-15,8:05 AM,Breakfast,Coffee,1.00 cup,2.4,95,0\n",
    )
    .unwrap();
    check_file(&cy, "cronometer", &servings).await;
    cy.until_text("[data-import-from-status]", "Ready to add: 1 diary entry.")
        .await;
    let status = cy.text("[data-import-from-status]").await;
    assert!(
        status.contains("Kept as your custom nutrients: Caffeine (mg) → Caffeine"),
        "{status}"
    );
    assert!(status.contains("not kept"), "{status}");
    assert!(status.contains("Omega-3 (g)"), "{status}");
    let _ = std::fs::remove_file(&servings);
    // A later MyFitnessPal export whose breakfast total changed: the check says the earlier
    // entry will be replaced.
    let mfp = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sparky-import/fixtures/mfp/Nutrition-Summary.csv")
        .canonicalize()
        .unwrap();
    check_file(&cy, "mfp", &mfp).await;
    cy.until_text("[data-import-from-status]", "Ready to add")
        .await;
    cy.click("[data-import-from-confirm]").await;
    cy.until_text("[data-import-from-status]", "Added:").await;
    let later = std::env::temp_dir().join(format!("sparky-mfp-later-{}.csv", std::process::id()));
    let text = std::fs::read_to_string(&mfp)
        .unwrap()
        .replace("2025-01-15,Breakfast,420,", "2025-01-15,Breakfast,450,");
    std::fs::write(&later, text).unwrap();
    check_file(&cy, "mfp", &later).await;
    cy.until_text(
        "[data-import-from-status]",
        "Entries from an earlier import of this app that this newer file replaces (a meal whose total changed): 1.",
    )
    .await;
    let _ = std::fs::remove_file(&later);
    cy.close().await;
}

/// Chooses the app and the file on Settings → Your data and presses "Check the file".
async fn check_file(b: &Browser, kind: &str, file: &std::path::Path) {
    b.js(
        "var s = document.getElementById('import-from-kind'); s.value = arguments[0];
         s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(kind)],
    )
    .await;
    b.find("#import-from-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    b.click("form[data-import-from] button[type=submit]").await;
}

/// Any CSV: choosing it shows what the rows are and a field for column names; the check says
/// how each column was read, a column named in the field is read as that, and the import
/// adds the rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_csv_is_matched_checked_and_imported() {
    let server = Server::start().await;
    let driver = Driver::start();
    let di = driver.session(&server.base).await;
    register(&di, "Di Example", "di@example.com").await;
    di.goto("/settings").await;
    di.until(
        "the page's script to be ready",
        "return document.documentElement.getAttribute('data-js') === 'ready';",
    )
    .await;
    let csv_fields_shown =
        "return getComputedStyle(document.querySelector('[data-csv-only]')).display !== 'none';";
    assert_eq!(di.js(csv_fields_shown, vec![]).await, false);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tagebuch.csv");
    std::fs::write(
        &file,
        "Datum;Mahlzeit;Essen;Kalorien;Notiz\n01.11.2025;Mittag;Suppe;250,5;gut\n02.11.2025;Abend;Brot;310;\n",
    )
    .unwrap();
    check_file(&di, "csv", &file).await;
    assert_eq!(di.js(csv_fields_shown, vec![]).await, true);
    di.until_text("[data-import-from-status]", "Kalorien → not used")
        .await;
    let status = di.text("[data-import-from-status]").await;
    assert!(status.contains("Datum → date"), "{status}");
    assert!(status.contains("Nothing new to add"), "{status}");

    di.fill("#import-from-map", "Kalorien=calories; Essen=name")
        .await;
    di.click("form[data-import-from] button[type=submit]").await;
    di.until_text("[data-import-from-status]", "Ready to add: 2 diary entries")
        .await;
    assert!(di
        .text("[data-import-from-status]")
        .await
        .contains("Kalorien → calories"));
    di.viewport(PHONE).await;
    di.screenshot(PHONE, &screenshot_dir(), "import-csv-phone")
        .await;
    di.viewport(DESKTOP).await;
    di.screenshot(DESKTOP, &screenshot_dir(), "import-csv-desktop")
        .await;
    di.click("[data-import-from-confirm]").await;
    di.until_text("[data-import-from-status]", "Added: 2 diary entries")
        .await;
    let (status, body) = di.api("GET", "/api/v1/diary/2025-11-01", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains("250.5"), "{body}");
    assert!(body.to_string().contains("Suppe"), "{body}");
    di.close().await;
}
