//! Checks a SELECT as 1.x's compiler does (`query/compile.go`: the same rules, the same error
//! texts) and records what execution needs: the kind of query, the calls, the interval.
//!
//! ```text
//! SelectStatement ──► compile_with ──► Compiled { fields (time stripped), time column name,
//!                                  calls (deduplicated), selector?, interval + offset,
//!                                  tag dimensions, top/bottom } | ExecError::Statement(text)
//! ```

use influxql::ast::{Dimension, Expr, Fill, SelectStatement};

use crate::ExecError;
use crate::eval::is_math_function;

/// Tag dimensions of a GROUP BY.
#[derive(Debug, Clone, Default)]
pub(crate) struct TagDims {
    /// Tag names written out.
    pub(crate) names: Vec<String>,
    /// `GROUP BY *`
    pub(crate) all: bool,
    /// `GROUP BY /regex/`
    pub(crate) regexes: Vec<regex::Regex>,
}

impl TagDims {
    /// True when the query groups by any tag.
    pub(crate) fn any(&self) -> bool {
        self.all || !self.names.is_empty() || !self.regexes.is_empty()
    }

    /// The tags of `available` this grouping selects, sorted.
    pub(crate) fn resolve<'a>(&self, available: impl Iterator<Item = &'a String>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let available: Vec<&String> = available.collect();
        for t in &available {
            if self.all
                || self.names.iter().any(|n| n == *t)
                || self.regexes.iter().any(|r| r.is_match(t))
            {
                out.push((*t).clone());
            }
        }
        for n in &self.names {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// A SELECT after 1.x's checks.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    /// Name of the time column (`time`, or the alias of `time` in the field list).
    pub(crate) time_name: String,
    /// The projected fields, `time` removed.
    pub(crate) fields: Vec<influxql::ast::Field>,
    /// `GROUP BY time(duration, offset)`: (duration, offset) in ns.
    pub(crate) interval: Option<(i64, i64)>,
    /// The tag dimensions.
    pub(crate) dims: TagDims,
    /// True when some field calls an aggregate, selector or transformation.
    pub(crate) aggregate: bool,
}

/// 1.x's selectors: their point keeps its own time when it is the only call.
pub(crate) fn is_selector(name: &str) -> bool {
    matches!(
        name,
        "max" | "min" | "first" | "last" | "percentile" | "sample" | "top" | "bottom"
    )
}

struct State {
    calls: usize,
    only_selectors: bool,
    has_distinct: bool,
    top_bottom: Option<String>,
    aux: bool,
    interval: bool,
    /// The interval is the outer query's.
    inherited: bool,
    limit: u64,
}

/// Compiles `stmt` (validation only; wildcards are expanded later against the schema); for a
/// subquery, under an outer query's GROUP BY time interval (`inherited`): without
/// one of its own, an aggregate subquery takes it (1.x's `InheritedInterval`: transformations
/// of fields stay allowed, and a raw subquery is not asked for an aggregate).
pub(crate) fn compile_with(
    stmt: &SelectStatement,
    now: i64,
    inherited: Option<(i64, i64)>,
) -> Result<Compiled, ExecError> {
    let (own, dims) = compile_dimensions(&stmt.dimensions, now)?;
    let inherited = if own.is_none() { inherited } else { None };
    let interval = own;
    let mut time_name = "time".to_owned();
    let mut fields = Vec::new();
    let mut st = State {
        calls: 0,
        only_selectors: true,
        has_distinct: false,
        top_bottom: None,
        aux: false,
        interval: interval.is_some() || inherited.is_some(),
        inherited: inherited.is_some(),
        limit: stmt.limit,
    };
    for f in &stmt.fields {
        if let Expr::VarRef { name, .. } = &f.expr
            && name == "time"
        {
            if let Some(a) = &f.alias {
                time_name = a.clone();
            }
            continue;
        }
        compile_expr(&f.expr, true, &mut st)?;
        fields.push(f.clone());
    }
    if fields.is_empty() {
        return Err(stmt_err("at least 1 non-time field must be queried"));
    }
    if st.calls > 1
        && let Some(tb) = &st.top_bottom
    {
        return Err(stmt_err(format!(
            "selector function {tb}() cannot be combined with other functions"
        )));
    }
    if st.calls == 0 {
        match stmt.fill {
            Fill::None => return Err(stmt_err("fill(none) must be used with a function")),
            Fill::Linear => return Err(stmt_err("fill(linear) must be used with a function")),
            _ => {}
        }
        if interval.is_some() {
            return Err(stmt_err(
                "GROUP BY requires at least one aggregate function",
            ));
        }
    }
    if st.has_distinct && (st.calls != 1 || st.aux) {
        return Err(stmt_err(
            "aggregate function distinct() cannot be combined with other functions or fields",
        ));
    }
    if st.aux {
        if !st.only_selectors {
            return Err(stmt_err(
                "mixing aggregate and non-aggregate queries is not supported",
            ));
        } else if st.calls > 1 {
            return Err(stmt_err(
                "mixing multiple selector functions with tags or fields is not supported",
            ));
        }
    }
    Ok(Compiled {
        time_name,
        fields,
        interval: if st.calls > 0 {
            interval.or(inherited)
        } else {
            interval
        },
        dims,
        aggregate: st.calls > 0,
    })
}

pub(crate) fn stmt_err(text: impl Into<String>) -> ExecError {
    ExecError::Statement(text.into())
}

fn is_literal(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Number(_)
            | Expr::Integer(_)
            | Expr::Unsigned(_)
            | Expr::String(_)
            | Expr::Boolean(_)
            | Expr::Duration(_)
            | Expr::Nil
    )
}

fn compile_expr(e: &Expr, allow_wildcard: bool, st: &mut State) -> Result<(), ExecError> {
    match e {
        Expr::VarRef { .. } => {
            st.aux = true;
            Ok(())
        }
        Expr::Wildcard(_) => {
            st.aux = true;
            if !allow_wildcard {
                return Err(stmt_err("unable to use wildcard in a binary expression"));
            }
            Ok(())
        }
        Expr::Regex(_) => {
            if !allow_wildcard {
                return Err(stmt_err("unable to use regex in a binary expression"));
            }
            st.aux = true;
            Ok(())
        }
        Expr::Call { name, args } => {
            if is_math_function(name) {
                let nargs = if matches!(name.as_str(), "atan2" | "pow" | "log") {
                    2
                } else {
                    1
                };
                if args.len() != nargs {
                    return Err(stmt_err(format!(
                        "invalid number of arguments for {name}, expected {nargs}, got {}",
                        args.len()
                    )));
                }
                for a in args {
                    if !is_literal(a) {
                        compile_expr(a, allow_wildcard, st)?;
                    }
                }
                return Ok(());
            }
            st.calls += 1;
            compile_call(name, args, allow_wildcard, st)
        }
        Expr::Distinct(_) => {
            st.calls += 1;
            st.has_distinct = true;
            st.only_selectors = false;
            Ok(())
        }
        Expr::Binary { lhs, rhs, .. } => {
            if is_literal(lhs) && is_literal(rhs) {
                return Err(stmt_err(
                    "cannot perform a binary expression on two literals",
                ));
            }
            if is_literal(lhs) {
                return compile_expr(rhs, false, st);
            }
            if is_literal(rhs) {
                return compile_expr(lhs, false, st);
            }
            compile_expr(lhs, false, st)?;
            compile_expr(rhs, false, st)
        }
        Expr::Paren(inner) => compile_expr(inner, allow_wildcard, st),
        _ => Err(stmt_err("field must contain at least one variable")),
    }
}

fn compile_symbol(
    name: &str,
    arg: &Expr,
    allow_wildcard: bool,
    st: &mut State,
) -> Result<(), ExecError> {
    match arg {
        Expr::VarRef { .. } => Ok(()),
        Expr::Wildcard(_) => {
            if !allow_wildcard {
                return Err(stmt_err(format!(
                    "unsupported expression with wildcard: {name}()"
                )));
            }
            st.only_selectors = false;
            Ok(())
        }
        Expr::Regex(_) => {
            if !allow_wildcard {
                return Err(stmt_err(format!(
                    "unsupported expression with regex field: {name}()"
                )));
            }
            st.only_selectors = false;
            Ok(())
        }
        _ => Err(stmt_err(format!("expected field argument in {name}()"))),
    }
}

fn compile_distinct(args: &[Expr], nested: bool, st: &mut State) -> Result<(), ExecError> {
    if args.is_empty() {
        return Err(stmt_err("distinct function requires at least one argument"));
    }
    if args.len() != 1 {
        return Err(stmt_err("distinct function can only have one argument"));
    }
    if !matches!(args[0], Expr::VarRef { .. }) {
        return Err(stmt_err("expected field argument in distinct()"));
    }
    if !nested {
        st.has_distinct = true;
    }
    st.only_selectors = false;
    Ok(())
}

fn compile_call(
    name: &str,
    args: &[Expr],
    allow_wildcard: bool,
    st: &mut State,
) -> Result<(), ExecError> {
    let n = args.len();
    let count_err = |exp: usize| {
        stmt_err(format!(
            "invalid number of arguments for {name}, expected {exp}, got {n}"
        ))
    };
    match name {
        "max" | "min" | "first" | "last" | "count" | "sum" | "mean" | "median" | "mode"
        | "stddev" | "spread" => {
            if !matches!(name, "max" | "min" | "first" | "last") {
                st.only_selectors = false;
            }
            if n != 1 {
                return Err(count_err(1));
            }
            if name == "count" {
                match &args[0] {
                    Expr::Call {
                        name: inner,
                        args: inner_args,
                    } if inner == "distinct" => {
                        return compile_distinct(inner_args, true, st);
                    }
                    Expr::Distinct(f) => {
                        return compile_distinct(
                            &[Expr::VarRef {
                                name: f.clone(),
                                data_type: None,
                            }],
                            true,
                            st,
                        );
                    }
                    _ => {}
                }
            }
            compile_symbol(name, &args[0], allow_wildcard, st)
        }
        "percentile" => {
            if n != 2 {
                return Err(stmt_err(format!(
                    "invalid number of arguments for percentile, expected 2, got {n}"
                )));
            }
            if !matches!(args[1], Expr::Integer(_) | Expr::Number(_)) {
                return Err(stmt_err("expected float argument in percentile()"));
            }
            compile_symbol(name, &args[0], allow_wildcard, st)
        }
        "sample" => {
            if n != 2 {
                return Err(stmt_err(format!(
                    "invalid number of arguments for sample, expected 2, got {n}"
                )));
            }
            match args[1] {
                Expr::Integer(v) if v <= 0 => {
                    return Err(stmt_err(format!(
                        "sample window must be greater than 1, got {v}"
                    )));
                }
                Expr::Integer(_) => {}
                _ => return Err(stmt_err("expected integer argument in sample()")),
            }
            compile_symbol(name, &args[0], allow_wildcard, st)
        }
        "distinct" => compile_distinct(args, false, st),
        "top" | "bottom" => {
            if let Some(tb) = &st.top_bottom {
                return Err(stmt_err(format!(
                    "selector function {tb}() cannot be combined with other functions"
                )));
            }
            if n < 2 {
                return Err(stmt_err(format!(
                    "invalid number of arguments for {name}, expected at least 2, got {n}"
                )));
            }
            let last = &args[n - 1];
            let Expr::Integer(limit) = last else {
                return Err(stmt_err(format!(
                    "expected integer as last argument in {name}(), found {last}"
                )));
            };
            if *limit <= 0 {
                return Err(stmt_err(format!(
                    "limit ({limit}) in {name} function must be at least 1"
                )));
            }
            if st.limit > 0 && (*limit as u64) > st.limit {
                return Err(stmt_err(format!(
                    "limit ({limit}) in {name} function can not be larger than the LIMIT ({}) in the select statement",
                    st.limit
                )));
            }
            if !matches!(args[0], Expr::VarRef { .. }) {
                return Err(stmt_err(format!(
                    "expected first argument to be a field in {name}(), found {}",
                    args[0]
                )));
            }
            for a in &args[1..n - 1] {
                if !matches!(a, Expr::VarRef { .. }) {
                    return Err(stmt_err(format!(
                        "only fields or tags are allowed in {name}(), found {a}"
                    )));
                }
            }
            st.top_bottom = Some(name.to_owned());
            Ok(())
        }
        "derivative" | "non_negative_derivative" | "elapsed" => {
            if !(1..=2).contains(&n) {
                return Err(stmt_err(format!(
                    "invalid number of arguments for {name}, expected at least 1 but no more than 2, got {n}"
                )));
            }
            if n == 2 {
                match &args[1] {
                    Expr::Duration(d) if *d <= 0 => {
                        return Err(stmt_err(format!(
                            "duration argument must be positive, got {}",
                            influxql::time::format_duration(*d)
                        )));
                    }
                    Expr::Duration(_) => {}
                    other => {
                        return Err(stmt_err(format!(
                            "second argument to {name} must be a duration, got {}",
                            go_type(other)
                        )));
                    }
                }
            }
            st.only_selectors = false;
            transform_input(name, &args[0], allow_wildcard, true, st)
        }
        "difference" | "non_negative_difference" | "cumulative_sum" => {
            if n != 1 {
                return Err(stmt_err(format!(
                    "invalid number of arguments for {name}, expected 1, got {n}"
                )));
            }
            st.only_selectors = false;
            transform_input(name, &args[0], allow_wildcard, true, st)
        }
        "moving_average" => {
            if n != 2 {
                return Err(stmt_err(format!(
                    "invalid number of arguments for moving_average, expected 2, got {n}"
                )));
            }
            match &args[1] {
                Expr::Integer(v) if *v <= 1 => {
                    return Err(stmt_err(format!(
                        "moving_average window must be greater than 1, got {v}"
                    )));
                }
                Expr::Integer(_) => {}
                other => {
                    return Err(stmt_err(format!(
                        "second argument for moving_average must be an integer, got {}",
                        go_type(other)
                    )));
                }
            }
            st.only_selectors = false;
            transform_input(name, &args[0], allow_wildcard, true, st)
        }
        "exponential_moving_average"
        | "double_exponential_moving_average"
        | "triple_exponential_moving_average"
        | "relative_strength_index"
        | "triple_exponential_derivative"
        | "kaufmans_efficiency_ratio"
        | "kaufmans_adaptive_moving_average"
        | "chande_momentum_oscillator" => {
            compile_analysis(name, args, st)?;
            transform_input(name, &args[0], allow_wildcard, false, st)
        }
        "holt_winters" | "holt_winters_with_fit" => {
            if n != 3 {
                return Err(count_err(3));
            }
            match &args[1] {
                Expr::Integer(v) if *v <= 0 => {
                    return Err(stmt_err(format!(
                        "second arg to {name} must be greater than 0, got {v}"
                    )));
                }
                Expr::Integer(_) => {}
                _ => {
                    return Err(stmt_err(format!(
                        "expected integer argument as second arg in {name}"
                    )));
                }
            }
            match &args[2] {
                Expr::Integer(v) if *v < 0 => {
                    return Err(stmt_err(format!(
                        "third arg to {name} cannot be negative, got {v}"
                    )));
                }
                Expr::Integer(_) => {}
                _ => {
                    return Err(stmt_err(format!(
                        "expected integer argument as third arg in {name}"
                    )));
                }
            }
            st.only_selectors = false;
            if !matches!(args[0], Expr::Call { .. }) {
                return Err(stmt_err(format!("must use aggregate function with {name}")));
            }
            if !st.interval {
                return Err(stmt_err(format!(
                    "{name} aggregate requires a GROUP BY interval"
                )));
            }
            transform_input(name, &args[0], allow_wildcard, true, st)
        }
        "integral" => {
            if !(1..=2).contains(&n) {
                return Err(stmt_err(format!(
                    "invalid number of arguments for integral, expected at least 1 but no more than 2, got {n}"
                )));
            }
            if n == 2 {
                match &args[1] {
                    Expr::Duration(d) if *d <= 0 => {
                        return Err(stmt_err(format!(
                            "duration argument must be positive, got {}",
                            influxql::time::format_duration(*d)
                        )));
                    }
                    Expr::Duration(_) => {}
                    _ => return Err(stmt_err("second argument must be a duration")),
                }
            }
            st.only_selectors = false;
            compile_symbol(name, &args[0], allow_wildcard, st)
        }
        _ => Err(stmt_err(format!("undefined function {name}()"))),
    }
}

/// derivative & co. take a field (raw) or, with GROUP BY time, an aggregate call (1.x's
/// `compileNestedExpr` when `nested`: a `distinct()` inside is not a call of its own; the
/// technical-analysis functions compile theirs as a plain expression).
fn transform_input(
    name: &str,
    arg: &Expr,
    allow_wildcard: bool,
    nested: bool,
    st: &mut State,
) -> Result<(), ExecError> {
    match arg {
        Expr::Call { name: inner, args } => {
            if !st.interval {
                return Err(stmt_err(format!(
                    "{name} aggregate requires a GROUP BY interval"
                )));
            }
            if nested && inner == "distinct" {
                return compile_distinct(args, true, st);
            }
            compile_expr(arg, allow_wildcard, st)
        }
        _ => {
            if st.interval && !st.inherited {
                return Err(stmt_err(format!(
                    "aggregate function required inside the call to {name}"
                )));
            }
            compile_symbol(name, arg, allow_wildcard, st)
        }
    }
}

/// The period, hold period and warmup arguments of the technical-analysis functions
/// (1.x's `compileExponentialMovingAverage`, `compileKaufmans`,
/// `compileChandeMomentumOscillator`).
fn compile_analysis(name: &str, args: &[Expr], st: &mut State) -> Result<(), ExecError> {
    let n = args.len();
    let kaufmans = name.starts_with("kaufmans_");
    let cmo = name == "chande_momentum_oscillator";
    let max = if kaufmans { 3 } else { 4 };
    if !(2..=max).contains(&n) {
        return Err(stmt_err(format!(
            "invalid number of arguments for {name}, expected at least 2 but no more than {max}, got {n}"
        )));
    }
    match &args[1] {
        Expr::Integer(v) if *v < 1 => {
            return Err(stmt_err(format!(
                "{name} period must be greater than or equal to 1"
            )));
        }
        Expr::Integer(_) => {}
        _ => return Err(stmt_err(format!("{name} period must be an integer"))),
    }
    if let Some(hold) = args.get(2) {
        match hold {
            Expr::Integer(v) => {
                if name == "triple_exponential_derivative" && *v < 1 && *v != -1 {
                    return Err(stmt_err(format!(
                        "{name} hold period must be greater than or equal to 1"
                    )));
                }
                if *v < 0 && *v != -1 {
                    return Err(stmt_err(format!(
                        "{name} hold period must be greater than or equal to 0"
                    )));
                }
            }
            _ => return Err(stmt_err(format!("{name} hold period must be an integer"))),
        }
    }
    // chande_momentum_oscillator checks its warmup type after the period (1.x's order).
    st.only_selectors = false;
    if let Some(warmup) = args.get(3) {
        match warmup {
            Expr::String(w) => {
                let ok = match w.as_str() {
                    "exponential" | "simple" => true,
                    "none" => cmo,
                    _ => false,
                };
                if !ok {
                    return Err(stmt_err(if cmo {
                        format!("{name} warmup type must be one of: 'none' 'exponential' 'simple'")
                    } else {
                        format!("{name} warmup type must be one of: 'exponential' 'simple'")
                    }));
                }
            }
            _ => return Err(stmt_err(format!("{name} warmup type must be a string"))),
        }
    }
    Ok(())
}

fn go_type(e: &Expr) -> &'static str {
    match e {
        Expr::VarRef { .. } => "*influxql.VarRef",
        Expr::Call { .. } => "*influxql.Call",
        Expr::Number(_) => "*influxql.NumberLiteral",
        Expr::Integer(_) => "*influxql.IntegerLiteral",
        Expr::String(_) => "*influxql.StringLiteral",
        Expr::Boolean(_) => "*influxql.BooleanLiteral",
        Expr::Duration(_) => "*influxql.DurationLiteral",
        Expr::Regex(_) => "*influxql.RegexLiteral",
        Expr::Binary { .. } => "*influxql.BinaryExpr",
        Expr::Paren(_) => "*influxql.ParenExpr",
        Expr::Wildcard(_) => "*influxql.Wildcard",
        _ => "influxql.Expr",
    }
}

fn compile_dimensions(
    dims: &[Dimension],
    now: i64,
) -> Result<(Option<(i64, i64)>, TagDims), ExecError> {
    let mut interval: Option<(i64, i64)> = None;
    let mut tags = TagDims::default();
    for d in dims {
        match &d.expr {
            Expr::VarRef { name, .. } => {
                if name.eq_ignore_ascii_case("time") {
                    return Err(stmt_err(
                        "time() is a function and expects at least one argument",
                    ));
                }
                tags.names.push(name.clone());
            }
            Expr::Call { name, args } => {
                if name != "time" {
                    return Err(stmt_err("only time() calls allowed in dimensions"));
                }
                if args.is_empty() || args.len() > 2 {
                    return Err(stmt_err("time dimension expected 1 or 2 arguments"));
                }
                let Expr::Duration(every) = args[0] else {
                    return Err(stmt_err("time dimension must have duration argument"));
                };
                if interval.is_some() {
                    return Err(stmt_err("multiple time dimensions not allowed"));
                }
                if every <= 0 {
                    // 1.x accepts time(0s) and negative intervals and groups as without one.
                    continue;
                }
                let offset = match args.get(1) {
                    None => 0,
                    Some(Expr::Duration(o)) => o % every,
                    Some(Expr::Call { name, args }) => {
                        if name != "now" {
                            return Err(stmt_err("time dimension offset function must be now()"));
                        }
                        if !args.is_empty() {
                            return Err(stmt_err(
                                "time dimension offset now() function requires no arguments",
                            ));
                        }
                        now.rem_euclid(every)
                    }
                    Some(Expr::String(s)) => match influxql::time::parse_time_literal(s) {
                        Some(t) => t.rem_euclid(every),
                        None => {
                            return Err(stmt_err(
                                "time dimension offset must be duration or now()",
                            ));
                        }
                    },
                    Some(_) => {
                        return Err(stmt_err("time dimension offset must be duration or now()"));
                    }
                };
                interval = Some((every, offset));
            }
            Expr::Wildcard(_) => tags.all = true,
            Expr::Regex(r) => tags.regexes.push(r.regex.clone()),
            _ => return Err(stmt_err("only time and tag dimensions allowed")),
        }
    }
    Ok((interval, tags))
}
