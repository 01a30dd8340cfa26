//! Additive schema changes: the request, and the pure planning step every backend shares.
//!
//! A backend reads a snapshot of the database's schema, calls [`plan_upsert`], and applies the
//! plan only if the snapshot is still current (a mutex in memory, a revision compare in etcd),
//! re-planning on a lost race.

use std::collections::BTreeMap;

use schema::InfluxColumnType;

use crate::{CatalogError, DatabaseSchema, Limits};

/// Most bytes of new table and column names one schema change (one write) may add. With names
/// of at most [`schema::MAX_NAME_BYTES`], every change fits etcd's request size (1.5 MiB) with
/// room to spare, and no single write can grow the catalog by more.
pub const MAX_NEW_SCHEMA_BYTES: usize = 256 * 1024;

/// The columns (by table) a write uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaUpsert {
    tables: BTreeMap<String, BTreeMap<String, InfluxColumnType>>,
}

impl SchemaUpsert {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `table.column` of `column_type`. Fails when the request already holds that column
    /// with another type.
    pub fn add(
        &mut self,
        table: &str,
        column: &str,
        column_type: InfluxColumnType,
    ) -> Result<(), CatalogError> {
        let columns = self.tables.entry(table.to_owned()).or_default();
        match columns.get(column) {
            Some(&existing) if existing != column_type => Err(CatalogError::SchemaConflict {
                table: table.to_owned(),
                column: column.to_owned(),
                existing,
                write: column_type,
            }),
            Some(_) => Ok(()),
            None => {
                columns.insert(column.to_owned(), column_type);
                Ok(())
            }
        }
    }

    /// Tables and their columns, by name.
    pub fn tables(&self) -> &BTreeMap<String, BTreeMap<String, InfluxColumnType>> {
        &self.tables
    }

    /// True when the request holds no table.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

/// What an upsert adds to a schema snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertPlan {
    /// Tables to create, by name (their columns are in `new_columns`).
    pub new_tables: Vec<String>,
    /// `(table, column, type)` to add.
    pub new_columns: Vec<(String, String, InfluxColumnType)>,
}

impl UpsertPlan {
    /// True when the snapshot already holds everything.
    pub fn is_empty(&self) -> bool {
        self.new_tables.is_empty() && self.new_columns.is_empty()
    }
}

/// Checks `upsert` against `current`: name lengths (→ [`CatalogError::NameTooLong`]), type
/// conflicts (→ [`CatalogError::SchemaConflict`], the first in table/column name order), then
/// limits (→ [`CatalogError::TableLimit`] / [`CatalogError::ColumnLimit`] /
/// [`CatalogError::SchemaChangeLimit`]). Returns what must be added.
pub fn plan_upsert(
    database: &str,
    current: &DatabaseSchema,
    limits: &Limits,
    upsert: &SchemaUpsert,
) -> Result<UpsertPlan, CatalogError> {
    let mut plan = UpsertPlan::default();
    let mut new_bytes = 0usize;
    for (table, columns) in &upsert.tables {
        let existing = current.tables.get(table);
        if existing.is_none() {
            check_name_length("table", table)?;
            new_bytes = new_bytes.saturating_add(table.len());
            plan.new_tables.push(table.clone());
        }
        for (column, &write) in columns {
            match existing.and_then(|t| t.columns.get(column)) {
                Some(stored) if stored.column_type != write => {
                    return Err(CatalogError::SchemaConflict {
                        table: table.clone(),
                        column: column.clone(),
                        existing: stored.column_type,
                        write,
                    });
                }
                Some(_) => {}
                None => {
                    check_name_length("column", column)?;
                    new_bytes = new_bytes.saturating_add(column.len());
                    plan.new_columns
                        .push((table.clone(), column.clone(), write));
                }
            }
        }
    }

    let table_count = current.tables.len();
    if table_count + plan.new_tables.len() > limits.max_tables {
        return Err(CatalogError::TableLimit {
            database: database.to_owned(),
            tables: plan.new_tables.join(", "),
            existing: table_count,
            requested: table_count + plan.new_tables.len(),
            limit: limits.max_tables,
        });
    }
    for (table, columns) in &upsert.tables {
        let existing = current.tables.get(table).map_or(0, |t| t.columns.len());
        let added = plan
            .new_columns
            .iter()
            .filter(|(t, _, _)| t == table)
            .count();
        if added > 0 && existing + added > limits.max_columns_per_table {
            debug_assert!(added <= columns.len());
            return Err(CatalogError::ColumnLimit {
                table: table.clone(),
                existing,
                requested: existing + added,
                limit: limits.max_columns_per_table,
            });
        }
    }
    if new_bytes > MAX_NEW_SCHEMA_BYTES {
        return Err(CatalogError::SchemaChangeLimit {
            database: database.to_owned(),
            bytes: new_bytes,
            limit: MAX_NEW_SCHEMA_BYTES,
        });
    }
    Ok(plan)
}

fn check_name_length(role: &'static str, name: &str) -> Result<(), CatalogError> {
    if name.len() > schema::MAX_NAME_BYTES {
        return Err(CatalogError::NameTooLong {
            role,
            bytes: name.len(),
            limit: schema::MAX_NAME_BYTES,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use schema::InfluxFieldType;

    use super::*;
    use crate::{ColumnId, ColumnSchema, DatabaseId, TableId, TableSchema};

    const F64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Float);
    const I64: InfluxColumnType = InfluxColumnType::Field(InfluxFieldType::Integer);

    fn snapshot() -> DatabaseSchema {
        let mut schema = DatabaseSchema::empty(DatabaseId(1));
        let columns = [
            ("host", InfluxColumnType::Tag),
            ("v", F64),
            ("time", InfluxColumnType::Timestamp),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (n, t))| {
            (
                n.to_owned(),
                ColumnSchema {
                    id: ColumnId(i as u64),
                    column_type: t,
                },
            )
        })
        .collect();
        schema.tables.insert(
            "cpu".into(),
            TableSchema {
                id: TableId(1),
                columns,
            },
        );
        schema
    }

    #[test]
    fn plans_only_what_is_missing() {
        let mut up = SchemaUpsert::new();
        up.add("cpu", "v", F64).unwrap();
        up.add("cpu", "w", I64).unwrap();
        up.add("mem", "free", I64).unwrap();
        let plan = plan_upsert("db", &snapshot(), &Limits::default(), &up).unwrap();
        assert_eq!(plan.new_tables, ["mem"]);
        assert_eq!(
            plan.new_columns,
            [
                ("cpu".into(), "w".into(), I64),
                ("mem".into(), "free".into(), I64)
            ]
        );
    }

    #[test]
    fn conflicts_name_table_column_and_both_types() {
        let mut up = SchemaUpsert::new();
        up.add("cpu", "host", F64).unwrap();
        let err = plan_upsert("db", &snapshot(), &Limits::default(), &up).unwrap_err();
        assert_eq!(
            err.to_string(),
            "schema conflict: table cpu, column host is type tag but write has type f64"
        );
        let mut up = SchemaUpsert::new();
        up.add("t", "c", F64).unwrap();
        let err = up.add("t", "c", I64).unwrap_err();
        assert!(matches!(
            err,
            CatalogError::SchemaConflict {
                existing: F64,
                write: I64,
                ..
            }
        ));
    }

    #[test]
    fn long_names_and_large_changes_are_refused() {
        let long = "n".repeat(schema::MAX_NAME_BYTES + 1);
        let fits = "n".repeat(schema::MAX_NAME_BYTES);
        let mut up = SchemaUpsert::new();
        up.add(&long, "v", F64).unwrap();
        assert_eq!(
            plan_upsert("db", &snapshot(), &Limits::default(), &up)
                .unwrap_err()
                .to_string(),
            "the table name of 257 bytes is longer than the limit of 256 bytes"
        );
        let mut up = SchemaUpsert::new();
        up.add("cpu", &long, F64).unwrap();
        assert!(matches!(
            plan_upsert("db", &snapshot(), &Limits::default(), &up),
            Err(CatalogError::NameTooLong {
                role: "column",
                bytes: 257,
                limit: 256
            })
        ));
        let mut up = SchemaUpsert::new();
        up.add("cpu", &fits, F64).unwrap();
        assert!(plan_upsert("db", &snapshot(), &Limits::default(), &up).is_ok());

        // 1 100 new columns of 256 bytes: over the per-write bound, within the table limits.
        let limits = Limits {
            max_tables: 100,
            max_columns_per_table: 10_000,
        };
        let mut up = SchemaUpsert::new();
        for i in 0..1_100 {
            up.add("wide", &format!("{i:0>256}"), F64).unwrap();
        }
        let err = plan_upsert("db", &snapshot(), &limits, &up).unwrap_err();
        assert_eq!(
            err,
            CatalogError::SchemaChangeLimit {
                database: "db".into(),
                bytes: 4 + 1_100 * 256,
                limit: MAX_NEW_SCHEMA_BYTES,
            }
        );
        assert!(
            err.to_string()
                .starts_with("service limit reached: this write adds")
        );
    }

    #[test]
    fn limits_count_existing_and_new() {
        let limits = Limits {
            max_tables: 1,
            max_columns_per_table: 4,
        };
        let mut up = SchemaUpsert::new();
        up.add("mem", "x", F64).unwrap();
        let err = plan_upsert("db", &snapshot(), &limits, &up).unwrap_err();
        assert_eq!(
            err.to_string(),
            "service limit reached: couldn't create table(s) mem in database \"db\"; it has 1 table(s), applying this write would result in 2, limit is 1"
        );
        let mut up = SchemaUpsert::new();
        up.add("cpu", "a", F64).unwrap();
        assert!(plan_upsert("db", &snapshot(), &limits, &up).is_ok());
        up.add("cpu", "b", F64).unwrap();
        let err = plan_upsert("db", &snapshot(), &limits, &up).unwrap_err();
        assert_eq!(
            err.to_string(),
            "service limit reached: couldn't create columns in table cpu; table contains 3 existing column(s), applying this write would result in 5 columns, limit is 4"
        );
    }
}
