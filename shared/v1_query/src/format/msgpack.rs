//! The MessagePack body: 1.x's `msgpackFormatter` over tinylib/msgp's writer.
//!
//! ```text
//! [StatementResult] ──► {"results": [ {"statement_id", ["messages"], "series", ["partial"]}
//!                                   | {"error"} for a failed statement ] }
//! Series ──► {["name"], ["tags"], "columns", "values", ["partial"]}
//! Value ──► nil | float64 | int (msgp's smallest *signed* form) | uint | str | bool |
//!           time: ext 5, 12 bytes (i64 seconds, i32 nanoseconds, big endian, UTC)
//!                 or an int in the epoch unit for the first column when epoch is set
//! ```
//!
//! Markers come from the `rmp` crate; only the integer width choice is msgp's own.
//! Tags: 1.x iterates a Go map (random order); they are written sorted here.

use std::convert::Infallible;

use rmp::encode::{self, ByteBuf, RmpWrite, ValueWriteError};

use crate::epoch::Epoch;
use crate::result::{Series, StatementResult, Value};

/// msgp's extension type for `time.Time`.
const TIME_EXT: i8 = 5;

/// `{"results":[…]}`.
pub(crate) fn results_document(results: &[StatementResult], epoch: Option<Epoch>) -> Vec<u8> {
    let mut w = Writer::default();
    w.map(1);
    w.str("results");
    w.array(results.len());
    for result in results {
        write_result(&mut w, result, epoch);
    }
    w.finish()
}

/// `{"error":"…"}`.
pub(crate) fn error_document(text: &str) -> Vec<u8> {
    let mut w = Writer::default();
    w.map(1);
    w.str("error");
    w.str(text);
    w.finish()
}

fn write_result(w: &mut Writer, result: &StatementResult, epoch: Option<Epoch>) {
    if let Some(error) = &result.error {
        w.map(1);
        w.str("error");
        w.str(error);
        return;
    }
    w.map(2 + usize::from(!result.messages.is_empty()) + usize::from(result.partial));
    w.str("statement_id");
    w.int(
        if result.statement_id == crate::result::PANIC_STATEMENT_ID {
            -1
        } else {
            i64::try_from(result.statement_id).unwrap_or(i64::MAX)
        },
    );
    if !result.messages.is_empty() {
        w.str("messages");
        w.array(result.messages.len());
        for message in &result.messages {
            w.map(2);
            w.str("level");
            w.str(&message.level);
            w.str("text");
            w.str(&message.text);
        }
    }
    w.str("series");
    w.array(result.series.len());
    for series in &result.series {
        write_series(w, series, epoch);
    }
    if result.partial {
        w.str("partial");
        w.bool(true);
    }
}

fn write_series(w: &mut Writer, series: &Series, epoch: Option<Epoch>) {
    let name = series.name.as_deref().filter(|n| !n.is_empty());
    w.map(
        2 + usize::from(name.is_some())
            + usize::from(!series.tags.is_empty())
            + usize::from(series.partial),
    );
    if let Some(name) = name {
        w.str("name");
        w.str(name);
    }
    if !series.tags.is_empty() {
        w.str("tags");
        w.map(series.tags.len());
        for (k, v) in &series.tags {
            w.str(k);
            w.str(v);
        }
    }
    w.str("columns");
    w.array(series.columns.len());
    for column in &series.columns {
        w.str(column);
    }
    w.str("values");
    w.array(series.values.len());
    for row in &series.values {
        w.array(row.len());
        for (j, value) in row.iter().enumerate() {
            w.value(value, if j == 0 { epoch } else { None });
        }
    }
    if series.partial {
        w.str("partial");
        w.bool(true);
    }
}

/// An in-memory msgp-compatible writer; writing to memory cannot fail.
#[derive(Default)]
struct Writer {
    buf: ByteBuf,
}

fn done<T>(r: Result<T, ValueWriteError<Infallible>>) {
    match r {
        Ok(_) => {}
        Err(ValueWriteError::InvalidMarkerWrite(e) | ValueWriteError::InvalidDataWrite(e)) => {
            match e {}
        }
    }
}

fn done_raw(r: Result<(), Infallible>) {
    match r {
        Ok(()) => {}
        Err(e) => match e {},
    }
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Writer {
    fn finish(self) -> Vec<u8> {
        self.buf.into_vec()
    }

    fn map(&mut self, n: usize) {
        done(encode::write_map_len(&mut self.buf, len32(n)));
    }

    fn array(&mut self, n: usize) {
        done(encode::write_array_len(&mut self.buf, len32(n)));
    }

    fn str(&mut self, s: &str) {
        done(encode::write_str(&mut self.buf, s));
    }

    fn bool(&mut self, b: bool) {
        done_raw(encode::write_bool(&mut self.buf, b));
    }

    /// msgp's `WriteInt64`: non-negative values use fixint or the signed 16/32/64-bit forms
    /// (never int8 nor the unsigned markers); negative ones the smallest signed form.
    fn int(&mut self, i: i64) {
        let b = &mut self.buf;
        if i >= 0 {
            match (u8::try_from(i), i16::try_from(i), i32::try_from(i)) {
                (Ok(v), _, _) if v < 128 => done_raw(encode::write_pfix(b, v)),
                (_, Ok(v), _) => done(encode::write_i16(b, v)),
                (_, _, Ok(v)) => done(encode::write_i32(b, v)),
                _ => done(encode::write_i64(b, i)),
            }
        } else if i >= -32 {
            done_raw(encode::write_nfix(b, i8::try_from(i).unwrap_or(-32)));
        } else if let Ok(v) = i8::try_from(i) {
            done(encode::write_i8(b, v));
        } else if let Ok(v) = i16::try_from(i) {
            done(encode::write_i16(b, v));
        } else if let Ok(v) = i32::try_from(i) {
            done(encode::write_i32(b, v));
        } else {
            done(encode::write_i64(b, i));
        }
    }

    fn value(&mut self, value: &Value, epoch: Option<Epoch>) {
        match value {
            Value::Null => done_raw(encode::write_nil(&mut self.buf)),
            Value::Float(f) => done(encode::write_f64(&mut self.buf, *f)),
            Value::Integer(i) => self.int(*i),
            Value::Unsigned(u) => done(encode::write_uint(&mut self.buf, *u)),
            Value::String(s) => self.str(s),
            Value::Boolean(b) => self.bool(*b),
            Value::Time(ns) => match epoch {
                Some(unit) => self.int(unit.convert(*ns)),
                None => self.time(*ns),
            },
        }
    }

    /// msgp's `WriteTime`: ext8, length 12, type 5; seconds (floored) then nanoseconds.
    fn time(&mut self, ns: i64) {
        let secs = ns.div_euclid(1_000_000_000);
        let nanos = i32::try_from(ns.rem_euclid(1_000_000_000)).unwrap_or(0);
        done(encode::write_ext_meta(&mut self.buf, 12, TIME_EXT));
        let mut payload = [0u8; 12];
        payload[..8].copy_from_slice(&secs.to_be_bytes());
        payload[8..].copy_from_slice(&nanos.to_be_bytes());
        done_raw(self.buf.write_bytes(&payload));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_bytes(i: i64) -> Vec<u8> {
        let mut w = Writer::default();
        w.int(i);
        w.finish()
    }

    #[test]
    fn ints_as_msgp() {
        assert_eq!(int_bytes(0), [0x00]);
        assert_eq!(int_bytes(127), [0x7f]);
        assert_eq!(int_bytes(128), [0xd1, 0x00, 0x80]);
        assert_eq!(int_bytes(32767), [0xd1, 0x7f, 0xff]);
        assert_eq!(int_bytes(32768), [0xd2, 0x00, 0x00, 0x80, 0x00]);
        assert_eq!(int_bytes(1 << 31), [0xd3, 0, 0, 0, 0, 0x80, 0, 0, 0]);
        assert_eq!(int_bytes(-1), [0xff]);
        assert_eq!(int_bytes(-32), [0xe0]);
        assert_eq!(int_bytes(-33), [0xd0, 0xdf]);
        assert_eq!(int_bytes(-129), [0xd1, 0xff, 0x7f]);
        assert_eq!(int_bytes(i64::MIN), [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn times_as_msgp_ext5() {
        let mut w = Writer::default();
        w.time(1_795_219_200_000_000_000);
        assert_eq!(
            w.finish(),
            [
                0xc7, 0x0c, 0x05, 0, 0, 0, 0, 0x6b, 0x00, 0xdf, 0x00, 0, 0, 0, 0
            ]
        );
        let mut w = Writer::default();
        w.time(-1);
        assert_eq!(
            w.finish(),
            [
                0xc7, 0x0c, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3b, 0x9a, 0xc9,
                0xff
            ]
        );
    }

    #[test]
    fn statement_error_is_error_only() {
        let doc = results_document(&[StatementResult::error(3, "boom")], None);
        assert_eq!(
            doc,
            [
                &[0x81, 0xa7][..],
                b"results",
                &[0x91, 0x81, 0xa5],
                b"error",
                &[0xa4],
                b"boom"
            ]
            .concat()
        );
    }
}
