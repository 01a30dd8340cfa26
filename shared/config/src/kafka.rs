//! The Kafka block: where the write log lives. Flattened into `quiver router`, `quiver
//! ingester` and `quiver admin topic create`, so every process of a cluster names it the same.
//!
//! ```text
//! --kafka-brokers kafka-0:9092,kafka-1:9092  (QUIVER_KAFKA_BROKERS) ──► bootstrap servers
//! --kafka-topic quiver-writes                (QUIVER_KAFKA_TOPIC)   ──► the write log topic
//! --kafka-linger 0                           (QUIVER_KAFKA_LINGER)  ──► producer linger.ms
//! ```

use std::time::Duration;

use clap::Args;

use crate::parse_duration;

/// Default `--kafka-topic`.
pub const DEFAULT_KAFKA_TOPIC: &str = "quiver-writes";

/// Default `--kafka-linger`.
pub const DEFAULT_KAFKA_LINGER: Duration = Duration::ZERO;

/// The write log on Kafka.
#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    /// Kafka bootstrap brokers, comma-separated `HOST:PORT`. Required by `quiver router` and
    /// `quiver ingester`: the write log lives there.
    #[arg(
        long = "kafka-brokers",
        env = "QUIVER_KAFKA_BROKERS",
        value_name = "HOST:PORT[,…]",
        value_delimiter = ',',
        value_parser = parse_broker
    )]
    pub kafka_brokers: Vec<String>,

    /// The write log topic: its partitions are the log partitions.
    #[arg(
        long = "kafka-topic",
        env = "QUIVER_KAFKA_TOPIC",
        value_name = "NAME",
        default_value = DEFAULT_KAFKA_TOPIC,
        value_parser = parse_topic
    )]
    pub kafka_topic: String,

    /// How long the producer waits to batch records bound for the same partition before
    /// sending them (`linger.ms`): a router's 204 waits at least this long. `0` sends at once.
    /// Each record already holds a whole request's rows for its partition, so lingering only
    /// adds latency (1 ms of linger cost 1–1.5 ms per request against tansu); without it the
    /// producer still merges the records that queue up while earlier produce requests are in
    /// flight (docs/benchmarks.md, "Producer linger").
    #[arg(
        long = "kafka-linger",
        env = "QUIVER_KAFKA_LINGER",
        value_name = "DURATION",
        default_value = "0",
        value_parser = parse_linger
    )]
    pub kafka_linger: Duration,
}

impl KafkaArgs {
    /// The brokers as one `bootstrap.servers` value, `None` when none were given.
    pub fn bootstrap_servers(&self) -> Option<String> {
        (!self.kafka_brokers.is_empty()).then(|| self.kafka_brokers.join(","))
    }
}

/// A duration (`0`, `1ms`, `5ms`, `1s`; zero allowed) up to librdkafka's limit of 900 s.
fn parse_linger(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let digits = s.trim_end_matches(['m', 's']);
    let zero = !digits.is_empty()
        && digits.bytes().all(|b| b == b'0')
        && matches!(&s[digits.len()..], "" | "ms" | "s");
    let d = if zero {
        Duration::ZERO
    } else {
        parse_duration(s)?
    };
    if d > Duration::from_secs(900) {
        return Err(format!(
            "{s:?} is longer than 900s (librdkafka's linger.ms limit)"
        ));
    }
    Ok(d)
}

fn parse_broker(s: &str) -> Result<String, String> {
    let s = s.trim();
    let (host, port) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("expected HOST:PORT, got {s:?}"))?;
    if host.is_empty() || host.contains('/') || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(format!("expected HOST:PORT, got {s:?}"));
    }
    Ok(s.to_owned())
}

/// Kafka's rule: 1–249 characters of `A-Z a-z 0-9 . _ -`.
fn parse_topic(s: &str) -> Result<String, String> {
    let valid = !s.is_empty()
        && s.len() <= 249
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "invalid Kafka topic {s:?}: use 1-249 characters of A-Z a-z 0-9 . _ -"
        ))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        kafka: KafkaArgs,
    }

    fn parse(args: &[&str]) -> Result<KafkaArgs, clap::Error> {
        Cli::try_parse_from(["quiver"].iter().chain(args)).map(|c| c.kafka)
    }

    #[test]
    fn parses_brokers_and_topic() {
        let k = parse(&["--kafka-brokers", "a:9092,b:9093", "--kafka-topic", "w.1"]).unwrap();
        assert_eq!(k.kafka_brokers, ["a:9092", "b:9093"]);
        assert_eq!(k.bootstrap_servers().as_deref(), Some("a:9092,b:9093"));
        assert_eq!(k.kafka_topic, "w.1");
    }

    #[test]
    fn defaults_and_errors() {
        let k = parse(&[]).unwrap();
        assert_eq!(k.kafka_topic, DEFAULT_KAFKA_TOPIC);
        assert_eq!(k.bootstrap_servers(), None);
        let err = parse(&["--kafka-brokers", "http://a:1"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected HOST:PORT"), "{err}");
        let err = parse(&["--kafka-brokers", "a"]).unwrap_err().to_string();
        assert!(err.contains("expected HOST:PORT"), "{err}");
        let err = parse(&["--kafka-topic", "a b"]).unwrap_err().to_string();
        assert!(err.contains("invalid Kafka topic"), "{err}");
    }

    #[test]
    fn linger_defaults_to_zero_and_parses_durations() {
        assert_eq!(parse(&[]).unwrap().kafka_linger, DEFAULT_KAFKA_LINGER);
        assert_eq!(DEFAULT_KAFKA_LINGER, Duration::ZERO);
        for (arg, ms) in [
            ("0", 0),
            ("0ms", 0),
            ("0s", 0),
            ("1ms", 1),
            ("20ms", 20),
            ("1s", 1000),
        ] {
            let k = parse(&["--kafka-linger", arg]).unwrap();
            assert_eq!(k.kafka_linger, Duration::from_millis(ms), "{arg}");
        }
        for bad in ["ms", "-1ms", "5x", "901s"] {
            assert!(parse(&["--kafka-linger", bad]).is_err(), "{bad}");
        }
    }
}
