//! `pretty=true`: Go's `json.MarshalIndent(v, "", "    ")` layout applied to compact JSON.
//!
//! ```text
//! compact JSON (from `json`) ──► walk bytes outside strings:
//!   '{' '['  open, newline + indent delayed (so empty ones stay "{}" / "[]")
//!   ','      newline + indent       ':'  ": "       '}' ']'  newline + dedent
//! ──► indented JSON
//! ```

const INDENT: &str = "    ";

/// Re-indents valid compact JSON (no insignificant white space) as Go's `json.Indent` does.
pub(crate) fn indent(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut need_indent = false;
    let mut in_string = false;
    let mut escaped = false;
    for c in compact.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if need_indent && c != '}' && c != ']' {
            need_indent = false;
            depth += 1;
            newline(&mut out, depth);
        }
        match c {
            '{' | '[' => {
                need_indent = true;
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            '}' | ']' => {
                if need_indent {
                    need_indent = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            '"' => {
                in_string = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str(INDENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_layout() {
        assert_eq!(indent("{}"), "{}");
        assert_eq!(indent("[]"), "[]");
        assert_eq!(indent(r#"{"a":[]}"#), "{\n    \"a\": []\n}");
        assert_eq!(
            indent(r#"{"a":[1,{"b":"x,:{[\"y"}]}"#),
            "{\n    \"a\": [\n        1,\n        {\n            \"b\": \"x,:{[\\\"y\"\n        }\n    ]\n}"
        );
        assert_eq!(indent(r#"{"error":"e"}"#), "{\n    \"error\": \"e\"\n}");
    }
}
