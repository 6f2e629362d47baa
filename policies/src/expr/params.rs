//! The `k=v;k2=v2` cell syntax for an operation's inputs and outputs in trace files.
//!
//! Values are read by [`Value::parse_literal`], which has no escapes: a value therefore
//! cannot contain `;`, and a string that looks like a number or a boolean is written in
//! double quotes to stay a string.

use super::lexer::is_ident;
use super::value::{Params, Value};

/// Reads a cell such as `lr=0.01;model=resnet;force=true`. Blank entries (`a=1;;b=2`, a
/// trailing `;`) are ignored and whitespace around keys and values is trimmed. A key must
/// be an identifier (`[A-Za-z_][A-Za-z0-9_-]*`, as in expression paths), given once.
pub fn parse_params(text: &str) -> Result<Params, String> {
    let mut params = Params::new();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((key, value)) = entry.split_once('=') else {
            return Err(format!("expected `key=value`, found `{entry}` (no `=`)"));
        };
        let key = key.trim();
        if !is_ident(key) {
            return Err(format!(
                "`{key}` in `{entry}` is not a valid key: expected a letter or `_`, then letters, \
                 digits, `_` or `-`"
            ));
        }
        if params.iter().any(|(k, _)| k == key) {
            return Err(format!("key `{key}` is given twice"));
        }
        params.push((key.to_string(), Value::parse_literal(value)));
    }
    Ok(params)
}

/// Writes `p` in the syntax [`parse_params`] reads, so that `parse_params(&fmt_params(p))`
/// gives `p` back whenever its keys are valid, its numbers finite and its strings free of
/// `;` (which the syntax cannot hold).
pub fn fmt_params(p: &Params) -> String {
    let entries: Vec<String> = p.iter().map(|(k, v)| format!("{k}={}", fmt_value(v))).collect();
    entries.join(";")
}

/// A value as [`Value::parse_literal`] reads it back: strings in double quotes when they
/// would otherwise read as something else (`12`, `true`, ` padded `) or are empty (quoted
/// for legibility; `k=` would read back the same).
fn fmt_value(v: &Value) -> String {
    match v {
        Value::Str(s) if s.is_empty() || Value::parse_literal(s) != *v => format!("\"{s}\""),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(entries: &[(&str, Value)]) -> Params {
        entries.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    fn s(text: &str) -> Value {
        Value::Str(text.into())
    }

    #[test]
    fn reads_typed_values_in_order() {
        assert_eq!(
            parse_params("lr=0.01;model=resnet;force=true;name=\"12\";train-1_x=-3"),
            Ok(p(&[
                ("lr", Value::Num(0.01)),
                ("model", s("resnet")),
                ("force", Value::Bool(true)),
                ("name", s("12")),
                ("train-1_x", Value::Num(-3.0)),
            ]))
        );
        assert_eq!(
            parse_params(" a = 1 ; b = two words "),
            Ok(p(&[("a", Value::Num(1.0)), ("b", s("two words"))]))
        );
        assert_eq!(parse_params("expr=a=b"), Ok(p(&[("expr", s("a=b"))])));
        assert_eq!(parse_params("empty="), Ok(p(&[("empty", s(""))])));
    }

    #[test]
    fn blank_entries_are_ignored() {
        assert_eq!(parse_params(""), Ok(vec![]));
        assert_eq!(parse_params(" ; ;"), Ok(vec![]));
        assert_eq!(parse_params("a=1;;b=2;"), Ok(p(&[("a", Value::Num(1.0)), ("b", Value::Num(2.0))])));
    }

    #[test]
    fn errors_name_the_entry_or_key() {
        assert_eq!(parse_params("a=1;a=2"), Err("key `a` is given twice".into()));
        assert_eq!(
            parse_params("a=1; lr 0.1 ;b=2"),
            Err("expected `key=value`, found `lr 0.1` (no `=`)".into())
        );
        assert_eq!(
            parse_params("1a=2"),
            Err("`1a` in `1a=2` is not a valid key: expected a letter or `_`, then letters, digits, `_` \
                 or `-`"
                .into())
        );
        assert!(parse_params("=2").is_err_and(|e| e.starts_with("`` in `=2` is not a valid key")));
        assert!(parse_params("-a=2").is_err());
        assert!(parse_params("a.b=2").is_err());
    }

    #[test]
    fn writes_what_it_reads() {
        let cases = [
            p(&[]),
            p(&[("lr", Value::Num(0.1)), ("model", s("resnet")), ("force", Value::Bool(false))]),
            p(&[("n", s("12")), ("b", s("true")), ("e", s("")), ("pad", s(" x ")), ("q", s("\"quoted\""))]),
            p(&[("big", Value::Num(1e300)), ("small", Value::Num(-2.5e-7)), ("eq", s("a=b"))]),
        ];
        for params in cases {
            let text = fmt_params(&params);
            assert_eq!(parse_params(&text).as_ref(), Ok(&params), "via {text:?}");
        }
        assert_eq!(
            fmt_params(&p(&[("lr", Value::Num(0.1)), ("n", s("12")), ("m", s("resnet")), ("e", s(""))])),
            "lr=0.1;n=\"12\";m=resnet;e=\"\""
        );
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<f64>().prop_filter("finite", |n| n.is_finite()).prop_map(Value::Num),
            any::<bool>().prop_map(Value::Bool),
            "[^;]{0,12}".prop_map(Value::Str),
            "(true|false|-?[0-9]{1,3}(\\.[0-9])?|inf|NaN| [^;]*|\"[^;]*\")".prop_map(Value::Str),
        ]
    }

    proptest! {
        #[test]
        fn round_trips(entries in proptest::collection::vec(("[A-Za-z_][A-Za-z0-9_-]{0,6}", value()), 0..6)) {
            let mut params = Params::new();
            for (k, v) in entries {
                if !params.iter().any(|(seen, _)| *seen == k) {
                    params.push((k, v));
                }
            }
            let text = fmt_params(&params);
            prop_assert_eq!(parse_params(&text), Ok(params), "via {:?}", text);
        }
    }
}
