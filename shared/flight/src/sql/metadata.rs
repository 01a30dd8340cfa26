//! Flight SQL catalog listings over one database's DataFusion session: what
//! `GetCatalogs`, `GetDbSchemas`, `GetTables` and `GetTableTypes` answer.
//!
//! ```text
//! SessionContext (catalog `public`: schemas `iox` (the database's tables), `system`, and
//!                 DataFusion's virtual `information_schema`, added as its own tables list it)
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
use datafusion::catalog::SchemaProvider;
use datafusion::catalog::information_schema::{INFORMATION_SCHEMA, InformationSchemaProvider};
use datafusion::datasource::TableType;
use datafusion::prelude::SessionContext;
use std::sync::Arc;

use crate::QueryServiceError;
use crate::sql::plan::flight_schema;

/// The table types a Quiver session has (DataFusion's Base and View).
pub const TABLE_TYPES: [&str; 2] = ["BASE TABLE", "VIEW"];

/// `GetCatalogs`.
pub(super) fn catalogs(ctx: &SessionContext) -> Result<RecordBatch, QueryServiceError> {
    let mut builder = GetCatalogsBuilder::new();
    for name in ctx.catalog_names() {
        builder.append(name);
    }
    Ok(builder.build()?)
}

/// `GetDbSchemas`.
pub(super) fn db_schemas(
    ctx: &SessionContext,
    command: CommandGetDbSchemas,
) -> Result<RecordBatch, QueryServiceError> {
    let mut builder = command.into_builder();
    for catalog_name in ctx.catalog_names() {
        for (schema_name, _) in schemas(ctx, &catalog_name) {
            builder.append(&catalog_name, schema_name);
        }
    }
    Ok(builder.build()?)
}

/// The schema of a `GetDbSchemas` answer.
pub(super) fn db_schemas_schema() -> Arc<Schema> {
    GetDbSchemasBuilder::new(None::<String>, None::<String>).schema()
}

/// `GetTables` (with `include_schema`: each table's schema as DoGet would send it).
pub(super) async fn tables(
    ctx: &SessionContext,
    command: CommandGetTables,
) -> Result<RecordBatch, QueryServiceError> {
    let mut builder = command.into_builder();
    for catalog_name in ctx.catalog_names() {
        for (schema_name, schema) in schemas(ctx, &catalog_name) {
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

/// The schemas of a catalog, sorted, with DataFusion's virtual `information_schema` (which
/// the catalog itself does not list) when the session has it.
fn schemas(ctx: &SessionContext, catalog_name: &str) -> Vec<(String, Arc<dyn SchemaProvider>)> {
    let Some(catalog) = ctx.catalog(catalog_name) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Arc<dyn SchemaProvider>)> = catalog
        .schema_names()
        .into_iter()
        .filter_map(|name| catalog.schema(&name).map(|schema| (name, schema)))
        .collect();
    let state = ctx.state();
    if state.config().information_schema()
        && !out.iter().any(|(name, _)| name == INFORMATION_SCHEMA)
    {
        let provider = InformationSchemaProvider::new(Arc::clone(state.catalog_list()));
        out.push((INFORMATION_SCHEMA.to_string(), Arc::new(provider)));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The schema of a `GetTables` answer.
pub(super) fn tables_schema(include_schema: bool) -> Arc<Schema> {
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
pub(super) fn table_types() -> Result<RecordBatch, QueryServiceError> {
    let mut builder = CommandGetTableTypes {}.into_builder();
    for table_type in TABLE_TYPES {
        builder.append(table_type);
    }
    Ok(builder.build()?)
}

/// The schema of a `GetTableTypes` answer.
pub(super) fn table_types_schema() -> Arc<Schema> {
    CommandGetTableTypes {}.into_builder().schema()
}

/// The schema of a `GetCatalogs` answer.
pub(super) fn catalogs_schema() -> Arc<Schema> {
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
