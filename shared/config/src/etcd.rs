//! The etcd block: where the cluster catalog lives. Flattened into `quiver router`, `quiver
//! ingester`, `quiver querier` (and `quiver admin`), so every process of a cluster names etcd
//! the same way.
//!
//! ```text
//! --etcd-endpoints http://a:2379,http://b:2379  (QUIVER_ETCD_ENDPOINTS) ──► endpoints
//! --etcd-prefix /quiver/                        (QUIVER_ETCD_PREFIX)    ──► key prefix
//! ```

use clap::Args;

/// Default `--etcd-prefix`.
pub const DEFAULT_ETCD_PREFIX: &str = "/quiver/";

/// The cluster catalog in etcd.
#[derive(Debug, Clone, Args)]
pub struct EtcdArgs {
    /// etcd client URLs, comma-separated (e.g. `http://etcd-0:2379,http://etcd-1:2379`).
    /// Required by `quiver router`, `ingester`, `querier` and `compactor`: the cluster catalog
    /// (databases, tokens, schemas, Parquet file records, ingester leases) lives there.
    #[arg(
        long = "etcd-endpoints",
        env = "QUIVER_ETCD_ENDPOINTS",
        value_name = "URL[,URL…]",
        value_delimiter = ',',
        value_parser = parse_endpoint
    )]
    pub etcd_endpoints: Vec<String>,

    /// Key prefix of this cluster's catalog in etcd (several clusters can share one etcd).
    #[arg(
        long = "etcd-prefix",
        env = "QUIVER_ETCD_PREFIX",
        value_name = "PREFIX",
        default_value = DEFAULT_ETCD_PREFIX,
        value_parser = parse_prefix
    )]
    pub etcd_prefix: String,
}

fn parse_endpoint(s: &str) -> Result<String, String> {
    let s = s.trim();
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or_else(|| format!("expected http://HOST:PORT, got {s:?}"))?;
    if rest.is_empty() || rest.contains('/') {
        return Err(format!("expected http://HOST:PORT, got {s:?}"));
    }
    Ok(s.to_owned())
}

fn parse_prefix(s: &str) -> Result<String, String> {
    if s.starts_with('/') {
        Ok(s.to_owned())
    } else {
        Err(format!("must start with '/', got {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct TestCli {
        #[command(flatten)]
        etcd: EtcdArgs,
    }

    fn parse(args: &[&str]) -> Result<EtcdArgs, clap::Error> {
        TestCli::try_parse_from(["test"].iter().chain(args)).map(|c| c.etcd)
    }

    #[test]
    fn endpoints_split_on_commas_and_prefix_defaults() {
        let a = parse(&["--etcd-endpoints", "http://a:2379,http://b:2379"]).unwrap();
        assert_eq!(a.etcd_endpoints, ["http://a:2379", "http://b:2379"]);
        assert_eq!(a.etcd_prefix, "/quiver/");
        let a = parse(&["--etcd-endpoints=http://a:1", "--etcd-prefix", "/c2/"]).unwrap();
        assert_eq!(a.etcd_prefix, "/c2/");
    }

    #[test]
    fn bad_values_are_rejected_with_the_expected_form() {
        let err = parse(&["--etcd-endpoints", "a:2379"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected http://HOST:PORT"), "{err}");
        assert!(parse(&["--etcd-endpoints", "http://a:1/x"]).is_err());
        let err = parse(&["--etcd-endpoints", "http://a:1", "--etcd-prefix", "q"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("must start with '/'"), "{err}");
    }
}
