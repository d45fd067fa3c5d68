//! Reads planned first and sent together: a screen that shows several independent things
//! (Today: the diary, the summary, two weeks of totals, the workouts) collects their queries
//! here, sends them in one round trip ([`sparky_db::UserTx::query_many`]) and hands each its
//! rows back. Each area plans its own SQL and decodes its own rows.

use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::error::{AppError, AppResult};

/// One query parameter, owned so that a plan can outlive the values it was made from.
pub type Param = Box<dyn ToSql + Sync + Send>;

/// Queries waiting to be sent.
#[derive(Default)]
pub struct Reads {
    queries: Vec<(String, Vec<Param>)>,
}

/// Which query's rows to take from [`Answers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadId(usize);

impl Reads {
    pub fn new() -> Reads {
        Reads::default()
    }

    pub fn add(&mut self, sql: impl Into<String>, params: Vec<Param>) -> ReadId {
        self.queries.push((sql.into(), params));
        ReadId(self.queries.len() - 1)
    }

    /// Sends every query in one round trip (nothing when none was planned).
    pub async fn run(self, tx: &mut UserTx) -> AppResult<Answers> {
        if self.queries.is_empty() {
            return Ok(Answers { sets: Vec::new() });
        }
        let params: Vec<Vec<&(dyn ToSql + Sync)>> = self
            .queries
            .iter()
            .map(|(_, ps)| {
                ps.iter()
                    .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                    .collect()
            })
            .collect();
        let queries: Vec<(&str, &[&(dyn ToSql + Sync)])> = self
            .queries
            .iter()
            .zip(&params)
            .map(|((sql, _), ps)| (sql.as_str(), ps.as_slice()))
            .collect();
        let sets = tx.query_many(&queries).await?;
        Ok(Answers {
            sets: sets.into_iter().map(Some).collect(),
        })
    }
}

/// The rows of each query of a [`Reads`].
pub struct Answers {
    sets: Vec<Option<Vec<Row>>>,
}

impl Answers {
    /// The rows of one query; each can be taken once.
    pub fn take(&mut self, id: ReadId) -> AppResult<Vec<Row>> {
        self.sets
            .get_mut(id.0)
            .and_then(Option::take)
            .ok_or_else(|| AppError::internal("a planned read's rows were taken twice"))
    }
}
