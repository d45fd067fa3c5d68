//! The request role: the role every request transaction becomes. It must never be able to
//! bypass Row Level Security, so it is created here with exactly the attributes it needs.

use tokio_postgres::Client;

use crate::migrate::MigrateError;

/// Role names end up in `format('%I')` and in messages; keep them plain identifiers.
pub fn validate_role_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid request role name {name:?}: use lowercase letters, digits and underscores"
        ))
    }
}

/// What an administrator must run when the owner cannot manage the request role itself.
pub fn admin_instructions(role: &str, owner: &str) -> String {
    format!(
        "As a PostgreSQL superuser (or a role with CREATEROLE), run:\n  \
         CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;\n  \
         GRANT {role} TO {owner};\n\
         then start Sparky again."
    )
}

/// Creates the request role if missing and makes the owner a member (needed for
/// `set_config('role', …)` when requests use owner connections). With `login`, the role may
/// also log in, so requests can connect as it (the embedded cluster). The role is never made
/// a member of the owner. Concurrent callers are fine: the loser of a creation race sees the
/// role as existing.
pub async fn ensure_app_role(client: &Client, role: &str, login: bool) -> Result<(), MigrateError> {
    validate_role_name(role).map_err(MigrateError::Role)?;
    let owner: String = client.query_one("SELECT current_user", &[]).await?.get(0);
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await?
        .is_some();
    if !exists {
        let create = format!(
            "CREATE ROLE \"{role}\" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT"
        );
        if let Err(e) = client.batch_execute(&create).await {
            match e.code().map(|c| c.code()) {
                // duplicate_object / unique_violation: someone else created it just now.
                Some("42710") | Some("23505") => {}
                Some("42501") => {
                    return Err(MigrateError::Role(format!(
                        "the owner role {owner} may not create the request role {role}. {}",
                        admin_instructions(role, &owner)
                    )))
                }
                _ => return Err(e.into()),
            }
        }
    }
    if login {
        let can_login: bool = client
            .query_one(
                "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1",
                &[&role],
            )
            .await?
            .get(0);
        if !can_login {
            if let Err(e) = client
                .batch_execute(&format!("ALTER ROLE \"{role}\" LOGIN"))
                .await
            {
                return Err(MigrateError::Role(format!(
                    "the owner role {owner} cannot let the request role {role} log in ({e}). \
                     As a PostgreSQL superuser run: ALTER ROLE {role} LOGIN;"
                )));
            }
        }
    }
    let member: bool = client
        .query_one(
            "SELECT pg_has_role(current_user, $1, 'MEMBER') OR
                    (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
            &[&role],
        )
        .await?
        .get(0);
    if !member {
        if let Err(e) = client
            .batch_execute(&format!("GRANT \"{role}\" TO \"{owner}\""))
            .await
        {
            return Err(MigrateError::Role(format!(
                "the owner role {owner} is not a member of the request role {role} and cannot \
                 make itself one ({e}). {}",
                admin_instructions(role, &owner)
            )));
        }
    }
    Ok(())
}

/// Ways the request role could get around RLS. Empty means safe.
pub async fn bypass_risks(
    client: &Client,
    role: &str,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let mut risks = Vec::new();
    let row = client
        .query_opt(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1",
            &[&role],
        )
        .await?;
    let Some(row) = row else {
        risks.push(format!("request role {role} does not exist"));
        return Ok(risks);
    };
    if row.get::<_, bool>(0) {
        risks.push(format!("request role {role} is a superuser"));
    }
    if row.get::<_, bool>(1) {
        risks.push(format!("request role {role} has BYPASSRLS"));
    }
    // Table owners are exempt from RLS unless FORCE is set; owning anything is a smell.
    let owned = client
        .query(
            "SELECT n.nspname || '.' || c.relname
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE pg_get_userbyid(c.relowner) = $1 AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             ORDER BY 1",
            &[&role],
        )
        .await?;
    for r in owned {
        risks.push(format!(
            "request role {role} owns {}",
            r.get::<_, String>(0)
        ));
    }
    // Membership in the owner would let it SET ROLE to the owner, which owns the tables (and
    // can switch RLS off on them). The owner is whoever runs this check.
    let owner_member: Option<String> = client
        .query_opt(
            "SELECT current_user::text WHERE current_user <> $1 AND pg_has_role($1, current_user, 'MEMBER')",
            &[&role],
        )
        .await?
        .map(|r| r.get(0));
    if let Some(owner) = owner_member {
        risks.push(format!(
            "request role {role} is a member of the owner role {owner} and could become it \
             (REVOKE {owner} FROM {role})"
        ));
    }
    // Membership in a role that bypasses RLS would let it SET ROLE to that role.
    let elevated = client
        .query(
            "SELECT r.rolname FROM pg_roles r
             WHERE (r.rolsuper OR r.rolbypassrls) AND r.rolname <> $1
               AND pg_has_role($1, r.oid, 'MEMBER')",
            &[&role],
        )
        .await?;
    for r in elevated {
        risks.push(format!(
            "request role {role} is a member of {}, which bypasses RLS",
            r.get::<_, String>(0)
        ));
    }
    Ok(risks)
}

/// Whether the connected role escapes row level security (a superuser, or `BYPASSRLS`):
/// maintenance that writes shared tables must otherwise lift `FORCE` in its transaction.
pub async fn current_role_bypasses_rls(client: &Client) -> Result<bool, tokio_postgres::Error> {
    Ok(client
        .query_one(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await?
        .get(0))
}
