//! Writing and reading on a real moto S3 server.

use std::sync::Arc;

use config::{ObjectStoreArgs, ObjectStoreKind};
use object_store::aws::AmazonS3Builder;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet_store::{WriteOptions, s3_store, write_parquet, write_parquet_with};
use test_support::MotoProcess;

use super::common::{check_written, file_meta, weather_batch};

fn store_for(moto: &MotoProcess, bucket: &str) -> Arc<dyn ObjectStore> {
    let args = ObjectStoreArgs {
        object_store: Some(ObjectStoreKind::S3),
        bucket: Some(bucket.to_string()),
        s3_endpoint: Some(moto.endpoint()),
        s3_region: Some(moto.region().to_string()),
        s3_allow_http: true,
    };
    let credentials = AmazonS3Builder::new()
        .with_access_key_id(moto.access_key_id())
        .with_secret_access_key(moto.secret_access_key());
    s3_store(&args, credentials).unwrap()
}

#[tokio::test]
async fn round_trip_on_moto_s3() {
    let moto = MotoProcess::start("quiver-parquet").unwrap();
    let store = store_for(&moto, moto.bucket());
    let batch = weather_batch();
    let meta = file_meta("2023-11-14");
    let record = write_parquet(&store, &meta, &batch).await.unwrap();
    check_written(&store, &meta, &record, &batch).await;

    // The object is listed under its partition prefix, path-style in the bucket.
    let prefix = object_store::path::Path::from("11/22/2023-11-14");
    let listed: Vec<_> = futures::StreamExt::collect::<Vec<_>>(store.list(Some(&prefix))).await;
    assert_eq!(listed.len(), 1);
    let object = listed.into_iter().next().unwrap().unwrap();
    assert_eq!(object.location.as_ref(), record.path);
    assert_eq!(object.size, record.size_bytes);

    // Escaped partition keys survive S3 too.
    let odd = file_meta("host=a/b %x");
    let record = write_parquet(&store, &odd, &batch).await.unwrap();
    assert!(
        record.path.starts_with("11/22/host=a%2Fb %25x/"),
        "{}",
        record.path
    );
    check_written(&store, &odd, &record, &batch).await;
}

#[tokio::test]
async fn large_file_goes_through_multipart_upload() {
    let moto = MotoProcess::start("quiver-multipart").unwrap();
    let store = store_for(&moto, moto.bucket());
    // Random 128-hex-character notes (64 bytes of entropy each) keep the file above
    // BufWriter's 10 MiB single-put capacity, so the upload is multipart.
    let mut state = 7u64;
    let mut lines = String::new();
    for i in 0..250_000u64 {
        let noise: String = (0..8)
            .map(|_| format!("{:016x}", splitmix64(&mut state)))
            .collect();
        let time = 1_700_000_000_000_000_000u64 + i;
        lines.push_str(&format!("big,host=h{} note=\"{noise}\" {time}\n", i % 7));
    }
    let mut converter = schema::LinesConverter::new(0, line_protocol::Precision::Nanoseconds);
    converter.write_lp(&lines);
    let converted = converter.finish().unwrap();
    let batch = schema::dedup::sort_dedup(&[converted.tables[0].batch.clone()]).unwrap();
    let options = WriteOptions {
        max_row_group_rows: 100_000,
        zstd_level: 1,
    };
    let mut meta = file_meta("2023-11-14");
    meta.table_name = "big".into();
    let record = write_parquet_with(&store, &meta, &batch, options)
        .await
        .unwrap();
    assert!(
        record.size_bytes > 12 * 1024 * 1024,
        "{} bytes",
        record.size_bytes
    );
    let head = store
        .head(&object_store::path::Path::parse(&record.path).unwrap())
        .await
        .unwrap();
    assert_eq!(head.size, record.size_bytes);
    // Multipart objects carry an ETag of the form "<md5>-<parts>".
    let etag = head.e_tag.unwrap_or_default();
    assert!(etag.contains('-'), "expected a multipart ETag, got {etag}");
    let data = parquet_store::read_parquet(&store, &record).await.unwrap();
    assert_eq!(data.num_rows(), 250_000);
    assert_eq!(data.parquet_metadata.num_row_groups(), 3);
}

#[tokio::test]
async fn missing_bucket_is_a_clear_error() {
    let moto = MotoProcess::start("quiver-exists").unwrap();
    let store = store_for(&moto, "no-such-bucket");
    let err = write_parquet(&store, &file_meta("p"), &weather_batch())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("parquet file 11/22/p/"), "{text}");
    assert!(
        text.contains("NoSuchBucket") || text.contains("404"),
        "{text}"
    );
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
