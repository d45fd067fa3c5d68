//! Settings → Your data without JavaScript: the export archive and another app's export file
//! posted as `multipart/form-data` forms, against a real database. They take the same path
//! as the API's imports (same checks, one transaction, nothing written by a check).

mod common;
mod page_forms;

use common::{As, TestApp};
use page_forms::{get, post_multipart};
use reqwest::{header, StatusCode};
use serde_json::json;

fn fixture(name: &str) -> Vec<u8> {
    common::import_fixture(name)
}

async fn count(app: &TestApp, email: &str, table: &str) -> i64 {
    app.db
        .owner_client()
        .await
        .query_one(
            &format!(
                "SELECT count(*) FROM {table} t JOIN users u ON u.id = t.user_id WHERE u.email = $1"
            ),
            &[&email],
        )
        .await
        .unwrap()
        .get(0)
}

async fn archive_of(app: &TestApp, who: &As) -> Vec<u8> {
    let As::Cookie(cookie) = who else {
        unreachable!()
    };
    let resp = app
        .client
        .get(format!("{}/api/v1/export", app.base))
        .header(header::COOKIE, format!("sparky_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn an_archive_moves_into_a_new_account_without_javascript() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"name": "Porridge", "nutrients": {"calories": 320}, "meal_type": "breakfast"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let archive = archive_of(&app, &ann).await;

    let (_, bob) = app.user("bob@example.com").await;
    let settings = get(&app, "/settings", &bob).await;
    assert!(
        settings.body.contains("action=\"/settings/import#data-h\"")
            && settings.body.contains("enctype=\"multipart/form-data\""),
        "the form posts without the script"
    );
    let csrf = settings.csrf();

    // Without the token, or with another session's, nothing is read.
    let refused = post_multipart(
        &app,
        "/settings/import",
        &bob,
        &[],
        Some(("archive", "sparky.tar.gz", &archive)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let stale = post_multipart(
        &app,
        "/settings/import",
        &bob,
        &[("_csrf", "0123")],
        Some(("archive", "sparky.tar.gz", &archive)),
    )
    .await;
    assert!(stale.status.is_client_error(), "{}", stale.status);
    // No file chosen.
    let empty = post_multipart(&app, "/settings/import", &bob, &[("_csrf", &csrf)], None).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("Choose the archive file first."));
    // Not an archive: the check's own words, nothing written.
    let wrong = post_multipart(
        &app,
        "/settings/import",
        &bob,
        &[("_csrf", &csrf)],
        Some(("archive", "notes.txt", b"hello")),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "bob@example.com", "food_diary").await, 0);

    let done = post_multipart(
        &app,
        "/settings/import",
        &bob,
        &[("_csrf", &csrf)],
        Some(("archive", "sparky.tar.gz", &archive)),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Imported. Your data is here."));
    assert_eq!(count(&app, "bob@example.com", "food_diary").await, 1);

    // Again: the account holds data now, and the page says so.
    let again = post_multipart(
        &app,
        "/settings/import",
        &bob,
        &[("_csrf", &csrf)],
        Some(("archive", "sparky.tar.gz", &archive)),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again.body.contains("class=\"form-error\""),
        "{}",
        again.body
    );
    assert_eq!(count(&app, "bob@example.com", "food_diary").await, 1);

    // A form that is not multipart is refused as such.
    let r = app
        .client
        .post(format!("{}/settings/import", app.base))
        .header(header::COOKIE, {
            let As::Cookie(c) = &bob else { unreachable!() };
            format!("sparky_session={c}")
        })
        .header(header::ORIGIN, app.origin())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("_csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn another_apps_file_is_checked_then_imported_without_javascript() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = get(&app, "/settings", &ann).await.csrf();
    let file = fixture("mfp/Nutrition-Summary.csv");
    let send = |action: &'static str, kind: &'static str, file: Option<Vec<u8>>| {
        let app = &app;
        let ann = &ann;
        let csrf = csrf.clone();
        async move {
            post_multipart(
                app,
                "/settings/import-from",
                ann,
                &[("_csrf", &csrf), ("kind", kind), ("action", action)],
                file.as_ref()
                    .map(|f| ("file", "Nutrition-Summary.csv", f.as_slice())),
            )
            .await
        }
    };

    let check = send("check", "mfp", Some(file.clone())).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(
        check.body.contains("Ready to add: 4 diary entries."),
        "{}",
        check.body
    );
    assert!(check.body.contains("Left out:"), "the skipped row and why");
    assert!(check
        .body
        .contains("To add it, choose the file again and press Import."));
    assert!(check.body.contains("<option value=\"mfp\" selected>"));
    assert_eq!(count(&app, "ann@example.com", "food_diary").await, 0);

    let import = send("import", "mfp", Some(file.clone())).await;
    assert_eq!(import.status, StatusCode::OK, "{}", import.body);
    assert!(
        import.body.contains("Added: 4 diary entries."),
        "{}",
        import.body
    );
    assert!(!import.body.contains("choose the file again"));
    assert_eq!(count(&app, "ann@example.com", "food_diary").await, 4);

    let again = send("import", "mfp", Some(file.clone())).await;
    assert!(again.body.contains("Nothing new to add from this file."));
    assert_eq!(count(&app, "ann@example.com", "food_diary").await, 4);

    // Refusals say why on the form, keep its choices and write nothing.
    let no_file = send("check", "cronometer", None).await;
    assert_eq!(no_file.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_file.body.contains("Choose the export file first."));
    assert!(no_file
        .body
        .contains("<option value=\"cronometer\" selected>"));
    let csv = send("import", "csv", Some(file.clone())).await;
    assert_eq!(csv.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(csv.body.contains("say what the rows are"), "{}", csv.body);
    let unknown = send("import", "fitbit", Some(file.clone())).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    let broken = send(
        "import",
        "mfp",
        Some(b"Date,Meal,Calories\n2025-01-15,Lunch,500\n2025-01-16,Dinner\n".to_vec()),
    )
    .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(broken.body.contains("line 3"), "{}", broken.body);
    assert_eq!(count(&app, "ann@example.com", "food_diary").await, 4);

    // A CSV with what its rows are and a column named: its columns as read.
    let csv_file = b"Datum,Essen,Kalorien\n2025-02-01,Lunch,600\n".to_vec();
    let r = post_multipart(
        &app,
        "/settings/import-from",
        &ann,
        &[
            ("_csrf", &csrf),
            ("kind", "csv"),
            ("target", "diary"),
            ("map", "Datum=date;Essen=meal;Kalorien=calories"),
            ("action", "check"),
        ],
        Some(("file", "export.csv", &csv_file)),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Columns read:"), "{}", r.body);
    assert!(r.body.contains("Kalorien → calories"), "{}", r.body);
    assert!(r
        .body
        .contains("value=\"Datum=date;Essen=meal;Kalorien=calories\""));
}

/// The check says which of the file's other nutrient columns your custom nutrients keep and
/// which they do not (names escaped: they come from the file).
#[tokio::test]
async fn the_check_lists_the_nutrient_columns_custom_nutrients_keep() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/custom-nutrients",
            &ann,
            serde_json::json!({"name": "Caffeine", "unit": "mg"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let csrf = get(&app, "/settings", &ann).await.csrf();
    let file = b"Day,Group,Food Name,Energy (kcal),Caffeine (mg),<i>Taurine</i> (mg)\n\
                 2025-04-01,Breakfast,Energy drink,110,80,1000\n"
        .to_vec();
    let check = post_multipart(
        &app,
        "/settings/import-from",
        &ann,
        &[
            ("_csrf", &csrf),
            ("kind", "cronometer"),
            ("action", "check"),
        ],
        Some(("file", "servings.csv", &file)),
    )
    .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(
        check.body.contains("Ready to add: 1 diary entry."),
        "{}",
        check.body
    );
    assert!(
        check
            .body
            .contains("Kept as your custom nutrients: Caffeine (mg) → Caffeine"),
        "{}",
        check.body
    );
    assert!(
        check
            .body
            .contains("not kept (a custom nutrient of the same name and unit"),
        "{}",
        check.body
    );
    assert!(
        check.body.contains("&#60;i&#62;Taurine&#60;/i&#62; (mg)"),
        "{}",
        check.body
    );
    assert!(!check.body.contains("<i>Taurine"));
    assert_eq!(count(&app, "ann@example.com", "food_diary").await, 0);
}

/// A file above the server's import limit is refused on the page as in the API (413, saying
/// how to import it on the server instead), nothing is written, and the session goes on.
#[tokio::test]
async fn a_file_above_the_import_limit_is_refused_on_the_page() {
    let app = TestApp::spawn_with(sparky_web::WebConfig {
        max_import_body_bytes: 4096,
        ..sparky_web::WebConfig::default()
    })
    .await;
    let (_, ann) = app.user("ann@example.com").await;
    let csrf = get(&app, "/settings", &ann).await.csrf();
    let mut big = b"Date,Meal,Calories\n".to_vec();
    while big.len() < 10_000 {
        big.extend_from_slice(b"2025-01-15,Lunch,500\n");
    }
    let r = post_multipart(
        &app,
        "/settings/import-from",
        &ann,
        &[("_csrf", &csrf), ("kind", "mfp"), ("action", "import")],
        Some(("file", "big.csv", &big)),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("sparky import-from"), "{}", r.body);
    assert!(r.body.contains("class=\"form-error\""), "{}", r.body);
    assert_eq!(count(&app, "ann@example.com", "food_diary").await, 0);
    let after = get(&app, "/settings", &ann).await;
    assert_eq!(after.status, StatusCode::OK);
}

/// A file above the limit sent without a declared length (chunked, as a proxy may forward it)
/// is cut off as it arrives: the same 413 page, nothing written.
#[tokio::test]
async fn a_chunked_file_above_the_import_limit_is_refused_as_it_arrives() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(sparky_web::WebConfig {
        max_import_body_bytes: 4096,
        ..sparky_web::WebConfig::default()
    })
    .await;
    let (_, ann) = app.user("ann@example.com").await;
    let common::As::Cookie(cookie) = &ann else {
        unreachable!()
    };
    let csrf = get(&app, "/settings", &ann).await.csrf();
    let boundary = "----sparkychunkedboundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("_csrf", csrf.as_str()),
        ("kind", "mfp"),
        ("action", "import"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n\
             Date,Meal,Calories\n"
        )
        .as_bytes(),
    );
    while body.len() < 20_000 {
        body.extend_from_slice(b"2025-01-15,Lunch,500\n");
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());

    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /settings/import-from HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\n\
         Cookie: sparky_session={cookie}\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        app.origin()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(1000) {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        // The server may answer and close before the whole body went out.
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("an answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("sparky import-from"), "{answer}");
    assert_eq!(count(&app, "ann@example.com", "food_diary").await, 0);
    assert_eq!(get(&app, "/settings", &ann).await.status, StatusCode::OK);
}
