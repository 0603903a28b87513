//! One module per port; each implements its trait on [`crate::store::DieselTx`].

mod activity;
mod audit;
pub(crate) mod commitment;
pub(crate) mod company;
pub(crate) mod contact;
pub(crate) mod custom_field;
pub(crate) mod deal;
mod engagement;
pub(crate) mod followup;
mod idempotency;
pub(crate) mod interaction;
mod key;
pub(crate) mod record;
mod search;
mod tag;
mod workspace;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Stored form of a timestamp.
pub(crate) fn naive(t: &DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

/// Domain form of a stored timestamp.
pub(crate) fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Parses a stored TypeID with the id type's own parser.
macro_rules! parse_id {
    ($ty:ty, $text:expr) => {
        <$ty>::parse(&$text).ok_or_else(|| crate::error::corrupt(stringify!($ty), &$text))
    };
}
pub(crate) use parse_id;

/// Runs the same generic diesel code on whichever backend the connection is.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            crate::connection::MossConnection::Pg($c) => $body,
            crate::connection::MossConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Converts a count from the database.
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// LIMIT and OFFSET for a page.
pub(crate) fn limits<S>(page: &moss_domain::PageRequest<S>) -> (i64, i64) {
    (
        i64::from(page.per_page),
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    )
}

/// The exact number of `resource` records (a table name) in workspace `ws`, read from the
/// totals that the database's triggers keep on every insert and delete: a unfiltered list's
/// `total` without counting its rows.
pub(crate) fn stored_total(
    conn: &mut crate::connection::MossConnection,
    ws: &str,
    resource: &str,
) -> moss_domain::Result<u64> {
    use crate::schema::record_totals;
    use diesel::prelude::*;
    let shards: Vec<i64> = record_totals::table
        .filter(record_totals::workspace_id.eq(ws))
        .filter(record_totals::resource.eq(resource))
        .select(record_totals::total)
        .load(conn)
        .map_err(crate::error::db)?;
    Ok(count(shards.iter().sum()))
}
