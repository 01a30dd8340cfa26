//! Exact point accounting for the write path: write a known set of distinct points, then find
//! each one in the Parquet files the catalog lists.
//!
//! ```text
//! point id ──► line `acct,host=hNN,rack=rN id=<id>i,v=<id>.25 <BASE + id s>` (unique series+time)
//! write_load(LoadSpec) ──► C workers ──► POST bodies of ids to the routers (round robin)
//!                           until the ids run out or `stop` is set (then `written` is the
//!                           prefix of ids sent); each acked request's latency is kept
//!                           non-204 / error ──► retry the same body (bounded); its ids are
//!                           "retried": an ambiguous failure may have landed, so they may appear
//!                           more than once (the query path dedups them; Parquet may hold both)
//! account(catalog, store, db, ids) ──► parquet_files(db, acct) ──► read_parquet ──► per id:
//!                           count, and every column checked against the id ──► Accounting
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arrow::array::{Array, Float64Array, Int64Array, StringArray, TimestampNanosecondArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use catalog::{Catalog, DatabaseName};
use object_store::ObjectStore;

/// The table every accounting point goes to.
pub const ACCT_TABLE: &str = "acct";
/// Time of point 0: 2026-01-01T00:00:00Z; point `id` is `id` seconds later (so 100 000 points
/// span two UTC days and exercise the day split).
pub const BASE_NS: i64 = 1_767_225_600_000_000_000;

/// The line of point `id`.
pub fn point_line(id: u64) -> String {
    format!(
        "acct,host=h{:02},rack=r{} id={id}i,v={id}.25 {}\n",
        id % 64,
        id % 5,
        point_time(id)
    )
}

fn point_time(id: u64) -> i64 {
    BASE_NS + id as i64 * 1_000_000_000
}

/// The body writing points `ids`.
pub fn body(ids: Range<u64>) -> String {
    ids.map(point_line).collect()
}

/// What to write.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// Router base URLs (requests go round robin).
    pub urls: Vec<String>,
    /// Token with write permission.
    pub token: String,
    /// Database.
    pub db: String,
    /// Point ids to write, each once (unless retried).
    pub ids: Range<u64>,
    /// Points per request.
    pub per_request: u64,
    /// Concurrent writers.
    pub concurrency: usize,
    /// Pause of each writer between its requests (spreads the load over time).
    pub pause: Duration,
    /// How long one request may be retried before the load gives up on it.
    pub retry_for: Duration,
    /// Points acknowledged so far (read it to disrupt the cluster mid-load).
    pub progress: Arc<AtomicU64>,
    /// Set it to end the load early: each worker finishes the request it is sending and takes
    /// no new ids (`LoadReport::written` says which were sent).
    pub stop: Arc<AtomicBool>,
}

impl LoadSpec {
    /// Points acknowledged so far.
    pub fn acked(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }
}

/// What a load did.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Requests answered 204.
    pub acked_requests: u64,
    /// Points in those requests.
    pub acked_points: u64,
    /// Ids of requests that failed at least once before their 204, with the attempts made.
    pub retried: BTreeMap<u64, u32>,
    /// Requests that never got a 204 within `retry_for` (their ids: may or may not be stored).
    pub gave_up: Vec<(Range<u64>, String)>,
    /// Distinct non-204 answers seen (status and body start), with counts.
    pub errors: BTreeMap<String, u64>,
    /// The ids sent: `LoadSpec::ids`, or its prefix taken before `LoadSpec::stop` was set.
    pub written: Range<u64>,
    /// Per acked request, the time from its first attempt to its 204 (retries included).
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    fn merge(&mut self, other: LoadReport) {
        self.acked_requests += other.acked_requests;
        self.acked_points += other.acked_points;
        self.retried.extend(other.retried);
        self.gave_up.extend(other.gave_up);
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.latencies.extend(other.latencies);
    }

    /// The slowest acked request (zero when none was).
    pub fn max_latency(&self) -> Duration {
        self.latencies.iter().max().copied().unwrap_or_default()
    }

    /// The latency below which a fraction `q` (0..=1) of the acked requests stayed.
    pub fn latency_quantile(&self, q: f64) -> Duration {
        quantile(&self.latencies, q)
    }
}

/// The value below which a fraction `q` (0..=1) of `values` lies (nearest rank; zero when
/// empty).
pub fn quantile(values: &[Duration], q: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Writes every id of `spec.ids` once (retrying failed requests); returns when done, or when
/// `spec.stop` was set and the requests in flight finished.
pub async fn write_load(spec: LoadSpec) -> LoadReport {
    let next = Arc::new(AtomicU64::new(spec.ids.start));
    let client = reqwest::Client::new();
    let spec = Arc::new(spec);
    let workers: Vec<_> = (0..spec.concurrency)
        .map(|w| {
            let (next, client, spec) = (Arc::clone(&next), client.clone(), Arc::clone(&spec));
            tokio::spawn(async move {
                let mut report = LoadReport::default();
                let mut request = w;
                loop {
                    if spec.stop.load(Ordering::Relaxed) {
                        return report;
                    }
                    let start = next.fetch_add(spec.per_request, Ordering::Relaxed);
                    if start >= spec.ids.end {
                        return report;
                    }
                    let ids = start..(start + spec.per_request).min(spec.ids.end);
                    let url = &spec.urls[request % spec.urls.len()];
                    request += 1;
                    write_one(&client, url, &spec, ids, &mut report).await;
                    tokio::time::sleep(spec.pause).await;
                }
            })
        })
        .collect();
    let mut total = LoadReport::default();
    for w in workers {
        total.merge(w.await.expect("load worker"));
    }
    // Every id below `next` was taken by a worker, and each worker sent what it took.
    total.written = spec.ids.start..next.load(Ordering::Relaxed).min(spec.ids.end);
    total
}

async fn write_one(
    client: &reqwest::Client,
    url: &str,
    spec: &LoadSpec,
    ids: Range<u64>,
    report: &mut LoadReport,
) {
    let body = body(ids.clone());
    let started = Instant::now();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let result = client
            .post(format!(
                "{url}/api/v2/write?bucket={}&precision=ns",
                spec.db
            ))
            .header("Authorization", format!("Token {}", spec.token))
            .timeout(Duration::from_secs(15))
            .body(body.clone())
            .send()
            .await;
        let error = match result {
            Ok(resp) if resp.status().as_u16() == 204 => {
                report.acked_requests += 1;
                report.acked_points += ids.end - ids.start;
                report.latencies.push(started.elapsed());
                spec.progress
                    .fetch_add(ids.end - ids.start, Ordering::Relaxed);
                if attempts > 1 {
                    report.retried.extend(ids.clone().map(|id| (id, attempts)));
                }
                return;
            }
            Ok(resp) => {
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                format!("{status} {}", text.chars().take(120).collect::<String>())
            }
            Err(e) => format!("request error: {e}"),
        };
        *report.errors.entry(error.clone()).or_default() += 1;
        if started.elapsed() > spec.retry_for {
            report.retried.extend(ids.clone().map(|id| (id, attempts)));
            report.gave_up.push((ids, error));
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Where each written id was found.
#[derive(Debug, Default)]
pub struct Accounting {
    /// Files read.
    pub files: usize,
    /// Rows read.
    pub rows: u64,
    /// Occurrences per id.
    pub counts: BTreeMap<u64, u32>,
    /// Rows whose columns do not match their id (first 10).
    pub wrong: Vec<String>,
}

impl Accounting {
    /// Panics unless every id of `ids` is present exactly once (ids in `load.retried` or
    /// `load.gave_up`: at most once per attempt, and at least once unless given up), with
    /// correct values, and nothing else is present.
    pub fn assert_exact(&self, ids: Range<u64>, load: &LoadReport) {
        assert!(
            self.wrong.is_empty(),
            "rows with wrong values: {:?}",
            self.wrong
        );
        let gave_up: BTreeSet<u64> = load.gave_up.iter().flat_map(|(r, _)| r.clone()).collect();
        let mut missing = Vec::new();
        let mut duplicated = Vec::new();
        for id in ids.clone() {
            let n = self.counts.get(&id).copied().unwrap_or(0);
            let allowed = load.retried.get(&id).copied().unwrap_or(1);
            if n == 0 && !gave_up.contains(&id) {
                missing.push(id);
            } else if n > allowed {
                duplicated.push((id, n));
            }
        }
        let extra: Vec<_> = self
            .counts
            .keys()
            .filter(|id| !ids.contains(id))
            .take(10)
            .collect();
        assert!(
            missing.is_empty() && duplicated.is_empty() && extra.is_empty(),
            "accounting failed over {} files / {} rows: {} missing (first {:?}), {} duplicated (first {:?}), extra {:?}",
            self.files,
            self.rows,
            missing.len(),
            &missing[..missing.len().min(10)],
            duplicated.len(),
            &duplicated[..duplicated.len().min(10)],
            extra
        );
    }
}

/// Reads every Parquet file of `db`.`acct` the catalog lists and counts the points.
pub async fn account(catalog: &dyn Catalog, store: &Arc<dyn ObjectStore>, db: &str) -> Accounting {
    let mut acc = Accounting::default();
    let name = DatabaseName::new(db).expect("database name");
    let Some(database) = catalog.database_by_name(&name).await.expect("catalog") else {
        return acc;
    };
    let schema = catalog.database_schema(database.id).await.expect("schema");
    let Some(table) = schema.tables.get(ACCT_TABLE) else {
        return acc;
    };
    let files = catalog
        .parquet_files(database.id, table.id)
        .await
        .expect("file records");
    for record in files.into_values().flatten() {
        let data = parquet_store::read_parquet(store, &record)
            .await
            .unwrap_or_else(|e| panic!("reading {}: {e}", record.path));
        acc.files += 1;
        for batch in &data.batches {
            count_batch(batch, &mut acc);
        }
    }
    acc
}

fn strings(batch: &RecordBatch, name: &str) -> StringArray {
    let col = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("column {name}"));
    let col = cast(col, &DataType::Utf8).expect("tag as string");
    col.as_any()
        .downcast_ref::<StringArray>()
        .expect("utf8")
        .clone()
}

fn count_batch(batch: &RecordBatch, acc: &mut Accounting) {
    let host = strings(batch, "host");
    let rack = strings(batch, "rack");
    let id = batch.column_by_name("id").expect("id column");
    let id = id.as_any().downcast_ref::<Int64Array>().expect("id i64");
    let v = batch.column_by_name("v").expect("v column");
    let v = v.as_any().downcast_ref::<Float64Array>().expect("v f64");
    let time = batch.column_by_name("time").expect("time column");
    let time = time
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .expect("time ns");
    for row in 0..batch.num_rows() {
        acc.rows += 1;
        let Ok(pid) = u64::try_from(id.value(row)) else {
            acc.wrong.push(format!("negative id {}", id.value(row)));
            continue;
        };
        *acc.counts.entry(pid).or_default() += 1;
        let ok = !id.is_null(row)
            && !v.is_null(row)
            && host.value(row) == format!("h{:02}", pid % 64)
            && rack.value(row) == format!("r{}", pid % 5)
            && v.value(row) == pid as f64 + 0.25
            && time.value(row) == point_time(pid);
        if !ok && acc.wrong.len() < 10 {
            acc.wrong.push(format!(
                "id {pid}: host {} rack {} v {} time {}",
                host.value(row),
                rack.value(row),
                v.value(row),
                time.value(row)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_distinct_points() {
        assert_eq!(
            point_line(65),
            format!(
                "acct,host=h01,rack=r0 id=65i,v=65.25 {}\n",
                BASE_NS + 65_000_000_000
            )
        );
        assert_eq!(body(0..3).lines().count(), 3);
    }

    #[test]
    fn exact_accounting_flags_missing_duplicated_and_extra() {
        let mut acc = Accounting::default();
        acc.counts.extend([(0, 1), (1, 1), (2, 2)]);
        let load = LoadReport::default();
        let r = std::panic::catch_unwind(|| acc.assert_exact(0..3, &load));
        assert!(r.is_err(), "id 2 twice");
        let mut load = LoadReport::default();
        load.retried.insert(2, 2);
        acc.assert_exact(0..3, &load);
        let r = std::panic::catch_unwind(|| acc.assert_exact(0..4, &load));
        assert!(r.is_err(), "id 3 missing");
        let r = std::panic::catch_unwind(|| acc.assert_exact(0..2, &load));
        assert!(r.is_err(), "id 2 extra");
    }

    #[test]
    fn latency_quantiles_are_nearest_rank() {
        let ms = Duration::from_millis;
        let report = LoadReport {
            latencies: (1..=100).rev().map(ms).collect(),
            ..LoadReport::default()
        };
        assert_eq!(report.max_latency(), ms(100));
        assert_eq!(report.latency_quantile(0.5), ms(50));
        assert_eq!(report.latency_quantile(0.99), ms(99));
        assert_eq!(report.latency_quantile(0.0), ms(1));
        assert_eq!(LoadReport::default().max_latency(), Duration::ZERO);
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }
}
