//! The technical-analysis functions of 1.x (its `query/internal/gota` package and the
//! Holt-Winters reducer with its Nelder-Mead optimiser), over one group's points in the
//! query's time order. Every float is computed in the order 1.x computes it, so the answers
//! are bit-identical.
//!
//! ```text
//! [(time, f64)] ──► Indicator (Ema | Dema | Tema | Rsi | Trix | Ker | Kama | Cmo | Cmos)
//!   each point: value = indicator.add(v); count += 1
//!   ──► emitted when count > hold period (default: the indicator's warm count);
//!       trix / ker / kama drop ±Inf
//! [(window time, f64)] ──► holt_winters(h, m, with_fit, interval)
//!   times rounded to the interval, gaps as NaN ──► initial level / trend / seasonals
//!   ──► grid of 16 starting guesses (α β γ φ ∈ {0.3, 0.7}) ──► nelder_mead(sse)
//!   ──► forecast with the best parameters ──► fitted + forecast points (with_fit) | forecast
//! go_pow: Go's math.Pow (repeated squaring on the mantissa), which the optimiser and the
//!   forecast use; libm's pow can differ in the last bit.
//! ```

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

// ---------------------------------------------------------------------------------------------
// Holt-Winters

const HW_WEIGHT: f64 = 0.5;
const HW_EPSILON: f64 = 1.0e-4;
const HW_GUESS_LOWER: f64 = 0.3;
const HW_GUESS_UPPER: f64 = 1.0;
const HW_GUESS_STEP: f64 = 0.4;
/// The most interval slots a series may span (gaps are filled with NaN one slot at a time),
/// and the most points a forecast may have: 1.x has no bound and exhausts memory.
pub(crate) const HW_MAX_SLOTS: i64 = 10_000_000;

struct HoltWinters {
    y: Vec<f64>,
    seasonal: bool,
}

impl HoltWinters {
    /// 1.x's `next`: the recursive relations.
    #[allow(clippy::too_many_arguments)]
    fn next(
        alpha: f64,
        beta: f64,
        gamma: f64,
        phi: f64,
        phi_h: f64,
        y_t: f64,
        l_tp: f64,
        b_tp: f64,
        s_tm: f64,
        s_tmh: f64,
    ) -> (f64, f64, f64, f64) {
        let l_t = alpha * (y_t / s_tm) + (1.0 - alpha) * (l_tp + phi * b_tp);
        let b_t = beta * (l_t - l_tp) + (1.0 - beta) * phi * b_tp;
        let s_t = gamma * (y_t / (l_tp + phi * b_tp)) + (1.0 - gamma) * s_tm;
        let y_th = (l_t + phi_h * b_t) * s_tmh;
        (y_th, l_t, b_t, s_t)
    }

    /// Forecasts `h` points past the data; constrains (and, for the seasonals, overwrites)
    /// `params` in place as 1.x does.
    fn forecast(&self, h: usize, params: &mut [f64]) -> Vec<f64> {
        // Clamped to [0, 1]; NaN stays NaN, as in 1.x.
        for p in params.iter_mut().take(4) {
            *p = p.clamp(0.0, 1.0);
        }
        let (alpha, beta, gamma, phi) = (params[0], params[1], params[2], params[3]);
        let mut y_t = self.y[0];
        let mut phi_h = phi;
        let mut l_t = params[4];
        let mut b_t = params[5];
        let m = params.len().saturating_sub(6);
        let mut so = 0usize;
        if self.seasonal {
            if m == 1 {
                params[6] = 1.0;
            }
            so = m.saturating_sub(1);
        }
        let l = self.y.len();
        let mut forecasted = vec![0.0; l + h];
        forecasted[0] = y_t;
        let (mut stm, mut stmh) = (1.0, 1.0);
        for t in 1..l + h {
            if self.seasonal && m > 0 {
                let hm = t % m;
                stm = params[6 + (t + so - m) % m];
                stmh = params[6 + (t + so + hm - m) % m];
            }
            let s_t;
            (y_t, l_t, b_t, s_t) =
                Self::next(alpha, beta, gamma, phi, phi_h, y_t, l_t, b_t, stm, stmh);
            phi_h += go_pow(phi, t as f64);
            if self.seasonal && m > 0 {
                params[6 + (t + so) % m] = s_t;
                so += 1;
            }
            forecasted[t] = y_t;
        }
        forecasted
    }

    /// The sum of squared errors of the fit with `params`.
    fn sse(&self, params: &mut [f64]) -> f64 {
        let forecasted = self.forecast(0, params);
        let mut sse = 0.0;
        for (f, y) in forecasted.iter().zip(&self.y) {
            if !y.is_nan() {
                if f.is_nan() {
                    return f64::INFINITY;
                }
                let diff = f - y;
                sse += diff * diff;
            }
        }
        sse
    }
}

/// 1.x's `holt_winters` / `holt_winters_with_fit` over one group's aggregate points.
pub(crate) fn holt_winters(
    points: &[(i64, f64)],
    h: i64,
    m: i64,
    with_fit: bool,
    interval: i64,
) -> Vec<(i64, f64)> {
    let seasonal = m >= 2;
    let l = points.len();
    if l < 2 || (seasonal && (l as i64) < m) || h <= 0 || interval <= 0 {
        return Vec::new();
    }
    let half = interval / 2;
    let round = |t: i64| -> i64 {
        let r = t % interval;
        if r > half {
            (t / interval).wrapping_add(1).wrapping_mul(interval)
        } else {
            (t / interval).wrapping_mul(interval)
        }
    };
    let start = round(points[0].0);
    let stop = round(points[l - 1].0);
    let count = stop.wrapping_sub(start) / interval;
    if count <= 0 || count > HW_MAX_SLOTS {
        return Vec::new();
    }
    let mut y = vec![points[0].1];
    let mut t = start;
    for &(pt, v) in &points[1..] {
        let rounded = round(pt);
        if rounded <= t {
            continue;
        }
        t += interval;
        while rounded != t {
            y.push(f64::NAN);
            t += interval;
        }
        y.push(v);
    }
    let m = usize::try_from(m).unwrap_or(0);
    // 1.x indexes past the series here (a panic); no answer instead.
    if y.len() < 2 || (seasonal && y.len() < m) {
        return Vec::new();
    }

    let mut l0 = 0.0;
    if seasonal {
        for v in &y[..m] {
            if !v.is_nan() {
                l0 += (1.0 / m as f64) * v;
            }
        }
    } else {
        l0 += HW_WEIGHT * y[0];
    }
    let mut b0 = 0.0;
    if seasonal {
        let mut i = 0;
        while i < m && m + i < y.len() {
            if !y[i].is_nan() && !y[m + i].is_nan() {
                b0 += 1.0 / (m * m) as f64 * (y[m + i] - y[i]);
            }
            i += 1;
        }
    } else if !y[1].is_nan() {
        b0 = HW_WEIGHT * (y[1] - y[0]);
    }
    let s: Vec<f64> = if seasonal {
        y[..m]
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { v / l0 })
            .collect()
    } else {
        Vec::new()
    };
    let mut parameters = vec![0.0; 6 + s.len()];
    parameters[4] = l0;
    parameters[5] = b0;
    parameters[6..].copy_from_slice(&s);

    let hw = HoltWinters { y, seasonal };
    let mut min_sse = f64::INFINITY;
    let mut best: Option<Vec<f64>> = None;
    let mut alpha = HW_GUESS_LOWER;
    while alpha < HW_GUESS_UPPER {
        let mut beta = HW_GUESS_LOWER;
        while beta < HW_GUESS_UPPER {
            let mut gamma = HW_GUESS_LOWER;
            while gamma < HW_GUESS_UPPER {
                let mut phi = HW_GUESS_LOWER;
                while phi < HW_GUESS_UPPER {
                    parameters[0] = alpha;
                    parameters[1] = beta;
                    parameters[2] = gamma;
                    parameters[3] = phi;
                    let (sse, params) =
                        nelder_mead(&mut |p: &mut [f64]| hw.sse(p), &parameters, HW_EPSILON, 1.0);
                    if sse < min_sse || best.is_none() {
                        min_sse = sse;
                        best = Some(params);
                    }
                    phi += HW_GUESS_STEP;
                }
                gamma += HW_GUESS_STEP;
            }
            beta += HW_GUESS_STEP;
        }
        alpha += HW_GUESS_STEP;
    }
    let Some(mut best) = best else {
        return Vec::new();
    };
    let h = usize::try_from(h).unwrap_or(0);
    let forecasted = hw.forecast(h, &mut best);
    let mut out = Vec::new();
    if with_fit {
        let start = points[0].0;
        for (i, v) in forecasted.iter().enumerate() {
            if !v.is_nan() {
                out.push((start.wrapping_add(interval.wrapping_mul(i as i64)), *v));
            }
        }
    } else {
        let stop = points[l - 1].0;
        for (i, v) in forecasted[hw.y.len()..].iter().enumerate() {
            if !v.is_nan() {
                out.push((stop.wrapping_add(interval.wrapping_mul(i as i64 + 1)), *v));
            }
        }
    }
    out
}

const NM_MAX_ITERATIONS: usize = 1000;
const NM_ALPHA: f64 = 1.0;
const NM_BETA: f64 = 0.5;
const NM_GAMMA: f64 = 2.0;

/// 1.x's Nelder-Mead minimiser (`query/neldermead`): the same simplex, the same steps, the
/// same (partial) shrink and stopping rule. `objective` may change the point it is given
/// (Holt-Winters constrains it), and the change sticks, as in 1.x.
pub(crate) fn nelder_mead(
    objective: &mut dyn FnMut(&mut [f64]) -> f64,
    start: &[f64],
    epsilon: f64,
    scale: f64,
) -> (f64, Vec<f64>) {
    let n = start.len();
    if n == 0 {
        return (objective(&mut []), Vec::new());
    }
    let nf = n as f64;
    let mut v = vec![vec![0.0; n]; n + 1];
    let mut f = vec![0.0; n + 1];
    let mut vr = vec![0.0; n];
    let mut ve = vec![0.0; n];
    let mut vc = vec![0.0; n];
    let mut vm = vec![0.0; n];

    let pn = scale * (((n + 1) as f64).sqrt() - 1.0 + nf) / (nf * 2f64.sqrt());
    let qn = scale * (((n + 1) as f64).sqrt() - 1.0) / (nf * 2f64.sqrt());
    v[0].copy_from_slice(start);
    for (i, row) in v.iter_mut().enumerate().skip(1) {
        for (j, (x, s)) in row.iter_mut().zip(start).enumerate() {
            *x = if i - 1 == j { pn + s } else { qn + s };
        }
    }
    for j in 0..=n {
        f[j] = objective(&mut v[j]);
    }

    for _ in 1..=NM_MAX_ITERATIONS {
        let mut vg = 0;
        let mut vs = 0;
        for i in 0..=n {
            if f[i] > f[vg] {
                vg = i;
            }
            if f[i] < f[vs] {
                vs = i;
            }
        }
        let mut vh = vs;
        for i in 0..=n {
            if f[i] > f[vh] && f[i] < f[vg] {
                vh = i;
            }
        }
        for i in 0..n {
            let mut cent = 0.0;
            for (m, row) in v.iter().enumerate() {
                if m != vg {
                    cent += row[i];
                }
            }
            vm[i] = cent / nf;
        }
        for i in 0..n {
            vr[i] = vm[i] + NM_ALPHA * (vm[i] - v[vg][i]);
        }
        let fr = objective(&mut vr);
        if fr < f[vh] && fr >= f[vs] {
            v[vg].copy_from_slice(&vr);
            f[vg] = fr;
        }
        if fr < f[vs] {
            for i in 0..n {
                ve[i] = vm[i] + NM_GAMMA * (vr[i] - vm[i]);
            }
            let fe = objective(&mut ve);
            if fe < fr {
                v[vg].copy_from_slice(&ve);
                f[vg] = fe;
            } else {
                v[vg].copy_from_slice(&vr);
                f[vg] = fr;
            }
        }
        if fr >= f[vh] {
            if fr < f[vg] && fr >= f[vh] {
                for i in 0..n {
                    vc[i] = vm[i] + NM_BETA * (vr[i] - vm[i]);
                }
            } else {
                for i in 0..n {
                    vc[i] = vm[i] - NM_BETA * (vm[i] - v[vg][i]);
                }
            }
            let fc = objective(&mut vc);
            if fc < f[vg] {
                v[vg].copy_from_slice(&vc);
                f[vg] = fc;
            } else {
                let best = v[vs].clone();
                for (row, vrow) in v.iter_mut().enumerate() {
                    if row != vs {
                        for i in 0..n {
                            vrow[i] = best[i] + (vrow[i] - best[i]) / 2.0;
                        }
                    }
                }
                f[vg] = objective(&mut v[vg]);
                f[vh] = objective(&mut v[vh]);
            }
        }
        let fsum: f64 = f.iter().fold(0.0, |a, b| a + b);
        let favg = fsum / (n + 1) as f64;
        let mut s = 0.0;
        for fi in &f {
            s += go_pow(fi - favg, 2.0) / nf;
        }
        if s.sqrt() < epsilon {
            break;
        }
    }
    let mut vs = 0;
    for i in 0..=n {
        if f[i] < f[vs] {
            vs = i;
        }
    }
    let parameters = v[vs].clone();
    let min = objective(&mut v[vs]);
    (min, parameters)
}

// ---------------------------------------------------------------------------------------------
// Go's math.Pow

/// Go's `math.Frexp`: `x = frac · 2^exp`, `frac` in [½, 1).
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (mut x, mut e) = (x, 0i64);
    if x.abs() < f64::MIN_POSITIVE {
        x *= (1u64 << 52) as f64;
        e = -52;
    }
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1022;
    let bits = (bits & !(0x7ff << 52)) | (1022 << 52);
    (f64::from_bits(bits), e)
}

/// Go's `math.Ldexp`: `frac · 2^exp`.
fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || !frac.is_finite() {
        return frac;
    }
    let (mut frac, mut exp) = (frac, exp);
    if frac.abs() < f64::MIN_POSITIVE {
        frac *= (1u64 << 52) as f64;
        exp = exp.saturating_sub(52);
    }
    let bits = frac.to_bits();
    exp = exp.saturating_add(((bits >> 52) & 0x7ff) as i64 - 1023);
    if exp < -1075 {
        return 0f64.copysign(frac);
    }
    if exp > 1023 {
        return f64::INFINITY.copysign(frac);
    }
    let mut m = 1.0;
    if exp < -1022 {
        exp += 53;
        m = 1.0 / (1u64 << 53) as f64;
    }
    let bits = (bits & !(0x7ff << 52)) | (((exp + 1023) as u64) << 52);
    m * f64::from_bits(bits)
}

fn is_odd_int(x: f64) -> bool {
    if x.abs() >= (1u64 << 53) as f64 {
        return false;
    }
    x.fract() == 0.0 && (x as i64) & 1 == 1
}

/// Go's `math.Pow` (pure Go: the integer part of `y` by repeated squaring of the mantissa).
/// A fractional part of `y` (never needed here) goes through the platform's exp/ln.
pub(crate) fn go_pow(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if y == 1.0 {
        return x;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        if y < 0.0 {
            return if is_odd_int(y) {
                f64::INFINITY.copysign(x)
            } else {
                f64::INFINITY
            };
        }
        return if is_odd_int(y) { x } else { 0.0 };
    }
    if y.is_infinite() {
        if x == -1.0 {
            return 1.0;
        }
        return if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if x.is_infinite() {
        if x < 0.0 {
            return go_pow(1.0 / x, -y);
        }
        return if y < 0.0 { 0.0 } else { f64::INFINITY };
    }
    if y == 0.5 {
        return x.sqrt();
    }
    if y == -0.5 {
        return 1.0 / x.sqrt();
    }
    let ya = y.abs();
    let mut yi = ya.trunc();
    let mut yf = ya - yi;
    if yf != 0.0 && x < 0.0 {
        return f64::NAN;
    }
    if yi >= (1u64 << 63) as f64 {
        if x == -1.0 {
            return 1.0;
        }
        return if (x.abs() < 1.0) == (y > 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let mut a1 = 1.0;
    let mut ae: i64 = 0;
    if yf != 0.0 {
        if yf > 0.5 {
            yf -= 1.0;
            yi += 1.0;
        }
        a1 = (yf * x.ln()).exp();
    }
    let (mut x1, mut xe) = frexp(x);
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        if a1 != 0.0 {
            a1 = 1.0 / a1;
        }
        ae = -ae;
    }
    ldexp(a1, ae)
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
    fn go_pow_matches_squaring() {
        assert_eq!(go_pow(3.0, 2.0), 9.0);
        assert_eq!(go_pow(0.5, 3.0), 0.125);
        assert_eq!(go_pow(2.0, -2.0), 0.25);
        assert_eq!(go_pow(0.7, 1.0), 0.7);
        assert_eq!(go_pow(0.1, 2.0), 0.1 * 0.1);
        assert_eq!(go_pow(0.0, 2.0), 0.0);
        assert!(go_pow(f64::NAN, 2.0).is_nan());
    }

    #[test]
    fn frexp_ldexp_round_trip() {
        for x in [1.0, 0.75, 3.5e-310, 1e300, -2.5] {
            let (f, e) = frexp(x);
            assert!((0.5..1.0).contains(&f.abs()), "{x}: {f}");
            assert_eq!(ldexp(f, e), x);
        }
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

    #[test]
    fn nelder_mead_finds_a_parabola_minimum() {
        let (min, p) = nelder_mead(
            &mut |x: &mut [f64]| (x[0] - 1.0) * (x[0] - 1.0) + (x[1] + 2.0) * (x[1] + 2.0),
            &[0.0, 0.0],
            1e-10,
            1.0,
        );
        assert!(min < 1e-6, "{min}");
        assert!(
            (p[0] - 1.0).abs() < 1e-3 && (p[1] + 2.0).abs() < 1e-3,
            "{p:?}"
        );
    }

    #[test]
    fn holt_winters_forecasts_after_the_last_point() {
        let pts: Vec<(i64, f64)> = (0..6).map(|i| (i * 10, 5.0 + i as f64)).collect();
        let out = holt_winters(&pts, 3, 0, false, 10);
        assert_eq!(
            out.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![60, 70, 80]
        );
        let fit = holt_winters(&pts, 3, 0, true, 10);
        assert_eq!(fit.len(), 9);
        assert_eq!(fit[0], (0, 5.0));
        assert!(holt_winters(&pts[..1], 3, 0, false, 10).is_empty());
    }
}
