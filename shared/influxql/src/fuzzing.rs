//! The property the fuzz target checks, shared with the corpus replay test.
//!
//! ```text
//! bytes ──(UTF-8?)──► parse_query ──Ok──► Display (`{:#}`, passwords included) ──► parse_query
//!                                                     └── must succeed and give the same tree
//! ```

use crate::parser::parse_query;

/// Arbitrary bytes → (if UTF-8) parse; a parsed query must print as text that parses back to
/// the same tree. Panics on any violation (or on a panic inside the parser).
#[doc(hidden)]
pub fn check_parse_round_trip(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = parse_query(text) else {
        return;
    };
    let printed = format!("{query:#}");
    match parse_query(&printed) {
        Ok(again) => assert!(
            again == query,
            "round trip changed the tree\ninput:   {text:?}\nprinted: {printed:?}\nagain:   {again:#}"
        ),
        Err(e) => {
            panic!("printed query does not parse: {e}\ninput:   {text:?}\nprinted: {printed:?}")
        }
    }
}
