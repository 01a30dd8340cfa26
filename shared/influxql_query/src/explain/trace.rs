//! EXPLAIN ANALYZE's trace tree, drawn as 1.x's `treeprint` draws it.
//!
//! ```text
//! Span { name, labels, fields, children } ──► render ──► "└── select", "    ├── labels", …
//! ```

/// A span of 1.x's trace tree.
pub(super) struct Span {
    pub(super) name: String,
    /// Sorted by key, as 1.x's labels.
    pub(super) labels: Vec<(String, String)>,
    pub(super) fields: Vec<(String, String)>,
    pub(super) children: Vec<Span>,
}

impl Span {
    /// Appends this span as `treeprint` draws it under `prefix`.
    pub(super) fn render(&self, prefix: &str, last: bool, out: &mut Vec<String>) {
        out.push(format!("{prefix}{}{}", branch(last), self.name));
        let inner = format!("{prefix}{}", if last { "    " } else { LINK });
        let mut items: Vec<Item<'_>> = Vec::new();
        if !self.labels.is_empty() {
            items.push(Item::Labels);
        }
        items.extend(self.fields.iter().map(Item::Field));
        items.extend(self.children.iter().map(Item::Child));
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            let last = i + 1 == n;
            match item {
                Item::Labels => {
                    out.push(format!("{inner}{}labels", branch(last)));
                    let inner2 = format!("{inner}{}", if last { "    " } else { LINK });
                    let mut labels = self.labels.clone();
                    labels.sort_by(|a, b| a.0.cmp(&b.0));
                    let m = labels.len();
                    for (j, (k, v)) in labels.iter().enumerate() {
                        out.push(format!("{inner2}{}{k}: {v}", branch(j + 1 == m)));
                    }
                }
                Item::Field((k, v)) => out.push(format!("{inner}{}{k}: {v}", branch(last))),
                Item::Child(c) => c.render(&inner, last, out),
            }
        }
    }
}

/// treeprint's indent under a branch that continues: `│`, two no-break spaces, a space.
pub(super) const LINK: &str = "│\u{a0}\u{a0} ";

pub(super) enum Item<'a> {
    Labels,
    Field(&'a (String, String)),
    Child(&'a Span),
}

pub(super) fn branch(last: bool) -> &'static str {
    if last { "└── " } else { "├── " }
}
