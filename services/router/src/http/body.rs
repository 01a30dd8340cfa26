//! Step 4: reading the request body — encoding check, size cap as sent and after gzip
//! decompression (decompression-bomb safe), UTF-8.

use std::io::Read;

use axum::body::Body;
use axum::http::{HeaderMap, header};
use flate2::read::MultiGzDecoder;
use http_body_util::BodyExt;

use super::error::ApiError;

/// How the body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// Absent or `identity`.
    Identity,
    /// `gzip`.
    Gzip,
}

/// Reads `Content-Encoding` (before any body byte is read): identity or gzip, else 415.
pub fn body_encoding(headers: &HeaderMap) -> Result<BodyEncoding, ApiError> {
    let Some(value) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(BodyEncoding::Identity);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    match text.trim() {
        t if t.is_empty() || t.eq_ignore_ascii_case("identity") => Ok(BodyEncoding::Identity),
        t if t.eq_ignore_ascii_case("gzip") => Ok(BodyEncoding::Gzip),
        other => Err(ApiError::UnsupportedEncoding(other.to_owned())),
    }
}

/// Reads the raw body, at most `limit` bytes: a `Content-Length` over the limit fails before
/// reading anything; a streamed body fails as soon as it passes the limit.
pub async fn read_capped(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    let initial = declared.map_or(0, |len| usize::try_from(len).unwrap_or(limit).min(limit));
    let mut out = Vec::with_capacity(initial);
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::BodyRead(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(ApiError::BodyTooLarge { limit });
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// Inflates a gzip body (one or more members), never holding more than `limit + 1` bytes.
pub fn gunzip_capped(compressed: &[u8], limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    let exceeded = read_at_most(MultiGzDecoder::new(compressed), limit, &mut out)
        .map_err(|e| ApiError::Gzip(e.to_string()))?;
    if exceeded {
        return Err(ApiError::DecompressedBodyTooLarge { limit });
    }
    Ok(out)
}

/// Reads from `reader` into `out` until EOF or until `out` holds `limit + 1` bytes; returns true
/// in the second case. `out`'s capacity never exceeds `limit + 1`.
pub fn read_at_most<R: Read>(
    mut reader: R,
    limit: usize,
    out: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let hard_cap = limit.saturating_add(1);
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let want = chunk.len().min(hard_cap - out.len());
        let n = match reader.read(&mut chunk[..want]) {
            Ok(0) => return Ok(false),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if out.capacity() - out.len() < n {
            // Grow geometrically, but never past the cap.
            let target = (out.capacity().max(64 * 1024) * 2)
                .min(hard_cap)
                .max(out.len() + n);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
        if out.len() >= hard_cap {
            return Ok(true);
        }
    }
}

/// Checks UTF-8 without copying.
pub fn into_utf8(bytes: Vec<u8>) -> Result<String, ApiError> {
    String::from_utf8(bytes).map_err(|e| ApiError::NotUtf8(e.utf8_error().to_string()))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn bomb_stops_at_the_cap_plus_one() {
        let bomb = gzip(&vec![0u8; 50 * 1024 * 1024]);
        assert!(bomb.len() < 100 * 1024, "bomb is {} bytes", bomb.len());
        let limit = 10 * 1024 * 1024;
        let mut out = Vec::new();
        let exceeded = read_at_most(MultiGzDecoder::new(&bomb[..]), limit, &mut out).unwrap();
        assert!(exceeded);
        assert_eq!(out.len(), limit + 1);
        assert!(
            out.capacity() <= limit + 1,
            "capacity {} > cap + 1",
            out.capacity()
        );
        assert_eq!(
            gunzip_capped(&bomb, limit).unwrap_err(),
            ApiError::DecompressedBodyTooLarge { limit }
        );
    }

    #[test]
    fn inflates_exactly_at_the_limit_and_multi_member() {
        let data = b"cpu v=1 1\n".repeat(100);
        assert_eq!(gunzip_capped(&gzip(&data), data.len()).unwrap(), data);
        assert!(gunzip_capped(&gzip(&data), data.len() - 1).is_err());
        let mut two = gzip(b"a v=1 1\n");
        two.extend(gzip(b"b v=2 2\n"));
        assert_eq!(gunzip_capped(&two, 1000).unwrap(), b"a v=1 1\nb v=2 2\n");
    }

    #[test]
    fn corrupt_gzip_and_bad_utf8() {
        assert_eq!(
            gunzip_capped(b"not gzip at all", 100).unwrap_err(),
            ApiError::Gzip("invalid gzip header".into())
        );
        assert_eq!(
            into_utf8(vec![b'a', 0xff]).unwrap_err(),
            ApiError::NotUtf8("invalid utf-8 sequence of 1 bytes from index 1".into())
        );
    }

    #[test]
    fn encodings() {
        let mut h = HeaderMap::new();
        assert_eq!(body_encoding(&h), Ok(BodyEncoding::Identity));
        h.insert(header::CONTENT_ENCODING, "GZIP".parse().unwrap());
        assert_eq!(body_encoding(&h), Ok(BodyEncoding::Gzip));
        h.insert(header::CONTENT_ENCODING, "identity".parse().unwrap());
        assert_eq!(body_encoding(&h), Ok(BodyEncoding::Identity));
        h.insert(header::CONTENT_ENCODING, "br".parse().unwrap());
        assert_eq!(
            body_encoding(&h),
            Err(ApiError::UnsupportedEncoding("br".into()))
        );
    }
}
