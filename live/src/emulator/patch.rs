//! JSON merge patch (RFC 7386) and JSON patch (RFC 6902), as the API server applies them.

use serde_json::Value;

/// Applies a merge patch in place.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let t = target.as_object_mut().expect("made an object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Splits a JSON pointer into its parent's tokens and the last token.
fn split(path: &str) -> Result<(Vec<String>, String), String> {
    if !path.starts_with('/') {
        return Err(format!("path `{path}` is not a JSON pointer"));
    }
    let mut tokens: Vec<String> = path[1..].split('/').map(unescape).collect();
    let last = tokens.pop().unwrap_or_default();
    Ok((tokens, last))
}

fn walk<'a>(v: &'a mut Value, tokens: &[String], path: &str) -> Result<&'a mut Value, String> {
    let mut cur = v;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("path `{path}` does not exist"))?;
    }
    Ok(cur)
}

fn get<'a>(v: &'a mut Value, path: &str) -> Result<&'a mut Value, String> {
    if path.is_empty() {
        return Ok(v);
    }
    let (parent, last) = split(path)?;
    let p = walk(v, &parent, path)?;
    match p {
        Value::Object(m) => m.get_mut(&last),
        Value::Array(a) => last.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    }
    .ok_or_else(|| format!("path `{path}` does not exist"))
}

fn add(v: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *v = value;
        return Ok(());
    }
    let (parent, last) = split(path)?;
    match walk(v, &parent, path)? {
        Value::Object(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse().map_err(|_| format!("bad index in `{path}`"))?
            };
            if i > a.len() {
                return Err(format!("index out of range in `{path}`"));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!("path `{path}` does not name a container")),
    }
}

fn remove(v: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = split(path)?;
    match walk(v, &parent, path)? {
        Value::Object(m) => m.remove(&last).ok_or_else(|| format!("path `{path}` does not exist")),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => Ok(a.remove(i)),
            _ => Err(format!("index out of range in `{path}`")),
        },
        _ => Err(format!("path `{path}` does not exist")),
    }
}

/// Applies a JSON patch; on error the target may be partly patched (callers patch a copy).
pub fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops.as_array().ok_or("a JSON patch is an array of operations")?;
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).ok_or("a JSON patch operation needs `op`")?;
        let path = op.get("path").and_then(Value::as_str).ok_or("a JSON patch operation needs `path`")?;
        let value = || op.get("value").cloned().ok_or(format!("`{kind}` needs a `value`"));
        match kind {
            "add" => add(target, path, value()?)?,
            "remove" => {
                remove(target, path)?;
            }
            "replace" => *get(target, path)? = value()?,
            "test" => {
                if *get(target, path)? != value()? {
                    return Err(format!("test failed at `{path}`"));
                }
            }
            "move" | "copy" => {
                let from = op.get("from").and_then(Value::as_str).ok_or("`move`/`copy` need `from`")?;
                let v = if kind == "move" { remove(target, from)? } else { get(target, from)?.clone() };
                add(target, path, v)?;
            }
            other => return Err(format!("unknown JSON patch operation `{other}`")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_sets_and_removes() {
        let mut v = json!({"a": {"b": 1, "c": 2}, "d": 3});
        merge(&mut v, &json!({"a": {"b": null, "e": 5}, "d": [1]}));
        assert_eq!(v, json!({"a": {"c": 2, "e": 5}, "d": [1]}));
    }

    #[test]
    fn json_patch_ops() {
        let mut v =
            json!({"spec": {"suspend": true}, "l": [1, 2], "metadata": {"annotations": {"a/b": "x"}}});
        json_patch(
            &mut v,
            &json!([
                {"op": "test", "path": "/spec/suspend", "value": true},
                {"op": "replace", "path": "/spec/suspend", "value": false},
                {"op": "add", "path": "/l/-", "value": 3},
                {"op": "remove", "path": "/metadata/annotations/a~1b"}
            ]),
        )
        .unwrap();
        assert_eq!(v, json!({"spec": {"suspend": false}, "l": [1, 2, 3], "metadata": {"annotations": {}}}));
        assert!(json_patch(&mut v, &json!([{"op": "replace", "path": "/nope/x", "value": 1}])).is_err());
    }
}
