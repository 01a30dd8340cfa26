//! `quiver admin database create|list|update|delete`.
//!
//! ```text
//! create NAME --retention D ──► DatabaseName::new ──► create_database ──► the record
//! list                      ──► list_databases
//! update NAME --retention D ──► database_by_name ──► update_database
//! delete NAME               ──► database_by_name ──► delete_database (soft)
//! ```

use catalog::{Catalog, CatalogError, Database, DatabaseName, DatabaseOptions, DatabaseUpdate};
use config::{DatabaseCommand, Retention, format_retention};
use serde_json::{Value, json};

use super::error::AdminError;
use super::output::{Output, table};
use super::rfc3339;

/// Runs one database command.
pub(super) async fn run(
    catalog: &dyn Catalog,
    command: DatabaseCommand,
) -> Result<Output, AdminError> {
    match command {
        DatabaseCommand::Create {
            name, retention, ..
        } => {
            let name = DatabaseName::new(name)?;
            let options = DatabaseOptions {
                retention_period: retention.and_then(|Retention(r)| r),
                limits: None,
            };
            let db = catalog.create_database(&name, options).await?;
            Ok(one(&db, "created"))
        }
        DatabaseCommand::List { .. } => {
            let databases = catalog.list_databases().await?;
            let rows: Vec<Vec<String>> = databases.iter().map(row).collect();
            Ok(Output {
                json: Value::Array(databases.iter().map(to_json).collect()),
                text: table(&["ID", "NAME", "RETENTION", "CREATED"], &rows),
            })
        }
        DatabaseCommand::Update {
            name,
            retention: Retention(retention),
            ..
        } => {
            let db = by_name(catalog, name).await?;
            let update = DatabaseUpdate {
                retention_period: Some(retention),
                limits: None,
            };
            let db = catalog.update_database(db.id, update).await?;
            Ok(one(&db, "updated"))
        }
        DatabaseCommand::Delete { name, .. } => {
            let db = by_name(catalog, name).await?;
            let db = catalog.delete_database(db.id).await?;
            Ok(one(&db, "deleted"))
        }
    }
}

async fn by_name(catalog: &dyn Catalog, name: String) -> Result<Database, AdminError> {
    let name = DatabaseName::new(name)?;
    catalog.database_by_name(&name).await?.ok_or_else(|| {
        CatalogError::DatabaseNotFound {
            name: name.to_string(),
        }
        .into()
    })
}

fn one(db: &Database, what: &str) -> Output {
    Output {
        json: to_json(db),
        text: format!(
            "database {:?} {what} (id {:016x}, retention {})",
            db.name.as_str(),
            db.id.0,
            format_retention(db.retention_period)
        ),
    }
}

fn row(db: &Database) -> Vec<String> {
    vec![
        format!("{:016x}", db.id.0),
        db.name.to_string(),
        format_retention(db.retention_period),
        rfc3339(db.created_at_ns),
    ]
}

fn to_json(db: &Database) -> Value {
    json!({
        "id": format!("{:016x}", db.id.0),
        "name": db.name.as_str(),
        "retention_seconds": db.retention_period.map(|d| d.as_secs()),
        "retention": format_retention(db.retention_period),
        "created_at": rfc3339(db.created_at_ns),
        "deleted": db.deleted_at_ns.is_some(),
    })
}
