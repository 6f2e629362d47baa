//! Scenario overrides: `KEY=VALUE` settings applied to a scenario file's TOML before it is
//! checked, so a sweep point is just another scenario.
//!
//! Keys are dotted paths. Arrays of tables (`pools`, `queues`, `projects`, `workflows`,
//! `agents`) are addressed by the element's `name` (or its index): `pools.gpu-a100.nodes`,
//! `queues.training.quota.gpu`, `policy.placement`, `workload.generator.arrival.rate_per_hour`.

use std::path::Path;

use toml::{Table, Value};

use crate::scenario::{Scenario, ScenarioError};

/// One `KEY=VALUE` setting.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub key: String,
    /// The value as written (numbers, booleans and quoted strings are TOML; anything else is
    /// taken as a string).
    pub raw: String,
}

impl Override {
    /// The value as TOML.
    pub fn value(&self) -> Value {
        parse_value(&self.raw)
    }
}

impl std::fmt::Display for Override {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.key, self.raw)
    }
}

/// Reads a value: TOML if it parses as one (`3`, `0.5`, `true`, `"x"`), else a bare string.
pub fn parse_value(raw: &str) -> Value {
    let doc = format!("v = {raw}");
    match doc.parse::<Table>() {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| Value::String(raw.to_string())),
        Err(_) => Value::String(raw.to_string()),
    }
}

/// Applies overrides to scenario `text` (read from `path`) and checks the result.
pub fn apply(text: &str, path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    if overrides.is_empty() {
        return Scenario::parse(text, path);
    }
    let shown = path.display().to_string();
    // Check the file as written first, so its own mistakes are reported at their lines.
    Scenario::parse(text, path)?;
    let mut doc: Table =
        text.parse().map_err(|e: toml::de::Error| ScenarioError::file(&shown, e.message()))?;
    for o in overrides {
        let segments: Vec<&str> = o.key.split('.').collect();
        set(&mut doc, &segments, o.value())
            .map_err(|m| ScenarioError::file(&shown, format!("--vary {}: {m}", o.key)))?;
    }
    let new_text = toml::to_string(&doc).map_err(|e| ScenarioError::file(&shown, e.to_string()))?;
    let list: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    Scenario::parse(&new_text, path)
        .map_err(|e| ScenarioError::file(&shown, format!("with {}: {}", list.join(" "), e.message)))
}

fn set(table: &mut Table, path: &[&str], value: Value) -> Result<(), String> {
    let (first, rest) = path.split_first().ok_or("empty key")?;
    if rest.is_empty() {
        table.insert(first.to_string(), value);
        return Ok(());
    }
    match table.get_mut(*first) {
        Some(Value::Table(t)) => set(t, rest, value),
        Some(Value::Array(items)) => {
            // The element named by the longest run of segments that matches a `name` (names may
            // contain dots), or by an index.
            for take in (1..=rest.len() - 1).rev() {
                let name = rest[..take].join(".");
                let found =
                    items.iter_mut().position(|v| v.get("name").and_then(Value::as_str) == Some(&name));
                let index = found.or_else(|| name.parse::<usize>().ok().filter(|i| *i < items.len()));
                if let Some(i) = index {
                    return match &mut items[i] {
                        Value::Table(t) => set(t, &rest[take..], value),
                        _ => Err(format!("`{first}` is not a list of tables")),
                    };
                }
            }
            let names: Vec<&str> =
                items.iter().filter_map(|v| v.get("name").and_then(Value::as_str)).collect();
            Err(format!("no `{first}` entry named `{}`; there are: {}", rest[0], names.join(", ")))
        }
        Some(_) => Err(format!("`{first}` is a value, not a table")),
        None => {
            let mut t = Table::new();
            set(&mut t, rest, value)?;
            table.insert(first.to_string(), Value::Table(t));
            Ok(())
        }
    }
}

/// Parses `KEY=V1,V2,...` into one key and its values.
pub fn parse_vary(spec: &str) -> Result<(String, Vec<String>), String> {
    let (key, values) =
        spec.split_once('=').ok_or_else(|| format!("expected KEY=VALUE[,VALUE...], got `{spec}`"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("expected a key before `=` in `{spec}`"));
    }
    let values: Vec<String> =
        values.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
    if values.is_empty() {
        return Err(format!("expected at least one value after `=` in `{spec}`"));
    }
    Ok((key.to_string(), values))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
name = "t"
[[agents]]
name = "a"
[[pools]]
name = "gpu.big"
agent = "a"
nodes = 2
cpu = 4
memory = 1024
[[queues]]
name = "q"
agent = "a"
[workload.generator]
ops = 1
arrival = { process = "poisson", rate_per_hour = 60.0 }
duration = { dist = "constant", value = 10 }
"#;

    fn o(k: &str, v: &str) -> Override {
        Override { key: k.into(), raw: v.into() }
    }

    #[test]
    fn sets_values_in_named_tables_and_nested_tables() {
        let s = apply(
            TEXT,
            Path::new("t.toml"),
            &[
                o("pools.gpu.big.nodes", "7"),
                o("queues.q.concurrency", "3"),
                o("policy.placement", "best-fit"),
                o("workload.generator.arrival.rate_per_hour", "120.5"),
                o("seed", "9"),
            ],
        )
        .unwrap();
        assert_eq!(s.pools[0].nodes, 7);
        assert_eq!(s.queues[0].concurrency, Some(3));
        assert_eq!(s.placement, "best-fit");
        assert_eq!(s.seed, 9);
    }

    #[test]
    fn unknown_entries_and_bad_values_are_explained() {
        let e = apply(TEXT, Path::new("t.toml"), &[o("pools.cpu.nodes", "3")]).unwrap_err();
        assert!(e.to_string().contains("no `pools` entry named `cpu`; there are: gpu.big"), "{e}");
        let e = apply(TEXT, Path::new("t.toml"), &[o("pools.gpu.big.nodes", "many")]).unwrap_err();
        assert!(e.to_string().contains("with pools.gpu.big.nodes=many"), "{e}");
    }

    #[test]
    fn vary_specs() {
        assert_eq!(
            parse_vary("a.b=1, 2,3").unwrap(),
            ("a.b".into(), vec!["1".into(), "2".into(), "3".into()])
        );
        assert!(parse_vary("a.b").is_err());
        assert!(parse_vary("=1").is_err());
    }
}
