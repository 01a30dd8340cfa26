//! Parquet files on object storage: the store the flags describe, the path layout, and writing
//! and reading Quiver Parquet files (docs/architecture.md, "Parquet files").
//!
//! ```text
//! ObjectStoreArgs + --data-dir ──► object_store_from ──► Arc<dyn ObjectStore>
//!                                   (file: <data-dir>/objects, s3, gcs, azure, memory)
//!
//! rows of one (table, partition) ──► schema::dedup::sort_dedup ──► one sorted batch
//!   ──► write_parquet(store, FileMeta, batch)
//!         ──► <db_id>/<table_id>/<partition_key>/<uuid>.parquet
//!             (ZSTD, page + chunk statistics, ≤ 1 Mi rows per row group, Arrow schema with
//!              iox::column::type, key/value quiver:metadata = versioned JSON)
//!         ──► ParquetFileRecord (for catalog::commit_persist)
//!
//! read_parquet(store, &record) / read_parquet_path(store, path, ReadOptions)
//!   ──► ParquetData { schema, batches, meta: QuiverMetadata, parquet_metadata }
//! ```
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::sync::Arc;
//! use catalog::{DatabaseId, TableId};
//! use config::{ObjectStoreArgs, ObjectStoreKind};
//! use line_protocol::Precision;
//! use parquet_store::{FileMeta, object_store_from, read_parquet, write_parquet};
//!
//! let args = ObjectStoreArgs { object_store: Some(ObjectStoreKind::Memory), ..Default::default() };
//! let store = object_store_from(&args, None).unwrap();
//!
//! let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
//! converter.write_lp("cpu,host=a usage=1 10\ncpu,host=a usage=2 10\ncpu,host=b usage=3 5\n");
//! let converted = converter.finish().unwrap();
//! let batch = schema::dedup::sort_dedup(&[converted.tables[0].batch.clone()]).unwrap();
//!
//! let meta = FileMeta {
//!     database_id: DatabaseId(1), database_name: "db".into(),
//!     table_id: TableId(2), table_name: "cpu".into(),
//!     partition_key: "1970-01-01".into(), log_partition: 0, min_offset: 0, max_offset: 2,
//! };
//! let record = write_parquet(&store, &meta, &batch).await.unwrap();
//! assert_eq!((record.row_count, record.min_time_ns, record.max_time_ns), (2, 5, 10));
//! assert!(record.path.starts_with("1/2/1970-01-01/"));
//!
//! let data = read_parquet(&store, &record).await.unwrap();
//! assert_eq!(data.batches.concat_rows(), batch);
//! # trait Concat { fn concat_rows(&self) -> arrow::array::RecordBatch; }
//! # impl Concat for Vec<arrow::array::RecordBatch> {
//! #     fn concat_rows(&self) -> arrow::array::RecordBatch {
//! #         arrow::compute::concat_batches(&self[0].schema(), self).unwrap()
//! #     }
//! # }
//! # });
//! ```

mod error;
mod metadata;
mod path;
mod read;
mod store;
mod stream_write;
mod write;

pub use error::StoreError;
pub use metadata::{FileMeta, QUIVER_METADATA_KEY, QUIVER_METADATA_VERSION, QuiverMetadata};
pub use path::{PARQUET_SUFFIX, ParquetFilePath, parse_object_path};
pub use read::{ParquetData, ReadOptions, read_parquet, read_parquet_path, read_schema};
pub use store::{OBJECTS_DIR, object_store_from, probe, s3_store};
pub use stream_write::ParquetStreamWriter;
pub use write::{
    DEFAULT_MAX_ROW_GROUP_ROWS, DEFAULT_ZSTD_LEVEL, EncodedParquet, WriteOptions, encode_parquet,
    put_parquet, write_parquet, write_parquet_with,
};

/// The object_store crate this crate is built against (same version everywhere).
pub use object_store;
