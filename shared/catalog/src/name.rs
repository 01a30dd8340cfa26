//! Database names: 1–64 characters of `[A-Za-z0-9_-/]` (docs/architecture.md, "The catalog").

use std::fmt;

/// Longest allowed database name, in characters.
pub(crate) const MAX_DATABASE_NAME_LEN: usize = 64;

/// A validated database name. `db/rp` (v1 database + retention policy) is one name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DatabaseName(String);

/// Why a database name is invalid. Messages state the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseNameError {
    /// Empty or longer than 64 characters.
    #[error(
        "invalid database name {name:?}: must be between 1 and 64 characters long, got {length}"
    )]
    Length {
        /// The rejected name (truncated to 100 characters).
        name: String,
        /// Its length in characters.
        length: usize,
    },
    /// A character outside `[A-Za-z0-9_-/]`.
    #[error(
        "invalid database name {name:?}: character {character:?} at position {position} is not allowed; use only A-Z, a-z, 0-9, '_', '-' and '/'"
    )]
    InvalidCharacter {
        /// The rejected name.
        name: String,
        /// The first offending character.
        character: char,
        /// Its 0-based character position.
        position: usize,
    },
}

impl DatabaseName {
    /// Validates `name`.
    pub fn new(name: impl Into<String>) -> Result<Self, DatabaseNameError> {
        let name = name.into();
        let length = name.chars().count();
        if length == 0 || length > MAX_DATABASE_NAME_LEN {
            let shown: String = name.chars().take(100).collect();
            return Err(DatabaseNameError::Length {
                name: shown,
                length,
            });
        }
        if let Some((position, character)) = name
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/')))
        {
            return Err(DatabaseNameError::InvalidCharacter {
                name,
                character,
                position,
            });
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DatabaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DatabaseName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_allowed_alphabet() {
        for ok in ["a", "db/rp", "A-Z_0-9", &"x".repeat(64)] {
            assert_eq!(DatabaseName::new(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_bad_lengths_with_the_rule() {
        let err = DatabaseName::new("").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid database name "": must be between 1 and 64 characters long, got 0"#
        );
        let err = DatabaseName::new("y".repeat(65)).unwrap_err();
        assert!(matches!(err, DatabaseNameError::Length { length: 65, .. }));
    }

    #[test]
    fn rejects_bad_characters_naming_the_first() {
        let err = DatabaseName::new("my db").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid database name "my db": character ' ' at position 2 is not allowed; use only A-Z, a-z, 0-9, '_', '-' and '/'"#
        );
        let err = DatabaseName::new("café").unwrap_err();
        assert!(matches!(
            err,
            DatabaseNameError::InvalidCharacter {
                character: 'é',
                position: 3,
                ..
            }
        ));
        assert!(DatabaseName::new("a.b").is_err());
    }
}
