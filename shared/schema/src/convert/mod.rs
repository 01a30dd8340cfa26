//! `LinesConverter`: a line protocol request body → one Arrow `RecordBatch` per table, plus the
//! rejected lines in line order.

mod bytes;
mod column;
mod parallel;
mod parse;
mod rejection;
mod series_cache;
mod table;
mod tag_dictionary;

use std::hash::BuildHasher;
use std::sync::Arc;

use arrow::array::{ArrayRef, TimestampNanosecondArray};
use arrow::buffer::ScalarBuffer;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use line_protocol::{EscapedStr, ParsedLine, TimestampUnit};

pub use parallel::{ConvertPool, MIN_CHUNK_BYTES};
pub use rejection::{LineErrorKind, LineRejection};

use crate::arrow_conventions::arrow_schema;
use crate::column_type::{InfluxColumnType, MAX_NAME_BYTES, TIME_COLUMN_NAME};
use series_cache::{Hit, Miss, SeriesCache};
use table::{Scratch, TableBuilder};

/// Counts describing a converted write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConversionStats {
    /// Lines converted into rows (blank and comment lines are not lines).
    pub lines_accepted: usize,
    /// Lines rejected (by the parser or the conversion rules).
    pub lines_rejected: usize,
    /// Field values written (a field key repeated in one line counts once).
    pub field_values: usize,
    /// Tables with at least one row.
    pub tables: usize,
}

/// The rows of one table.
#[derive(Debug, Clone)]
pub struct TableBatch {
    /// Table (measurement) name, unescaped.
    pub name: String,
    /// Columns: tags sorted by name, then fields sorted by name, then `time`.
    pub batch: RecordBatch,
}

/// The result of [`LinesConverter::finish`].
#[derive(Debug, Clone)]
pub struct ConvertedLines {
    /// One batch per table that received rows, sorted by table name.
    pub tables: Vec<TableBatch>,
    /// Every rejected line, in line order.
    pub rejections: Vec<LineRejection>,
    /// Counts.
    pub stats: ConversionStats,
}

/// Converts line protocol into Arrow record batches, one per table.
///
/// A column's type is fixed by the first accepted line that uses it. A line breaking a rule is
/// rejected as a whole (see [`LineErrorKind`]) and leaves no trace: no row, no new column.
#[derive(Debug)]
pub struct LinesConverter {
    default_time_ns: i64,
    unit: TimestampUnit,
    hasher: RandomState,
    tables: Vec<TableBuilder>,
    /// `(hash of name, table index)`.
    table_index: HashTable<(u64, u32)>,
    /// Table of the previous line: most bodies hold long runs of one table.
    last_table: usize,
    /// Unique per line written (see `TableBuilder::write_line`).
    mark: u64,
    scratch: Scratch,
    /// Series keys of accepted lines (see `series_cache`).
    series: SeriesCache,
    rejections: Vec<LineRejection>,
    lines_accepted: usize,
    field_values: usize,
}

impl LinesConverter {
    /// A converter stamping lines without a timestamp with `default_time_ns`, and multiplying
    /// written timestamps by `precision`'s multiplier (a `Precision`, or
    /// [`TimestampUnit::Auto`]: each timestamp's own, guessed from its magnitude).
    pub fn new(default_time_ns: i64, precision: impl Into<TimestampUnit>) -> Self {
        Self {
            default_time_ns,
            unit: precision.into(),
            hasher: RandomState::default(),
            tables: Vec::new(),
            table_index: HashTable::new(),
            last_table: 0,
            mark: 0,
            scratch: Scratch::default(),
            series: SeriesCache::new(RandomState::default()),
            rejections: Vec::new(),
            lines_accepted: 0,
            field_values: 0,
        }
    }

    /// Converts one parsed line; returns false (and records why) when it is rejected.
    pub fn push_line(&mut self, line: &ParsedLine<'_>) -> bool {
        match self.convert_line(line) {
            Ok(_) => true,
            Err(kind) => {
                self.rejections.push(LineRejection {
                    line_number: line.line_number,
                    kind,
                });
                false
            }
        }
    }

    fn convert_line(&mut self, line: &ParsedLine<'_>) -> Result<usize, LineErrorKind> {
        let time = self.line_time(line)?;
        let table = self.table_for(&line.measurement)?;
        self.mark += 1;
        let appended = self.tables[table].write_line(line, time, self.mark, &mut self.scratch)?;
        self.lines_accepted += 1;
        self.field_values += appended.field_values;
        Ok(table)
    }

    /// The line's time in nanoseconds.
    #[inline]
    fn line_time(&self, line: &ParsedLine<'_>) -> Result<i64, LineErrorKind> {
        match line.timestamp {
            None => Ok(self.default_time_ns),
            Some(timestamp) => {
                let multiplier = self.unit.multiplier(timestamp);
                timestamp
                    .checked_mul(multiplier)
                    .ok_or(LineErrorKind::TimestampOverflow {
                        timestamp,
                        multiplier,
                    })
            }
        }
    }

    /// [`Self::push_line`] for a line whose series key is `key`, parsed without its tag set
    /// when the key is cached (`lookup` is a hit); a fully parsed line that is accepted adds its
    /// key.
    fn push_line_with_series(
        &mut self,
        line: &ParsedLine<'_>,
        key: &str,
        lookup: Result<Hit, Miss>,
    ) {
        let result = match lookup {
            Ok(hit) => self.convert_known(line, hit),
            Err(miss) => self
                .convert_line(line)
                .map(|table| self.series.insert(key, miss, table, &self.scratch.tag_keys)),
        };
        if let Err(kind) = result {
            self.rejections.push(LineRejection {
                line_number: line.line_number,
                kind,
            });
        }
    }

    /// Converts a line whose tag set is that of the cached entry `hit`.
    fn convert_known(&mut self, line: &ParsedLine<'_>, hit: Hit) -> Result<(), LineErrorKind> {
        let time = self.line_time(line)?;
        self.mark += 1;
        self.last_table = hit.table;
        let tags = self.series.tags(hit);
        let appended = self.tables[hit.table].write_line_known(
            line,
            tags,
            time,
            self.mark,
            &mut self.scratch,
        )?;
        self.lines_accepted += 1;
        self.field_values += appended.field_values;
        Ok(())
    }

    /// Index of the table named `measurement`, created when new (refused when its name is
    /// longer than [`MAX_NAME_BYTES`]).
    #[inline]
    fn table_for(&mut self, measurement: &EscapedStr<'_>) -> Result<usize, LineErrorKind> {
        if let Some(table) = self.tables.get(self.last_table)
            && !measurement.has_backslash()
            && bytes::bytes_eq(table.name.as_bytes(), measurement.raw().as_bytes())
        {
            return Ok(self.last_table);
        }
        let name = measurement.unescaped();
        if name.len() > MAX_NAME_BYTES {
            return Err(LineErrorKind::NameTooLong {
                role: "table",
                bytes: name.len(),
                limit: MAX_NAME_BYTES,
            });
        }
        let hash = self.hasher.hash_one(name.as_bytes());
        let tables = &self.tables;
        let found = self
            .table_index
            .find(hash, |&(h, i)| h == hash && tables[i as usize].name == name)
            .map(|&(_, i)| i as usize);
        let index = match found {
            Some(index) => index,
            None => {
                let index = self.tables.len();
                self.tables
                    .push(TableBuilder::new(name.into_owned(), self.hasher));
                self.table_index
                    .insert_unique(hash, (hash, index as u32), |&(h, _)| h);
                index
            }
        };
        self.last_table = index;
        Ok(index)
    }

    /// Rejections so far, in line order.
    pub fn rejections(&self) -> &[LineRejection] {
        &self.rejections
    }

    /// Builds the batches. Tables whose lines were all rejected are left out.
    pub fn finish(self) -> Result<ConvertedLines, ArrowError> {
        let mut tables = Vec::with_capacity(self.tables.len());
        for table in self.tables {
            if table.rows() == 0 {
                continue;
            }
            let name = table.name.clone();
            let batch = build_batch(table)?;
            tables.push(TableBatch { name, batch });
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        let stats = ConversionStats {
            lines_accepted: self.lines_accepted,
            lines_rejected: self.rejections.len(),
            field_values: self.field_values,
            tables: tables.len(),
        };
        Ok(ConvertedLines {
            tables,
            rejections: self.rejections,
            stats,
        })
    }
}

/// One table's batch: tags sorted by name, fields sorted by name, then `time`.
fn build_batch(table: TableBuilder) -> Result<RecordBatch, ArrowError> {
    let name = table.name.clone();
    let (mut columns, time) = table.into_parts();
    let rows = time.len();
    columns.sort_by(|a, b| {
        (a.column_type.order_rank(), a.name.as_str())
            .cmp(&(b.column_type.order_rank(), b.name.as_str()))
    });
    let schema = arrow_schema(
        &name,
        columns
            .iter()
            .map(|c| (c.name.as_str(), c.column_type))
            .chain([(TIME_COLUMN_NAME, InfluxColumnType::Timestamp)]),
    );
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len() + 1);
    for column in columns {
        arrays.push(column.finish(rows)?);
    }
    arrays.push(Arc::new(TimestampNanosecondArray::new(
        ScalarBuffer::from(time),
        None,
    )));
    RecordBatch::try_new(Arc::new(schema), arrays)
}
