//! Byte-level scanning: delimiter lookup tables, escape-aware identifier scans, line ends.
//!
//! Every position returned is either the input length or the index of an ASCII byte, so
//! slicing the `&str` at it always lands on a character boundary.

mod block;

/// Bits of [`CLASS`]: which bytes end a token in which part of a line.
pub(crate) const END_MEASUREMENT: u8 = 1;
/// Tag keys and field keys.
pub(crate) const END_KEY: u8 = 2;
/// Tag values.
pub(crate) const END_TAG_VALUE: u8 = 4;
/// Unquoted field values and timestamps.
pub(crate) const END_VALUE: u8 = 8;

const fn build_class() -> [u8; 256] {
    let mut t = [0u8; 256];
    // `\n` and `\r` stop every scan (a `\r` only ends the line before `\n` or the input end; the
    // scanners check that); `\\` stops identifier scans so escapes can be stepped over.
    let all = END_MEASUREMENT | END_KEY | END_TAG_VALUE | END_VALUE;
    t[b'\n' as usize] = all;
    t[b'\r' as usize] = all;
    t[b' ' as usize] = all;
    t[b',' as usize] = all;
    t[b'\\' as usize] = END_MEASUREMENT | END_KEY | END_TAG_VALUE;
    t[b'=' as usize] = END_KEY;
    t
}

/// Delimiter classes per byte.
pub(crate) static CLASS: [u8; 256] = build_class();

/// True for the characters a backslash escapes in identifiers (`\,` `\=` `\ ` `\\`).
#[inline(always)]
pub(crate) fn is_identifier_escapable(b: u8) -> bool {
    matches!(b, b',' | b'=' | b' ' | b'\\')
}

/// True when `pos` is the end of the line: the input end, a `\n`, or a `\r` right before
/// either.
#[inline(always)]
pub(crate) fn is_eol(bytes: &[u8], pos: usize) -> bool {
    match bytes.get(pos) {
        None | Some(b'\n') => true,
        Some(b'\r') => matches!(bytes.get(pos + 1), None | Some(b'\n')),
        Some(_) => false,
    }
}

/// True when `pos` ends an unquoted field value: `,`, space or the line end.
#[inline(always)]
pub(crate) fn ends_value(bytes: &[u8], pos: usize) -> bool {
    match bytes.get(pos) {
        None | Some(b',' | b' ' | b'\n') => true,
        Some(b'\r') => matches!(bytes.get(pos + 1), None | Some(b'\n')),
        Some(_) => false,
    }
}

/// True when `pos` ends a timestamp: space or the line end.
#[inline(always)]
pub(crate) fn ends_timestamp(bytes: &[u8], pos: usize) -> bool {
    match bytes.get(pos) {
        None | Some(b' ' | b'\n') => true,
        Some(b'\r') => matches!(bytes.get(pos + 1), None | Some(b'\n')),
        Some(_) => false,
    }
}

/// The first position from `pos` holding a byte of class `mask`, or the input length. Whole
/// blocks of 16 bytes are tested at once ([`block::candidates`]); the bytes of the last partial
/// block one by one.
#[inline(always)]
fn next_in_class(bytes: &[u8], mut pos: usize, mask: u8) -> usize {
    while let Some(block) = bytes
        .get(pos..pos + block::BLOCK)
        .and_then(|b| <&[u8; block::BLOCK]>::try_from(b).ok())
    {
        let mut candidates = block::candidates(block);
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            if CLASS[block[i] as usize] & mask != 0 {
                return pos + i;
            }
            candidates &= candidates - 1;
        }
        pos += block::BLOCK;
    }
    while pos < bytes.len() && CLASS[bytes[pos] as usize] & mask == 0 {
        pos += 1;
    }
    pos
}

/// Scans an identifier (measurement, key or tag value) from `pos` until a byte of class
/// `mask` that is not escaped. Returns the end position and whether a backslash was seen.
/// A `\r` that does not end the line is ordinary data.
#[inline(always)]
pub(crate) fn scan_identifier(bytes: &[u8], mut pos: usize, mask: u8) -> (usize, bool) {
    let mut backslash = false;
    loop {
        pos = next_in_class(bytes, pos, mask);
        match bytes.get(pos) {
            None => return (pos, backslash),
            Some(b'\\') => {
                backslash = true;
                let escaped = bytes
                    .get(pos + 1)
                    .is_some_and(|&b| is_identifier_escapable(b));
                pos += if escaped { 2 } else { 1 };
            }
            Some(b'\r') if !is_eol(bytes, pos) => pos += 1,
            Some(_) => return (pos, backslash),
        }
    }
}

/// Scans an unquoted value (number, boolean, timestamp) from `pos` to the next `,`, space or
/// line end.
#[inline(always)]
pub(crate) fn scan_value(bytes: &[u8], mut pos: usize) -> usize {
    loop {
        pos = next_in_class(bytes, pos, END_VALUE);
        if bytes.get(pos) == Some(&b'\r') && !is_eol(bytes, pos) {
            pos += 1;
        } else {
            return pos;
        }
    }
}

/// Position of the end of the line that `pos` is in (see [`is_eol`]), ignoring quoting.
pub(crate) fn physical_line_end(bytes: &[u8], pos: usize) -> usize {
    let nl = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
    if nl > pos && bytes[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    }
}

/// Result of scanning a quoted string value.
pub(crate) enum StringScan {
    /// Closing quote at `end` (exclusive end of the contents); `newlines` raw `\n` inside.
    Closed {
        end: usize,
        backslash: bool,
        newlines: usize,
    },
    /// No closing quote before the end of the input.
    Unterminated,
}

/// Scans the contents of a quoted string starting right after the opening quote.
#[inline]
pub(crate) fn scan_string(bytes: &[u8], start: usize) -> StringScan {
    let mut pos = start;
    let mut backslash = false;
    let mut newlines = 0;
    while let Some(i) = memchr::memchr3(b'"', b'\\', b'\n', &bytes[pos..]) {
        let at = pos + i;
        match bytes[at] {
            b'"' => {
                return StringScan::Closed {
                    end: at,
                    backslash,
                    newlines,
                };
            }
            b'\\' => {
                backslash = true;
                // `\"` and `\\` are escapes; before anything else the backslash is literal.
                let escaped = matches!(bytes.get(at + 1), Some(b'"' | b'\\'));
                pos = at + if escaped { 2 } else { 1 };
            }
            _ => {
                newlines += 1;
                pos = at + 1;
            }
        }
    }
    StringScan::Unterminated
}

/// Where the logical line starting at `start` ends, for resuming after an error: the first
/// line end that is not inside a quoted string field value. A string opens at a `"` that
/// directly follows an unescaped `=` after the first unescaped space (the field set); an
/// unterminated string does not extend the line.
pub(crate) fn logical_line_end(bytes: &[u8], start: usize) -> usize {
    let mut pos = start;
    let mut in_fields = false;
    while pos < bytes.len() {
        match bytes[pos] {
            b'\\' => {
                let escaped = bytes
                    .get(pos + 1)
                    .is_some_and(|&b| is_identifier_escapable(b));
                pos += if escaped { 2 } else { 1 };
            }
            b' ' => {
                in_fields = true;
                pos += 1;
            }
            b'=' if in_fields && bytes.get(pos + 1) == Some(&b'"') => {
                match scan_string(bytes, pos + 2) {
                    StringScan::Closed { end, .. } => pos = end + 1,
                    StringScan::Unterminated => return physical_line_end(bytes, pos),
                }
            }
            b'\n' => break,
            _ => pos += 1,
        }
    }
    // `pos` is the input end or a `\n`; a `\r` right before either belongs to the terminator
    if pos > start && bytes[pos - 1] == b'\r' {
        pos - 1
    } else {
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_scan_steps_over_escapes() {
        let b = br"a\,b\ c\=d\\,rest";
        let (end, bs) = scan_identifier(b, 0, END_TAG_VALUE);
        assert_eq!(&b[..end], br"a\,b\ c\=d\\");
        assert!(bs);
        let (end, bs) = scan_identifier(b"host=x", 0, END_KEY);
        assert_eq!(end, 4);
        assert!(!bs);
        // a backslash before another character is literal and does not swallow it
        let (end, _) = scan_identifier(br"a\x,b", 0, END_TAG_VALUE);
        assert_eq!(end, 3);
        // `\r` is data unless it ends the line
        assert_eq!(scan_identifier(b"a\rb,c", 0, END_TAG_VALUE).0, 3);
        assert_eq!(scan_identifier(b"ab\r\nc", 0, END_TAG_VALUE).0, 2);
        assert_eq!(scan_identifier(b"ab\r", 0, END_TAG_VALUE).0, 2);
    }

    /// `next_in_class` against a byte-by-byte scan, for every class, every start and bodies
    /// long enough for whole blocks, with delimiters, near-delimiters and multi-byte text.
    #[test]
    fn block_scan_finds_what_a_byte_scan_finds() {
        fn byte_scan(bytes: &[u8], mut pos: usize, mask: u8) -> usize {
            while pos < bytes.len() && CLASS[bytes[pos] as usize] & mask == 0 {
                pos += 1;
            }
            pos
        }
        let texts: [&[u8]; 5] = [
            b"cpu,hostname=host_0,region=eu-west-1 usage_user=58i,usage_system=2i 1451606400000000000\n",
            b"a!b\"c#d$e%f&g'h(i)j*k+l-m.n/o0p=q\\r s\tt\ru\nv,w",
            "h\u{e9}llo w\u{f6}rld,\u{2603}=x\\ y\r\nz".as_bytes(),
            b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
            b"",
        ];
        for text in texts {
            for mask in [END_MEASUREMENT, END_KEY, END_TAG_VALUE, END_VALUE] {
                for start in 0..=text.len() {
                    assert_eq!(
                        next_in_class(text, start, mask),
                        byte_scan(text, start, mask),
                        "mask {mask} start {start} in {:?}",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn block_scan_matches_byte_scan_on_any_bytes(
            text in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    proptest::sample::select(vec![b' ', b',', b'=', b'\\', b'\n', b'\r', b'a']),
                ],
                0..80,
            ),
            start in 0usize..80,
            mask in proptest::sample::select(vec![END_MEASUREMENT, END_KEY, END_TAG_VALUE, END_VALUE]),
        ) {
            let start = start.min(text.len());
            let mut expected = start;
            while expected < text.len() && CLASS[text[expected] as usize] & mask == 0 {
                expected += 1;
            }
            proptest::prop_assert_eq!(next_in_class(&text, start, mask), expected);
        }
    }

    #[test]
    fn string_scan_handles_escapes_and_counts_newlines() {
        let b = br#"a\"b\\"x"#;
        match scan_string(b, 0) {
            StringScan::Closed {
                end,
                backslash,
                newlines,
            } => {
                assert_eq!(&b[..end], br#"a\"b\\"#);
                assert!(backslash);
                assert_eq!(newlines, 0);
            }
            StringScan::Unterminated => panic!("should close"),
        }
        match scan_string(b"a\nb\n\"", 0) {
            StringScan::Closed { end, newlines, .. } => assert_eq!((end, newlines), (4, 2)),
            StringScan::Unterminated => panic!("should close"),
        }
        assert!(matches!(
            scan_string(br#"abc\""#, 0),
            StringScan::Unterminated
        ));
    }

    #[test]
    fn logical_line_end_respects_field_strings_only() {
        let b = b"m,t=\"a\nb\" f=1\nnext";
        // the quote in a tag value opens nothing
        assert_eq!(logical_line_end(b, 0), 6);
        let b = b"m f=x,s=\"a\nb\" 1\nnext";
        assert_eq!(&b[..logical_line_end(b, 0)], b"m f=x,s=\"a\nb\" 1");
        // unterminated: the line ends at the first newline after the quote
        let b = b"m s=\"abc\nnext";
        assert_eq!(logical_line_end(b, 0), 8);
        assert_eq!(logical_line_end(b"m f=x\r\n", 0), 5);
        assert_eq!(logical_line_end(b"m f=x\r", 0), 5);
        assert_eq!(logical_line_end(b"m f=x", 0), 5);
    }
}
