use std::sync::Arc;

use line_protocol::Precision;
use proptest::prelude::*;

use super::*;

fn sequential(body: &str) -> ConvertedLines {
    let mut converter = LinesConverter::new(7_000, Precision::Nanoseconds);
    converter.write_lp(body);
    converter.finish().unwrap()
}

/// Same tables (names, schemas, every array including dictionary key order), same
/// rejections, same counts.
fn assert_same(parallel: &ConvertedLines, expected: &ConvertedLines, body: &str) {
    assert_eq!(parallel.stats, expected.stats, "body:\n{body}");
    assert_eq!(parallel.rejections, expected.rejections, "body:\n{body}");
    assert_eq!(
        parallel.tables.len(),
        expected.tables.len(),
        "body:\n{body}"
    );
    for (p, e) in parallel.tables.iter().zip(&expected.tables) {
        assert_eq!(p.name, e.name);
        assert_eq!(p.batch.schema(), e.batch.schema(), "body:\n{body}");
        for (pc, ec) in p.batch.columns().iter().zip(e.batch.columns()) {
            assert_eq!(
                pc.to_data(),
                ec.to_data(),
                "table {}, body:\n{body}",
                p.name
            );
        }
    }
}

/// Every chunk on its own converter, appended in order (what the helpers' chunks go through),
/// or `None` where `convert_chunks` falls back.
fn append_each(chunks: &[&str]) -> Option<ConvertedLines> {
    let mut converters = chunks
        .iter()
        .map(|chunk| convert_one(chunk, 7_000, TimestampUnit::Fixed(Precision::Nanoseconds)));
    let mut merged = converters.next()?;
    if !merged.rejections.is_empty() {
        return None;
    }
    for next in converters {
        if !next.rejections.is_empty() || !merged.can_append(&next) {
            return None;
        }
        merged.append(next);
    }
    Some(merged.finish().unwrap())
}

#[test]
fn appending_chunk_converters_equals_one_converter() {
    let body = tsbs::lines(5, 30, 3_000);
    let expected = sequential(&body);
    for parts in [2, 3, 7, 40] {
        let chunks = cut_at_newlines(&body, parts, 1);
        assert_eq!(chunks.len(), parts);
        let appended = append_each(&chunks).expect("tsbs lines are all accepted");
        assert_same(&appended, &expected, "(tsbs)");
    }
    // Columns and tables only some chunks have; a tag first seen with null rows before it.
    let body = "a f=1 1\nm,t=x g=true 2\nm h=\"s\" 3\nm,u=y,t=x g=false 4\nm k=5u 5\nb,t=z f=2 6\n";
    let expected = sequential(body);
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let appended = append_each(&lines).expect("all accepted");
    assert_same(&appended, &expected, body);
}

#[test]
fn cuts_after_newlines_into_chunks_of_at_least_the_minimum() {
    let body = "a 1\nbb 2\nccc 3\nd 4\n";
    assert_eq!(cut_at_newlines(body, 1, 1), [body]);
    assert_eq!(cut_at_newlines(body, 8, 100), [body]);
    let two = cut_at_newlines(body, 2, 4);
    assert_eq!(two.concat(), body);
    assert_eq!(two, ["a 1\nbb 2\nccc 3\n", "d 4\n"]);
    let four = cut_at_newlines(body, 4, 1);
    assert_eq!(four.concat(), body);
    assert!(four.iter().all(|c| c.ends_with('\n')));
    // No newline after the target: one chunk.
    assert_eq!(cut_at_newlines("abcdefgh", 2, 1), ["abcdefgh"]);
    assert_eq!(cut_at_newlines("", 2, 1), [""]);
}

#[test]
fn tsbs_body_on_four_threads_equals_one_converter() {
    let body = tsbs::lines(9, 50, 4_000);
    let expected = sequential(&body);
    assert_eq!(expected.stats.lines_accepted, 4_000);
    let pool = ConvertPool::new(4);
    assert_eq!(pool.threads(), 4);
    for _ in 0..3 {
        let converted = pool
            .convert_in_chunks(
                Arc::new(body.clone()),
                7_000,
                TimestampUnit::Fixed(Precision::Nanoseconds),
                1024,
            )
            .unwrap();
        assert_same(&converted, &expected, "(tsbs)");
    }
}

#[test]
fn falls_back_where_chunks_disagree_or_reject() {
    let cases = [
        // Type fixed by the first chunk, contradicted by the second: the second's line is rejected.
        "m,t=a f=1.5 1\nm,t=b f=2i 2\n",
        // Tag in one chunk, field in the other.
        "m,x=a f=1 1\nm x=2 2\n",
        // A newline inside a string value, cut there.
        "m s=\"one\ntwo\" 1\nm s=\"three\" 2\n",
        // A bad line in the second chunk: its line number counts the first chunk's lines.
        "m f=1 1\n\nm f= 2\nm f=3 3\n",
        // Columns only in the second chunk, a table only in the first.
        "a f=1 1\nm,t=x g=true 2\nm h=\"s\" 3\n",
    ];
    for body in cases {
        let expected = sequential(body);
        let at = body.find('\n').map_or(0, |i| i + 1);
        let halves = [&body[..at], &body[at..]];
        assert!(
            append_each(&halves).is_none() || body.starts_with("a "),
            "no fallback for {body}"
        );
        let pool = ConvertPool::new(3);
        for min in [1, 4, 9] {
            let parallel = pool
                .convert_in_chunks(
                    Arc::new(body.to_owned()),
                    7_000,
                    TimestampUnit::Fixed(Precision::Nanoseconds),
                    min,
                )
                .unwrap();
            assert_same(&parallel, &expected, body);
        }
    }
}

fn line() -> impl Strategy<Value = String> {
    let table = prop::sample::select(vec!["m", "n", "o"]);
    let tag = prop::sample::select(vec!["", ",t=a", ",t=b", ",u=x,t=a", ",t=a,t=a", ",v=\\ q"]);
    let field = prop::sample::select(vec![
        "f=1",
        "f=2i",
        "f=3u",
        "f=true",
        "f=\"s\"",
        "g=1.5",
        "g=\"x\ny\"",
        "h=-4i",
        "t=1",
        "f=",
        "g=\"unterminated",
    ]);
    let time = prop::sample::select(vec!["", " 5", " 9223372036854775807", " x"]);
    (table, tag, prop::collection::vec(field, 1..3), time)
        .prop_map(|(t, g, f, ts)| format!("{t}{g} {}{ts}", f.join(",")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_body_on_any_cut_equals_one_converter(
        lines in prop::collection::vec(line(), 1..40),
        threads in 2usize..5,
        min in 1usize..64,
    ) {
        let body = lines.join("\n");
        let expected = sequential(&body);
        let parallel = ConvertPool::new(threads)
            .convert_in_chunks(Arc::new(body.clone()), 7_000, TimestampUnit::Fixed(Precision::Nanoseconds), min)
            .unwrap();
        assert_same(&parallel, &expected, &body);
        let chunks = cut_at_newlines(&body, threads * 4, min);
        if let Some(appended) = append_each(&chunks) {
            assert_same(&appended, &expected, &body);
        }
    }

    #[test]
    fn bodies_of_accepted_lines_merge_without_falling_back(
        hosts in 1usize..20,
        rows in 1usize..400,
        threads in 2usize..5,
    ) {
        let body = tsbs::lines(3, hosts, rows);
        let expected = sequential(&body);
        let chunks = cut_at_newlines(&body, threads * 4, 256);
        let appended = append_each(&chunks);
        prop_assert!(appended.is_some(), "fell back on a clean body");
        if let Some(appended) = appended {
            assert_same(&appended, &expected, "(tsbs)");
        }
    }
}
