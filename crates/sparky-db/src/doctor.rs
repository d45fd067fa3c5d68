//! `sparky doctor`: the seed's Troubleshooting and Maintenance checks, run against a live
//! database. A problem makes the command exit non-zero; a warning does not.

use serde::Serialize;
use tokio_postgres::Client;

use crate::migrate::{Migrator, State};
use crate::{roles, RequestLogin};

/// Table comment prefix that marks a table as shared, non-personal data (exempt from the
/// "every table the request role can touch has RLS" rule).
pub const SHARED_TABLE_COMMENT: &str = "sparky:shared";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Warning,
    Problem,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub level: Level,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub server_version: String,
    pub owner_role: String,
    pub request_role: String,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.level != Level::Problem)
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "PostgreSQL {}\nowner role: {}\nrequest role: {}\n",
            self.server_version, self.owner_role, self.request_role
        );
        for f in &self.findings {
            let tag = match f.level {
                Level::Ok => "ok     ",
                Level::Warning => "warning",
                Level::Problem => "PROBLEM",
            };
            out.push_str(&format!("[{tag}] {}: {}\n", f.check, f.message));
        }
        let problems = self
            .findings
            .iter()
            .filter(|f| f.level == Level::Problem)
            .count();
        out.push_str(&if problems == 0 {
            "no problems found\n".to_string()
        } else {
            format!("{problems} problem(s) found\n")
        });
        out
    }
}

fn finding(check: &'static str, level: Level, message: impl Into<String>) -> Finding {
    Finding {
        check,
        level,
        message: message.into(),
    }
}

pub async fn examine(
    client: &Client,
    request_role: &str,
    migrator: &Migrator,
) -> Result<Report, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_user",
            &[],
        )
        .await?;
    let server_version: String = row.get(0);
    let version_num: i32 = row.get(1);
    let owner_role: String = row.get(2);
    let mut findings = Vec::new();

    findings.push(if version_num >= 150000 {
        finding("postgresql", Level::Ok, format!("version {server_version}"))
    } else {
        finding(
            "postgresql",
            Level::Problem,
            format!("version {server_version} is older than the required 15"),
        )
    });

    let risks = roles::bypass_risks(client, request_role).await?;
    if risks.is_empty() {
        findings.push(finding(
            "request role",
            Level::Ok,
            format!("{request_role} cannot bypass row level security"),
        ));
    }
    for r in risks {
        findings.push(finding("request role", Level::Problem, r));
    }

    rls_findings(client, request_role, &mut findings).await?;
    migration_findings(client, migrator, &mut findings).await?;
    index_findings(client, &mut findings).await?;
    administrator_findings(client, &mut findings).await?;

    Ok(Report {
        server_version,
        owner_role,
        request_role: request_role.to_string(),
        findings,
    })
}

/// How requests reach the request role, checked by logging in the way requests do.
pub async fn request_login_findings(requests: &RequestLogin, role: &str) -> Vec<Finding> {
    const CHECK: &str = "request login";
    match requests {
        RequestLogin::OwnerSwitchesRole => vec![finding(
            CHECK,
            Level::Warning,
            format!(
                "requests log in as the owner and switch to {role} in each transaction, so a \
                 statement that resets the role would act as the owner; give {role} LOGIN and a \
                 password and set SPARKY_APP_DATABASE_URL so requests log in as {role}"
            ),
        )],
        RequestLogin::AsRequestRole(target) => {
            let answer = match crate::connect(target.as_ref()).await {
                Ok(client) => client
                    .query_one("SELECT session_user::text", &[])
                    .await
                    .map(|r| r.get::<_, String>(0)),
                Err(e) => Err(e),
            };
            vec![match answer {
                Ok(user) if user == role => finding(
                    CHECK,
                    Level::Ok,
                    format!("requests log in as {role}, which cannot become the owner"),
                ),
                Ok(user) => finding(
                    CHECK,
                    Level::Problem,
                    format!("requests log in as {user}, not as the request role {role}"),
                ),
                Err(e) => finding(
                    CHECK,
                    Level::Problem,
                    format!("requests cannot log in as {role}: {e}"),
                ),
            }]
        }
    }
}

async fn rls_findings(
    client: &Client,
    role: &str,
    findings: &mut Vec<Finding>,
) -> Result<(), tokio_postgres::Error> {
    let role_exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await?
        .is_some();
    // Tables with user data: those the request role can touch, and any with a user_id column,
    // unless marked as shared catalog data.
    let rows = client
        .query(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                    (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)::int
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
               AND c.relname <> 'migrations'
               AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE $2 || '%'
               AND (
                   ($3 AND has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE'))
                   OR EXISTS (SELECT 1 FROM pg_attribute a
                              WHERE a.attrelid = c.oid AND a.attname = 'user_id' AND NOT a.attisdropped)
               )
             ORDER BY c.relname",
            &[&role, &SHARED_TABLE_COMMENT, &role_exists],
        )
        .await?;
    let mut bad = 0;
    for r in &rows {
        let table: String = r.get(0);
        let mut missing = Vec::new();
        if !r.get::<_, bool>(1) {
            missing.push("ENABLE ROW LEVEL SECURITY");
        }
        if !r.get::<_, bool>(2) {
            missing.push("FORCE ROW LEVEL SECURITY");
        }
        if r.get::<_, i32>(3) == 0 {
            missing.push("a policy");
        }
        if !missing.is_empty() {
            bad += 1;
            findings.push(finding(
                "row level security",
                Level::Problem,
                format!(
                    "table {table} holds user data but lacks {}",
                    missing.join(", ")
                ),
            ));
        }
    }
    if bad == 0 {
        findings.push(finding(
            "row level security",
            Level::Ok,
            format!(
                "{} user tables have RLS enabled, forced and policies",
                rows.len()
            ),
        ));
    }
    // A bare auth.uid() in a policy is evaluated per row; (select auth.uid()) once per statement.
    let bare = client
        .query(
            "SELECT tablename || '.' || policyname FROM pg_policies
             WHERE schemaname = 'public'
               AND (coalesce(qual, '') || coalesce(with_check, '')) ~ '(^|[^T] )auth\\.uid\\(\\)'
               AND replace(coalesce(qual, '') || coalesce(with_check, ''), 'SELECT auth.uid()', '') LIKE '%auth.uid()%'
             ORDER BY 1",
            &[],
        )
        .await?;
    for r in bare {
        findings.push(finding(
            "policies",
            Level::Warning,
            format!(
                "policy {} calls auth.uid() per row; write (select auth.uid())",
                r.get::<_, String>(0)
            ),
        ));
    }
    Ok(())
}

async fn migration_findings(
    client: &Client,
    migrator: &Migrator,
    findings: &mut Vec<Finding>,
) -> Result<(), tokio_postgres::Error> {
    let status = match migrator.status(client).await {
        Ok(s) => s,
        Err(e) => {
            findings.push(finding("migrations", Level::Problem, e.to_string()));
            return Ok(());
        }
    };
    for e in &status.entries {
        let (level, what) = match e.state {
            State::Applied => continue,
            State::Pending => (Level::Problem, "pending: run `sparky migrate up`"),
            State::Modified => (
                Level::Problem,
                "modified after it was applied: restore it or `sparky migrate repair`",
            ),
            State::Unknown => (
                Level::Problem,
                "applied but unknown to this binary (a newer Sparky migrated this database)",
            ),
        };
        findings.push(finding(
            "migrations",
            level,
            format!("{} {}: {what}", e.version, e.description),
        ));
    }
    if status.is_current() {
        findings.push(finding(
            "migrations",
            Level::Ok,
            format!("all {} migrations applied", status.entries.len()),
        ));
    }
    Ok(())
}

async fn index_findings(
    client: &Client,
    findings: &mut Vec<Finding>,
) -> Result<(), tokio_postgres::Error> {
    let invalid = client
        .query(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT i.indisvalid AND n.nspname = 'public' ORDER BY 1",
            &[],
        )
        .await?;
    for r in invalid {
        findings.push(finding(
            "indexes",
            Level::Problem,
            format!(
                "index {} is INVALID (a failed CREATE INDEX CONCURRENTLY): DROP INDEX it and run the migration again",
                r.get::<_, String>(0)
            ),
        ));
    }
    // Unused since statistics were last reset; unique indexes enforce rules, so they stay.
    let unused = client
        .query(
            "SELECT s.relname || '.' || s.indexrelname, pg_relation_size(s.indexrelid)
             FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
             WHERE s.idx_scan = 0 AND NOT i.indisunique AND s.schemaname = 'public'
             ORDER BY 2 DESC, 1",
            &[],
        )
        .await?;
    if unused.is_empty() {
        findings.push(finding("indexes", Level::Ok, "every index has been used"));
    } else {
        let names: Vec<String> = unused.iter().map(|r| r.get::<_, String>(0)).collect();
        findings.push(finding(
            "indexes",
            Level::Warning,
            format!(
                "{} index(es) never used since statistics were reset (normal on a new database): {}",
                names.len(),
                names.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Accounts without an enabled administrator (an install from before the rule that keeps
/// one): nobody can set instance-wide settings from the web.
async fn administrator_findings(
    client: &Client,
    findings: &mut Vec<Finding>,
) -> Result<(), tokio_postgres::Error> {
    let ready: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = 'public'
                              AND table_name = 'users' AND column_name = 'is_admin')",
            &[],
        )
        .await?
        .get(0);
    if !ready {
        return Ok(());
    }
    let row = client
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE is_admin AND disabled_at IS NULL) FROM users",
            &[],
        )
        .await?;
    let (accounts, admins): (i64, i64) = (row.get(0), row.get(1));
    findings.push(match (accounts, admins) {
        (0, _) => finding(
            "administrator",
            Level::Ok,
            "no accounts yet: the first to register becomes the administrator",
        ),
        (_, 0) => finding(
            "administrator",
            Level::Warning,
            format!(
                "{accounts} account(s) and no enabled administrator: run `sparky user admin EMAIL`"
            ),
        ),
        (_, n) => finding(
            "administrator",
            Level::Ok,
            format!("{n} enabled administrator(s)"),
        ),
    });
    Ok(())
}
