//! Flight SQL catalog listings over one database's DataFusion session: what
//! `GetCatalogs`, `GetDbSchemas`, `GetTables` and `GetTableTypes` answer.
//!
//! ```text
//! SessionContext (catalog `public`: schemas `iox` (the database's tables), `system`,
//!                 `information_schema`)
//!   catalogs()     ──► GetCatalogsBuilder
//!   db_schemas()   ──► GetDbSchemasBuilder (catalog filter, schema LIKE pattern)
//!   tables()       ──► GetTablesBuilder (filters, table types; include_schema: each table's
//!                      Arrow schema as the client will receive it, IPC-encoded)
//!   table_types()  ──► "BASE TABLE", "VIEW"
//! ```

use arrow_flight::sql::metadata::{GetCatalogsBuilder, GetDbSchemasBuilder, GetTablesBuilder};
use arrow_flight::sql::{CommandGetDbSchemas, CommandGetTableTypes, CommandGetTables};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema;
use datafusion::datasource::TableType;
use datafusion::prelude::SessionContext;
use std::sync::Arc;

use crate::QueryServiceError;
use crate::sql::plan::flight_schema;

/// The table types a Quiver session has (DataFusion's Base and View).
pub const TABLE_TYPES: [&str; 2] = ["BASE TABLE", "VIEW"];

/// `GetCatalogs`.
pub fn catalogs(ctx: &SessionContext) -> Result<RecordBatch, QueryServiceError> {
    let mut builder = GetCatalogsBuilder::new();
    for name in ctx.catalog_names() {
        builder.append(name);
    }
    Ok(builder.build()?)
}

/// `GetDbSchemas`.
pub fn db_schemas(
    ctx: &SessionContext,
    command: CommandGetDbSchemas,
) -> Result<RecordBatch, QueryServiceError> {
    let mut builder = command.into_builder();
    for catalog_name in ctx.catalog_names() {
        let Some(catalog) = ctx.catalog(&catalog_name) else {
            continue;
        };
        for schema_name in catalog.schema_names() {
            builder.append(&catalog_name, schema_name);
        }
    }
    Ok(builder.build()?)
}

/// The schema of a `GetDbSchemas` answer.
pub fn db_schemas_schema() -> Arc<Schema> {
    GetDbSchemasBuilder::new(None::<String>, None::<String>).schema()
}

/// `GetTables` (with `include_schema`: each table's schema as DoGet would send it).
pub async fn tables(
    ctx: &SessionContext,
    command: CommandGetTables,
) -> Result<RecordBatch, QueryServiceError> {
    let mut builder = command.into_builder();
    for catalog_name in ctx.catalog_names() {
        let Some(catalog) = ctx.catalog(&catalog_name) else {
            continue;
        };
        for schema_name in catalog.schema_names() {
            let Some(schema) = catalog.schema(&schema_name) else {
                continue;
            };
            let mut names = schema.table_names();
            names.sort();
            for table_name in names {
                let Some(table) = schema.table(&table_name).await? else {
                    continue;
                };
                let table_schema = if builder.include_schema() {
                    flight_schema(&table.schema())
                } else {
                    Schema::empty()
                };
                builder.append(
                    &catalog_name,
                    &schema_name,
                    &table_name,
                    table_type_name(table.table_type()),
                    &table_schema,
                )?;
            }
        }
    }
    Ok(builder.build()?)
}

/// The schema of a `GetTables` answer.
pub fn tables_schema(include_schema: bool) -> Arc<Schema> {
    GetTablesBuilder::new(
        None::<String>,
        None::<String>,
        None::<String>,
        Vec::<String>::new(),
        include_schema,
    )
    .schema()
}

/// `GetTableTypes`.
pub fn table_types() -> Result<RecordBatch, QueryServiceError> {
    let mut builder = CommandGetTableTypes {}.into_builder();
    for table_type in TABLE_TYPES {
        builder.append(table_type);
    }
    Ok(builder.build()?)
}

/// The schema of a `GetTableTypes` answer.
pub fn table_types_schema() -> Arc<Schema> {
    CommandGetTableTypes {}.into_builder().schema()
}

/// The schema of a `GetCatalogs` answer.
pub fn catalogs_schema() -> Arc<Schema> {
    GetCatalogsBuilder::new().schema()
}

/// The name JDBC/ODBC tools expect for a DataFusion table type (as information_schema shows).
fn table_type_name(table_type: TableType) -> &'static str {
    match table_type {
        TableType::Base => "BASE TABLE",
        TableType::View => "VIEW",
        TableType::Temporary => "LOCAL TEMPORARY",
    }
}
