//! The one place where diesel and pool errors become domain errors.

use diesel::result::{DatabaseErrorKind, Error};
use moss_domain::DomainError;

/// Translates a diesel error.
pub(crate) fn db(e: Error) -> DomainError {
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            DomainError::Conflict("A record with these values already exists.".into())
        }
        Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
            tracing::warn!(cause = %info.message(), "foreign key violation");
            // Services check references first; this is the race where one vanished meanwhile.
            DomainError::Validation(vec![moss_domain::FieldError::new(
                "body",
                "refers to a record that does not exist (any more)",
            )])
        }
        Error::NotFound => DomainError::NotFound("Record not found.".into()),
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            DomainError::Unavailable(info.message().to_owned())
        }
        Error::BrokenTransactionManager => DomainError::Unavailable("the database connection broke".into()),
        other => {
            let text = other.to_string();
            if is_connection_failure(&text) {
                return DomainError::Unavailable(text);
            }
            tracing::error!(cause = %text, "database error");
            DomainError::Internal(text)
        }
    }
}

fn is_connection_failure(text: &str) -> bool {
    [
        "server closed the connection",
        "terminating connection",
        "could not send data",
        "no connection to the server",
        "connection refused",
        // SQLite: another connection held the write lock for longer than busy_timeout.
        "database is locked",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// Translates a pool checkout failure: the database is away or every connection is busy.
pub(crate) fn pool(e: r2d2::Error) -> DomainError {
    DomainError::Unavailable(format!("no database connection available: {e}"))
}

/// A stored value that does not parse back: a bug or a hand-edited database.
pub(crate) fn corrupt(what: &str, value: &str) -> DomainError {
    tracing::error!(what, value, "unreadable stored value");
    DomainError::Internal(format!("unreadable stored {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_by_kind_and_by_message() {
        let unique = Error::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new("dup".to_owned()));
        assert!(matches!(db(unique), DomainError::Conflict(_)));
        assert!(matches!(db(Error::NotFound), DomainError::NotFound(_)));
        let locked = Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new("database is locked".to_owned()));
        assert!(matches!(db(locked), DomainError::Unavailable(_)));
        let refused = Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new("connection refused".to_owned()));
        assert!(matches!(db(refused), DomainError::Unavailable(_)));
        let other = Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new("syntax error".to_owned()));
        assert!(matches!(db(other), DomainError::Internal(_)));
    }
}
