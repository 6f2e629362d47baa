//! Values of operation inputs and outputs, and of expressions over them.

use std::fmt;

/// A number, a string or a boolean: what an operation's inputs and outputs hold.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Num(f64),
    Str(String),
    Bool(bool),
}

/// Named values (an operation's inputs or outputs), in the order given.
pub type Params = Vec<(String, Value)>;

impl Value {
    /// Reads a cell written as `k=v`'s `v`: `true`/`false` are booleans, anything Rust parses
    /// as a finite `f64` is a number, the rest (after removing one pair of surrounding double
    /// quotes, if any) is a string.
    pub fn parse_literal(text: &str) -> Value {
        let t = text.trim();
        match t {
            "true" => return Value::Bool(true),
            "false" => return Value::Bool(false),
            _ => {}
        }
        if let Ok(n) = t.parse::<f64>() {
            if n.is_finite() {
                return Value::Num(n);
            }
        }
        let unquoted = t.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(t);
        Value::Str(unquoted.to_string())
    }

    /// The name of its type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Num(_) => "number",
            Value::Str(_) => "string",
            Value::Bool(_) => "boolean",
        }
    }
}

impl fmt::Display for Value {
    /// Numbers in Rust's shortest round-trip form (`0.1`, `3`), strings as they are,
    /// booleans as `true`/`false`: [`Value::parse_literal`] reads it back (a string that
    /// looks like a number or a boolean excepted).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(n) => write!(f, "{n}"),
            Value::Str(s) => f.write_str(s),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_as_the_type_they_look_like() {
        assert_eq!(Value::parse_literal("true"), Value::Bool(true));
        assert_eq!(Value::parse_literal(" 0.25 "), Value::Num(0.25));
        assert_eq!(Value::parse_literal("-3"), Value::Num(-3.0));
        assert_eq!(Value::parse_literal("resnet"), Value::Str("resnet".into()));
        assert_eq!(Value::parse_literal("\"12\""), Value::Str("12".into()));
        assert_eq!(Value::parse_literal("inf"), Value::Str("inf".into()));
        assert_eq!(Value::Num(3.0).to_string(), "3");
        assert_eq!(Value::Num(0.1).to_string(), "0.1");
    }
}
