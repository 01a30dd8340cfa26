//! `--object-store` flags → store, and their errors.

use clap::Parser;
use config::{ObjectStoreArgs, ObjectStoreKind};
use object_store::ObjectStoreExt;
use object_store::path::Path;
use parquet_store::{OBJECTS_DIR, object_store_from};

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    store: ObjectStoreArgs,
}

fn args(flags: &[&str]) -> ObjectStoreArgs {
    let mut argv = vec!["quiver"];
    argv.extend_from_slice(flags);
    Cli::try_parse_from(argv).unwrap().store
}

fn error(flags: &[&str], data_dir: Option<&std::path::Path>) -> String {
    match object_store_from(&args(flags), data_dir) {
        Ok(store) => panic!("{flags:?} built {store}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn configuration_errors_name_the_flag() {
    assert_eq!(
        error(&[], None),
        "--object-store is required: one of file, s3, gcs, azure, memory"
    );
    assert_eq!(
        error(&["--object-store", "file"], None),
        "--object-store file needs --data-dir (objects are stored under <data-dir>/objects)"
    );
    for kind in ["s3", "gcs", "azure"] {
        assert_eq!(
            error(&["--object-store", kind], None),
            format!("--object-store {kind} needs --bucket")
        );
    }
    assert_eq!(
        error(&["--object-store", "memory", "--bucket", "b"], None),
        "--bucket applies only to --object-store s3, gcs or azure, not memory"
    );
    assert_eq!(
        error(
            &[
                "--object-store",
                "gcs",
                "--bucket",
                "b",
                "--s3-endpoint",
                "http://x"
            ],
            None
        ),
        "--s3-endpoint applies only to --object-store s3, not gcs"
    );
    assert_eq!(
        error(
            &["--object-store", "file", "--s3-region", "eu-west-1"],
            None
        ),
        "--s3-region applies only to --object-store s3, not file"
    );
    assert_eq!(
        error(
            &[
                "--object-store",
                "azure",
                "--bucket",
                "c",
                "--s3-allow-http"
            ],
            None
        ),
        "--s3-allow-http applies only to --object-store s3, not azure"
    );
}

#[test]
fn data_dir_that_cannot_be_created_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let err = error(&["--object-store", "file"], Some(&file));
    assert!(
        err.starts_with(&format!(
            "cannot create object directory {}:",
            file.join(OBJECTS_DIR).display()
        )),
        "{err}"
    );
}

#[tokio::test]
async fn file_store_lives_under_data_dir_objects() {
    let dir = tempfile::tempdir().unwrap();
    let store = object_store_from(&args(&["--object-store", "file"]), Some(dir.path())).unwrap();
    store
        .put(&Path::from("1/2/x.parquet"), "hello".into())
        .await
        .unwrap();
    let on_disk = std::fs::read(dir.path().join("objects/1/2/x.parquet")).unwrap();
    assert_eq!(on_disk, b"hello");
}

#[tokio::test]
async fn serve_default_is_file_with_a_data_dir_else_memory() {
    let dir = tempfile::tempdir().unwrap();
    let defaulted = ObjectStoreArgs::default().or_default(Some(dir.path()));
    assert_eq!(defaulted.object_store, Some(ObjectStoreKind::File));
    let store = object_store_from(&defaulted, Some(dir.path())).unwrap();
    store.put(&Path::from("k"), "v".into()).await.unwrap();
    assert!(dir.path().join("objects/k").is_file());

    let memory = ObjectStoreArgs::default().or_default(None);
    let store = object_store_from(&memory, None).unwrap();
    store.put(&Path::from("k"), "v".into()).await.unwrap();
    assert_eq!(store.to_string(), "InMemory");
}

#[test]
fn s3_builds_from_flags() {
    let s3 = object_store_from(
        &args(&[
            "--object-store",
            "s3",
            "--bucket",
            "quiver",
            "--s3-endpoint",
            "http://127.0.0.1:9",
            "--s3-region",
            "eu-west-1",
            "--s3-allow-http",
        ]),
        None,
    )
    .unwrap();
    assert!(s3.to_string().contains("quiver"), "{s3}");
}
