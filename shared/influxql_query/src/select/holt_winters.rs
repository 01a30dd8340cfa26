//! 1.x's Holt-Winters reducer (`holt_winters`, `holt_winters_with_fit`) with its Nelder-Mead
//! optimiser, over one group's window values; every float in 1.x's order, so forecasts are
//! bit-identical.
//!
//! ```text
//! [(window time, f64)] ──► holt_winters(h, m, with_fit, interval)
//!   times rounded to the interval, gaps as NaN ──► initial level / trend / seasonals
//!   ──► grid of 16 starting guesses (α β γ φ ∈ {0.3, 0.7}) ──► nelder_mead(sse)
//!   ──► forecast with the best parameters ──► fitted + forecast points (with_fit) | forecast
//! ```

use crate::gomath::go_pow;

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

#[cfg(test)]
mod tests {
    use super::*;
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
