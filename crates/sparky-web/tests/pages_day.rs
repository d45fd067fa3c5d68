//! The day page's date picker: `/day?date=` goes to that day; anything else goes to today.

mod common;
mod pages_kit;

use common::TestApp;
use pages_kit::get;
use reqwest::StatusCode;

#[tokio::test]
async fn the_date_picker_goes_to_the_chosen_day() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;

    // The picker is on the page, holding the day shown.
    let page = get(&app, "/day/2026-11-20", &ann, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(r#"id="day-pick" type="date" name="date" value="2026-11-20""#),
        "{}",
        page.body
    );

    let r = get(&app, "/day?date=2026-03-01", &ann, None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location, "/day/2026-03-01");
    for bad in [
        "",
        "?date=",
        "?date=2026-02-30",
        "?date=9999-01-01",
        "?date=%0d%0aX:1",
    ] {
        let r = get(&app, &format!("/day{bad}"), &ann, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{bad}");
        assert_eq!(r.location, "/", "{bad}");
    }
}

/// An address a page cannot read is the app's HTML error page (with its way home), never a framework's plain-text rejection: unreadable query parameters a 400, a malformed
/// id in the path a 404.
#[tokio::test]
async fn unreadable_addresses_are_html_error_pages() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (path, status) in [
        ("/checkin?date=99999-01-01", StatusCode::BAD_REQUEST),
        ("/exercise?date=yesterday-ish", StatusCode::BAD_REQUEST),
        ("/plans/not-a-uuid", StatusCode::NOT_FOUND),
        ("/foods/not-a-uuid", StatusCode::NOT_FOUND),
    ] {
        let page = get(&app, path, &ann, None).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert!(
            page.body.starts_with("<!doctype html>"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body.contains("class=\"error-page\""),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains(status.as_str()), "{path}: {}", page.body);
    }
}
