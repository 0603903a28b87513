//! Idempotency keys: a retried mutation with the same `Idempotency-Key` never runs twice.
//!
//! The claim of the key, the change, its audit entry and the stored answer commit in one
//! transaction (see [`crate::store`]), so a claim is never visible without its answer: a
//! concurrent request with the same key waits for the first to commit and then replays it,
//! or, if the first rolled back, runs afresh.

use std::fmt;

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::error::{FieldError, Result};
use crate::id::KeyId;
use crate::time::Timestamp;

/// The name of the header, used as the field of its validation errors.
pub const HEADER: &str = "Idempotency-Key";

/// Shortest retention the contract allows (24 hours).
pub const MIN_RETENTION: TimeDelta = TimeDelta::hours(24);

/// A client's idempotency key: 1-255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks the header value.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if (1..=255).contains(&raw.len()) && raw.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(HEADER, "must be 1 to 255 printable ASCII characters"))
        }
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// SHA-256 over method, path, query string and the SHA-256 of the body.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint(pub [u8; 32]);

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint(")?;
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "...)")
    }
}

impl Fingerprint {
    /// The fingerprint of a request.
    pub fn of(method: &str, path: &str, query: &str, body: &[u8]) -> Self {
        let body_digest = Sha256::digest(body);
        let mut h = Sha256::new();
        // Lengths keep the parts apart: ("a", "bc") and ("ab", "c") differ.
        for part in [
            method.as_bytes(),
            path.as_bytes(),
            query.as_bytes(),
            body_digest.as_slice(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        Self(h.finalize().into())
    }
}

/// An answer as given to the client, kept for replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// `Location` header, if any.
    pub location: Option<String>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// An answer rendered inside the unit of work: what to send now and what to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// What the client gets now.
    pub sent: StoredResponse,
    /// What a replay gets, when it differs (a one-time secret replaced by `null`).
    pub kept: Option<StoredResponse>,
}

impl Rendered {
    /// An answer replayed exactly as sent.
    pub fn same(response: StoredResponse) -> Self {
        Self {
            sent: response,
            kept: None,
        }
    }
    /// The version to store.
    pub fn to_keep(&self) -> &StoredResponse {
        self.kept.as_ref().unwrap_or(&self.sent)
    }
}

/// A request's claim on a key.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The API key the idempotency key is scoped to.
    pub api_key: KeyId,
    /// The client's key.
    pub key: IdempotencyKey,
    /// The request's fingerprint.
    pub fingerprint: Fingerprint,
    /// When the record may be purged.
    pub expires_at: Timestamp,
}

/// What claiming found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The key was free; it is now held by this transaction.
    Claimed,
    /// The key was used before (and has not expired).
    Used {
        /// The first request's fingerprint.
        fingerprint: Fingerprint,
        /// The first request's answer.
        response: StoredResponse,
    },
}

/// Stored idempotency records.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdempotencyRepo {
    /// Claims `claim.key` for `claim.api_key`, first dropping an expired record of the same key.
    /// When another transaction holds the key, waits for it to finish, then reports what it
    /// stored (or claims the key if it rolled back).
    fn claim(&mut self, claim: &Claim, now: Timestamp) -> Result<ClaimOutcome>;
    /// Stores the answer of a claimed key (same transaction as the claim).
    fn store_response(&mut self, claim: &Claim, response: &StoredResponse) -> Result<()>;
    /// Deletes records that expired before `now`; returns how many.
    fn purge_expired(&mut self, now: Timestamp) -> Result<u64>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("a", true)]
    #[case("unique-request-id-123", true)]
    #[case(" spaces and ~!@#$%^&*() ok ", true)]
    #[case("", false)]
    #[case("tab\there", false)]
    #[case("newline\n", false)]
    #[case("é", false)]
    #[case("\u{7f}", false)]
    fn key_is_printable_ascii(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(IdempotencyKey::parse(raw).is_ok(), ok);
    }

    #[test]
    fn key_is_at_most_255_characters() {
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        let err = IdempotencyKey::parse(&"k".repeat(256)).unwrap_err();
        assert_eq!(err.field, "Idempotency-Key");
    }

    #[test]
    fn fingerprint_covers_every_part() {
        let base = Fingerprint::of("POST", "/api/v1/contacts", "", b"{}");
        assert_eq!(base, Fingerprint::of("POST", "/api/v1/contacts", "", b"{}"));
        assert_ne!(base, Fingerprint::of("PATCH", "/api/v1/contacts", "", b"{}"));
        assert_ne!(base, Fingerprint::of("POST", "/api/v1/companies", "", b"{}"));
        assert_ne!(base, Fingerprint::of("POST", "/api/v1/contacts", "x=1", b"{}"));
        assert_ne!(base, Fingerprint::of("POST", "/api/v1/contacts", "", b"{ }"));
        assert_ne!(
            Fingerprint::of("POST", "/a", "b", b""),
            Fingerprint::of("POST", "/ab", "", b"")
        );
    }
}
