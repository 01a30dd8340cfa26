//! Arbitrary bytes → (if UTF-8) parse as InfluxQL; a parsed query must print as text that
//! parses back to the same tree; nothing may panic or overflow the stack. The check lives in
//! the library (`influxql::fuzzing`) so `tests/corpus.rs` replays the corpus with it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    influxql::fuzzing::check_parse_round_trip(data);
});
