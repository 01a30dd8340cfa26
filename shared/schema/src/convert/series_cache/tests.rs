use line_protocol::Precision;
use proptest::prelude::*;

use crate::convert::{ConvertedLines, LinesConverter};

const DEFAULT_TIME: i64 = 1_700_000_000_000_000_000;

fn cached(body: &str) -> ConvertedLines {
    let mut converter = LinesConverter::new(DEFAULT_TIME, Precision::Milliseconds);
    converter.write_lp(body);
    converter.finish().unwrap()
}

fn uncached(body: &str) -> ConvertedLines {
    let mut converter = LinesConverter::new(DEFAULT_TIME, Precision::Milliseconds);
    converter.write_lp_uncached(body);
    converter.finish().unwrap()
}

fn assert_same(body: &str) {
    let (a, b) = (cached(body), uncached(body));
    assert_eq!(a.stats, b.stats, "stats of\n{body}");
    assert_eq!(a.rejections, b.rejections, "rejections of\n{body}");
    assert_eq!(a.tables.len(), b.tables.len(), "tables of\n{body}");
    for (x, y) in a.tables.iter().zip(&b.tables) {
        assert_eq!(x.name, y.name);
        assert_eq!(x.batch, y.batch, "table {} of\n{body}", x.name);
    }
}

#[test]
fn repeated_series_convert_exactly_as_without_the_cache() {
    assert_same(
        "cpu,host=a,dc=x usage=1,n=2i 1\n\
         cpu,host=b,dc=x usage=2 2\n\
         cpu,host=a,dc=x usage=3,n=4i 3\n\
         cpu,host=a,dc=x s=\"new column\" 4\n\
         cpu,host=b,dc=x usage=5\n\
         mem,host=a,dc=x free=1i 5\n\
         cpu,host=a,dc=x usage=6 6\n",
    );
}

#[test]
fn a_cached_series_still_checks_every_field_rule() {
    assert_same(
        "cpu,host=a usage=1 1\n\
         cpu,host=a host=2 2\n\
         cpu,host=a usage=\"text\" 3\n\
         cpu,host=a usage=2,usage=3 4\n\
         cpu,host=a usage=2,usage=3i 5\n\
         cpu,host=a time=1 6\n\
         cpu,host=a usage=bad 7\n\
         cpu,host=a usage=4 99999999999999999\n\
         cpu,host=a new=1,usage=\"x\" 8\n\
         cpu,host=a usage=5,new=1 9\n\
         cpu,host=a\n\
         cpu,host=a usage=6 10\n",
    );
}

#[test]
fn keys_with_escapes_duplicates_or_rejections_convert_as_without_the_cache() {
    assert_same(
        "cpu,host=a,host=a v=1 1\n\
         cpu,host=a,host=a v=2 2\n\
         cpu,host=a,host=b v=3 3\n\
         cpu,host=a,host=b v=4 4\n\
         cpu,ho\\ st=a v=5 5\n\
         cpu,ho\\ st=a v=6 6\n\
         cpu,time=x v=7 7\n\
         cpu,time=x v=8 8\n\
         cpu,host=a\r,dc=y v=9 9\n\
         cpu,host=a\r,dc=y v=10 10\n\
         cpu v=11 11\n\
         cpu v=12 12\n\
         cpu,host=a,dc=x v=13 13\r\n\
         cpu,host=a,dc=x v=14 14\r\n",
    );
}

#[test]
fn a_series_key_first_seen_on_a_rejected_line_is_not_cached() {
    // The first line with this key is rejected (`v` twice with two types), the second is
    // accepted: only then is the key cached, and the third line uses it.
    let body = "cpu,host=z v=1,v=2i 1\ncpu,host=z v=1 2\ncpu,host=z v=2 3\nother v=1 4\n";
    assert_same(body);
    let out = cached(body);
    assert_eq!(out.stats.lines_accepted, 3);
    assert_eq!(out.rejections.len(), 1);
    assert_eq!(out.rejections[0].line_number, 1);
}

fn series() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "cpu,host=a,dc=x",
        "cpu,dc=x,host=a",
        "cpu,host=b",
        "cpu",
        "mem,host=a",
        "cpu,host=a,host=a",
        "cpu,host=a,host=b",
        "cpu,usage=tag",
        "cpu,h\\,ost=a",
        "cpu,time=t",
        "mem,k=v,dc=y",
    ])
    .prop_map(str::to_owned)
}

fn fields() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "usage=1.5",
            "usage=2i",
            "usage=\"s\"",
            "n=3i",
            "n=4u",
            "k=true",
            "host=1",
            "dc=\"x\"",
            "time=1",
            "bad=",
            "s=\"a b\"",
        ]),
        1..4,
    )
    .prop_map(|f| f.join(","))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_body_converts_as_without_the_cache(
        lines in prop::collection::vec(
            (series(), fields(), prop::option::of(0i64..1_000)),
            1..60,
        )
    ) {
        let body: String = lines
            .iter()
            .map(|(s, f, t)| match t {
                Some(t) => format!("{s} {f} {t}\n"),
                None => format!("{s} {f}\n"),
            })
            .collect();
        assert_same(&body);
    }

    #[test]
    fn tsbs_bodies_convert_as_without_the_cache(hosts in 1usize..50, rows in 1usize..600) {
        assert_same(&tsbs::lines(11, hosts, rows));
    }
}
