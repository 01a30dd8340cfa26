//! The TSBS devops query types as InfluxQL over HTTP `/query` next to the same questions as SQL
//! over Arrow Flight, on the data `queries.rs` set up, both served by one querier app on a
//! loopback port (issue #16: InfluxQL may cost at most 10 % more than SQL).
//!
//! ```text
//! Setup (Parquet ∪ ingester buffer) ──► querier::app (Flight + /query + …) on 127.0.0.1:0
//!   per query type, per iteration i (a different host / time window each i, both languages
//!   get the same one):
//!     InfluxQL: GET /query?db=bench&q=… (TSBS's text, RFC3339 answer) ──► whole JSON body read
//!     SQL:      Flight DoGet {"database":"bench","sql_query":…} ──► every batch decoded
//!   first run of each: InfluxQL (epoch=ns) and SQL answers compared value by value
//!   ──► p50 / p90 per language, ratio InfluxQL / SQL
//! ```
//!
//! Selected with `QUIVER_BENCH_QUERIES` like the others (names start with `iql `); the whole
//! section is skipped with `QUIVER_BENCH_INFLUXQL=0`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow_flight::Ticket;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::flight_service_client::FlightServiceClient;
use futures::TryStreamExt;
use querier::QuerierMetrics;
use tokio::net::TcpListener;
use tonic::transport::Channel;

use super::{BenchError, Config, DB, Setup, ms, percentile};

const TOKEN: &str = "bench-operator-token";
/// 2016-01-01T00:00:00Z.
const START_NS: i64 = 1_451_606_400_000_000_000;

/// One TSBS query type in both languages; `i` picks the host and the time window.
struct Case {
    name: &'static str,
    influxql: Box<dyn Fn(usize) -> String>,
    sql: Box<dyn Fn(usize) -> String>,
}

/// RFC3339 of 2016-01-01T00:00Z + `minutes`.
fn rfc3339(minutes: i64) -> String {
    let t = START_NS + minutes * 60_000_000_000;
    let secs = t / 1_000_000_000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 2016-01-01; the data spans at most 2 days.
    let day = 1 + days - (START_NS / 1_000_000_000) / 86_400;
    format!(
        "2016-01-{day:02}T{:02}:{:02}:00Z",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// The TSBS cpu fields, in TSBS's order (its queries take the first n).
const METRICS: [&str; 10] = tsbs::FIELD_KEYS;

/// InfluxQL names the n-th `max()` column `max`, `max_1`, `max_2`, …
fn column_name(function: &str, n: usize) -> String {
    if n == 0 {
        function.to_owned()
    } else {
        format!("{function}_{n}")
    }
}

fn cases(config: &Config) -> Vec<Case> {
    let hosts = config.hosts;
    let hours = config.hours as i64;
    // A window of `len` hours starting at a whole minute, inside the data.
    let window = move |i: usize, len: i64| -> (i64, i64) {
        // Within the data (a small run has fewer hours than a TSBS window): InfluxQL fills
        // every window of the range, SQL answers only those with rows.
        let len = len.min(hours);
        let span = (hours - len) * 60;
        let start = if span > 0 {
            ((i as i64) * 97 + 13) % span
        } else {
            0
        };
        (start, start + len * 60)
    };
    let host = move |i: usize| format!("host_{}", (i * 37 + 11) % hosts);
    let max_of = |n: usize, sql: bool| -> String {
        METRICS[..n]
            .iter()
            .enumerate()
            .map(|(k, m)| {
                if sql {
                    format!("max({m}) AS {}", column_name("max", k))
                } else {
                    format!("max({m})")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let groupby = move |n: usize, len: i64, interval: &'static str, sql_interval: &'static str| {
        let iql = move |i: usize| {
            let (a, b) = window(i, len);
            format!(
                "SELECT {} from cpu where (hostname = '{}') and time >= '{}' and time < '{}' group by time({interval})",
                max_of(n, false),
                host(i),
                rfc3339(a),
                rfc3339(b)
            )
        };
        let sql = move |i: usize| {
            let (a, b) = window(i, len);
            format!(
                "SELECT date_bin(INTERVAL '{sql_interval}', time) AS time, {} FROM cpu \
                 WHERE hostname = '{}' AND time >= '{}' AND time < '{}' GROUP BY 1 ORDER BY 1",
                max_of(n, true),
                host(i),
                rfc3339(a),
                rfc3339(b)
            )
        };
        (
            Box::new(iql) as Box<dyn Fn(usize) -> String>,
            Box::new(sql) as Box<dyn Fn(usize) -> String>,
        )
    };
    let mut out = Vec::new();
    out.push(Case {
        name: "iql lastpoint",
        influxql: Box::new(|_| {
            "SELECT * from cpu group by \"hostname\" order by time desc limit 1".to_owned()
        }),
        sql: Box::new(|_| {
            "SELECT c.* FROM cpu c JOIN (SELECT hostname, max(time) AS last FROM cpu \
             GROUP BY hostname) l ON c.hostname = l.hostname AND c.time = l.last"
                .to_owned()
        }),
    });
    let (influxql, sql) = groupby(1, 1, "1m", "1 minute");
    out.push(Case {
        name: "iql single-groupby-1-1-1",
        influxql,
        sql,
    });
    let (influxql, sql) = groupby(5, 12, "1m", "1 minute");
    out.push(Case {
        name: "iql single-groupby-5-1-12",
        influxql,
        sql,
    });
    let (influxql, sql) = groupby(10, 8, "1h", "1 hour");
    out.push(Case {
        name: "iql cpu-max-all-1",
        influxql,
        sql,
    });
    out.push(Case {
        name: "iql double-groupby-1",
        influxql: Box::new(move |i| {
            let (a, b) = window(i, 12);
            format!(
                "SELECT mean(usage_user) from cpu where time >= '{}' and time < '{}' group by time(1h),hostname",
                rfc3339(a),
                rfc3339(b)
            )
        }),
        sql: Box::new(move |i| {
            let (a, b) = window(i, 12);
            format!(
                "SELECT date_bin(INTERVAL '1 hour', time) AS time, hostname, avg(usage_user) AS mean \
                 FROM cpu WHERE time >= '{}' AND time < '{}' GROUP BY 1, 2 ORDER BY 2, 1",
                rfc3339(a),
                rfc3339(b)
            )
        }),
    });
    out.push(Case {
        name: "iql high-cpu-1",
        influxql: Box::new(move |i| {
            let (a, b) = window(i, 12);
            format!(
                "SELECT * from cpu where usage_user > 90.0 and (hostname = '{}') and time >= '{}' and time < '{}'",
                host(i),
                rfc3339(a),
                rfc3339(b)
            )
        }),
        sql: Box::new(move |i| {
            let (a, b) = window(i, 12);
            format!(
                "SELECT * FROM cpu WHERE usage_user > 90.0 AND hostname = '{}' AND time >= '{}' \
                 AND time < '{}' ORDER BY time",
                host(i),
                rfc3339(a),
                rfc3339(b)
            )
        }),
    });
    out.push(Case {
        name: "iql groupby-orderby-limit",
        influxql: Box::new(move |i| {
            let (_, b) = window(i, 1);
            format!(
                "SELECT max(usage_user) from cpu WHERE time < '{}' group by time(1m) limit 5",
                rfc3339(b)
            )
        }),
        sql: Box::new(move |i| {
            let (_, b) = window(i, 1);
            format!(
                "SELECT date_bin(INTERVAL '1 minute', time) AS time, max(usage_user) AS max \
                 FROM cpu WHERE time < '{}' GROUP BY 1 ORDER BY 1 LIMIT 5",
                rfc3339(b)
            )
        }),
    });
    out
}

/// A comparable cell: numbers as f64, text as text, null.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    Null,
    Num(f64),
    Text(String),
}

/// Rows as (tags, time) → column name → cell, for comparing the two answers.
type Rows = BTreeMap<(String, i64), BTreeMap<String, Cell>>;

/// The InfluxQL answer (epoch=ns JSON) as rows; tags of a series become columns.
fn influxql_rows(body: &serde_json::Value) -> Result<Rows, String> {
    let result = &body["results"][0];
    if let Some(e) = result.get("error") {
        return Err(format!("InfluxQL error: {e}"));
    }
    let mut rows = Rows::new();
    let Some(series) = result["series"].as_array() else {
        return Ok(rows);
    };
    for s in series {
        let tags: BTreeMap<String, String> = s["tags"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let columns: Vec<&str> = s["columns"]
            .as_array()
            .ok_or("series without columns")?
            .iter()
            .map(|c| c.as_str().unwrap_or_default())
            .collect();
        for v in s["values"].as_array().ok_or("series without values")? {
            let v = v.as_array().ok_or("row is not an array")?;
            let time = v[0].as_i64().ok_or("time is not an integer")?;
            let mut row: BTreeMap<String, Cell> = tags
                .iter()
                .map(|(k, v)| (k.clone(), Cell::Text(v.clone())))
                .collect();
            for (c, x) in columns.iter().zip(v).skip(1) {
                let cell = match x {
                    serde_json::Value::Null => Cell::Null,
                    serde_json::Value::Number(n) => Cell::Num(n.as_f64().unwrap_or(f64::NAN)),
                    serde_json::Value::String(s) => Cell::Text(s.clone()),
                    other => Cell::Text(other.to_string()),
                };
                row.insert((*c).to_owned(), cell);
            }
            let key = match row.get("hostname") {
                Some(Cell::Text(h)) => h.clone(),
                _ => String::new(),
            };
            rows.insert((key, time), row);
        }
    }
    Ok(rows)
}

/// The SQL answer as rows (the `hostname` column, when present, keys the row).
fn sql_rows(batches: &[RecordBatch]) -> Result<Rows, String> {
    let mut rows = Rows::new();
    for b in batches {
        let schema = b.schema();
        let time = cast(
            b.column_by_name("time").ok_or("no time column")?,
            &DataType::Int64,
        )
        .map_err(|e| e.to_string())?;
        let time = time.as_primitive::<arrow::datatypes::Int64Type>();
        let mut cols = Vec::new();
        for (f, c) in schema.fields().iter().zip(b.columns()) {
            if f.name() == "time" {
                continue;
            }
            let numeric = f.data_type().is_numeric();
            let to = if numeric {
                DataType::Float64
            } else {
                DataType::Utf8
            };
            cols.push((
                f.name().clone(),
                numeric,
                cast(c, &to).map_err(|e| e.to_string())?,
            ));
        }
        for r in 0..b.num_rows() {
            let mut row = BTreeMap::new();
            let mut key = String::new();
            for (name, numeric, c) in &cols {
                let cell = if c.is_null(r) {
                    Cell::Null
                } else if *numeric {
                    Cell::Num(c.as_primitive::<arrow::datatypes::Float64Type>().value(r))
                } else {
                    Cell::Text(c.as_string::<i32>().value(r).to_owned())
                };
                if name == "hostname"
                    && let Cell::Text(h) = &cell
                {
                    key = h.clone();
                }
                row.insert(name.clone(), cell);
            }
            rows.insert((key, time.value(r)), row);
        }
    }
    Ok(rows)
}

/// Both answers hold the same rows with the same values (floats to 1e-9 relative).
fn compare(name: &str, iql: &Rows, sql: &Rows) -> Result<usize, BenchError> {
    let fail = |message: String| BenchError::Check {
        query: name.to_owned(),
        message,
    };
    if iql.len() != sql.len() {
        return Err(fail(format!(
            "InfluxQL answered {} rows, SQL {}",
            iql.len(),
            sql.len()
        )));
    }
    if iql.is_empty() {
        return Err(fail("no rows".to_owned()));
    }
    for (key, a) in iql {
        let Some(b) = sql.get(key) else {
            return Err(fail(format!("row {key:?} only in the InfluxQL answer")));
        };
        for (column, x) in a {
            let Some(y) = b.get(column) else {
                return Err(fail(format!("column {column} missing from the SQL answer")));
            };
            let same = match (x, y) {
                (Cell::Num(x), Cell::Num(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                _ => x == y,
            };
            if !same {
                return Err(fail(format!("{key:?} {column}: InfluxQL {x:?}, SQL {y:?}")));
            }
        }
    }
    Ok(iql.len())
}

/// A loopback querier app serving `setup`'s data, and clients for both languages.
struct Clients {
    http: reqwest::Client,
    base: String,
    flight: FlightServiceClient<Channel>,
}

impl Clients {
    async fn influxql(&self, q: &str, epoch: bool) -> Result<(Vec<u8>, u16), BenchError> {
        let mut params = vec![("db", DB), ("q", q)];
        if epoch {
            params.push(("epoch", "ns"));
        }
        let response = self
            .http
            .get(format!("{}/query", self.base))
            .header("Authorization", format!("Token {TOKEN}"))
            .query(&params)
            .send()
            .await
            .map_err(|e| BenchError::Setup(format!("/query: {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| BenchError::Setup(format!("/query body: {e}")))?;
        Ok((body.to_vec(), status))
    }

    async fn sql(&self, q: &str) -> Result<Vec<RecordBatch>, BenchError> {
        let ticket = serde_json::json!({"database": DB, "sql_query": q, "query_type": "sql"});
        let mut request = tonic::Request::new(Ticket::new(ticket.to_string()));
        let auth = format!("Bearer {TOKEN}")
            .parse()
            .map_err(|e| BenchError::Setup(format!("header: {e}")))?;
        request.metadata_mut().insert("authorization", auth);
        let mut flight = self.flight.clone();
        let stream = flight
            .do_get(request)
            .await
            .map_err(|e| BenchError::Setup(format!("DoGet: {e}")))?
            .into_inner();
        FlightRecordBatchStream::new_from_flight_data(stream.map_err(Into::into))
            .try_collect()
            .await
            .map_err(|e| BenchError::Setup(format!("DoGet stream: {e}")))
    }
}

/// Runs every case `config.iterations` times in each language; prints a Markdown table.
pub(super) async fn bench(config: &Config, setup: &Setup) -> Result<(), BenchError> {
    catalog::ensure_operator_token(setup.catalog.as_ref(), TOKEN).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let metrics = Arc::new(QuerierMetrics::new());
    let shell = querier::shell(&metrics);
    let app = querier::app(setup.query_database(), &shell, &metrics, None);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        shell
            .serve(listener, app, async {
                let _ = stopped.await;
            })
            .await
    });
    let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .map_err(|e| BenchError::Setup(e.to_string()))?
        .connect()
        .await
        .map_err(|e| BenchError::Setup(format!("Flight connect: {e}")))?;
    let clients = Clients {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{port}"),
        flight: FlightServiceClient::new(channel).max_decoding_message_size(usize::MAX),
    };

    let mut table = Vec::new();
    for case in cases(config)
        .into_iter()
        .filter(|c| config.only.is_none_or(|only| c.name.contains(only)))
    {
        // The check: the same rows, value by value.
        let (body, status) = clients.influxql(&(case.influxql)(0), true).await?;
        let body: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| BenchError::Setup(format!("{}: /query body: {e}", case.name)))?;
        if status != 200 {
            return Err(BenchError::Setup(format!(
                "{}: /query {status}: {body}",
                case.name
            )));
        }
        let iql = influxql_rows(&body).map_err(|message| BenchError::Check {
            query: case.name.to_owned(),
            message,
        })?;
        let sql =
            sql_rows(&clients.sql(&(case.sql)(0)).await?).map_err(|message| BenchError::Check {
                query: case.name.to_owned(),
                message,
            })?;
        let answer_rows = compare(case.name, &iql, &sql)?;

        let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
        for i in 0..config.iterations {
            // Alternate which language goes first, so neither always meets a warm cache.
            for lang in [i % 2, 1 - i % 2] {
                let started = Instant::now();
                if lang == 0 {
                    let (body, status) = clients.influxql(&(case.influxql)(i), false).await?;
                    if status != 200 || body.windows(8).any(|w| w == b"\"error\":") {
                        return Err(BenchError::Setup(format!(
                            "{} (iteration {i}): {status} {}",
                            case.name,
                            String::from_utf8_lossy(&body)
                        )));
                    }
                } else {
                    let batches = clients.sql(&(case.sql)(i)).await?;
                    if batches.iter().all(|b| b.num_rows() == 0) {
                        return Err(BenchError::Setup(format!(
                            "{} (iteration {i}): SQL answered no rows",
                            case.name
                        )));
                    }
                }
                times[lang].push(started.elapsed());
            }
        }
        for t in &mut times {
            t.sort();
        }
        let p50 = |t: &[Duration]| percentile(t, 0.5);
        let line = format!(
            "| {} | {answer_rows} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} |",
            case.name.trim_start_matches("iql "),
            ms(p50(&times[0])),
            ms(percentile(&times[0], 0.9)),
            ms(p50(&times[1])),
            ms(percentile(&times[1], 0.9)),
            p50(&times[0]).as_secs_f64() / p50(&times[1]).as_secs_f64(),
        );
        println!("{line}");
        table.push(line);
    }
    println!(
        "\nInfluxQL over /query vs SQL over Flight, one loopback querier app, {} iterations each; ms\n\
         | query | answer rows | InfluxQL p50 | InfluxQL p90 | SQL p50 | SQL p90 | InfluxQL / SQL (p50) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        config.iterations
    );
    for line in table {
        println!("{line}");
    }
    let _ = stop.send(());
    server
        .await
        .map_err(|e| BenchError::Setup(format!("server task: {e}")))??;
    Ok(())
}
