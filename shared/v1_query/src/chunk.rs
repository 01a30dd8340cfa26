//! Chunking a statement's rows as 1.x's `query.Emitter` does for `chunked=true`.
//!
//! ```text
//! rows in order (series name, tags, columns, values) ──► StatementChunker::push
//!   same series and pending < chunk_size ──► appended to the pending series
//!   same series, pending full            ──► pending out: series.partial, result.partial
//!   another series                       ──► pending out: result.partial
//! finish ──► the last pending series (no partial flags), or an empty result
//!            (`{"statement_id":N}`) when the statement had no rows
//! fail   ──► the statement's error; the pending rows are dropped, as in 1.x
//! ```
//!
//! At most `chunk_size` rows are held. Each returned [`StatementResult`] is one chunk
//! document for [`crate::format::ChunkWriter`].

use std::collections::BTreeMap;

use crate::result::{Series, StatementResult, Value};

/// Splits one statement's rows into 1.x's chunks.
#[derive(Debug, Clone)]
pub struct StatementChunker {
    statement_id: usize,
    location: Option<String>,
    chunk_size: usize,
    pending: Option<Series>,
}

impl StatementChunker {
    /// A chunker for statement `statement_id`; `location` is its `tz()`; `chunk_size` from
    /// [`crate::QueryParams::chunk_size`] (0 means no limit).
    pub fn new(statement_id: usize, location: Option<String>, chunk_size: usize) -> Self {
        Self {
            statement_id,
            location,
            chunk_size,
            pending: None,
        }
    }

    /// Takes the next row; returns a finished chunk when this row closes one.
    pub fn push(
        &mut self,
        name: Option<&str>,
        tags: &BTreeMap<String, String>,
        columns: &[String],
        row: Vec<Value>,
    ) -> Option<StatementResult> {
        match &mut self.pending {
            Some(series)
                if series.name.as_deref() == name
                    && &series.tags == tags
                    && series.columns == columns =>
            {
                if self.chunk_size > 0 && series.values.len() >= self.chunk_size {
                    let mut full = self.start(name, tags, columns, row);
                    full.partial = true;
                    Some(self.chunk(full, true))
                } else {
                    series.values.push(row);
                    None
                }
            }
            Some(_) => {
                let done = self.start(name, tags, columns, row);
                Some(self.chunk(done, true))
            }
            None => {
                self.pending = Some(Series {
                    name: name.map(str::to_owned),
                    tags: tags.clone(),
                    columns: columns.to_vec(),
                    values: vec![row],
                    partial: false,
                });
                None
            }
        }
    }

    /// Takes a whole series (rows in order); returns the chunks it closes.
    pub fn push_series(&mut self, series: Series) -> Vec<StatementResult> {
        let Series {
            name,
            tags,
            columns,
            values,
            ..
        } = series;
        values
            .into_iter()
            .filter_map(|row| self.push(name.as_deref(), &tags, &columns, row))
            .collect()
    }

    /// The statement's last chunk.
    pub fn finish(mut self) -> StatementResult {
        let series = self.pending.take().map(|s| vec![s]).unwrap_or_default();
        StatementResult {
            statement_id: self.statement_id,
            series,
            location: self.location,
            ..StatementResult::default()
        }
    }

    /// The statement failed: its error result; rows not yet sent are dropped.
    pub fn fail(self, error: impl Into<String>) -> StatementResult {
        StatementResult {
            location: self.location,
            ..StatementResult::error(self.statement_id, error)
        }
    }

    /// Replaces the pending series with a new one holding `row`; returns the old one.
    fn start(
        &mut self,
        name: Option<&str>,
        tags: &BTreeMap<String, String>,
        columns: &[String],
        row: Vec<Value>,
    ) -> Series {
        let next = Series {
            name: name.map(str::to_owned),
            tags: tags.clone(),
            columns: columns.to_vec(),
            values: vec![row],
            partial: false,
        };
        self.pending.replace(next).unwrap_or_default()
    }

    fn chunk(&self, series: Series, partial: bool) -> StatementResult {
        StatementResult {
            statement_id: self.statement_id,
            series: vec![series],
            partial,
            location: self.location.clone(),
            ..StatementResult::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<String> {
        vec!["time".to_owned(), "v".to_owned()]
    }

    fn tags(host: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("host".to_owned(), host.to_owned())])
    }

    fn row(t: i64) -> Vec<Value> {
        vec![Value::Time(t), Value::Integer(t)]
    }

    fn run(chunk_size: usize, rows: &[(&str, i64)]) -> Vec<StatementResult> {
        let mut c = StatementChunker::new(4, None, chunk_size);
        let mut out: Vec<StatementResult> = rows
            .iter()
            .filter_map(|(h, t)| c.push(Some("cpu"), &tags(h), &cols(), row(*t)))
            .collect();
        out.push(c.finish());
        out
    }

    /// Per chunk: (host, rows, series partial) of each series, and the result's partial.
    type Shape = Vec<(Vec<(String, usize, bool)>, bool)>;

    fn shape(results: &[StatementResult]) -> Shape {
        results
            .iter()
            .map(|r| {
                let series = r
                    .series
                    .iter()
                    .map(|s| (s.tags["host"].clone(), s.values.len(), s.partial))
                    .collect();
                (series, r.partial)
            })
            .collect()
    }

    #[test]
    fn splits_every_chunk_size_rows() {
        let out = run(2, &[("a", 1), ("a", 2), ("a", 3), ("a", 4), ("a", 5)]);
        assert_eq!(
            shape(&out),
            vec![
                (vec![("a".into(), 2, true)], true),
                (vec![("a".into(), 2, true)], true),
                (vec![("a".into(), 1, false)], false),
            ]
        );
        assert!(out.iter().all(|r| r.statement_id == 4));
        let exact = run(2, &[("a", 1), ("a", 2), ("a", 3), ("a", 4)]);
        assert_eq!(
            shape(&exact),
            vec![
                (vec![("a".into(), 2, true)], true),
                (vec![("a".into(), 2, false)], false)
            ]
        );
    }

    #[test]
    fn new_series_closes_chunk_without_series_partial() {
        let out = run(10, &[("a", 1), ("a", 2), ("b", 3), ("c", 4)]);
        assert_eq!(
            shape(&out),
            vec![
                (vec![("a".into(), 2, false)], true),
                (vec![("b".into(), 1, false)], true),
                (vec![("c".into(), 1, false)], false),
            ]
        );
        let unlimited = run(0, &[("a", 1), ("a", 2), ("a", 3)]);
        assert_eq!(
            shape(&unlimited),
            vec![(vec![("a".into(), 3, false)], false)]
        );
    }

    #[test]
    fn empty_statement_and_failure() {
        let c = StatementChunker::new(2, Some("Europe/Paris".into()), 5);
        let r = c.finish();
        assert_eq!(r.statement_id, 2);
        assert!(r.series.is_empty() && !r.partial && r.error.is_none());

        let mut c = StatementChunker::new(1, None, 5);
        assert!(c.push(None, &BTreeMap::new(), &cols(), row(1)).is_none());
        let r = c.fail("boom");
        assert_eq!(r, StatementResult::error(1, "boom"));
    }

    #[test]
    fn push_series_replays_rows() {
        let mut c = StatementChunker::new(0, None, 2);
        let series = Series {
            name: Some("cpu".into()),
            tags: tags("a"),
            columns: cols(),
            values: (1..=3).map(row).collect(),
            partial: false,
        };
        let mut out = c.push_series(series);
        out.push(c.finish());
        assert_eq!(
            shape(&out),
            vec![
                (vec![("a".into(), 2, true)], true),
                (vec![("a".into(), 1, false)], false)
            ]
        );
    }
}
