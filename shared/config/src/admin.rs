//! `quiver admin`: databases, tokens and DBRP mappings, straight in the catalog (no server
//! needed).
//!
//! ```text
//! quiver admin database create NAME [--retention 30d] | list | update NAME --retention D | delete NAME
//! quiver admin token    create [--read DB]… [--write DB]… [--description T] [--operator]
//!                              | list | revoke ID
//! quiver admin dbrp     create --db V1DB --rp RP --database NAME [--default]
//!                              | list [--db V1DB] | delete ID
//! every leaf: catalog = --etcd-endpoints/--etcd-prefix (cluster) | --data-dir DIR (`serve`)
//!             output  = --format table|json
//! quiver admin topic create --kafka-brokers B --kafka-topic T --partitions N [--retention 7d]
//!                           [--replication-factor R]   (the write log topic, in Kafka)
//! ```

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use crate::{EtcdArgs, KafkaArgs, StorageArgs};

/// `quiver admin`.
#[derive(Debug, Clone, Args)]
pub struct AdminConfig {
    /// What to manage.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// `quiver admin <what>`.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Databases (v2 buckets).
    #[command(subcommand)]
    Database(DatabaseCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// DBRP mappings: an InfluxDB 1.x (database, retention policy) pair naming a database.
    #[command(subcommand)]
    Dbrp(DbrpCommand),
    /// The write log's Kafka topic.
    #[command(subcommand)]
    Topic(TopicCommand),
}

/// `quiver admin topic …`.
#[derive(Debug, Clone, Subcommand)]
pub enum TopicCommand {
    /// Create the write log topic unless it exists (an existing topic is left unchanged and its
    /// partition count reported).
    Create {
        /// Where and which topic.
        #[command(flatten)]
        kafka: KafkaArgs,
        /// Number of partitions: the write log's unit of ordering and of ingester parallelism.
        #[arg(long = "partitions", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        partitions: u32,
        /// How long Kafka keeps records (`12h`, `7d`, `infinite`): must exceed the longest
        /// time an ingester may lag behind persisting.
        #[arg(long = "retention", value_name = "DURATION", default_value = "7d", value_parser = parse_retention)]
        retention: Retention,
        /// Replicas per partition; default min(3, brokers in the cluster).
        #[arg(long = "replication-factor", value_name = "R", value_parser = clap::value_parser!(u16).range(1..))]
        replication_factor: Option<u16>,
        /// Output format.
        #[arg(long = "format", value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
}

/// `quiver admin database …`.
#[derive(Debug, Clone, Subcommand)]
pub enum DatabaseCommand {
    /// Create a database.
    Create {
        /// Name: 1–64 characters of A-Z a-z 0-9 _ - / (`db/rp` for v1 retention policies).
        name: String,
        /// Keep data this long (`90s`, `15m`, `12h`, `30d`, `2w`); `infinite` keeps it forever.
        #[arg(long = "retention", value_name = "DURATION", value_parser = parse_retention)]
        retention: Option<Retention>,
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
    /// List the databases.
    List {
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Change a database's retention period.
    Update {
        /// Database name.
        name: String,
        /// New retention period (`30d`, …, or `infinite`).
        #[arg(long = "retention", value_name = "DURATION", value_parser = parse_retention)]
        retention: Retention,
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Delete a database (soft delete: writes stop at once, the name can be reused).
    Delete {
        /// Database name.
        name: String,
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
}

/// `quiver admin token …`.
#[derive(Debug, Clone, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its value (shown only this once).
    Create {
        /// Grant read (queries) on a database; `*` = every database. Repeatable.
        #[arg(long = "read", value_name = "DB")]
        read: Vec<String>,
        /// Grant write on a database; `*` = every database. Repeatable.
        #[arg(long = "write", value_name = "DB")]
        write: Vec<String>,
        /// Free text shown in listings.
        #[arg(long = "description", value_name = "TEXT", default_value = "")]
        description: String,
        /// An operator token: may do everything, including managing databases and tokens.
        #[arg(long = "operator")]
        operator: bool,
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
    /// List the tokens (never their values).
    List {
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Revoke a token: every service rejects it within a second.
    Revoke {
        /// Token id, as shown by `token create` and `token list`.
        id: String,
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
}

/// `quiver admin dbrp …`.
#[derive(Debug, Clone, Subcommand)]
pub enum DbrpCommand {
    /// Map a v1 (database, retention policy) pair to a database: v1 writes and queries naming
    /// the pair (or only the v1 database, for its default mapping) go there.
    Create {
        /// The v1 database name (printable text without `/` or `\`).
        #[arg(long = "db", value_name = "V1DB")]
        db: String,
        /// The v1 retention policy name (same rule).
        #[arg(long = "rp", value_name = "RP")]
        rp: String,
        /// The database (v2 bucket) the pair names; it must exist.
        #[arg(long = "database", value_name = "NAME")]
        database: String,
        /// Make it the v1 database's default (its first mapping is the default anyway).
        #[arg(long = "default")]
        default: bool,
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
    /// List the mappings.
    List {
        /// Only the mappings of this v1 database.
        #[arg(long = "db", value_name = "V1DB")]
        db: Option<String>,
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
    /// Delete a mapping (its v1 database's default moves to another of its mappings).
    Delete {
        /// Mapping id, as shown by `dbrp create` and `dbrp list`.
        id: String,
        /// Catalog and output.
        #[command(flatten)]
        target: AdminTarget,
    },
}

/// Where the catalog is, and how to print.
#[derive(Debug, Clone, Args)]
pub struct AdminTarget {
    /// Cluster catalog in etcd.
    #[command(flatten)]
    pub etcd: EtcdArgs,
    /// The data directory of a stopped `quiver serve` (its catalog is in `DIR/catalog`).
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Output format.
    #[arg(long = "format", value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// Output of `quiver admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    #[default]
    Table,
    /// One JSON document for scripts.
    Json,
}

/// A retention period; `None` = keep forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention(pub Option<Duration>);

/// Parses `90s`, `15m`, `12h`, `30d`, `2w` (a positive whole number and one unit), or
/// `infinite`/`inf`/`none`/`0` (forever).
pub fn parse_retention(s: &str) -> Result<Retention, String> {
    let s = s.trim();
    if matches!(s, "infinite" | "inf" | "none" | "0") {
        return Ok(Retention(None));
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let expected = || {
        format!(
            "expected a positive number and a unit (s, m, h, d, w), e.g. 30d, or `infinite`; got {s:?}"
        )
    };
    let n: u64 = number.parse().map_err(|_| expected())?;
    let unit_secs: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(expected()),
    };
    if n == 0 {
        return Err(expected());
    }
    n.checked_mul(unit_secs)
        .map(|secs| Retention(Some(Duration::from_secs(secs))))
        .ok_or_else(|| format!("retention {s:?} is too long"))
}

/// Formats a retention period with the largest exact unit (`30d`, `36h`, `90s`) or `infinite`.
pub fn format_retention(retention: Option<Duration>) -> String {
    let Some(d) = retention else {
        return "infinite".to_owned();
    };
    let secs = d.as_secs();
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs > 0 && secs % size == 0 {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(subcommand)]
        command: Top,
    }

    #[derive(Debug, Subcommand)]
    enum Top {
        Admin(AdminConfig),
    }

    fn admin(args: &[&str]) -> Result<AdminCommand, clap::Error> {
        TestCli::try_parse_from(["quiver", "admin"].iter().chain(args)).map(|c| match c.command {
            Top::Admin(a) => a.command,
        })
    }

    #[test]
    fn retention_values() {
        let secs = |s| parse_retention(s).unwrap().0.map(|d| d.as_secs());
        assert_eq!(secs("90s"), Some(90));
        assert_eq!(secs("15m"), Some(900));
        assert_eq!(secs("12h"), Some(43_200));
        assert_eq!(secs("30d"), Some(2_592_000));
        assert_eq!(secs("2w"), Some(1_209_600));
        assert_eq!(secs("infinite"), None);
        assert_eq!(secs("0"), None);
        for bad in [
            "",
            "d",
            "30",
            "30y",
            "-1d",
            "0d",
            "1.5h",
            "99999999999999999999w",
        ] {
            assert!(parse_retention(bad).is_err(), "{bad}");
        }
        for (d, shown) in [
            (None, "infinite"),
            (Some(2_592_000), "30d"),
            (Some(1_209_600), "2w"),
            (Some(129_600), "36h"),
            (Some(90), "90s"),
            (Some(900), "15m"),
        ] {
            assert_eq!(format_retention(d.map(Duration::from_secs)), shown);
        }
    }

    #[test]
    fn subcommands_and_flags_parse() {
        let cmd = admin(&[
            "database",
            "create",
            "mydb",
            "--retention",
            "30d",
            "--data-dir",
            "/d",
            "--format",
            "json",
        ])
        .unwrap();
        let AdminCommand::Database(DatabaseCommand::Create {
            name,
            retention,
            target,
        }) = cmd
        else {
            panic!("{cmd:?}")
        };
        assert_eq!(name, "mydb");
        assert_eq!(
            retention,
            Some(Retention(Some(Duration::from_secs(2_592_000))))
        );
        assert_eq!(
            target.storage.data_dir.as_deref(),
            Some(std::path::Path::new("/d"))
        );
        assert_eq!(target.format, OutputFormat::Json);

        let cmd = admin(&[
            "token",
            "create",
            "--read",
            "a",
            "--read",
            "*",
            "--write",
            "b",
            "--description",
            "ci",
            "--etcd-endpoints",
            "http://e:2379",
        ])
        .unwrap();
        let AdminCommand::Token(TokenCommand::Create {
            read,
            write,
            description,
            operator,
            target,
        }) = cmd
        else {
            panic!("{cmd:?}")
        };
        assert_eq!(read, ["a", "*"]);
        assert_eq!(write, ["b"]);
        assert_eq!(description, "ci");
        assert!(!operator);
        assert_eq!(target.etcd.etcd_endpoints, ["http://e:2379"]);
        assert_eq!(target.format, OutputFormat::Table);

        let cmd = admin(&[
            "dbrp",
            "create",
            "--db",
            "telegraf",
            "--rp",
            "autogen",
            "--database",
            "metrics",
            "--default",
            "--data-dir",
            "/d",
        ])
        .unwrap();
        let AdminCommand::Dbrp(DbrpCommand::Create {
            db,
            rp,
            database,
            default,
            ..
        }) = cmd
        else {
            panic!("{cmd:?}")
        };
        assert_eq!(
            (db.as_str(), rp.as_str(), database.as_str()),
            ("telegraf", "autogen", "metrics")
        );
        assert!(default);
        assert!(
            admin(&["dbrp", "create", "--db", "d", "--rp", "r"]).is_err(),
            "--database is required"
        );
        assert!(admin(&["dbrp", "list", "--db", "telegraf"]).is_ok());
        assert!(admin(&["dbrp", "delete", "000000000000002a"]).is_ok());
        assert!(admin(&["dbrp", "delete"]).is_err());

        assert!(admin(&["token", "revoke", "000000000000002a"]).is_ok());
        assert!(admin(&["token", "revoke"]).is_err());
        assert!(
            admin(&["database", "update", "x"]).is_err(),
            "--retention is required"
        );
        assert!(admin(&["database", "create", "x", "--retention", "soon"]).is_err());
    }
}
