//! The per-request transaction: request role, acting user, one transaction.
//!
//! The first statement is pipelined with `BEGIN` and the `set_config` that switches role and
//! user, so starting a request transaction costs no extra round trip; `query_and_commit`
//! pipelines the final read with `COMMIT`, so a one-query request is one round trip in all.
//! When the user is known only by a session token or API key, resolving it happens inside
//! that same setup statement (`auth.resolve_credential`), so authentication is free too.
//!
//! A request whose future is dropped mid-statement (its client went away) cancels that
//! statement in PostgreSQL and closes its connection, so abandoned work does not keep running
//! and the late cancel signal cannot reach another request.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Object, Pool};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};
use uuid::Uuid;

use crate::tls::{self, Tls};
use crate::DbError;

const BEGIN: &str = "BEGIN";
const SETUP_USER: &str = "SELECT set_config('role', $1, true), set_config('app.user_id', $2, true)";
/// For work that goes on as a read-only API key's user after its request (see [`Identity`]).
const SETUP_USER_READ_ONLY: &str = "SELECT set_config('role', $1, true),
            set_config('app.user_id', $2, true), set_config('transaction_read_only', 'on', true)";
// The third column is read after resolve_credential ran (select-list order): 'on' for a
// read-only API key, whose transaction it switched to read only.
const SETUP_CREDENTIAL: &str = "SELECT set_config('role', $1, true),
            set_config('app.user_id', coalesce(auth.resolve_credential($2, $3, $4)::text, ''), true),
            current_setting('transaction_read_only')";
const COMMIT: &str = "COMMIT";
const SET_STATEMENT_TIMEOUT: &str = "SELECT set_config('statement_timeout', $1, true)";

/// What every transaction of one [`crate::Database`] shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The request role.
    pub(crate) role: String,
    /// The request connections' TLS, needed again to send a cancel request.
    pub(crate) tls: Tls,
}

/// How a session token or API key is presented (the hash, never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// `session` or `api_key`.
    pub kind: &'static str,
    /// Hex SHA-256 of the secret.
    pub token_hash: String,
    /// Sliding session lifetime.
    pub session_ttl_seconds: i32,
}

/// Who a request acts as, once its credential is resolved: the user, and whether the
/// credential was a read-only API key. Work that goes on after the request's transaction (MCP
/// tools, the assistant's steps, imports) opens its transactions with it
/// ([`crate::Database::as_identity`]), so they are read only too and PostgreSQL refuses
/// their writes as it refused the request's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub user_id: Uuid,
    pub read_only: bool,
}

impl Identity {
    /// A user acting with full rights (a session, a login, a test).
    pub fn user(user_id: Uuid) -> Identity {
        Identity {
            user_id,
            read_only: false,
        }
    }
}

#[derive(Debug, Clone)]
enum Acting {
    /// Known user, or `""` for nobody; true: read only.
    User(String, bool),
    Credential(Credential),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing sent yet.
    Idle,
    /// `BEGIN` sent; the transaction must end in COMMIT or ROLLBACK.
    Open,
    Finished,
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A transaction as the request role with `app.user_id` set. Dropping it without
/// [`UserTx::commit`] rolls back.
pub struct UserTx {
    /// Taken from `pool` with the first statement when the transaction was made lazily.
    client: Option<Object>,
    pool: Option<Pool>,
    /// Set once the setup has resolved the credential to a user (see
    /// [`UserTx::report_verification_to`]).
    verified: Option<Arc<AtomicBool>>,
    shared: Arc<Shared>,
    acting: Acting,
    /// Known once the setup ran (or from the start for `as_user`).
    user_id: Option<Uuid>,
    /// The transaction is read only (a read-only API key; known once the setup ran).
    read_only: bool,
    state: State,
    /// A pipeline has been sent and not fully answered: if the transaction is dropped now,
    /// its statement may still be running on the server.
    in_flight: bool,
    /// `statement_timeout` (ms) to set for the rest of the transaction with the next statement.
    pending_timeout: Option<String>,
    /// Send `COMMIT` together with the next statement (see [`UserTx::commit_with_next_statement`]).
    commit_next: bool,
}

/// One statement of the pipeline.
enum Op<'a> {
    Query(&'a Statement, Params<'a>),
    /// Several independent queries, sent together.
    Queries(Vec<(&'a Statement, Params<'a>)>),
    Execute(&'a Statement, Params<'a>),
    /// Only the setup (to learn the user).
    Nothing,
}

enum OpResult {
    Rows(Vec<Row>),
    RowSets(Vec<Vec<Row>>),
    Count(u64),
    Nothing,
}

impl UserTx {
    pub(crate) fn new(
        client: Object,
        user_id: Option<Uuid>,
        read_only: bool,
        shared: Arc<Shared>,
    ) -> UserTx {
        UserTx {
            client: Some(client),
            pool: None,
            verified: None,
            shared,
            acting: Acting::User(
                user_id.map(|u| u.to_string()).unwrap_or_default(),
                read_only,
            ),
            user_id,
            read_only,
            state: State::Idle,
            in_flight: false,
            pending_timeout: None,
            commit_next: false,
        }
    }

    /// A transaction for whoever `credential` belongs to that takes its connection from `pool`
    /// only with its first statement: until then (e.g. while a request body arrives) it holds
    /// nothing.
    pub(crate) fn with_credential(
        pool: Pool,
        credential: Credential,
        shared: Arc<Shared>,
    ) -> UserTx {
        UserTx {
            client: None,
            pool: Some(pool),
            verified: None,
            shared,
            acting: Acting::Credential(credential),
            user_id: None,
            read_only: false,
            state: State::Idle,
            in_flight: false,
            pending_timeout: None,
            commit_next: false,
        }
    }

    /// Changes `statement_timeout` for the rest of this transaction only (`SET LOCAL`), for
    /// the few operations that may legitimately run longer than a request should, such as
    /// imports. It is sent with the next statement, so it costs no round trip.
    /// `Duration::ZERO` means no limit.
    pub fn set_statement_timeout(&mut self, timeout: Duration) {
        self.pending_timeout = Some(timeout.as_millis().to_string());
    }

    /// Makes the next statement the last: its `COMMIT` goes out in the same pipeline, which
    /// saves a request whose final write is known in advance one round trip. If that statement
    /// fails, the `COMMIT` ends the transaction as a rollback. Afterwards the transaction is
    /// finished: further statements fail and [`UserTx::commit`] has nothing left to do.
    pub fn commit_with_next_statement(&mut self) {
        self.commit_next = true;
    }

    /// `flag` becomes true once this transaction has checked its credential (resolved it to a
    /// user), so a caller can tell whether a request was answered without checking it.
    pub fn report_verification_to(&mut self, flag: Arc<AtomicBool>) {
        if self.user_id.is_some() {
            flag.store(true, Ordering::Relaxed);
        }
        self.verified = Some(flag);
    }

    fn client(&self) -> &Object {
        self.client
            .as_ref()
            .expect("client taken before the first statement")
    }

    async fn prepare(&mut self, sql: &str) -> Result<Statement, DbError> {
        if self.client.is_none() {
            let pool = self.pool.as_ref().expect("a pool when there is no client");
            self.client = Some(pool.get().await?);
        }
        Ok(self.client().prepare_cached(sql).await?)
    }

    fn check_usable(&self) -> Result<(), DbError> {
        if self.state == State::Finished {
            return Err(DbError::Config("transaction already finished".into()));
        }
        Ok(())
    }

    /// The acting user. For a credential this resolves it (one round trip if nothing was
    /// sent yet) and fails with [`DbError::Unauthenticated`] when it is invalid.
    pub async fn user_id(&mut self) -> Result<Uuid, DbError> {
        if let Some(id) = self.user_id {
            return Ok(id);
        }
        self.run(Op::Nothing, false).await?;
        self.user_id.ok_or(DbError::Unauthenticated)
    }

    /// The acting user and whether this transaction is read only (see [`Identity`]).
    pub async fn identity(&mut self) -> Result<Identity, DbError> {
        let user_id = self.user_id().await?;
        Ok(Identity {
            user_id,
            read_only: self.read_only,
        })
    }

    /// Sends `op`, preceded by `BEGIN` and the setup when the transaction is not open yet and
    /// followed by `COMMIT` when `commit` is set, all in one pipeline.
    async fn run(&mut self, op: Op<'_>, commit: bool) -> Result<OpResult, DbError> {
        self.check_usable()?;
        let commit = commit || (self.commit_next && !matches!(op, Op::Nothing));
        let start = if self.state == State::Idle {
            let setup_sql = match self.acting {
                Acting::User(_, false) => SETUP_USER,
                Acting::User(_, true) => SETUP_USER_READ_ONLY,
                Acting::Credential(_) => SETUP_CREDENTIAL,
            };
            Some((self.prepare(BEGIN).await?, self.prepare(setup_sql).await?))
        } else {
            None
        };
        let commit_stmt = if commit {
            Some(self.prepare(COMMIT).await?)
        } else {
            None
        };
        let timeout_stmt = match &self.pending_timeout {
            Some(_) => Some(self.prepare(SET_STATEMENT_TIMEOUT).await?),
            None => None,
        };
        let timeout_value = self.pending_timeout.take();
        // Open from the moment BEGIN may be on the wire: if this future is dropped mid-flight
        // (the client went away), Drop must still roll back before the connection is reused.
        // A ROLLBACK after a BEGIN that was never sent, or after a COMMIT, is harmless.
        if start.is_some() {
            self.state = State::Open;
        }
        self.in_flight = true;
        let client = self.client();
        let (user, cred_kind, cred_hash, ttl) = match &self.acting {
            Acting::User(u, _) => (u.as_str(), "", "", 0),
            Acting::Credential(c) => ("", c.kind, c.token_hash.as_str(), c.session_ttl_seconds),
        };
        let role = &self.shared.role;
        let user_params: [&(dyn ToSql + Sync); 2] = [role, &user];
        let cred_params: [&(dyn ToSql + Sync); 4] = [role, &cred_kind, &cred_hash, &ttl];
        let setup_params: Params<'_> = match self.acting {
            Acting::User(..) => &user_params,
            Acting::Credential(_) => &cred_params,
        };

        // Futures are polled in order, so the messages go out in this order, together.
        let begin_fut = async {
            match &start {
                Some((begin, setup)) => {
                    let b = client.execute(begin, &[]);
                    let s = client.query(setup, setup_params);
                    let (b, s) = tokio::join!(b, s);
                    b?;
                    s.map(Some)
                }
                None => Ok(None),
            }
        };
        let timeout_fut = async {
            match (&timeout_stmt, &timeout_value) {
                (Some(stmt), Some(ms)) => client.query(stmt, &[ms]).await.map(|_| ()),
                _ => Ok(()),
            }
        };
        let op_fut = async {
            match op {
                Op::Query(stmt, params) => client.query(stmt, params).await.map(OpResult::Rows),
                Op::Queries(statements) => {
                    // try_join_all polls in order, so the statements go out in this order.
                    let queries = statements
                        .iter()
                        .map(|(stmt, params)| client.query(*stmt, params));
                    futures::future::try_join_all(queries)
                        .await
                        .map(OpResult::RowSets)
                }
                Op::Execute(stmt, params) => {
                    client.execute(stmt, params).await.map(OpResult::Count)
                }
                Op::Nothing => Ok(OpResult::Nothing),
            }
        };
        let commit_fut = async {
            match &commit_stmt {
                Some(c) => client.execute(c, &[]).await.map(|_| ()),
                None => Ok(()),
            }
        };
        let (setup_rows, timeout_set, result, committed) =
            tokio::join!(begin_fut, timeout_fut, op_fut, commit_fut);
        self.in_flight = false;
        if commit {
            // COMMIT of a failed transaction is a rollback; either way it has ended.
            self.state = State::Finished;
        }
        if let Some(rows) = setup_rows? {
            let resolved: Option<String> = rows.first().map(|r| r.get(1));
            self.user_id = resolved.and_then(|s| s.parse().ok());
            if matches!(self.acting, Acting::Credential(_)) {
                if self.user_id.is_none() {
                    return Err(DbError::Unauthenticated);
                }
                self.read_only = rows
                    .first()
                    .is_some_and(|r| r.get::<_, Option<&str>>(2) == Some("on"));
                if let Some(flag) = &self.verified {
                    flag.store(true, Ordering::Relaxed);
                }
            }
        }
        timeout_set?;
        let result = result?;
        committed?;
        Ok(result)
    }

    /// Runs a statement and returns its rows.
    pub async fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, DbError> {
        let stmt = self.prepare(sql).await?;
        match self.run(Op::Query(&stmt, params), false).await? {
            OpResult::Rows(rows) => Ok(rows),
            _ => unreachable!("a query returns rows"),
        }
    }

    /// Runs independent queries in one round trip and returns each one's rows, in order.
    /// For a read made of several queries that do not depend on each other's results.
    pub async fn query_many(
        &mut self,
        queries: &[(&str, Params<'_>)],
    ) -> Result<Vec<Vec<Row>>, DbError> {
        let mut statements = Vec::with_capacity(queries.len());
        for (sql, _) in queries {
            statements.push(self.prepare(sql).await?);
        }
        let op = Op::Queries(
            statements
                .iter()
                .zip(queries)
                .map(|(stmt, (_, params))| (stmt, *params))
                .collect(),
        );
        match self.run(op, false).await? {
            OpResult::RowSets(sets) => Ok(sets),
            _ => unreachable!("queries return row sets"),
        }
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, DbError> {
        let stmt = self.prepare(sql).await?;
        match self.run(Op::Execute(&stmt, params), false).await? {
            OpResult::Count(n) => Ok(n),
            _ => unreachable!("an execute returns a count"),
        }
    }

    /// At most one row.
    pub async fn query_opt(
        &mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Option<Row>, DbError> {
        let mut rows = self.query(sql, params).await?;
        if rows.len() > 1 {
            return Err(DbError::Config(format!(
                "query returned {} rows where at most one was expected",
                rows.len()
            )));
        }
        Ok(rows.pop())
    }

    /// Exactly one row.
    pub async fn query_one(&mut self, sql: &str, params: Params<'_>) -> Result<Row, DbError> {
        self.query_opt(sql, params)
            .await?
            .ok_or_else(|| DbError::Config("query returned no rows where one was expected".into()))
    }

    /// The last statement of a request and its `COMMIT`, sent together (with `BEGIN` and the
    /// setup too when this is also the first statement): one round trip.
    pub async fn query_and_commit(
        mut self,
        sql: &str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, DbError> {
        let stmt = self.prepare(sql).await?;
        match self.run(Op::Query(&stmt, params), true).await? {
            OpResult::Rows(rows) => Ok(rows),
            _ => unreachable!("a query returns rows"),
        }
    }

    /// Commits. A transaction that never sent anything has nothing to commit.
    pub async fn commit(mut self) -> Result<(), DbError> {
        if self.state == State::Open {
            let commit = self.prepare(COMMIT).await?;
            // Stays Open until COMMIT has completed: a cancelled commit is rolled back by Drop.
            let result = self.client().execute(&commit, &[]).await;
            self.state = State::Finished;
            result?;
        }
        self.state = State::Finished;
        Ok(())
    }

    /// Rolls back explicitly (dropping does the same).
    pub async fn rollback(mut self) -> Result<(), DbError> {
        if self.state == State::Open {
            let result = self.client().batch_execute("ROLLBACK").await;
            self.state = State::Finished;
            result?;
        }
        self.state = State::Finished;
        Ok(())
    }
}

impl Drop for UserTx {
    fn drop(&mut self) {
        if self.state != State::Open {
            return;
        }
        let Some(client) = self.client.take() else {
            return;
        };
        // A statement still running was abandoned (the HTTP client went away): cancel it
        // first, or it would run to its end (or its timeout) before the ROLLBACK is read.
        let cancel = self.in_flight.then(|| client.cancel_token());
        let shared = self.shared.clone();
        // The connection goes back to the pool only after the rollback, so the next request
        // never inherits this one's transaction, role or user.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Some(token) = cancel {
                        // PostgreSQL signals the backend some time after the cancel request
                        // arrives, and by then the statement may have ended and the connection
                        // may be serving the next request, whose statement the signal would
                        // cancel instead. So a connection that was sent a cancel is never
                        // reused: closing it ends the transaction too.
                        if let Err(e) = tls::cancel(&token, &shared.tls).await {
                            tracing::warn!("could not cancel an abandoned statement: {e}");
                        }
                        let _ = deadpool_postgres::Object::take(client);
                        return;
                    }
                    if client.batch_execute("ROLLBACK").await.is_err() {
                        // A broken connection must not be reused.
                        let _ = deadpool_postgres::Object::take(client);
                    }
                });
            }
            Err(_) => {
                let _ = deadpool_postgres::Object::take(client);
            }
        }
    }
}
