//! `tracing` subscriber setup.

use tracing_subscriber::EnvFilter;

/// Logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The filter does not parse.
    #[error("invalid log filter {filter:?}: {source}")]
    Filter {
        /// The filter text.
        filter: String,
        /// Parser error.
        source: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber is already installed.
    #[error("logging already initialised: {0}")]
    AlreadyInitialised(String),
}

/// Installs the global subscriber, writing to stderr. `filter` (from `--log-filter` /
/// `QUIVER_LOG`) wins; else `RUST_LOG`; else `info`.
pub fn init_logging(filter: Option<&str>, json: bool) -> Result<(), LoggingError> {
    let text = filter
        .map(str::to_owned)
        .or_else(|| std::env::var("RUST_LOG").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "info".to_owned());
    let env_filter = EnvFilter::builder()
        .parse(&text)
        .map_err(|source| LoggingError::Filter {
            filter: text.clone(),
            source,
        })?;
    // Colours only for a terminal: log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    result.map_err(|e| LoggingError::AlreadyInitialised(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_a_bad_filter_with_its_text() {
        let err = init_logging(Some("info,=[=bad"), false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid log filter \"info,=[=bad\""),
            "{err}"
        );
    }
}
