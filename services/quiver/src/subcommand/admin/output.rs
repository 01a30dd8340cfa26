//! Printing admin results: aligned tables for people, one JSON document for scripts.
//!
//! ```text
//! records ──► Output { json: serde_json::Value, table: headers + rows | lines } ──► stdout
//! ```

use std::io::Write;

use config::OutputFormat;
use serde_json::Value;

use super::error::AdminError;

/// What a command prints, in both forms.
#[derive(Debug)]
pub(super) struct Output {
    /// The `--format json` document.
    pub json: Value,
    /// The `--format table` text (without the final newline).
    pub text: String,
}

impl Output {
    /// Writes the chosen form and a newline.
    pub(super) fn print(
        &self,
        format: OutputFormat,
        out: &mut impl Write,
    ) -> Result<(), AdminError> {
        match format {
            OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&self.json)?)?,
            OutputFormat::Table => writeln!(out, "{}", self.text)?,
        }
        out.flush()?;
        Ok(())
    }
}

/// Columns padded to their widest cell, two spaces apart; a header line first.
pub(super) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_owned()
    };
    let mut lines = vec![line(headers.to_vec())];
    for row in rows {
        lines.push(line(row.iter().map(String::as_str).collect()));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(
            &["ID", "NAME", "RETENTION"],
            &[
                vec!["1".into(), "a-long-name".into(), "30d".into()],
                vec!["22".into(), "b".into(), "infinite".into()],
            ],
        );
        assert_eq!(
            t,
            "ID  NAME         RETENTION\n1   a-long-name  30d\n22  b            infinite"
        );
        assert_eq!(table(&["ID", "NAME"], &[]), "ID  NAME");
    }
}
