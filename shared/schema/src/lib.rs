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
//! back. [`dedup`] sorts a table's rows by primary key and keeps one row per key (last write
//! wins per field).
//!
//! ```
//! use line_protocol::Precision;
//! use schema::LinesConverter;
//!
//! let mut converter = LinesConverter::new(1_000, Precision::Seconds);
//! converter.write_lp("cpu,host=a usage=0.5 1\ncpu,host=b usage=1i 2\ncpu idle=true\n");
//! let out = converter.finish().unwrap();
//! assert_eq!(out.stats.lines_accepted, 2);
//! assert_eq!(
//!     out.rejections[0].to_string(),
//!     "error parsing line 2 (1-based): schema conflict: table cpu, column usage is type f64 but write has type i64"
//! );
//! let cpu = &out.tables[0].batch;
//! let names: Vec<_> = cpu.schema().fields().iter().map(|f| f.name().clone()).collect();
//! assert_eq!(names, ["host", "idle", "usage", "time"]);
//! assert_eq!(cpu.num_rows(), 2); // the second row: host and usage null, time 1_000
//! ```

pub mod arrow_conventions;
pub mod column_type;
mod convert;
pub mod dedup;
mod memory;

pub use arrow_conventions::{
    SchemaError, arrow_data_type, arrow_field, arrow_schema, influx_column_type, measurement_name,
    sort_columns,
};
pub use column_type::{
    COLUMN_TYPE_METADATA_KEY, InfluxColumnType, InfluxFieldType, MAX_NAME_BYTES,
    MEASUREMENT_METADATA_KEY, TIME_COLUMN_NAME,
};
pub use convert::{
    ConversionStats, ConvertPool, ConvertedLines, LineErrorKind, LineRejection, LinesConverter,
    MIN_CHUNK_BYTES, TableBatch,
};
pub use memory::batch_memory_bytes;
