//! Replays every file of the fuzz corpus (`fuzz/corpus/parse/`) through the fuzz target's check,
//! so CI re-checks past findings without cargo-fuzz.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

#[test]
fn replay_fuzz_corpus() {
    // The manifest dir at run time (cargo and nextest set it), not the one baked in at compile
    // time: a test binary reused from a target dir shared by checkouts elsewhere looks here.
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(
            || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            std::path::PathBuf::from,
        )
        .join("fuzz/corpus/parse");
    let mut replayed = 0;
    let mut parsed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| influxql::fuzzing::check_parse_round_trip(&data));
        assert!(
            outcome.is_ok(),
            "corpus file {} fails the check",
            path.display()
        );
        if let Ok(text) = std::str::from_utf8(&data)
            && influxql::parser::parse_query(text).is_ok()
        {
            parsed += 1;
        }
        replayed += 1;
    }
    // the hand-written seeds alone are 118 files, most of them valid
    assert!(
        replayed >= 118,
        "only {replayed} corpus files in {}",
        dir.display()
    );
    assert!(parsed >= 90, "only {parsed} corpus files parse");
}
