//! The per-request transaction: request role, acting user, one transaction.
//!
//! The first statement is pipelined with `BEGIN` and the `set_config` that switches role and
//! user, so starting a request transaction costs no extra round trip; `query_and_commit`
//! pipelines the final read with `COMMIT`, so a one-query request is one round trip in all.

use deadpool_postgres::Object;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};
use uuid::Uuid;

use crate::DbError;

const BEGIN: &str = "BEGIN";
const SETUP: &str = "SELECT set_config('role', $1, true), set_config('app.user_id', $2, true)";
const COMMIT: &str = "COMMIT";

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
    client: Option<Object>,
    role: String,
    /// Empty for an anonymous transaction: `auth.uid()` is then NULL.
    user_id: String,
    state: State,
}

impl UserTx {
    pub(crate) fn new(client: Object, user_id: Option<Uuid>, role: String) -> UserTx {
        UserTx {
            client: Some(client),
            role,
            user_id: user_id.map(|u| u.to_string()).unwrap_or_default(),
            state: State::Idle,
        }
    }

    fn client(&self) -> &Object {
        self.client.as_ref().expect("client present until drop")
    }

    /// The acting user, if any.
    pub fn user_id(&self) -> Option<Uuid> {
        self.user_id.parse().ok()
    }

    async fn prepare(&self, sql: &str) -> Result<Statement, DbError> {
        Ok(self.client().prepare_cached(sql).await?)
    }

    /// Prepared `BEGIN` and role/user setup when the transaction is not open yet.
    async fn start_statements(&self) -> Result<Option<(Statement, Statement)>, DbError> {
        if self.state != State::Idle {
            return Ok(None);
        }
        let begin = self.prepare(BEGIN).await?;
        let setup = self.prepare(SETUP).await?;
        Ok(Some((begin, setup)))
    }

    fn check_usable(&self) -> Result<(), DbError> {
        if self.state == State::Finished {
            return Err(DbError::Config("transaction already finished".into()));
        }
        Ok(())
    }

    /// Runs a statement and returns its rows.
    pub async fn query(&mut self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, DbError> {
        self.check_usable()?;
        let stmt = self.prepare(sql).await?;
        let start = self.start_statements().await?;
        let client = self.client();
        let rows = match start {
            None => client.query(&stmt, params).await,
            Some((begin, setup)) => {
                let setup_params: [&(dyn ToSql + Sync); 2] = [&self.role, &self.user_id];
                let (b, s, q) = tokio::join!(
                    client.execute(&begin, &[]),
                    client.execute(&setup, &setup_params),
                    client.query(&stmt, params),
                );
                self.state = State::Open;
                b?;
                s?;
                q
            }
        };
        Ok(rows?)
    }

    /// Runs a statement and returns the number of rows it affected.
    pub async fn execute(&mut self, sql: &str, params: Params<'_>) -> Result<u64, DbError> {
        self.check_usable()?;
        let stmt = self.prepare(sql).await?;
        let start = self.start_statements().await?;
        let client = self.client();
        let n = match start {
            None => client.execute(&stmt, params).await,
            Some((begin, setup)) => {
                let setup_params: [&(dyn ToSql + Sync); 2] = [&self.role, &self.user_id];
                let (b, s, q) = tokio::join!(
                    client.execute(&begin, &[]),
                    client.execute(&setup, &setup_params),
                    client.execute(&stmt, params),
                );
                self.state = State::Open;
                b?;
                s?;
                q
            }
        };
        Ok(n?)
    }

    /// Exactly one row, or `Ok(None)`.
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
        self.check_usable()?;
        let stmt = self.prepare(sql).await?;
        let start = self.start_statements().await?;
        let commit = self.prepare(COMMIT).await?;
        let client = self.client();
        let result = match start {
            None => {
                let (q, c) =
                    tokio::join!(client.query(&stmt, params), client.execute(&commit, &[]));
                q.and_then(|rows| c.map(|_| rows))
            }
            Some((begin, setup)) => {
                let setup_params: [&(dyn ToSql + Sync); 2] = [&self.role, &self.user_id];
                let (b, s, q, c) = tokio::join!(
                    client.execute(&begin, &[]),
                    client.execute(&setup, &setup_params),
                    client.query(&stmt, params),
                    client.execute(&commit, &[]),
                );
                b.and(s).and(q).and_then(|rows| c.map(|_| rows))
            }
        };
        // COMMIT of a failed transaction is a rollback; either way it has ended.
        self.state = State::Finished;
        Ok(result?)
    }

    /// Commits. A transaction that never sent anything has nothing to commit.
    pub async fn commit(mut self) -> Result<(), DbError> {
        if self.state == State::Open {
            let commit = self.prepare(COMMIT).await?;
            self.state = State::Finished;
            self.client().execute(&commit, &[]).await?;
        }
        self.state = State::Finished;
        Ok(())
    }

    /// Rolls back explicitly (dropping does the same).
    pub async fn rollback(mut self) -> Result<(), DbError> {
        if self.state == State::Open {
            self.state = State::Finished;
            self.client().batch_execute("ROLLBACK").await?;
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
        // The connection goes back to the pool only after the rollback, so the next request
        // never inherits this one's transaction, role or user.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
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
