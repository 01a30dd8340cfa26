//! Arbitrary bytes → (if UTF-8) parse every line; every good line must survive
//! write → parse unchanged; nothing may panic. The check lives in the library
//! (`line_protocol::fuzzing`) so `tests/corpus.rs` replays the corpus with it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    line_protocol::fuzzing::check_parse_round_trip(data);
});
