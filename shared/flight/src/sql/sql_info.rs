//! `GetSqlInfo`: what the server tells Flight SQL clients about itself, in the spec's schema
//! (`info_name: uint32 not null, value: dense_union<string_value, bool_value, bigint_value,
//! int32_bitmask, string_list, int32_to_int32_list_map>`; the Go ADBC driver panics on any
//! other schema).
//!
//! ```text
//! sql_info_data() ──► SqlInfoDataBuilder: server name/version, Arrow version, read-only,
//!   no transactions/cancel/ingest/substrait, SQL grammar and identifier rules of DataFusion,
//!   the SQL keywords of its parser
//! CommandGetSqlInfo { info: [ids] } ──► rows for those ids (all rows when empty)
//! ```

use arrow_flight::error::FlightError;
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder};
use arrow_flight::sql::{
    SqlInfo, SqlNullOrdering, SqlOuterJoinsSupportLevel, SqlSupportedCaseSensitivity,
    SqlSupportedTransaction, SupportedSqlGrammar,
};
use datafusion::sql::sqlparser::keywords::ALL_KEYWORDS;

/// The server name clients see (`adbc_get_info()["vendor_name"]`).
pub const SERVER_NAME: &str = "Quiver";

/// The Arrow version Quiver is built with (checked against Cargo.lock by a test).
pub const ARROW_VERSION: &str = "59.3.2";

/// The answer to every `GetSqlInfo`, before filtering by the requested ids.
pub fn sql_info_data() -> Result<SqlInfoData, FlightError> {
    let mut b = SqlInfoDataBuilder::new();
    b.append(SqlInfo::FlightSqlServerName, SERVER_NAME);
    b.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    b.append(SqlInfo::FlightSqlServerArrowVersion, ARROW_VERSION);
    b.append(SqlInfo::FlightSqlServerReadOnly, true);
    b.append(SqlInfo::FlightSqlServerSql, true);
    b.append(SqlInfo::FlightSqlServerSubstrait, false);
    b.append(
        SqlInfo::FlightSqlServerTransaction,
        SqlSupportedTransaction::None as i32,
    );
    b.append(SqlInfo::FlightSqlServerCancel, false);
    b.append(SqlInfo::FlightSqlServerBulkIngestion, false);
    b.append(SqlInfo::FlightSqlServerIngestTransactionsSupported, false);
    b.append(SqlInfo::FlightSqlServerStatementTimeout, 0i32);
    b.append(SqlInfo::FlightSqlServerTransactionTimeout, 0i32);

    b.append(SqlInfo::SqlDdlCatalog, false);
    b.append(SqlInfo::SqlDdlSchema, false);
    b.append(SqlInfo::SqlDdlTable, false);
    // Unquoted identifiers are folded to lower case by DataFusion's parser.
    b.append(
        SqlInfo::SqlIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityLowercase as i32,
    );
    b.append(SqlInfo::SqlIdentifierQuoteChar, "\"");
    b.append(SqlInfo::SqlAllTablesAreSelectable, true);
    // ASC puts NULLs last, DESC first: NULL sorts as the highest value.
    b.append(
        SqlInfo::SqlNullOrdering,
        SqlNullOrdering::SqlNullsSortedHigh as i32,
    );
    let keywords: Vec<String> = ALL_KEYWORDS.iter().map(|k| k.to_string()).collect();
    b.append(SqlInfo::SqlKeywords, keywords);
    b.append(SqlInfo::SqlSearchStringEscape, "\\");
    b.append(SqlInfo::SqlExtraNameCharacters, "");
    b.append(SqlInfo::SqlSupportsColumnAliasing, true);
    b.append(SqlInfo::SqlNullPlusNullIsNull, true);
    b.append(SqlInfo::SqlSupportsTableCorrelationNames, true);
    b.append(SqlInfo::SqlSupportsDifferentTableCorrelationNames, false);
    b.append(SqlInfo::SqlSupportsExpressionsInOrderBy, true);
    b.append(SqlInfo::SqlSupportsOrderByUnrelated, true);
    // Bits: SQL_GROUP_BY_UNRELATED, SQL_GROUP_BY_BEYOND_SELECT.
    b.append(SqlInfo::SqlSupportedGroupBy, 0b11i32);
    b.append(SqlInfo::SqlSupportsLikeEscapeClause, true);
    b.append(SqlInfo::SqlSupportsNonNullableColumns, true);
    b.append(
        SqlInfo::SqlSupportedGrammar,
        (1 << SupportedSqlGrammar::SqlMinimumGrammar as i32)
            | (1 << SupportedSqlGrammar::SqlCoreGrammar as i32),
    );
    // Bits: ANSI92_ENTRY_SQL, ANSI92_INTERMEDIATE_SQL.
    b.append(SqlInfo::SqlAnsi92SupportedLevel, 0b11i32);
    b.append(
        SqlInfo::SqlOuterJoinsSupportLevel,
        SqlOuterJoinsSupportLevel::SqlFullOuterJoins as i32,
    );
    b.append(SqlInfo::SqlSchemaTerm, "schema");
    b.append(SqlInfo::SqlProcedureTerm, "procedure");
    b.append(SqlInfo::SqlCatalogTerm, "catalog");
    b.append(SqlInfo::SqlCatalogAtStart, true);
    b.append(SqlInfo::SqlSelectForUpdateSupported, false);
    b.append(SqlInfo::SqlStoredProceduresSupported, false);
    // Bits: comparisons, EXISTS, IN, quantified comparisons.
    b.append(SqlInfo::SqlSupportedSubqueries, 0b1111i32);
    b.append(SqlInfo::SqlCorrelatedSubqueriesSupported, true);
    // Bits: UNION, UNION ALL.
    b.append(SqlInfo::SqlSupportedUnions, 0b11i32);
    b.append(SqlInfo::SqlTransactionsSupported, false);
    b.append(SqlInfo::SqlBatchUpdatesSupported, false);
    b.append(SqlInfo::SqlSavepointsSupported, false);
    b.append(SqlInfo::SqlNamedParametersSupported, true);
    b.build()
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray, UnionArray};
    use datafusion::arrow::datatypes::{DataType, UInt32Type, UnionMode};

    use super::*;

    #[test]
    fn spec_schema_and_filtered_rows() {
        let data = sql_info_data().unwrap();
        let schema = data.schema();
        assert_eq!(schema.field(0).name(), "info_name");
        assert_eq!(schema.field(0).data_type(), &DataType::UInt32);
        assert!(!schema.field(0).is_nullable());
        let DataType::Union(fields, UnionMode::Dense) = schema.field(1).data_type() else {
            panic!("value must be a dense union: {schema:?}");
        };
        let names: Vec<_> = fields.iter().map(|(_, f)| f.name().as_str()).collect();
        assert_eq!(
            names,
            [
                "string_value",
                "bool_value",
                "bigint_value",
                "int32_bitmask",
                "string_list",
                "int32_to_int32_list_map"
            ]
        );

        let batch = data.record_batch([0, 1, 2, 8]).unwrap();
        let ids: Vec<u32> = batch
            .column(0)
            .as_primitive::<UInt32Type>()
            .values()
            .to_vec();
        assert_eq!(ids, [0, 1, 2, 8]);
        let values = batch
            .column(1)
            .as_any()
            .downcast_ref::<UnionArray>()
            .unwrap();
        let name = values.value(0);
        assert_eq!(name.as_string::<i32>().value(0), "Quiver");
        let transaction = values.value(3);
        assert_eq!(
            transaction
                .as_primitive::<datafusion::arrow::datatypes::Int32Type>()
                .value(0),
            SqlSupportedTransaction::None as i32
        );
        assert!(data.record_batch([]).unwrap().num_rows() > 40);
    }

    #[test]
    fn arrow_version_matches_the_lock_file() {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        );
        let lock = std::fs::read_to_string(manifest_dir.join("../../Cargo.lock")).unwrap();
        let version = lock
            .split("[[package]]")
            .find_map(|p| {
                let p = p.trim();
                p.strip_prefix("name = \"arrow\"\nversion = \"")
                    .and_then(|rest| rest.split('"').next())
            })
            .unwrap();
        assert_eq!(version, ARROW_VERSION);
    }
}
