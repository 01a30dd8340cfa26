//! What the querier needs for read-after-write, from the parts it runs with: the write log's
//! high-water marks and the wait settings.
//!
//! ```text
//! Arc<dyn WriteLog> (Kafka topic | serve's embedded log) ──► LogWatermarks: HighWatermarks
//! QueryArgs (--query-ingester-wait, --query-ingester-deadline) ──► UnpersistedSettings
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use catalog::LogPartition;
use config::QueryArgs;
use query::unpersisted::{HighWatermarks, UnpersistedError, UnpersistedSettings};
use write_log::WriteLog;

/// The high-water marks of a write log.
#[derive(Debug, Clone)]
pub struct LogWatermarks(pub Arc<dyn WriteLog>);

#[async_trait]
impl HighWatermarks for LogWatermarks {
    async fn high_watermarks(&self) -> Result<BTreeMap<LogPartition, u64>, UnpersistedError> {
        self.0
            .high_watermarks()
            .await
            .map_err(|e| UnpersistedError::HighWatermarks(e.to_string()))
    }
}

/// The reader's settings from the flags.
pub fn unpersisted_settings(args: &QueryArgs) -> UnpersistedSettings {
    UnpersistedSettings {
        ingester_wait: args.ingester_wait,
        deadline: args.deadline.max(args.ingester_wait),
        ..UnpersistedSettings::default()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use write_log::{LogWrite, MemWriteLog};

    use super::*;

    #[tokio::test]
    async fn watermarks_follow_appends() {
        let log = Arc::new(MemWriteLog::new(1 << 20));
        let marks = LogWatermarks(log.clone());
        let before = marks.high_watermarks().await.unwrap();
        assert!(before.values().all(|o| *o == 0), "{before:?}");
        log.append(0, LogWrite::new("db", vec![])).await.unwrap();
        log.append(0, LogWrite::new("db", vec![])).await.unwrap();
        assert_eq!(marks.high_watermarks().await.unwrap()[&0], 2);
    }

    #[test]
    fn the_deadline_is_never_shorter_than_one_wait() {
        let s = unpersisted_settings(&QueryArgs {
            ingester_wait: Duration::from_secs(20),
            deadline: Duration::from_secs(5),
        });
        assert_eq!(s.deadline, Duration::from_secs(20));
    }
}
