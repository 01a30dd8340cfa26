//! The embedded catalog of `quiver serve --data-dir`: the in-memory engine plus a journal on
//! local disk, crash-safe.
//!
//! ```text
//! <dir>/LOCK           exclusive lock (File::try_lock) held while the catalog is open
//! <dir>/snapshot       compacted state: Header{generation, revision, last_id}, then facts
//! <dir>/log.<gen>      facts after that snapshot, one record each, appended + fsynced
//!
//! change ──► State::plan ──► Fact ──► append record to log.<gen> ──► fsync ──► apply ──► ack
//! open   ──► lock ──► snapshot facts ──► log.<gen> facts (torn tail truncated) ──► State
//! log.<gen> > threshold ──► write snapshot.tmp (gen+1), fsync, rename, fsync dir
//!                       ──► create log.<gen+1>, fsync dir, remove log.<gen>
//! ```
//!
//! Why an append log and not rewriting the whole state per change: Parquet file records grow
//! without bound and every new column is a change, so rewriting would cost O(state) per write;
//! an append costs O(change) plus one fsync, and compaction runs once the log outgrows the last
//! snapshot. Records are framed with a length and a CRC32 ([`record`]). A crash can only leave a
//! torn last record, which is truncated on open; damage anywhere else is a
//! [`CatalogError::Corrupt`] error, never skipped. A crash during compaction leaves either the
//! old snapshot + old log or the new snapshot (the generation in the snapshot names the log that
//! belongs to it; other logs are stale and removed).
//!
//! Changes fsync while holding the catalog's lock (a few ms on a local disk): fine for a single
//! process's control plane. Ingester leases are process-local and not persisted.

mod record;

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::CatalogError;
use crate::memory::{Fact, Journal, LocalCatalog, State};
use record::End;

const FORMAT: u32 = 1;
const LOCK_FILE: &str = "LOCK";
const SNAPSHOT: &str = "snapshot";
const SNAPSHOT_TMP: &str = "snapshot.tmp";

/// The embedded catalog (see the module docs).
pub type DiskCatalog = LocalCatalog<DiskJournal>;

/// Tuning of [`DiskCatalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskOptions {
    /// Compact once the log holds at least this many bytes and more than the last snapshot.
    pub compact_log_bytes: u64,
}

impl Default for DiskOptions {
    fn default() -> Self {
        Self {
            compact_log_bytes: 8 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum SnapshotRecord {
    Header {
        format: u32,
        generation: u64,
        revision: u64,
        last_id: u64,
    },
    Fact(Fact),
}

/// The log of a [`DiskCatalog`]; holds the directory lock.
#[derive(Debug)]
pub struct DiskJournal {
    dir: PathBuf,
    options: DiskOptions,
    _lock: File,
    generation: u64,
    log: File,
    log_len: u64,
    snapshot_len: u64,
    /// Set when a failed append could not be rolled back: no further change is accepted.
    broken: Option<String>,
}

impl DiskCatalog {
    /// Opens (creating if needed) the catalog in `dir` with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, CatalogError> {
        Self::open_with(dir, DiskOptions::default())
    }

    /// Opens (creating if needed) the catalog in `dir`.
    pub fn open_with(dir: impl AsRef<Path>, options: DiskOptions) -> Result<Self, CatalogError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, "create the directory", e))?;
        let lock = lock_dir(&dir)?;
        let (mut state, generation, snapshot_len) = read_snapshot(&dir)?;
        let log_path = dir.join(format!("log.{generation}"));
        replay_log(&log_path, &mut state)?;
        remove_stale(&dir, generation)?;
        let log = open_log(&log_path)?;
        let log_len = log
            .metadata()
            .map_err(|e| io(&log_path, "read the size of", e))?
            .len();
        let journal = DiskJournal {
            dir,
            options,
            _lock: lock,
            generation,
            log,
            log_len,
            snapshot_len,
            broken: None,
        };
        Ok(LocalCatalog::with_state(state, journal))
    }
}

fn io(path: &Path, action: &str, e: std::io::Error) -> CatalogError {
    CatalogError::Internal(format!("cannot {action} {}: {e}", path.display()))
}

fn lock_dir(dir: &Path) -> Result<File, CatalogError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io(&path, "open the lock file", e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(CatalogError::Unavailable(format!(
            "catalog directory {} is in use by another process (a running `quiver serve`?); stop it, or manage the catalog through that server's HTTP API",
            dir.display()
        ))),
        Err(TryLockError::Error(e)) => Err(io(&path, "lock", e)),
    }
}

fn read_file(path: &Path) -> Result<Option<Vec<u8>>, CatalogError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path, "read", e)),
    }
}

/// The state of the snapshot (empty when there is none), its generation and size.
fn read_snapshot(dir: &Path) -> Result<(State, u64, u64), CatalogError> {
    let path = dir.join(SNAPSHOT);
    let Some(bytes) = read_file(&path)? else {
        return Ok((State::default(), 0, 0));
    };
    let name = path.display().to_string();
    let (records, end) = record::scan::<SnapshotRecord>(&name, &bytes)?;
    let corrupt = |reason: &str| CatalogError::Corrupt {
        key: name.clone(),
        reason: reason.to_owned(),
    };
    if end != End::Clean {
        // A snapshot is renamed into place only once complete: a short one is damage.
        return Err(corrupt("the snapshot ends in the middle of a record"));
    }
    let mut records = records.into_iter();
    let Some(SnapshotRecord::Header {
        format,
        generation,
        revision,
        last_id,
    }) = records.next()
    else {
        return Err(corrupt("the snapshot does not start with its header"));
    };
    if format != FORMAT {
        return Err(corrupt(&format!(
            "snapshot format {format} is not the supported format {FORMAT}"
        )));
    }
    let mut state = State::default();
    for r in records {
        match r {
            SnapshotRecord::Fact(fact) => {
                state.apply(fact);
            }
            SnapshotRecord::Header { .. } => return Err(corrupt("a second header")),
        }
    }
    state.restore_counters(revision, last_id);
    Ok((state, generation, bytes.len() as u64))
}

/// Applies the facts of the log; truncates a torn tail.
fn replay_log(path: &Path, state: &mut State) -> Result<(), CatalogError> {
    let Some(bytes) = read_file(path)? else {
        return Ok(());
    };
    let (facts, end) = record::scan::<Fact>(&path.display().to_string(), &bytes)?;
    for fact in facts {
        state.apply(fact);
    }
    if let End::Torn { at } = end {
        tracing::warn!(
            file = %path.display(),
            at,
            dropped_bytes = bytes.len() as u64 - at,
            "catalog log ends with a torn record (crash during a write); truncating it"
        );
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io(path, "open", e))?;
        file.set_len(at).map_err(|e| io(path, "truncate", e))?;
        file.sync_all().map_err(|e| io(path, "sync", e))?;
    }
    Ok(())
}

/// Removes a half-written snapshot and the logs of other generations.
fn remove_stale(dir: &Path, generation: u64) -> Result<(), CatalogError> {
    let current = format!("log.{generation}");
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, "list", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io(dir, "list", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale_log = name.starts_with("log.") && name != current;
        if stale_log || name == SNAPSHOT_TMP {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| io(&path, "remove the stale file", e))?;
        }
    }
    Ok(())
}

fn open_log(path: &Path) -> Result<File, CatalogError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| io(path, "open the log", e))
}

fn sync_dir(dir: &Path) -> Result<(), CatalogError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, "sync the directory", e))
}

impl DiskJournal {
    fn log_path(&self, generation: u64) -> PathBuf {
        self.dir.join(format!("log.{generation}"))
    }

    /// Writes `state` as the snapshot of the next generation and starts its empty log.
    fn compact(&mut self, state: &State) -> Result<(), CatalogError> {
        let generation = self.generation + 1;
        let (revision, last_id) = state.counters();
        let mut bytes = record::encode(&SnapshotRecord::Header {
            format: FORMAT,
            generation,
            revision,
            last_id,
        })?;
        for fact in state.to_facts() {
            bytes.extend(record::encode(&SnapshotRecord::Fact(fact))?);
        }
        let tmp = self.dir.join(SNAPSHOT_TMP);
        let mut file = File::create(&tmp).map_err(|e| io(&tmp, "create", e))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| io(&tmp, "write", e))?;
        let snapshot = self.dir.join(SNAPSHOT);
        std::fs::rename(&tmp, &snapshot).map_err(|e| io(&snapshot, "replace", e))?;
        sync_dir(&self.dir)?;
        // From here on the new snapshot is the truth; its log starts empty.
        let new_log_path = self.log_path(generation);
        let new_log = File::create(&new_log_path)
            .and_then(|f| f.sync_all())
            .and_then(|()| open_log_io(&new_log_path))
            .map_err(|e| io(&new_log_path, "create", e))?;
        sync_dir(&self.dir)?;
        let old = self.log_path(self.generation);
        self.generation = generation;
        self.log = new_log;
        self.log_len = 0;
        self.snapshot_len = bytes.len() as u64;
        if let Err(e) = std::fs::remove_file(&old) {
            // Harmless: the next open removes logs of other generations.
            tracing::warn!(file = %old.display(), error = %e, "cannot remove a compacted log");
        }
        Ok(())
    }
}

fn open_log_io(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().append(true).open(path)
}

impl Journal for DiskJournal {
    fn record(&mut self, fact: &Fact, state: &State) -> Result<(), CatalogError> {
        if let Some(reason) = &self.broken {
            return Err(CatalogError::Internal(reason.clone()));
        }
        if self.log_len >= self.options.compact_log_bytes && self.log_len > self.snapshot_len {
            self.compact(state)?;
        }
        let bytes = record::encode(fact)?;
        let path = self.log_path(self.generation);
        let written = self
            .log
            .write_all(&bytes)
            .and_then(|()| self.log.sync_data());
        if let Err(e) = written {
            // Cut the partial record so later appends do not follow garbage.
            let rolled_back = self
                .log
                .set_len(self.log_len)
                .and_then(|()| self.log.sync_data());
            if let Err(rollback) = rolled_back {
                let reason = format!(
                    "the catalog log {} could not be repaired after a failed write ({rollback}); restart the server",
                    path.display()
                );
                self.broken = Some(reason);
            }
            return Err(io(&path, "append to", e));
        }
        self.log_len += bytes.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Catalog, DatabaseName, DbrpFilter};

    /// A log written before DBRP mappings existed (records as that version encoded them)
    /// opens, and the catalog then takes mappings.
    #[tokio::test]
    async fn a_log_from_before_dbrp_mappings_opens() {
        let dir = tempfile::tempdir().unwrap();
        let old_facts = [
            r#"{"database_put":{"id":1,"name":"old","retention_period":{"secs":3600,"nanos":0},"limits":{"max_tables":500,"max_columns_per_table":200},"created_at_ns":5,"deleted_at_ns":null}}"#,
            r#"{"database_put":{"id":2,"name":"gone","retention_period":null,"limits":{"max_tables":500,"max_columns_per_table":200},"created_at_ns":6,"deleted_at_ns":7}}"#,
        ];
        let mut log = Vec::new();
        for fact in old_facts {
            let value: serde_json::Value = serde_json::from_str(fact).unwrap();
            log.extend(record::encode(&value).unwrap());
        }
        std::fs::write(dir.path().join("log.0"), log).unwrap();

        let catalog = DiskCatalog::open(dir.path()).unwrap();
        let old = DatabaseName::new("old").unwrap();
        let db = catalog.database_by_name(&old).await.unwrap().unwrap();
        assert_eq!(db.id.0, 1);
        assert_eq!(catalog.list_databases().await.unwrap().len(), 1);
        let mapping = crate::NewDbrp {
            database: "v1".into(),
            retention_policy: "autogen".into(),
            default: false,
            target: db.id,
        };
        let created = catalog.create_dbrp(mapping).await.unwrap();
        assert_eq!(created.id.0, 3, "ids continue after the old records");
        drop(catalog);
        let catalog = DiskCatalog::open(dir.path()).unwrap();
        let all = catalog.list_dbrps(&DbrpFilter::default()).await.unwrap();
        assert_eq!(all, [created]);
    }
}
