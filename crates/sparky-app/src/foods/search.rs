//! Food search: bounded candidate sets from the catalog, one's own and shared foods and the
//! recently logged, ranked in Rust (`sparky_core::food_search`), paged by cursor; a word the
//! catalog knows by another name also finds that name when it finds few foods itself.

use sparky_core::food_search;
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::{attach_servings, food_from_row, Food};
use crate::catalog::STARTER_SUPPLEMENT_SOURCE;
use crate::error::{AppError, AppResult};
use crate::paging::{Cursor, LimitBounds, Page, PageRequest};

/// A food search: the query, a page, and optionally only one user's foods.
#[derive(Debug, Clone)]
pub struct Search {
    /// Name or brand; typos are tolerated. Empty lists foods by name.
    pub q: String,
    pub page: PageRequest,
    /// Only foods of this user (yourself, or someone who shared their food list with you).
    pub user_id: Option<Uuid>,
}

/// Bounds of a search page's `limit`.
pub const SEARCH_LIMIT: LimitBounds = LimitBounds::new(20, 100);
/// Longest search text.
pub const MAX_QUERY_CHARS: usize = 100;

impl Search {
    pub fn parse(
        q: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
        user_id: Option<Uuid>,
    ) -> AppResult<Search> {
        let q = q.unwrap_or("").trim().to_lowercase();
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::invalid("q", "must be at most 100 characters"));
        }
        Ok(Search {
            q,
            page: PageRequest::parse(limit, cursor, SEARCH_LIMIT)?,
            user_id,
        })
    }
}

/// Candidates taken from each source before ranking: enough for the page asked for (twice its
/// depth), at least MIN_CANDIDATES, so that a query matching tens of thousands of foods still
/// ranks only a few hundred rows for the first page (each candidate costs an index and a heap
/// read).
const MIN_CANDIDATES: i64 = 60;
/// Search results can be paged this deep.
const MAX_RANKED: i64 = 1000;
/// At most this many matching rows are ranked (own foods are not capped by the candidate size).
const MAX_MATCHES: i64 = 2500;

/// The foods matching every query word from bounded candidate sets: catalog names starting with
/// the query, catalog words starting with it (one word) or catalog names and brands containing
/// every word (several), and when asked words inside words, found through the indexes by
/// `food_search_candidates` since RLS keeps LIKE from using them; my own and shared foods; my
/// recently logged foods. They are
/// ranked in Rust (`sparky_core::food_search`), with the recently logged position that comes
/// with them here. Near misses need a word similarity of 0.5 to the whole query, as in
/// `food_search_candidates` ("chiken" finds chicken); ranking then wants each word close.
const SEARCH_SQL: &str = "
    WITH recent AS (
        -- My most recently logged foods, most recent first (recent_foods is kept from
        -- food_diary by triggers). An array: ranking looks each candidate up in it.
        SELECT coalesce(array_agg(food_item_id ORDER BY last_logged_at DESC), '{}') AS ids
        FROM (SELECT food_item_id, last_logged_at FROM recent_foods
              WHERE user_id = (SELECT auth.uid()) AND last_logged_at > now() - interval '60 days'
              ORDER BY last_logged_at DESC
              LIMIT 50) r
    ),
    cand AS (
        -- The shared catalog, through its indexes (see food_search_candidates).
        SELECT public.food_search_candidates($1, $2, $3, $4, $5, $6, $7, $8, $9::integer, $10, $11) AS id
        WHERE $12::uuid IS NULL
        UNION
        -- My foods and foods shared with me (few); RLS decides what is visible.
        SELECT f.id FROM food_items f
        WHERE f.user_id IN (SELECT auth.uid() UNION ALL
                            SELECT fa.grantor_user_id FROM family_access fa
                            WHERE fa.grantee_user_id = auth.uid() AND fa.access_type = 'food_list')
          AND ($12::uuid IS NULL OR f.user_id = $12)
          AND (f.search_text LIKE ALL ($8) OR ($11 AND word_similarity($1, f.search_text) >= 0.5))
        UNION
        SELECT unnest(ids) FROM recent
    )
    SELECT f.id, f.name, f.brand, f.barcode, f.source, f.source_id, f.user_id,
           array_position((SELECT ids FROM recent), f.id) AS recent_rank
    FROM food_items f
    WHERE f.id = ANY (ARRAY(SELECT id FROM cand))
      AND (f.search_text LIKE ALL ($8) OR ($11 AND word_similarity($1, f.search_text) >= 0.5))
      AND ($12::uuid IS NULL OR f.user_id = $12)
    LIMIT $13";

/// Orders matching rows for the query: by how they match, recently logged foods first within
/// each tier, then by relevance and id; returns the page asked for and one more row.
fn rank(
    query: &food_search::Query,
    rows: Vec<tokio_postgres::Row>,
    offset: i64,
    fetch: i64,
) -> Vec<tokio_postgres::Row> {
    let mut keyed: Vec<_> = rows
        .into_iter()
        .map(|r| {
            let relevance = food_search::Relevance::of(query, r.get("name"), r.get("brand"))
                .secondary(r.get::<_, Option<&str>>("source") == Some(STARTER_SUPPLEMENT_SOURCE));
            let recent: Option<i32> = r.get("recent_rank");
            let id: Uuid = r.get("id");
            (
                (relevance.tier, recent.unwrap_or(i32::MAX), relevance, id),
                r,
            )
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed
        .into_iter()
        .skip(offset as usize)
        .take(fetch as usize)
        .map(|(_, r)| r)
        .collect()
}

/// Escapes LIKE wildcards so a search for "50%" means the text "50%".
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Searches foods: every word of the query, in any order, singular or plural. Exact names first,
/// then whole words, word starts, words inside words and near misses; within each, foods you
/// logged recently, then the plain food ("Bananas, raw") before its variants, generic before
/// branded, shorter names first.
pub async fn search(tx: &mut UserTx, s: &Search) -> AppResult<Page<Food>> {
    let limit = s.page.limit;
    let offset = s.page.offset()?;
    let fetch = limit + 1;
    if offset + limit > MAX_RANKED {
        return Err(AppError::invalid(
            "cursor",
            "search pages end after the best 1000 matches; refine the query",
        ));
    }
    let q = &s.q;
    let mut next_chain: Option<SearchChain> = None;
    let rows = if q.is_empty() {
        tx.query(
            "SELECT f.id, f.name, f.brand, f.barcode, f.source, f.source_id, f.user_id
             FROM food_items f WHERE ($3::uuid IS NULL OR f.user_id = $3)
             ORDER BY lower(f.name), f.id LIMIT $1 OFFSET $2",
            &[&fetch, &offset, &s.user_id],
        )
        .await?
    } else {
        let chain: Option<SearchChain> = s.page.cursor.as_ref().and_then(|c| c.with());
        let query = food_search::Query::parse(q);
        let (rows, mut next) = matching_rows(tx, &query, s.user_id, chain, offset, fetch).await?;
        let mut ranked = rank(&query, rows, 0, MAX_MATCHES);
        // Few matches: also the catalog's name for a word of the query ("courgette" finds
        // zucchini), after what the words found themselves; a dish's name alone ("oatmeal":
        // cooked oats) always, before them. Every page of the search does the same, so the
        // pages rank one list.
        let synonym = food_search::synonym_query(&query.text);
        let first = synonym.as_ref().is_some_and(|s| s.first);
        // Where the near spellings start: they do not count as found, since none is what was
        // typed. The ranking sorts by tier first, so a binary search finds it (a few
        // relevances worked out again, not one per row).
        let near_from = ranked.partition_point(|r| {
            food_search::Relevance::of(&query, r.get("name"), r.get("brand")).tier
                < food_search::Tier::Near
        });
        let synonyms = chain.map_or(offset == 0 && (first || (near_from as i64) < fetch), |c| {
            c.synonyms
        });
        if let Some(other) = synonym.filter(|_| synonyms) {
            let other = food_search::Query::parse(&other.text);
            let other_chain = chain.map(|c| SearchChain {
                broad: c.synonym_broad,
                ..c
            });
            let (rows, found) =
                matching_rows(tx, &other, s.user_id, other_chain, offset, fetch).await?;
            // Only foods with the catalog's words: near spellings of them were not typed.
            let rows: Vec<_> = rows
                .into_iter()
                .filter(|r| {
                    food_search::Relevance::of(&other, r.get("name"), r.get("brand")).tier
                        < food_search::Tier::Near
                })
                .collect();
            if first {
                let dish = rank(&other, rows, 0, MAX_MATCHES);
                let seen: std::collections::HashSet<Uuid> =
                    dish.iter().map(|r| r.get::<_, Uuid>("id")).collect();
                ranked.retain(|r| !seen.contains(&r.get::<_, Uuid>("id")));
                // After the foods one logs (recently logged come first in their tier): one's
                // own habit ("tea": the chamomile logged every night) beats the everyday kind.
                let habit = ranked
                    .iter()
                    .take_while(|r| r.get::<_, Option<i32>>("recent_rank").is_some())
                    .count();
                ranked.splice(habit..habit, dish);
            } else {
                let seen: std::collections::HashSet<Uuid> =
                    ranked.iter().map(|r| r.get::<_, Uuid>("id")).collect();
                let rows = rows
                    .into_iter()
                    .filter(|r| !seen.contains(&r.get::<_, Uuid>("id")))
                    .collect();
                // After the typed words' own matches, before their near spellings: "coke"
                // is a cola before it is a cooked shiitake.
                let found = rank(&other, rows, 0, MAX_MATCHES);
                ranked.splice(near_from..near_from, found);
            }
            next.synonyms = true;
            next.synonym_broad = found.broad;
        }
        next_chain = Some(next);
        ranked
            .into_iter()
            .skip(offset as usize)
            .take(fetch as usize)
            .collect()
    };
    // The ranking query returns the foods' own columns; only their servings are read next.
    let more = rows.len() as i64 > limit && offset + 2 * limit <= MAX_RANKED;
    let mut items: Vec<Food> = rows
        .iter()
        .take(limit as usize)
        .map(food_from_row)
        .collect();
    attach_servings(tx, &mut items).await?;
    if items.is_empty() && s.user_id.is_some() {
        // Someone who does not share their foods with the caller: 404, as other reads.
        crate::acting::Acting::new(s.user_id)
            .ensure_visible(tx, crate::acting::Area::FoodList)
            .await?;
    }
    Ok(Page {
        items,
        next_cursor: more.then(|| {
            match next_chain.and_then(|c| serde_json::to_value(c).ok()) {
                Some(with) => Cursor::at_with(offset + limit, with),
                None => Cursor::at(offset + limit),
            }
            .encode()
        }),
    })
}

/// The rows matching `query` for a page at `offset` (see [`search`]), and how they were found.
async fn matching_rows(
    tx: &mut UserTx,
    query: &food_search::Query,
    user_id: Option<Uuid>,
    chain: Option<SearchChain>,
    offset: i64,
    fetch: i64,
) -> AppResult<(Vec<tokio_postgres::Row>, SearchChain)> {
    // Lower-cased, accents folded: what `search_text` holds.
    let q = &query.text;
    let mut prefixes = query.prefixes();
    if prefixes.is_empty() {
        // Only punctuation: look for it as typed.
        prefixes.push(q.to_string());
    }
    let patterns: Vec<String> = prefixes
        .iter()
        .map(|p| format!("%{}%", like_escape(p)))
        .collect();
    let word = query.longest_prefix().unwrap_or(q.as_str()).to_string();
    let pattern = format!("%{}%", like_escape(&word));
    // The catalog intersects the longest three words of three letters or more (shorter
    // ones would match most of it); two or more: one trigram index scan for all of them.
    let mut index_prefixes: Vec<String> = prefixes
        .iter()
        .filter(|p| p.chars().count() >= 3)
        .cloned()
        .collect();
    index_prefixes.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    index_prefixes.truncate(3);
    // Every text starting with a prefix sorts (byte-wise) between it and it + the last
    // code point. One word: names starting with it ("egg" for "Egg, whole"); several:
    // names starting with the whole query.
    let name_prefix = if prefixes.len() == 1 {
        prefixes[0].clone()
    } else {
        q.to_string()
    };
    let name_upper = format!("{name_prefix}\u{10FFFF}");
    let word_upper = format!("{word}\u{10FFFF}");
    // Every page of one search ranks the same list: the first page chooses how many
    // candidates to take and whether to search broadly, and its cursor carries both
    // (pages ranked from different candidates repeated and skipped foods).
    let candidates = chain
        .map_or((offset + fetch) * 2, |c| c.candidates)
        .clamp(MIN_CANDIDATES, MAX_RANKED) as i32;
    let search = |substring: &'static bool, fuzzy: &'static bool| {
        let params: [&(dyn ToSql + Sync); 13] = [
            q,
            &name_prefix,
            &name_upper,
            &word,
            &word_upper,
            &index_prefixes,
            &pattern,
            &patterns,
            &candidates,
            substring,
            fuzzy,
            &user_id,
            &MAX_MATCHES,
        ];
        params
    };
    let fuzzy = if q.chars().count() >= 4 {
        &true
    } else {
        &false
    };
    let mut broad = chain.is_some_and(|c| c.broad);
    let mut rows = tx
        .query(
            SEARCH_SQL,
            &if broad {
                search(&true, fuzzy)
            } else {
                search(&false, &false)
            },
        )
        .await?;
    // Too few on the first page: search again with substrings inside words and (typo
    // tolerance, from four letters) near matches included; near matches rank after every
    // exact-spelling match.
    if chain.is_none() && offset == 0 && (rows.len() as i64) < fetch {
        broad = true;
        rows = tx.query(SEARCH_SQL, &search(&true, fuzzy)).await?;
    }
    Ok((
        rows,
        SearchChain {
            candidates: candidates as i64,
            broad,
            synonyms: false,
            synonym_broad: false,
        },
    ))
}

/// What a search's pages are ranked from (see [`search`]).
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct SearchChain {
    #[serde(rename = "c")]
    candidates: i64,
    #[serde(rename = "b")]
    broad: bool,
    /// The catalog's names for the query's words were searched too (cursors made before
    /// they were lack it).
    #[serde(rename = "s", default)]
    synonyms: bool,
    #[serde(rename = "sb", default)]
    synonym_broad: bool,
}
