//! Expressions over an operation's inputs and its upstream operations' outputs, used for
//! conditional scheduling (`conditions`) and queue routing.
//!
//! An expression such as `inputs.lr > 0.01 and ops["train-1"].outputs.loss <= 0.25` is
//! parsed once, when a scenario or trace is read, so that a typo fails the load with a
//! column rather than a run hours later; it is evaluated each time the kernel needs it,
//! against whatever values are known then.
//!
//! - [`parse`] reads the text into an [`Expr`], or an [`ExprError`] that says where and why.
//! - [`Expr::eval`] decides it, resolving paths through a caller's lookup.
//! - [`parse_params`] and [`fmt_params`] read and write the `k=v;k2=v2` cells holding the
//!   values an expression reads.
//!
//! # Language
//!
//! ```text
//! expr := or
//! or   := and (("or" | "||") and)*
//! and  := not (("and" | "&&") not)*
//! not  := ("not" | "!") not | cmp
//! cmp  := atom (("==" | "!=" | "<" | "<=" | ">" | ">=") atom
//!              | "in" "(" atom ("," atom)* ")" | "not" "in" "(" atom ("," atom)* ")")?
//! atom := number | string | "true" | "false" | path | "(" expr ")"
//! path := ident ("." ident | "[" string "]")*       ident: [A-Za-z_][A-Za-z0-9_-]*
//! ```
//!
//! Numbers are `-1`, `0.5`, `1e-3`; strings are quoted with `'` or `"` and take the escapes
//! `\\ \" \' \n \t`. Keywords are lower-case. Comparisons do not chain (`a < b < c` is an
//! error). An identifier may contain `-` (`ops.train-1.outputs.loss`) but not start with it,
//! so `-1` is always a number; there is no arithmetic.
//!
//! Evaluation is strict about types, because a condition that silently never holds is worse
//! than one that fails: numbers compare numerically, strings byte-wise, booleans only with
//! `==`/`!=`, and comparing different types (even with `==`) is an error. `in` is the
//! exception: list elements of another type just do not match. `and`/`or` short-circuit, so
//! `inputs.has_x and inputs.x > 1` needs `inputs.x` only when `has_x` holds.

mod ast;
mod error;
mod eval;
mod lexer;
mod params;
mod parser;
mod value;

use std::fmt;
use std::str::FromStr;

pub use error::ExprError;
pub use params::{fmt_params, parse_params};
pub use value::{Params, Value};

/// A parsed expression, and the text it was parsed from (which is how it displays, and
/// what its evaluation errors quote).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    source: String,
    root: ast::Node,
}

/// Parses an expression in the language described in the [module documentation](self).
/// Parentheses, `not` and `in` lists may nest at most 100 deep.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    Ok(Expr { source: text.to_string(), root: parser::parse(text)? })
}

impl Expr {
    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every path the expression reads, as segments (`["ops", "train-1", "outputs",
    /// "loss"]`), in order of appearance, without duplicates: what a caller must be able to
    /// resolve, e.g. to check at load time that the referenced operations exist.
    pub fn paths(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        self.root.collect_paths(&mut out);
        out
    }

    /// Evaluates to a boolean. `lookup` resolves a path to its value, or `None` when it is
    /// not set. The error says which path is unset, or which comparison or operand has the
    /// wrong type, quoting the expression.
    pub fn eval(&self, lookup: &dyn Fn(&[String]) -> Option<Value>) -> Result<bool, String> {
        eval::truth(&self.root, &self.source, lookup)
    }
}

impl fmt::Display for Expr {
    /// The source text, as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for Expr {
    type Err = ExprError;

    fn from_str(text: &str) -> Result<Expr, ExprError> {
        parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn segs(path: &[&str]) -> Vec<String> {
        path.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keeps_and_displays_its_source() {
        let src = "  inputs.lr>0.01 ";
        let Ok(e) = parse(src) else { panic!() };
        assert_eq!(e.source(), src);
        assert_eq!(e.to_string(), src);
        assert_eq!(src.parse::<Expr>(), Ok(e.clone()));
        assert_ne!(parse("inputs.lr > 0.01").ok(), Some(e));
        let err = "a <".parse::<Expr>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("column 4: expected a value after `<`, found the end of the expression")
        );
    }

    #[test]
    fn lists_the_paths_read_in_order_once() {
        let src = "ops[\"train-1\"].outputs.loss < inputs.max \
                   or inputs.x in (inputs.max, ops.train-1.outputs.loss, 'a')";
        let Ok(e) = parse(src) else { panic!() };
        assert_eq!(
            e.paths(),
            vec![
                segs(&["ops", "train-1", "outputs", "loss"]),
                segs(&["inputs", "max"]),
                segs(&["inputs", "x"])
            ]
        );
        assert_eq!(parse("1 < 2").map(|e| e.paths()), Ok(vec![]));
        assert_eq!(parse("not (a.b)").map(|e| e.paths()), Ok(vec![segs(&["a", "b"])]));
    }

    /// Fragments that make mostly-plausible expressions when strung together.
    const PIECES: &[&str] = &[
        "inputs.n", "inputs.s", "inputs.b", "ops", "[", "]", "['x-1']", ".", "(", ")", ",", "and", "or",
        "not", "in", "!", "&&", "||", "==", "!=", "<", "<=", ">", ">=", "=", "1", "-2.5e1", "'a'", "\"b",
        "\\", "true", "false", " ", "@", "é", "-", "1e999", "train-1",
    ];

    fn lookup(path: &[String]) -> Option<Value> {
        match path.join(".").as_str() {
            "inputs.n" => Some(Value::Num(1.0)),
            "inputs.s" => Some(Value::Str("a".into())),
            "inputs.b" => Some(Value::Bool(true)),
            _ => None,
        }
    }

    /// Parses and, when that succeeds, evaluates; checks the column of any error.
    fn exercise(src: &str) {
        match parse(src) {
            Ok(e) => {
                let _ = e.eval(&lookup);
                let _ = e.paths();
            }
            Err(e) => {
                let len = src.chars().count();
                assert!((1..=len + 1).contains(&e.column), "column {} of {src:?}: {}", e.column, e.message);
                assert!(!e.message.is_empty());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_never_panics(src in any::<String>()) {
            exercise(&src);
        }

        #[test]
        fn strings_of_tokens_never_panic(
            picks in proptest::collection::vec(0..PIECES.len(), 0..24),
            spaced in any::<bool>(),
        ) {
            let sep = if spaced { " " } else { "" };
            let src = picks.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join(sep);
            exercise(&src);
        }
    }
}
