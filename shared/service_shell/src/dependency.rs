//! The services' external dependencies, by name: one text per dependency for a missing flag,
//! and the same bounded retry with backoff while one is not up yet at start.
//!
//! ```text
//! flag empty ──► Dependency::missing(service) ──► "quiver ingester needs the cluster catalog: set
//!                --etcd-endpoints (or QUIVER_ETCD_ENDPOINTS) …"
//! connect    ──► retry_start(dependency, RetryPolicy, attempt, retryable)
//!                  retryable error ──► wait 250 ms, 500 ms, … ≤ 5 s ──► again, ≤ 60 s in all
//!                  ──► StartError::GaveUp { dependency, attempts, seconds, last error }
//!                  other error ──► StartError::Failed { dependency, error } at once
//! ```

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

/// Something a service needs to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// The cluster catalog.
    Etcd,
    /// The write log.
    Kafka,
    /// Parquet files.
    ObjectStore,
}

impl Dependency {
    /// The short name used in `/ready` checks and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Etcd => "etcd",
            Self::Kafka => "kafka",
            Self::ObjectStore => "object store",
        }
    }

    /// What it is to Quiver.
    fn role(self) -> &'static str {
        match self {
            Self::Etcd => "the cluster catalog",
            Self::Kafka => "the write log",
            Self::ObjectStore => "an object store",
        }
    }

    /// How to configure it.
    fn how(self) -> &'static str {
        match self {
            Self::Etcd => {
                "set --etcd-endpoints (or QUIVER_ETCD_ENDPOINTS) to etcd's client URLs, e.g. \
                 http://etcd:2379"
            }
            Self::Kafka => {
                "set --kafka-brokers (or QUIVER_KAFKA_BROKERS) to Kafka's HOST:PORT[,…], e.g. \
                 kafka:9092"
            }
            Self::ObjectStore => {
                "set --object-store (or QUIVER_OBJECT_STORE) to s3, gcs, azure or file, with \
                 --bucket / --data-dir"
            }
        }
    }

    /// The error for `quiver <service>` started without it configured.
    pub fn missing(self, service: &'static str) -> MissingDependency {
        MissingDependency {
            service,
            dependency: self,
        }
    }
}

impl fmt::Display for Dependency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A service started without a dependency it cannot run without.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "quiver {service} needs {}: {}; `quiver serve` runs everything in one process without it",
    .dependency.role(),
    .dependency.how()
)]
pub struct MissingDependency {
    /// The subcommand.
    pub service: &'static str,
    /// What is missing.
    pub dependency: Dependency,
}

/// How long to keep trying a dependency at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Pause after the first failure; doubled after each further one.
    pub first_delay: Duration,
    /// Longest pause.
    pub max_delay: Duration,
    /// No new attempt starts after this much time.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    /// 250 ms doubling to 5 s, for up to 60 s: a cluster whose etcd or Kafka comes up a little
    /// after Quiver (docker-compose, a rolling restart) starts without operator help.
    fn default() -> Self {
        Self {
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
            give_up_after: Duration::from_secs(60),
        }
    }
}

/// A dependency that could not be reached at start.
#[derive(Debug, thiserror::Error)]
pub enum StartError<E: std::error::Error + 'static> {
    /// Still unreachable when the policy's time ran out.
    #[error("gave up on {dependency} after {attempts} attempts in {seconds} s: {last}")]
    GaveUp {
        /// Which dependency.
        dependency: Dependency,
        /// Attempts made.
        attempts: u32,
        /// Seconds spent.
        seconds: u64,
        /// The last attempt's error.
        #[source]
        last: E,
    },
    /// An error a retry does not fix (bad configuration, a missing topic, …).
    #[error("cannot use {dependency}: {error}")]
    Failed {
        /// Which dependency.
        dependency: Dependency,
        /// The error.
        #[source]
        error: E,
    },
}

/// Runs `attempt` until it succeeds, fails with an error `retryable` refuses, or `policy`'s
/// time is up; every failure to retry is logged with the dependency's name.
pub async fn retry_start<T, E, F, Fut>(
    dependency: Dependency,
    policy: RetryPolicy,
    mut attempt: F,
    retryable: impl Fn(&E) -> bool,
) -> Result<T, StartError<E>>
where
    E: std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let mut delay = policy.first_delay;
    let mut attempts = 0u32;
    loop {
        attempts = attempts.saturating_add(1);
        match attempt().await {
            Ok(value) => {
                if attempts > 1 {
                    tracing::info!(%dependency, attempts, "reachable");
                }
                return Ok(value);
            }
            Err(error) if !retryable(&error) => {
                return Err(StartError::Failed { dependency, error });
            }
            Err(last) if started.elapsed() + delay > policy.give_up_after => {
                return Err(StartError::GaveUp {
                    dependency,
                    attempts,
                    seconds: started.elapsed().as_secs(),
                    last,
                });
            }
            Err(error) => {
                tracing::warn!(%dependency, %error, attempts, "not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(policy.max_delay);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Failure {
        #[error("down")]
        Down,
        #[error("misconfigured")]
        Bad,
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            first_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            give_up_after: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn retries_until_reachable() {
        let mut calls = 0;
        let value = retry_start(
            Dependency::Etcd,
            quick(),
            || {
                calls += 1;
                let now = calls;
                async move { if now < 3 { Err(Failure::Down) } else { Ok(now) } }
            },
            |e| matches!(e, Failure::Down),
        )
        .await
        .unwrap();
        assert_eq!(value, 3);
    }

    #[tokio::test]
    async fn gives_up_naming_the_dependency_and_stops_at_once_on_other_errors() {
        let err = retry_start(
            Dependency::Kafka,
            quick(),
            || async { Err::<(), _>(Failure::Down) },
            |e| matches!(e, Failure::Down),
        )
        .await
        .unwrap_err();
        let StartError::GaveUp { attempts, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(*attempts > 3, "{err}");
        assert!(
            err.to_string().starts_with("gave up on kafka after "),
            "{err}"
        );
        assert!(err.to_string().ends_with(": down"), "{err}");

        let mut calls = 0;
        let err = retry_start(
            Dependency::Etcd,
            quick(),
            || {
                calls += 1;
                async { Err::<(), _>(Failure::Bad) }
            },
            |e| matches!(e, Failure::Down),
        )
        .await
        .unwrap_err();
        assert_eq!(calls, 1);
        assert_eq!(err.to_string(), "cannot use etcd: misconfigured");
    }

    #[test]
    fn missing_flags_say_which_and_how() {
        assert_eq!(
            Dependency::Etcd.missing("querier").to_string(),
            "quiver querier needs the cluster catalog: set --etcd-endpoints (or \
             QUIVER_ETCD_ENDPOINTS) to etcd's client URLs, e.g. http://etcd:2379; `quiver serve` \
             runs everything in one process without it"
        );
        assert!(
            Dependency::Kafka
                .missing("router")
                .to_string()
                .starts_with("quiver router needs the write log: set --kafka-brokers")
        );
    }
}
