//! Round trips over a real gRPC server on 127.0.0.1: answers (schema alignment, origins,
//! coalescing, dictionaries, offsets), every error variant, the request fields, transport
//! failures and timeouts, and the catalog directory.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::array::{
    ArrayRef, AsArray, DictionaryArray, Float64Array, Int64Array, RecordBatch,
    TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Int32Type, Schema};
use arrow_flight::Ticket;
use arrow_flight::flight_service_client::FlightServiceClient;
use async_trait::async_trait;
use catalog::{Catalog, IngesterInfo, MemCatalog};
use query::unpersisted::{
    IngesterDirectory, PartitionAnswer, UnpersistedAnswer, UnpersistedChunk, UnpersistedError,
    UnpersistedRequest, UnpersistedSource,
};
use schema::{InfluxColumnType, InfluxFieldType, arrow_field};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

use super::*;

/// A source answering what the test set, recording the requests it got.
#[derive(Debug, Default)]
struct Scripted {
    reply: Mutex<Option<Result<UnpersistedAnswer, UnpersistedError>>>,
    delay: Mutex<Duration>,
    requests: Mutex<Vec<UnpersistedRequest>>,
}

impl Scripted {
    fn reply(&self, reply: Result<UnpersistedAnswer, UnpersistedError>) {
        *self.reply.lock().unwrap() = Some(reply);
    }
}

#[async_trait]
impl UnpersistedSource for Scripted {
    async fn unpersisted(
        &self,
        request: UnpersistedRequest,
    ) -> Result<UnpersistedAnswer, UnpersistedError> {
        self.requests.lock().unwrap().push(request);
        let delay = *self.delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        self.reply
            .lock()
            .unwrap()
            .clone()
            .expect("the test set a reply")
    }
}

/// Serves `source` on a free loopback port; returns `http://127.0.0.1:PORT`.
async fn serve(source: Arc<Scripted>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = IngesterFlightService::new(source).into_server();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    format!("http://{addr}")
}

fn request(partitions: &[(u32, Option<u64>)]) -> UnpersistedRequest {
    UnpersistedRequest::new(
        "db",
        "cpu",
        partitions.iter().copied(),
        Duration::from_millis(2_000),
    )
}

fn tag(name: &str, values: &[Option<&str>]) -> (arrow::datatypes::Field, ArrayRef) {
    let array: DictionaryArray<Int32Type> = values.iter().copied().collect();
    (arrow_field(name, InfluxColumnType::Tag), Arc::new(array))
}

fn int(name: &str, values: &[i64]) -> (arrow::datatypes::Field, ArrayRef) {
    (
        arrow_field(name, InfluxColumnType::Field(InfluxFieldType::Integer)),
        Arc::new(Int64Array::from(values.to_vec())),
    )
}

fn float(name: &str, values: &[f64]) -> (arrow::datatypes::Field, ArrayRef) {
    (
        arrow_field(name, InfluxColumnType::Field(InfluxFieldType::Float)),
        Arc::new(Float64Array::from(values.to_vec())),
    )
}

fn time(values: &[i64]) -> (arrow::datatypes::Field, ArrayRef) {
    (
        arrow_field("time", InfluxColumnType::Timestamp),
        Arc::new(TimestampNanosecondArray::from(values.to_vec())),
    )
}

fn batch(columns: Vec<(arrow::datatypes::Field, ArrayRef)>) -> RecordBatch {
    let (fields, arrays): (Vec<_>, Vec<_>) = columns.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

fn chunk(key: &str, batch: RecordBatch) -> UnpersistedChunk {
    UnpersistedChunk {
        partition_key: key.into(),
        batch,
    }
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let c = batch.column_by_name(column).unwrap();
    let c = arrow::compute::cast(c, &DataType::Utf8).unwrap();
    c.as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

fn ints(batch: &RecordBatch, column: &str) -> Vec<Option<i64>> {
    let c = batch.column_by_name(column).unwrap();
    c.as_primitive::<arrow::datatypes::Int64Type>()
        .iter()
        .collect()
}

fn times(batch: &RecordBatch) -> Vec<i64> {
    let c = batch.column_by_name("time").unwrap();
    c.as_primitive::<arrow::datatypes::TimestampNanosecondType>()
        .values()
        .to_vec()
}

#[tokio::test]
async fn an_answer_comes_back_with_one_schema_origins_and_offsets() {
    let source = Arc::new(Scripted::default());
    let day1 = batch(vec![
        tag("host", &[Some("a"), Some("b")]),
        int("v", &[1, 2]),
        time(&[1, 2]),
    ]);
    let day2 = batch(vec![
        tag("region", &[Some("eu")]),
        float("f", &[0.5]),
        time(&[86_400_000_000_001]),
    ]);
    let later_day1 = batch(vec![
        tag("host", &[Some("c"), None]),
        int("v", &[3, 4]),
        time(&[3, 4]),
    ]);
    source.reply(Ok(UnpersistedAnswer {
        partitions: vec![
            PartitionAnswer {
                partition: 2,
                applied: Some(41),
                chunks: vec![
                    chunk("1970-01-01", day1),
                    chunk("1970-01-02", day2),
                    chunk("1970-01-01", later_day1),
                ],
            },
            PartitionAnswer {
                partition: 0,
                applied: None,
                chunks: vec![],
            },
        ],
    }));
    let address = serve(Arc::clone(&source)).await;
    let client = FlightIngesterClient::new(&address, IngesterClientSettings::default());
    let answer = client
        .unpersisted(request(&[(2, Some(41)), (0, None)]))
        .await
        .unwrap();

    assert_eq!(answer.partitions.len(), 2);
    let (p2, p0) = (&answer.partitions[0], &answer.partitions[1]);
    assert_eq!((p2.partition, p2.applied), (2, Some(41)));
    assert_eq!((p0.partition, p0.applied, p0.chunks.len()), (0, None, 0));
    let keys: Vec<&str> = p2.chunks.iter().map(|c| c.partition_key.as_str()).collect();
    assert_eq!(keys, ["1970-01-01", "1970-01-02", "1970-01-01"]);

    // One schema: tags, fields, time, canonical order and types, iox metadata.
    let schema = p2.chunks[0].batch.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["host", "region", "f", "v", "time"]);
    assert!(p2.chunks.iter().all(|c| c.batch.schema() == schema));
    assert_eq!(
        schema.field_with_name("host").unwrap(),
        &arrow_field("host", InfluxColumnType::Tag)
    );
    assert_eq!(schema::measurement_name(&schema), Some("cpu"));

    let first = &p2.chunks[0].batch;
    assert_eq!(strings(first, "host"), [Some("a".into()), Some("b".into())]);
    assert_eq!(strings(first, "region"), [None, None], "null-filled");
    assert_eq!(ints(first, "v"), [Some(1), Some(2)]);
    assert_eq!(times(first), [1, 2]);
    let second = &p2.chunks[1].batch;
    assert_eq!(strings(second, "region"), [Some("eu".into())]);
    assert_eq!(strings(second, "host"), [None]);
    assert_eq!(times(second), [86_400_000_000_001]);
    let third = &p2.chunks[2].batch;
    assert_eq!(strings(third, "host"), [Some("c".into()), None]);
    assert_eq!(ints(third, "v"), [Some(3), Some(4)]);

    // The request arrived as sent.
    let got = source.requests.lock().unwrap().clone();
    assert_eq!(got, [request(&[(2, Some(41)), (0, None)])]);
}

#[tokio::test]
async fn small_chunks_of_one_key_are_coalesced_in_order() {
    let source = Arc::new(Scripted::default());
    let chunks: Vec<UnpersistedChunk> = (0..50)
        .map(|i| {
            let host = format!("h{i}");
            chunk(
                "1970-01-01",
                batch(vec![
                    tag("host", &[Some(host.as_str())]),
                    int("v", &[i]),
                    time(&[i]),
                ]),
            )
        })
        .collect();
    source.reply(Ok(UnpersistedAnswer {
        partitions: vec![PartitionAnswer {
            partition: 0,
            applied: Some(49),
            chunks,
        }],
    }));
    let address = serve(Arc::clone(&source)).await;
    let client = FlightIngesterClient::new(&address, IngesterClientSettings::default());
    let answer = client.unpersisted(request(&[(0, Some(49))])).await.unwrap();
    let chunks = &answer.partitions[0].chunks;
    assert_eq!(chunks.len(), 1, "50 one-row chunks travel as one batch");
    let b = &chunks[0].batch;
    assert_eq!(times(b), (0..50).collect::<Vec<_>>());
    let hosts: Vec<Option<String>> = (0..50).map(|i| Some(format!("h{i}"))).collect();
    assert_eq!(strings(b, "host"), hosts);
}

#[tokio::test]
async fn an_empty_answer_and_a_projection_to_no_column() {
    let source = Arc::new(Scripted::default());
    let no_columns = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(3)),
    )
    .unwrap();
    source.reply(Ok(UnpersistedAnswer {
        partitions: vec![PartitionAnswer {
            partition: 1,
            applied: Some(7),
            chunks: vec![chunk("1970-01-01", no_columns)],
        }],
    }));
    let address = serve(Arc::clone(&source)).await;
    let client = FlightIngesterClient::new(&address, IngesterClientSettings::default());
    let answer = client.unpersisted(request(&[(1, Some(7))])).await.unwrap();
    let chunks = &answer.partitions[0].chunks;
    assert_eq!(chunks.len(), 1);
    assert_eq!(
        (chunks[0].batch.num_columns(), chunks[0].batch.num_rows()),
        (0, 3)
    );

    source.reply(Ok(UnpersistedAnswer::default()));
    let answer = client.unpersisted(request(&[])).await.unwrap();
    assert!(answer.partitions.is_empty());
}

#[tokio::test]
async fn every_error_comes_back_exactly() {
    let source = Arc::new(Scripted::default());
    let address = serve(Arc::clone(&source)).await;
    let client = FlightIngesterClient::new(&address, IngesterClientSettings::default());
    let errors = [
        UnpersistedError::NotOwned { partition: 3 },
        UnpersistedError::Timeout {
            partition: 1,
            wanted: 10,
            applied: Some(8),
            waited_ms: 2_000,
        },
        UnpersistedError::Timeout {
            partition: 1,
            wanted: 10,
            applied: None,
            waited_ms: 5,
        },
        UnpersistedError::Unavailable {
            ingester: "ing-2".into(),
            message: "stopping".into(),
        },
        UnpersistedError::HighWatermarks("x".into()),
        UnpersistedError::Directory("y".into()),
        UnpersistedError::NoOwner { partition: 4 },
    ];
    for error in errors {
        source.reply(Err(error.clone()));
        let got = client.unpersisted(request(&[(3, Some(1))])).await;
        assert_eq!(got.unwrap_err(), error);
    }
}

#[tokio::test]
async fn a_bad_ticket_is_an_invalid_argument() {
    let source = Arc::new(Scripted::default());
    let address = serve(Arc::clone(&source)).await;
    let channel = tonic::transport::Endpoint::from_shared(address)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let status = FlightServiceClient::new(channel)
        .do_get(Ticket {
            ticket: bytes::Bytes::from_static(b"{\"database\":\"db\"}"),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("invalid ingester query ticket"),
        "{}",
        status.message()
    );
    assert!(source.requests.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unreachable_and_slow_ingesters_are_unavailable() {
    // Nothing listens on the port any more.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let address = format!("http://127.0.0.1:{port}");
    let client = FlightIngesterClient::new(&address, IngesterClientSettings::default());
    let error = client.unpersisted(request(&[(0, None)])).await.unwrap_err();
    let UnpersistedError::Unavailable { ingester, message } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(ingester, &address);
    assert!(!message.is_empty());

    let bad = FlightIngesterClient::new("not a uri", IngesterClientSettings::default());
    let error = bad.unpersisted(request(&[(0, None)])).await.unwrap_err();
    assert!(
        matches!(&error, UnpersistedError::Unavailable { message, .. } if message.contains("invalid ingester address")),
        "{error:?}"
    );

    // An ingester that answers later than wait + margin.
    let source = Arc::new(Scripted::default());
    source.reply(Ok(UnpersistedAnswer::default()));
    *source.delay.lock().unwrap() = Duration::from_secs(30);
    let address = serve(Arc::clone(&source)).await;
    let settings = IngesterClientSettings {
        request_margin: Duration::from_millis(200),
        ..IngesterClientSettings::default()
    };
    let client = FlightIngesterClient::new(&address, settings);
    let mut r = request(&[(0, None)]);
    r.wait = Duration::from_millis(100);
    let started = Instant::now();
    let error = client.unpersisted(r).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        error,
        UnpersistedError::Unavailable {
            ingester: address.clone(),
            message: "no complete answer within 300ms".into(),
        }
    );
}

#[tokio::test]
async fn the_directory_lists_leases_with_one_client_per_address() {
    let source = Arc::new(Scripted::default());
    source.reply(Ok(UnpersistedAnswer {
        partitions: vec![PartitionAnswer {
            partition: 5,
            applied: Some(1),
            chunks: vec![],
        }],
    }));
    let address = serve(Arc::clone(&source)).await;
    let catalog = Arc::new(MemCatalog::new());
    let _lease = catalog
        .register_ingester(
            IngesterInfo {
                id: "ing-a".into(),
                address: address.clone(),
                partitions: vec![5, 6],
            },
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let directory = CatalogIngesterDirectory::new(catalog, IngesterClientSettings::default());
    let first = directory.ingesters().await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, "ing-a");
    assert_eq!(first[0].partitions, [5, 6]);
    let second = directory.ingesters().await.unwrap();
    assert!(
        Arc::ptr_eq(&first[0].source, &second[0].source),
        "the client (and its connection) is reused"
    );
    let answer = second[0]
        .source
        .unpersisted(request(&[(5, Some(1))]))
        .await
        .unwrap();
    assert_eq!(answer.partitions[0].applied, Some(1));
}

#[test]
fn large_batches_are_sliced_into_messages() {
    let rows = 2 * 1024 * 1024; // 16 MiB of i64 + 16 MiB of time
    let values: Vec<i64> = (0..rows as i64).collect();
    let big = batch(vec![int("v", &values), time(&values)]);
    let answer = UnpersistedAnswer {
        partitions: vec![PartitionAnswer {
            partition: 0,
            applied: Some(0),
            chunks: vec![chunk("1970-01-01", big)],
        }],
    };
    let messages: Vec<_> = AnswerEncoder::new("cpu", answer)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // schema + ≥ 4 batches of ≤ 8 MiB + end
    assert!(messages.len() >= 6, "{} messages", messages.len());
    assert!(
        messages
            .iter()
            .all(|m| m.data_body.len() <= 9 * 1024 * 1024)
    );
    assert!(messages.last().unwrap().data_header.is_empty());
}
