//! The cursor tree of EXPLAIN: `build_cursor` ──► iterator scanners ──► `create_iterator`
//! nodes with their costs, rendered as EXPLAIN's blocks or as EXPLAIN ANALYZE's spans.
//!
//! ```text
//! CursorNode ──► blocks (EXPRESSION / AUXILIARY FIELDS / NUMBER OF …) | Span tree
//! ```

use super::*;

/// A `build_cursor` span: a statement and its iterator scanners.
pub(super) struct CursorNode {
    pub(super) statement: String,
    pub(super) scanners: Vec<ScannerNode>,
}

/// An `iterator_scanner` span: one call's (or the auxiliary fields') iterators.
pub(super) struct ScannerNode {
    pub(super) labels: Vec<(String, String)>,
    pub(super) inputs: Vec<Input>,
}

pub(super) enum Input {
    Create(CreateNode),
    Cursor(CursorNode),
}

impl CursorNode {
    /// Its iterators, depth first, in creation order.
    pub(super) fn creates(&self) -> Vec<&CreateNode> {
        let mut out = Vec::new();
        for s in &self.scanners {
            for i in &s.inputs {
                match i {
                    Input::Create(c) => out.push(c),
                    Input::Cursor(c) => out.extend(c.creates()),
                }
            }
        }
        out
    }

    pub(super) fn creates_mut(&mut self) -> Vec<&mut CreateNode> {
        let mut out = Vec::new();
        for s in &mut self.scanners {
            for i in &mut s.inputs {
                match i {
                    Input::Create(c) => out.push(c),
                    Input::Cursor(c) => out.extend(c.creates_mut()),
                }
            }
        }
        out
    }

    pub(super) fn span(&self) -> Span {
        let children = self
            .scanners
            .iter()
            .map(|s| Span {
                name: "iterator_scanner".to_owned(),
                labels: s.labels.clone(),
                fields: Vec::new(),
                children: s
                    .inputs
                    .iter()
                    .flat_map(|i| match i {
                        Input::Create(c) => c.spans(),
                        Input::Cursor(c) => vec![c.span()],
                    })
                    .collect(),
            })
            .collect();
        Span {
            name: "build_cursor".to_owned(),
            labels: vec![("statement".to_owned(), self.statement.clone())],
            fields: Vec::new(),
            children,
        }
    }
}

/// A `create_iterator`: one iterator over a measurement source, and its cost.
pub(super) struct CreateNode {
    pub(super) expr: Option<Expr>,
    pub(super) aux: Vec<Expr>,
    pub(super) selector: Selector,
    pub(super) condition: Option<Expr>,
    pub(super) range: TimeRange,
    /// Per measurement read, per shard group: the cost.
    pub(super) shards: Vec<ShardCost>,
}

/// The cost of one iterator in one shard group of one measurement.
#[derive(Debug, Clone, Default)]
pub(super) struct ShardCost {
    pub(super) measurement: String,
    pub(super) shard: i64,
    pub(super) series: u64,
    /// Series × fields read as the expression's, auxiliary, condition's (1.x's cursors).
    pub(super) cursors: [u64; 3],
    pub(super) cached: u64,
    pub(super) files: u64,
    pub(super) row_groups: u64,
    pub(super) bytes: u64,
    /// Per field type (float, integer, unsigned, string, boolean): column chunks, bytes.
    pub(super) typed: [(u64, u64); 5],
    pub(super) planning: std::time::Duration,
}

impl CreateNode {
    pub(super) fn new(expr: Option<Expr>, aux: &[Expr], selector: &Selector, t: &Typed) -> Self {
        Self {
            expr,
            aux: aux.to_vec(),
            selector: selector.clone(),
            condition: t.filter.clone(),
            range: t.range,
            shards: Vec::new(),
        }
    }

    pub(super) fn explain_lines(&self, lines: &mut Vec<String>) {
        let expr = self
            .expr
            .as_ref()
            .map_or_else(|| "<nil>".to_owned(), ToString::to_string);
        lines.push(format!("EXPRESSION: {expr}"));
        if !self.aux.is_empty() {
            let aux: Vec<String> = self.aux.iter().map(ToString::to_string).collect();
            lines.push(format!("AUXILIARY FIELDS: {}", aux.join(", ")));
        }
        let sum = |f: fn(&ShardCost) -> u64| self.shards.iter().map(f).sum::<u64>();
        lines.push(format!("NUMBER OF SHARDS: {}", self.shards.len()));
        lines.push(format!("NUMBER OF SERIES: {}", sum(|s| s.series)));
        lines.push(format!("CACHED VALUES: {}", sum(|s| s.cached)));
        lines.push(format!("NUMBER OF FILES: {}", sum(|s| s.files)));
        lines.push(format!("NUMBER OF BLOCKS: {}", sum(|s| s.row_groups)));
        lines.push(format!("SIZE OF BLOCKS: {}", sum(|s| s.bytes)));
    }

    pub(super) fn spans(&self) -> Vec<Span> {
        self.shards
            .iter()
            .map(|s| {
                let mut labels = Vec::new();
                if let Some(c) = &self.condition {
                    labels.push(("cond".to_owned(), c.to_string()));
                }
                labels.push(("measurement".to_owned(), s.measurement.clone()));
                labels.push(("shard_id".to_owned(), shard_name(s.shard)));
                let mut fields = vec![
                    ("cursors_ref".to_owned(), s.cursors[0].to_string()),
                    ("cursors_aux".to_owned(), s.cursors[1].to_string()),
                    ("cursors_cond".to_owned(), s.cursors[2].to_string()),
                ];
                for (i, t) in ["float", "integer", "unsigned", "string", "boolean"]
                    .iter()
                    .enumerate()
                {
                    fields.push((format!("{t}_blocks_decoded"), s.typed[i].0.to_string()));
                    fields.push((format!("{t}_blocks_size_bytes"), s.typed[i].1.to_string()));
                }
                fields.push(("planning_time".to_owned(), duration(s.planning)));
                Span {
                    name: "create_iterator".to_owned(),
                    labels,
                    fields,
                    children: Vec::new(),
                }
            })
            .collect()
    }
}

/// A shard group as Quiver names it in `shard_id`: its start (RFC 3339).
pub(super) fn shard_name(start: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(start)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The fields of `m` an iterator reads: as its expression's argument, as auxiliary fields,
/// in its condition.
pub(super) fn fields_read(node: &CreateNode, schema: &Schema) -> [Vec<String>; 3] {
    let mut out: [Vec<String>; 3] = Default::default();
    let refs = |e: &Expr, into: &mut Vec<String>| {
        let mut v = Vec::new();
        select::field_refs(e, schema, &mut v);
        for f in v {
            if !into.contains(&f) {
                into.push(f);
            }
        }
    };
    if let Some(e) = &node.expr {
        // 1.x's ref: the expression's variable or its call's first argument.
        let r = match e {
            Expr::Call { args, .. } => args.first().cloned(),
            other => Some(other.clone()),
        };
        if let Some(r @ Expr::VarRef { .. }) = r {
            refs(&r, &mut out[0]);
        }
    }
    for a in &node.aux {
        refs(a, &mut out[1]);
    }
    if let Some(c) = &node.condition {
        refs(c, &mut out[2]);
    }
    out
}
