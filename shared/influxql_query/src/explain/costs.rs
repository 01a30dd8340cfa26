//! The cost columns of EXPLAIN: a measurement's (series, shard group) inventory, and per
//! `create_iterator` the shards, series, Parquet files, row groups, bytes and unpersisted rows
//! the SELECT's scan would read.
//!
//! ```text
//! inventory_of: DataFusion GROUP BY (every tag, 7-day shard group) over the mapped range
//! cost: per create_iterator ──► series (tag part of the WHERE over the inventory) per shard
//!       group ──► scan_cost: the scan's physical plan ──► files, footers' row groups and
//!       column-chunk bytes, the ingesters' unpersisted rows in range
//! ```

use super::*;

/// A measurement's series per 1.x shard group: (tags, shard group start), within the mapped
/// shard groups.
pub(super) type Inventory = Vec<(BTreeMap<String, String>, i64)>;

/// The (series, shard group) pairs of `name` in the shard groups overlapping `mapped` (each
/// shard group read whole: 1.x's index knows a series in a shard whatever the range).
pub(super) async fn inventory_of(
    ctx: &SessionContext,
    name: &str,
    table: &catalog::TableSchema,
    mapped: TimeRange,
) -> Result<Inventory, ExecError> {
    let mut schema = Schema::default();
    schema.add(table);
    let tags: Vec<String> = schema.tags.iter().cloned().collect();
    let span = TimeRange {
        min: mapped.min.map(order::shard_group),
        max: mapped
            .max
            .map(|m| order::shard_group(m).saturating_add(SHARD_GROUP_NS - 1)),
    };
    let df = crate::fetch::scan(ctx, name, span).await?;
    let mut group: Vec<datafusion::prelude::Expr> = tags.iter().map(ident).collect();
    group.push(
        datafusion::functions::datetime::expr_fn::date_bin(
            lit(ScalarValue::IntervalMonthDayNano(Some(
                arrow::datatypes::IntervalMonthDayNano::new(0, 0, SHARD_GROUP_NS),
            ))),
            col("time"),
            lit(ScalarValue::TimestampNanosecond(
                Some(order::SHARD_ORIGIN_NS),
                None,
            )),
        )
        .alias("__shard"),
    );
    let batches = df.aggregate(group, Vec::new())?.collect().await?;
    let mut out = Vec::new();
    for batch in batches {
        let strings = |c: &ArrayRef| -> Result<StringArray, ExecError> {
            let a = arrow::compute::cast(c, &ArrowType::Utf8)?;
            Ok(a.as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .unwrap_or_else(|| StringArray::from(Vec::<Option<&str>>::new())))
        };
        let tag_cols = (0..tags.len())
            .map(|i| strings(batch.column(i)))
            .collect::<Result<Vec<_>, _>>()?;
        let shard = arrow::compute::cast(
            batch.column(tags.len()),
            &ArrowType::Timestamp(TimeUnit::Nanosecond, None),
        )?;
        let shard = arrow::compute::cast(&shard, &ArrowType::Int64)?;
        let Some(shard) = shard.as_any().downcast_ref::<Int64Array>() else {
            continue;
        };
        for r in 0..batch.num_rows() {
            let mut t = BTreeMap::new();
            for (i, name) in tags.iter().enumerate() {
                let c = &tag_cols[i];
                if r < c.len() && c.is_valid(r) && !c.value(r).is_empty() {
                    t.insert(name.clone(), c.value(r).to_owned());
                }
            }
            out.push((t, shard.value(r)));
        }
    }
    Ok(out)
}

/// Fills in the cost of every iterator of `root`.
pub(super) async fn cost(
    ctx: &SessionContext,
    tables: &BTreeMap<String, catalog::TableSchema>,
    inventory: &BTreeMap<String, Inventory>,
    root: &mut CursorNode,
) -> Result<(), ExecError> {
    for node in root.creates_mut() {
        let names: Vec<String> = match &node.selector {
            Selector::Name(n) => vec![n.clone()],
            Selector::Regex(r) => tables.keys().filter(|t| r.is_match(t)).cloned().collect(),
        };
        for name in names {
            let (Some(table), Some(inv)) = (tables.get(&name), inventory.get(&name)) else {
                continue;
            };
            let started = Instant::now();
            let mut schema = Schema::default();
            schema.add(table);
            let read = fields_read(node, &schema);
            let tag_filter = node.condition.as_ref().map(|c| tags_only(c, &schema));
            // Series per shard group, of those the condition's tag part keeps.
            let mut per_shard: BTreeMap<i64, u64> = BTreeMap::new();
            for (tags, shard) in inv {
                let keep = tag_filter
                    .as_ref()
                    .is_none_or(|f| eval_bool(f, &TagRow(tags)));
                let n = per_shard.entry(*shard).or_default();
                if keep {
                    *n += 1;
                }
            }
            let all_fields: Vec<String> = {
                let mut v: Vec<String> = Vec::new();
                for f in read.iter().flatten() {
                    if !v.contains(f) {
                        v.push(f.clone());
                    }
                }
                v
            };
            let scan = if all_fields.is_empty() || per_shard.values().all(|n| *n == 0) {
                BTreeMap::new()
            } else {
                let pre = node
                    .condition
                    .as_ref()
                    .and_then(|c| prefilter::prefilter(c, &schema, false));
                scan_cost(ctx, &name, &schema, &all_fields, node.range, pre).await?
            };
            let planning = started.elapsed();
            for (shard, series) in per_shard {
                let mut c = scan.get(&shard).cloned().unwrap_or_default();
                if series == 0 {
                    c = ShardCost::default();
                }
                c.measurement.clone_from(&name);
                c.shard = shard;
                c.series = series;
                for (i, r) in read.iter().enumerate() {
                    c.cursors[i] = series * r.len() as u64;
                }
                c.planning = planning;
                node.shards.push(c);
            }
        }
    }
    Ok(())
}

/// A series' tags as a row (a missing tag reads as the empty string, as in 1.x's index).
pub(super) struct TagRow<'a>(&'a BTreeMap<String, String>);

impl Row for TagRow<'_> {
    fn get(&self, name: &str, _data_type: Option<DataType>) -> Value {
        Value::String(self.0.get(name).cloned().unwrap_or_default())
    }
}

/// The part of a condition 1.x's index applies to series: a comparison that reads a field
/// keeps every series (`true`).
pub(super) fn tags_only(e: &Expr, schema: &Schema) -> Expr {
    match e {
        Expr::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            lhs,
            rhs,
        } => Expr::Binary {
            op: *op,
            lhs: Box::new(tags_only(lhs, schema)),
            rhs: Box::new(tags_only(rhs, schema)),
        },
        Expr::Paren(inner) => Expr::Paren(Box::new(tags_only(inner, schema))),
        other if reads_field(other, schema) => Expr::Boolean(true),
        other => other.clone(),
    }
}

pub(super) fn reads_field(e: &Expr, schema: &Schema) -> bool {
    match e {
        Expr::VarRef { name, data_type } => match data_type {
            Some(DataType::Tag) => false,
            Some(_) => true,
            None => schema.fields.contains_key(name),
        },
        Expr::Call { args, .. } => args.iter().any(|a| reads_field(a, schema)),
        Expr::Binary { lhs, rhs, .. } => reads_field(lhs, schema) || reads_field(rhs, schema),
        Expr::Paren(inner) => reads_field(inner, schema),
        _ => false,
    }
}

/// The scan the SELECT runs for `fields` of `table` in `range`, by shard group: Parquet files
/// (DataFusion's pruning), their row groups overlapping the range, the compressed bytes of the
/// column chunks read, the ingesters' unpersisted rows in range.
pub(super) async fn scan_cost(
    ctx: &SessionContext,
    table: &str,
    schema: &Schema,
    fields: &[String],
    range: TimeRange,
    prefilter: Option<datafusion::prelude::Expr>,
) -> Result<BTreeMap<i64, ShardCost>, ExecError> {
    let mut df = crate::fetch::scan(ctx, table, range).await?;
    if let Some(f) = prefilter {
        df = df.filter(f)?;
    }
    let mut columns: Vec<String> = schema.tags.iter().cloned().collect();
    columns.extend(fields.iter().cloned());
    columns.push("time".to_owned());
    df = df.select(columns.iter().map(ident).collect::<Vec<_>>())?;
    let plan = df.create_physical_plan().await?;
    let mut files = Vec::new();
    let mut batches = Vec::new();
    let mut stack: Vec<&Arc<dyn ExecutionPlan>> = vec![&plan];
    while let Some(node) = stack.pop() {
        if let Some(dedup) = node.downcast_ref::<DedupExec>() {
            batches.extend(dedup.unpersisted().iter().flatten().cloned());
        }
        if let Some(config) = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        {
            for file in config.file_groups.iter().flat_map(|g| g.files()) {
                files.push(file.clone());
            }
        }
        stack.extend(node.children());
    }

    let lo = range.min.unwrap_or(i64::MIN);
    let hi = range.max.unwrap_or(i64::MAX);
    let mut out: BTreeMap<i64, ShardCost> = BTreeMap::new();
    if !files.is_empty() {
        let url = ObjectStoreUrl::parse(query::OBJECT_STORE_URL)?;
        let store = ctx.runtime_env().object_store(&url)?;
        // The footers through the session's metadata cache, as the scan reads them.
        let runtime = ctx.runtime_env();
        let readers = CachedParquetFileReaderFactory::new(
            store,
            runtime.cache_manager.get_file_metadata_cache(),
        );
        let metrics = ExecutionPlanMetricsSet::new();
        for file in files {
            let mut reader = readers.create_reader(0, file, None, &metrics)?;
            let meta = reader
                .get_metadata(None)
                .await
                .map_err(datafusion::error::DataFusionError::from)?;
            let mut shards_of_file = BTreeSet::new();
            for rg in meta.row_groups() {
                let mut time = (i64::MIN, i64::MAX);
                for c in rg.columns() {
                    if c.column_path().string() == "time"
                        && let Some(Statistics::Int64(s)) = c.statistics()
                        && let (Some(min), Some(max)) = (s.min_opt(), s.max_opt())
                    {
                        time = (*min, *max);
                    }
                }
                if time.1 < lo || time.0 > hi {
                    continue;
                }
                let shard = order::shard_group(time.0.max(lo));
                let entry = out.entry(shard).or_default();
                shards_of_file.insert(shard);
                entry.row_groups += 1;
                for c in rg.columns() {
                    let name = c.column_path().string();
                    if !columns.contains(&name) {
                        continue;
                    }
                    let bytes = u64::try_from(c.compressed_size()).unwrap_or(0);
                    entry.bytes += bytes;
                    if let Some(k) = schema.fields.get(&name)
                        && fields.contains(&name)
                    {
                        let i = match k {
                            FieldKind::Float => 0,
                            FieldKind::Integer => 1,
                            FieldKind::Unsigned => 2,
                            FieldKind::String => 3,
                            FieldKind::Boolean => 4,
                        };
                        entry.typed[i].0 += 1;
                        entry.typed[i].1 += bytes;
                    }
                }
            }
            for shard in shards_of_file {
                out.entry(shard).or_default().files += 1;
            }
        }
    }
    for batch in batches {
        let Some(time) = batch.column_by_name("time") else {
            continue;
        };
        let time = arrow::compute::cast(time, &ArrowType::Int64)?;
        let Some(time) = time.as_any().downcast_ref::<Int64Array>() else {
            continue;
        };
        for t in time.iter().flatten() {
            if t >= lo && t <= hi {
                out.entry(order::shard_group(t)).or_default().cached += 1;
            }
        }
    }
    Ok(out)
}
