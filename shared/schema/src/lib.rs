//! Column types, Arrow conventions, and line protocol → Arrow conversion.
//!
//! ```text
//! request body (&str)
//!   └─► line_protocol::LineParser::next_into ──► ParsedLine<'_> (one, reused)
//!         └─► LinesConverter: table (last-table cache, else hash)
//!               └─► TableBuilder: resolve each tag/field to a column (position hints, else
//!                   hash), validate the whole line, then append:
//!                     tags   → TagDictionary (interned values + i32 keys)
//!                     fields → Vec<f64|i64|u64> / string bytes / bits, + validity bitmap
//!                     time   → Vec<i64> (timestamp × precision, or the default time)
//!   ├─► rejections: Vec<LineRejection> in line order (parse and conversion errors)
//!   └─► finish(): one RecordBatch per table — tags, fields (each sorted by name), `time`;
//!       field metadata `iox::column::type`, schema metadata `iox::measurement::name`
//! ```
//!
//! [`column_type`] names the Influx types; [`arrow_conventions`] maps them to Arrow fields and
//! back.

pub mod arrow_conventions;
pub mod column_type;
mod convert;

pub use arrow_conventions::{
    SchemaError, arrow_data_type, arrow_field, arrow_schema, influx_column_type, measurement_name,
    sort_columns,
};
pub use column_type::{
    COLUMN_TYPE_METADATA_KEY, InfluxColumnType, InfluxFieldType, MEASUREMENT_METADATA_KEY,
    TIME_COLUMN_NAME,
};
pub use convert::{
    ConversionStats, ConvertedLines, LineErrorKind, LineRejection, LinesConverter, TableBatch,
};
