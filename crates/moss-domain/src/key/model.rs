//! API key entity and the secret's format.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::actor::{Role, Scope};
use crate::error::{Errors, FieldError};
use crate::id::{KeyId, MemberId, WorkspaceId};
use crate::page::SortField;
use crate::text::{MAX_NAME, required_text};
use crate::time::Timestamp;

const KEY_PREFIX: &str = "moss_k_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Characters of a key shown in listings.
pub const DISPLAY_PREFIX_LEN: usize = 12;

fn checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

/// A full API key value (`moss_k_...`). Only its digest is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySecret(String);

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySecret({}...)", self.prefix())
    }
}

impl KeySecret {
    /// A new key: `moss_k_` + 32 base62 characters from a CSPRNG + a base62 CRC32 checksum.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let random: String = (0..RANDOM_LEN)
            .map(|_| BASE62[rng.random_range(0..62)] as char)
            .collect();
        let body = format!("{KEY_PREFIX}{random}");
        let sum = checksum(&body);
        Self(format!("{body}{sum}"))
    }

    /// Checks a presented key's format and checksum without any lookup.
    pub fn parse(presented: &str) -> Option<Self> {
        let rest = presented.strip_prefix(KEY_PREFIX)?;
        if rest.len() < RANDOM_LEN + CHECKSUM_LEN || rest.len() > 128 || !rest.bytes().all(|b| BASE62.contains(&b)) {
            return None;
        }
        let (body, sum) = presented.split_at(presented.len() - CHECKSUM_LEN);
        (checksum(body) == sum).then(|| Self(presented.to_owned()))
    }

    /// The full value, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The first 12 characters, shown in listings.
    pub fn prefix(&self) -> String {
        self.0.chars().take(DISPLAY_PREFIX_LEN).collect()
    }

    /// SHA-256 of the full value: what is stored and looked up.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    /// Constant-time comparison of this key's digest with a stored one.
    pub fn matches(&self, stored_digest: &[u8]) -> bool {
        self.digest().ct_eq(stored_digest).into()
    }
}

/// An API key record (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// `key_` id.
    pub id: KeyId,
    /// Workspace.
    pub workspace_id: WorkspaceId,
    /// The member it acts as.
    pub member_id: MemberId,
    /// Label.
    pub name: String,
    /// Scope.
    pub scope: Scope,
    /// First 12 characters of the secret.
    pub prefix: String,
    /// When it stops working.
    pub expires_at: Option<Timestamp>,
    /// Last use, updated at most once a minute.
    pub last_used_at: Option<Timestamp>,
    /// Revocation time; revoked keys are kept but not listed.
    pub revoked_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A key as read for authentication: the record, its stored digest and its member's role.
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// The record.
    pub key: ApiKey,
    /// SHA-256 of the secret.
    pub digest: Vec<u8>,
    /// The member's role.
    pub role: Role,
}

/// Checked input for a new key.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Label.
    pub name: String,
    /// Scope (default full).
    pub scope: Scope,
    /// Optional expiry, in the future.
    pub expires_at: Option<Timestamp>,
}

impl NewKey {
    /// Checks name, scope and expiry (RFC 3339, in the future), reporting every bad field.
    pub fn parse(
        name: &str,
        scope: Option<&str>,
        expires_at: Option<&str>,
        now: Timestamp,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::new();
        let name = errors.check(required_text("name", Some(name.to_owned()), MAX_NAME));
        let scope = match scope {
            None => Some(Scope::Full),
            Some(s) => {
                errors.check(Scope::parse(s).ok_or_else(|| FieldError::new("scope", "must be one of: full, read_only")))
            }
        };
        let expires_at = match expires_at {
            None => Some(None),
            Some(s) => errors.check(parse_future_time("expires_at", s, now).map(Some)),
        };
        errors.finish()?;
        match (name, scope, expires_at) {
            (Some(name), Some(scope), Some(expires_at)) => Ok(Self {
                name,
                scope,
                expires_at,
            }),
            _ => Err(vec![FieldError::new("name", "is required")]),
        }
    }

    /// Issues the key: a record and its secret.
    pub fn issue(self, workspace_id: WorkspaceId, member_id: MemberId, now: Timestamp) -> (ApiKey, KeySecret) {
        let secret = KeySecret::generate();
        let key = ApiKey {
            id: KeyId::generate(),
            workspace_id,
            member_id,
            name: self.name,
            scope: self.scope,
            prefix: secret.prefix(),
            expires_at: self.expires_at,
            last_used_at: None,
            revoked_at: None,
            created_at: now,
        };
        (key, secret)
    }
}

/// Parses an RFC 3339 time that must be after `now`.
pub fn parse_future_time(field: &str, raw: &str, now: Timestamp) -> Result<Timestamp, FieldError> {
    let t = crate::time::parse_rfc3339(raw)
        .ok_or_else(|| FieldError::new(field, "must be an RFC 3339 time such as 2030-01-31T12:00:00Z"))?;
    if t <= now {
        return Err(FieldError::new(field, "must be in the future"));
    }
    Ok(t)
}

/// Sort fields of the keys list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySort {
    /// Created.
    CreatedAt,
    /// Name, case-insensitively.
    Name,
    /// Last use (never used sorts last).
    LastUsedAt,
}

impl SortField for KeySort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("name", Self::Name),
        ("last_used_at", Self::LastUsedAt),
    ];
    const DEFAULT: Self = Self::CreatedAt;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn generated_keys_have_the_documented_format() {
        let k = KeySecret::generate();
        let s = k.expose();
        assert!(s.starts_with("moss_k_"));
        assert_eq!(s.len(), 7 + 32 + 6);
        assert_eq!(KeySecret::parse(s), Some(k.clone()));
        assert_eq!(k.prefix(), s[..12]);
        assert_ne!(KeySecret::generate(), k);
    }

    #[test]
    fn digest_is_sha256_and_compares_in_constant_time() {
        let k = KeySecret::generate();
        assert!(k.matches(&k.digest()));
        assert!(!k.matches(&KeySecret::generate().digest()));
        assert!(!k.matches(&[0u8; 31]));
    }

    fn flip_last(s: &str) -> String {
        let mut v: Vec<char> = s.chars().collect();
        let last = v.len() - 1;
        v[last] = if v[last] == 'a' { 'b' } else { 'a' };
        v.into_iter().collect()
    }

    fn flip_body(s: &str) -> String {
        let mut v: Vec<char> = s.chars().collect();
        v[10] = if v[10] == 'a' { 'b' } else { 'a' };
        v.into_iter().collect()
    }

    #[rstest]
    #[case::bad_checksum(|s: &str| flip_last(s))]
    #[case::changed_body(|s: &str| flip_body(s))]
    #[case::wrong_prefix(|s: &str| s.replacen("moss_k_", "moss_x_", 1))]
    #[case::no_prefix(|s: &str| s["moss_k_".len()..].to_string())]
    #[case::too_short(|s: &str| { let body = &s[..20]; format!("{body}{}", checksum(body)) })]
    #[case::non_base62(|s: &str| s.replacen('_', "-", 2))]
    #[case::trailing_space(|s: &str| format!("{s} "))]
    #[case::empty(|_: &str| String::new())]
    fn malformed_keys_are_rejected_without_lookup(#[case] mangle: fn(&str) -> String) {
        let good = KeySecret::generate();
        assert_eq!(KeySecret::parse(&mangle(good.expose())), None);
    }

    #[test]
    fn new_key_reports_every_bad_field() {
        let now = crate::time::now();
        let err = NewKey::parse(" ", Some("admin"), Some("yesterday"), now).unwrap_err();
        let fields: Vec<_> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "scope", "expires_at"]);
        let past = NewKey::parse("ci", None, Some("2001-01-01T00:00:00Z"), now).unwrap_err();
        assert_eq!(past[0].message, "must be in the future");
    }
}
