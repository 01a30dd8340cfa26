//! Shared fixtures: a batch with every column type, nulls and repeated dictionary values, and
//! a checker that inspects a written file with the parquet crate's own metadata reader.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use catalog::{DatabaseId, ParquetFileRecord, TableId};
use line_protocol::Precision;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::basic::{Compression, Encoding};
use parquet::file::metadata::{PageIndexPolicy, ParquetMetaDataReader};
use parquet::file::page_index::column_index::ColumnIndexMetaData;
use parquet_store::{
    FileMeta, QUIVER_METADATA_VERSION, QuiverMetadata, parse_object_path, read_parquet,
};
use schema::{COLUMN_TYPE_METADATA_KEY, MEASUREMENT_METADATA_KEY};

/// Line protocol covering tags (with nulls and repeats), every field type (with nulls), and
/// duplicate primary keys (last write wins).
pub(crate) const LINES: &str = "\
weather,city=paris,station=a temp=12.5,count=3i,ok=true,note=\"first\",big=18446744073709551615u 1700000000000000000
weather,city=paris temp=13.5,count=4i 1700000000000000000
weather,city=oslo,station=b temp=-4.25,note=\"snow \\\"heavy\\\"\" 1700000060000000000
weather,city=paris,station=a temp=99.0 1700000000000000000
weather,city=oslo,station=b ok=false,big=0u 1700000120000000000
weather,city=rome count=-7i 1699999999000000000
";

/// The converted, sorted and deduplicated batch of [`LINES`] (5 rows).
pub(crate) fn weather_batch() -> RecordBatch {
    let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
    converter.write_lp(LINES);
    let converted = converter.finish().unwrap();
    assert!(
        converted.rejections.is_empty(),
        "{:?}",
        converted.rejections
    );
    let batch = schema::dedup::sort_dedup(&[converted.tables[0].batch.clone()]).unwrap();
    assert_eq!(batch.num_rows(), 5);
    batch
}

pub(crate) fn file_meta(partition_key: &str) -> FileMeta {
    FileMeta {
        database_id: DatabaseId(11),
        database_name: "db-1".into(),
        table_id: TableId(22),
        table_name: "weather".into(),
        partition_key: partition_key.into(),
        log_partition: 3,
        min_offset: 100,
        max_offset: 140,
    }
}

/// Checks everything about one written file: the record, the object, the footer (ZSTD,
/// statistics, page index, sorting columns, quiver:metadata), and the round trip.
pub(crate) async fn check_written(
    store: &Arc<dyn ObjectStore>,
    meta: &FileMeta,
    record: &ParquetFileRecord,
    batch: &RecordBatch,
) {
    // The record.
    assert_eq!(record.database_id, meta.database_id);
    assert_eq!(record.table_id, meta.table_id);
    assert_eq!(record.partition_key, meta.partition_key);
    assert_eq!(record.row_count, batch.num_rows() as u64);
    assert_eq!(
        (record.log_partition, record.min_offset, record.max_offset),
        (meta.log_partition, meta.min_offset, meta.max_offset)
    );
    assert_eq!(
        (record.min_time_ns, record.max_time_ns),
        (1_699_999_999_000_000_000, 1_700_000_120_000_000_000)
    );
    let uuid = uuid::Uuid::parse_str(&record.object_id).unwrap();
    assert_eq!(uuid.get_version_num(), 4);
    assert!(record.created_at_ns > 1_700_000_000_000_000_000);

    // The object: where the record says, as large as it says.
    let path = parse_object_path(&record.path).unwrap();
    let bytes = store.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, record.size_bytes);
    assert_eq!(&bytes[..4], b"PAR1");

    // The footer, read by the parquet crate itself (with the page index).
    let footer = ParquetMetaDataReader::new()
        .with_page_index_policy(PageIndexPolicy::Required)
        .parse_and_finish(&bytes)
        .unwrap();
    let kv = footer.file_metadata().key_value_metadata().unwrap();
    let keys: Vec<&str> = kv.iter().map(|kv| kv.key.as_str()).collect();
    assert!(keys.contains(&"ARROW:schema"), "{keys:?}");
    let quiver = QuiverMetadata::from_key_values(Some(kv), &record.path).unwrap();
    assert_eq!(
        quiver,
        QuiverMetadata {
            version: QUIVER_METADATA_VERSION,
            object_id: record.object_id.clone(),
            database_id: meta.database_id,
            database_name: meta.database_name.clone(),
            table_id: meta.table_id,
            table_name: meta.table_name.clone(),
            partition_key: meta.partition_key.clone(),
            log_partition: meta.log_partition,
            min_offset: meta.min_offset,
            max_offset: meta.max_offset,
            min_time_ns: record.min_time_ns,
            max_time_ns: record.max_time_ns,
            row_count: record.row_count,
            sort_key: vec!["city".into(), "station".into(), "time".into()],
            created_at_ns: record.created_at_ns,
            compaction_level: 0,
        }
    );
    let column_index = footer.column_index().expect("page index written");
    for (g, group) in footer.row_groups().iter().enumerate() {
        let sorting: Vec<_> = group
            .sorting_columns()
            .unwrap()
            .iter()
            .map(|c| (c.column_idx, c.descending, c.nulls_first))
            .collect();
        let time_idx = batch.schema().index_of("time").unwrap() as i32;
        assert_eq!(
            sorting,
            [(0, false, true), (1, false, true), (time_idx, false, true)]
        );
        for (c, chunk) in group.columns().iter().enumerate() {
            let name = chunk.column_descr().name();
            assert!(
                matches!(chunk.compression(), Compression::ZSTD(_)),
                "{name}"
            );
            let delta = chunk
                .encodings()
                .any(|e| e == Encoding::DELTA_BINARY_PACKED);
            let dictionary = chunk.dictionary_page_offset().is_some();
            if ["time", "count", "big"].contains(&name) {
                assert!(delta && !dictionary, "{name}: delta encoded, no dictionary");
            } else {
                assert!(!delta, "{name}");
            }
            if ["city", "station", "note", "temp"].contains(&name) {
                assert!(dictionary, "{name}: dictionary encoded");
            }
            let stats = chunk
                .statistics()
                .unwrap_or_else(|| panic!("no stats: {name}"));
            assert!(stats.null_count_opt().is_some(), "{name}");
            // Page-level min/max (column index) for every column.
            assert!(
                !matches!(column_index[g][c], ColumnIndexMetaData::NONE),
                "no page index: {name}"
            );
        }
    }

    // The round trip: same schema (types, iox::column::type, measurement), same rows.
    let data = read_parquet(store, record).await.unwrap();
    assert_eq!(data.meta, quiver);
    assert_eq!(data.schema, batch.schema());
    for field in data.schema.fields() {
        assert!(
            field.metadata().contains_key(COLUMN_TYPE_METADATA_KEY),
            "{field}"
        );
    }
    assert_eq!(
        data.schema
            .metadata()
            .get(MEASUREMENT_METADATA_KEY)
            .map(String::as_str),
        Some("weather")
    );
    let read = concat_batches(&data.schema, &data.batches).unwrap();
    assert_eq!(&read, batch);
}
