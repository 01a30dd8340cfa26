//! The order in which InfluxDB 1.x's iterators hand points on, emulated, so ties and float sums
//! come out as 1.x's do.
//!
//! 1.x reads every series through its own iterator and merges them with Go's `container/heap`:
//! points at equal times (every host of a Telegraf fleet writes at the same second) come out in
//! the order the heap's sift-up/sift-down leaves them, and aggregates are reduced per series and
//! then combined in the merge order, so the last bits of a `mean` depend on it. Emulating the
//! heap exactly is what makes the answers identical.
//!
//! ```text
//! GoHeap: init / push / pop / fix exactly as Go's container/heap (same swaps, same tie outcome)
//! sorted_merge_order(series' points, less)  ── SortedMergeIterator: raw rows, first/last
//! merge_order(series' window keys, asc)     ── MergeIterator: per-series partials by window
//! shard_group(t)                            ── 1.x's default 7-day shard groups (Go's
//!                                              Truncate from year 1: Mondays 00:00 UTC); the
//!                                              heaps start afresh in every shard
//! ```

/// A binary heap whose every step is Go's `container/heap` (so equal elements end up where Go
/// leaves them).
pub(crate) struct GoHeap<T> {
    items: Vec<T>,
}

impl<T> GoHeap<T> {
    /// `heap.Init` over `items`.
    pub(crate) fn new(items: Vec<T>, less: &impl Fn(&T, &T) -> bool) -> Self {
        let mut h = Self { items };
        let n = h.items.len();
        for i in (0..n / 2).rev() {
            h.down(i, n, less);
        }
        h
    }

    fn up(&mut self, mut j: usize, less: &impl Fn(&T, &T) -> bool) {
        while j > 0 {
            let i = (j - 1) / 2;
            if !less(&self.items[j], &self.items[i]) {
                break;
            }
            self.items.swap(i, j);
            j = i;
        }
    }

    fn down(&mut self, i0: usize, n: usize, less: &impl Fn(&T, &T) -> bool) -> bool {
        let mut i = i0;
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            let j2 = j1 + 1;
            if j2 < n && less(&self.items[j2], &self.items[j1]) {
                j = j2;
            }
            if !less(&self.items[j], &self.items[i]) {
                break;
            }
            self.items.swap(i, j);
            i = j;
        }
        i > i0
    }

    /// `heap.Push`.
    pub(crate) fn push(&mut self, x: T, less: &impl Fn(&T, &T) -> bool) {
        self.items.push(x);
        self.up(self.items.len() - 1, less);
    }

    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// The top (`h[0]`: the least under `less`).
    pub(crate) fn peek(&self) -> Option<&T> {
        self.items.first()
    }

    /// `h[0] = x; heap.Fix(h, 0)`.
    pub(crate) fn replace_top(&mut self, x: T, less: &impl Fn(&T, &T) -> bool) {
        if self.items.is_empty() {
            return;
        }
        self.items[0] = x;
        let n = self.items.len();
        if !self.down(0, n, less) {
            self.up(0, less);
        }
    }

    /// The elements in the heap's array order.
    pub(crate) fn into_vec(self) -> Vec<T> {
        self.items
    }

    /// `heap.Pop`.
    pub(crate) fn pop(&mut self, less: &impl Fn(&T, &T) -> bool) -> Option<T> {
        let n = self.items.len().checked_sub(1)?;
        self.items.swap(0, n);
        self.down(0, n, less);
        self.items.pop()
    }
}

/// The order of 1.x's sorted merge of `inputs` (each in its own iteration order) under `less`:
/// `(input, position)` pairs.
pub(crate) fn sorted_merge_order<K>(
    inputs: &[Vec<K>],
    less: impl Fn(&K, &K) -> bool,
) -> Vec<(usize, usize)> {
    let item_less =
        |a: &(usize, usize), b: &(usize, usize)| less(&inputs[a.0][a.1], &inputs[b.0][b.1]);
    let items = (0..inputs.len())
        .filter(|&i| !inputs[i].is_empty())
        .map(|i| (i, 0))
        .collect();
    let mut heap = GoHeap::new(items, &item_less);
    let mut out = Vec::with_capacity(inputs.iter().map(Vec::len).sum());
    while let Some((i, p)) = heap.pop(&item_less) {
        out.push((i, p));
        if p + 1 < inputs[i].len() {
            heap.push((i, p + 1), &item_less);
        }
    }
    out
}

/// The order of 1.x's (unsorted) merge of per-series outputs keyed by window start: an input
/// popped off the heap gives all its points of the current window before it goes back.
pub(crate) fn merge_order(inputs: &[Vec<i64>], ascending: bool) -> Vec<(usize, usize)> {
    let key = |a: &(usize, usize)| inputs[a.0][a.1];
    let less = |a: &(usize, usize), b: &(usize, usize)| {
        if ascending {
            key(a) < key(b)
        } else {
            key(a) > key(b)
        }
    };
    let items = (0..inputs.len())
        .filter(|&i| !inputs[i].is_empty())
        .map(|i| (i, 0))
        .collect();
    let mut heap = GoHeap::new(items, &less);
    let mut out = Vec::with_capacity(inputs.iter().map(Vec::len).sum());
    let mut curr: Option<(usize, usize)> = None;
    let mut window = 0;
    loop {
        match curr {
            None => {
                let Some(it) = heap.pop(&less) else { break };
                window = key(&it);
                out.push(it);
                curr = Some((it.0, it.1 + 1));
            }
            Some(it) => {
                if it.1 >= inputs[it.0].len() {
                    curr = None;
                } else if key(&it) == window {
                    out.push(it);
                    curr = Some((it.0, it.1 + 1));
                } else {
                    heap.push(it, &less);
                    curr = None;
                }
            }
        }
    }
    out
}

/// GOMAXPROCS of the 1.x server whose answers Quiver reproduces: 1.x splits a tag set's series
/// into this many groups, merges each, then merges the groups (`NewParallelMergeIterator`),
/// and the resulting order of equal windows shows in the last bits of float sums. Recorded
/// answers of a two-core 1.6 server fix it at 2 (1, 4 and 8 give other bits on the same data).
pub(crate) const PARALLELISM: usize = 2;

/// The order of 1.x's parallel merge of per-series outputs: [`merge_order`] within each of
/// [`PARALLELISM`] groups of consecutive inputs, then across the groups.
pub(crate) fn parallel_merge_order(inputs: &[Vec<i64>], ascending: bool) -> Vec<(usize, usize)> {
    let p = PARALLELISM.min(inputs.len());
    if p <= 1 {
        return merge_order(inputs, ascending);
    }
    let n = inputs.len() / p;
    let mut groups: Vec<Vec<(usize, usize)>> = Vec::with_capacity(p);
    for g in 0..p {
        let lo = g * n;
        let hi = if g + 1 < p { lo + n } else { inputs.len() };
        let order = merge_order(&inputs[lo..hi], ascending);
        groups.push(order.into_iter().map(|(i, pos)| (lo + i, pos)).collect());
    }
    let keys: Vec<Vec<i64>> = groups
        .iter()
        .map(|g| g.iter().map(|&(i, pos)| inputs[i][pos]).collect())
        .collect();
    merge_order(&keys, ascending)
        .into_iter()
        .map(|(g, pos)| groups[g][pos])
        .collect()
}

/// Seconds from Go's zero time (0001-01-01) to the Unix epoch.
const GO_ZERO_TO_UNIX_NS: i128 = 62_135_596_800 * 1_000_000_000;
/// 1.x's shard group duration for a retention policy without expiry.
const SHARD_GROUP_NS: i128 = 7 * 24 * 3600 * 1_000_000_000;

/// The start of the 1.x shard group holding time `t` (ns).
/// A Unix time (ns) at which a shard group starts: shard groups start every 7 days from it.
pub(crate) const SHARD_ORIGIN_NS: i64 = (-GO_ZERO_TO_UNIX_NS).rem_euclid(SHARD_GROUP_NS) as i64;

pub(crate) fn shard_group(t: i64) -> i64 {
    let from_zero = i128::from(t) + GO_ZERO_TO_UNIX_NS;
    let start = from_zero - from_zero.rem_euclid(SHARD_GROUP_NS) - GO_ZERO_TO_UNIX_NS;
    i64::try_from(start).unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_come_out_as_go_leaves_them() {
        // Three series with points at 0 and 5 each; Go's heap yields 0,2,1 then 2 first at 5.
        let inputs = vec![vec![0, 5], vec![0, 5], vec![0, 5]];
        let order = sorted_merge_order(&inputs, |a, b| a < b);
        let series: Vec<usize> = order.iter().map(|&(i, _)| i).collect();
        assert_eq!(series[..4], [0, 2, 1, 2]);
    }

    #[test]
    fn merge_by_window_takes_an_input_for_a_whole_window() {
        let inputs = vec![vec![0, 10], vec![0, 10], vec![0, 10], vec![0, 10]];
        let order = merge_order(&inputs, true);
        let first_window: Vec<usize> = order[..4].iter().map(|&(i, _)| i).collect();
        assert_eq!(first_window, [0, 3, 1, 2]);
        assert!(order[4..].iter().all(|&(i, p)| inputs[i][p] == 10));
    }

    #[test]
    fn shard_groups_start_on_mondays() {
        // 2026-11-21T00:00:00Z (a Saturday) is in the group of Monday 2026-11-16.
        let t = 1_795_219_200 * 1_000_000_000;
        assert_eq!(shard_group(t), 1_794_787_200 * 1_000_000_000);
        assert_eq!(
            shard_group(1_794_787_200 * 1_000_000_000),
            1_794_787_200 * 1_000_000_000
        );
    }
}
