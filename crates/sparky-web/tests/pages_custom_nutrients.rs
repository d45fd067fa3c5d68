//! Custom nutrients in the browser, without JavaScript: defined, renamed, given a daily range
//! and deleted in Settings (refusals said at the inputs, changing nothing; only one's own),
//! typed into the food forms (an emptied input removes the amount, names without a definition
//! are kept), shown with their units on a food's page and a day's totals (by the day owner's
//! definitions, against each one's daily range), and tabulated on the Reports page.

mod common;
mod pages_kit;

use common::{As, TestApp};
use pages_kit::{get, grant, post, token, Html};
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADD: &str = "/settings/custom-nutrients";
const DAY: &str = "/day/2026-12-01";

/// Defines a custom nutrient with the settings page's add form, as a browser sends it.
async fn define(app: &TestApp, who: &As, name: &str, unit: &str) -> Html {
    add_form(app, who, &[("name", name), ("unit", unit)]).await
}

/// Sends the settings page's add form with `fields`, as a browser sends it.
async fn add_form(app: &TestApp, who: &As, fields: &[(&str, &str)]) -> Html {
    let page = get(app, "/settings", who, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let once = page.once_of(&format!("{ADD}#custom-nutrients"));
    let mut fields = fields.to_vec();
    fields.push(("_once", &once));
    post(app, ADD, who, None, Some(&page.csrf()), &fields).await
}

/// Sends the Change form of the custom nutrient `id` with `fields` and the page's `csrf`.
async fn change_form(
    app: &TestApp,
    who: &As,
    id: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> Html {
    post(app, &format!("{ADD}/{id}"), who, None, Some(csrf), fields).await
}

/// The custom nutrients `who` has, by the API: (name, unit, daily_min, daily_max) in order.
async fn ranges(app: &TestApp, who: &As) -> Vec<(String, String, Value, Value)> {
    let r = app.get("/api/v1/custom-nutrients", who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_string(),
                n["unit"].as_str().unwrap().to_string(),
                n["daily_min"].clone(),
                n["daily_max"].clone(),
            )
        })
        .collect()
}

/// The error paragraph of the page whose id is `id`, up to its end.
fn said_at(body: &str, id: &str) -> Option<String> {
    let at = body.find(&format!("<p class=\"error\" id=\"{id}\">"))?;
    Some(body[at..].split("</p>").next()?.to_string())
}

/// The custom nutrients `who` has, by the API: (name, unit) in order.
async fn defined(app: &TestApp, who: &As) -> Vec<(String, String)> {
    let r = app.get("/api/v1/custom-nutrients", who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["name"].as_str().unwrap().to_string(),
                n["unit"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn id_of(app: &TestApp, who: &As, name: &str) -> String {
    let r = app.get("/api/v1/custom-nutrients", who).await;
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", r.body))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn food(app: &TestApp, who: &As, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/foods/{id}"), who).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// A food of `who`'s own by the API (its custom names must be defined).
async fn new_food(app: &TestApp, who: &As, body: Value) -> String {
    let r = app.post("/api/v1/foods", who, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

/// `servings` of the food's default serving, at breakfast on [`DAY`].
async fn log(app: &TestApp, who: &As, food_id: &str, servings: f64) {
    log_on(app, who, food_id, servings, "2026-12-01").await;
}

/// `servings` of the food's default serving, at breakfast on `date`.
async fn log_on(app: &TestApp, who: &As, food_id: &str, servings: f64, date: &str) {
    let r = app
        .post(
            "/api/v1/diary",
            who,
            json!({"food_item_id": food_id, "meal_type": "breakfast", "date": date,
                   "quantity": servings, "unit": "serving"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// The day's custom total as the page lists it.
fn total(name: &str, amount: &str) -> String {
    format!("<dt>{name}</dt><dd>{amount}</dd>")
}

fn default_serving(food: &Value) -> &Value {
    food["servings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["is_default"] == json!(true))
        .unwrap()
}

#[tokio::test]
async fn a_nutrient_defined_in_settings_is_on_the_food_form_and_counted_on_the_day() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    // Without one, neither the form nor the day has any.
    let sheet = get(
        &app,
        "/add?date=2026-12-01&meal=breakfast&tab=create",
        &ann,
        None,
    )
    .await;
    assert!(!sheet.body.contains("name=\"custom_"), "{}", sheet.body);
    let settings = get(&app, "/settings", &ann, None).await;
    assert!(
        settings.body.contains("No custom nutrients yet."),
        "{}",
        settings.body
    );

    let r = define(&app, &ann, "Caffeine", "mg").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/settings?nutrient=added#custom-nutrients");
    assert_eq!(
        defined(&app, &ann).await,
        [("Caffeine".into(), "mg".into())]
    );
    let settings = get(&app, "/settings?nutrient=added", &ann, None).await;
    assert!(settings.body.contains("Added."), "{}", settings.body);
    assert!(
        settings.body.contains("<b>Caffeine</b><span>mg</span>"),
        "{}",
        settings.body
    );
    let id = id_of(&app, &ann, "Caffeine").await;
    let field = format!("custom_{id}");

    // The new-food form has its input, labelled with the unit.
    let sheet = get(
        &app,
        "/add?date=2026-12-01&meal=breakfast&tab=create",
        &ann,
        None,
    )
    .await;
    assert!(
        sheet.body.contains("Caffeine (mg)</label>"),
        "{}",
        sheet.body
    );
    assert!(
        sheet.body.contains(&format!("name=\"{field}\"")),
        "{}",
        sheet.body
    );
    let once = sheet.once_of("/add/create");
    let form = |caffeine: &'static str| {
        vec![
            ("date", "2026-12-01"),
            ("meal", "breakfast"),
            ("name", "Cold brew"),
            ("size", "1"),
            ("unit", "cup"),
            ("calories", "5"),
            (field.as_str(), caffeine),
        ]
    };
    // Not a number: refused by its name, what was typed kept, no food made.
    let mut fields = form("lots");
    fields.push(("_once", &once));
    let r = post(
        &app,
        "/add/create",
        &ann,
        None,
        Some(&sheet.csrf()),
        &fields,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Caffeine: "), "{}", r.body);
    assert!(r.body.contains("value=\"lots\""), "{}", r.body);
    let found = app.get("/api/v1/foods?q=Cold+brew", &ann).await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    assert!(
        !found.body["items"].to_string().contains("Cold brew"),
        "{:?}",
        found.body
    );

    let mut fields = form("95");
    fields.push(("_once", &once));
    let r = post(
        &app,
        "/add/create",
        &ann,
        None,
        Some(&sheet.csrf()),
        &fields,
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let food_id = r
        .location
        .strip_prefix("/add/food/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("{}", r.location))
        .to_string();
    let f = food(&app, &ann, &food_id).await;
    assert_eq!(
        default_serving(&f)["custom_nutrients"],
        json!({"Caffeine": 95.0}),
        "{f}"
    );

    // Its page shows the amount with its unit and fills the input.
    let page = get(&app, &format!("/foods/{food_id}"), &ann, None).await;
    assert!(page.body.contains("Caffeine 95 mg"), "{}", page.body);
    assert!(
        page.body.contains(&format!(
            "name=\"{field}\" inputmode=\"decimal\" value=\"95\""
        )),
        "{}",
        page.body
    );

    // Two servings logged with the picker: the day adds them up, under the macros.
    let serving = default_serving(&f)["id"].as_str().unwrap().to_string();
    let picker = get(
        &app,
        &format!("/add/food/{food_id}?date=2026-12-01&meal=breakfast"),
        &ann,
        None,
    )
    .await;
    let r = post(
        &app,
        "/add/log",
        &ann,
        None,
        Some(&picker.csrf()),
        &[
            ("date", "2026-12-01"),
            ("meal", "breakfast"),
            ("food_item_id", &food_id),
            ("serving_id", &serving),
            ("quantity", "2"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let day = get(&app, DAY, &ann, None).await;
    assert!(day.body.contains("Custom nutrients</h3>"), "{}", day.body);
    assert!(
        day.body.contains(&total("Caffeine", "190 mg")),
        "{}",
        day.body
    );
    // A day without any says nothing of them.
    let other = get(&app, "/day/2026-12-02", &ann, None).await;
    assert!(!other.body.contains("custom-totals"), "{}", other.body);
}

/// The edit form sets, removes and keeps: a typed amount replaces the stored one (and other
/// servings of known weight follow per gram), an emptied input removes it, a form without the
/// input (made before the nutrient was defined) and names without a definition keep theirs.
#[tokio::test]
async fn editing_a_food_sets_removes_and_keeps_custom_amounts() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (name, unit) in [("Caffeine", "mg"), ("Taurine", "mg")] {
        let r = define(&app, &ann, name, unit).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let id = new_food(
        &app,
        &ann,
        json!({"name": "Energy drink", "servings": [
            {"size": 100, "unit": "ml", "weight_g": 100, "nutrients": {"calories": 45},
             "custom_nutrients": {"Caffeine": 32, "Taurine": 400}},
            {"size": 1, "unit": "can", "weight_g": 250, "nutrients": {"calories": 112.5},
             "custom_nutrients": {"Caffeine": 80, "Taurine": 1000}}
        ]}),
    )
    .await;
    // Taurine's definition goes: its amounts stay in the food, not shown.
    let taurine = id_of(&app, &ann, "Taurine").await;
    let r = app
        .delete(&format!("/api/v1/custom-nutrients/{taurine}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let field = format!("custom_{}", id_of(&app, &ann, "Caffeine").await);

    let page = get(&app, &format!("/foods/{id}"), &ann, None).await;
    assert!(
        page.body.contains(&format!(
            "name=\"{field}\" inputmode=\"decimal\" value=\"32\""
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("Caffeine (mg)</label>"), "{}", page.body);
    assert!(!page.body.contains("Taurine"), "{}", page.body);
    let csrf = page.csrf();
    let save = |caffeine: Option<&'static str>| {
        let mut f = vec![
            ("name", "Energy drink"),
            ("size", "100"),
            ("unit", "ml"),
            ("weight_g", "100"),
            ("calories", "45"),
        ];
        if let Some(v) = caffeine {
            f.push((field.as_str(), v));
        }
        f
    };
    let custom = |f: &Value, unit: &str| {
        f["servings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["unit"] == unit)
            .unwrap()["custom_nutrients"]
            .clone()
    };

    // Not a number: refused by its name, nothing changed.
    let r = post(
        &app,
        &format!("/foods/{id}"),
        &ann,
        None,
        Some(&csrf),
        &save(Some("x1")),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Caffeine: "), "{}", r.body);
    assert!(r.body.contains("value=\"x1\""), "{}", r.body);
    let f = food(&app, &ann, &id).await;
    assert_eq!(
        custom(&f, "ml"),
        json!({"Caffeine": 32.0, "Taurine": 400.0})
    );

    // A new amount: the can follows per gram (40 mg per 100 g × 250 g); Taurine stays.
    let r = post(
        &app,
        &format!("/foods/{id}"),
        &ann,
        None,
        Some(&csrf),
        &save(Some("40")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = food(&app, &ann, &id).await;
    assert_eq!(
        custom(&f, "ml"),
        json!({"Caffeine": 40.0, "Taurine": 400.0}),
        "{f}"
    );
    assert_eq!(
        custom(&f, "can"),
        json!({"Caffeine": 100.0, "Taurine": 1000.0}),
        "{f}"
    );
    let page = get(&app, &format!("/foods/{id}?saved=1"), &ann, None).await;
    assert!(page.body.contains("Caffeine 40 mg"), "{}", page.body);
    assert!(page.body.contains("Caffeine 100 mg"), "{}", page.body);

    // A form without the input (shown before Caffeine was defined) keeps it.
    let r = post(
        &app,
        &format!("/foods/{id}"),
        &ann,
        None,
        Some(&csrf),
        &save(None),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = food(&app, &ann, &id).await;
    assert_eq!(
        custom(&f, "ml"),
        json!({"Caffeine": 40.0, "Taurine": 400.0}),
        "{f}"
    );

    // Emptied: gone from the serving, and from the can that follows it; Taurine stays.
    let r = post(
        &app,
        &format!("/foods/{id}"),
        &ann,
        None,
        Some(&csrf),
        &save(Some("")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let f = food(&app, &ann, &id).await;
    assert_eq!(custom(&f, "ml"), json!({"Taurine": 400.0}), "{f}");
    assert_eq!(custom(&f, "can"), json!({"Taurine": 1000.0}), "{f}");
    let page = get(&app, &format!("/foods/{id}"), &ann, None).await;
    assert!(!page.body.contains("Caffeine 40 mg"), "{}", page.body);
    // Defining Taurine again shows what the food kept.
    let r = define(&app, &ann, "Taurine", "mg").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = get(&app, &format!("/foods/{id}"), &ann, None).await;
    assert!(page.body.contains("Taurine 400 mg"), "{}", page.body);
}

#[tokio::test]
async fn a_rename_is_followed_by_the_day_and_a_deleted_nutrient_is_hidden_not_lost() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = define(&app, &ann, "Caffeine", "mg").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let coffee = new_food(
        &app,
        &ann,
        json!({"name": "Espresso", "servings": [{"size": 1, "unit": "shot",
               "nutrients": {"calories": 3}, "custom_nutrients": {"Caffeine": 63.5}}]}),
    )
    .await;
    log(&app, &ann, &coffee, 3.0).await;
    // Three shots of 63.5 mg: 190.5, shown whole like the macros.
    let day = get(&app, DAY, &ann, None).await;
    assert!(
        day.body.contains(&total("Caffeine", "191 mg")),
        "{}",
        day.body
    );

    // Renamed (the unit too) in Settings: the day follows, and a form without the daily
    // range's inputs (a page from before they were there) keeps the range.
    let id = id_of(&app, &ann, "Caffeine").await;
    let r = app
        .put(
            &format!("/api/v1/custom-nutrients/{id}"),
            &ann,
            json!({"name": "Caffeine", "unit": "mg", "daily_max": 400}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let csrf = token(&app, &ann, "/settings").await;
    let r = change_form(
        &app,
        &ann,
        &id,
        &csrf,
        &[("name", "Coffee caffeine"), ("unit", "MG")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/settings?nutrient=saved#custom-nutrients");
    assert_eq!(
        defined(&app, &ann).await,
        [("Coffee caffeine".into(), "mg".into())]
    );
    let list = app.get("/api/v1/custom-nutrients", &ann).await;
    assert_eq!(list.body[0]["daily_max"], json!(400.0), "{:?}", list.body);
    let day = get(&app, DAY, &ann, None).await;
    assert!(
        day.body
            .contains("<dt>Coffee caffeine</dt><dd>191 mg <span class=\"cn-range within\">"),
        "{}",
        day.body
    );
    assert!(!day.body.contains("<dt>Caffeine</dt>"), "{}", day.body);

    // Delete asks first, saying what is kept; nothing goes until confirmed.
    let ask = post(
        &app,
        &format!("{ADD}/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[],
    )
    .await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    assert!(
        ask.body
            .contains("Delete the custom nutrient “Coffee caffeine”?"),
        "{}",
        ask.body
    );
    assert!(ask.body.contains("are kept"), "{}", ask.body);
    assert_eq!(defined(&app, &ann).await.len(), 1);
    let r = post(
        &app,
        &format!("{ADD}/{id}/delete"),
        &ann,
        None,
        Some(&csrf),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location, "/settings?nutrient=deleted#custom-nutrients");
    assert!(defined(&app, &ann).await.is_empty());
    let day = get(&app, DAY, &ann, None).await;
    assert!(!day.body.contains("custom-totals"), "{}", day.body);
    assert!(!day.body.contains("Coffee caffeine"), "{}", day.body);
    let page = get(&app, &format!("/foods/{coffee}"), &ann, None).await;
    assert!(!page.body.contains("Coffee caffeine"), "{}", page.body);

    // Defined again, in other capitals: the amounts logged come back.
    let r = define(&app, &ann, "coffee Caffeine", "mg").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let day = get(&app, DAY, &ann, None).await;
    assert!(
        day.body.contains(&total("coffee Caffeine", "191 mg")),
        "{}",
        day.body
    );
}

#[tokio::test]
async fn a_taken_or_built_in_name_is_refused_at_its_input_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (name, unit) in [("Caffeine", "mg"), ("Omega-3", "g")] {
        let r = define(&app, &ann, name, unit).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let before = defined(&app, &ann).await;
    let add_error = |body: &str| {
        let at = body.find("id=\"cn-name-error\"")?;
        Some(body[at..].split("</p>").next()?.to_string())
    };

    // Added again (other capitals), or a built-in nutrient's name: said under the new name.
    for (name, said) in [
        (
            "caffeine",
            "You already have a custom nutrient of that name",
        ),
        ("Protein", "not a built-in nutrient"),
        ("", "1 to 40 characters"),
    ] {
        let r = define(&app, &ann, name, "mg").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {}",
            r.body
        );
        let error = add_error(&r.body).unwrap_or_else(|| panic!("{name}: {}", r.body));
        assert!(error.contains(said), "{name}: {error}");
        assert!(r.body.contains(&format!("value=\"{name}\"")), "{}", r.body);
        assert_eq!(defined(&app, &ann).await, before, "{name}");
    }
    // A unit that is none of them: said at the unit.
    let r = define(&app, &ann, "Iodine", "kcal").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Choose g, mg, µg or IU."), "{}", r.body);
    assert_eq!(defined(&app, &ann).await, before);

    // Renamed to another's name or a built-in one: said at that nutrient's own input, with
    // its details open; nothing renamed.
    let omega = id_of(&app, &ann, "Omega-3").await;
    let csrf = token(&app, &ann, "/settings").await;
    for (name, said) in [
        (
            "CAFFEINE",
            "You already have a custom nutrient of that name",
        ),
        ("Sodium", "not a built-in nutrient"),
    ] {
        let r = change_form(&app, &ann, &omega, &csrf, &[("name", name), ("unit", "g")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let marker = format!("id=\"cn-name-{omega}-error\">");
        let at = r
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("{name}: {}", r.body));
        let error = r.body[at..].split("</p>").next().unwrap();
        assert!(error.contains(said), "{name}: {error}");
        assert!(r.body.contains(&format!("value=\"{name}\"")), "{}", r.body);
        assert!(r.body.contains("<details open>"), "{}", r.body);
        assert_eq!(defined(&app, &ann).await, before, "{name}");
    }
    // Its own name in other capitals is no clash.
    let r = change_form(
        &app,
        &ann,
        &omega,
        &csrf,
        &[("name", "omega-3"), ("unit", "mg")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        defined(&app, &ann).await,
        [
            ("Caffeine".into(), "mg".into()),
            ("omega-3".into(), "mg".into())
        ]
    );
}

/// The add form sent twice (a resubmitted page) adds one nutrient, without an "already have
/// one" refusal.
#[tokio::test]
async fn the_add_form_sent_twice_adds_one() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let page = get(&app, "/settings", &ann, None).await;
    let once = page.once_of(&format!("{ADD}#custom-nutrients"));
    for _ in 0..2 {
        let r = post(
            &app,
            ADD,
            &ann,
            None,
            Some(&page.csrf()),
            &[("name", "Iodine"), ("unit", "mcg"), ("_once", &once)],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    assert_eq!(defined(&app, &ann).await, [("Iodine".into(), "µg".into())]);
}

#[tokio::test]
async fn another_user_can_neither_rename_nor_delete_yours() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let r = define(&app, &ann, "Caffeine", "mg").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = id_of(&app, &ann, "Caffeine").await;
    let csrf = token(&app, &bob, "/settings").await;
    let settings = get(&app, "/settings", &bob, None).await;
    assert!(
        !settings.body.contains("<b>Caffeine</b>"),
        "{}",
        settings.body
    );

    for (path, fields) in [
        (
            format!("{ADD}/{id}"),
            vec![("name", "Mine now"), ("unit", "g")],
        ),
        // A refused rename of it would show its form: it is not shown either.
        (
            format!("{ADD}/{id}"),
            vec![("name", "Protein"), ("unit", "g")],
        ),
        (format!("{ADD}/{id}/delete"), vec![]),
        (format!("{ADD}/{id}/delete"), vec![("confirm", "yes")]),
    ] {
        let r = post(&app, &path, &bob, None, Some(&csrf), &fields).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{path} {fields:?}: {}",
            r.body
        );
    }
    assert_eq!(
        defined(&app, &ann).await,
        [("Caffeine".into(), "mg".into())]
    );
    assert!(defined(&app, &bob).await.is_empty());
}

/// Ann, who counts caffeine in mg, and Bob, who counts it in g.
async fn caffeine_in_mg_and_g(app: &TestApp) -> (String, As, As) {
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    let r = define(app, &ann, "Caffeine", "mg").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = define(app, &bob, "Caffeine", "g").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    (ann_id, ann, bob)
}

/// A family member's day is read by its owner's definitions (the viewer's own, of the same
/// name in another unit, do not count), and the viewer's own day by theirs.
#[tokio::test]
async fn a_shared_day_shows_the_owners_custom_nutrients() {
    let app = TestApp::spawn().await;
    let (ann_id, ann, bob) = caffeine_in_mg_and_g(&app).await;
    let coffee = new_food(
        &app,
        &ann,
        json!({"name": "Filter coffee", "servings": [{"size": 1, "unit": "mug",
               "nutrients": {"calories": 2}, "custom_nutrients": {"Caffeine": 120}}]}),
    )
    .await;
    log(&app, &ann, &coffee, 1.0).await;
    grant(&app, &ann, "bob@example.com", "reports").await;

    let shared = get(&app, DAY, &bob, Some(&ann_id)).await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.body);
    assert!(shared.body.contains("Filter coffee"), "{}", shared.body);
    assert!(
        shared.body.contains(&total("Caffeine", "120 mg")),
        "{}",
        shared.body
    );
    assert!(!shared.body.contains("120 g"), "{}", shared.body);
    let own = get(&app, DAY, &bob, None).await;
    assert!(!own.body.contains("custom-totals"), "{}", own.body);
}

/// The add form and each nutrient's Change panel set the daily range: kept, shown in the list
/// and filled in again; a bound not a number, out of bounds or below the lower one is said at
/// its input with what was typed kept, and changes nothing; an emptied input removes its bound.
#[tokio::test]
async fn a_daily_range_is_set_changed_and_removed_in_settings() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = add_form(
        &app,
        &ann,
        &[
            ("name", "Caffeine"),
            ("unit", "mg"),
            ("daily_min", ""),
            ("daily_max", "400"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Typed as people type them: a decimal comma.
    let r = add_form(
        &app,
        &ann,
        &[
            ("name", "Omega-3"),
            ("unit", "g"),
            ("daily_min", "1,1"),
            ("daily_max", "3"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let before = vec![
        ("Caffeine".into(), "mg".into(), Value::Null, json!(400.0)),
        ("Omega-3".into(), "g".into(), json!(1.1), json!(3.0)),
    ];
    assert_eq!(ranges(&app, &ann).await, before);
    let id = id_of(&app, &ann, "Caffeine").await;
    let settings = get(&app, "/settings", &ann, None).await;
    let b = &settings.body;
    assert!(
        b.contains("<b>Caffeine</b><span>at most 400 mg a day</span>"),
        "{b}"
    );
    assert!(
        b.contains("<b>Omega-3</b><span>1.1–3 g a day</span>"),
        "{b}"
    );
    // The Change panel holds the range to change.
    assert!(
        b.contains(&format!("id=\"cn-min-{id}\" name=\"daily_min\" inputmode=\"decimal\" autocomplete=\"off\" value=\"\"")),
        "{b}"
    );
    assert!(
        b.contains(&format!("id=\"cn-max-{id}\" name=\"daily_max\" inputmode=\"decimal\" autocomplete=\"off\" value=\"400\"")),
        "{b}"
    );

    // Refused when added: at the bound's input, what was typed kept, nothing added.
    for (min, max, at, said) in [
        ("lots", "", "cn-min-error", "Give a number"),
        ("-1", "", "cn-min-error", "from 0 to 1,000,000"),
        ("", "0", "cn-max-error", "above 0 and up to 1,000,000"),
        ("", "2000000", "cn-max-error", "above 0 and up to 1,000,000"),
        (
            "500",
            "100",
            "cn-max-error",
            "no less than “At least a day”",
        ),
    ] {
        let r = add_form(
            &app,
            &ann,
            &[
                ("name", "Iodine"),
                ("unit", "µg"),
                ("daily_min", min),
                ("daily_max", max),
            ],
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{min} {max}: {}",
            r.body
        );
        let error = said_at(&r.body, at).unwrap_or_else(|| panic!("{min} {max}: {}", r.body));
        assert!(error.contains(said), "{min} {max}: {error}");
        assert!(
            r.body.contains(&format!("id=\"cn-min\" name=\"daily_min\" inputmode=\"decimal\" autocomplete=\"off\" value=\"{min}\"")),
            "{}",
            r.body
        );
        assert!(
            r.body.contains(&format!("id=\"cn-max\" name=\"daily_max\" inputmode=\"decimal\" autocomplete=\"off\" value=\"{max}\"")),
            "{}",
            r.body
        );
        assert!(r.body.contains("value=\"Iodine\""), "{}", r.body);
        assert_eq!(ranges(&app, &ann).await, before, "{min} {max}");
    }

    // Changed in its panel.
    let csrf = token(&app, &ann, "/settings").await;
    let change = |min: &'static str, max: &'static str| {
        vec![
            ("name", "Caffeine"),
            ("unit", "mg"),
            ("daily_min", min),
            ("daily_max", max),
        ]
    };
    let path = format!("{ADD}/{id}");
    let r = post(&app, &path, &ann, None, Some(&csrf), &change("50", "300")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mut now = before.clone();
    now[0] = ("Caffeine".into(), "mg".into(), json!(50.0), json!(300.0));
    assert_eq!(ranges(&app, &ann).await, now);
    let settings = get(&app, "/settings?nutrient=saved", &ann, None).await;
    assert!(
        settings
            .body
            .contains("<b>Caffeine</b><span>50–300 mg a day</span>"),
        "{}",
        settings.body
    );
    assert!(settings.body.contains("value=\"50\""), "{}", settings.body);

    // Refused changes: said at that panel's input, open, typed kept, nothing changed.
    for (min, max, at, said) in [
        ("400", "300", "max", "no less than “At least a day”"),
        ("50", "a lot", "max", "Give a number"),
        ("-5", "300", "min", "from 0 to 1,000,000"),
    ] {
        let r = post(&app, &path, &ann, None, Some(&csrf), &change(min, max)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{min} {max}: {}",
            r.body
        );
        let error = said_at(&r.body, &format!("cn-{at}-{id}-error"))
            .unwrap_or_else(|| panic!("{min} {max}: {}", r.body));
        assert!(error.contains(said), "{min} {max}: {error}");
        assert!(r.body.contains("<details open>"), "{}", r.body);
        assert!(
            r.body.contains(&format!("id=\"cn-min-{id}\" name=\"daily_min\" inputmode=\"decimal\" autocomplete=\"off\" value=\"{min}\"")),
            "{}",
            r.body
        );
        assert!(
            r.body.contains(&format!("id=\"cn-max-{id}\" name=\"daily_max\" inputmode=\"decimal\" autocomplete=\"off\" value=\"{max}\"")),
            "{}",
            r.body
        );
        assert_eq!(ranges(&app, &ann).await, now, "{min} {max}");
    }

    // An emptied input removes its bound only; both emptied, the list says the unit again.
    let r = post(&app, &path, &ann, None, Some(&csrf), &change("", "300")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    now[0] = ("Caffeine".into(), "mg".into(), Value::Null, json!(300.0));
    assert_eq!(ranges(&app, &ann).await, now);
    let r = post(&app, &path, &ann, None, Some(&csrf), &change(" ", "")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    now[0] = ("Caffeine".into(), "mg".into(), Value::Null, Value::Null);
    assert_eq!(ranges(&app, &ann).await, now);
    let settings = get(&app, "/settings", &ann, None).await;
    assert!(
        settings.body.contains("<b>Caffeine</b><span>mg</span>"),
        "{}",
        settings.body
    );
    // Omega-3's range was never touched.
    assert!(
        settings
            .body
            .contains("<b>Omega-3</b><span>1.1–3 g a day</span>"),
        "{}",
        settings.body
    );
}

/// The day's total against its daily range, in words (the icon is hidden from screen
/// readers): over, under, within; a nutrient without a range is the amount alone. A range
/// changed in Settings judges the same day again.
#[tokio::test]
async fn the_day_shows_each_total_against_its_daily_range() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for body in [
        json!({"name": "Caffeine", "unit": "mg", "daily_max": 200}),
        json!({"name": "Iodine", "unit": "µg", "daily_min": 150, "daily_max": 1100}),
        json!({"name": "Omega-3", "unit": "g"}),
    ] {
        let r = app.post("/api/v1/custom-nutrients", &ann, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let drink = new_food(
        &app,
        &ann,
        json!({"name": "Fortified cola", "servings": [{"size": 1, "unit": "can",
               "nutrients": {"calories": 140},
               "custom_nutrients": {"Caffeine": 130, "Iodine": 45, "Omega-3": 0.5}}]}),
    )
    .await;
    log(&app, &ann, &drink, 2.0).await;
    let mark = |class: &str, icon: &str, text: &str| {
        format!(
            " <span class=\"cn-range {class}\"><span aria-hidden=\"true\">{icon}</span> {text}</span></dd>"
        )
    };
    let day = get(&app, DAY, &ann, None).await;
    let b = &day.body;
    assert!(
        b.contains(&format!(
            "<dt>Caffeine</dt><dd>260 mg{}",
            mark("over", "▲", "Over · at most 200 mg")
        )),
        "{b}"
    );
    assert!(
        b.contains(&format!(
            "<dt>Iodine</dt><dd>90 µg{}",
            mark("under", "▼", "Under · 150–1,100 µg")
        )),
        "{b}"
    );
    assert!(b.contains(&total("Omega-3", "1 g")), "{b}");

    // Caffeine's upper bound raised in Settings: the same day is within it.
    let id = id_of(&app, &ann, "Caffeine").await;
    let csrf = token(&app, &ann, "/settings").await;
    let r = change_form(
        &app,
        &ann,
        &id,
        &csrf,
        &[
            ("name", "Caffeine"),
            ("unit", "mg"),
            ("daily_min", ""),
            ("daily_max", "300"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let day = get(&app, DAY, &ann, None).await;
    assert!(
        day.body.contains(&format!(
            "<dt>Caffeine</dt><dd>260 mg{}",
            mark("within", "✓", "Within · at most 300 mg")
        )),
        "{}",
        day.body
    );
    // Removed: the amount alone.
    let r = change_form(
        &app,
        &ann,
        &id,
        &csrf,
        &[
            ("name", "Caffeine"),
            ("unit", "mg"),
            ("daily_min", ""),
            ("daily_max", ""),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let day = get(&app, DAY, &ann, None).await;
    assert!(
        day.body.contains(&total("Caffeine", "260 mg")),
        "{}",
        day.body
    );
}

/// The Reports page's Custom nutrients table: each of the owner's nutrients with its average
/// a logged day (a logged day without it counts as 0), its range and the logged days within
/// it; none of it for someone without custom nutrients.
#[tokio::test]
async fn the_reports_page_tabulates_custom_nutrients() {
    let app = TestApp::spawn().await;
    let (ann_id, ann) = app.user("ann@example.com").await;
    let (_, bob) = app.user("bob@example.com").await;
    for body in [
        json!({"name": "Caffeine", "unit": "mg", "daily_max": 200}),
        json!({"name": "Iodine", "unit": "µg"}),
    ] {
        let r = app.post("/api/v1/custom-nutrients", &ann, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let brew = new_food(
        &app,
        &ann,
        json!({"name": "Cold brew", "servings": [{"size": 250, "unit": "ml",
               "nutrients": {"calories": 5}, "custom_nutrients": {"Caffeine": 95}}]}),
    )
    .await;
    // 285 mg (over) on the 2nd, 95 mg on the 3rd, none on the 4th: 126.67 a logged day, two
    // of the three days within at most 200 mg. (Cells keep an amount and its unit, and "2 of
    // 3", on one line: no-break spaces.)
    log_on(&app, &ann, &brew, 3.0, "2026-11-02").await;
    log_on(&app, &ann, &brew, 1.0, "2026-11-03").await;
    let r = app
        .post(
            "/api/v1/diary/quick-add",
            &ann,
            json!({"meal_type": "snack", "date": "2026-11-04", "nutrients": {"calories": 100}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let path = "/reports?from=2026-11-01&to=2026-11-07";
    let page = get(&app, path, &ann, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    assert!(
        b.contains("<h3 id=\"rep-custom\">Custom nutrients</h3>"),
        "{b}"
    );
    assert!(
        b.contains("<th scope=\"col\" class=\"n\">Daily range</th><th scope=\"col\" class=\"n\">Days within</th>"),
        "{b}"
    );
    assert!(
        b.contains(
            "<tr><th scope=\"row\">Caffeine</th><td class=\"n\">127\u{a0}mg</td>\
             <td class=\"n\">at most 200\u{a0}mg</td><td class=\"n\">2\u{a0}of\u{a0}3</td></tr>"
        ),
        "{b}"
    );
    assert!(
        b.contains(
            "<tr><th scope=\"row\">Iodine</th><td class=\"n\">0\u{a0}µg</td>\
             <td class=\"n\">–</td><td class=\"n\">–</td></tr>"
        ),
        "{b}"
    );
    // Bob, shown Ann's reports, sees her table; his own page has none.
    grant(&app, &ann, "bob@example.com", "reports").await;
    let theirs = get(&app, path, &bob, Some(&ann_id)).await;
    assert!(
        theirs
            .body
            .contains("<td class=\"n\">2\u{a0}of\u{a0}3</td>"),
        "{}",
        theirs.body
    );
    let own = get(&app, path, &bob, None).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(!own.body.contains("rep-custom"), "{}", own.body);
}

/// The add sheet picker's live preview in `body` (a whole picker page), up to the Log button.
fn preview_of(body: &str) -> &str {
    let at = body
        .find("<div id=\"preview\" aria-live=\"polite\">")
        .unwrap_or_else(|| panic!("no preview in {body}"));
    let rest = &body[at..];
    &rest[..rest.find("<button class=\"primary\"").unwrap_or(rest.len())]
}

/// The preview's custom nutrients paragraph, as it is written.
fn custom_line(amounts: &[(&str, &str)]) -> String {
    let cells: Vec<String> = amounts
        .iter()
        .map(|(name, amount)| format!("<span>{name} <b class=\"num\">{amount}</b></span>"))
        .collect();
    format!("<p class=\"preview-custom\">{}</p>", cells.join(" · "))
}

/// The htmx preview of `quantity` of the serving choice `serving` (an id, or `g:{id}`).
async fn preview(
    app: &TestApp,
    who: &As,
    viewing: Option<&str>,
    food_id: &str,
    serving: &str,
    quantity: &str,
) -> String {
    let r = get(
        app,
        &format!("/add/preview?food_item_id={food_id}&serving_id={serving}&quantity={quantity}"),
        who,
        viewing,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// The add sheet's picker previews what the chosen portion holds of the custom nutrients,
/// under the four numbers: per serving times the servings the amount is (by weight too), with
/// the units, in the definitions' order, only the defined ones the serving holds.
#[tokio::test]
async fn the_picker_previews_the_portions_custom_nutrients() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    for (name, unit) in [
        ("Caffeine", "mg"),
        ("Iodine", "µg"),
        ("Taurine", "mg"),
        ("Zinc", "mg"),
    ] {
        let r = app
            .post(
                "/api/v1/custom-nutrients",
                &ann,
                json!({"name": name, "unit": unit}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let brew = new_food(
        &app,
        &ann,
        json!({"name": "Cold brew", "servings": [{"size": 1, "unit": "cup", "weight_g": 250,
               "nutrients": {"calories": 5},
               "custom_nutrients": {"Iodine": 1.5, "Caffeine": 95, "Taurine": 400}}]}),
    )
    .await;
    // Taurine's definition goes: the food keeps its amount, the preview does not show it.
    let taurine = id_of(&app, &ann, "Taurine").await;
    let r = app
        .delete(&format!("/api/v1/custom-nutrients/{taurine}"), &ann)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let serving = default_serving(&food(&app, &ann, &brew).await)["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The picker opens on one serving.
    let page = get(
        &app,
        &format!("/add/food/{brew}?date=2026-12-01&meal=breakfast"),
        &ann,
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let shown = preview_of(&page.body);
    assert!(shown.contains("<div class=\"preview\">"), "{shown}");
    assert!(
        shown.contains(&custom_line(&[("Caffeine", "95 mg"), ("Iodine", "1.5 µg")])),
        "{shown}"
    );
    // Under the four numbers, inside the live region.
    assert!(
        shown.contains("</span></div></div><p class=\"preview-custom\">")
            && shown.contains("</p></div>"),
        "{shown}"
    );
    assert!(!shown.contains("Taurine"), "{shown}");
    assert!(!shown.contains("Zinc"), "{shown}");

    // The htmx preview: two servings hold twice as much; 125 g of the 250 g cup half.
    let two = preview(&app, &ann, None, &brew, &serving, "2").await;
    assert!(
        two.contains(&custom_line(&[("Caffeine", "190 mg"), ("Iodine", "3 µg")])),
        "{two}"
    );
    assert!(two.contains("<b class=\"num\">10</b>"), "{two}");
    let half = preview(&app, &ann, None, &brew, &format!("g:{serving}"), "125").await;
    assert!(
        half.contains(&custom_line(&[
            ("Caffeine", "47.5 mg"),
            ("Iodine", "0.75 µg")
        ])),
        "{half}"
    );
    // An amount that is not one says so, and nothing else.
    let bad = preview(&app, &ann, None, &brew, &serving, "lots").await;
    assert!(!bad.contains("preview-custom"), "{bad}");
    // A refused amount shows the picker again, previewing one serving.
    let r = post(
        &app,
        "/add/log",
        &ann,
        None,
        Some(&page.csrf()),
        &[
            ("date", "2026-12-01"),
            ("meal", "breakfast"),
            ("food_item_id", &brew),
            ("serving_id", &serving),
            ("quantity", "0"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let shown = preview_of(&r.body);
    assert!(
        shown.contains(&custom_line(&[("Caffeine", "95 mg"), ("Iodine", "1.5 µg")])),
        "{shown}"
    );
}

/// A custom nutrient's name is the user's text: the preview escapes it.
#[tokio::test]
async fn the_pickers_preview_escapes_custom_nutrient_names() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = app
        .post(
            "/api/v1/custom-nutrients",
            &ann,
            json!({"name": "<b>Tea</b> & Co", "unit": "g"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let tea = new_food(
        &app,
        &ann,
        json!({"name": "Herbal mix", "servings": [{"size": 1, "unit": "bag",
               "nutrients": {"calories": 1}, "custom_nutrients": {"<b>Tea</b> & Co": 2}}]}),
    )
    .await;
    let escaped = custom_line(&[("&lt;b&gt;Tea&lt;/b&gt; &amp; Co", "2 g")]);
    let page = get(
        &app,
        &format!("/add/food/{tea}?date=2026-12-01&meal=breakfast"),
        &ann,
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let shown = preview_of(&page.body);
    assert!(shown.contains(&escaped), "{shown}");
    assert!(!shown.contains("<b>Tea</b>"), "{shown}");
    let serving = default_serving(&food(&app, &ann, &tea).await)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let three = preview(&app, &ann, None, &tea, &serving, "3").await;
    assert!(
        three.contains(&custom_line(&[("&lt;b&gt;Tea&lt;/b&gt; &amp; Co", "6 g")])),
        "{three}"
    );
    assert!(!three.contains("<b>Tea</b>"), "{three}");
}

/// A food without custom amounts previews the four numbers alone, whatever one defines.
#[tokio::test]
async fn a_food_without_custom_amounts_previews_none() {
    let app = TestApp::spawn().await;
    let (_, ann) = app.user("ann@example.com").await;
    let r = define(&app, &ann, "Caffeine", "mg").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let toast = new_food(
        &app,
        &ann,
        json!({"name": "Toast", "servings": [{"size": 1, "unit": "slice",
               "nutrients": {"calories": 80, "protein": 3}}]}),
    )
    .await;
    let page = get(
        &app,
        &format!("/add/food/{toast}?date=2026-12-01&meal=breakfast"),
        &ann,
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let shown = preview_of(&page.body);
    assert!(shown.contains("<b class=\"num\">80</b>"), "{shown}");
    assert!(!shown.contains("preview-custom"), "{shown}");
    assert!(!shown.contains("Caffeine"), "{shown}");
    let serving = default_serving(&food(&app, &ann, &toast).await)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let two = preview(&app, &ann, None, &toast, &serving, "2").await;
    assert!(two.contains("<b class=\"num\">160</b>"), "{two}");
    assert!(!two.contains("preview-custom"), "{two}");
}

/// Adding to a family member's diary, the preview is in the owner's units (their diary keeps
/// the amounts under their definitions), not the viewer's.
#[tokio::test]
async fn the_preview_for_a_shared_diary_uses_the_owners_definitions() {
    let app = TestApp::spawn().await;
    let (ann_id, ann, bob) = caffeine_in_mg_and_g(&app).await;
    let espresso = new_food(
        &app,
        &bob,
        json!({"name": "Espresso", "servings": [{"size": 1, "unit": "shot",
               "nutrients": {"calories": 1}, "custom_nutrients": {"Caffeine": 63}}]}),
    )
    .await;
    grant(&app, &ann, "bob@example.com", "calorie").await;
    let path = format!("/add/food/{espresso}?date=2026-12-01&meal=breakfast");
    let theirs = get(&app, &path, &bob, Some(&ann_id)).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
    let shown = preview_of(&theirs.body);
    assert!(
        shown.contains(&custom_line(&[("Caffeine", "63 mg")])),
        "{shown}"
    );
    let serving = default_serving(&food(&app, &bob, &espresso).await)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let two = preview(&app, &bob, Some(&ann_id), &espresso, &serving, "2").await;
    assert!(
        two.contains(&custom_line(&[("Caffeine", "126 mg")])),
        "{two}"
    );
    // His own diary: his unit.
    let own = get(&app, &path, &bob, None).await;
    let shown = preview_of(&own.body);
    assert!(
        shown.contains(&custom_line(&[("Caffeine", "63 g")])),
        "{shown}"
    );
}
