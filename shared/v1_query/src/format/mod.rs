//! Encoding `/query` answers as 1.x writes them: JSON (compact or pretty), CSV, MessagePack.
//!
//! ```text
//! Accept ──► Format::from_accept ──► content_type()
//! non-chunked: encode_response(format, &[StatementResult], &Options) ──► one body
//! chunked:     ChunkWriter::new(format, options); for each chunk (see crate::chunk)
//!              writer.write(&StatementResult) ──► one document (JSON: one line)
//! request error: encode_error(format, text, pretty) ──► body; error_header_value(text)
//!              ──► X-Influxdb-Error (status 400 is the handler's)
//! ```
//!
//! Every JSON document ends with `\n`, as 1.x writes it; CSV and MessagePack documents
//! have no separator.

mod accept;
mod csv;
mod go_text;
mod indent;
mod json;
mod msgpack;
mod time;

use crate::epoch::Epoch;
use crate::result::StatementResult;

/// A response encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `application/json` (the default).
    #[default]
    Json,
    /// CSV, asked for as `application/csv` or `text/csv`.
    Csv,
    /// `application/x-msgpack`.
    Msgpack,
}

impl Format {
    /// The format for an `Accept` header (`None` when the request has none). Matching as
    /// 1.8: comma-separated media ranges, `*` wildcards, ordered by `q`; JSON when nothing
    /// matches. (1.6.7 compared the first `Accept` line exactly; both agree on a single
    /// exact type, which is all the recordings show.)
    pub fn from_accept(accept: Option<&str>) -> Self {
        accept::negotiate(accept)
    }

    /// As [`Format::from_accept`] for a request carrying several `Accept` header lines.
    pub fn from_accept_headers<'a>(headers: impl IntoIterator<Item = &'a str>) -> Self {
        accept::negotiate(headers)
    }

    /// The `Content-Type` 1.6.7 answers with: CSV is always `text/csv`, even when asked for
    /// as `application/csv` (recording `csv_select`).
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv",
            Self::Msgpack => "application/x-msgpack",
        }
    }
}

/// How values are written, from the request's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// `epoch`: integer times in this unit instead of RFC 3339 strings (first column only,
    /// as 1.x's `convertToEpoch`).
    pub epoch: Option<Epoch>,
    /// `pretty=true` (JSON only): Go's `MarshalIndent` with four spaces.
    pub pretty: bool,
}

/// The whole (non-chunked) body for the results of all statements.
pub fn encode_response(format: Format, results: &[StatementResult], options: &Options) -> Vec<u8> {
    match format {
        Format::Json => json_body(
            json::results_document(results, options.epoch),
            options.pretty,
        ),
        Format::Csv => {
            let mut out = String::new();
            csv::CsvState::default().write_results(&mut out, results, options.epoch);
            out.into_bytes()
        }
        Format::Msgpack => msgpack::results_document(results, options.epoch),
    }
}

/// The body of a request-level error (`missing required parameter "q"`, a parse error…):
/// JSON `{"error":"…"}\n`, CSV `error\n…\n`, or MessagePack `{"error": …}`.
pub fn encode_error(format: Format, text: &str, pretty: bool) -> Vec<u8> {
    match format {
        Format::Json => json_body(Ok(json::error_document(text)), pretty),
        Format::Csv => {
            let mut out = String::new();
            csv::error_document(&mut out, text);
            out.into_bytes()
        }
        Format::Msgpack => msgpack::error_document(text),
    }
}

/// The `X-Influxdb-Error` header value 1.x sends with an error status: the message cut to
/// 1024 bytes (here at a character boundary).
pub fn error_header_value(text: &str) -> &str {
    let mut end = text.len().min(1024);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn json_body(document: Result<String, json::UnsupportedValue>, pretty: bool) -> Vec<u8> {
    // A float JSON cannot carry turns the document into an error, as 1.8's jsonFormatter.
    let compact = document.unwrap_or_else(|e| json::error_document(&e.to_string()));
    let mut text = if pretty {
        indent::indent(&compact)
    } else {
        compact
    };
    text.push('\n');
    text.into_bytes()
}

/// Writes the documents of a chunked answer one at a time, keeping what 1.x's formatter
/// keeps between them (the CSV header state) and nothing else.
#[derive(Debug, Clone)]
pub struct ChunkWriter {
    format: Format,
    options: Options,
    csv: csv::CsvState,
}

impl ChunkWriter {
    /// A writer for one response.
    pub fn new(format: Format, options: Options) -> Self {
        Self {
            format,
            options,
            csv: csv::CsvState::default(),
        }
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// One chunk document holding `chunk` (1.x sends each result the executor emits as its
    /// own `{"results":[…]}` document). Send the bytes and flush before the next chunk.
    pub fn write(&mut self, chunk: &StatementResult) -> Vec<u8> {
        self.write_results(std::slice::from_ref(chunk))
    }

    /// One chunk document holding several results.
    pub fn write_results(&mut self, results: &[StatementResult]) -> Vec<u8> {
        match self.format {
            Format::Csv => {
                let mut out = String::new();
                self.csv
                    .write_results(&mut out, results, self.options.epoch);
                out.into_bytes()
            }
            format => encode_response(format, results, &self.options),
        }
    }
}

#[cfg(test)]
mod tests;
