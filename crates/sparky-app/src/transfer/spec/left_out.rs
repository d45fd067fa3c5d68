//! What an archive leaves out: tables with user data that no file carries, each with the
//! reason (docs/export-format.md, "Not in an archive", says the same to users).

/// Tables with user data that are in no file, and why.
pub const EXCLUDED_TABLES: &[(&str, &str)] = &[
    (
        "assistant_usage",
        "the assistant's daily token count on this server, for its budget",
    ),
    (
        "sessions",
        "sign-in sessions: secrets, and only valid on this server",
    ),
    (
        "password_links",
        "one-time links to choose a password: secrets, and only valid on this server",
    ),
    (
        "idempotency_keys",
        "replay protection for retried requests, kept for a day",
    ),
    (
        "assistant_actions",
        "the assistant's undo log: refers to row ids of this server",
    ),
    (
        "assistant_proposals",
        "writes the assistant proposed for review: refer to row ids of this server",
    ),
    (
        "diary_day_totals",
        "derived from the diary and workouts; rebuilt by the import",
    ),
    (
        "measurement_day_totals",
        "derived from measurements; rebuilt by the import",
    ),
    (
        "recent_foods",
        "derived from the diary; rebuilt by the import",
    ),
    (
        "import_records",
        "which rows came from another tracker's files: refers to row ids of this server",
    ),
    (
        "instance_settings",
        "the server's own settings (whether sign-ups are open), not a user's",
    ),
];
