//! TypeIDs: `<prefix>_<26 lowercase Crockford base32 characters>` encoding a UUIDv7.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Encodes a UUID as the 26-character TypeID suffix.
pub fn encode_suffix(uuid: Uuid) -> String {
    let value = uuid.as_u128();
    let mut out = [0u8; 26];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 5 * (25 - i);
        *slot = ALPHABET[((value >> shift) & 0x1f) as usize];
    }
    out.iter().map(|&b| b as char).collect()
}

/// Decodes a 26-character TypeID suffix; `None` unless it is exactly 26 lowercase base32
/// characters whose first one is at most `7` (the value must fit 128 bits).
pub fn decode_suffix(suffix: &str) -> Option<Uuid> {
    let bytes = suffix.as_bytes();
    if bytes.len() != 26 || bytes[0] > b'7' {
        return None;
    }
    let mut value: u128 = 0;
    for &b in bytes {
        let digit = ALPHABET.iter().position(|&a| a == b)? as u128;
        value = (value << 5) | digit;
    }
    Some(Uuid::from_u128(value))
}

/// Parses `prefix_suffix` for the given prefix.
pub fn parse_typeid(prefix: &str, text: &str) -> Option<Uuid> {
    let suffix = text.strip_prefix(prefix)?.strip_prefix('_')?;
    decode_suffix(suffix)
}

/// A fresh time-ordered UUIDv7.
pub fn new_uuid() -> Uuid {
    Uuid::now_v7()
}

/// What generic code (the record machinery) needs of a record's id.
pub trait TypedId: Copy + Eq + fmt::Debug + fmt::Display + Send + Sync + 'static {
    /// A new, time-ordered id.
    fn generate() -> Self;
    /// Parses the TypeID form (as stored).
    fn from_typeid(text: &str) -> Option<Self>;
}

/// Defines a typed TypeID newtype with its prefix.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// The TypeID prefix of this kind of record.
            pub const PREFIX: &'static str = $prefix;

            /// A new, time-ordered id.
            pub fn generate() -> Self {
                Self(new_uuid())
            }
            /// Wraps a UUID (as read back from storage).
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            /// The UUID inside.
            pub fn uuid(&self) -> Uuid {
                self.0
            }
            /// Parses the TypeID form only (`cnt_...`), as used in paths.
            pub fn parse(text: &str) -> Option<Self> {
                parse_typeid($prefix, text).map(Self)
            }
            /// Parses a reference in a body or query field: the TypeID or a bare UUID.
            pub fn parse_reference(text: &str) -> Option<Self> {
                Self::parse(text).or_else(|| {
                    // Only the hyphenated form: a 26-char base32 string without prefix is not a UUID.
                    if text.len() == 36 { Uuid::parse_str(text).ok().map(Self) } else { None }
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}_{}", $prefix, encode_suffix(self.0))
            }
        }

        impl TypedId for $name {
            fn generate() -> Self {
                Self::generate()
            }
            fn from_typeid(text: &str) -> Option<Self> {
                Self::parse(text)
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                Self::parse(s).ok_or(())
            }
        }
    };
}

typed_id!(
    /// Id of a workspace (`ws_`).
    WorkspaceId, "ws"
);
typed_id!(
    /// Id of a member (`usr_`).
    MemberId, "usr"
);
typed_id!(
    /// Id of an API key (`key_`).
    KeyId, "key"
);
typed_id!(
    /// Id of a contact (`cnt_`).
    ContactId, "cnt"
);
typed_id!(
    /// Id of a company (`cmp_`).
    CompanyId, "cmp"
);
typed_id!(
    /// Id of a deal (`deal_`).
    DealId, "deal"
);
typed_id!(
    /// Id of an interaction (`int_`).
    InteractionId, "int"
);
typed_id!(
    /// Id of a commitment (`cmt_`).
    CommitmentId, "cmt"
);
typed_id!(
    /// Id of a follow-up (`fup_`).
    FollowUpId, "fup"
);
typed_id!(
    /// Id of a custom-field definition (`cf_`).
    CustomFieldId, "cf"
);
typed_id!(
    /// Id of an audit entry (`aud_`).
    AuditId, "aud"
);
typed_id!(
    /// A generated request id (`req_`).
    RequestIdValue, "req"
);

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn known_vector_from_the_typeid_spec() {
        // From the TypeID specification's valid test cases.
        let uuid = Uuid::parse_str("01890a5d-ac96-774b-bcce-b302099a8057").unwrap_or_default();
        assert_eq!(encode_suffix(uuid), "01h455vb4pex5vsknk084sn02q");
        assert_eq!(decode_suffix("01h455vb4pex5vsknk084sn02q"), Some(uuid));
    }

    #[test]
    fn round_trips_and_keeps_time_order() {
        let a = ContactId::generate();
        let b = ContactId::generate();
        assert_eq!(ContactId::parse(&a.to_string()), Some(a));
        assert!(a.to_string() < b.to_string() || a.uuid() == b.uuid());
    }

    #[rstest]
    #[case::wrong_prefix("cmp_01h455vb4pex5vsknk084sn02q")]
    #[case::no_prefix("01h455vb4pex5vsknk084sn02q")]
    #[case::uppercase("cnt_01H455VB4PEX5VSKNK084SN02Q")]
    #[case::too_short("cnt_01h455vb4pex5vsknk084sn02")]
    #[case::too_long("cnt_01h455vb4pex5vsknk084sn02qq")]
    #[case::overflow("cnt_81h455vb4pex5vsknk084sn02q")]
    #[case::excluded_letter("cnt_01h455vb4pex5vsknk084sn0iq")]
    #[case::empty("")]
    #[case::only_prefix("cnt_")]
    #[case::bare_uuid("01890a5d-ac96-774b-bcce-b302099a8057")]
    fn rejects_malformed_path_ids(#[case] text: &str) {
        assert_eq!(ContactId::parse(text), None);
    }

    #[rstest]
    #[case("cnt_01h455vb4pex5vsknk084sn02q", true)]
    #[case("01890a5d-ac96-774b-bcce-b302099a8057", true)]
    #[case("01890a5dac96774bbcceb302099a8057", false)]
    #[case("cmp_01h455vb4pex5vsknk084sn02q", false)]
    fn references_accept_typeid_or_hyphenated_uuid(#[case] text: &str, #[case] ok: bool) {
        assert_eq!(ContactId::parse_reference(text).is_some(), ok);
    }
}
