//! Full export and lossless import (`GET /api/v1/export`, `POST /api/v1/import`): a rich
//! account survives export → import on another server → export file by file; bad archives
//! change nothing and name the file, line and column; no other user's rows, and no secrets,
//! ever leave in an export.

mod common;

use std::collections::BTreeMap;

use common::{As, TestApp};
use reqwest::{header, StatusCode};
use serde_json::Value;
use sparky_app::transfer::{self, Archive};

/// A shared catalog food and its serving, the same on every server (as the starter catalog is).
async fn catalog(app: &TestApp) {
    app.db
        .owner_client()
        .await
        .batch_execute(
            "WITH f AS (INSERT INTO food_items (name, source, source_id) VALUES ('Catalog apple', 'usda', 'test-apple-1') RETURNING id)
             INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, calories, carbohydrates, is_default)
             SELECT id, 100, 'g', 52, 14, true FROM f",
        )
        .await
        .unwrap();
}

/// Everything a user can own, written as the owner role: `m` (lower case) marks every text.
async fn seed(app: &TestApp, user: &str, m: &str) {
    let sql = r#"
UPDATE users SET full_name = '{m} Person' WHERE id = '{u}';
INSERT INTO user_preferences (user_id, theme, units_system, timezone, onboarded_at)
VALUES ('{u}', 'dark', 'imperial', 'Europe/Berlin', '2026-11-01T08:00:00.123456Z')
ON CONFLICT (user_id) DO UPDATE SET theme = 'dark', units_system = 'imperial', timezone = 'Europe/Berlin',
    onboarded_at = '2026-11-01T08:00:00.123456Z';
INSERT INTO user_profiles (user_id, sex, birth_date, height_cm, activity_level)
VALUES ('{u}', 'female', '1990-05-17', 168.5, 'moderate');
INSERT INTO assistant_settings (user_id, provider, model, api_key_nonce, api_key_ciphertext, review_writes)
VALUES ('{u}', 'openai', 'gpt-4o-mini', '\x0102', '\x5345435245544b4559', true);
INSERT INTO assistant_requests (user_id, kind, provider, model, tokens_in, tokens_out, latency_ms)
VALUES ('{u}', 'meal_photo', 'openai', 'gpt-4o-mini', 1200, 300, 2100);

-- Foods: two created in the same instant (ties are ordered by id), with servings.
INSERT INTO food_items (user_id, name, brand, barcode, source, created_at, updated_at) VALUES
    ('{u}', '{m} oat bowl', 'Home, "best"', '4001234567890', 'user', '2026-11-01T07:00:00Z', '2026-11-02T07:00:00Z'),
    ('{u}', '{m} lentil soup', NULL, NULL, 'user', '2026-11-03T07:00:00Z', '2026-11-03T07:00:00Z'),
    ('{u}', '{m} lentil soup', NULL, NULL, 'user', '2026-11-03T07:00:00Z', '2026-11-03T07:00:00Z'),
    -- Text a spreadsheet would run, and text that starts with the escape itself.
    ('{u}', '=HYPERLINK("http://evil.example","{m}")', '@brand', NULL, 'user', '2026-11-03T08:00:00Z', '2026-11-03T08:00:00Z'),
    ('{u}', '''{m} nduja', '-', NULL, 'user', '2026-11-03T09:00:00Z', '2026-11-03T09:00:00Z');
INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, serving_weight_g, calories, protein,
    carbohydrates, fat, fiber, sodium, vitamin_c, is_default)
SELECT f.id, s.size, s.unit, s.grams, s.kcal, 12.5, 60.25, 7, 8.125, 0.004, NULL, s.def
FROM food_items f, (VALUES (100, 'g', NULL, 380, true), (1, 'bowl', 250, 950, false)) AS s(size, unit, grams, kcal, def)
WHERE f.user_id = '{u}' AND f.name = '{m} oat bowl';
INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, calories, protein, is_default)
SELECT id, 1, 'cup', 230, 18, true FROM food_items WHERE user_id = '{u}' AND name = '{m} lentil soup';
-- Custom nutrients: two defined, amounts on a serving (one of a name no longer defined).
INSERT INTO custom_nutrients (user_id, name, unit, daily_min, daily_max, created_at, updated_at) VALUES
    ('{u}', '{m} Caffeine', 'mg', NULL, 400, '2026-11-01T06:00:00Z', '2026-11-01T06:00:00Z'),
    ('{u}', 'Omega 3', 'g', 1.1, 3.25, '2026-11-01T06:00:00Z', '2026-11-01T06:00:00Z');
UPDATE nutrition_data SET custom_nutrients = '{"{m} Caffeine": 12.5, "Omega 3": 0.25, "Gone": 1}'
WHERE serving_unit = 'bowl' AND food_item_id IN (SELECT id FROM food_items WHERE user_id = '{u}');

-- A recipe: an own food by its serving, the catalog apple, and an ingredient whose food is gone.
INSERT INTO food_items (user_id, name, source, recipe_servings, recipe_cooked_weight_g, created_at, updated_at)
VALUES ('{u}', '{m} apple crumble', 'recipe', 6, 900.5, '2026-11-04T07:00:00Z', '2026-11-04T07:00:00Z');
INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, serving_weight_g, calories, protein, is_default)
SELECT id, 1, 'serving', 150.0833, 288.3333, 4.1667, true FROM food_items WHERE user_id = '{u}' AND name = '{m} apple crumble';
INSERT INTO recipe_ingredients (recipe_food_id, food_item_id, nutrition_data_id, food_name, quantity, unit, position)
SELECT r.id, f.id, n.id, f.name, 1, 'bowl', 0
FROM food_items r, food_items f JOIN nutrition_data n ON n.food_item_id = f.id AND n.serving_unit = 'bowl'
WHERE r.user_id = '{u}' AND r.name = '{m} apple crumble' AND f.user_id = '{u}' AND f.name = '{m} oat bowl';
INSERT INTO recipe_ingredients (recipe_food_id, food_item_id, nutrition_data_id, food_name, quantity, unit, position)
SELECT r.id, c.id, n.id, c.name, 600, 'g', 1
FROM food_items r, food_items c JOIN nutrition_data n ON n.food_item_id = c.id
WHERE r.user_id = '{u}' AND r.name = '{m} apple crumble' AND c.user_id IS NULL AND c.source_id = 'test-apple-1';
INSERT INTO recipe_ingredients (recipe_food_id, food_item_id, nutrition_data_id, food_name, quantity, unit, position)
SELECT id, NULL, NULL, '{m} butter, gone', 50.25, 'g', 2 FROM food_items WHERE user_id = '{u}' AND name = '{m} apple crumble';

-- Exercises and a custom measurement type.
INSERT INTO exercises (user_id, name, category, muscle_groups, equipment, instructions, met_value, created_at)
VALUES ('{u}', '{m} kettlebell flow', 'strength', ARRAY['glutes', 'core'], 'kettlebell', 'Swing.
Then "press".', 6.0, '2026-11-01T09:00:00Z');
INSERT INTO measurement_types (user_id, name, unit, dimension) VALUES ('{u}', '{m}_grip', 'kg', 'mass');

-- Measurements over several days (weights first: workout calories follow them).
INSERT INTO measurements (user_id, type, value, unit, measured_at, note) VALUES
    ('{u}', 'weight', 71.40, 'kg', '2026-11-01T06:30:00Z', 'morning, fasted'),
    ('{u}', 'weight', 70.95, 'kg', '2026-11-02T06:30:00Z', NULL),
    ('{u}', 'weight', 70.8, 'kg', '2026-11-03T06:30:00Z', ''),
    ('{u}', 'body_fat', 24.1, '%', '2026-11-02T06:31:00Z', NULL),
    ('{u}', 'water', 750, 'ml', '2026-11-02T12:00:00Z', NULL),
    ('{u}', '{m}_grip', 38.5, 'kg', '2026-11-03T18:00:00Z', NULL);

INSERT INTO goals (user_id, type, target_value, target_unit, target_date, start_value, start_date, status, weekday_targets) VALUES
    ('{u}', 'weight_loss', 65, 'kg', '2027-03-01', 71.4, '2026-11-01', 'active', NULL),
    ('{u}', 'calorie_target', 2100, 'kcal', NULL, NULL, '2026-11-01', 'active', '{NULL,NULL,NULL,NULL,NULL,2600,2450.5}'),
    ('{u}', 'protein_target', 120, 'g', NULL, NULL, '2026-10-01', 'completed', NULL);

-- A meal plan template with items (own food and serving, catalog food), planned on a day.
INSERT INTO meal_plan_templates (user_id, name, description, target_calories, created_at)
VALUES ('{u}', '{m} weekdays', 'Light lunches', 2000, '2026-11-01T10:00:00Z');
INSERT INTO meal_plan_template_items (meal_plan_template_id, food_item_id, nutrition_data_id, food_name, quantity, unit, meal_type, day_of_week, sort_order)
SELECT t.id, f.id, n.id, f.name, 1, 'bowl', 'breakfast', 1, 0
FROM meal_plan_templates t, food_items f JOIN nutrition_data n ON n.food_item_id = f.id AND n.serving_unit = 'bowl'
WHERE t.user_id = '{u}' AND f.user_id = '{u}' AND f.name = '{m} oat bowl';
INSERT INTO meal_plan_template_items (meal_plan_template_id, food_item_id, nutrition_data_id, food_name, quantity, unit, meal_type, day_of_week, sort_order)
SELECT t.id, c.id, n.id, c.name, 150, 'g', 'snack', 1, 1
FROM meal_plan_templates t, food_items c JOIN nutrition_data n ON n.food_item_id = c.id
WHERE t.user_id = '{u}' AND c.user_id IS NULL AND c.source_id = 'test-apple-1';
INSERT INTO meal_plans (user_id, name, planned_date, total_calories, meal_plan_template_id)
SELECT '{u}', '{m} weekdays', '2026-11-03', 1180, id FROM meal_plan_templates WHERE user_id = '{u}';

-- The diary over three days: own foods with servings, a catalog food, a quick entry, one from the plan.
INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, servings, meal_type, consumed_at, entry_date,
    food_name, brand, serving_size, serving_unit, serving_weight_g, calories, protein, carbohydrates, fat, fiber, per_serving,
    custom_per_serving)
SELECT '{u}', f.id, n.id, 1, 'bowl', 1, 'breakfast', '2026-11-01T07:30:00Z', '2026-11-01',
    f.name, f.brand, 1, 'bowl', 250, 950, 31.25, 150.625, 17.5, 20.3125, '{"calories": 950, "protein": 31.25}',
    '{"{m} Caffeine": 12.5, "Omega 3": 0.25}'
FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id AND n.serving_unit = 'bowl'
WHERE f.user_id = '{u}' AND f.name = '{m} oat bowl';
INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type, consumed_at, entry_date,
    food_name, serving_size, serving_unit, calories, carbohydrates)
SELECT '{u}', c.id, n.id, 150, 'g', 'snack', '2026-11-01T15:00:00Z', '2026-11-01', c.name, 100, 'g', 78, 21
FROM food_items c JOIN nutrition_data n ON n.food_item_id = c.id WHERE c.user_id IS NULL AND c.source_id = 'test-apple-1';
INSERT INTO food_diary (user_id, quantity, unit, meal_type, consumed_at, entry_date, food_name, calories, protein)
VALUES ('{u}', 1, 'serving', 'dinner', '2026-11-02T19:00:00Z', '2026-11-02', '{m} restaurant pasta', 820, 28),
       ('{u}', 1, 'serving', 'dinner', '2026-11-02T19:00:00Z', '2026-11-02', '{m} restaurant pasta', 820, 28);
INSERT INTO food_diary (user_id, food_item_id, nutrition_data_id, quantity, unit, meal_type, consumed_at, entry_date,
    food_name, serving_size, serving_unit, calories, protein, meal_plan_id)
SELECT '{u}', f.id, n.id, 2, 'cup', 'lunch', '2026-11-03T12:15:00Z', '2026-11-03', f.name, 1, 'cup', 460, 36,
    (SELECT id FROM meal_plans WHERE user_id = '{u}')
FROM food_items f JOIN nutrition_data n ON n.food_item_id = f.id
WHERE f.user_id = '{u}' AND f.name = '{m} lentil soup' ORDER BY f.id LIMIT 1;

-- Workouts: an own exercise with sets (calories from MET and weight), a catalog exercise with
-- typed-in calories.
INSERT INTO exercise_diary (user_id, exercise_id, exercise_name, duration_minutes, sets, reps, weight, met_value,
    performed_at, entry_date, notes)
SELECT '{u}', id, name, 30, 3, 12, 16, met_value, '2026-11-02T17:00:00Z', '2026-11-02', 'felt strong'
FROM exercises WHERE user_id = '{u}';
INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg, duration_seconds)
SELECT w.id, s.n, 12 - s.n, 16 + s.n * 2.5, nullif(s.n - 1, 0) * 45
FROM exercise_diary w, generate_series(1, 3) AS s(n)
WHERE w.user_id = '{u}';
INSERT INTO exercise_diary (user_id, exercise_id, exercise_name, duration_seconds, distance, calories_burned,
    performed_at, entry_date)
SELECT '{u}', id, name, 2712, 7.5, 512, '2026-11-03T07:00:00Z', '2026-11-03'
FROM exercises WHERE user_id IS NULL ORDER BY name LIMIT 1;

-- Health data pointing at a measurement and a workout.
INSERT INTO health_data_records (user_id, source, kind, record_key, fingerprint, measurement_id)
SELECT '{u}', 'ios', 'weight', '2026-11-03T06:30:00Z', '70.8 kg', id FROM measurements
WHERE user_id = '{u}' AND type = 'weight' AND value = 70.8;
INSERT INTO health_data_records (user_id, source, kind, record_key, fingerprint, exercise_diary_id)
SELECT '{u}', 'ios', 'workout', 'run-1', 'run 45', id FROM exercise_diary
WHERE user_id = '{u}' AND calories_source = 'user';

-- A chat.
INSERT INTO chat_conversations (user_id, title, created_at, updated_at)
VALUES ('{u}', '{m} breakfast ideas', '2026-11-02T08:00:00Z', '2026-11-02T08:05:00Z');
INSERT INTO chat_messages (conversation_id, user_id, role, content, tool_calls, tool_call_id, card, provider, model,
    tokens_in, tokens_out, latency_ms, created_at)
SELECT c.id, '{u}', m.role, m.content, m.tool_calls::jsonb, m.tool_call_id, m.card::jsonb, m.provider, m.model,
    m.tin, m.tout, m.lat, c.created_at + m.seq * interval '1 second'
FROM chat_conversations c, (VALUES
    (1, 'user', 'What should I eat, {m}?', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (2, 'assistant', '', '[{"id": "call_1", "name": "search_foods", "arguments": {"query": "oats"}}]', NULL, NULL, 'openai', 'gpt-4o-mini', 800, 20, 900),
    (3, 'tool', '{"foods": []}', NULL, 'call_1', '{"kind": "foods", "items": []}', NULL, NULL, NULL, NULL, NULL),
    (4, 'assistant', 'Try oats,
with "fruit".', NULL, NULL, NULL, 'openai', 'gpt-4o-mini', 900, 40, 1200)
) AS m(seq, role, content, tool_calls, tool_call_id, card, provider, model, tin, tout, lat)
WHERE c.user_id = '{u}' ORDER BY m.seq;
"#
    .replace("{u}", user)
    .replace("{m}", m);
    app.db
        .owner_client()
        .await
        .batch_execute(&sql)
        .await
        .unwrap();
}

async fn get_archive(app: &TestApp, who: &As) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let mut req = app.client.get(format!("{}/api/v1/export", app.base));
    req = match who {
        As::Cookie(c) => req.header(header::COOKIE, format!("sparky_session={c}")),
        As::Key(k) => req.bearer_auth(k),
        As::Nobody => req,
    };
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

async fn post_archive(
    app: &TestApp,
    who: &As,
    body: Vec<u8>,
    content_type: &str,
) -> common::Response {
    let mut req = app
        .client
        .post(format!("{}/api/v1/import", app.base))
        .header(header::CONTENT_TYPE, content_type)
        .body(body);
    req = match who {
        As::Cookie(c) => req
            .header(header::COOKIE, format!("sparky_session={c}"))
            .header(header::ORIGIN, app.origin()),
        As::Key(k) => req.bearer_auth(k),
        As::Nobody => req,
    };
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    common::Response {
        status,
        headers,
        body,
    }
}

async fn export_of(app: &TestApp, who: &As) -> Archive {
    let (status, headers, bytes) = get_archive(app, who).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(headers[header::CONTENT_TYPE], "application/gzip");
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"sparky-export-"));
    transfer::read_archive(&bytes, 1 << 30).unwrap()
}

fn text(archive: &Archive, file: &str) -> String {
    String::from_utf8(archive.files[file].clone()).unwrap()
}

/// Rows of the user in every table an import writes, counted as the owner.
async fn rows_of(app: &TestApp, user: &str) -> i64 {
    let sql = format!(
        "SELECT (SELECT count(*) FROM food_items WHERE user_id = '{user}')
              + (SELECT count(*) FROM nutrition_data n JOIN food_items f ON f.id = n.food_item_id WHERE f.user_id = '{user}')
              + (SELECT count(*) FROM recipe_ingredients i JOIN food_items f ON f.id = i.recipe_food_id WHERE f.user_id = '{user}')
              + (SELECT count(*) FROM food_items WHERE user_id = '{user}' AND recipe_servings IS NOT NULL)
              + (SELECT count(*) FROM exercises WHERE user_id = '{user}')
              + (SELECT count(*) FROM measurement_types WHERE user_id = '{user}')
              + (SELECT count(*) FROM custom_nutrients WHERE user_id = '{user}')
              + (SELECT count(*) FROM measurements WHERE user_id = '{user}')
              + (SELECT count(*) FROM goals WHERE user_id = '{user}')
              + (SELECT count(*) FROM meal_plan_templates WHERE user_id = '{user}')
              + (SELECT count(*) FROM meal_plans WHERE user_id = '{user}')
              + (SELECT count(*) FROM food_diary WHERE user_id = '{user}')
              + (SELECT count(*) FROM exercise_diary WHERE user_id = '{user}')
              + (SELECT count(*) FROM health_data_records WHERE user_id = '{user}')
              + (SELECT count(*) FROM chat_conversations WHERE user_id = '{user}')
              + (SELECT count(*) FROM chat_messages WHERE user_id = '{user}')
              + (SELECT count(*) FROM assistant_requests WHERE user_id = '{user}')
              + (SELECT count(*) FROM assistant_settings WHERE user_id = '{user}')
              + (SELECT count(*) FROM user_profiles WHERE user_id = '{user}')
              + (SELECT count(*) FROM users WHERE id = '{user}' AND full_name IS DISTINCT FROM 'Test Person')"
    );
    app.db
        .owner_client()
        .await
        .query_one(&sql, &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn export_import_export_gives_the_same_archive_file_by_file() {
    let a = TestApp::spawn().await;
    catalog(&a).await;
    let (alice_id, alice) = a.user("alice@example.com").await;
    seed(&a, &alice_id, "alice").await;
    let first = export_of(&a, &alice).await;
    // Settings links to the same download (the session cookie is enough).
    let settings = a.get("/settings", &alice).await;
    assert_eq!(settings.status, StatusCode::OK);
    assert!(
        settings
            .body
            .as_str()
            .unwrap()
            .contains("href=\"/api/v1/export\" download"),
        "no export link on the settings page"
    );
    assert!(
        settings
            .body
            .as_str()
            .unwrap()
            .contains("<form data-import"),
        "no import form on the settings page"
    );

    // Text a spreadsheet would run as a formula is escaped with a leading ' (and so is text
    // already starting with one); the import takes one away, so the names come back as they
    // were (checked again by the file-by-file comparison below).
    let foods = text(&first, "foods.csv");
    assert!(
        foods.contains(r#""'=HYPERLINK(""http://evil.example"",""alice"")""#),
        "{foods}"
    );
    assert!(
        foods.contains("'@brand") && foods.contains("''alice nduja"),
        "{foods}"
    );
    assert!(!foods.contains(",=HYPERLINK"), "{foods}");

    // Every area has rows.
    for f in &first.manifest.files {
        let expected_empty = ["api_keys.csv", "family_access.csv"].contains(&f.name.as_str());
        assert_eq!(f.rows == 0, expected_empty, "{}: {} rows", f.name, f.rows);
    }
    assert_eq!(first.manifest.format, "sparky-export");
    assert_eq!(first.manifest.format_version, 1);
    assert_eq!(first.manifest.user.email, "alice@example.com");
    assert!(!first.manifest.schema_version.is_empty());
    // The catalog food is named, not numbered; the diary points at foods by ref.
    assert!(text(&first, "diary.csv").contains("usda,test-apple-1"));
    // No secrets: the assistant key is not there.
    assert!(!text(&first, "assistant_settings.csv").contains("\\x"));
    assert!(text(&first, "assistant_settings.csv").contains(",true"));

    // Another server, another account.
    let b = TestApp::spawn().await;
    catalog(&b).await;
    let (carol_id, carol) = b.user("carol@example.com").await;
    let bytes = transfer::pack(&first.manifest, &first.files).unwrap();
    let r = post_archive(&b, &carol, bytes, "application/gzip").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let diary_rows = r.body["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "diary.csv")
        .unwrap()["rows"]
        .as_u64();
    assert_eq!(diary_rows, Some(5));
    assert_eq!(rows_of(&b, &carol_id).await, rows_of(&a, &alice_id).await);
    // Derived tables were rebuilt by the import.
    common::assert_day_totals_match_diary(&b).await;

    let second = export_of(&b, &carol).await;
    assert_eq!(second.manifest.user.email, "carol@example.com");
    assert_eq!(
        first.files.keys().collect::<Vec<_>>(),
        second.files.keys().collect::<Vec<_>>()
    );
    for (name, data) in &first.files {
        assert_eq!(
            String::from_utf8_lossy(data),
            String::from_utf8_lossy(&second.files[name]),
            "{name} differs after export → import → export"
        );
    }
    let strip = |m: &transfer::Manifest| {
        let mut m = m.clone();
        m.exported_at.clear();
        m.user.email.clear();
        m
    };
    assert_eq!(strip(&first.manifest), strip(&second.manifest));

    // Importing again into the now non-empty account is refused.
    let again = transfer::pack(&first.manifest, &first.files).unwrap();
    let r = post_archive(&b, &carol, again, "application/gzip").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
}

/// Replaces one field of a CSV file: `line` is 1-based (the header is line 1).
fn set_field(archive: &mut Archive, file: &str, line: usize, column: &str, value: &str) {
    let data = String::from_utf8(archive.files[file].clone()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(data.as_bytes());
    let mut records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let index = records[0].iter().position(|h| h == column).unwrap();
    let mut fields: Vec<String> = records[line - 1].iter().map(str::to_string).collect();
    fields[index] = value.to_string();
    records[line - 1] = csv::StringRecord::from(fields);
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for r in &records {
        out.write_record(r).unwrap();
    }
    archive
        .files
        .insert(file.to_string(), out.into_inner().unwrap());
}

fn column_of(archive: &Archive, file: &str, column: &str) -> usize {
    let data = text(archive, file);
    data.lines()
        .next()
        .unwrap()
        .split(',')
        .position(|h| h == column)
        .unwrap()
        + 1
}

#[tokio::test]
async fn a_bad_archive_is_a_422_naming_file_line_and_column_and_writes_nothing() {
    let a = TestApp::spawn().await;
    catalog(&a).await;
    let (alice_id, alice) = a.user("alice@example.com").await;
    seed(&a, &alice_id, "alice").await;
    let good = export_of(&a, &alice).await;
    let (carol_id, carol) = a.user("carol@example.com").await;
    let before = rows_of(&a, &carol_id).await;

    let expect_422 = async |body: Vec<u8>, needle: &str| {
        let r = post_archive(&a, &carol, body, "application/gzip").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.code(), "validation_failed", "{:?}", r.body);
        let message = r.body["error"]["message"].as_str().unwrap().to_string();
        assert!(
            message.contains(needle),
            "{message:?} should contain {needle:?}"
        );
        assert_eq!(
            rows_of(&a, &carol_id).await,
            before,
            "nothing written for {needle}"
        );
    };

    // A value that is not a number, in the last file of the diary.
    let mut bad = Archive {
        manifest: good.manifest.clone(),
        files: good.files.clone(),
    };
    set_field(&mut bad, "diary.csv", 3, "quantity", "lots");
    let col = column_of(&good, "diary.csv", "quantity");
    expect_422(
        transfer::pack(&bad.manifest, &bad.files).unwrap(),
        &format!("diary.csv line 3 column {col} (quantity): not a number"),
    )
    .await;

    // A date outside the range the API accepts (it would be "the latest" entry for ever).
    let mut bad = Archive {
        manifest: good.manifest.clone(),
        files: good.files.clone(),
    };
    set_field(&mut bad, "diary.csv", 2, "entry_date", "9999-12-31");
    let col = column_of(&good, "diary.csv", "entry_date");
    expect_422(
        transfer::pack(&bad.manifest, &bad.files).unwrap(),
        &format!(
            "diary.csv line 2 column {col} (entry_date): must be between 1900-01-01 and 2199-12-31"
        ),
    )
    .await;

    // A value only the database refuses (a goal type its check does not know), after
    // earlier files were written: those are rolled back too, and the refusal is in words.
    let mut bad = Archive {
        manifest: good.manifest.clone(),
        files: good.files.clone(),
    };
    set_field(&mut bad, "goals.csv", 3, "type", "get_rich");
    let col = column_of(&good, "goals.csv", "type");
    expect_422(
        transfer::pack(&bad.manifest, &bad.files).unwrap(),
        &format!("goals.csv line 3 column {col} (type): unknown goal type \"get_rich\""),
    )
    .await;

    // Rules the API applies: a known time zone, and no private-network assistant URL for
    // anyone but the administrator (Carol is not: Alice registered first).
    let mut bad = Archive {
        manifest: good.manifest.clone(),
        files: good.files.clone(),
    };
    set_field(
        &mut bad,
        "preferences.csv",
        2,
        "timezone",
        "Mars/Olympus_Mons",
    );
    expect_422(
        transfer::pack(&bad.manifest, &bad.files).unwrap(),
        "preferences.csv line 2 column 4 (timezone): not an IANA time zone",
    )
    .await;
    let mut bad = Archive {
        manifest: good.manifest.clone(),
        files: good.files.clone(),
    };
    set_field(
        &mut bad,
        "assistant_settings.csv",
        2,
        "base_url",
        "http://127.0.0.1:11434/v1",
    );
    expect_422(
        transfer::pack(&bad.manifest, &bad.files).unwrap(),
        "assistant_settings.csv line 2 column 2 (base_url): ",
    )
    .await;

    let mut bad = Archive {
        manifest: good.manifest.clone(),
        files: good.files.clone(),
    };
    set_field(&mut bad, "measurement_types.csv", 2, "name", "weight");
    expect_422(
        transfer::pack(&bad.manifest, &bad.files).unwrap(),
        "measurement_types.csv line 2 column 1 (name): weight is a built-in measurement type",
    )
    .await;

    // A reference to a row that is not there.
    let mut bad = Archive {
        manifest: good.manifest.clone(),
        files: good.files.clone(),
    };
    set_field(&mut bad, "workout_sets.csv", 2, "workout", "99");
    expect_422(
        transfer::pack(&bad.manifest, &bad.files).unwrap(),
        "workout_sets.csv line 2 column 1 (workout): workouts.csv has no row with ref 99",
    )
    .await;

    // A file changed without its checksum.
    let mut files = good.files.clone();
    let mut diary = files["diary.csv"].clone();
    diary.extend_from_slice(b"\n");
    files.insert("diary.csv".into(), diary);
    let mut manifest_json = serde_json::to_value(&good.manifest).unwrap();
    let packed = transfer::pack(&good.manifest, &good.files).unwrap();
    // Re-pack by hand with the old manifest: pack() would fix the checksum.
    let unpacked = transfer::read_archive(&packed, 1 << 30).unwrap();
    assert_eq!(unpacked.manifest, good.manifest);
    let tampered = tamper(&good.manifest, &files);
    expect_422(tampered, "diary.csv: its SHA-256 does not match").await;

    // An unknown format version.
    manifest_json["format_version"] = 2.into();
    expect_422(
        raw_archive(&serde_json::to_vec(&manifest_json).unwrap(), &good.files),
        "manifest.json: format_version 2 is not supported",
    )
    .await;

    // Not an archive at all, and a truncated one.
    expect_422(b"hello, world".to_vec(), "not a gzip-compressed tar file").await;
    let whole = transfer::pack(&good.manifest, &good.files).unwrap();
    expect_422(whole[..whole.len() / 2].to_vec(), "archive").await;

    // Not sent as an archive.
    let r = post_archive(&a, &carol, whole.clone(), "application/json").await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{:?}", r.body);
    // Without a credential.
    let r = post_archive(&a, &As::Nobody, whole, "application/gzip").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(rows_of(&a, &carol_id).await, before);
}

/// An archive whose manifest is `manifest` as given (checksums not recomputed).
fn tamper(manifest: &transfer::Manifest, files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    raw_archive(&serde_json::to_vec(manifest).unwrap(), files)
}

fn raw_archive(manifest: &[u8], files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        tar.append_data(&mut h, name, data).unwrap();
    };
    add("manifest.json", manifest);
    for (name, data) in files {
        add(name, data);
    }
    tar.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn an_export_holds_only_your_own_rows_and_no_secrets() {
    let a = TestApp::spawn().await;
    catalog(&a).await;
    let (alice_id, alice) = a.user("alice@example.com").await;
    let (bob_id, bob) = a.user("bob@example.com").await;
    seed(&a, &alice_id, "alice").await;
    seed(&a, &bob_id, "bob").await;
    // Bob shares everything he can with Alice; Alice gives Bob reports access.
    let owner = a.db.owner_client().await;
    owner
        .batch_execute(&format!(
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type)
             SELECT '{bob_id}', '{alice_id}', t FROM unnest(ARRAY['calorie', 'checkin', 'reports', 'food_list']) t;
             INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type)
             VALUES ('{alice_id}', '{bob_id}', 'reports');
             -- Alice logs one of Bob's foods (food_list lets her see it).
             INSERT INTO food_diary (user_id, food_item_id, quantity, unit, meal_type, consumed_at, entry_date, food_name, calories)
             SELECT '{alice_id}', id, 1, 'bowl', 'lunch', '2026-11-04T12:00:00Z', '2026-11-04', 'shared soup', 300
             FROM food_items WHERE user_id = '{bob_id}' ORDER BY created_at, id LIMIT 1;"
        ))
        .await
        .unwrap();
    let key = a
        .post(
            "/api/v1/api-keys",
            &alice,
            serde_json::json!({"name": "alice phone"}),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
    let secret = key.body["key"].as_str().unwrap().to_string();

    // With the API key, as a script would.
    let export = export_of(&a, &As::Key(secret.clone())).await;
    let hashes: Vec<String> = owner
        .query(
            "SELECT password_hash::text FROM users UNION ALL SELECT key_hash FROM api_keys
             UNION ALL SELECT token_hash FROM sessions",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (name, data) in &export.files {
        let t = String::from_utf8_lossy(data);
        if name != "family_access.csv" {
            assert!(!t.contains("bob"), "{name} holds Bob's data:\n{t}");
        }
        assert!(!t.contains(&bob_id), "{name} holds Bob's id");
        assert!(!t.contains(&alice_id), "{name} holds a database id");
        assert!(!t.contains(&secret), "{name} holds the API key");
        for h in &hashes {
            assert!(
                !t.contains(h.as_str()),
                "{name} holds a password, key or session hash"
            );
        }
        assert!(
            !t.contains("5345435245544b4559"),
            "{name} holds the assistant key"
        );
    }
    // API key names and the grants Alice gave are listed for her to see; the grants she
    // received are Bob's.
    assert_eq!(
        text(&export, "api_keys.csv")
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .next(),
        Some("alice phone")
    );
    let grants = text(&export, "family_access.csv");
    assert_eq!(grants.lines().count(), 2, "{grants}");
    assert!(grants.contains("bob@example.com,reports,"), "{grants}");
    // The entry of Bob's food is Alice's: exported without the link.
    let diary = text(&export, "diary.csv");
    let shared = diary.lines().find(|l| l.contains("shared soup")).unwrap();
    assert!(!shared.contains("usda"), "{shared}");
    assert_eq!(
        export
            .manifest
            .files
            .iter()
            .find(|f| f.name == "foods.csv")
            .unwrap()
            .rows,
        6,
        "five foods and a recipe"
    );
    // Bob's export has his own rows only, too.
    let bobs = export_of(&a, &bob).await;
    assert!(!text(&bobs, "diary.csv").contains("alice"));
    assert!(!text(&bobs, "diary.csv").contains("shared soup"));

    // Without a credential there is no export.
    let (status, _, _) = get_archive(&a, &As::Nobody).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn imports_are_limited_in_size_before_and_after_decompression() {
    let a = TestApp::spawn_with(sparky_web::WebConfig {
        max_import_body_bytes: 4096,
        ..Default::default()
    })
    .await;
    let (carol_id, carol) = a.user("carol@example.com").await;

    // Larger than SPARKY_MAX_IMPORT_BODY as sent.
    let noise: Vec<u8> = (0..10_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let r = post_archive(&a, &carol, noise, "application/gzip").await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.body);
    assert_eq!(r.code(), "payload_too_large");

    // Small when sent, far larger once decompressed (8 × the limit).
    let mut files = BTreeMap::new();
    files.insert("diary.csv".to_string(), vec![b'a'; 200_000]);
    let bomb = raw_archive(b"{}", &files);
    assert!(bomb.len() < 4096, "{}", bomb.len());
    let r = post_archive(&a, &carol, bomb, "application/gzip").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("larger than 32768 bytes once decompressed"),
        "{message}"
    );
    assert_eq!(rows_of(&a, &carol_id).await, 0);
}

#[tokio::test]
async fn imports_and_exports_take_turns_and_a_full_queue_answers_503_with_retry_after() {
    let a = TestApp::spawn_with(sparky_web::WebConfig {
        max_concurrent_imports: 1,
        import_queue_wait: std::time::Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let (_, alice) = a.user("alice@example.com").await;
    let (bob_id, bob) = a.user("bob@example.com").await;
    // Alice's (empty) account as an archive, to be read into Bob's.
    let (status, _, archive) = get_archive(&a, &alice).await;
    assert_eq!(status, StatusCode::OK);

    // Every turn is taken: both kinds of import wait, then give up with 503 and Retry-After.
    let held = a.import_slots.clone().acquire_owned().await.unwrap();
    let r = post_archive(&a, &bob, archive.clone(), "application/gzip").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
    assert_eq!(r.code(), "busy");
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    let r = a
        .client
        .post(format!("{}/api/v1/import/csv?target=measurements", a.base))
        .header(
            header::COOKIE,
            format!("sparky_session={}", cookie_of(&bob)),
        )
        .header(header::ORIGIN, a.origin())
        .body("date,weight\n2026-01-02,80\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(rows_of(&a, &bob_id).await, 0);
    // Exports take the same turns.
    let (status, headers, _) = get_archive(&a, &alice).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::RETRY_AFTER], "1");

    // A turn that frees up while an import waits lets it through.
    let waiting = {
        let archive = archive.clone();
        let a = &a;
        let bob = bob.clone();
        async move { post_archive(a, &bob, archive, "application/gzip").await }
    };
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        drop(held);
    };
    let (r, ()) = tokio::join!(waiting, release);
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        a.import_slots.available_permits(),
        1,
        "the turn is given back"
    );
}

fn cookie_of(who: &As) -> String {
    match who {
        As::Cookie(c) => c.clone(),
        other => panic!("not a cookie: {other:?}"),
    }
}

/// Sends an upload's headers and the first bytes of a larger body, then stalls.
async fn stalled_upload(
    a: &TestApp,
    who: &As,
    path: &str,
    content_type: &str,
) -> tokio::net::TcpStream {
    stalled_upload_of(a, who, path, content_type, 100_000).await
}

/// A request that declares a body of `length` bytes, sends its first few and then nothing.
async fn stalled_upload_of(
    a: &TestApp,
    who: &As,
    path: &str,
    content_type: &str,
    length: usize,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let addr = a.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: sparky_session={}\r\nOrigin: {}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n",
        cookie_of(who),
        a.origin()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let start: &[u8] = if content_type.contains("json") {
        b"{\"food_item_id\": "
    } else {
        &[0x1f, 0x8b, 8, 0]
    };
    stream.write_all(start).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

#[tokio::test]
async fn slow_request_bodies_hold_no_database_connection() {
    let db = sparky_testkit::TestDb::new().await;
    let database = db.database_builder().pool_size(2).build().unwrap();
    let a = TestApp::serve(db, database, sparky_web::WebConfig::default()).await;
    let (_, carol) = a.user("carol@example.com").await;
    // More stalled uploads than the pool has connections, of every kind: archives, other
    // trackers' files, JSON bodies of ordinary writes.
    let mut uploads = Vec::new();
    for (path, content_type) in [
        ("/api/v1/import", "application/gzip"),
        ("/api/v1/import/mfp", "text/csv"),
        ("/api/v1/import/csv?target=measurements", "text/csv"),
        ("/api/v1/diary", "application/json"),
        ("/api/v1/diary", "application/json"),
        ("/api/v1/measurements", "application/json"),
    ] {
        uploads.push(stalled_upload(&a, &carol, path, content_type).await);
    }
    // Let them all pass authentication and start waiting for their bodies.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A request that found no free connection would get 503 after the pool's wait.
    for _ in 0..4 {
        let r = a.get("/api/v1/me", &carol).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    drop(uploads);
}

/// Uploaded files wait for room in a budget of twice as many largest files as there are
/// turns: uploads that would not fit get 503 `busy` before a byte of theirs is read, room
/// comes back when an upload ends (even a broken one), and a declared length over the limit is
/// a 413 at once.
#[tokio::test]
async fn uploads_wait_for_room_in_a_bounded_budget() {
    let a = TestApp::spawn_with(sparky_web::WebConfig {
        max_import_body_bytes: 64 * 1024,
        max_concurrent_imports: 1,
        import_queue_wait: std::time::Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let (bob_id, bob) = a.user("bob@example.com").await;
    let csv = "date,weight\n2026-01-02,80\n";
    let post_csv = |length: Option<usize>| {
        let mut r = a
            .client
            .post(format!("{}/api/v1/import/csv?target=measurements", a.base))
            .header(
                header::COOKIE,
                format!("sparky_session={}", cookie_of(&bob)),
            )
            .header(header::ORIGIN, a.origin());
        r = match length {
            Some(n) => r.body(vec![b'x'; n]),
            None => r.body(csv),
        };
        r.send()
    };

    // Two uploads of the largest size fill the 128 KiB budget and stall.
    let mut stalled = Vec::new();
    for path in ["/api/v1/import/mfp", "/api/v1/import"] {
        let ct = if path.ends_with("mfp") {
            "text/csv"
        } else {
            "application/gzip"
        };
        stalled.push(stalled_upload_of(&a, &bob, path, ct, 64 * 1024).await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = post_csv(None).await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()[header::RETRY_AFTER], "1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");
    assert_eq!(rows_of(&a, &bob_id).await, 0);

    // Over the limit: 413 without waiting for room or reading the body.
    let r = post_csv(Some(64 * 1024 + 1)).await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // One stalled client goes away; its room comes back and the small upload fits.
    drop(stalled.pop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = post_csv(None).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    assert!(rows_of(&a, &bob_id).await > 0);
    drop(stalled);
}

/// Columns added to the format later (`preferences.csv`'s `exercise_eat_back_percent` and
/// `week_start`) go out and come back; an archive written before they existed is still read,
/// with their defaults.
#[tokio::test]
async fn a_column_added_later_round_trips_and_older_archives_still_import() {
    let a = TestApp::spawn().await;
    let (_, alice) = a.user("alice@example.com").await;
    let r = a
        .put(
            "/api/v1/preferences",
            &alice,
            serde_json::json!({"exercise_eat_back_percent": 40, "week_start": "Sunday"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["week_start"], "sunday");
    let archive = export_of(&a, &alice).await;
    let prefs = text(&archive, "preferences.csv");
    let mut lines = prefs.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .ends_with(",exercise_eat_back_percent,week_start"),
        "{prefs}"
    );
    assert!(lines.next().unwrap().ends_with(",40,sunday"), "{prefs}");

    let (_, bea) = a.user("bea@example.com").await;
    let r = import_archive(&a, &bea, &archive).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let p = a.get("/api/v1/preferences", &bea).await.body;
    assert_eq!(p["exercise_eat_back_percent"], 40);
    assert_eq!(p["week_start"], "sunday");

    // The same archive as older Sparkys wrote it: without week_start, then without both.
    let drop_last = |csv: &str| -> String {
        csv.lines()
            .map(|l| format!("{}\n", &l[..l.rfind(',').unwrap()]))
            .collect()
    };
    let mut one_older = copy_of(&archive);
    one_older
        .files
        .insert("preferences.csv".into(), drop_last(&prefs).into_bytes());
    let (_, bo) = a.user("bo@example.com").await;
    let r = import_archive(&a, &bo, &one_older).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let p = a.get("/api/v1/preferences", &bo).await.body;
    assert_eq!(p["exercise_eat_back_percent"], 40);
    assert_eq!(p["week_start"], "monday");
    let mut older = copy_of(&archive);
    let cut: String = drop_last(&drop_last(&prefs));
    older
        .files
        .insert("preferences.csv".into(), cut.clone().into_bytes());
    let (_, cy) = a.user("cy@example.com").await;
    let r = import_archive(&a, &cy, &older).await;
    assert_eq!(r.status, StatusCode::OK, "{cut}: {:?}", r.body);
    let p = a.get("/api/v1/preferences", &cy).await.body;
    assert_eq!(p["exercise_eat_back_percent"], 100);
    assert_eq!(p["week_start"], "monday");
    assert_eq!(p["timezone"], "UTC");
    // Dropping a column that is not a later addition is still refused.
    let mut broken = copy_of(&older);
    let cut_more: String = cut
        .lines()
        .map(|l| format!("{}\n", &l[..l.rfind(',').unwrap()]))
        .collect();
    broken
        .files
        .insert("preferences.csv".into(), cut_more.into_bytes());
    let (_, dee) = a.user("dee@example.com").await;
    let r = import_archive(&a, &dee, &broken).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expected the column `onboarded_at`"),
        "{:?}",
        r.body
    );
}

/// A workout's seconds (`duration_seconds`, added to the format later) go out and come back;
/// an archive without the column imports its whole minutes.
#[tokio::test]
async fn workout_seconds_round_trip_and_older_archives_keep_their_minutes() {
    let a = TestApp::spawn().await;
    let (_, alice) = a.user("alice@example.com").await;
    let e = a
        .post(
            "/api/v1/exercises",
            &alice,
            serde_json::json!({"name": "Trail run", "category": "cardio", "met_value": 9}),
        )
        .await;
    assert_eq!(e.status, StatusCode::CREATED, "{:?}", e.body);
    let w = a
        .post(
            "/api/v1/workouts",
            &alice,
            serde_json::json!({"exercise_id": e.body["id"], "date": "2026-11-02",
                               "duration_seconds": 1534, "distance": 5}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{:?}", w.body);
    let archive = export_of(&a, &alice).await;
    let csv = text(&archive, "workouts.csv");
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",updated_at,duration_seconds"),
        "{csv}"
    );
    assert!(csv.lines().nth(1).unwrap().ends_with(",1534"), "{csv}");
    let (_, bea) = a.user("bea@example.com").await;
    let r = import_archive(&a, &bea, &archive).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        workout_duration(&a, &bea).await,
        (serde_json::json!(26), serde_json::json!(1534))
    );
    let mut older = copy_of(&archive);
    let cut: String = csv
        .lines()
        .map(|l| format!("{}\n", &l[..l.rfind(',').unwrap()]))
        .collect();
    older.files.insert("workouts.csv".into(), cut.into_bytes());
    let (_, cy) = a.user("cy@example.com").await;
    let r = import_archive(&a, &cy, &older).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        workout_duration(&a, &cy).await,
        (serde_json::json!(26), serde_json::json!(1560))
    );
}

/// (duration_minutes, duration_seconds) of the only workout of 2026-11-02.
async fn workout_duration(app: &TestApp, who: &As) -> (Value, Value) {
    let day = app.get("/api/v1/workouts/2026-11-02", who).await.body;
    let w = &day["entries"][0];
    (w["duration_minutes"].clone(), w["duration_seconds"].clone())
}

/// The targets past days had move with the account (goal_target_history.csv), so reports on
/// the new server judge them as the old one did; an archive from before the file was added
/// still imports, its past days then having the targets of the day of the move.
#[tokio::test]
async fn the_targets_past_days_had_move_with_the_account() {
    let a = TestApp::spawn().await;
    let (alice_id, alice) = a.user("alice@example.com").await;
    let r = a
        .post(
            "/api/v1/goals",
            &alice,
            serde_json::json!({"type": "calorie_target", "target_value": 2000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // As if 2,000 had been set on 07-01 and lowered to 1,500 (Friday 2,200) on 07-08.
    a.db.owner_client()
        .await
        .batch_execute(&format!(
            "UPDATE goal_target_history SET valid_from = '2026-07-01' WHERE user_id = '{alice_id}';
             INSERT INTO goal_target_history (user_id, type, valid_from, target_value, weekday_targets)
             VALUES ('{alice_id}', 'calorie_target', '2026-07-08', 1500,
                     '{{NULL,NULL,NULL,NULL,2200,NULL,NULL}}')"
        ))
        .await
        .unwrap();
    let archive = export_of(&a, &alice).await;
    let history = text(&archive, "goal_target_history.csv");
    assert_eq!(
        history,
        "type,valid_from,target_value,weekday_targets\n\
         calorie_target,2026-07-01,2000.000000,\n\
         calorie_target,2026-07-08,1500.000000,\"[null,null,null,null,2200.000000,null,null]\"\n",
    );
    let target_on = |who: common::As, day: &'static str| {
        let a = &a;
        async move {
            let s = a.get(&format!("/api/v1/summary/{day}"), &who).await;
            assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
            s.body["targets"]["calories"].clone()
        }
    };
    let (_, bea) = a.user("bea@example.com").await;
    let r = import_archive(&a, &bea, &archive).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(target_on(bea.clone(), "2026-07-02").await, 2000.0);
    assert_eq!(target_on(bea.clone(), "2026-07-09").await, 1500.0);
    assert_eq!(
        target_on(bea.clone(), "2026-07-10").await,
        2200.0,
        "a Friday"
    );
    assert_eq!(target_on(bea.clone(), "today").await, 2000.0);

    // As an older Sparky wrote it: no such file.
    let mut older = copy_of(&archive);
    older.files.remove("goal_target_history.csv");
    older
        .manifest
        .files
        .retain(|f| f.name != "goal_target_history.csv");
    let (_, cy) = a.user("cy@example.com").await;
    let r = import_archive(&a, &cy, &older).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(target_on(cy.clone(), "2026-07-09").await, 2000.0);
    // Held to the goals' rules: seven weekday targets.
    let mut edited = copy_of(&archive);
    edited.files.insert(
        "goal_target_history.csv".into(),
        history
            .replace("null,null,null,null,2200.000000,null,null", "2200,1")
            .into_bytes(),
    );
    let (_, eve) = a.user("eve@example.com").await;
    let r = import_archive(&a, &eve, &edited).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("goal_target_history.csv line 3 column 4 (weekday_targets)"),
        "{:?}",
        r.body
    );
    // Another file left out is still refused.
    let mut broken = copy_of(&archive);
    broken.files.remove("goals.csv");
    broken.manifest.files.retain(|f| f.name != "goals.csv");
    let (_, dee) = a.user("dee@example.com").await;
    let r = import_archive(&a, &dee, &broken).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
}

fn copy_of(archive: &Archive) -> Archive {
    Archive {
        manifest: archive.manifest.clone(),
        files: archive.files.clone(),
    }
}

/// Packs `archive` again (new checksums) and imports it as `who`.
async fn import_archive(app: &TestApp, who: &As, archive: &Archive) -> common::Response {
    let body = transfer::pack(&archive.manifest, &archive.files).unwrap();
    post_archive(app, who, body, "application/gzip").await
}

/// The CSV records of `file` (the header first).
fn records_of(archive: &Archive, file: &str) -> Vec<Vec<String>> {
    let data = text(archive, file);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(data.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The line (1 = the header) of the first row of `file` that `pick` accepts, with that row's
/// fields by column name.
fn line_where(
    archive: &Archive,
    file: &str,
    pick: impl Fn(&dyn Fn(&str) -> String) -> bool,
) -> (usize, std::collections::HashMap<String, String>) {
    let records = records_of(archive, file);
    let header = &records[0];
    for (i, r) in records.iter().enumerate().skip(1) {
        let row: std::collections::HashMap<String, String> =
            header.iter().cloned().zip(r.iter().cloned()).collect();
        if pick(&|c: &str| row[c].clone()) {
            return (i + 1, row);
        }
    }
    panic!("no such row in {file}");
}

/// An edited archive is held to the API's rules, not only to its columns' kinds: each change
/// below used to be stored (or failed later with PostgreSQL's words); now each is a 422 that
/// names file, line and column, and nothing is written.
#[tokio::test]
async fn an_edited_archive_is_held_to_the_apis_rules() {
    let a = TestApp::spawn().await;
    catalog(&a).await;
    let (alice_id, alice) = a.user("alice@example.com").await;
    seed(&a, &alice_id, "alice").await;
    let good = export_of(&a, &alice).await;
    let (carol_id, carol) = a.user("carol@example.com").await;
    let before = rows_of(&a, &carol_id).await;

    let (fat_line, _) = line_where(&good, "measurements.csv", |f| f("type") == "body_fat");
    let (weight_line, _) = line_where(&good, "measurements.csv", |f| f("type") == "weight");
    let (linked_line, linked) = line_where(&good, "diary.csv", |f| !f("serving").is_empty());
    let (_, other_serving) = line_where(&good, "servings.csv", |f| f("food") != linked["food"]);
    let (_, plain_food) = line_where(&good, "foods.csv", |f| f("recipe_servings").is_empty());
    let (calorie_line, _) = line_where(&good, "goals.csv", |f| f("type") == "calorie_target");
    let long_name = "x".repeat(256);
    let cases: Vec<(&str, usize, &str, &str, &str)> = vec![
        // Cross-row rules: a goal's unit is its type's, ingredients belong to a recipe, a
        // serving comes with its food.
        (
            "goals.csv",
            calorie_line,
            "target_unit",
            "g",
            "a calorie_target goal is in kcal",
        ),
        (
            "recipe_ingredients.csv",
            2,
            "recipe",
            &plain_food["ref"],
            "not a recipe",
        ),
        (
            "diary.csv",
            linked_line,
            "food",
            "",
            "a serving needs the row's food",
        ),
        (
            "profile.csv",
            2,
            "birth_date",
            "2190-01-01",
            "must not be in the future",
        ),
        (
            "foods.csv",
            2,
            "name",
            &long_name,
            "longer than 255 characters",
        ),
        ("foods.csv", 2, "name", "   ", "must not be empty"),
        ("foods.csv", 2, "barcode", "abc", "(barcode): "),
        (
            "servings.csv",
            2,
            "calories",
            "1000000000",
            "must be from 0 to 100000",
        ),
        (
            "diary.csv",
            2,
            "per_serving",
            r#"{"fat": "x"}"#,
            "not an object of nutrient amounts",
        ),
        (
            "diary.csv",
            2,
            "meal_type",
            "brunch",
            "must be one of breakfast, lunch, dinner, snack",
        ),
        (
            "diary.csv",
            linked_line,
            "serving",
            &other_serving["ref"],
            "not a serving of the row's food",
        ),
        (
            "workouts.csv",
            2,
            "calories_source",
            "guess",
            "must be one of met, user",
        ),
        (
            "workouts.csv",
            2,
            "met_value",
            "500",
            "must be greater than 0 and at most 30",
        ),
        ("measurements.csv", fat_line, "value", "150", "(value): "),
        (
            "measurements.csv",
            weight_line,
            "unit",
            "ml",
            "a weight is stored in kg",
        ),
        (
            "measurements.csv",
            weight_line,
            "type",
            "no_such_type",
            "neither a built-in measurement type",
        ),
        (
            "measurement_types.csv",
            2,
            "unit",
            "ml",
            "not a unit of mass",
        ),
        (
            "measurement_types.csv",
            2,
            "name",
            "Grip Strength",
            "lower case letters",
        ),
        (
            "preferences.csv",
            2,
            "theme",
            "neon",
            "must be one of light, dark, system",
        ),
    ];
    for (file, line, column, value, needle) in cases {
        let mut bad = copy_of(&good);
        set_field(&mut bad, file, line, column, value);
        let r = import_archive(&a, &carol, &bad).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{file} {column}: {:?}",
            r.body
        );
        let message = r.body["error"]["message"].as_str().unwrap().to_string();
        let col = column_of(&good, file, column);
        let place = format!("{file} line {line} column {col} ({column}): ");
        assert!(
            message.contains(&place),
            "{message:?} should name {place:?}"
        );
        assert!(
            message.contains(needle),
            "{message:?} should contain {needle:?}"
        );
        assert_eq!(
            rows_of(&a, &carol_id).await,
            before,
            "nothing written: {file} {column}"
        );
    }

    // A recipe that contains itself is said in the API's words, under the column.
    let (line, ingredient) = line_where(&good, "recipe_ingredients.csv", |_| true);
    let mut bad = copy_of(&good);
    set_field(&mut bad, "recipe_ingredients.csv", line, "serving", "");
    set_field(
        &mut bad,
        "recipe_ingredients.csv",
        line,
        "food",
        &ingredient["recipe"],
    );
    let r = import_archive(&a, &carol, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "recipe_ingredients.csv line {line} column {} (food): a recipe cannot contain itself",
            column_of(&good, "recipe_ingredients.csv", "food")
        )),
        "{message}"
    );
    assert_eq!(rows_of(&a, &carol_id).await, before);

    // Two recipes that contain each other (A→B→A) likewise: the recipe's own food made a
    // recipe of the recipe.
    let (_, recipe) = line_where(&good, "foods.csv", |f| !f("recipe_servings").is_empty());
    let recipe_ref = recipe["ref"].clone();
    let plain: Vec<String> = records_of(&good, "foods.csv")
        .iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    let (_, inside) = line_where(&good, "recipe_ingredients.csv", |f| {
        f("recipe") == recipe_ref && f("food") != recipe_ref && plain.contains(&f("food"))
    });
    let food_ref = inside["food"].clone();
    let (food_line, _) = line_where(&good, "foods.csv", |f| f("ref") == food_ref);
    let (other_line, _) = line_where(&good, "recipe_ingredients.csv", |f| {
        f("recipe") == recipe_ref && f("food") != food_ref
    });
    let mut bad = copy_of(&good);
    set_field(&mut bad, "foods.csv", food_line, "recipe_servings", "1");
    set_field(
        &mut bad,
        "recipe_ingredients.csv",
        other_line,
        "recipe",
        &food_ref,
    );
    set_field(
        &mut bad,
        "recipe_ingredients.csv",
        other_line,
        "food",
        &recipe_ref,
    );
    set_field(
        &mut bad,
        "recipe_ingredients.csv",
        other_line,
        "serving",
        "",
    );
    let r = import_archive(&a, &carol, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("recipe_ingredients.csv line")
            && message.contains("(food): a recipe cannot contain a recipe that contains it"),
        "{message}"
    );
    assert_eq!(rows_of(&a, &carol_id).await, before);

    // The API dates entries from 1900-01-01 to 2199-12-31 and times them at noon in the
    // user's time zone, which in UTC can be the day before the first or after the last:
    // such entries of an export import again.
    let mut edges = copy_of(&good);
    set_field(&mut edges, "diary.csv", 2, "entry_date", "1900-01-01");
    set_field(
        &mut edges,
        "diary.csv",
        2,
        "consumed_at",
        "1899-12-31T22:00:00.000000Z",
    );
    set_field(&mut edges, "diary.csv", 3, "entry_date", "2199-12-31");
    set_field(
        &mut edges,
        "diary.csv",
        3,
        "consumed_at",
        "2200-01-01T02:00:00.000000Z",
    );
    let r = import_archive(&a, &carol, &edges).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// An account made through the API at the API's limits (a canteen recipe of 150 kg for 1,000
/// plates with a 400 kg cooked weight, an entry of 1,000,000 mg, a plan item at the largest
/// amount and order) exports to an archive that imports into another account: the archive
/// reader takes what the API stored. A plan item's order outside 0 to 10,000 is refused.
#[tokio::test]
async fn an_account_at_the_apis_limits_round_trips() {
    let app = TestApp::spawn().await;
    let (_, dave) = app.user("dave@example.com").await;
    let (_, erin) = app.user("erin@example.com").await;
    let rice = app
        .post(
            "/api/v1/foods",
            &dave,
            serde_json::json!({"name": "Rice", "servings": [{"size": 100, "unit": "g",
                   "nutrients": {"calories": 130, "protein": 2.7}}]}),
        )
        .await;
    assert_eq!(rice.status, StatusCode::CREATED, "{:?}", rice.body);
    let rice = rice.body["id"].as_str().unwrap().to_string();
    let recipe = app
        .post(
            "/api/v1/recipes",
            &dave,
            serde_json::json!({"name": "Canteen rice", "servings": 1000, "cooked_weight_g": 400000,
                   "ingredients": [{"food_item_id": rice, "quantity": 150000, "unit": "g"}]}),
        )
        .await;
    assert_eq!(recipe.status, StatusCode::CREATED, "{:?}", recipe.body);
    let entry = app
        .post(
            "/api/v1/diary",
            &dave,
            serde_json::json!({"food_item_id": rice, "quantity": 1000000, "unit": "mg",
                   "meal_type": "lunch", "date": "2026-11-02"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let plan = app
        .post(
            "/api/v1/meal-plan-templates",
            &dave,
            serde_json::json!({"name": "Big week"}),
        )
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{:?}", plan.body);
    let items = format!(
        "/api/v1/meal-plan-templates/{}/items",
        plan.body["id"].as_str().unwrap()
    );
    for order in [-1, 10001, i32::MAX] {
        let refused = app
            .post(
                &items,
                &dave,
                serde_json::json!({"food_item_id": rice, "quantity": 1, "meal_type": "lunch",
                       "sort_order": order}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body["error"]["fields"]["sort_order"].is_string(),
            "{:?}",
            refused.body
        );
    }
    let last = app
        .post(
            &items,
            &dave,
            serde_json::json!({"food_item_id": rice, "quantity": 500000, "unit": "g",
                   "meal_type": "lunch", "sort_order": 10000}),
        )
        .await;
    assert_eq!(last.status, StatusCode::CREATED, "{:?}", last.body);
    // The next item without an order still fits (after the last is as far as it goes).
    let next = app
        .post(
            &items,
            &dave,
            serde_json::json!({"food_item_id": rice, "quantity": 1, "meal_type": "dinner"}),
        )
        .await;
    assert_eq!(next.status, StatusCode::CREATED, "{:?}", next.body);

    let archive = export_of(&app, &dave).await;
    let imported = import_archive(&app, &erin, &archive).await;
    assert_eq!(imported.status, StatusCode::OK, "{:?}", imported.body);
    let recipes = app.get("/api/v1/recipes", &erin).await;
    assert!(
        recipes.body.to_string().contains("Canteen rice"),
        "{:?}",
        recipes.body
    );
}

/// Custom nutrients move with the account: the definitions, the amounts foods hold and what
/// the diary logged; archives from before them import with none, and a bad amount is a 422.
#[tokio::test]
async fn custom_nutrients_move_with_the_account_and_older_archives_have_none() {
    let a = TestApp::spawn().await;
    let (_, alice) = a.user("alice@example.com").await;
    let r = a
        .post(
            "/api/v1/custom-nutrients",
            &alice,
            serde_json::json!({"name": "Caffeine", "unit": "mg"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let food = a
        .post(
            "/api/v1/foods",
            &alice,
            serde_json::json!({"name": "Espresso", "servings": [{"size": 30, "unit": "ml",
                "nutrients": {"calories": 2}, "custom_nutrients": {"Caffeine": 63.5}}]}),
        )
        .await;
    assert_eq!(food.status, StatusCode::CREATED, "{:?}", food.body);
    let r = a
        .post(
            "/api/v1/diary",
            &alice,
            serde_json::json!({"food_item_id": food.body["id"], "quantity": 2,
                               "meal_type": "breakfast", "date": "2026-11-02"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let archive = export_of(&a, &alice).await;
    assert_eq!(
        text(&archive, "custom_nutrients.csv")
            .lines()
            .nth(1)
            .map(|l| l.split(',').take(2).collect::<Vec<_>>()),
        Some(vec!["Caffeine", "mg"])
    );

    let (_, bea) = a.user("bea@example.com").await;
    let r = import_archive(&a, &bea, &archive).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let list = a.get("/api/v1/custom-nutrients", &bea).await.body;
    assert_eq!(list[0]["name"], "Caffeine");
    let day = a.get("/api/v1/diary/2026-11-02", &bea).await.body;
    assert_eq!(day["custom_totals"]["Caffeine"], 127.0, "{day:?}");
    let foods = a.get("/api/v1/foods?q=espresso", &bea).await.body;
    assert!(foods.to_string().contains("Caffeine"), "{foods:?}");

    // As Sparky wrote it before custom nutrients: no file, no columns.
    let drop_last = |csv: &str| -> String {
        csv.lines()
            .map(|l| format!("{}\n", &l[..l.rfind(',').unwrap()]))
            .collect()
    };
    let mut older = copy_of(&archive);
    older.files.remove("custom_nutrients.csv");
    older
        .manifest
        .files
        .retain(|f| f.name != "custom_nutrients.csv");
    for file in ["servings.csv", "diary.csv"] {
        let cut = drop_last(&text(&archive, file));
        older.files.insert(file.into(), cut.into_bytes());
    }
    let (_, cy) = a.user("cy@example.com").await;
    let r = import_archive(&a, &cy, &older).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        a.get("/api/v1/custom-nutrients", &cy).await.body,
        serde_json::json!([])
    );
    let day = a.get("/api/v1/diary/2026-11-02", &cy).await.body;
    assert!(day.get("custom_totals").is_none(), "{day:?}");
    assert_eq!(day["totals"]["calories"], 4.0, "{day:?}");

    // An amount the API would refuse is a 422 naming file and column; nothing is written.
    let mut bad = copy_of(&archive);
    let (line, _) = line_where(&archive, "servings.csv", |c| c("custom_nutrients") != "{}");
    set_field(
        &mut bad,
        "servings.csv",
        line,
        "custom_nutrients",
        r#"{"Caffeine": -3}"#,
    );
    let (dee_id, dee) = a.user("dee@example.com").await;
    let r = import_archive(&a, &dee, &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("custom_nutrients"),
        "{:?}",
        r.body
    );
    assert_eq!(rows_of(&a, &dee_id).await, 0);
}
