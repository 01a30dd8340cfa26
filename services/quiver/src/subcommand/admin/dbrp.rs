//! `quiver admin dbrp create|list|delete`: DBRP mappings, which route v1 `/write` and `/query`
//! naming an InfluxDB 1.x (database, retention policy) to a database.
//!
//! ```text
//! create --db D --rp R --database NAME [--default] ──► database_by_name ──► create_dbrp
//! list [--db D]                                    ──► list_dbrps + list_databases (names)
//! delete ID                                        ──► delete_dbrp (the default moves on)
//! ```

use std::collections::HashMap;

use catalog::{Catalog, CatalogError, DatabaseId, DatabaseName, Dbrp, DbrpFilter, DbrpId, NewDbrp};
use config::DbrpCommand;
use serde_json::{Value, json};

use super::error::AdminError;
use super::output::{Output, table};

/// Runs one mapping command.
pub(super) async fn run(catalog: &dyn Catalog, command: DbrpCommand) -> Result<Output, AdminError> {
    match command {
        DbrpCommand::Create {
            db,
            rp,
            database,
            default,
            ..
        } => {
            let name = DatabaseName::new(database)?;
            let target = catalog.database_by_name(&name).await?.ok_or_else(|| {
                CatalogError::DatabaseNotFound {
                    name: name.to_string(),
                }
            })?;
            let dbrp = catalog
                .create_dbrp(NewDbrp {
                    database: db,
                    retention_policy: rp,
                    default,
                    target: target.id,
                })
                .await?;
            Ok(Output {
                json: to_json(&dbrp, name.as_str()),
                text: format!(
                    "DBRP mapping {} created: {} → database {:?}",
                    format_id(dbrp.id),
                    describe(&dbrp),
                    name.as_str()
                ),
            })
        }
        DbrpCommand::List { db, .. } => {
            let filter = DbrpFilter {
                database: db,
                ..DbrpFilter::default()
            };
            let dbrps = catalog.list_dbrps(&filter).await?;
            let names = database_names(catalog).await?;
            let name = |d: &Dbrp| names.get(&d.target).cloned().unwrap_or_default();
            let rows: Vec<Vec<String>> = dbrps
                .iter()
                .map(|d| {
                    vec![
                        format_id(d.id),
                        d.database.clone(),
                        d.retention_policy.clone(),
                        if d.default { "yes" } else { "no" }.to_owned(),
                        name(d),
                    ]
                })
                .collect();
            Ok(Output {
                json: Value::Array(dbrps.iter().map(|d| to_json(d, &name(d))).collect()),
                text: table(&["ID", "DB", "RP", "DEFAULT", "DATABASE"], &rows),
            })
        }
        DbrpCommand::Delete { id, .. } => {
            let id = parse_id(&id)?;
            let dbrp = match catalog.delete_dbrp(id).await {
                Err(CatalogError::DbrpNotFound { .. }) => {
                    return Err(AdminError::DbrpNotFound(format_id(id)));
                }
                other => other?,
            };
            let names = database_names(catalog).await?;
            let name = names.get(&dbrp.target).cloned().unwrap_or_default();
            Ok(Output {
                json: to_json(&dbrp, &name),
                text: format!(
                    "DBRP mapping {} deleted ({} → database {name:?})",
                    format_id(id),
                    describe(&dbrp)
                ),
            })
        }
    }
}

/// Live database names by id.
async fn database_names(catalog: &dyn Catalog) -> Result<HashMap<DatabaseId, String>, AdminError> {
    Ok(catalog
        .list_databases()
        .await?
        .into_iter()
        .map(|db| (db.id, db.name.to_string()))
        .collect())
}

/// `db/rp`, plus `(default)` for the default.
fn describe(dbrp: &Dbrp) -> String {
    let default = if dbrp.default { " (default)" } else { "" };
    format!("{}/{}{default}", dbrp.database, dbrp.retention_policy)
}

fn format_id(id: DbrpId) -> String {
    format!("{:016x}", id.0)
}

/// 1 to 16 hex digits (the listing shows 16).
fn parse_id(text: &str) -> Result<DbrpId, AdminError> {
    let valid = (1..=16).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
    valid
        .then(|| u64::from_str_radix(text, 16).ok())
        .flatten()
        .map(DbrpId)
        .ok_or_else(|| AdminError::InvalidDbrpId(text.to_owned()))
}

fn to_json(dbrp: &Dbrp, database: &str) -> Value {
    json!({
        "id": format_id(dbrp.id),
        "db": dbrp.database,
        "rp": dbrp.retention_policy,
        "default": dbrp.default,
        "database": database,
        "database_id": format!("{:016x}", dbrp.target.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_with_or_without_leading_zeros() {
        assert_eq!(parse_id("000000000000002a").unwrap(), DbrpId(42));
        assert_eq!(parse_id("2A").unwrap(), DbrpId(42));
        for bad in ["", "xyz", "00000000000000002a", "-1"] {
            assert!(
                matches!(parse_id(bad), Err(AdminError::InvalidDbrpId(_))),
                "{bad}"
            );
        }
    }
}
