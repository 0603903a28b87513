//! Cross-entity search: one query over the polymorphic search index, per record type, ranked by
//! tiers the same on both databases (no engine score enters the order):
//!
//! 1. `q` equals the record's email or domain (case-folded);
//! 2. every word prefix-matches a name field;
//! 3. every word prefix-matches somewhere;
//! 4. near matches, only to fill the places prefix matches leave: each word of 5 or more
//!    characters may be one substitution, insertion, deletion or swap of neighbours away from a
//!    word of the record's names or keys (Damerau-Levenshtein distance 1, checked here on
//!    candidates a trigram index finds); shorter words must prefix-match one.
//!
//! Within a tier, by lower-cased name, then id.

use crate::actor::{Actor, Permission};
use crate::company::Company;
use crate::contact::Contact;
use crate::deal::Deal;
use crate::error::{Errors, FieldError, Result};
use crate::id::{TypedId, WorkspaceId};
use crate::interaction::Interaction;
use crate::record::Record;
use crate::store::Tx;
use crate::text::{fold, is_blank, search_words};

crate::named_values! {
    /// The record types search covers.
    pub enum SearchType ("type") {
        /// Contacts.
        Contacts = "contacts",
        /// Companies.
        Companies = "companies",
        /// Deals.
        Deals = "deals",
        /// Interactions.
        Interactions = "interactions",
    }
}

/// Most records per type.
pub const MAX_PER_TYPE: u32 = 20;
/// Records per type when `per_type` is not given.
pub const DEFAULT_PER_TYPE: u32 = 5;
/// Shortest word a near match forgives a typo in.
pub const NEAR_MIN_CHARS: usize = 5;
/// Candidates read at a time while looking for near matches.
const CANDIDATE_BATCH: i64 = 500;

/// A checked search request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// The words of `q`, each a prefix.
    pub words: Vec<String>,
    /// `q` trimmed and case-folded: the first tier's key.
    pub exact: String,
    /// The types asked for, in the order asked.
    pub types: Vec<SearchType>,
    /// Most records per type.
    pub per_type: u32,
}

impl SearchQuery {
    /// Parses `q` (required, with a letter or digit), `types` (a comma list; default all) and
    /// `per_type` (1 to 20; default 5), reporting every bad one.
    pub fn parse(q: Option<&str>, types: Option<&str>, per_type: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut e = Errors::new();
        let q = q.unwrap_or_default();
        let words = search_words(q);
        if is_blank(q) {
            e.push("q", "is required");
        } else if words.is_empty() {
            e.push("q", "must hold a letter or a digit");
        }
        let types = match types {
            None => SearchType::ALL.to_vec(),
            Some(raw) => e.check(SearchType::parse_list("types", raw)).unwrap_or_default(),
        };
        let per_type = match per_type {
            None => DEFAULT_PER_TYPE,
            Some(raw) => e
                .check(
                    raw.parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_PER_TYPE).contains(n))
                        .ok_or_else(|| {
                            FieldError::new("per_type", format!("must be a whole number from 1 to {MAX_PER_TYPE}"))
                        }),
                )
                .unwrap_or(DEFAULT_PER_TYPE),
        };
        e.finish()?;
        Ok(Self {
            words,
            exact: fold(q.trim()),
            types,
            per_type,
        })
    }

    /// The words a near match may forgive a typo in.
    pub fn long_words(&self) -> Vec<String> {
        self.words
            .iter()
            .filter(|w| w.chars().count() >= NEAR_MIN_CHARS)
            .cloned()
            .collect()
    }
}

/// A record the trigram index offers as a near match, with the text it is checked on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its id.
    pub id: String,
    /// Its name words.
    pub names: String,
    /// Its key words.
    pub keys: String,
    /// Its lower-cased name (the order).
    pub label: String,
}

/// The search index, as search reads it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SearchRepo {
    /// The ids of up to `limit` records of `kind` (a record's singular name) in the workspace
    /// whose text has every word as a prefix, best tier first, then by label and id.
    fn prefix_matches(
        &mut self,
        ws: WorkspaceId,
        kind: &'static str,
        q: &SearchQuery,
        limit: i64,
    ) -> Result<Vec<String>>;
    /// Up to `limit` records of `kind` whose names or keys hold, for every one of `long_words`,
    /// the space-padded trigram of its first two or of its last two letters (which one edit
    /// cannot both change), in (label, id) order after `after`.
    fn near_candidates(
        &mut self,
        ws: WorkspaceId,
        kind: &'static str,
        long_words: &[String],
        after: Option<(String, String)>,
        limit: i64,
    ) -> Result<Vec<Candidate>>;
}

/// Whether a record's words match every word of a query: words of 5 or more characters by
/// prefix or within Damerau-Levenshtein distance 1 of a word, shorter ones by prefix.
pub fn near_match(words: &[String], doc: &[&str]) -> bool {
    words.iter().all(|w| {
        let long = w.chars().count() >= NEAR_MIN_CHARS;
        doc.iter()
            .any(|d| d.starts_with(w.as_str()) || (long && strsim::osa_distance(w, d) <= 1))
    })
}

/// The records one type answers with.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// Contacts, best first.
    Contacts(Vec<Contact>),
    /// Companies, best first.
    Companies(Vec<Company>),
    /// Deals, best first.
    Deals(Vec<Deal>),
    /// Interactions, best first.
    Interactions(Vec<Interaction>),
}

/// Searches the caller's workspace: for each type asked, in order, its best records.
pub fn search(tx: &mut dyn Tx, actor: &Actor, q: &SearchQuery) -> Result<Vec<Found>> {
    actor.authorize(Permission::Read)?;
    let ws = actor.workspace_id;
    q.types
        .iter()
        .map(|t| {
            Ok(match t {
                SearchType::Contacts => Found::Contacts(find::<Contact>(tx, ws, q)?),
                SearchType::Companies => Found::Companies(find::<Company>(tx, ws, q)?),
                SearchType::Deals => Found::Deals(find::<Deal>(tx, ws, q)?),
                SearchType::Interactions => Found::Interactions(find::<Interaction>(tx, ws, q)?),
            })
        })
        .collect()
}

fn find<R: Record>(tx: &mut dyn Tx, ws: WorkspaceId, q: &SearchQuery) -> Result<Vec<R>> {
    let wanted = usize::try_from(q.per_type).unwrap_or(usize::MAX);
    let mut ids = tx.search().prefix_matches(ws, R::KIND, q, i64::from(q.per_type))?;
    if ids.len() < wanted {
        let near = near_matches(tx, ws, R::KIND, q, wanted - ids.len(), &ids)?;
        ids.extend(near);
    }
    // One read for the hits, in rank order (an index entry is written in its record's
    // transaction, so every hit has its record).
    let ids: Vec<R::Id> = ids.iter().filter_map(|id| R::Id::from_typeid(id)).collect();
    R::repo(tx).get_many(ws, &ids)
}

fn near_matches(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    kind: &'static str,
    q: &SearchQuery,
    wanted: usize,
    exclude: &[String],
) -> Result<Vec<String>> {
    let long = q.long_words();
    if long.is_empty() {
        // Every word must prefix-match: the prefix tiers found them all.
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    let mut after = None;
    loop {
        let batch = tx
            .search()
            .near_candidates(ws, kind, &long, after.clone(), CANDIDATE_BATCH)?;
        let exhausted = i64::try_from(batch.len()).unwrap_or(i64::MAX) < CANDIDATE_BATCH;
        let Some(last) = batch.last().map(|c| (c.label.clone(), c.id.clone())) else {
            return Ok(found);
        };
        for c in batch {
            if exclude.contains(&c.id) {
                continue;
            }
            let doc: Vec<&str> = c
                .names
                .split(' ')
                .chain(c.keys.split(' '))
                .filter(|w| !w.is_empty())
                .collect();
            if near_match(&q.words, &doc) {
                found.push(c.id);
                if found.len() == wanted {
                    return Ok(found);
                }
            }
        }
        if exhausted {
            return Ok(found);
        }
        after = Some(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn words(q: &str) -> Vec<String> {
        search_words(q)
    }

    #[rstest]
    #[case("jonathon smyth", "jonathan smith", true)]
    #[case("jonahtan", "jonathan", true)]
    #[case("jonathn", "jonathan", true)]
    #[case("jonathaan", "jonathan", true)]
    #[case("jon smi", "jonathan smith", true)]
    #[case("jonatxxn", "jonathan", false)]
    #[case("smiht", "smith", true)]
    #[case("smyt", "smith", false)]
    #[case("jonathon", "ada lovelace", false)]
    fn near_matches_forgive_one_edit_in_long_words(#[case] q: &str, #[case] doc: &str, #[case] ok: bool) {
        let doc: Vec<&str> = doc.split(' ').collect();
        assert_eq!(near_match(&words(q), &doc), ok, "{q} ~ {doc:?}");
    }

    #[rstest]
    #[case(None, None, None, &["q"])]
    #[case(Some("  "), None, None, &["q"])]
    #[case(Some("*-\"()"), None, None, &["q"])]
    #[case(Some("ada"), Some("people"), None, &["types"])]
    #[case(Some("ada"), None, Some("21"), &["per_type"])]
    #[case(Some("ada"), None, Some("0"), &["per_type"])]
    #[case(Some("ada"), None, Some("x"), &["per_type"])]
    fn bad_requests_name_their_parameter(
        #[case] q: Option<&str>,
        #[case] types: Option<&str>,
        #[case] per_type: Option<&str>,
        #[case] fields: &[&str],
    ) {
        let err = SearchQuery::parse(q, types, per_type).unwrap_err();
        let got: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(got, fields);
    }

    #[test]
    fn a_query_defaults_to_every_type_and_five_each() {
        let q = SearchQuery::parse(Some(" Ada@Example.com "), None, None).unwrap();
        assert_eq!(q.types, SearchType::ALL);
        assert_eq!((q.per_type, q.exact.as_str()), (5, "ada@example.com"));
        assert_eq!(q.words, ["ada", "example", "com"]);
        let q = SearchQuery::parse(Some("x"), Some("deals,contacts,deals"), Some("20")).unwrap();
        assert_eq!(q.types, [SearchType::Deals, SearchType::Contacts]);
    }
}
