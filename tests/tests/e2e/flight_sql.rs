//! Flight SQL on a `quiver querier` process, end to end over the cluster harness (`Fixture`
//! below: `Cluster::query_only`, data persisted as an ingester would have, a querier process):
//! arrow-flight's `FlightSqlServiceClient` for the happy paths, the raw `FlightServiceClient`
//! for exact gRPC status codes on every path, and the real ADBC Flight SQL driver (Go, via
//! `adbc_driver_flightsql` in Python, see tests/python/adbc_client.py).
//!
//! ```text
//! Fixture (etcd: db "db" with cpu, db "other" with mem; tokens) ──► `quiver querier`
//!   ◄── FlightSqlServiceClient: handshake, GetSqlInfo, statement, prepared + DoPut params,
//!       GetCatalogs/GetDbSchemas/GetTables(include_schema)/GetTableTypes, CloseSession
//!   ◄── raw client: each path × (no token, wrong, revoked, token of another db, no header,
//!       unknown db, good) ──► expected code and message
//!   ◄── tests/python/adbc_client.py (ADBC driver) ──► JSON report
//! ```

use std::process::Command;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, Float64Array, RecordBatch, StringArray, UnionArray,
};
use arrow::datatypes::{DataType, Schema, UInt32Type};
use arrow::util::pretty::pretty_format_batches;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::flight_service_client::FlightServiceClient;
use arrow_flight::sql::client::FlightSqlServiceClient;
use arrow_flight::sql::metadata::SqlInfoDataBuilder;
use arrow_flight::sql::{
    ActionClosePreparedStatementRequest, ActionCreatePreparedStatementRequest,
    ActionCreatePreparedStatementResult, Any, CommandGetCatalogs, CommandGetDbSchemas,
    CommandGetPrimaryKeys, CommandGetSqlInfo, CommandGetTableTypes, CommandGetTables,
    CommandPreparedStatementQuery, CommandStatementQuery, CommandStatementUpdate,
    DoPutPreparedStatementResult, ProstMessageExt, SqlInfo,
};
use arrow_flight::{Action, FlightData, FlightDescriptor, FlightInfo, IpcMessage, Ticket};
use auth::{Action as Grant, Permission, TokenHash};
use bytes::Bytes;
use catalog::{Catalog, DatabaseName, DatabaseOptions, NewToken};
use end_to_end::{Cluster, QuiverProcess, check_adbc_session, python_interpreter, workspace_root};
use futures::{StreamExt, TryStreamExt};
use prost::Message;
use serde_json::{Value, json};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

/// Reads database "db".
const READER: &str = "reader-token";
/// Reads database "other" only.
const OTHER: &str = "other-db-token";
/// Operator: everything.
const OPERATOR: &str = "operator-token";
/// Read on "db", revoked.
const REVOKED: &str = "revoked-token";

/// Rows of `cpu` in "db" (after dedup: a@1 usage 1 idle 10, a@2 usage 7, b@1 usage 2).
const CPU: &str = "cpu,host=a usage=1,idle=10 1\ncpu,host=b usage=2 1\ncpu,host=a usage=7 2\n";
/// Rows of `mem` in "other".
const MEM: &str = "mem,host=x used=3i 1\n";

/// A `quiver querier` over a cluster's etcd and broker, with databases "db" (table cpu) and
/// "other" (table mem) persisted as an ingester would have, and the four tokens above.
struct Fixture {
    // Dropped first: the querier stops before the cluster it reads.
    querier: QuiverProcess,
    /// The querier's Flight port.
    port: u16,
    _cluster: Cluster,
}

impl Fixture {
    async fn start() -> Self {
        let mut cluster = Cluster::query_only().await;
        let mut databases = Vec::new();
        for name in ["db", "other"] {
            let db = cluster
                .catalog
                .create_database(
                    &DatabaseName::new(name).unwrap(),
                    DatabaseOptions::default(),
                )
                .await
                .unwrap();
            databases.push(db);
        }
        for (token, operator, database) in [
            (READER, false, "db"),
            (OTHER, false, "other"),
            (OPERATOR, true, "db"),
            (REVOKED, false, "db"),
        ] {
            let record = cluster
                .catalog
                .create_token(NewToken {
                    hash: TokenHash::of(token),
                    description: token.into(),
                    operator,
                    permissions: vec![Permission::database(Grant::Read, database)],
                })
                .await
                .unwrap();
            if token == REVOKED {
                cluster.catalog.revoke_token(record.id).await.unwrap();
            }
        }
        cluster.persist_lp(&databases[0], CPU).await;
        cluster.persist_lp(&databases[1], MEM).await;
        let querier = cluster.start_querier();
        let port = querier
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap();
        Self {
            querier,
            port,
            _cluster: cluster,
        }
    }

    /// A fresh gRPC channel to the querier.
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://127.0.0.1:{}", self.port))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Stops the querier (SIGTERM) and checks it stopped cleanly.
    async fn stop(self) {
        let status = self.querier.terminate();
        assert!(status.success(), "the querier exited with {status}");
    }
}

const CPU_SQL: &str = "SELECT host, idle, usage, time FROM cpu ORDER BY host, time";

fn lines(batches: &[RecordBatch]) -> Vec<String> {
    pretty_format_batches(batches)
        .unwrap()
        .to_string()
        .lines()
        .map(str::to_string)
        .collect()
}

fn column_types(schema: &Schema) -> Vec<String> {
    schema
        .fields()
        .iter()
        .map(|f| {
            f.metadata()
                .get("iox::column::type")
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

async fn sql_client(cluster: &Fixture) -> FlightSqlServiceClient<Channel> {
    let mut client = FlightSqlServiceClient::new(cluster.channel().await);
    client.set_header("database", "db");
    client
}

async fn fetch(client: &mut FlightSqlServiceClient<Channel>, info: FlightInfo) -> Vec<RecordBatch> {
    let mut batches = Vec::new();
    for endpoint in info.endpoint {
        let ticket = endpoint.ticket.expect("endpoint has a ticket");
        let stream = client.do_get(ticket).await.unwrap();
        let mut part: Vec<RecordBatch> = stream.try_collect().await.unwrap();
        batches.append(&mut part);
    }
    batches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flight_sql_client_end_to_end() {
    let cluster = Fixture::start().await;
    let mut client = sql_client(&cluster).await;

    // Handshake: Basic user:token ──► Bearer token for every later call.
    client.handshake("any-user", READER).await.unwrap();
    assert_eq!(client.token().map(String::as_str), Some(READER));

    // GetSqlInfo in the spec schema.
    let info = client
        .get_sql_info(vec![
            SqlInfo::FlightSqlServerName,
            SqlInfo::FlightSqlServerVersion,
            SqlInfo::FlightSqlServerArrowVersion,
            SqlInfo::FlightSqlServerTransaction,
        ])
        .await
        .unwrap();
    assert_eq!(
        &info.clone().try_decode_schema().unwrap(),
        SqlInfoDataBuilder::schema()
    );
    let batches = fetch(&mut client, info).await;
    assert_eq!(batches[0].schema().as_ref(), SqlInfoDataBuilder::schema());
    let ids: Vec<u32> = batches[0]
        .column(0)
        .as_primitive::<UInt32Type>()
        .values()
        .to_vec();
    assert_eq!(ids, [0, 1, 2, 8]);
    let values = batches[0]
        .column(1)
        .as_any()
        .downcast_ref::<UnionArray>()
        .unwrap();
    let text = |i: usize| values.value(i).as_string::<i32>().value(0).to_string();
    assert_eq!(text(0), "Quiver");
    assert_eq!(text(1), env!("CARGO_PKG_VERSION"));
    assert_eq!(text(2), flight::sql::ARROW_VERSION);

    // Statement query: FlightInfo schema = DoGet schema, with iox::column::type.
    let info = client.execute(CPU_SQL.to_string(), None).await.unwrap();
    let info_schema = info.clone().try_decode_schema().unwrap();
    let expected_types = [
        "iox::column_type::tag",
        "iox::column_type::field::float",
        "iox::column_type::field::float",
        "iox::column_type::timestamp",
    ];
    assert_eq!(column_types(&info_schema), expected_types);
    assert_eq!(info_schema.field(0).data_type(), &DataType::Utf8);
    let batches = fetch(&mut client, info).await;
    assert_eq!(batches[0].schema().as_ref(), &info_schema);
    assert_eq!(
        lines(&batches),
        [
            "+------+------+-------+-------------------------------+",
            "| host | idle | usage | time                          |",
            "+------+------+-------+-------------------------------+",
            "| a    | 10.0 | 1.0   | 1970-01-01T00:00:00.000000001 |",
            "| a    |      | 7.0   | 1970-01-01T00:00:00.000000002 |",
            "| b    |      | 2.0   | 1970-01-01T00:00:00.000000001 |",
            "+------+------+-------+-------------------------------+",
        ]
    );

    // Prepared statement with positional parameters bound by DoPut.
    let mut statement = client
        .prepare(
            "SELECT host, usage FROM cpu WHERE host = $1 AND usage > $2 ORDER BY usage".to_string(),
            None,
        )
        .await
        .unwrap();
    let params = statement.parameter_schema().unwrap().clone();
    let names: Vec<_> = params.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["$1", "$2"]);
    assert_eq!(params.field(0).data_type(), &DataType::Utf8);
    assert_eq!(params.field(1).data_type(), &DataType::Float64);
    let dataset = statement.dataset_schema().unwrap().clone();
    assert_eq!(
        column_types(&dataset),
        ["iox::column_type::tag", "iox::column_type::field::float"]
    );
    for (host, min, expected) in [("a", 0.5, vec!["1.0", "7.0"]), ("b", 0.0, vec!["2.0"])] {
        let batch = RecordBatch::try_from_iter([
            ("0", Arc::new(StringArray::from(vec![host])) as ArrayRef),
            ("1", Arc::new(Float64Array::from(vec![min])) as ArrayRef),
        ])
        .unwrap();
        statement.set_parameters(batch).unwrap();
        let info = statement.execute().await.unwrap();
        let batches = fetch(&mut client, info).await;
        assert_eq!(batches[0].schema().as_ref(), &dataset);
        let usage: Vec<String> = batches
            .iter()
            .flat_map(|b| {
                let col = b.column(1).as_primitive::<arrow::datatypes::Float64Type>();
                (0..col.len())
                    .map(|i| format!("{:.1}", col.value(i)))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(usage, expected, "host {host} > {min}");
    }
    statement.close().await.unwrap();

    // Named parameters, and a prepared statement without any.
    let mut named = client
        .prepare(
            "SELECT count(*) AS n FROM cpu WHERE host = $host".to_string(),
            None,
        )
        .await
        .unwrap();
    named
        .set_parameters(
            RecordBatch::try_from_iter([(
                "host",
                Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
            )])
            .unwrap(),
        )
        .unwrap();
    let info = named.execute().await.unwrap();
    assert!(lines(&fetch(&mut client, info).await).contains(&"| 2 |".to_string()));
    let mut plain = client
        .prepare("SELECT count(*) AS n FROM cpu".to_string(), None)
        .await
        .unwrap();
    assert!(plain.parameter_schema().unwrap().fields().is_empty());
    let info = plain.execute().await.unwrap();
    assert!(lines(&fetch(&mut client, info).await).contains(&"| 3 |".to_string()));

    // Catalog listings.
    let info = client.get_catalogs().await.unwrap();
    let catalogs = fetch(&mut client, info).await;
    assert_eq!(
        lines(&catalogs),
        [
            "+--------------+",
            "| catalog_name |",
            "+--------------+",
            "| public       |",
            "+--------------+"
        ]
    );
    let info = client
        .get_db_schemas(CommandGetDbSchemas {
            catalog: None,
            db_schema_filter_pattern: None,
        })
        .await
        .unwrap();
    let schemas = lines(&fetch(&mut client, info).await);
    for row in [
        "| public       | information_schema |",
        "| public       | iox                |",
    ] {
        assert!(schemas.iter().any(|l| l == row), "{row} in {schemas:#?}");
    }
    let info = client.get_table_types().await.unwrap();
    assert_eq!(
        lines(&fetch(&mut client, info).await),
        [
            "+------------+",
            "| table_type |",
            "+------------+",
            "| BASE TABLE |",
            "| VIEW       |",
            "+------------+"
        ]
    );
    let tables = get_tables(&mut client, None, Vec::new()).await;
    let cpu = table_row(&tables, "cpu").expect("cpu listed");
    assert_eq!(
        (cpu.0.as_str(), cpu.1.as_str(), cpu.2.as_str()),
        ("public", "iox", "BASE TABLE")
    );
    let cpu_schema = cpu.3.expect("include_schema");
    let names: Vec<_> = cpu_schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["host", "idle", "usage", "time"]);
    assert_eq!(
        column_types(&cpu_schema),
        [
            "iox::column_type::tag",
            "iox::column_type::field::float",
            "iox::column_type::field::float",
            "iox::column_type::timestamp"
        ]
    );
    assert_eq!(cpu_schema.field(0).data_type(), &DataType::Utf8);
    let views = table_row(&tables, "columns").expect("information_schema.columns listed");
    assert_eq!(
        (views.1.as_str(), views.2.as_str()),
        ("information_schema", "VIEW")
    );
    assert!(
        table_row(&tables, "mem").is_none(),
        "other database's table listed"
    );
    let filtered = get_tables(&mut client, Some("cp%"), Vec::new()).await;
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    let only_views = get_tables(&mut client, None, vec!["VIEW".to_string()]).await;
    assert!(only_views.iter().all(|t| t.2 == "VIEW") && !only_views.is_empty());

    // CloseSession answers CLOSED (CloseSessionResult{status: 1}).
    let results: Vec<_> = client
        .do_action(Action::new("CloseSession", Bytes::new()))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].body.as_ref(), [0x08, 0x01]);
    cluster.stop().await;
}

/// (catalog, schema, type, decoded schema) by table name.
type TableRow = (String, String, String, Option<Schema>, String);

fn table_row(rows: &[TableRow], name: &str) -> Option<(String, String, String, Option<Schema>)> {
    rows.iter()
        .find(|r| r.4 == name)
        .map(|r| (r.0.clone(), r.1.clone(), r.2.clone(), r.3.clone()))
}

async fn get_tables(
    client: &mut FlightSqlServiceClient<Channel>,
    pattern: Option<&str>,
    table_types: Vec<String>,
) -> Vec<TableRow> {
    let info = client
        .get_tables(CommandGetTables {
            catalog: None,
            db_schema_filter_pattern: None,
            table_name_filter_pattern: pattern.map(str::to_string),
            table_types,
            include_schema: true,
        })
        .await
        .unwrap();
    let batches = fetch(client, info).await;
    let mut rows = Vec::new();
    for b in &batches {
        let s = |i: usize| b.column(i).as_string::<i32>().clone();
        let (catalog, schema, table, kind) = (s(0), s(1), s(2), s(3));
        let ipc = b.column(4).as_any().downcast_ref::<BinaryArray>().unwrap();
        for i in 0..b.num_rows() {
            let decoded = Schema::try_from(IpcMessage(Bytes::copy_from_slice(ipc.value(i)))).ok();
            rows.push((
                catalog.value(i).to_string(),
                schema.value(i).to_string(),
                kind.value(i).to_string(),
                decoded,
                table.value(i).to_string(),
            ));
        }
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Status codes on every path.

fn request<T>(message: T, token: Option<&str>, database: Option<&str>) -> Request<T> {
    let mut r = Request::new(message);
    if let Some(token) = token {
        r.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    if let Some(database) = database {
        r.metadata_mut()
            .insert("database", database.parse().unwrap());
    }
    r
}

fn cmd<M: ProstMessageExt>(message: &M) -> FlightDescriptor {
    FlightDescriptor::new_cmd(message.as_any().encode_to_vec())
}

fn ticket<M: ProstMessageExt>(message: &M) -> Ticket {
    Ticket::new(message.as_any().encode_to_vec())
}

fn action<M: ProstMessageExt>(kind: &str, message: &M) -> Action {
    Action::new(kind, message.as_any().encode_to_vec())
}

/// Handles and tickets obtained with a good token, replayed on the other paths.
struct Fixtures {
    statement_ticket: Ticket,
    prepared_handle: Bytes,
    bound_handle: Bytes,
}

impl Fixtures {
    async fn new(raw: &mut FlightServiceClient<Channel>) -> Self {
        let info = raw
            .get_flight_info(request(
                cmd(&CommandStatementQuery {
                    query: "SELECT * FROM cpu".into(),
                    transaction_id: None,
                }),
                Some(READER),
                Some("db"),
            ))
            .await
            .unwrap()
            .into_inner();
        let statement_ticket = info.endpoint[0].ticket.clone().unwrap();
        let prepared_handle = prepare(
            raw,
            Some(READER),
            Some("db"),
            "SELECT * FROM cpu WHERE host = $1",
        )
        .await
        .unwrap();
        let bound_handle = bind(
            raw,
            Some(READER),
            Some("db"),
            &prepared_handle,
            host_param("a"),
        )
        .await
        .unwrap();
        Self {
            statement_ticket,
            prepared_handle,
            bound_handle,
        }
    }
}

fn host_param(host: &str) -> RecordBatch {
    RecordBatch::try_from_iter([("0", Arc::new(StringArray::from(vec![host])) as ArrayRef)])
        .unwrap()
}

async fn prepare(
    raw: &mut FlightServiceClient<Channel>,
    token: Option<&str>,
    database: Option<&str>,
    sql: &str,
) -> Result<Bytes, Status> {
    let create = ActionCreatePreparedStatementRequest {
        query: sql.into(),
        transaction_id: None,
    };
    let results: Vec<arrow_flight::Result> = raw
        .do_action(request(
            action("CreatePreparedStatement", &create),
            token,
            database,
        ))
        .await?
        .into_inner()
        .try_collect()
        .await?;
    let any = Any::decode(results[0].body.as_ref()).unwrap();
    let result: ActionCreatePreparedStatementResult = any.unpack().unwrap().unwrap();
    Ok(result.prepared_statement_handle)
}

async fn bind(
    raw: &mut FlightServiceClient<Channel>,
    token: Option<&str>,
    database: Option<&str>,
    handle: &Bytes,
    params: RecordBatch,
) -> Result<Bytes, Status> {
    let descriptor = cmd(&CommandPreparedStatementQuery {
        prepared_statement_handle: handle.clone(),
    });
    let data: Vec<FlightData> = FlightDataEncoderBuilder::new()
        .with_flight_descriptor(Some(descriptor))
        .with_schema(params.schema())
        .build(futures::stream::iter([Ok(params)]))
        .try_collect()
        .await
        .unwrap();
    let results: Vec<_> = raw
        .do_put(request(futures::stream::iter(data), token, database))
        .await?
        .into_inner()
        .try_collect()
        .await?;
    let result = DoPutPreparedStatementResult::decode(results[0].app_metadata.as_ref()).unwrap();
    Ok(result.prepared_statement_handle.unwrap())
}

async fn do_get(
    raw: &mut FlightServiceClient<Channel>,
    ticket: Ticket,
    token: Option<&str>,
    database: Option<&str>,
) -> Result<Vec<RecordBatch>, Status> {
    let stream = raw
        .do_get(request(ticket, token, database))
        .await?
        .into_inner();
    FlightRecordBatchStream::new_from_flight_data(stream.map_err(Into::into))
        .try_collect()
        .await
        .map_err(Status::from)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    StatementInfo,
    StatementGet,
    Prepare,
    PreparedBind,
    PreparedInfo,
    PreparedGet,
    ClosePrepared,
    SqlInfoInfo,
    SqlInfoGet,
    CatalogsInfo,
    CatalogsGet,
    SchemasInfo,
    SchemasGet,
    TablesInfo,
    TablesGet,
    TableTypesInfo,
    TableTypesGet,
    CloseSession,
    /// The influxdb3 JSON ticket (database in the ticket; "db" when no database is given).
    JsonTicket,
}

const PATHS: [Path; 19] = [
    Path::StatementInfo,
    Path::StatementGet,
    Path::Prepare,
    Path::PreparedBind,
    Path::PreparedInfo,
    Path::PreparedGet,
    Path::ClosePrepared,
    Path::SqlInfoInfo,
    Path::SqlInfoGet,
    Path::CatalogsInfo,
    Path::CatalogsGet,
    Path::SchemasInfo,
    Path::SchemasGet,
    Path::TablesInfo,
    Path::TablesGet,
    Path::TableTypesInfo,
    Path::TableTypesGet,
    Path::CloseSession,
    Path::JsonTicket,
];

impl Path {
    /// Paths whose request carries a statement handle of database "db".
    fn carries_handle(self) -> bool {
        matches!(
            self,
            Path::StatementGet
                | Path::PreparedBind
                | Path::PreparedInfo
                | Path::PreparedGet
                | Path::ClosePrepared
        )
    }

    async fn run(
        self,
        raw: &mut FlightServiceClient<Channel>,
        fx: &Fixtures,
        token: Option<&str>,
        database: Option<&str>,
    ) -> Result<(), Status> {
        let tables = CommandGetTables {
            include_schema: true,
            ..Default::default()
        };
        let info = |d: FlightDescriptor| request(d, token, database);
        match self {
            Path::StatementInfo => {
                let query = CommandStatementQuery {
                    query: "SELECT 1".into(),
                    transaction_id: None,
                };
                raw.get_flight_info(info(cmd(&query))).await.map(drop)
            }
            Path::StatementGet => do_get(raw, fx.statement_ticket.clone(), token, database)
                .await
                .map(drop),
            Path::Prepare => prepare(raw, token, database, "SELECT 1").await.map(drop),
            Path::PreparedBind => bind(raw, token, database, &fx.prepared_handle, host_param("b"))
                .await
                .map(drop),
            Path::PreparedInfo => {
                let query = CommandPreparedStatementQuery {
                    prepared_statement_handle: fx.bound_handle.clone(),
                };
                raw.get_flight_info(info(cmd(&query))).await.map(drop)
            }
            Path::PreparedGet => {
                let query = CommandPreparedStatementQuery {
                    prepared_statement_handle: fx.bound_handle.clone(),
                };
                do_get(raw, ticket(&query), token, database).await.map(drop)
            }
            Path::ClosePrepared => {
                let close = ActionClosePreparedStatementRequest {
                    prepared_statement_handle: fx.prepared_handle.clone(),
                };
                let r = request(action("ClosePreparedStatement", &close), token, database);
                let stream = raw.do_action(r).await?.into_inner();
                stream.try_collect::<Vec<_>>().await.map(drop)
            }
            Path::SqlInfoInfo => raw
                .get_flight_info(info(cmd(&CommandGetSqlInfo { info: vec![0, 8] })))
                .await
                .map(drop),
            Path::SqlInfoGet => do_get(
                raw,
                ticket(&CommandGetSqlInfo { info: vec![8] }),
                token,
                database,
            )
            .await
            .map(drop),
            Path::CatalogsInfo => raw
                .get_flight_info(info(cmd(&CommandGetCatalogs {})))
                .await
                .map(drop),
            Path::CatalogsGet => do_get(raw, ticket(&CommandGetCatalogs {}), token, database)
                .await
                .map(drop),
            Path::SchemasInfo => raw
                .get_flight_info(info(cmd(&CommandGetDbSchemas::default())))
                .await
                .map(drop),
            Path::SchemasGet => do_get(
                raw,
                ticket(&CommandGetDbSchemas::default()),
                token,
                database,
            )
            .await
            .map(drop),
            Path::TablesInfo => raw.get_flight_info(info(cmd(&tables))).await.map(drop),
            Path::TablesGet => do_get(raw, ticket(&tables), token, database)
                .await
                .map(drop),
            Path::TableTypesInfo => raw
                .get_flight_info(info(cmd(&CommandGetTableTypes {})))
                .await
                .map(drop),
            Path::TableTypesGet => do_get(raw, ticket(&CommandGetTableTypes {}), token, database)
                .await
                .map(drop),
            Path::CloseSession => {
                let r = request(Action::new("CloseSession", Bytes::new()), token, database);
                let stream = raw.do_action(r).await?.into_inner();
                stream.try_collect::<Vec<_>>().await.map(drop)
            }
            Path::JsonTicket => {
                let json = json!({"database": database.unwrap_or("db"), "sql_query": "SELECT 1"});
                do_get(raw, Ticket::new(json.to_string()), token, None)
                    .await
                    .map(drop)
            }
        }
    }
}

/// What a path answers: OK, or a code with a message prefix.
type Expected = Result<(), (Code, &'static str)>;

const NO_HEADER: &str = "no 'database' header in request";
const MISMATCH: &str =
    "the statement was prepared for database 'db' but the request's header names database";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_path_answers_the_right_status() {
    let cluster = Fixture::start().await;
    let mut raw = FlightServiceClient::new(cluster.channel().await);
    let fx = Fixtures::new(&mut raw).await;

    type Case = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        fn(Path) -> Expected,
    );
    let cases: [Case; 8] = [
        ("good token", Some(READER), Some("db"), |_| Ok(())),
        ("no token", None, Some("db"), |_| {
            Err((
                Code::Unauthenticated,
                "Unauthenticated: no token in the 'authorization' header (use 'Bearer <token>')",
            ))
        }),
        ("unknown token", Some("wrong"), Some("db"), |_| {
            Err((Code::PermissionDenied, "Permission denied: invalid token"))
        }),
        ("revoked token", Some(REVOKED), Some("db"), |_| {
            Err((Code::PermissionDenied, "Permission denied: invalid token"))
        }),
        ("token of another database", Some(OTHER), Some("db"), |_| {
            Err((
                Code::PermissionDenied,
                "Permission denied: token may not read database 'db'",
            ))
        }),
        (
            "token of another database, no header",
            Some(OTHER),
            None,
            |p| match p {
                // The handle (or the JSON ticket) names "db".
                p if p.carries_handle() || p == Path::JsonTicket => Err((
                    Code::PermissionDenied,
                    "Permission denied: token may not read database 'db'",
                )),
                Path::CloseSession => Ok(()),
                _ => Err((Code::InvalidArgument, NO_HEADER)),
            },
        ),
        (
            "token on its own database",
            Some(OTHER),
            Some("other"),
            |p| {
                if p.carries_handle() {
                    Err((Code::InvalidArgument, MISMATCH))
                } else {
                    Ok(())
                }
            },
        ),
        (
            "unknown database",
            Some(OPERATOR),
            Some("nope"),
            |p| match p {
                p if p.carries_handle() => Err((Code::InvalidArgument, MISMATCH)),
                Path::CloseSession => Ok(()),
                _ => Err((Code::NotFound, "Database 'nope' not found")),
            },
        ),
    ];
    let mut failures = Vec::new();
    for (name, token, database, expected) in cases {
        for path in PATHS {
            let got = path.run(&mut raw, &fx, token, database).await;
            let want = expected(path);
            let ok = match (&got, &want) {
                (Ok(()), Ok(())) => true,
                (Err(status), Err((code, prefix))) => {
                    status.code() == *code && status.message().starts_with(prefix)
                }
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{name} / {path:?}: want {want:?}, got {:?}",
                    got.map_err(|s| (s.code(), s.message().to_string()))
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    cluster.stop().await;
}

async fn status_of<T>(result: Result<T, Status>) -> (Code, String) {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(s) => (s.code(), s.message().to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_handshake_and_request_errors() {
    let cluster = Fixture::start().await;
    let mut raw = FlightServiceClient::new(cluster.channel().await);
    let statement = |sql: &str| {
        cmd(&CommandStatementQuery {
            query: sql.into(),
            transaction_id: None,
        })
    };

    // Planning errors: DataFusion's message, INVALID_ARGUMENT; only queries are allowed.
    let (code, message) = status_of(
        raw.get_flight_info(request(
            statement("SELECT * FROM nope"),
            Some(READER),
            Some("db"),
        ))
        .await,
    )
    .await;
    assert_eq!(code, Code::InvalidArgument);
    assert!(
        message.contains("table 'public.iox.nope' not found"),
        "{message}"
    );
    for sql in [
        "SELEC 1",
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO cpu (host) VALUES ('x')",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let (code, message) = status_of(
            raw.get_flight_info(request(statement(sql), Some(OPERATOR), Some("db")))
                .await,
        )
        .await;
        assert_eq!(code, Code::InvalidArgument, "{sql}: {message}");
        let (code, message) =
            status_of(prepare(&mut raw, Some(OPERATOR), Some("db"), sql).await).await;
        assert_eq!(code, Code::InvalidArgument, "prepare {sql}: {message}");
    }

    // Headers: conflicting database headers, every alias.
    let mut r = request(statement("SELECT 1"), Some(READER), Some("db"));
    r.metadata_mut().insert("bucket", "other".parse().unwrap());
    let (code, message) = status_of(raw.get_flight_info(r).await).await;
    assert_eq!(
        (code, message.as_str()),
        (
            Code::InvalidArgument,
            "More than one headers are found in request: [database, bucket]"
        )
    );
    for header in ["bucket", "bucket-name", "iox-namespace-name"] {
        let mut r = request(statement("SELECT 1"), Some(READER), None);
        r.metadata_mut().insert(header, "db".parse().unwrap());
        raw.get_flight_info(r).await.unwrap();
    }

    // Bad descriptors, tickets, handles and parameters.
    let (code, message) = status_of(
        raw.get_flight_info(request(
            FlightDescriptor::new_cmd("SELECT 1"),
            Some(READER),
            Some("db"),
        ))
        .await,
    )
    .await;
    assert_eq!(code, Code::InvalidArgument);
    assert!(
        message.starts_with("Invalid Flight SQL command: "),
        "{message}"
    );
    // A known Flight SQL type around bytes that are not that message: the client's mistake.
    let garbled = arrow_flight::sql::Any {
        type_url: "type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery".into(),
        value: Bytes::from_static(&[0xff, 0xff, 0xff]),
    }
    .encode_to_vec();
    let (code, message) = status_of(
        raw.get_flight_info(request(
            FlightDescriptor::new_cmd(garbled.clone()),
            Some(READER),
            Some("db"),
        ))
        .await,
    )
    .await;
    assert_eq!(code, Code::InvalidArgument, "{message}");
    assert!(
        message.starts_with("Invalid Flight SQL command: Unable to decode Any value"),
        "{message}"
    );
    let (code, message) = status_of(
        do_get(
            &mut raw,
            Ticket::new(garbled.clone()),
            Some(READER),
            Some("db"),
        )
        .await,
    )
    .await;
    assert_eq!(code, Code::InvalidArgument, "{message}");
    let bad_action = Action::new("CreatePreparedStatement", garbled);
    let (code, message) = status_of(
        raw.do_action(request(bad_action, Some(READER), Some("db")))
            .await,
    )
    .await;
    assert_eq!(code, Code::InvalidArgument, "{message}");
    let (code, message) =
        status_of(do_get(&mut raw, Ticket::new("not json"), Some(READER), None).await).await;
    assert_eq!(
        (code, message.as_str()),
        (
            Code::InvalidArgument,
            "Invalid ticket. Error: ticket is not a JSON object: expected ident at line 1 column 2"
        )
    );
    let forged = ticket(&CommandPreparedStatementQuery {
        prepared_statement_handle: Bytes::from_static(b"SELECT 1"),
    });
    let (code, message) = status_of(do_get(&mut raw, forged, Some(READER), Some("db")).await).await;
    assert_eq!(
        (code, message.as_str()),
        (
            Code::InvalidArgument,
            "Invalid prepared statement handle: not a statement handle issued by Quiver"
        )
    );
    let handle = prepare(
        &mut raw,
        Some(READER),
        Some("db"),
        "SELECT * FROM cpu WHERE host = $1 AND usage > $2",
    )
    .await
    .unwrap();
    let (code, message) =
        status_of(bind(&mut raw, Some(READER), Some("db"), &handle, host_param("a")).await).await;
    assert_eq!(
        (code, message.as_str()),
        (
            Code::InvalidArgument,
            "Invalid parameters: the statement has 2 positional parameter(s) but 1 value(s) were bound"
        )
    );
    // A prepared statement executed without its parameters.
    let query = CommandPreparedStatementQuery {
        prepared_statement_handle: handle,
    };
    let (code, message) =
        status_of(do_get(&mut raw, ticket(&query), Some(READER), Some("db")).await).await;
    assert_eq!(
        (code, message.as_str()),
        (
            Code::InvalidArgument,
            "Invalid parameters: no value bound for $1, $2; bind the parameters with DoPut before executing the prepared statement"
        )
    );

    // Read-only and unsupported requests.
    let update = CommandStatementUpdate {
        query: "DELETE FROM cpu".into(),
        transaction_id: None,
    };
    let data = vec![FlightData::new().with_descriptor(cmd(&update))];
    let (code, message) = status_of(
        raw.do_put(request(
            futures::stream::iter(data),
            Some(READER),
            Some("db"),
        ))
        .await,
    )
    .await;
    assert_eq!(
        (code, message.as_str()),
        (
            Code::Unimplemented,
            "updates are not supported: Quiver's Flight SQL interface is read-only (queries only)"
        )
    );
    let keys = CommandGetPrimaryKeys {
        table: "cpu".into(),
        ..Default::default()
    };
    let (code, _) = status_of(
        raw.get_flight_info(request(cmd(&keys), Some(READER), Some("db")))
            .await,
    )
    .await;
    assert_eq!(code, Code::Unimplemented);
    let (code, message) = status_of(
        raw.do_action(request(
            Action::new("Nope", Bytes::new()),
            Some(READER),
            Some("db"),
        ))
        .await,
    )
    .await;
    assert_eq!(
        (code, message.as_str()),
        (
            Code::Unimplemented,
            "action 'Nope' is not supported by the Quiver querier"
        )
    );

    // Handshake: no credentials, wrong ones, Basic ──► Bearer.
    let handshake = |auth: Option<String>| {
        let mut r = Request::new(futures::stream::iter(
            Vec::<arrow_flight::HandshakeRequest>::new(),
        ));
        if let Some(auth) = auth {
            r.metadata_mut()
                .insert("authorization", auth.parse().unwrap());
        }
        r
    };
    let (code, _) = status_of(raw.handshake(handshake(None)).await).await;
    assert_eq!(code, Code::Unauthenticated);
    let basic = |user_pass: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    };
    let (code, message) = status_of(raw.handshake(handshake(Some(basic("u:wrong")))).await).await;
    assert_eq!(
        (code, message.as_str()),
        (Code::PermissionDenied, "Permission denied: invalid token")
    );
    let response = raw
        .handshake(handshake(Some(basic(&format!("u:{READER}")))))
        .await
        .unwrap();
    assert_eq!(
        response
            .metadata()
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {READER}")
    );
    let messages: Vec<_> = response.into_inner().collect().await;
    assert_eq!(messages.len(), 1);

    // ListActions names what Quiver answers.
    let actions: Vec<_> = raw
        .list_actions(request(arrow_flight::Empty {}, Some(READER), None))
        .await
        .unwrap()
        .into_inner()
        .try_collect()
        .await
        .unwrap();
    let kinds: Vec<_> = actions.iter().map(|a| a.r#type.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "CreatePreparedStatement",
            "ClosePreparedStatement",
            "CloseSession"
        ]
    );
    cluster.stop().await;
}

// ---------------------------------------------------------------------------------------
// The real ADBC Flight SQL driver.

async fn adbc(args: Vec<String>) -> Value {
    let out = tokio::task::spawn_blocking(move || {
        let script = workspace_root().join("tests/python/adbc_client.py");
        Command::new(python_interpreter())
            .arg(script)
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adbc_driver_connects_executes_binds_and_lists() {
    let cluster = Fixture::start().await;
    let port = cluster.port.to_string();
    for auth in ["bearer", "basic"] {
        let out = adbc(vec![
            "session".into(),
            port.clone(),
            auth.into(),
            READER.into(),
            "db".into(),
        ])
        .await;
        let ok = &out["ok"];
        check_adbc_session(ok, &format!("{auth}: {out}"));
        assert_eq!(
            ok["info"]["vendor_arrow_version"],
            flight::sql::ARROW_VERSION
        );
        assert!(ok["objects"]["public"]["iox"].get("mem").is_none(), "{out}");
        assert!(ok["objects"]["public"]["information_schema"]["tables"].is_array());
    }

    // Errors through the driver: the token of another database, an unknown token, bad SQL.
    let cases = [
        (
            OTHER,
            "db",
            "SELECT 1",
            "Permission denied: token may not read database 'db'",
        ),
        (
            "wrong",
            "db",
            "SELECT 1",
            "Permission denied: invalid token",
        ),
        (OPERATOR, "nope", "SELECT 1", "Database 'nope' not found"),
        (
            READER,
            "db",
            "SELECT * FROM nope",
            "table 'public.iox.nope' not found",
        ),
    ];
    for (token, database, sql, message) in cases {
        let out = adbc(vec![
            "error".into(),
            port.clone(),
            token.into(),
            database.into(),
            sql.into(),
        ])
        .await;
        let text = out["error"]["message"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{token}/{database}/{sql}: {out}");
    }
    cluster.stop().await;
}
