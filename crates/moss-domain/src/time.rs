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

/// Reads an RFC 3339 time exactly as RFC 3339 (and JSON Schema's `date-time`) spells it:
/// `YYYY-MM-DDThh:mm:ss`, an optional fraction, then `Z` or `±hh:mm` (`T` and `Z` in either
/// case), nothing around it. Refused, though chrono's reader takes them: surrounding space, a
/// space for `T`, U+2212 in the offset, and a leap second (`:60`), which no backend stores the
/// same way (SQLite keeps it, Postgres rolls it into the next minute). Fractions past
/// microseconds are truncated, as every stored time is.
pub fn parse_rfc3339(raw: &str) -> Option<Timestamp> {
    let b = raw.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shaped = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && &b[17..19] != b"60";
    if !shaped {
        return None;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let n = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &fraction[n..];
    }
    let zone = match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    };
    if !zone {
        return None;
    }
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| truncate(t.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("2030-01-31T12:00:00Z", Some("2030-01-31T12:00:00Z"))]
    #[case("2030-01-31t12:00:00z", Some("2030-01-31T12:00:00Z"))]
    #[case("2030-01-31T12:00:00.1234567+01:30", Some("2030-01-31T10:30:00.123456Z"))]
    #[case("2030-01-31T12:00:00-00:00", Some("2030-01-31T12:00:00Z"))]
    #[case("2030-01-31T23:59:60Z", None)]
    #[case("2030-01-31T20:44:60Z", None)]
    #[case(" 2030-01-31T12:00:00Z", None)]
    #[case("2030-01-31T12:00:00Z\n", None)]
    #[case("2030-01-31 12:00:00Z", None)]
    #[case("2030-01-31T12:00:00\u{2212}01:00", None)]
    #[case("2030-01-31T12:00:00.Z", None)]
    #[case("2030-01-31T12:00:00+0100", None)]
    #[case("2030-01-31T12:00:00", None)]
    #[case("2030-02-30T12:00:00Z", None)]
    #[case("2030-01-31T24:00:00Z", None)]
    #[case("２030-01-31T12:00:00Z", None)]
    fn rfc3339_is_read_as_spelled(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(parse_rfc3339(raw).map(|t| to_rfc3339(&t)).as_deref(), expected);
    }
}
