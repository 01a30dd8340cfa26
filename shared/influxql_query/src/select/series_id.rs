//! A dense series number per row, so a DataFusion GROUP BY per series groups on one integer
//! instead of every tag column.
//!
//! ```text
//! scan rows (tag columns as read: dictionaries, usually in series order)
//!   ──► series_id(tag₁, …, tagₙ)   a volatile scalar UDF, one instance per query
//!         per batch: a row whose dictionary keys equal the previous row's keeps its number;
//!         else its key tuple is looked up in the batch's memo, then in the query's
//!         SeriesIds (tag values → number, numbers handed out in first-seen order)
//!   ──► UInt32 column ──► GROUP BY (series number, …)
//! SeriesIds::tags(n) ──► the tag values of series n (empty values as absent, as series keys)
//! ```
//!
//! Exact, unlike a hash of the tags: two series never share a number. Grouping by ten
//! dictionary columns cast to strings cost about a third of a per-series aggregate
//! (docs/benchmarks.md, "InfluxQL over /query next to SQL over Flight").

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, AsArray, StringArray, UInt32Array};
use arrow::buffer::ScalarBuffer;
use arrow::datatypes::{DataType, Int32Type};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::Expr as DfExpr;

/// Tag values of one series, in the order of the UDF's arguments (`None`: absent or empty).
pub(super) type SeriesTags = Vec<Option<String>>;

/// The series a query has numbered so far.
#[derive(Debug, Default)]
pub(super) struct SeriesIds {
    inner: Mutex<Numbering>,
}

#[derive(Debug, Default)]
struct Numbering {
    by_tags: HashMap<SeriesTags, u32>,
    tags: Vec<SeriesTags>,
}

impl SeriesIds {
    /// The tag values of series `id` (none for a number this query never handed out).
    pub(super) fn tags(&self, id: u32) -> Option<SeriesTags> {
        let inner = self.inner.lock().ok()?;
        inner.tags.get(id as usize).cloned()
    }

    fn number(&self, tags: SeriesTags) -> DfResult<u32> {
        let mut inner = self
            .inner
            .lock()
            .map_err(|_| DataFusionError::Internal("series numbering poisoned".into()))?;
        if let Some(&id) = inner.by_tags.get(&tags) {
            return Ok(id);
        }
        let id = u32::try_from(inner.tags.len())
            .map_err(|_| DataFusionError::Execution("more than 2³² series".into()))?;
        inner.tags.push(tags.clone());
        inner.by_tags.insert(tags, id);
        Ok(id)
    }
}

/// `series_id(tags…)` over `ids`: the expression numbering each row's series.
pub(super) fn series_id(ids: &Arc<SeriesIds>, tags: Vec<DfExpr>) -> DfExpr {
    ScalarUDF::new_from_impl(SeriesIdUdf {
        ids: Arc::clone(ids),
        signature: Signature::variadic_any(Volatility::Volatile),
    })
    .call(tags)
}

#[derive(Debug)]
struct SeriesIdUdf {
    ids: Arc<SeriesIds>,
    signature: Signature,
}

impl PartialEq for SeriesIdUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.ids, &other.ids)
    }
}

impl Eq for SeriesIdUdf {}

impl Hash for SeriesIdUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.ids) as usize).hash(state);
    }
}

/// One tag column of a batch: per row a key (equal keys, equal values) and the values.
struct Keyed {
    /// Per row: an index into `values`; a null tag is `NULL_KEY`. Int32 dictionary keys
    /// without nulls (how tags are read) are shared, not copied.
    keys: ScalarBuffer<i32>,
    values: StringArray,
}

/// The key of a row whose tag is null.
const NULL_KEY: i32 = -1;

impl Keyed {
    fn new(a: &ArrayRef) -> DfResult<Self> {
        // A dictionary keeps its keys; any other string column is dictionary-encoded first.
        let dict = match a.as_any_dictionary_opt() {
            Some(_) => Arc::clone(a),
            None => arrow::compute::cast(
                a,
                &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            )?,
        };
        let d = dict
            .as_any_dictionary_opt()
            .ok_or_else(|| DataFusionError::Internal("tag column is not a dictionary".into()))?;
        let values = arrow::compute::cast(d.values(), &DataType::Utf8)?;
        let values = values.as_string::<i32>().clone();
        let keys = match dict.as_dictionary_opt::<Int32Type>() {
            Some(d32) if d32.keys().null_count() == 0 && values.null_count() == 0 => {
                d32.keys().values().clone()
            }
            _ => {
                let nulls = dict.logical_nulls();
                d.normalized_keys()
                    .into_iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let null =
                            nulls.as_ref().is_some_and(|n| n.is_null(i)) || values.is_null(k);
                        if null {
                            NULL_KEY
                        } else {
                            i32::try_from(k).unwrap_or(NULL_KEY)
                        }
                    })
                    .collect::<Vec<i32>>()
                    .into()
            }
        };
        Ok(Self { keys, values })
    }

    /// Row `row`'s tag value (`None`: null or empty).
    fn value_ref(&self, row: usize) -> Option<&str> {
        usize::try_from(self.keys[row])
            .ok()
            .filter(|&k| k < self.values.len())
            .map(|k| self.values.value(k))
            .filter(|v| !v.is_empty())
    }

    fn value(&self, row: usize) -> Option<String> {
        self.value_ref(row).map(str::to_owned)
    }
}

impl ScalarUDFImpl for SeriesIdUdf {
    fn name(&self) -> &str {
        "series_id"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::UInt32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let cols = arrays
            .iter()
            .map(Keyed::new)
            .collect::<DfResult<Vec<_>>>()?;
        // Rows whose keys differ from the previous row's, column by column (the scan's rows
        // come in series order, so few do).
        if rows == 0 {
            return Ok(ColumnarValue::Array(Arc::new(UInt32Array::from(
                Vec::<u32>::new(),
            ))));
        }
        let mut changed = vec![false; rows];
        if let Some(first) = changed.first_mut() {
            *first = true;
        }
        for c in &cols {
            for (ch, (row, w)) in changed[1..].iter_mut().zip(c.keys.windows(2).enumerate()) {
                // Different keys may still name one value (a dictionary merged from several
                // batches repeats values).
                *ch = *ch || (w[0] != w[1] && c.value_ref(row) != c.value_ref(row + 1));
            }
        }
        let mut out = Vec::with_capacity(rows);
        let mut memo: HashMap<Vec<i32>, u32> = HashMap::new();
        let mut current = 0;
        for (row, &ch) in changed.iter().enumerate() {
            if ch {
                let key: Vec<i32> = cols.iter().map(|c| c.keys[row]).collect();
                current = match memo.get(&key) {
                    Some(&id) => id,
                    None => {
                        let id = self
                            .ids
                            .number(cols.iter().map(|c| c.value(row)).collect())?;
                        memo.insert(key, id);
                        id
                    }
                };
            }
            out.push(current);
        }
        Ok(ColumnarValue::Array(Arc::new(UInt32Array::from(out))))
    }
}
