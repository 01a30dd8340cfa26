//! Equality of short byte strings (column names, tag values) without a call into libc's
//! `memcmp`, which dominates for the 1–30 byte strings compared on the hot path.

/// `a == b`, comparing 8 bytes at a time with overlapping loads for the tail.
#[inline(always)]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        let mut i = 0;
        while i + 8 < n {
            if word(a, i) != word(b, i) {
                return false;
            }
            i += 8;
        }
        return word(a, n - 8) == word(b, n - 8);
    }
    if n >= 4 {
        return half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// The 8 bytes at `at` (the caller guarantees `at + 8 <= s.len()`).
#[inline(always)]
fn word(s: &[u8], at: usize) -> u64 {
    match s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()) {
        Some(w) => u64::from_le_bytes(w),
        None => 0,
    }
}

/// The 4 bytes at `at` (the caller guarantees `at + 4 <= s.len()`).
#[inline(always)]
fn half(s: &[u8], at: usize) -> u32 {
    match s.get(at..at + 4).and_then(|w| <[u8; 4]>::try_from(w).ok()) {
        Some(w) => u32::from_le_bytes(w),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::bytes_eq;

    #[test]
    fn agrees_with_slice_equality_for_every_length_and_difference_position() {
        for len in 0..40usize {
            let a: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(7)).collect();
            assert!(bytes_eq(&a, &a.clone()), "len {len}");
            for pos in 0..len {
                let mut b = a.clone();
                b[pos] ^= 0x20;
                assert!(!bytes_eq(&a, &b), "len {len}, difference at {pos}");
            }
            let mut longer = a.clone();
            longer.push(0);
            assert!(!bytes_eq(&a, &longer));
        }
    }
}
