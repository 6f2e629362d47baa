//! Evaluation of a parsed expression against the values a caller looks up.
//!
//! Strict on types: `==` between a number and a string is an error, not `false`, because in
//! a hand-written condition it is almost always a typo (`inputs.lr == "0.1"`) that would
//! otherwise silently never hold. `in` is the exception: a list may mix types, and an
//! element of another type simply does not match.

use super::ast::{CmpOp, Kind, Node};
use super::value::Value;

/// Resolves a path to its value, or `None` when it is not set.
pub(crate) type Lookup<'a> = &'a dyn Fn(&[String]) -> Option<Value>;

/// The boolean `node` evaluates to; `src` is the expression text, quoted in errors.
pub(crate) fn truth(node: &Node, src: &str, lookup: Lookup<'_>) -> Result<bool, String> {
    match value(node, src, lookup)? {
        Value::Bool(b) => Ok(b),
        other => Err(format!("`{}` is a {}, not a boolean", node.span.text(src), other.type_name())),
    }
}

/// The value `node` evaluates to. `and` and `or` stop at the first operand that decides
/// them, so `inputs.has_x and inputs.x > 1` does not need `inputs.x` when `has_x` is false.
fn value(node: &Node, src: &str, lookup: Lookup<'_>) -> Result<Value, String> {
    match &node.kind {
        Kind::Lit(v) => Ok(v.clone()),
        Kind::Path { segments, written } => {
            lookup(segments).ok_or_else(|| format!("`{}` is not set", written.text(src)))
        }
        Kind::Not(inner) => Ok(Value::Bool(!truth(inner, src, lookup)?)),
        Kind::And(items) => {
            for item in items {
                if !truth(item, src, lookup)? {
                    return Ok(Value::Bool(false));
                }
            }
            Ok(Value::Bool(true))
        }
        Kind::Or(items) => {
            for item in items {
                if truth(item, src, lookup)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        Kind::Cmp { op, lhs, rhs } => {
            let (a, b) = (value(lhs, src, lookup)?, value(rhs, src, lookup)?);
            compare(*op, &a, &b).map(Value::Bool).map_err(|why| format!("{why} (`{}`)", node.span.text(src)))
        }
        Kind::In { negated, needle, list } => {
            let needle = value(needle, src, lookup)?;
            // Every element is evaluated, even after a match, so that a misspelt path in the
            // list is reported whatever the needle's value.
            let mut found = false;
            for item in list {
                let item = value(item, src, lookup)?;
                found |= compare(CmpOp::Eq, &needle, &item).unwrap_or(false);
            }
            Ok(Value::Bool(found != *negated))
        }
    }
}

/// Whether `a op b` holds: numbers numerically, strings byte-wise, booleans for equality
/// only. Anything else is an error saying why.
fn compare(op: CmpOp, a: &Value, b: &Value) -> Result<bool, String> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Ok(op.holds(x, y)),
        (Value::Str(x), Value::Str(y)) => Ok(op.holds(x.as_str(), y.as_str())),
        (Value::Bool(x), Value::Bool(y)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => Ok(op.holds(x, y)),
        (Value::Bool(_), Value::Bool(_)) => Err(format!(
            "cannot compare {} with {} using `{}`: booleans only support `==` and `!=`",
            describe(a),
            describe(b),
            op.symbol()
        )),
        _ => Err(format!("cannot compare {} with {}", describe(a), describe(b))),
    }
}

/// A value with its type, for messages: `number 3`, `string "a"`, `boolean true`.
fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("string {s:?}"),
        other => format!("{} {other}", other.type_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use std::cell::RefCell;

    /// Values known in the tests' world, by dotted path.
    fn world(path: &[String]) -> Option<Value> {
        Some(match path.join(".").as_str() {
            "inputs.lr" => Value::Num(0.05),
            "inputs.n" => Value::Num(3.0),
            "inputs.model" => Value::Str("resnet".into()),
            "inputs.force" => Value::Bool(false),
            "inputs.on" => Value::Bool(true),
            "inputs.has_x" => Value::Bool(false),
            "ops.train-1.outputs.loss" => Value::Num(0.2),
            "ops.train.outputs.accuracy" => Value::Num(0.95),
            "resources.gpu" => Value::Num(4.0),
            "weird.nan" => Value::Num(f64::NAN),
            _ => return None,
        })
    }

    fn eval(src: &str) -> Result<bool, String> {
        match parse(src) {
            Ok(e) => e.eval(&world),
            Err(e) => panic!("{src:?} does not parse: {e}"),
        }
    }

    #[test]
    fn decides_the_examples() {
        assert_eq!(eval("inputs.lr > 0.01 and inputs.model == \"resnet\""), Ok(true));
        assert_eq!(eval("not (ops.train.outputs.accuracy < 0.9) or inputs.force"), Ok(true));
        assert_eq!(eval("ops[\"train-1\"].outputs.loss <= 0.25"), Ok(true));
        assert_eq!(eval("ops.train-1.outputs.loss <= 0.15"), Ok(false));
        assert_eq!(eval("resources.gpu >= 4"), Ok(true));
        assert_eq!(eval("inputs.model in (\"resnet\", 'vit')"), Ok(true));
    }

    #[test]
    fn compares_numbers_strings_and_booleans() {
        for src in ["1 < 2", "2 <= 2", "3 > 2", "2 >= 2", "2 == 2.0", "1 != 2", "-1.5e2 == -150", "10 > 9"] {
            assert_eq!(eval(src), Ok(true), "{src}");
        }
        for src in [
            "'a' < 'b'",
            "'B' < 'a'",
            "'ab' > 'a'",
            "'x' == \"x\"",
            "'é' > 'z'",
            "true == true",
            "true != false",
        ] {
            assert_eq!(eval(src), Ok(true), "{src}");
        }
        for src in ["2 < 1", "'b' <= 'a'", "true == false", "inputs.on == inputs.force"] {
            assert_eq!(eval(src), Ok(false), "{src}");
        }
    }

    #[test]
    fn nan_equals_nothing() {
        assert_eq!(eval("weird.nan == weird.nan"), Ok(false));
        assert_eq!(eval("weird.nan != 1"), Ok(true));
        assert_eq!(eval("weird.nan < 1 or weird.nan >= 1"), Ok(false));
        assert_eq!(eval("weird.nan in (weird.nan, 1)"), Ok(false));
    }

    #[test]
    fn precedence_decides_the_result() {
        // not a or b and c == (not a) or (b and c): with a, b true and c false, false.
        assert_eq!(eval("not inputs.on or inputs.on and inputs.force"), Ok(false));
        assert_eq!(eval("not (inputs.on or inputs.on and inputs.force)"), Ok(false));
        assert_eq!(eval("(not inputs.on or inputs.on) and inputs.force"), Ok(false));
        assert_eq!(eval("inputs.on or inputs.on and inputs.force"), Ok(true));
        assert_eq!(eval("!inputs.force && inputs.on || inputs.force"), Ok(true));
    }

    #[test]
    fn membership() {
        assert_eq!(eval("inputs.n in (1, 2, 3)"), Ok(true));
        assert_eq!(eval("inputs.n in (1, 2)"), Ok(false));
        assert_eq!(eval("inputs.n not in (1, 2)"), Ok(true));
        assert_eq!(eval("inputs.n not in (3)"), Ok(false));
        // Elements of another type never match, and are no error.
        assert_eq!(eval("inputs.n in ('3', true, 3)"), Ok(true));
        assert_eq!(eval("inputs.model in (1, false)"), Ok(false));
        assert_eq!(eval("inputs.on in ((1 < 2))"), Ok(true));
        assert_eq!(eval("inputs.model in (inputs.model)"), Ok(true));
        // Every element is looked up, so a misspelt path fails even after a match.
        assert_eq!(eval("inputs.n in (3, inputs.typo)"), Err("`inputs.typo` is not set".into()));
    }

    #[test]
    fn and_or_stop_at_the_deciding_operand() {
        assert_eq!(eval("inputs.has_x and inputs.x > 1"), Ok(false));
        assert_eq!(eval("inputs.on or inputs.x > 1"), Ok(true));
        assert_eq!(eval("inputs.on and inputs.force and inputs.x"), Ok(false));
        assert_eq!(eval("inputs.on and inputs.x > 1"), Err("`inputs.x` is not set".into()));
        let seen = RefCell::new(Vec::new());
        let lookup = |p: &[String]| {
            seen.borrow_mut().push(p.join("."));
            world(p)
        };
        let Ok(e) = parse("inputs.force or inputs.n == 3 or inputs.never") else { panic!() };
        assert_eq!(e.eval(&lookup), Ok(true));
        assert_eq!(*seen.borrow(), ["inputs.force", "inputs.n"]);
    }

    #[test]
    fn unset_paths_are_named_as_written() {
        assert_eq!(eval("inputs.lr2 > 0"), Err("`inputs.lr2` is not set".into()));
        assert_eq!(
            eval("ops[\"train-2\"].outputs.loss < 1"),
            Err("`ops[\"train-2\"].outputs.loss` is not set".into())
        );
        assert_eq!(eval("1 < 2 and ( missing )"), Err("`missing` is not set".into()));
    }

    #[test]
    fn type_mismatches_are_errors_quoting_the_comparison() {
        assert_eq!(
            eval("inputs.n < 'a'"),
            Err("cannot compare number 3 with string \"a\" (`inputs.n < 'a'`)".into())
        );
        assert_eq!(
            eval("inputs.lr == \"0.05\""),
            Err("cannot compare number 0.05 with string \"0.05\" (`inputs.lr == \"0.05\"`)".into())
        );
        assert_eq!(
            eval("inputs.model != inputs.on"),
            Err("cannot compare string \"resnet\" with boolean true (`inputs.model != inputs.on`)".into())
        );
        assert_eq!(
            eval("(1<2)   < true"),
            Err("cannot compare boolean true with boolean true using `<`: booleans only support \
                 `==` and `!=` (`(1<2)   < true`)"
                .into())
        );
    }

    #[test]
    fn booleans_are_required_where_logic_needs_them() {
        assert_eq!(eval("inputs.n"), Err("`inputs.n` is a number, not a boolean".into()));
        assert_eq!(
            eval("inputs.on and inputs.model"),
            Err("`inputs.model` is a string, not a boolean".into())
        );
        assert_eq!(eval("inputs.force or 1"), Err("`1` is a number, not a boolean".into()));
        assert_eq!(eval("not ( 'a' )"), Err("`( 'a' )` is a string, not a boolean".into()));
        assert_eq!(eval("inputs.on"), Ok(true));
        assert_eq!(eval("true"), Ok(true));
        assert_eq!(eval("not false and !inputs.force"), Ok(true));
    }
}
