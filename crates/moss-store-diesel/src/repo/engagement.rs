//! The cascades of a contact's or a deal's delete over the engagement tables (interactions,
//! commitments, follow-ups): the same statements per table, written once by macros.

use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::engagement::{EngagementRepo, Engagements};
use moss_domain::id::{ContactId, DealId, WorkspaceId};
use moss_domain::time::Timestamp;

use super::naive;
use crate::error;
use crate::schema::{commitments, followups, interactions, search_documents};
use crate::store::DieselTx;

/// The ids of the rows of `$table` whose `$column` is `$value` in the workspace, oldest first.
macro_rules! ids_where {
    ($conn:expr, $table:ident, $column:ident, $ws:expr, $value:expr) => {
        $table::table
            .filter($table::workspace_id.eq($ws))
            .filter($table::$column.eq($value))
            .order(($table::created_at.asc(), $table::id.asc()))
            .select($table::id)
            .load::<String>($conn)
            .map_err(error::db)?
    };
}

/// Deletes the rows of `$table` whose `$column` is `$value` in the workspace, with their
/// search text when `$searched` (commitments and follow-ups have none); their ids, oldest first.
macro_rules! delete_where {
    ($conn:expr, $table:ident, $column:ident, $ws:expr, $value:expr, $searched:expr) => {{
        let of = || {
            $table::table
                .filter($table::workspace_id.eq($ws))
                .filter($table::$column.eq($value))
        };
        let ids = ids_where!($conn, $table, $column, $ws, $value);
        if !ids.is_empty() {
            if $searched {
                diesel::delete(
                    search_documents::table.filter(search_documents::record_id.eq_any(of().select($table::id))),
                )
                .execute($conn)
                .map_err(error::db)?;
            }
            diesel::delete(of()).execute($conn).map_err(error::db)?;
        }
        ids
    }};
}

/// Re-points the rows of `$table` of contact `$from` to `$into`, moving `updated_at`; their
/// ids, oldest first.
macro_rules! move_contact {
    ($conn:expr, $table:ident, $ws:expr, $from:expr, $into:expr, $at:expr) => {{
        let ids = ids_where!($conn, $table, contact_id, $ws, $from);
        if !ids.is_empty() {
            diesel::update(
                $table::table
                    .filter($table::workspace_id.eq($ws))
                    .filter($table::contact_id.eq($from)),
            )
            .set(($table::contact_id.eq($into), $table::updated_at.eq($at)))
            .execute($conn)
            .map_err(error::db)?;
        }
        ids
    }};
}

/// Clears `deal_id` on the rows of `$table` of the deal, moving `updated_at`; their ids, oldest
/// first.
macro_rules! clear_deal {
    ($conn:expr, $table:ident, $ws:expr, $deal:expr, $at:expr) => {{
        let of = || {
            $table::table
                .filter($table::workspace_id.eq($ws))
                .filter($table::deal_id.eq($deal))
        };
        let ids = ids_where!($conn, $table, deal_id, $ws, $deal);
        if !ids.is_empty() {
            diesel::update(of())
                .set(($table::deal_id.eq(None::<String>), $table::updated_at.eq($at)))
                .execute($conn)
                .map_err(error::db)?;
        }
        ids
    }};
}

impl EngagementRepo for DieselTx<'_> {
    fn delete_of_contact(&mut self, ws: WorkspaceId, contact: ContactId) -> Result<Engagements> {
        let (ws, contact) = (ws.to_string(), contact.to_string());
        Ok(Engagements {
            interactions: delete_where!(self.conn, interactions, contact_id, &ws, &contact, true),
            commitments: delete_where!(self.conn, commitments, contact_id, &ws, &contact, false),
            followups: delete_where!(self.conn, followups, contact_id, &ws, &contact, false),
        })
    }

    fn of_contact(&mut self, ws: WorkspaceId, contact: ContactId) -> Result<Engagements> {
        let (ws, contact) = (ws.to_string(), contact.to_string());
        Ok(Engagements {
            interactions: ids_where!(self.conn, interactions, contact_id, &ws, &contact),
            commitments: ids_where!(self.conn, commitments, contact_id, &ws, &contact),
            followups: ids_where!(self.conn, followups, contact_id, &ws, &contact),
        })
    }

    fn move_contact(
        &mut self,
        ws: WorkspaceId,
        from: ContactId,
        into: ContactId,
        at: Timestamp,
    ) -> Result<Engagements> {
        let (ws, from, into, at) = (ws.to_string(), from.to_string(), into.to_string(), naive(&at));
        Ok(Engagements {
            interactions: move_contact!(self.conn, interactions, &ws, &from, &into, at),
            commitments: move_contact!(self.conn, commitments, &ws, &from, &into, at),
            followups: move_contact!(self.conn, followups, &ws, &from, &into, at),
        })
    }

    fn clear_deal(&mut self, ws: WorkspaceId, deal: DealId, at: Timestamp) -> Result<Engagements> {
        let (ws, deal, at) = (ws.to_string(), deal.to_string(), naive(&at));
        Ok(Engagements {
            interactions: clear_deal!(self.conn, interactions, &ws, &deal, at),
            commitments: clear_deal!(self.conn, commitments, &ws, &deal, at),
            followups: clear_deal!(self.conn, followups, &ws, &deal, at),
        })
    }
}
