//! Go's `math` functions where 1.x's answers depend on their last bit (the platform's libm
//! rounds differently): `Log` (and `Log2`, `Log10`), `Pow`, with `Frexp` / `Ldexp`. Same
//! operations in the same order as Go (whose amd64 assembly `Log` is the same algorithm).
//!
//! ```text
//! eval (ln, log, log2, log10, pow) ──► go_log / go_log2 / go_pow
//! holt_winters (optimiser, forecast) ──► go_pow
//! ```

/// Go's `math.Frexp`: `x = frac · 2^exp`, `frac` in [½, 1).
pub(crate) fn frexp(x: f64) -> (f64, i64) {
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

/// Go's `1 / math.Ln10`: the exact constant rounded once (= `LOG10_E`, not `1.0 / LN_10`).
pub(crate) const GO_INV_LN10: f64 = std::f64::consts::LOG10_E;
/// Go's `1 / math.Ln2` (= `LOG2_E`).
pub(crate) const GO_INV_LN2: f64 = std::f64::consts::LOG2_E;

/// Go's `math.Log` (the FreeBSD algorithm Go uses, also in its amd64 assembly): the same
/// operations in the same order, so the last bit is 1.x's, which the platform's libm does not
/// promise.
#[allow(clippy::excessive_precision)] // the algorithm's published constants, digit for digit
pub(crate) fn go_log(x: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const L1: f64 = 6.666_666_666_666_735_130e-01;
    const L2: f64 = 3.999_999_999_940_941_908e-01;
    const L3: f64 = 2.857_142_874_366_239_149e-01;
    const L4: f64 = 2.222_219_843_214_978_396e-01;
    const L5: f64 = 1.818_357_216_161_805_012e-01;
    const L6: f64 = 1.531_383_769_920_937_332e-01;
    const L7: f64 = 1.479_819_860_511_658_591e-01;
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    let (mut f1, mut ki) = frexp(x);
    if f1 < std::f64::consts::SQRT_2 / 2.0 {
        f1 *= 2.0;
        ki -= 1;
    }
    let f = f1 - 1.0;
    let k = ki as f64;
    let s = f / (2.0 + f);
    let s2 = s * s;
    let s4 = s2 * s2;
    let t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    let t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    let r = t1 + t2;
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
}

/// Go's `math.Log2`: exact at powers of two, else `Log(frac)·(1/Ln2) + exp`.
pub(crate) fn go_log2(x: f64) -> f64 {
    let (frac, exp) = frexp(x);
    if frac == 0.5 {
        return (exp - 1) as f64;
    }
    go_log(frac) * GO_INV_LN2 + exp as f64
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn logarithms_have_gos_last_bit() {
        // Recorded from InfluxDB 1.6.7 (ln, log10 of 1.61 and 24.02); libm differs in the last bit.
        assert_eq!(go_log(1.61), 0.476_234_178_996_371_66);
        assert_eq!(go_log(24.02) * GO_INV_LN10, 1.380_573_003_066_887_2);
        assert_eq!(go_log2(8.0), 3.0);
        assert!(go_log(-1.0).is_nan());
        assert_eq!(go_log(0.0), f64::NEG_INFINITY);
    }
}
