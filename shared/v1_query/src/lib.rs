//! InfluxDB v1 `/query` answers, byte for byte as 1.x writes them: the result model, its
//! encodings and the request's parameters.
//!
//! ```text
//! HTTP request (query string + form body + Accept)
//!   ──► params::QueryParams::from_pairs (q, db, rp, epoch, chunked, chunk_size, pretty, params, u/p)
//!   ──► format::Format::from_accept ──► content_type()
//! executor ──► result::StatementResult { series: [Series], error? } per statement
//!   non-chunked: format::encode_response(format, &[StatementResult], &Options) ──► bytes
//!   chunked:     rows ──► chunk::StatementChunker (1.x's emitter: split every chunk_size rows,
//!                partial flags) ──► StatementResult per chunk ──► format::ChunkWriter ──► bytes
//!   request error: format::encode_error(format, text, pretty) ──► bytes (status 400 + header)
//! ```
//!
//! Pure: no network, no catalog; the querier's HTTP handler drives it.

pub mod chunk;
pub mod epoch;
pub mod format;
pub mod params;
pub mod result;

pub use chunk::StatementChunker;
pub use epoch::Epoch;
pub use format::{ChunkWriter, Format, Options, encode_error, encode_response, error_header_value};
pub use params::{DEFAULT_CHUNK_SIZE, ParamsError, QueryParams};
pub use result::{Message, Series, StatementResult, Value};
