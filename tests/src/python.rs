//! Runs `tests/python/clients.py` with the interpreter that has the InfluxDB clients installed.

use std::process::Command;
pub use test_support::python_interpreter;

/// Runs one action of `clients.py` against `url` and returns the JSON document it printed.
/// Panics (failing the test) with the script's stderr when it exits non-zero.
pub fn python(action: &str, args: &[&str], url: &str, token: &str, db: &str) -> serde_json::Value {
    python_script("clients.py", action, args, url, token, db)
}

/// Runs one action of `tests/python/<script>` (same conventions as [`python`]: environment
/// `QUIVER_URL`/`QUIVER_TOKEN`/`QUIVER_DB`, one JSON document on the last stdout line).
pub fn python_script(
    script: &str,
    action: &str,
    args: &[&str],
    url: &str,
    token: &str,
    db: &str,
) -> serde_json::Value {
    python_script_env(script, action, args, url, token, db, &[])
}

/// [`python_script`] with extra environment variables (e.g. `QUIVER_QUERY_URL`).
pub fn python_script_env(
    script: &str,
    action: &str,
    args: &[&str],
    url: &str,
    token: &str,
    db: &str,
    env: &[(&str, &str)],
) -> serde_json::Value {
    let script = crate::workspace_root().join("tests/python").join(script);
    let out = Command::new(python_interpreter())
        .arg(&script)
        .arg(action)
        .args(args)
        .env("QUIVER_URL", url)
        .env("QUIVER_TOKEN", token)
        .env("QUIVER_DB", db)
        .envs(env.iter().copied())
        .output()
        .expect("python interpreter runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} {action} failed: {}\nstdout: {stdout}\nstderr: {stderr}",
        script.display(),
        out.status
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!(
            "{} {action} printed no JSON ({e}): {stdout}\n{stderr}",
            script.display()
        )
    })
}
