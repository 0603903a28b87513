use diesel::prelude::*;
use moss_domain::Result;
use moss_domain::idempotency::{Claim, ClaimOutcome, Fingerprint, IdempotencyRepo, StoredResponse};
use moss_domain::time::Timestamp;

use super::{count, naive, on_backend};
use crate::error;
use crate::schema::idempotency_keys as ik;
use crate::store::DieselTx;

#[derive(Insertable)]
#[diesel(table_name = ik)]
struct NewClaim<'a> {
    api_key_id: String,
    idem_key: &'a str,
    fingerprint: &'a [u8],
    status: i32,
    location: Option<&'a str>,
    body: &'a [u8],
    created_at: chrono::NaiveDateTime,
    expires_at: chrono::NaiveDateTime,
}

impl IdempotencyRepo for DieselTx<'_> {
    fn claim(&mut self, claim: &Claim, now: Timestamp) -> Result<ClaimOutcome> {
        let api_key = claim.api_key.to_string();
        let key = claim.key.as_str();
        let mine = || {
            ik::table
                .filter(ik::api_key_id.eq(api_key.clone()))
                .filter(ik::idem_key.eq(key))
        };
        // An expired record frees its key.
        diesel::delete(mine().filter(ik::expires_at.le(naive(&now))))
            .execute(self.conn)
            .map_err(error::db)?;
        let row = NewClaim {
            api_key_id: api_key.clone(),
            idem_key: key,
            fingerprint: &claim.fingerprint.0,
            status: 0,
            location: None,
            body: &[],
            created_at: naive(&now),
            expires_at: naive(&claim.expires_at),
        };
        // On Postgres this waits for a concurrent transaction holding the same key to finish;
        // on SQLite writers are already serialized. Either way, 0 rows means the key was used.
        let inserted = on_backend!(&mut *self.conn, |c| diesel::insert_into(ik::table)
            .values(&row)
            .on_conflict_do_nothing()
            .execute(c))
        .map_err(error::db)?;
        if inserted == 1 {
            return Ok(ClaimOutcome::Claimed);
        }
        let (fingerprint, status, location, body) = mine()
            .select((ik::fingerprint, ik::status, ik::location, ik::body))
            .first::<(Vec<u8>, i32, Option<String>, Vec<u8>)>(self.conn)
            .map_err(error::db)?;
        let fingerprint: [u8; 32] = fingerprint
            .try_into()
            .map_err(|_| error::corrupt("idempotency fingerprint", key))?;
        let status = u16::try_from(status).map_err(|_| error::corrupt("idempotency status", key))?;
        Ok(ClaimOutcome::Used {
            fingerprint: Fingerprint(fingerprint),
            response: StoredResponse { status, location, body },
        })
    }

    fn store_response(&mut self, claim: &Claim, response: &StoredResponse) -> Result<()> {
        diesel::update(
            ik::table
                .filter(ik::api_key_id.eq(claim.api_key.to_string()))
                .filter(ik::idem_key.eq(claim.key.as_str())),
        )
        .set((
            ik::status.eq(i32::from(response.status)),
            ik::location.eq(response.location.as_deref()),
            ik::body.eq(response.body.as_slice()),
        ))
        .execute(self.conn)
        .map_err(error::db)?;
        Ok(())
    }

    fn purge_expired(&mut self, now: Timestamp) -> Result<u64> {
        let n = diesel::delete(ik::table.filter(ik::expires_at.le(naive(&now))))
            .execute(self.conn)
            .map_err(error::db)?;
        Ok(count(i64::try_from(n).unwrap_or(i64::MAX)))
    }
}
