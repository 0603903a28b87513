//! Timestamps: UTC, truncated to microseconds so every backend stores and returns the same value.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// A point in time as Moss stores it.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to microseconds.
pub fn now() -> Timestamp {
    truncate(Utc::now())
}

/// Truncates a time to microseconds.
pub fn truncate(t: Timestamp) -> Timestamp {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// Formats a timestamp as RFC 3339 UTC with a `Z` and only the fraction digits needed.
pub fn to_rfc3339(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
