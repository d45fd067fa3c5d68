//! The account's own settings and who may reach it: profile, preferences, assistant settings, API keys, family access.

use super::*;

pub(super) const PROFILE: FileSpec = FileSpec {
    file: "profile.csv",
    tables: &["users", "user_profiles"],
    has_ref: false,
    cols: &[
        col("full_name", Kind::Text, "u.full_name").name_of(255),
        col("sex", Kind::Text, "p.sex").one_of(&["male", "female"]),
        col("birth_date", Kind::Date, "p.birth_date").limit(Limit::NotFuture),
        col("height_cm", Kind::Num, "p.height_cm").positive(272.0),
        col("activity_level", Kind::Text, "p.activity_level").one_of(&["sedentary", "light", "moderate", "active", "very_active"]),
    ],
    from: "users u LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = (SELECT auth.uid())",
    id: "u.id",
    order: "u.id",
    import: Import::Custom(
        "WITH r AS (SELECT * FROM {rows}),
              named AS (UPDATE users SET full_name = r.full_name FROM r WHERE users.id = (SELECT auth.uid()))
         INSERT INTO user_profiles (id, user_id, sex, birth_date, height_cm, activity_level)
         SELECT r.id::uuid, (SELECT auth.uid()), r.sex, r.birth_date::date, r.height_cm::numeric, r.activity_level
         FROM r
         WHERE num_nonnulls(r.sex, r.birth_date, r.height_cm, r.activity_level) > 0
         ON CONFLICT (user_id) DO UPDATE SET sex = EXCLUDED.sex, birth_date = EXCLUDED.birth_date,
             height_cm = EXCLUDED.height_cm, activity_level = EXCLUDED.activity_level",
    ),
};

pub(super) const PREFERENCES: FileSpec = FileSpec {
    file: "preferences.csv",
    tables: &["user_preferences"],
    has_ref: false,
    cols: &[
        col("theme", Kind::Text, "theme").one_of(&["light", "dark", "system"]),
        col("ai_provider", Kind::Text, "ai_provider"),
        col("units_system", Kind::Text, "units_system").one_of(&["metric", "imperial"]),
        req("timezone", Kind::Text, "timezone").chars(64),
        col("onboarded_at", Kind::Ts, "onboarded_at"),
        added(
            "exercise_eat_back_percent",
            Kind::Int,
            "exercise_eat_back_percent",
            "100",
        )
        .range(0.0, 100.0),
        added("week_start", Kind::Text, "week_start", "monday").one_of(&[
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]),
    ],
    from: "user_preferences WHERE user_id = (SELECT auth.uid())",
    id: "id",
    order: "id",
    import: Import::Insert {
        table: "user_preferences",
        owner: Some("user_id"),
        extra: &[],
        conflict: "ON CONFLICT (user_id) DO UPDATE SET theme = EXCLUDED.theme,
            ai_provider = EXCLUDED.ai_provider, units_system = EXCLUDED.units_system,
            timezone = EXCLUDED.timezone, onboarded_at = EXCLUDED.onboarded_at,
            exercise_eat_back_percent = EXCLUDED.exercise_eat_back_percent,
            week_start = EXCLUDED.week_start",
    },
};

pub(super) const ASSISTANT_SETTINGS: FileSpec = FileSpec {
    file: "assistant_settings.csv",
    tables: &["assistant_settings"],
    has_ref: false,
    cols: &[
        col("provider", Kind::Text, "provider"),
        col("base_url", Kind::Text, "base_url").chars(2000),
        col("model", Kind::Text, "model").chars(200),
        col("vision_model", Kind::Text, "vision_model").chars(200),
        added_optional("review_writes", Kind::Bool, "review_writes"),
    ],
    from: "assistant_settings WHERE user_id = (SELECT auth.uid())",
    id: "user_id",
    order: "user_id",
    import: Import::Custom(
        "INSERT INTO assistant_settings (user_id, provider, base_url, model, vision_model, review_writes)
         SELECT (SELECT auth.uid()), u.provider, u.base_url, u.model, u.vision_model,
                coalesce(u.review_writes::boolean, false) FROM {rows}
         ON CONFLICT (user_id) DO UPDATE SET provider = EXCLUDED.provider,
             base_url = EXCLUDED.base_url, model = EXCLUDED.model, vision_model = EXCLUDED.vision_model,
             review_writes = EXCLUDED.review_writes",
    ),
};

pub(super) const API_KEYS: FileSpec = FileSpec {
    file: "api_keys.csv",
    tables: &["api_keys"],
    has_ref: false,
    cols: &[
        info("name", Kind::Text, "name"),
        info("created_at", Kind::Ts, "created_at"),
        info("expires_at", Kind::Ts, "expires_at"),
        info("last_used_at", Kind::Ts, "last_used_at"),
        info("read_only", Kind::Bool, "read_only"),
    ],
    from: "api_keys WHERE user_id = (SELECT auth.uid())",
    id: "id",
    order: "created_at, id",
    import: Import::Skip,
};

pub(super) const FAMILY_ACCESS: FileSpec = FileSpec {
    file: "family_access.csv",
    tables: &["family_access"],
    has_ref: false,
    cols: &[
        info(
            "grantee_email",
            Kind::Text,
            "(SELECT u.email FROM users u WHERE u.id = fa.grantee_user_id)",
        ),
        info("access_type", Kind::Text, "fa.access_type"),
        info("granted_at", Kind::Ts, "fa.granted_at"),
    ],
    from: "family_access fa WHERE fa.grantor_user_id = (SELECT auth.uid())",
    id: "fa.id",
    order: "fa.granted_at, fa.id",
    import: Import::Skip,
};
