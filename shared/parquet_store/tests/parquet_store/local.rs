//! Writing and reading on local files (`--object-store file`) and in memory.

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::TimestampNanosecondType;
use config::{ObjectStoreArgs, ObjectStoreKind};
use futures::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet_store::{
    ReadOptions, StoreError, WriteOptions, object_store_from, parse_object_path, read_parquet_path,
    write_parquet, write_parquet_with,
};

use super::common::{check_written, file_meta, weather_batch};

fn file_store(dir: &std::path::Path) -> Arc<dyn ObjectStore> {
    let args = ObjectStoreArgs {
        object_store: Some(ObjectStoreKind::File),
        ..ObjectStoreArgs::default()
    };
    object_store_from(&args, Some(dir)).unwrap()
}

/// Every file below `dir`, relative, sorted.
fn files_below(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn round_trip_on_local_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(dir.path());
    let batch = weather_batch();
    let meta = file_meta("2023-11-14");
    let record = write_parquet(&store, &meta, &batch).await.unwrap();
    assert_eq!(
        record.path,
        format!("11/22/2023-11-14/{}.parquet", record.object_id)
    );
    check_written(&store, &meta, &record, &batch).await;
    // Exactly one file on disk, at the layout path: no staging leftovers.
    assert_eq!(
        files_below(dir.path()),
        [format!(
            "objects/11/22/2023-11-14/{}.parquet",
            record.object_id
        )]
    );
    // Two writes of the same rows are two objects (UUIDs), never an overwrite.
    let again = write_parquet(&store, &meta, &batch).await.unwrap();
    assert_ne!(again.object_id, record.object_id);
    assert_eq!(files_below(dir.path()).len(), 2);
}

#[tokio::test]
async fn partition_keys_are_escaped_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = file_store(dir.path());
    let batch = weather_batch();
    let meta = file_meta("city=a/b|..");
    let record = write_parquet(&store, &meta, &batch).await.unwrap();
    assert_eq!(
        record.path,
        format!("11/22/city=a%2Fb%7C../{}.parquet", record.object_id)
    );
    check_written(&store, &meta, &record, &batch).await;
    let dotdot = file_meta("..");
    let record = write_parquet(&store, &dotdot, &batch).await.unwrap();
    assert!(record.path.starts_with("11/22/%2E%2E/"), "{}", record.path);
    assert!(dir.path().join("objects/11/22/%2E%2E").is_dir());
}

#[tokio::test]
async fn row_groups_projection_and_time_pruning() {
    let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let batch = weather_batch();
    let options = WriteOptions {
        max_row_group_rows: 2,
        ..WriteOptions::default()
    };
    let record = write_parquet_with(&store, &file_meta("p"), &batch, options)
        .await
        .unwrap();
    let path = parse_object_path(&record.path).unwrap();

    let all = read_parquet_path(&store, &path, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(all.parquet_metadata.num_row_groups(), 3);
    assert_eq!(concat_batches(&all.schema, &all.batches).unwrap(), batch);

    // Rows are sorted (city, station, time): oslo/b 060, oslo/b 120, paris 000, paris/a 000,
    // rome 59.999…; the range below keeps the two oslo rows, from row group 0 only.
    let times = |b: &RecordBatch| -> Vec<i64> {
        b.column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampNanosecondType>()
            .values()
            .to_vec()
    };
    let ranged = ReadOptions {
        columns: Some(vec!["temp".into(), "city".into()]),
        time_range: Some((1_700_000_050_000_000_000, 1_700_000_200_000_000_000)),
    };
    let some = read_parquet_path(&store, &path, &ranged).await.unwrap();
    let names: Vec<_> = some
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["city", "temp"]);
    let rows = concat_batches(&some.schema, &some.batches).unwrap();
    assert_eq!(rows.num_rows(), 2);
    assert_eq!(rows.schema(), some.schema);
    let temps = rows
        .column(1)
        .as_primitive::<arrow::datatypes::Float64Type>();
    // The 120 s row has no temp.
    assert_eq!(temps.iter().collect::<Vec<_>>(), [Some(-4.25), None]);

    // With `time` in the projection, the filter is exact.
    let with_time = ReadOptions {
        columns: Some(vec!["time".into()]),
        time_range: Some((1_700_000_000_000_000_000, 1_700_000_000_000_000_000)),
    };
    let exact = read_parquet_path(&store, &path, &with_time).await.unwrap();
    let got: Vec<i64> = exact.batches.iter().flat_map(times).collect();
    assert_eq!(got, [1_700_000_000_000_000_000; 2]);

    let bad = ReadOptions {
        columns: Some(vec!["nope".into()]),
        time_range: None,
    };
    let err = read_parquet_path(&store, &path, &bad).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "parquet file {}: Parquet error: no column named \"nope\"",
            record.path
        )
    );
}

#[tokio::test]
async fn invalid_batches_and_missing_files() {
    let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
    let batch = weather_batch();
    let empty = batch.slice(0, 0);
    let err = write_parquet(&store, &file_meta("p"), &empty)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "cannot write table weather: no rows");
    let no_time = batch.project(&[0, 1, 2]).unwrap();
    let err = write_parquet(&store, &file_meta("p"), &no_time)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot write table weather: no time column"
    );
    let err = write_parquet(&store, &file_meta(""), &batch)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::EmptyPartitionKey));
    let bad_level = WriteOptions {
        zstd_level: 99,
        ..WriteOptions::default()
    };
    let err = write_parquet_with(&store, &file_meta("p"), &batch, bad_level)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot write table weather: zstd level 99:"),
        "{err}"
    );
    // Nothing was written by the failed calls.
    assert_eq!(store.list(None).count().await, 0);

    let missing = parse_object_path("1/2/p/none.parquet").unwrap();
    let err = read_parquet_path(&store, &missing, &ReadOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("parquet file 1/2/p/none.parquet: "),
        "{err}"
    );

    // A Parquet file without quiver:metadata is refused with a clear message.
    let foreign = object_store::path::Path::from("foreign.parquet");
    let mut buffer = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut buffer, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    store.put(&foreign, buffer.into()).await.unwrap();
    let err = read_parquet_path(&store, &foreign, &ReadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "parquet file foreign.parquet has no quiver:metadata metadata (not written by Quiver?)"
    );
}
