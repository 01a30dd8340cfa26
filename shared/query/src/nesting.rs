//! How deeply a SQL statement nests, bounded before it is parsed into a tree.
//!
//! Planning, optimizing, evaluating and even dropping a query's expression tree recurse once per
//! level. A left-associative chain (`1+1+…+1`, `a = 1 OR a = 2 OR …`) parses without recursion
//! into a tree as deep as the chain is long, so a 4 KB statement could overflow a thread's stack
//! and abort the process. The statement is therefore measured on its tokens first (a loop, no
//! recursion) and refused over [`MAX_SQL_NESTING`].
//!
//! ```text
//! sql ──► sqlparser tokenizer (the generic dialect; a statement it cannot tokenize is left to
//!         the parser, which reports the error)
//!     ──► one pass over the tokens, a stack of parenthesised groups:
//!           operator / AND / OR / NOT / IN / CASE / JOIN / UNION / … ──► +1 to the current item
//!           `(` `[` ──► open a group            `,` `;` ──► the item ends (siblings do not nest)
//!           `)` `]` ──► the group's depth = 1 + its deepest item, added to the enclosing item
//!     ──► depth = the deepest item ──► > MAX_SQL_NESTING ──► NestingError (INVALID_ARGUMENT)
//! ```
//!
//! The count is an upper bound on the depth of the expression and set-operation trees: every
//! operator of an item is counted as if it were an ancestor of the item's deepest group.

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// Deepest nesting of operators and parentheses a SQL statement may have. Grafana-style filters
/// of several hundred `host = '…' OR …` terms fit. The engine runs this depth on threads of
/// [`QUERY_THREAD_STACK_BYTES`] (tests: a statement at the limit is answered by a debug build).
pub const MAX_SQL_NESTING: usize = 1_000;

/// Stack size of the threads that plan and run queries (every tokio worker and blocking thread
/// of `quiver`). Not every recursion over an expression tree grows its stack on demand
/// (DataFusion's column naming formats the tree recursively): a debug build needs ≈ 6 KiB per
/// level, so the 2 MiB default overflows at ≈ 350 levels, far below [`MAX_SQL_NESTING`]. The
/// memory is reserved, not committed: a thread only touches the pages it uses.
pub const QUERY_THREAD_STACK_BYTES: usize = 16 << 20;

/// A statement nested more deeply than [`MAX_SQL_NESTING`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the statement nests too deeply: {depth} levels of operators and parentheses, at most \
     {limit} are accepted; use IN (…) for long lists of alternatives, or split the query"
)]
pub struct NestingError {
    /// The measured depth (an upper bound, counted up to the first level over the limit).
    pub depth: usize,
    /// The limit.
    pub limit: usize,
}

/// Refuses `sql` when it nests more deeply than `limit`.
pub fn check_sql_nesting(sql: &str, limit: usize) -> Result<(), NestingError> {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return Ok(()); // the parser reports the tokenizer's error
    };
    let depth = sql_nesting(&tokens);
    if depth > limit {
        return Err(NestingError { depth, limit });
    }
    Ok(())
}

/// One parenthesised group being scanned.
#[derive(Debug, Default)]
struct Group {
    /// Operators in the current item (since the last comma).
    operators: usize,
    /// Deepest group nested in the current item.
    child: usize,
    /// Deepest finished item.
    deepest: usize,
}

impl Group {
    fn item(&self) -> usize {
        self.operators.saturating_add(self.child)
    }

    fn end_item(&mut self) {
        self.deepest = self.deepest.max(self.item());
        self.operators = 0;
        self.child = 0;
    }

    fn depth(&self) -> usize {
        self.deepest.max(self.item())
    }
}

/// The nesting depth of a token stream (see the module doc).
fn sql_nesting(tokens: &[Token]) -> usize {
    let mut groups = vec![Group::default()];
    for token in tokens {
        match token {
            Token::LParen | Token::LBracket | Token::LBrace => groups.push(Group::default()),
            Token::RParen | Token::RBracket | Token::RBrace if groups.len() > 1 => {
                close_group(&mut groups);
            }
            Token::Comma | Token::SemiColon => {
                if let Some(group) = groups.last_mut() {
                    group.end_item();
                }
            }
            token if nests(token) => {
                if let Some(group) = groups.last_mut() {
                    group.operators = group.operators.saturating_add(1);
                }
            }
            _ => {}
        }
    }
    // Unclosed groups (a syntax error the parser reports) count as closed.
    while groups.len() > 1 {
        close_group(&mut groups);
    }
    groups.pop().map_or(0, |g| g.depth())
}

/// Closes the innermost group: its depth (one more than its deepest item) becomes a child of
/// the enclosing group's current item.
fn close_group(groups: &mut Vec<Group>) {
    let inner = groups.pop().map_or(0, |g| g.depth().saturating_add(1));
    if let Some(outer) = groups.last_mut() {
        outer.child = outer.child.max(inner);
    }
}

/// Whether `token` can add a level to the tree: every operator, and the keywords that combine
/// expressions or queries.
fn nests(token: &Token) -> bool {
    match token {
        Token::Word(word) => matches!(
            word.keyword,
            Keyword::AND
                | Keyword::OR
                | Keyword::XOR
                | Keyword::NOT
                | Keyword::IS
                | Keyword::IN
                | Keyword::LIKE
                | Keyword::ILIKE
                | Keyword::SIMILAR
                | Keyword::RLIKE
                | Keyword::REGEXP
                | Keyword::BETWEEN
                | Keyword::CASE
                | Keyword::WHEN
                | Keyword::AT
                | Keyword::COLLATE
                | Keyword::OVERLAPS
                | Keyword::JOIN
                | Keyword::UNION
                | Keyword::INTERSECT
                | Keyword::EXCEPT
                | Keyword::EXISTS
                | Keyword::INTERVAL
        ),
        Token::EOF
        | Token::Number(..)
        | Token::Char(_)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::TripleSingleQuotedString(_)
        | Token::TripleDoubleQuotedString(_)
        | Token::DollarQuotedString(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_)
        | Token::TripleSingleQuotedByteStringLiteral(_)
        | Token::TripleDoubleQuotedByteStringLiteral(_)
        | Token::SingleQuotedRawStringLiteral(_)
        | Token::DoubleQuotedRawStringLiteral(_)
        | Token::TripleSingleQuotedRawStringLiteral(_)
        | Token::TripleDoubleQuotedRawStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::QuoteDelimitedStringLiteral(_)
        | Token::NationalQuoteDelimitedStringLiteral(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::Comma
        | Token::Whitespace(_)
        | Token::LParen
        | Token::RParen
        | Token::LBracket
        | Token::RBracket
        | Token::LBrace
        | Token::RBrace
        | Token::Period
        | Token::SemiColon
        | Token::Placeholder(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(sql: &str) -> usize {
        let tokens = Tokenizer::new(&GenericDialect {}, sql).tokenize().unwrap();
        sql_nesting(&tokens)
    }

    fn chain(op: &str, terms: usize) -> String {
        let body = vec!["1"; terms].join(op);
        format!("SELECT {body}")
    }

    #[test]
    fn chains_count_every_operator_and_lists_do_not_add_up() {
        assert_eq!(depth("SELECT 1"), 0);
        assert_eq!(depth(&chain("+", 10)), 9);
        assert_eq!(depth(&chain(" OR ", 10)), 9);
        // Items of a list are siblings: the deepest one counts.
        assert_eq!(depth("SELECT a + b, c + d + e, f FROM t"), 2);
        // IN and its list's group.
        assert_eq!(
            depth("SELECT x FROM t WHERE host IN ('a', 'b', 'c', 'd')"),
            2
        );
    }

    #[test]
    fn groups_add_a_level_and_their_deepest_item() {
        assert_eq!(depth("SELECT (1 + 2)"), 2);
        // ((1 + 2) + 3): 1 + 2 is 1 deep, its group 2, the next + 3, the outer group 4.
        assert_eq!(depth("SELECT ((1 + 2) + 3) + 4"), 5);
        assert_eq!(depth("SELECT f(a + b, g(c + d + e))"), 1 + 1 + 2);
        // The operators before and after a group are counted as its ancestors.
        assert_eq!(depth("SELECT 1 + (2 * (3 - 4)) + 5"), 2 + 1 + 1 + 1 + 1);
    }

    #[test]
    fn set_operations_and_joins_nest() {
        let unions = ["SELECT 1"; 5].join(" UNION ALL ");
        assert_eq!(depth(&unions), 4);
        // Two JOINs, two `=`, and the `*` (an operator token: over-counting is safe).
        assert_eq!(
            depth("SELECT * FROM a JOIN b ON a.x = b.x JOIN c ON b.x = c.x"),
            5
        );
    }

    #[test]
    fn unbalanced_parentheses_do_not_panic() {
        assert_eq!(depth("SELECT ((1 + 2"), 3);
        assert_eq!(depth("SELECT 1 + 2))"), 1);
    }

    #[test]
    fn the_limit_is_inclusive_and_the_error_names_both_numbers() {
        assert_eq!(check_sql_nesting(&chain("+", 11), 10), Ok(()));
        let err = check_sql_nesting(&chain("+", 12), 10).unwrap_err();
        assert_eq!(
            err,
            NestingError {
                depth: 11,
                limit: 10
            }
        );
        assert_eq!(
            err.to_string(),
            "the statement nests too deeply: 11 levels of operators and parentheses, at most 10 \
             are accepted; use IN (…) for long lists of alternatives, or split the query"
        );
        // Not tokenizable: left to the parser.
        assert_eq!(check_sql_nesting("SELECT 'unterminated", 0), Ok(()));
    }
}
