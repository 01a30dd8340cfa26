//! The Python interpreter with the real InfluxDB clients (tests/python/requirements.txt): the
//! one every test that runs a client script uses.
//!
//! ```text
//! $QUIVER_PYTHON ──► that interpreter
//! else $QUIVER_CI_CACHE (or ~/.cache/quiver-ci)/venv/bin/python, the venv `.ci/run` prepares
//! else ──► panic with how to get one
//! ```

use std::path::PathBuf;

/// The interpreter (see the module doc). Panics when there is none: the test cannot run.
pub fn python_interpreter() -> PathBuf {
    if let Some(p) = std::env::var_os("QUIVER_PYTHON") {
        return PathBuf::from(p);
    }
    if let Some(venv) = ci_cache().map(|c| c.join("venv/bin/python"))
        && venv.exists()
    {
        return venv;
    }
    panic!(
        "no Python with the InfluxDB clients: run `bash .ci/run` once (it creates the venv) \
         or set QUIVER_PYTHON to an interpreter with tests/python/requirements.txt installed"
    );
}

/// `$QUIVER_CI_CACHE`, else `~/.cache/quiver-ci`.
pub(crate) fn ci_cache() -> Option<PathBuf> {
    std::env::var_os("QUIVER_CI_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/quiver-ci")))
}
