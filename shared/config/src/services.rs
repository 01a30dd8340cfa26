//! One configuration struct per service subcommand.

use clap::Args;
use clap::builder::BoolishValueParser;

use crate::{
    CommonArgs, CompactionArgs, EtcdArgs, IngesterArgs, KafkaArgs, ObjectStoreArgs, QueryArgs,
};

/// `quiver router`: the stateless HTTP write tier.
#[derive(Debug, Clone, Args)]
pub struct RouterConfig {
    /// Address to listen on for HTTP (`127.0.0.1:0` picks a free port).
    #[arg(
        long = "bind",
        env = "QUIVER_BIND",
        value_name = "ADDR:PORT",
        default_value = "0.0.0.0:8080"
    )]
    pub bind: String,

    /// Create a database on its first write instead of answering 404. Accepts
    /// `--auto-create-databases`, `--auto-create-databases=false`.
    #[arg(
        long = "auto-create-databases",
        env = "QUIVER_AUTO_CREATE_DATABASES",
        value_name = "BOOL",
        default_value = "false",
        default_missing_value = "true",
        num_args = 0..=1,
        action = clap::ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub auto_create_databases: bool,

    /// The cluster catalog.
    #[command(flatten)]
    pub etcd: EtcdArgs,

    /// The write log.
    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// Create the Kafka topic with this many partitions at start if it does not exist
    /// (retention 7 days, replication min(3, brokers)). Off by default: create it with
    /// `quiver admin topic create`; an existing topic is never changed.
    #[arg(
        long = "kafka-create-topic-partitions",
        env = "QUIVER_KAFKA_CREATE_TOPIC_PARTITIONS",
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=100_000)
    )]
    pub kafka_create_topic_partitions: Option<u32>,

    /// Shared blocks.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `quiver serve`: every service in one process, on one port.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on for HTTP (writes, management, health) and Arrow Flight gRPC
    /// (queries), on the same port (`127.0.0.1:0` picks a free port).
    #[arg(
        long = "bind",
        env = "QUIVER_BIND",
        value_name = "ADDR:PORT",
        default_value = "0.0.0.0:8181"
    )]
    pub bind: String,

    /// Create a database on its first write instead of answering 404. Accepts
    /// `--auto-create-databases`, `--auto-create-databases=false`.
    #[arg(
        long = "auto-create-databases",
        env = "QUIVER_AUTO_CREATE_DATABASES",
        value_name = "BOOL",
        default_value = "true",
        default_missing_value = "true",
        num_args = 0..=1,
        action = clap::ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub auto_create_databases: bool,

    /// Where Parquet files go (default: `file` under `--data-dir`, else `memory`).
    #[command(flatten)]
    pub object_store: ObjectStoreArgs,

    /// Persist thresholds and memory budget of the embedded ingester.
    #[command(flatten)]
    pub ingester: IngesterArgs,

    /// How queries wait for the embedded ingester.
    #[command(flatten)]
    pub query: QueryArgs,

    /// Run compaction, retention and garbage collection in the process (`--compaction=false`
    /// keeps every file as persisted and never deletes an object).
    #[arg(
        long = "compaction",
        env = "QUIVER_COMPACTION",
        value_name = "BOOL",
        default_value = "true",
        default_missing_value = "true",
        num_args = 0..=1,
        action = clap::ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub compaction_enabled: bool,

    /// The embedded compactor.
    #[command(flatten)]
    pub compaction: CompactionArgs,

    /// Shared blocks.
    #[command(flatten)]
    pub common: CommonArgs,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::LogFormat;

    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Debug, clap::Subcommand)]
    enum Command {
        Router(RouterConfig),
        Serve(ServeConfig),
    }

    fn serve(args: &[&str]) -> ServeConfig {
        let argv = ["quiver", "serve"].iter().chain(args);
        match TestCli::try_parse_from(argv).unwrap().command {
            Command::Serve(c) => c,
            Command::Router(_) => panic!("parsed as router"),
        }
    }

    fn router(args: &[&str]) -> RouterConfig {
        let argv = ["quiver", "router"].iter().chain(args);
        match TestCli::try_parse_from(argv).unwrap().command {
            Command::Router(c) => c,
            Command::Serve(_) => panic!("parsed as serve"),
        }
    }

    // Defaults assume no QUIVER_* variables in the test environment (env tests live in
    // tests/env.rs, a separate process).
    #[test]
    fn defaults_differ_per_service() {
        let s = serve(&[]);
        assert_eq!(s.bind, "0.0.0.0:8181");
        assert!(s.auto_create_databases);
        let r = router(&[]);
        assert_eq!(r.bind, "0.0.0.0:8080");
        assert!(!r.auto_create_databases);
        assert_eq!(r.common.write_api.max_http_request_size, 10_485_760);
        assert_eq!(r.common.write_api.max_concurrent_writes, 200);
        assert_eq!(r.common.write_api.write_convert_threads, 1);
        assert_eq!(r.common.write_log.write_log_memory_budget, 1 << 30);
        assert_eq!(r.common.storage.data_dir, None);
        assert_eq!(r.common.auth.operator_token, None);
        assert_eq!(r.common.logging.log_format, LogFormat::Text);
    }

    #[test]
    fn auto_create_accepts_bare_and_explicit_values() {
        assert!(!serve(&["--auto-create-databases=false"]).auto_create_databases);
        assert!(!serve(&["--auto-create-databases", "false"]).auto_create_databases);
        assert!(router(&["--auto-create-databases"]).auto_create_databases);
        assert!(router(&["--auto-create-databases=true"]).auto_create_databases);
        assert!(router(&["--auto-create-databases", "--bind", "1.2.3.4:5"]).auto_create_databases);
        let argv = ["quiver", "serve", "--auto-create-databases=maybe"];
        assert!(TestCli::try_parse_from(argv).is_err());
    }

    #[test]
    fn every_flag_parses() {
        let s = serve(&[
            "--bind",
            "127.0.0.1:0",
            "--data-dir",
            "/tmp/q",
            "--operator-token",
            "qvr_x",
            "--max-http-request-size",
            "1024",
            "--max-concurrent-writes",
            "3",
            "--write-convert-threads",
            "5",
            "--write-log-memory-budget",
            "4096",
            "--log-filter",
            "debug",
            "--log-format",
            "json",
        ]);
        assert_eq!(s.bind, "127.0.0.1:0");
        assert_eq!(
            s.common.storage.data_dir.as_deref(),
            Some(std::path::Path::new("/tmp/q"))
        );
        assert_eq!(s.common.auth.operator_token.as_deref(), Some("qvr_x"));
        assert_eq!(s.common.write_api.max_http_request_size, 1024);
        assert_eq!(s.common.write_api.max_concurrent_writes, 3);
        assert_eq!(s.common.write_api.write_convert_threads, 5);
        assert_eq!(s.common.write_log.write_log_memory_budget, 4096);
        assert_eq!(s.common.logging.log_filter.as_deref(), Some("debug"));
        assert_eq!(s.common.logging.log_format, LogFormat::Json);
        assert!(
            !format!("{:?}", s.common.auth).contains("qvr_x"),
            "Debug redacts the token"
        );
    }

    #[test]
    fn router_kafka_flags() {
        let r = router(&[]);
        assert_eq!(r.kafka.bootstrap_servers(), None);
        assert_eq!(r.kafka.kafka_topic, "quiver-writes");
        assert_eq!(r.kafka_create_topic_partitions, None);
        let r = router(&[
            "--kafka-brokers",
            "k0:9092,k1:9092",
            "--kafka-topic",
            "w",
            "--kafka-create-topic-partitions",
            "12",
        ]);
        assert_eq!(
            r.kafka.bootstrap_servers().as_deref(),
            Some("k0:9092,k1:9092")
        );
        assert_eq!(r.kafka.kafka_topic, "w");
        assert_eq!(r.kafka_create_topic_partitions, Some(12));
        let argv = ["quiver", "router", "--kafka-create-topic-partitions", "0"];
        assert!(TestCli::try_parse_from(argv).is_err());
    }

    #[test]
    fn zero_limits_are_rejected() {
        for flag in [
            "--max-concurrent-writes=0",
            "--max-http-request-size=0",
            "--write-convert-threads=0",
        ] {
            assert!(
                TestCli::try_parse_from(["quiver", "router", flag]).is_err(),
                "{flag}"
            );
        }
    }

    #[test]
    fn help_documents_every_flag() {
        use clap::CommandFactory;
        let help = TestCli::command()
            .find_subcommand_mut("serve")
            .unwrap()
            .render_long_help()
            .to_string();
        for flag in [
            "--bind",
            "--data-dir",
            "--operator-token",
            "--auto-create-databases",
            "--max-http-request-size",
            "--max-concurrent-writes",
            "--write-log-memory-budget",
            "--log-filter",
            "--log-format",
            "QUIVER_BIND",
            "QUIVER_OPERATOR_TOKEN",
        ] {
            assert!(help.contains(flag), "{flag} missing from:\n{help}");
        }
    }
}
