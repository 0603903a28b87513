//! Cross-entity search over `search_documents`: the prefix tiers in one statement per type
//! (Postgres `tsvector` with the names weighted `A`; SQLite FTS5 with a `names` column filter),
//! and near-match candidates from the trigram indexes (Postgres `pg_trgm` over the padded names
//! and keys; SQLite's FTS5 `trigram` table over the same text).

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use moss_domain::Result;
use moss_domain::id::WorkspaceId;
use moss_domain::search::{Candidate, SearchQuery, SearchRepo};

use crate::connection::MossConnection;
use crate::error;
use crate::repo::on_backend;
use crate::store::DieselTx;

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    record_id: String,
}

#[derive(QueryableByName)]
struct CandidateRow {
    #[diesel(sql_type = Text)]
    record_id: String,
    #[diesel(sql_type = Text)]
    names: String,
    #[diesel(sql_type = Text)]
    keys: String,
    #[diesel(sql_type = Text)]
    label: String,
}

/// The two trigrams of a word that one edit cannot both change, padded as the index pads words:
/// a space and its first two letters, its last two letters and a space.
fn edge_trigrams(word: &str) -> (String, String) {
    let chars: Vec<char> = word.chars().collect();
    let head: String = chars.iter().take(2).collect();
    let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
    (format!(" {head}"), format!("{tail} "))
}

impl SearchRepo for DieselTx<'_> {
    fn prefix_matches(
        &mut self,
        ws: WorkspaceId,
        kind: &'static str,
        q: &SearchQuery,
        limit: i64,
    ) -> Result<Vec<String>> {
        let pg = matches!(self.conn, MossConnection::Pg(_));
        let (all, names, sql) = if pg {
            (
                q.words
                    .iter()
                    .map(|w| format!("'{w}':*"))
                    .collect::<Vec<_>>()
                    .join(" & "),
                q.words
                    .iter()
                    .map(|w| format!("'{w}':*A"))
                    .collect::<Vec<_>>()
                    .join(" & "),
                "SELECT record_id FROM search_documents \
                 WHERE workspace_id = $1 AND kind = $2 AND search @@ to_tsquery('simple', $3) \
                 ORDER BY CASE WHEN exact = $4 THEN 1 \
                 WHEN search @@ to_tsquery('simple', $5) THEN 2 ELSE 3 END, label, record_id LIMIT $6",
            )
        } else {
            (
                q.words
                    .iter()
                    .map(|w| format!("\"{w}\"*"))
                    .collect::<Vec<_>>()
                    .join(" "),
                q.words
                    .iter()
                    .map(|w| format!("names : \"{w}\"*"))
                    .collect::<Vec<_>>()
                    .join(" AND "),
                "SELECT record_id FROM search_documents \
                 WHERE workspace_id = $1 AND kind = $2 \
                 AND seq IN (SELECT rowid FROM search_fts WHERE search_fts MATCH $3) \
                 ORDER BY CASE WHEN exact = $4 THEN 1 \
                 WHEN seq IN (SELECT rowid FROM search_fts WHERE search_fts MATCH $5) THEN 2 ELSE 3 END, \
                 label, record_id LIMIT $6",
            )
        };
        let ws = ws.to_string();
        let rows: Vec<IdRow> = on_backend!(&mut *self.conn, |c| {
            diesel::sql_query(sql)
                .bind::<Text, _>(&ws)
                .bind::<Text, _>(kind)
                .bind::<Text, _>(&all)
                .bind::<Text, _>(&q.exact)
                .bind::<Text, _>(&names)
                .bind::<BigInt, _>(limit)
                .load(c)
        })
        .map_err(error::db)?;
        Ok(rows.into_iter().map(|r| r.record_id).collect())
    }

    fn near_candidates(
        &mut self,
        ws: WorkspaceId,
        kind: &'static str,
        long_words: &[String],
        after: Option<(String, String)>,
        limit: i64,
    ) -> Result<Vec<Candidate>> {
        let pg = matches!(self.conn, MossConnection::Pg(_));
        let edges: Vec<(String, String)> = long_words.iter().map(|w| edge_trigrams(w)).collect();
        let mut sql = String::from(
            "SELECT record_id, names, keys, label FROM search_documents WHERE workspace_id = $1 AND kind = $2",
        );
        let mut binds: Vec<String> = Vec::new();
        let mut n = 3;
        if pg {
            // Trigram GIN over the padded text: each LIKE is an index condition.
            for (head, tail) in &edges {
                sql.push_str(&format!(
                    " AND ((' ' || names || ' ' || keys || ' ') LIKE ${} OR (' ' || names || ' ' || keys || ' ') LIKE ${})",
                    n,
                    n + 1
                ));
                n += 2;
                binds.push(format!("%{head}%"));
                binds.push(format!("%{tail}%"));
            }
        } else {
            let query = edges
                .iter()
                .map(|(head, tail)| format!("(\"{head}\" OR \"{tail}\")"))
                .collect::<Vec<_>>()
                .join(" AND ");
            sql.push_str(&format!(
                " AND seq IN (SELECT rowid FROM search_trigrams WHERE search_trigrams MATCH ${n})"
            ));
            n += 1;
            binds.push(query);
        }
        if let Some((label, id)) = &after {
            sql.push_str(&format!(" AND (label, record_id) > (${}, ${})", n, n + 1));
            n += 2;
            binds.push(label.clone());
            binds.push(id.clone());
        }
        sql.push_str(&format!(" ORDER BY label, record_id LIMIT ${n}"));
        let ws = ws.to_string();
        let rows: Vec<CandidateRow> = on_backend!(&mut *self.conn, |c| {
            let mut q = diesel::sql_query(sql.clone())
                .into_boxed()
                .bind::<Text, _>(ws.clone())
                .bind::<Text, _>(kind);
            for b in &binds {
                q = q.bind::<Text, _>(b.clone());
            }
            q.bind::<BigInt, _>(limit).load(c)
        })
        .map_err(error::db)?;
        Ok(rows
            .into_iter()
            .map(|r| Candidate {
                id: r.record_id,
                names: r.names,
                keys: r.keys,
                label: r.label,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::edge_trigrams;

    #[test]
    fn edge_trigrams_are_padded_like_the_index() {
        assert_eq!(edge_trigrams("smyth"), (" sm".to_owned(), "th ".to_owned()));
        assert_eq!(edge_trigrams("élodie"), (" él".to_owned(), "ie ".to_owned()));
    }
}
