//! Sixteen bytes at a time: which bytes of a block could end a token.
//!
//! Every delimiter of [`super::CLASS`] (`\n`, `\r`, space, `,`, `\\`, `=`) is either at most
//! `,` (0x2C) or one of `=` and `\\`, so a block's *candidates* are the bytes `<= ','` plus
//! those two: three compares over 16 bytes instead of a table lookup per byte. A candidate is
//! not always a delimiter of the scan at hand (`!`, `"` or `#` are at most `,`; `=` does not
//! end a tag value): the caller checks each candidate against its class.

/// Bytes per block.
pub(crate) const BLOCK: usize = 16;

/// Bit `i` set when `block[i]` is a candidate (see the module docs).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn candidates(block: &[u8; BLOCK]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline, so these instructions always exist; the
    // unaligned load reads exactly the 16 bytes `block` refers to.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        // v <= ',' (unsigned): min(v, ',') == v
        let low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(b',' as i8)), v);
        let equals = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'=' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        _mm_movemask_epi8(_mm_or_si128(low, _mm_or_si128(equals, backslash))) as u32
    }
}

/// Bit `i` set when `block[i]` is a candidate (see the module docs).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub(crate) fn candidates(block: &[u8; BLOCK]) -> u32 {
    let mut bits = 0u32;
    for (i, &b) in block.iter().enumerate() {
        bits |= u32::from(b <= b',' || b == b'=' || b == b'\\') << i;
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: a byte is a candidate when it is `<= ','`, `=` or `\\`.
    fn reference(block: &[u8; BLOCK]) -> u32 {
        let mut bits = 0u32;
        for (i, &b) in block.iter().enumerate() {
            if b <= b',' || b == b'=' || b == b'\\' {
                bits |= 1 << i;
            }
        }
        bits
    }

    #[test]
    fn every_byte_value_in_every_lane() {
        for value in 0..=255u8 {
            for lane in 0..BLOCK {
                let mut block = [b'a'; BLOCK];
                block[lane] = value;
                assert_eq!(
                    candidates(&block),
                    reference(&block),
                    "byte {value} in lane {lane}"
                );
            }
        }
    }

    #[test]
    fn every_delimiter_is_a_candidate() {
        for (byte, &class) in super::super::CLASS.iter().enumerate() {
            if class != 0 {
                let block = [byte as u8; BLOCK];
                assert_eq!(candidates(&block), 0xFFFF, "byte {byte}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn matches_the_reference(block in proptest::array::uniform16(proptest::num::u8::ANY)) {
            proptest::prop_assert_eq!(candidates(&block), reference(&block));
        }
    }
}
