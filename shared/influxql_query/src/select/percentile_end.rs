//! Where 1.x's answer ends when a lone `percentile()` has a window without a point: the
//! groups' reduce streams ([`Trace`], recorded by `aggregate::rows_traced`) replayed through
//! 1.x's fill, limit, cursor and emitter rules.
//!
//! ```text
//! per group, in read order: Trace { fill windows, (window, answered?) … }
//!   ──► stream_end: the group where the answer ends and how many of its windows stay
//!   ──► end_percentile_stream: later groups dropped, that group cut (OFFSET counted)
//! ```

use std::collections::HashMap;

use influxql::ast::SelectStatement;
use v1_query::result::Series;

/// A lone `percentile()`'s reduce stream for one group (see [`stream_end`]).
#[derive(Debug, Clone)]
pub(super) struct Trace {
    /// How many windows the fill iterator walks for the group (0: no fill iterator).
    pub(super) fill_windows: usize,
    /// The windows holding points, in read order, as their position among the fill windows
    /// (or in read order without a fill iterator), and whether the call answered a point.
    pub(super) items: Vec<(usize, bool)>,
}

/// Where 1.x's answer ends for a statement whose only call is `percentile()`.
///
/// 1.x's reduce iterator (`query/iterator.gen.go`, `floatReduceFloatIterator.Next`) answers
/// nil — end of stream — for a window whose reducer emits nothing
/// (`NewFloatPercentileReduceSliceFunc`: index out of range), yet reads on when called again.
/// The cursor (`query/cursor.go`, `scannerCursor.scan`) then scans false: the emitter
/// (`query/emitter.go`, `Emitter.Emit`) hands the series row it holds on, and the statement
/// executor (`coordinator/statement_executor.go`) asks again — the stream goes on (the HTTP
/// handler merges the pieces of a series). Only a nil while no row is held — the first thing
/// read, or right after another nil — ends the whole answer. With GROUP BY time and a fill
/// other than none the fill iterator (`floatFillIterator.Next`) sits in between: a nil while
/// the current series still has windows to fill becomes the fill of its next window (the
/// failed window is consumed); only a nil once they are exhausted reaches the cursor.
///
/// Between both sits the limit iterator (`floatLimitIterator.Next`): a point of a series
/// beyond OFFSET + LIMIT (or within OFFSET) is read but not handed on, so it holds no row.
///
/// `traces` are the groups in read order (measurement, then tags; descending under ORDER BY
/// time DESC). Returns the group at which the answer ends and how many of that group's
/// answered windows (read order) are kept, before OFFSET; `None`: the answer is whole.
pub(super) fn stream_end(traces: &[&Trace], offset: u64, limit: u64) -> Option<(usize, usize)> {
    /// The cursor's side: the limit iterator's count and whether the emitter holds a row.
    struct Cursor {
        series: Option<usize>,
        n: u64,
        offset: u64,
        limit: u64,
        no_row: bool,
    }
    impl Cursor {
        fn point(&mut self, g: usize) {
            if self.series != Some(g) {
                self.series = Some(g);
                self.n = 0;
            }
            self.n += 1;
            if self.n > self.offset && (self.limit == 0 || self.n - self.offset <= self.limit) {
                self.no_row = false;
            }
        }
        /// A nil reaches the cursor: true when it ends the answer.
        fn nil(&mut self) -> bool {
            std::mem::replace(&mut self.no_row, true)
        }
    }
    let mut cursor = Cursor {
        series: None,
        n: 0,
        offset,
        limit,
        no_row: true,
    };
    let items: Vec<(usize, usize, bool)> = traces
        .iter()
        .enumerate()
        .flat_map(|(g, t)| t.items.iter().map(move |&(w, ok)| (g, w, ok)))
        .collect();
    if traces.first().is_none_or(|t| t.fill_windows == 0) {
        // No fill iterator: every failed window reaches the cursor.
        for (i, &(g, _, ok)) in items.iter().enumerate() {
            if ok {
                cursor.point(g);
            } else if cursor.nil() {
                let kept = items[..i].iter().filter(|it| it.0 == g && it.2).count();
                return Some((g, kept));
            }
        }
        return None;
    }
    let (g0, _, ok0) = *items.first()?;
    if !ok0 {
        return Some((g0, 0));
    }
    // The fill iterator's series and the position of the next window it expects.
    let (mut cur, mut pos) = (g0, 0usize);
    let mut i = 0;
    loop {
        let next = items.get(i).copied();
        match next {
            Some((g, w, true)) if g == cur => {
                if pos < w {
                    pos += 1; // a filled window before the point
                } else {
                    i += 1;
                    pos = w + 1;
                }
                cursor.point(cur);
            }
            _ => {
                if pos < traces[cur].fill_windows {
                    // The current series' next window is filled; a failed reduce is consumed.
                    if matches!(next, Some((_, _, false))) {
                        i += 1;
                    }
                    pos += 1;
                    cursor.point(cur);
                    continue;
                }
                match next {
                    None => return None,
                    Some((g, _, false)) => {
                        if cursor.nil() {
                            return Some((g, 0));
                        }
                        i += 1;
                    }
                    Some((g, _, true)) => {
                        cur = g;
                        pos = 0;
                    }
                }
            }
        }
    }
}

/// A lone `percentile()` whose window answers no point ends 1.x's answer there
/// (`stream_end`): the groups after it in read order are dropped, the group itself
/// too or, without a fill iterator, cut after its windows read before (OFFSET counted).
pub(super) fn end_percentile_stream(
    out: Vec<Series>,
    mut traces: Vec<(Option<usize>, Trace)>,
    stmt: &SelectStatement,
) -> Vec<Series> {
    if !stmt.time_ascending() {
        traces.reverse();
    }
    let refs: Vec<&Trace> = traces.iter().map(|(_, t)| t).collect();
    let Some((end, kept)) = stream_end(&refs, stmt.offset, stmt.limit) else {
        return out;
    };
    let mut cut: HashMap<usize, usize> = HashMap::new();
    for (i, (at, _)) in traces.iter().enumerate().skip(end) {
        if let Some(at) = at {
            let offset = usize::try_from(stmt.offset).unwrap_or(usize::MAX);
            cut.insert(
                *at,
                if i == end {
                    kept.saturating_sub(offset)
                } else {
                    0
                },
            );
        }
    }
    out.into_iter()
        .enumerate()
        .filter_map(|(i, mut s)| match cut.get(&i) {
            None => Some(s),
            Some(0) => None,
            Some(&n) => {
                s.values.truncate(n);
                Some(s)
            }
        })
        .collect()
}
