//! Influx column types: the short names used in error messages and the `iox::column::type`
//! metadata values that mark each Arrow field as a tag, a field or the timestamp.

use std::fmt;

/// Longest table, tag or field name accepted, in bytes (UTF-8, unescaped). A table at the
/// default column limit (200) with names this long still fits one catalog value (64 KiB), and a
/// name is never a payload: a longer one is refused with a 400 instead of growing the catalog,
/// every Parquet footer and every query plan.
pub const MAX_NAME_BYTES: usize = 256;

/// Name of the timestamp column of every table.
pub const TIME_COLUMN_NAME: &str = "time";

/// Arrow field metadata key holding a column's Influx type.
pub const COLUMN_TYPE_METADATA_KEY: &str = "iox::column::type";

/// Arrow schema metadata key holding the table (measurement) name.
pub const MEASUREMENT_METADATA_KEY: &str = "iox::measurement::name";

/// The type of a field (value) column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InfluxFieldType {
    /// 64-bit float (`1.5`, `1`)
    Float,
    /// signed 64-bit integer (`1i`)
    Integer,
    /// unsigned 64-bit integer (`1u`)
    UInteger,
    /// UTF-8 string (`"text"`)
    String,
    /// boolean (`t`, `false`, …)
    Boolean,
}

impl InfluxFieldType {
    /// All field types, in declaration order.
    pub const ALL: [Self; 5] = [
        Self::Float,
        Self::Integer,
        Self::UInteger,
        Self::String,
        Self::Boolean,
    ];

    /// Short name used in error messages: `f64`, `i64`, `u64`, `string`, `bool`.
    pub const fn short_name(self) -> &'static str {
        match self {
            Self::Float => "f64",
            Self::Integer => "i64",
            Self::UInteger => "u64",
            Self::String => "string",
            Self::Boolean => "bool",
        }
    }

    /// Value of the `iox::column::type` metadata for a field of this type.
    pub const fn metadata_value(self) -> &'static str {
        match self {
            Self::Float => "iox::column_type::field::float",
            Self::Integer => "iox::column_type::field::integer",
            Self::UInteger => "iox::column_type::field::uinteger",
            Self::String => "iox::column_type::field::string",
            Self::Boolean => "iox::column_type::field::boolean",
        }
    }
}

impl fmt::Display for InfluxFieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// The role and type of a column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InfluxColumnType {
    /// A tag: a string that is part of the series key.
    Tag,
    /// A field of the given type.
    Field(InfluxFieldType),
    /// The `time` column (nanoseconds since the epoch).
    Timestamp,
}

impl InfluxColumnType {
    /// Short name used in error messages: `tag`, `f64`, `i64`, `u64`, `string`, `bool`, `time`.
    pub const fn short_name(self) -> &'static str {
        match self {
            Self::Tag => "tag",
            Self::Field(field) => field.short_name(),
            Self::Timestamp => "time",
        }
    }

    /// Value of the `iox::column::type` metadata for a column of this type.
    pub const fn metadata_value(self) -> &'static str {
        match self {
            Self::Tag => "iox::column_type::tag",
            Self::Field(field) => field.metadata_value(),
            Self::Timestamp => "iox::column_type::timestamp",
        }
    }

    /// Parses a value of the `iox::column::type` metadata.
    pub fn from_metadata_value(value: &str) -> Option<Self> {
        match value {
            "iox::column_type::tag" => Some(Self::Tag),
            "iox::column_type::timestamp" => Some(Self::Timestamp),
            _ => InfluxFieldType::ALL
                .into_iter()
                .find(|field| field.metadata_value() == value)
                .map(Self::Field),
        }
    }

    /// Rank in the column order of converted batches: tags, then fields, then time.
    pub(crate) const fn order_rank(self) -> u8 {
        match self {
            Self::Tag => 0,
            Self::Field(_) => 1,
            Self::Timestamp => 2,
        }
    }
}

impl fmt::Display for InfluxColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_types() -> Vec<InfluxColumnType> {
        let mut all = vec![InfluxColumnType::Tag, InfluxColumnType::Timestamp];
        all.extend(InfluxFieldType::ALL.map(InfluxColumnType::Field));
        all
    }

    #[test]
    fn short_names_match_the_catalog_error_texts() {
        let names: Vec<_> = all_types().into_iter().map(|t| t.to_string()).collect();
        assert_eq!(
            names,
            ["tag", "time", "f64", "i64", "u64", "string", "bool"]
        );
    }

    #[test]
    fn metadata_values_round_trip() {
        for ty in all_types() {
            assert_eq!(
                InfluxColumnType::from_metadata_value(ty.metadata_value()),
                Some(ty)
            );
        }
        assert_eq!(
            InfluxColumnType::Field(InfluxFieldType::UInteger).metadata_value(),
            "iox::column_type::field::uinteger"
        );
        assert_eq!(
            InfluxColumnType::Tag.metadata_value(),
            "iox::column_type::tag"
        );
        assert_eq!(
            InfluxColumnType::Timestamp.metadata_value(),
            "iox::column_type::timestamp"
        );
        assert_eq!(
            InfluxColumnType::from_metadata_value("iox::column_type::field"),
            None
        );
        assert_eq!(InfluxColumnType::from_metadata_value("tag"), None);
    }
}
