//! The permission model: what a token may do, and on which databases.

use serde::{Deserialize, Serialize};

/// An operation on a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Query.
    Read,
    /// Write points.
    Write,
}

/// What a permission applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// One database, by name.
    Database(String),
    /// Every database, including ones created later (`*`).
    AllDatabases,
}

/// One grant: an action on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Permission {
    /// The granted action.
    pub action: Action,
    /// Where it applies.
    pub resource: Resource,
}

impl Permission {
    /// `action` on the database `name`.
    pub fn database(action: Action, name: impl Into<String>) -> Self {
        Self {
            action,
            resource: Resource::Database(name.into()),
        }
    }

    /// `action` on every database.
    pub fn all_databases(action: Action) -> Self {
        Self {
            action,
            resource: Resource::AllDatabases,
        }
    }

    /// True when this grant covers `action` on `database`.
    pub fn covers(&self, action: Action, database: &str) -> bool {
        self.action == action
            && match &self.resource {
                Resource::AllDatabases => true,
                Resource::Database(name) => name == database,
            }
    }
}

/// What a valid token holds: the operator flag (everything) or a list of grants.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Authorization {
    /// Operator tokens may do everything, including managing databases and tokens.
    pub operator: bool,
    /// Grants of a non-operator token.
    pub permissions: Vec<Permission>,
}

impl Authorization {
    /// An operator authorization.
    pub fn operator() -> Self {
        Self {
            operator: true,
            permissions: Vec::new(),
        }
    }

    /// True when `action` on `database` is allowed.
    pub fn allows(&self, action: Action, database: &str) -> bool {
        self.operator || self.permissions.iter().any(|p| p.covers(action, database))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_grant_covers_only_that_database_and_action() {
        let auth = Authorization {
            operator: false,
            permissions: vec![Permission::database(Action::Write, "a")],
        };
        assert!(auth.allows(Action::Write, "a"));
        assert!(!auth.allows(Action::Write, "b"));
        assert!(!auth.allows(Action::Read, "a"));
        assert!(!auth.allows(Action::Write, "a/rp"));
    }

    #[test]
    fn all_databases_and_operator() {
        let reader = Authorization {
            operator: false,
            permissions: vec![Permission::all_databases(Action::Read)],
        };
        assert!(reader.allows(Action::Read, "anything"));
        assert!(!reader.allows(Action::Write, "anything"));
        assert!(Authorization::operator().allows(Action::Write, "x"));
        assert!(Authorization::operator().allows(Action::Read, "y"));
        assert!(!Authorization::default().allows(Action::Read, "y"));
    }
}
