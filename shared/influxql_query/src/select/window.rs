//! GROUP BY time windows as 1.x computes them, and fill(linear) across them.
//!
//! ```text
//! row time t ──► window_start(t, every, offset, tz): the window in tz's wall clock (zone
//!   offset at t, corrected by the offset at the window's start when it moved less than the
//!   interval)
//! windows' first outputs ──► linear_fill: a null between two values ← the line between them
//! ```

use v1_query::result::Value;

use super::functions::Out;
use crate::condition::MIN_TIME;

/// The start of the GROUP BY time window holding `t`, as 1.x's `IteratorOptions.Window`
/// computes it: in `tz`'s wall clock (the zone offset at `t`, corrected by the offset at the
/// window's start when it changed by less than the interval).
pub(crate) fn window_start(t: i64, every: i64, offset: i64, tz: Option<chrono_tz::Tz>) -> i64 {
    let t = t.wrapping_sub(offset);
    let zone = zone_offset(tz, t);
    let dt = t.wrapping_add(zone).rem_euclid(every);
    let mut start = if MIN_TIME.saturating_add(dt) >= t {
        MIN_TIME
    } else {
        t - dt
    };
    if tz.is_some() {
        let o = zone - zone_offset(tz, start);
        if o != 0 && o.abs() < every {
            start += o;
        }
    }
    start.wrapping_add(offset)
}

/// The UTC offset of `tz` at `t` (ns), in ns.
pub(crate) fn zone_offset(tz: Option<chrono_tz::Tz>, t: i64) -> i64 {
    use chrono::Offset as _;
    use chrono::TimeZone as _;
    let Some(tz) = tz else { return 0 };
    let utc = chrono::DateTime::from_timestamp_nanos(t).naive_utc();
    i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * 1_000_000_000
}

/// fill(linear): a null between two values gets the value on the line between them.
pub(super) fn linear_fill(windows: &[i64], outs: &mut [Vec<Out>]) {
    let known: Vec<(usize, Value)> = outs
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            o.first()
                .filter(|o| o.value != Value::Null)
                .map(|o| (i, o.value.clone()))
        })
        .collect();
    for pair in known.windows(2) {
        let (i0, v0) = &pair[0];
        let (i1, v1) = &pair[1];
        for k in i0 + 1..*i1 {
            let (t0, t1, t) = (windows[*i0], windows[*i1], windows[k]);
            let value = match (v0, v1) {
                // 1.x's linearInteger / linearFloat: the slope times the distance from the
                // previous window, plus the previous value.
                (Value::Integer(a), Value::Integer(b)) => {
                    let m = b.wrapping_sub(*a) as f64 / t1.wrapping_sub(t0) as f64;
                    let x = t.wrapping_sub(t0) as f64;
                    Value::Integer((m * x + *a as f64) as i64)
                }
                (Value::Float(a), Value::Float(b)) => {
                    let m = (b - a) / t1.wrapping_sub(t0) as f64;
                    let x = t.wrapping_sub(t0) as f64;
                    Value::Float(m * x + a)
                }
                _ => Value::Null,
            };
            if let Some(o) = outs[k].first_mut() {
                o.value = value;
            }
        }
    }
}
