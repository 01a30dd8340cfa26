//! Every end-to-end test of the workspace in ONE test binary (linking a test binary that pulls
//! in DataFusion, Arrow and rdkafka is a large part of a build on two cores): one module per
//! area, each spawning real `quiver` processes (or an in-process router) and driving them with
//! real clients (see the harness in `tests/src`).
//!
//! Run one area with nextest's filter, e.g. `cargo nextest run --workspace -E
//! 'test(serve_query::)'`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod clients_exact_rows;
mod cluster_etcd_outage;
mod cluster_routers;
mod compaction;
mod flight_sql;
mod ingest_cluster;
mod ingest_serve;
mod ingester_query;
mod manage_clients;
mod manage_etcd;
mod monitoring_rules;
mod querier_influxql;
mod query_cluster;
mod scaling_ingesters;
mod select_into;
mod serve_clients;
mod serve_hostile_queries;
mod serve_influxql;
mod serve_query;
mod serve_restart;
