//! The InfluxQL 1.x syntax tree, modelled on the statements and expressions of InfluxDB 1.x's
//! `influxql` package (names follow it so its documentation maps onto this one).
//!
//! ```text
//! Query ──► [Statement]
//!   Statement::Select(SelectStatement { fields, target (INTO), sources, condition, dimensions,
//!                                        fill, order, limit/offset, slimit/soffset, location })
//!   Statement::Show*( … ) / Create* / Drop* / Explain / …
//! Expr: VarRef | Call | Binary | Paren | literals | Wildcard | Regex | Distinct
//! ```
//!
//! `Display` renders every node as 1.x's `String()` does (identifiers quoted when needed), which
//! is what 1.x prints inside its error messages and in `SHOW CONTINUOUS QUERIES`.
//!
//! The tree is *after* bind-parameter substitution: `$name` never appears in a parsed tree
//! (the parser replaces it with the literal from `params=`, or fails).

use std::fmt;

/// A parsed `q`: statements in the order written (separated by `;`).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The statements.
    pub statements: Vec<Statement>,
}

/// One InfluxQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT …`
    Select(Box<SelectStatement>),
    /// `EXPLAIN [ANALYZE] [VERBOSE] SELECT …`
    Explain(ExplainStatement),
    /// `DELETE [FROM sources] [WHERE cond]`
    Delete(DeleteStatement),
    /// `SHOW DATABASES`
    ShowDatabases,
    /// `SHOW MEASUREMENTS [ON db] [WITH MEASUREMENT op name|regex] [WHERE …] [LIMIT n] [OFFSET n]`
    ShowMeasurements(ShowMeasurementsStatement),
    /// `SHOW [EXACT] MEASUREMENT CARDINALITY …`
    ShowMeasurementCardinality(CardinalityStatement),
    /// `SHOW TAG KEYS [ON db] [FROM …] [WHERE …] [LIMIT n] [OFFSET n] [SLIMIT n] [SOFFSET n]`
    ShowTagKeys(ShowTagKeysStatement),
    /// `SHOW [EXACT] TAG KEY CARDINALITY …`
    ShowTagKeyCardinality(CardinalityStatement),
    /// `SHOW TAG VALUES [ON db] [FROM …] WITH KEY op … [WHERE …] [LIMIT n] [OFFSET n]`
    ShowTagValues(ShowTagValuesStatement),
    /// `SHOW [EXACT] TAG VALUES CARDINALITY … WITH KEY op …`
    ShowTagValuesCardinality(ShowTagValuesCardinalityStatement),
    /// `SHOW FIELD KEYS [ON db] [FROM …] [LIMIT n] [OFFSET n]`
    ShowFieldKeys(ShowFieldKeysStatement),
    /// `SHOW [EXACT] FIELD KEY CARDINALITY …`
    ShowFieldKeyCardinality(CardinalityStatement),
    /// `SHOW SERIES [ON db] [FROM …] [WHERE …] [LIMIT n] [OFFSET n]`
    ShowSeries(ShowSeriesStatement),
    /// `SHOW [EXACT] SERIES CARDINALITY …`
    ShowSeriesCardinality(CardinalityStatement),
    /// `SHOW RETENTION POLICIES [ON db]`
    ShowRetentionPolicies {
        /// `ON db`, if given.
        database: Option<String>,
    },
    /// `SHOW CONTINUOUS QUERIES`
    ShowContinuousQueries,
    /// `SHOW USERS`
    ShowUsers,
    /// `SHOW GRANTS FOR user`
    ShowGrantsForUser {
        /// The user.
        name: String,
    },
    /// `SHOW QUERIES`
    ShowQueries,
    /// `SHOW SHARDS`
    ShowShards,
    /// `SHOW SHARD GROUPS`
    ShowShardGroups,
    /// `SHOW SUBSCRIPTIONS`
    ShowSubscriptions,
    /// `SHOW STATS [FOR 'module']`
    ShowStats {
        /// `FOR 'module'`, if given.
        module: Option<String>,
    },
    /// `SHOW DIAGNOSTICS [FOR 'module']`
    ShowDiagnostics {
        /// `FOR 'module'`, if given.
        module: Option<String>,
    },
    /// `CREATE DATABASE name [WITH [DURATION d] [REPLICATION n] [SHARD DURATION d] [NAME rp]]`
    CreateDatabase(CreateDatabaseStatement),
    /// `DROP DATABASE name`
    DropDatabase {
        /// The database.
        name: String,
    },
    /// `CREATE RETENTION POLICY name ON db DURATION d REPLICATION n [SHARD DURATION d] [DEFAULT]`
    CreateRetentionPolicy(CreateRetentionPolicyStatement),
    /// `ALTER RETENTION POLICY name ON db [DURATION d] [REPLICATION n] [SHARD DURATION d] [DEFAULT]`
    AlterRetentionPolicy(AlterRetentionPolicyStatement),
    /// `DROP RETENTION POLICY name ON db`
    DropRetentionPolicy {
        /// The policy.
        name: String,
        /// The database.
        database: String,
    },
    /// `DROP MEASUREMENT name`
    DropMeasurement {
        /// The measurement.
        name: String,
    },
    /// `DROP SERIES [FROM …] [WHERE …]`
    DropSeries(DeleteStatement),
    /// `DELETE SERIES …` is not 1.x syntax; `DROP SHARD id`
    DropShard {
        /// The shard id.
        id: u64,
    },
    /// `CREATE CONTINUOUS QUERY name ON db [RESAMPLE …] BEGIN SELECT … END`
    CreateContinuousQuery(CreateContinuousQueryStatement),
    /// `DROP CONTINUOUS QUERY name ON db`
    DropContinuousQuery {
        /// The continuous query.
        name: String,
        /// The database.
        database: String,
    },
    /// `CREATE USER name WITH PASSWORD 'pw' [WITH ALL PRIVILEGES]`
    CreateUser {
        /// The user.
        name: String,
        /// The password (never printed by `Display`).
        password: String,
        /// `WITH ALL PRIVILEGES`
        admin: bool,
    },
    /// `DROP USER name`
    DropUser {
        /// The user.
        name: String,
    },
    /// `SET PASSWORD FOR name = 'pw'`
    SetPassword {
        /// The user.
        name: String,
        /// The password (never printed by `Display`).
        password: String,
    },
    /// `GRANT privilege ON db TO user` / `GRANT ALL [PRIVILEGES] TO user`
    Grant {
        /// READ, WRITE or ALL.
        privilege: Privilege,
        /// `ON db`; `None` for the admin form.
        database: Option<String>,
        /// The user.
        user: String,
    },
    /// `REVOKE privilege ON db FROM user` / `REVOKE ALL [PRIVILEGES] FROM user`
    Revoke {
        /// READ, WRITE or ALL.
        privilege: Privilege,
        /// `ON db`; `None` for the admin form.
        database: Option<String>,
        /// The user.
        user: String,
    },
    /// `KILL QUERY id [ON host]`
    KillQuery {
        /// The query id.
        query_id: u64,
        /// `ON host`, if given.
        host: Option<String>,
    },
    /// `CREATE SUBSCRIPTION name ON db.rp DESTINATIONS ALL|ANY 'url', …`
    CreateSubscription {
        /// The subscription.
        name: String,
        /// The database.
        database: String,
        /// The retention policy.
        retention_policy: String,
        /// `ALL` or `ANY`.
        mode: String,
        /// The destinations.
        destinations: Vec<String>,
    },
    /// `DROP SUBSCRIPTION name ON db.rp`
    DropSubscription {
        /// The subscription.
        name: String,
        /// The database.
        database: String,
        /// The retention policy.
        retention_policy: String,
    },
}

/// READ / WRITE / ALL in GRANT and REVOKE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    /// No privileges.
    No,
    /// READ
    Read,
    /// WRITE
    Write,
    /// ALL [PRIVILEGES]
    All,
}

/// `SELECT fields [INTO target] FROM sources [WHERE condition] [GROUP BY dimensions] [fill(…)]
/// [ORDER BY time …] [LIMIT n] [OFFSET n] [SLIMIT n] [SOFFSET n] [tz('…')]`
#[derive(Debug, Clone, PartialEq)]
pub struct SelectStatement {
    /// The projected expressions, in order.
    pub fields: Vec<Field>,
    /// `INTO`: where the result is written.
    pub target: Option<Measurement>,
    /// `FROM`: measurements, regexes or subqueries.
    pub sources: Vec<Source>,
    /// `WHERE`.
    pub condition: Option<Expr>,
    /// `GROUP BY`: `time(…)` calls, tag names, `*`, regexes — as written.
    pub dimensions: Vec<Dimension>,
    /// `fill(…)`; [`Fill::Null`] when absent.
    pub fill: Fill,
    /// `ORDER BY`: in 1.x only `time` (ASC or DESC) is accepted; empty = ascending.
    pub order_by: Vec<SortField>,
    /// `LIMIT n` (0 = none).
    pub limit: u64,
    /// `OFFSET n` (0 = none).
    pub offset: u64,
    /// `SLIMIT n` (0 = none).
    pub slimit: u64,
    /// `SOFFSET n` (0 = none).
    pub soffset: u64,
    /// `tz('Area/City')`: the IANA name as written (validated by the parser).
    pub location: Option<String>,
}

impl SelectStatement {
    /// True unless `ORDER BY time DESC`.
    pub fn time_ascending(&self) -> bool {
        self.order_by.first().is_none_or(|s| s.ascending)
    }
}

/// `EXPLAIN [ANALYZE] [VERBOSE] SELECT …`
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainStatement {
    /// The statement explained.
    pub statement: Box<SelectStatement>,
    /// `ANALYZE`
    pub analyze: bool,
    /// `VERBOSE`
    pub verbose: bool,
}

/// `DELETE` / `DROP SERIES`: `[FROM sources] [WHERE condition]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteStatement {
    /// `FROM`, possibly empty.
    pub sources: Vec<Source>,
    /// `WHERE`, if given.
    pub condition: Option<Expr>,
}

/// `SHOW MEASUREMENTS …`
#[derive(Debug, Clone, PartialEq)]
pub struct ShowMeasurementsStatement {
    /// `ON db`
    pub database: Option<String>,
    /// `WITH MEASUREMENT = name` / `=~ /regex/` (also `!=`, `!~`).
    pub with_measurement: Option<(BinaryOp, MeasurementName)>,
    /// `WHERE`
    pub condition: Option<Expr>,
    /// `ORDER BY time [ASC|DESC]` (1.x accepts it here as in SELECT; empty = ascending).
    /// Added to the tree by the parser work: 1.x keeps it and its SHOW rewrites use it.
    pub order_by: Vec<SortField>,
    /// `LIMIT n` (0 = none)
    pub limit: u64,
    /// `OFFSET n` (0 = none)
    pub offset: u64,
}

/// A measurement given by name or by regular expression.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasurementName {
    /// An identifier.
    Name(String),
    /// `/regex/`
    Regex(Regex),
}

/// The cardinality statements for measurements, tag keys, field keys and series:
/// `SHOW [EXACT] X CARDINALITY [ON db] [FROM …] [WHERE …] [GROUP BY …] [LIMIT n] [OFFSET n]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CardinalityStatement {
    /// `EXACT`
    pub exact: bool,
    /// `ON db`
    pub database: Option<String>,
    /// `FROM`
    pub sources: Vec<Source>,
    /// `WHERE`
    pub condition: Option<Expr>,
    /// `GROUP BY`
    pub dimensions: Vec<Dimension>,
    /// `LIMIT n` (0 = none)
    pub limit: u64,
    /// `OFFSET n` (0 = none)
    pub offset: u64,
}

/// `SHOW TAG KEYS …`
#[derive(Debug, Clone, PartialEq)]
pub struct ShowTagKeysStatement {
    /// `ON db`
    pub database: Option<String>,
    /// `FROM`
    pub sources: Vec<Source>,
    /// `WHERE`
    pub condition: Option<Expr>,
    /// `ORDER BY time [ASC|DESC]` (1.x accepts it here as in SELECT; empty = ascending).
    /// Added to the tree by the parser work: 1.x keeps it and its SHOW rewrites use it.
    pub order_by: Vec<SortField>,
    /// `LIMIT n` (0 = none)
    pub limit: u64,
    /// `OFFSET n` (0 = none)
    pub offset: u64,
    /// `SLIMIT n` (0 = none)
    pub slimit: u64,
    /// `SOFFSET n` (0 = none)
    pub soffset: u64,
}

/// How `WITH KEY` selects tag keys in SHOW TAG VALUES.
#[derive(Debug, Clone, PartialEq)]
pub enum TagKeySelector {
    /// `= "key"`
    Eq(String),
    /// `!= "key"`
    NotEq(String),
    /// `=~ /regex/`
    EqRegex(Regex),
    /// `!~ /regex/`
    NotEqRegex(Regex),
    /// `IN ("a", "b")`
    In(Vec<String>),
}

/// `SHOW TAG VALUES …`
#[derive(Debug, Clone, PartialEq)]
pub struct ShowTagValuesStatement {
    /// `ON db`
    pub database: Option<String>,
    /// `FROM`
    pub sources: Vec<Source>,
    /// `WITH KEY …`
    pub key: TagKeySelector,
    /// `WHERE`
    pub condition: Option<Expr>,
    /// `ORDER BY time [ASC|DESC]` (1.x accepts it here as in SELECT; empty = ascending).
    /// Added to the tree by the parser work: 1.x keeps it and its SHOW rewrites use it.
    pub order_by: Vec<SortField>,
    /// `LIMIT n` (0 = none)
    pub limit: u64,
    /// `OFFSET n` (0 = none)
    pub offset: u64,
}

/// `SHOW [EXACT] TAG VALUES CARDINALITY …`
#[derive(Debug, Clone, PartialEq)]
pub struct ShowTagValuesCardinalityStatement {
    /// The common parts.
    pub common: CardinalityStatement,
    /// `WITH KEY …`
    pub key: TagKeySelector,
}

/// `SHOW FIELD KEYS …`
#[derive(Debug, Clone, PartialEq)]
pub struct ShowFieldKeysStatement {
    /// `ON db`
    pub database: Option<String>,
    /// `FROM`
    pub sources: Vec<Source>,
    /// `ORDER BY time [ASC|DESC]` (1.x accepts it here as in SELECT; empty = ascending).
    /// Added to the tree by the parser work: 1.x keeps it and its SHOW rewrites use it.
    pub order_by: Vec<SortField>,
    /// `LIMIT n` (0 = none)
    pub limit: u64,
    /// `OFFSET n` (0 = none)
    pub offset: u64,
}

/// `SHOW SERIES …`
#[derive(Debug, Clone, PartialEq)]
pub struct ShowSeriesStatement {
    /// `ON db`
    pub database: Option<String>,
    /// `FROM`
    pub sources: Vec<Source>,
    /// `WHERE`
    pub condition: Option<Expr>,
    /// `ORDER BY time [ASC|DESC]` (1.x accepts it here as in SELECT; empty = ascending).
    /// Added to the tree by the parser work: 1.x keeps it and its SHOW rewrites use it.
    pub order_by: Vec<SortField>,
    /// `LIMIT n` (0 = none)
    pub limit: u64,
    /// `OFFSET n` (0 = none)
    pub offset: u64,
}

/// `CREATE DATABASE …`
#[derive(Debug, Clone, PartialEq)]
pub struct CreateDatabaseStatement {
    /// The database.
    pub name: String,
    /// `WITH DURATION d` (nanoseconds; 0 = infinite).
    pub duration: Option<i64>,
    /// `REPLICATION n`
    pub replication: Option<u32>,
    /// `SHARD DURATION d` (nanoseconds).
    pub shard_duration: Option<i64>,
    /// `NAME rp`
    pub retention_policy_name: Option<String>,
}

/// `CREATE RETENTION POLICY …`
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRetentionPolicyStatement {
    /// The policy.
    pub name: String,
    /// `ON db`
    pub database: String,
    /// `DURATION d` (nanoseconds; 0 = INF).
    pub duration: i64,
    /// `REPLICATION n`
    pub replication: u32,
    /// `SHARD DURATION d` (nanoseconds; 0 = default).
    pub shard_duration: i64,
    /// `DEFAULT`
    pub default: bool,
}

/// `ALTER RETENTION POLICY …`
#[derive(Debug, Clone, PartialEq)]
pub struct AlterRetentionPolicyStatement {
    /// The policy.
    pub name: String,
    /// `ON db`
    pub database: String,
    /// `DURATION d`
    pub duration: Option<i64>,
    /// `REPLICATION n`
    pub replication: Option<u32>,
    /// `SHARD DURATION d`
    pub shard_duration: Option<i64>,
    /// `DEFAULT`
    pub default: bool,
}

/// `CREATE CONTINUOUS QUERY …`
#[derive(Debug, Clone, PartialEq)]
pub struct CreateContinuousQueryStatement {
    /// The continuous query.
    pub name: String,
    /// `ON db`
    pub database: String,
    /// `RESAMPLE EVERY d` (nanoseconds).
    pub resample_every: Option<i64>,
    /// `RESAMPLE FOR d` (nanoseconds).
    pub resample_for: Option<i64>,
    /// The SELECT … INTO.
    pub source: Box<SelectStatement>,
}

/// One projected expression with its optional `AS alias`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The expression.
    pub expr: Expr,
    /// `AS alias`
    pub alias: Option<String>,
}

/// A `FROM` source.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A measurement (by name or regex, optionally qualified by database and policy).
    Measurement(Measurement),
    /// `(SELECT …)`
    Subquery(Box<SelectStatement>),
}

/// `[db.][rp.]name` or `[db.][rp.]/regex/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// The database, if qualified.
    pub database: Option<String>,
    /// The retention policy, if qualified (`db..m` leaves it empty).
    pub retention_policy: Option<String>,
    /// The name or regex; `None` only for an INTO target like `INTO db.rp.:MEASUREMENT`.
    pub name: Option<MeasurementName>,
    /// `:MEASUREMENT` in an INTO target (back-reference to the source measurement).
    pub back_reference: bool,
}

/// One `GROUP BY` element.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// `time(…)` call, `VarRef` (a tag), `Wildcard`, or `Regex`.
    pub expr: Expr,
}

/// `fill(…)`
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Fill {
    /// `fill(null)` (the default).
    #[default]
    Null,
    /// `fill(none)`
    None,
    /// `fill(<integer>)`
    Integer(i64),
    /// `fill(<float>)`
    Float(f64),
    /// `fill(previous)`
    Previous,
    /// `fill(linear)`
    Linear,
}

/// `ORDER BY name [ASC|DESC]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortField {
    /// The field (`time`; may be empty when only `ASC`/`DESC` is written).
    pub name: String,
    /// `ASC` (default) or `DESC`.
    pub ascending: bool,
}

/// A `::type` cast on a variable reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// `::float`
    Float,
    /// `::integer`
    Integer,
    /// `::unsigned`
    Unsigned,
    /// `::string`
    String,
    /// `::boolean`
    Boolean,
    /// `::tag`
    Tag,
    /// `::field`
    Field,
}

/// A regular expression literal `/…/`: its source (as written, `\/` unescaped) and compiled.
#[derive(Debug, Clone)]
pub struct Regex {
    /// The pattern text.
    pub source: String,
    /// The compiled pattern (Rust `regex` syntax; the parser refuses what does not compile).
    pub regex: regex::Regex,
}

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// Binary operators, in 1.x's precedence classes (lowest first):
/// `OR` < `AND` < comparisons < `+ - | ^` < `* / % &`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `&`
    BitAnd,
    /// `|`
    BitOr,
    /// `^`
    BitXor,
    /// `AND`
    And,
    /// `OR`
    Or,
    /// `=`
    Eq,
    /// `!=` or `<>`
    NotEq,
    /// `=~`
    EqRegex,
    /// `!~`
    NotEqRegex,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
}

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A field, tag or `time` reference, with an optional `::type` cast.
    VarRef {
        /// The name as written (unquoted).
        name: String,
        /// `::type`, if written.
        data_type: Option<DataType>,
    },
    /// `name(args…)`; the name is lower-cased by the parser (1.x function names are
    /// case-insensitive).
    Call {
        /// The function.
        name: String,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `DISTINCT field` (the keyword form; `distinct(field)` is a `Call`).
    Distinct(String),
    /// `lhs op rhs`
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: Box<Expr>,
        /// The right operand.
        rhs: Box<Expr>,
    },
    /// `( expr )`
    Paren(Box<Expr>),
    /// A float literal (`1.5`, `-0.5` after unary minus folding).
    Number(f64),
    /// An integer literal.
    Integer(i64),
    /// An integer literal too large for `i64` (1.x's `UnsignedLiteral`).
    Unsigned(u64),
    /// `'string'`
    String(String),
    /// `true` / `false`
    Boolean(bool),
    /// A duration literal (`10m`, `1h30m`), in nanoseconds.
    Duration(i64),
    /// `/regex/`
    Regex(Regex),
    /// `*`, `*::field`, `*::tag`.
    Wildcard(Option<DataType>),
    /// `NULL` (not user-writable in 1.x except as a bind parameter value)
    Nil,
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "^",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "!=",
            BinaryOp::EqRegex => "=~",
            BinaryOp::NotEqRegex => "!~",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataType::Float => "float",
            DataType::Integer => "integer",
            DataType::Unsigned => "unsigned",
            DataType::String => "string",
            DataType::Boolean => "boolean",
            DataType::Tag => "tag",
            DataType::Field => "field",
        })
    }
}
