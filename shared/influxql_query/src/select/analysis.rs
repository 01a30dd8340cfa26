//! The technical-analysis indicators of 1.x (its `query/internal/gota` package), over one
//! group's points in the query's time order (Holt-Winters: `holt_winters.rs`). Every float is computed in the order 1.x computes it, so the answers
//! are bit-identical.
//!
//! ```text
//! [(time, f64)] ──► Indicator (Ema | Dema | Tema | Rsi | Trix | Ker | Kama | Cmo | Cmos)
//!   each point: value = indicator.add(v); count += 1
//!   ──► emitted when count > hold period (default: the indicator's warm count);
//!       trix / ker / kama drop ±Inf
//! ```

use crate::gomath::go_pow;

/// How an exponential average warms up (`gota.WarmupType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Warmup {
    /// `exponential`: alpha scaled while warming (the default).
    Exponential,
    /// `simple`: a simple average while warming.
    Simple,
}

impl Warmup {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "exponential" => Some(Warmup::Exponential),
            "simple" => Some(Warmup::Simple),
            _ => None,
        }
    }
}

/// gota's EMA.
#[derive(Debug, Clone)]
struct Ema {
    period: usize,
    last: f64,
    count: usize,
    alpha: f64,
    warmup: Warmup,
}

impl Ema {
    fn new(period: usize, warmup: Warmup) -> Self {
        Self {
            period,
            last: 0.0,
            count: 0,
            alpha: 2.0 / (period as f64 + 1.0),
            warmup,
        }
    }

    fn warm_count(&self) -> i64 {
        self.period as i64 - 1
    }

    fn warmed(&self) -> bool {
        self.count == self.period
    }

    fn add(&mut self, v: f64) -> f64 {
        let avg = if self.count == 0 {
            v
        } else {
            let last = self.last;
            if !self.warmed() {
                match self.warmup {
                    Warmup::Simple => (last * self.count as f64 + v) / (self.count as f64 + 1.0),
                    Warmup::Exponential => {
                        let alpha = 2.0 / (self.count as f64 + 2.0);
                        (v - last) * alpha + last
                    }
                }
            } else {
                (v - last) * self.alpha + last
            }
        };
        self.last = avg;
        if self.count < self.period {
            self.count += 1;
        }
        avg
    }
}

/// One indicator's state.
#[derive(Debug, Clone)]
enum Indicator {
    Ema(Ema),
    Dema(Ema, Ema),
    Tema(Ema, Ema, Ema),
    Rsi {
        up: Ema,
        down: Ema,
        last: f64,
    },
    Trix {
        emas: [Ema; 3],
        last: f64,
        count: usize,
    },
    Ker(Ker),
    Kama {
        ker: Ker,
        last: f64,
    },
    Cmo(Cmo),
    Cmos {
        up: Ema,
        down: Ema,
        last: f64,
    },
}

/// gota's KER (Kaufman's efficiency ratio).
#[derive(Debug, Clone)]
struct Ker {
    /// The ring of `period` points (allocated only as far as the input can reach).
    points: Vec<(f64, f64)>,
    period: usize,
    noise: f64,
    count: usize,
    idx: usize,
}

impl Ker {
    /// `reach`: the most points that will be added, plus one (a longer ring never wraps).
    fn new(period: usize, reach: usize) -> Self {
        let period = period.max(1);
        Self {
            points: vec![(0.0, 0.0); period.min(reach)],
            period,
            noise: 0.0,
            count: 0,
            idx: 0,
        }
    }

    fn warmed(&self) -> bool {
        self.count == self.period + 1
    }

    fn add(&mut self, v: f64) -> f64 {
        let n = self.points.len();
        let mut oldest = self.idx + 1;
        if oldest >= n {
            oldest = 0;
        }
        let signal = (v - self.points[oldest].0).abs();
        let diff = (v - self.points[self.idx].0).abs();
        self.noise -= self.points[oldest].1;
        self.noise += diff;
        let noise = self.noise;
        self.idx = oldest;
        self.points[oldest] = (v, diff);
        if !self.warmed() {
            self.count += 1;
        }
        if signal == 0.0 || noise == 0.0 {
            0.0
        } else {
            signal / noise
        }
    }
}

/// gota's CMO (unsmoothed Chande momentum oscillator).
#[derive(Debug, Clone)]
struct Cmo {
    /// (price, diff) ring of `len` = `period - 1` points (allocated only as far as the
    /// input can reach).
    points: Vec<(f64, f64)>,
    len: usize,
    sum_up: f64,
    sum_down: f64,
    count: usize,
    idx: usize,
}

impl Cmo {
    fn add(&mut self, v: f64) -> f64 {
        let n = self.points.len();
        if n == 0 {
            // Period 1: 1.x indexes an empty ring (a panic); the caller refuses it first.
            return 0.0;
        }
        let mut oldest = self.idx + 1;
        if oldest == n {
            oldest = 0;
        }
        let mut diff = 0.0;
        if self.count != 0 {
            diff = v - self.points[self.idx].0;
            if diff > 0.0 {
                self.sum_up += diff;
            } else if diff < 0.0 {
                self.sum_down -= diff;
            }
        }
        let mut out = 0.0;
        if self.sum_up != 0.0 || self.sum_down != 0.0 {
            out = 100.0 * ((self.sum_up - self.sum_down) / (self.sum_up + self.sum_down));
        }
        let old_diff = self.points[oldest].1;
        if old_diff > 0.0 {
            self.sum_up -= old_diff;
        } else if old_diff < 0.0 {
            self.sum_down += old_diff;
        }
        self.points[oldest] = (v, diff);
        self.idx = oldest;
        if self.count != self.len + 2 {
            self.count += 1;
        }
        out
    }
}

/// Which technical-analysis function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Ema,
    Dema,
    Tema,
    Rsi,
    Trix,
    Ker,
    Kama,
    Cmo,
}

impl Kind {
    pub(crate) fn of(name: &str) -> Option<Self> {
        Some(match name {
            "exponential_moving_average" => Kind::Ema,
            "double_exponential_moving_average" => Kind::Dema,
            "triple_exponential_moving_average" => Kind::Tema,
            "relative_strength_index" => Kind::Rsi,
            "triple_exponential_derivative" => Kind::Trix,
            "kaufmans_efficiency_ratio" => Kind::Ker,
            "kaufmans_adaptive_moving_average" => Kind::Kama,
            "chande_momentum_oscillator" => Kind::Cmo,
            _ => return None,
        })
    }

    /// The words 1.x's "unsupported … iterator type" error uses.
    pub(crate) fn words(self) -> &'static str {
        match self {
            Kind::Ema => "exponential moving average",
            Kind::Dema => "double exponential moving average",
            Kind::Tema => "triple exponential moving average",
            Kind::Rsi => "relative strength index",
            Kind::Trix => "triple exponential derivative",
            Kind::Ker => "kaufmans efficiency ratio",
            Kind::Kama => "kaufmans adaptive moving average",
            Kind::Cmo => "chande momentum oscillator",
        }
    }
}

/// A smoothed EMA pair as gota's RSI and CMOS build them (period + 1, alpha = 1 / period).
fn smoothed(period: usize, warmup: Warmup) -> Ema {
    let mut e = Ema::new(period + 1, warmup);
    e.alpha = 1.0 / period as f64;
    e
}

impl Indicator {
    /// `warmup` None: CMO's `none` (the unsmoothed oscillator); the EMA family defaults to
    /// exponential.
    fn new(kind: Kind, period: usize, warmup: Option<Warmup>, reach: usize) -> Self {
        let w = warmup.unwrap_or(Warmup::Exponential);
        match kind {
            Kind::Ema => Indicator::Ema(Ema::new(period, w)),
            Kind::Dema => Indicator::Dema(Ema::new(period, w), Ema::new(period, w)),
            Kind::Tema => Indicator::Tema(
                Ema::new(period, w),
                Ema::new(period, w),
                Ema::new(period, w),
            ),
            Kind::Rsi => Indicator::Rsi {
                up: smoothed(period, w),
                down: smoothed(period, w),
                last: 0.0,
            },
            Kind::Trix => Indicator::Trix {
                emas: [
                    Ema::new(period, w),
                    Ema::new(period, w),
                    Ema::new(period, w),
                ],
                last: 0.0,
                count: 0,
            },
            Kind::Ker => Indicator::Ker(Ker::new(period, reach)),
            Kind::Kama => Indicator::Kama {
                ker: Ker::new(period, reach),
                last: 0.0,
            },
            Kind::Cmo => match warmup {
                None => Indicator::Cmo(Cmo {
                    points: vec![(0.0, 0.0); period.saturating_sub(1).min(reach)],
                    len: period.saturating_sub(1),
                    sum_up: 0.0,
                    sum_down: 0.0,
                    count: 0,
                    idx: 0,
                }),
                Some(w) => Indicator::Cmos {
                    up: smoothed(period, w),
                    down: smoothed(period, w),
                    last: 0.0,
                },
            },
        }
    }

    /// gota's `WarmCount`: the default hold period.
    fn warm_count(&self) -> i64 {
        match self {
            Indicator::Ema(e) => e.warm_count(),
            Indicator::Dema(e1, e2) => {
                if e1.warmup == Warmup::Exponential {
                    e1.warm_count()
                } else {
                    e1.warm_count() + e2.warm_count()
                }
            }
            Indicator::Tema(e1, e2, e3) => {
                if e1.warmup == Warmup::Exponential {
                    e1.warm_count()
                } else {
                    e1.warm_count() + e2.warm_count() + e3.warm_count()
                }
            }
            Indicator::Rsi { up, .. } | Indicator::Cmos { up, .. } => up.warm_count(),
            Indicator::Trix { emas, .. } => {
                if emas[0].warmup == Warmup::Exponential {
                    emas[0].warm_count() + 1
                } else {
                    emas[0].warm_count() * 3 + 1
                }
            }
            Indicator::Ker(k) | Indicator::Kama { ker: k, .. } => k.period as i64,
            Indicator::Cmo(c) => c.len as i64,
        }
    }

    /// Adds a sample; returns the indicator's value.
    fn add(&mut self, v: f64) -> f64 {
        match self {
            Indicator::Ema(e) => e.add(v),
            Indicator::Dema(e1, e2) => {
                let a1 = e1.add(v);
                let a2 = if e1.warmed() || e1.warmup == Warmup::Exponential {
                    e2.add(a1)
                } else {
                    a1
                };
                2.0 * a1 - a2
            }
            Indicator::Tema(e1, e2, e3) => {
                let a1 = e1.add(v);
                let a2 = if e1.warmed() || e1.warmup == Warmup::Exponential {
                    e2.add(a1)
                } else {
                    a1
                };
                let a3 = if e2.warmed() || e2.warmup == Warmup::Exponential {
                    e3.add(a2)
                } else {
                    a2
                };
                3.0 * a1 - 3.0 * a2 + a3
            }
            Indicator::Rsi { up, down, last } => {
                let (u, d) = up_down(v, *last);
                up.add(u);
                down.add(d);
                *last = v;
                100.0 - (100.0 / (1.0 + up.last / down.last))
            }
            Indicator::Cmos { up, down, last } => {
                let (u, d) = up_down(v, *last);
                up.add(u);
                down.add(d);
                *last = v;
                100.0 * ((up.last - down.last) / (up.last + down.last))
            }
            Indicator::Trix { emas, last, count } => {
                let [e1, e2, e3] = emas;
                let mut cur = e1.add(v);
                if e1.warmed() || e1.warmup == Warmup::Exponential {
                    cur = e2.add(cur);
                    if e2.warmed() || e2.warmup == Warmup::Exponential {
                        cur = e3.add(cur);
                    }
                }
                let rate = ((cur / *last) - 1.0) * 100.0;
                *last = cur;
                if *count != 2 && e3.warmed() {
                    *count += 1;
                }
                rate
            }
            Indicator::Ker(k) => k.add(v),
            Indicator::Kama { ker, last } => {
                if !ker.warmed() {
                    *last = ker.points[ker.idx].0;
                }
                let er = ker.add(v);
                // Go folds the constants exactly: 2/3 − 2/31 = 56/93, rounded once.
                let base = er * (56.0 / 93.0) + 2.0 / 31.0;
                let sc = go_pow(base, 2.0);
                *last += sc * (v - *last);
                *last
            }
            Indicator::Cmo(c) => c.add(v),
        }
    }

    /// trix, ker and kama do not emit infinite values.
    fn drops_inf(&self) -> bool {
        matches!(
            self,
            Indicator::Trix { .. } | Indicator::Ker(_) | Indicator::Kama { .. }
        )
    }
}

fn up_down(v: f64, last: f64) -> (f64, f64) {
    if v > last {
        (v - last, 0.0)
    } else if v < last {
        (0.0, last - v)
    } else {
        (0.0, 0.0)
    }
}

/// Runs `kind` over `points`; `hold` is the hold period argument (-1: the warm count).
pub(crate) fn indicator(
    kind: Kind,
    points: &[(i64, f64)],
    period: usize,
    hold: i64,
    warmup: Option<Warmup>,
) -> Vec<(i64, f64)> {
    let mut ind = Indicator::new(kind, period, warmup, points.len().saturating_add(1));
    let hold = if hold == -1 { ind.warm_count() } else { hold };
    // 1.x keeps the hold period in a uint32.
    let hold = u64::from(hold as u32);
    let mut count: u64 = 0;
    let mut out = Vec::new();
    for &(t, v) in points {
        let value = ind.add(v);
        count += 1;
        if count <= hold || (ind.drops_inf() && value.is_infinite()) {
            continue;
        }
        out.push((t, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Vec<(i64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (i as i64 * 60, *v))
            .collect()
    }

    #[test]
    fn ema_warms_exponentially_by_default() {
        // period 3: alpha 2/(count+2) while warming, then 0.5.
        let out = indicator(Kind::Ema, &series(&[1.0, 2.0, 3.0, 4.0]), 3, -1, None);
        // 1 → 1; 2 → 1 + (2-1)·2/3; 3 → … ; hold period = 2 drops the first two.
        let v2 = 1.0 + (2.0 - 1.0) * (2.0 / 3.0);
        let v3 = (3.0 - v2) * 0.5 + v2;
        let v4 = (4.0 - v3) * 0.5 + v3;
        assert_eq!(out, vec![(120, v3), (180, v4)]);
    }

    #[test]
    fn ema_simple_warmup_is_a_mean() {
        let out = indicator(
            Kind::Ema,
            &series(&[1.0, 2.0, 6.0]),
            3,
            0,
            Some(Warmup::Simple),
        );
        assert_eq!(out, vec![(0, 1.0), (60, 1.5), (120, 3.0)]);
    }

    #[test]
    fn cmo_without_smoothing() {
        // period 3: ups and downs over the last two differences.
        let out = indicator(Kind::Cmo, &series(&[1.0, 3.0, 2.0, 5.0]), 3, -1, None);
        // hold = 2: values at the 3rd and 4th points.
        assert_eq!(out[0], (120, 100.0 * ((2.0 - 1.0) / (2.0 + 1.0))));
        assert_eq!(out[1], (180, 100.0 * ((5.0 - 1.0) / (5.0 + 1.0))));
    }

    #[test]
    fn ker_is_signal_over_noise() {
        let out = indicator(Kind::Ker, &series(&[1.0, 2.0, 1.0, 3.0]), 2, 0, None);
        // 4th point: signal |3 − 2| (two points back), noise |1 − 2| + |3 − 1|.
        assert_eq!(out.len(), 4);
        assert_eq!(out[2].1, 0.0);
        assert_eq!(out[3].1, 1.0 / 3.0);
    }

    #[test]
    fn hold_period_wraps_like_uint32() {
        let pts = series(&[1.0, 2.0]);
        assert!(indicator(Kind::Ema, &pts, 2, 5, None).is_empty());
        assert_eq!(indicator(Kind::Ema, &pts, 2, 0, None).len(), 2);
    }

    #[test]
    fn long_periods_do_not_allocate_their_ring() {
        // A period far beyond the input behaves as 1.x's (never wrapping) ring would.
        let pts = series(&[1.0, 2.0, 4.0]);
        let huge = usize::MAX / 2;
        let ker = indicator(Kind::Ker, &pts, huge, 0, None);
        assert_eq!(ker, indicator(Kind::Ker, &pts, 10, 0, None));
        let cmo = indicator(Kind::Cmo, &pts, huge, 0, None);
        assert_eq!(cmo, indicator(Kind::Cmo, &pts, 10, 0, None));
        // The default hold period is the (huge) warm count: nothing comes out.
        assert!(indicator(Kind::Kama, &pts, huge, -1, None).is_empty());
    }
}
