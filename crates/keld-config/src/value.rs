//! The values keld takes from a config file.

/// A config value of a type keld accepts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// Homogeneous: all strings, all integers or all floats.
    Array(Vec<Value>),
}

impl Value {
    /// Scalar text as restic would receive it.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self {
            Value::String(text) => Some(text.clone()),
            Value::Integer(number) => Some(number.to_string()),
            Value::Float(number) => Some(number.to_string()),
            Value::Boolean(flag) => Some(flag.to_string()),
            Value::Array(_) => None,
        }
    }
}
