//! Helpers the engagement suites (commitments, follow-ups) share: ids, times, "today" in fixed
//! zones, and audit-entry lookups.

#![allow(dead_code)]

use std::time::Duration;

use chrono::{NaiveDate, TimeDelta, Timelike};
use serde_json::Value;

use crate::support::*;

pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

pub fn ids(v: &[&String]) -> Vec<String> {
    v.iter().map(|s| (*s).clone()).collect()
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Long enough for the clock to move past a microsecond-truncated timestamp.
pub fn pause() {
    std::thread::sleep(Duration::from_millis(5));
}

pub fn is_rfc3339_z(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(s).is_ok())
}

/// Microseconds since the epoch of an RFC 3339 timestamp in a record.
pub fn micros(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a timestamp: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
        .timestamp_micros()
}

/// The calendar date now at a fixed offset from UTC (UTC itself, and zones without DST).
pub fn today_at(offset_hours: i64) -> NaiveDate {
    (chrono::Utc::now() + TimeDelta::hours(offset_hours)).date_naive()
}

pub fn plus(d: NaiveDate, days: i64) -> NaiveDate {
    d + TimeDelta::days(days)
}

/// Waits out the last seconds of a UTC hour: every zone these tests use (UTC, UTC+14, UTC-11)
/// turns its date on the hour, and one test must not see two different "todays".
pub fn away_from_midnight() {
    let now = chrono::Utc::now();
    let left = 3600 - (now.minute() * 60 + now.second());
    if left <= 20 {
        std::thread::sleep(Duration::from_secs(u64::from(left) + 1));
    }
}

/// A 400 VALIDATION_ERROR naming exactly `fields` (in any order).
#[track_caller]
pub fn assert_400(r: &Resp, fields: &[&str]) {
    r.assert_error(400, "VALIDATION_ERROR");
    let want: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    assert_eq!(sorted(r.fields()), sorted(want), "{}", r.text);
}

pub fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    app.audit(query)
}

/// The one entry `request_id` wrote.
#[track_caller]
pub fn only_entry(app: &TestApp, request_id: &str) -> Value {
    let entries = audit(app, &format!("request_id={request_id}"));
    assert_eq!(entries.len(), 1, "{request_id}: {entries:?}");
    entries[0].clone()
}

pub fn change(old: &Value, new: &Value) -> Value {
    json!({"old": old, "new": new})
}
