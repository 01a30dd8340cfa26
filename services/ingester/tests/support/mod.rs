//! Test bench for the consume loop without processes: a `MemWriteLog` and its reader, a
//! `MemCatalog`, and an in-memory object store whose writes can be held (to keep a persist
//! running), plus point accounting over the Parquet files the catalog lists.
//!
//! ```text
//! Bench::write(lp) ──► LinesConverter ──► upsert_schema ──► MemWriteLog::append(0, …)
//! Bench::start(settings) ──► Ingester::run(log.reader()) in a task ──► Running { query, stop() }
//! script() ──► (Script, ScriptedReader): a reader whose events the test pushes (several
//!              partitions, explicit assignment), seeks recorded
//! Bench::points() ──► parquet_files(db, cpu) ──► read_parquet ──► [(host, time, v)]
//! ```

#![allow(dead_code)]

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::{Array, Int64Array, StringArray, TimestampNanosecondArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use catalog::{
    Catalog, Database, DatabaseName, DatabaseOptions, MemCatalog, ParquetFileRecord, SchemaUpsert,
};
use futures::stream::BoxStream;
use ingester::{
    Ingester, IngesterMetrics, IngesterQuery, PersistSettings, Registration, ShutdownReport,
};
use line_protocol::Precision;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use tokio::sync::{mpsc, watch};
use write_log::{
    LogEvent, LogPartition, LogPosition, LogReader, LogRecord, LogWrite, MemLogReader, MemWriteLog,
    WriteLog, WriteLogError,
};

/// One point as found in Parquet: (host tag, time, v field).
pub(crate) type Point = (String, i64, i64);

/// An in-memory store whose writes wait while the gate is closed.
#[derive(Debug)]
pub(crate) struct GatedStore {
    inner: InMemory,
    open: watch::Sender<bool>,
    held: AtomicUsize,
}

impl GatedStore {
    fn new() -> Self {
        Self {
            inner: InMemory::new(),
            open: watch::Sender::new(true),
            held: AtomicUsize::new(0),
        }
    }

    /// Holds every write until [`GatedStore::open`].
    pub(crate) fn close(&self) {
        self.open.send_replace(false);
    }

    /// Lets writes through again.
    pub(crate) fn open(&self) {
        self.open.send_replace(true);
    }

    async fn gate(&self) {
        let mut rx = self.open.subscribe();
        if *rx.borrow_and_update() {
            return;
        }
        self.held.fetch_add(1, Ordering::SeqCst);
        let _ = rx.wait_for(|open| *open).await;
        self.held.fetch_sub(1, Ordering::SeqCst);
    }

    /// Writes waiting for the gate right now (a persist is stuck writing).
    pub(crate) fn held_writes(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Number of objects stored.
    pub(crate) async fn object_count(&self) -> usize {
        use futures::StreamExt;
        self.inner.list(None).count().await
    }
}

impl fmt::Display for GatedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GatedStore({})", self.inner)
    }
}

#[async_trait]
impl ObjectStore for GatedStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.gate().await;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.gate().await;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<bytes::Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }
}

/// Log, catalog and store of one test.
pub(crate) struct Bench {
    pub log: Arc<MemWriteLog>,
    pub catalog: Arc<MemCatalog>,
    pub store: Arc<GatedStore>,
    pub db: Database,
}

/// An ingester running in a task over a reader of the bench's log.
pub(crate) type Running = RunningWith<MemLogReader>;

/// Settings that never persist on their own (tests trigger persists explicitly).
pub(crate) fn lazy() -> PersistSettings {
    PersistSettings {
        max_rows: usize::MAX,
        max_bytes: usize::MAX,
        max_age: Duration::from_secs(3600),
        memory_budget: usize::MAX,
        shutdown_timeout: Duration::from_secs(20),
        ..PersistSettings::default()
    }
}

impl Bench {
    /// An empty log and catalog with database `db`.
    pub(crate) async fn new() -> Self {
        let catalog = Arc::new(MemCatalog::new());
        let db = catalog
            .create_database(
                &DatabaseName::new("db").unwrap(),
                DatabaseOptions::default(),
            )
            .await
            .unwrap();
        Self {
            log: Arc::new(MemWriteLog::keeping_history(1 << 30)),
            catalog,
            store: Arc::new(GatedStore::new()),
            db,
        }
    }

    /// Converts `lp` (ns precision), adds its columns to the catalog and appends it as one
    /// record; returns its offset.
    pub(crate) async fn write(&self, lp: &str) -> u64 {
        let write = self.convert(lp).await;
        self.log.append(0, write).await.unwrap().offset
    }

    /// Converts `lp` (ns precision) and adds its columns to the catalog: one log write.
    pub(crate) async fn convert(&self, lp: &str) -> LogWrite {
        let mut converter = schema::LinesConverter::new(0, Precision::Nanoseconds);
        converter.write_lp(lp);
        let converted = converter.finish().unwrap();
        assert!(
            converted.rejections.is_empty(),
            "{:?}",
            converted.rejections
        );
        let mut upsert = SchemaUpsert::new();
        for t in &converted.tables {
            for f in t.batch.schema().fields() {
                upsert
                    .add(&t.name, f.name(), schema::influx_column_type(f).unwrap())
                    .unwrap();
            }
        }
        self.catalog
            .upsert_schema(self.db.id, &upsert)
            .await
            .unwrap();
        let tables = converted
            .tables
            .into_iter()
            .map(|t| (t.name, t.batch))
            .collect();
        LogWrite::new("db", tables)
    }

    /// Starts an ingester over a new reader of the log.
    pub(crate) fn start(&self, settings: PersistSettings) -> Running {
        self.start_with(self.log.reader(), settings, None)
    }

    /// Starts an ingester over `reader`.
    pub(crate) fn start_with<R: LogReader>(
        &self,
        reader: R,
        settings: PersistSettings,
        registration: Option<Registration>,
    ) -> RunningWith<R> {
        let store: Arc<dyn ObjectStore> = self.store.clone();
        let ingester = Ingester::new(self.catalog.clone(), store, settings).unwrap();
        let metrics = ingester.metrics();
        let query = ingester.query_handle();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(ingester.run(reader, registration, async {
            let _ = stopped.await;
        }));
        RunningWith {
            metrics,
            query,
            stop,
            handle,
        }
    }

    /// The persisted offset of partition 0.
    pub(crate) async fn persisted(&self) -> Option<u64> {
        self.catalog
            .persisted_offsets()
            .await
            .unwrap()
            .get(&0)
            .copied()
    }

    /// Every file record of every table of `db`.
    pub(crate) async fn files(&self) -> Vec<ParquetFileRecord> {
        let schema = self.catalog.database_schema(self.db.id).await.unwrap();
        let mut files = Vec::new();
        for table in schema.tables.values() {
            let by_key = self
                .catalog
                .parquet_files(self.db.id, table.id)
                .await
                .unwrap();
            files.extend(by_key.into_values().flatten());
        }
        files
    }

    /// Every point of every file the catalog lists, sorted.
    pub(crate) async fn points(&self) -> Vec<Point> {
        let store: Arc<dyn ObjectStore> = self.store.clone();
        let mut points = Vec::new();
        for record in self.files().await {
            let data = parquet_store::read_parquet(&store, &record).await.unwrap();
            for batch in &data.batches {
                points.extend(batch_points(batch));
            }
        }
        points.sort();
        points
    }
}

/// [`Running`] over any reader.
pub(crate) struct RunningWith<R> {
    pub metrics: Arc<IngesterMetrics>,
    pub query: IngesterQuery,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<(R, ShutdownReport)>,
}

impl<R> RunningWith<R> {
    /// Graceful shutdown; returns the reader and the report.
    pub(crate) async fn stop(self) -> (R, ShutdownReport) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("ingester stops within 30 s")
            .expect("ingester task")
    }
}

/// The test's end of a [`ScriptedReader`].
#[derive(Clone)]
pub(crate) struct Script {
    events: mpsc::UnboundedSender<Result<LogEvent, WriteLogError>>,
    seeks: Arc<Mutex<Vec<(LogPartition, u64)>>>,
}

impl Script {
    /// Delivers `Assigned(partitions)`.
    pub(crate) fn assign(&self, partitions: &[LogPartition]) {
        self.events
            .send(Ok(LogEvent::Assigned(partitions.to_vec())))
            .unwrap();
    }

    /// Delivers `Revoked(partitions)`.
    pub(crate) fn revoke(&self, partitions: &[LogPartition]) {
        self.events
            .send(Ok(LogEvent::Revoked(partitions.to_vec())))
            .unwrap();
    }

    /// Delivers the record `write` at `partition`/`offset`.
    pub(crate) fn record(&self, partition: LogPartition, offset: u64, write: LogWrite) {
        let position = LogPosition { partition, offset };
        self.events
            .send(Ok(LogEvent::Record(LogRecord { position, write })))
            .unwrap();
    }

    /// Makes the next read fail with `error`.
    pub(crate) fn fail(&self, error: WriteLogError) {
        self.events.send(Err(error)).unwrap();
    }

    /// The seeks the ingester made, in order.
    pub(crate) fn seeks(&self) -> Vec<(LogPartition, u64)> {
        self.seeks.lock().unwrap().clone()
    }

    /// Waits until the ingester sought `partition`.
    pub(crate) async fn wait_sought(&self, partition: LogPartition) {
        wait_until("partition sought", || async {
            self.seeks().iter().any(|(p, _)| *p == partition)
        })
        .await;
    }
}

/// A reader delivering what its [`Script`] sends (pause/resume are ignored).
pub(crate) struct ScriptedReader {
    events: mpsc::UnboundedReceiver<Result<LogEvent, WriteLogError>>,
    seeks: Arc<Mutex<Vec<(LogPartition, u64)>>>,
}

/// A scripted reader and its script.
pub(crate) fn script() -> (Script, ScriptedReader) {
    let (tx, rx) = mpsc::unbounded_channel();
    let seeks = Arc::new(Mutex::new(Vec::new()));
    (
        Script {
            events: tx,
            seeks: Arc::clone(&seeks),
        },
        ScriptedReader { events: rx, seeks },
    )
}

#[async_trait]
impl LogReader for ScriptedReader {
    async fn next_event(&mut self) -> Result<LogEvent, WriteLogError> {
        match self.events.recv().await {
            Some(event) => event,
            None => std::future::pending().await,
        }
    }
    async fn seek(&mut self, partition: LogPartition, offset: u64) -> Result<(), WriteLogError> {
        self.seeks.lock().unwrap().push((partition, offset));
        Ok(())
    }
    fn pause(&mut self) -> Result<(), WriteLogError> {
        Ok(())
    }
    fn resume(&mut self) -> Result<(), WriteLogError> {
        Ok(())
    }
    async fn persisted(&mut self, _: LogPartition, _: u64) -> Result<(), WriteLogError> {
        Ok(())
    }
}

/// (host, time, v) of each row.
pub(crate) fn batch_points(batch: &RecordBatch) -> Vec<Point> {
    let host = cast(batch.column_by_name("host").unwrap(), &DataType::Utf8).unwrap();
    let host = host.as_any().downcast_ref::<StringArray>().unwrap();
    let v = batch.column_by_name("v").unwrap();
    let v = v.as_any().downcast_ref::<Int64Array>().unwrap();
    let t = batch.column_by_name("time").unwrap();
    let t = t
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .unwrap();
    (0..batch.num_rows())
        .map(|i| {
            assert!(!v.is_null(i), "v is set in every test row");
            (host.value(i).to_owned(), t.value(i), v.value(i))
        })
        .collect()
}

/// Line protocol of points `ids` (host h{id % 3}, time = id, v = id).
pub(crate) fn lp(ids: Range<i64>) -> String {
    ids.map(|i| format!("cpu,host=h{} v={i}i {i}\n", i % 3))
        .collect()
}

/// The points [`lp`] writes.
pub(crate) fn expected(ids: Range<i64>) -> Vec<Point> {
    let mut p: Vec<Point> = ids.map(|i| (format!("h{}", i % 3), i, i)).collect();
    p.sort();
    p
}

/// Polls `cond` every 10 ms for up to 10 s.
pub(crate) async fn wait_until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..1000 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out after 10 s waiting for: {what}");
}

/// Reads a metric's value from the encoded text (`name` without labels).
pub(crate) fn metric(metrics: &IngesterMetrics, name: &str) -> i64 {
    let text = metrics.encode().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in {text}"))
}
