//! Where an operation may run: node selectors, required node affinity, and tolerations of
//! node taints — the Kubernetes rules, so a scenario means what the same Job would mean.

use super::Taint;

/// An operator of a node-affinity requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AffinityOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// One required node-affinity term: `zone in (a, b)`, `gpu-type notin (k80)`, `ssd exists`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    pub key: String,
    pub op: AffinityOp,
    pub values: Vec<String>,
}

/// A toleration: `key=value:Effect` (Equal), `key:Effect` (Exists), an empty effect matching
/// every effect, and an empty key with Exists tolerating everything.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Toleration {
    pub key: String,
    /// `None` is the `Exists` operator.
    pub value: Option<String>,
    /// `None` matches every effect.
    pub effect: Option<String>,
}

/// What restricts an operation's nodes (empty: any node of its agent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Constraints {
    /// Labels the node must carry with exactly these values.
    pub node_selector: Vec<(String, String)>,
    /// Every requirement must hold.
    pub affinity: Vec<Requirement>,
    pub tolerations: Vec<Toleration>,
}

impl Constraints {
    /// True when nothing restricts placement.
    pub fn is_empty(&self) -> bool {
        self.node_selector.is_empty() && self.affinity.is_empty() && self.tolerations.is_empty()
    }

    /// These constraints and `other`'s together (a queue's and an operation's).
    pub fn and(&self, other: &Constraints) -> Constraints {
        let mut c = self.clone();
        c.node_selector.extend(other.node_selector.iter().cloned());
        c.affinity.extend(other.affinity.iter().cloned());
        c.tolerations.extend(other.tolerations.iter().cloned());
        c
    }

    /// Whether a node with these labels and taints may run the operation.
    pub fn allow(&self, labels: &[(String, String)], taints: &[Taint]) -> bool {
        let label = |k: &str| labels.iter().find(|(lk, _)| lk == k).map(|(_, v)| v.as_str());
        let selected = self.node_selector.iter().all(|(k, v)| label(k) == Some(v.as_str()));
        let affine = self.affinity.iter().all(|r| match (r.op, label(&r.key)) {
            (AffinityOp::In, Some(v)) => r.values.iter().any(|x| x == v),
            (AffinityOp::In, None) => false,
            (AffinityOp::NotIn, Some(v)) => !r.values.iter().any(|x| x == v),
            (AffinityOp::NotIn, None) => true,
            (AffinityOp::Exists, l) => l.is_some(),
            (AffinityOp::DoesNotExist, l) => l.is_none(),
        });
        // PreferNoSchedule only discourages; NoSchedule and NoExecute forbid unless tolerated.
        let tolerated = taints.iter().filter(|t| t.effect != "PreferNoSchedule").all(|t| {
            self.tolerations.iter().any(|tol| {
                (tol.key.is_empty() && tol.value.is_none() || tol.key == t.key)
                    && tol.value.as_ref().is_none_or(|v| *v == t.value)
                    && tol.effect.as_ref().is_none_or(|e| *e == t.effect)
            })
        });
        selected && affine && tolerated
    }
}

/// Parses `k=v;k2=v2` (a node selector).
pub fn parse_selector(s: &str) -> Result<Vec<(String, String)>, String> {
    items(s)
        .map(|item| {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| format!("expected key=value in the node selector, got `{item}`"))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Parses `key=value:Effect;key:Effect;key;*` (tolerations; `*` tolerates every taint).
pub fn parse_tolerations(s: &str) -> Result<Vec<Toleration>, String> {
    items(s)
        .map(|item| {
            if item == "*" {
                return Ok(Toleration { key: String::new(), value: None, effect: None });
            }
            let (kv, effect) = match item.rsplit_once(':') {
                Some((kv, e)) => (kv, Some(e.trim())),
                None => (item, None),
            };
            if let Some(e) = effect {
                if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&e) {
                    return Err(format!("unknown taint effect `{e}` in `{item}`; expected NoSchedule, PreferNoSchedule or NoExecute"));
                }
            }
            let (key, value) = match kv.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim().to_string())),
                None => (kv.trim(), None),
            };
            if key.is_empty() {
                return Err(format!("a toleration needs a key (or `*` for all), got `{item}`"));
            }
            Ok(Toleration { key: key.to_string(), value, effect: effect.map(String::from) })
        })
        .collect()
}

/// Parses `zone in (a, b);gpu notin (k80);ssd exists;spot !exists` (required node affinity).
pub fn parse_affinity(s: &str) -> Result<Vec<Requirement>, String> {
    items(s)
        .map(|item| {
            let bad = || {
                format!(
                    "expected `key in (a, b)`, `key notin (a)`, `key exists` or `key !exists`, got `{item}`"
                )
            };
            let mut words = item.splitn(2, char::is_whitespace);
            let key = words.next().unwrap_or("").trim().to_string();
            let rest = words.next().unwrap_or("").trim();
            if key.is_empty() {
                return Err(bad());
            }
            let (op, list) = if let Some(r) = rest.strip_prefix("notin") {
                (AffinityOp::NotIn, r)
            } else if let Some(r) = rest.strip_prefix("in") {
                (AffinityOp::In, r)
            } else if rest == "exists" {
                (AffinityOp::Exists, "")
            } else if rest == "!exists" {
                (AffinityOp::DoesNotExist, "")
            } else {
                return Err(bad());
            };
            let values = if matches!(op, AffinityOp::In | AffinityOp::NotIn) {
                let inner =
                    list.trim().strip_prefix('(').and_then(|l| l.strip_suffix(')')).ok_or_else(bad)?;
                let v: Vec<String> =
                    inner.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect();
                if v.is_empty() {
                    return Err(bad());
                }
                v
            } else {
                Vec::new()
            };
            Ok(Requirement { key, op, values })
        })
        .collect()
}

/// Writes a node selector as `parse_selector` reads it.
pub fn fmt_selector(v: &[(String, String)]) -> String {
    v.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
}

/// Writes tolerations as `parse_tolerations` reads them.
pub fn fmt_tolerations(v: &[Toleration]) -> String {
    v.iter()
        .map(|t| {
            if t.key.is_empty() {
                return "*".to_string();
            }
            let mut s = t.key.clone();
            if let Some(v) = &t.value {
                s.push('=');
                s.push_str(v);
            }
            if let Some(e) = &t.effect {
                s.push(':');
                s.push_str(e);
            }
            s
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// Writes affinity requirements as `parse_affinity` reads them.
pub fn fmt_affinity(v: &[Requirement]) -> String {
    v.iter()
        .map(|r| match r.op {
            AffinityOp::In => format!("{} in ({})", r.key, r.values.join(", ")),
            AffinityOp::NotIn => format!("{} notin ({})", r.key, r.values.join(", ")),
            AffinityOp::Exists => format!("{} exists", r.key),
            AffinityOp::DoesNotExist => format!("{} !exists", r.key),
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn items(s: &str) -> impl Iterator<Item = &str> {
    s.split(';').map(str::trim).filter(|x| !x.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taint(k: &str, v: &str, e: &str) -> Taint {
        Taint { key: k.into(), value: v.into(), effect: e.into() }
    }

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn selectors_affinity_and_tolerations() {
        let node = labels(&[("zone", "a"), ("gpu", "a100")]);
        let gpu_taint = [taint("nvidia.com/gpu", "present", "NoSchedule")];
        let c = Constraints { node_selector: parse_selector("zone=a").unwrap(), ..Default::default() };
        assert!(c.allow(&node, &[]));
        assert!(!c.allow(&labels(&[("zone", "b")]), &[]));
        assert!(!c.allow(&node, &gpu_taint), "a NoSchedule taint needs a toleration");
        let t =
            Constraints { tolerations: parse_tolerations("nvidia.com/gpu:NoSchedule").unwrap(), ..c.clone() };
        assert!(t.allow(&node, &gpu_taint));
        let wrong =
            Constraints { tolerations: parse_tolerations("nvidia.com/gpu=absent").unwrap(), ..c.clone() };
        assert!(!wrong.allow(&node, &gpu_taint));
        assert!(Constraints { tolerations: parse_tolerations("*").unwrap(), ..c.clone() }
            .allow(&node, &gpu_taint));
        assert!(c.allow(&node, &[taint("x", "y", "PreferNoSchedule")]));
        let a = Constraints {
            affinity: parse_affinity("gpu in (a100, h100); zone notin (c); ssd !exists").unwrap(),
            ..Default::default()
        };
        assert!(a.allow(&node, &[]));
        assert!(!a.allow(&labels(&[("gpu", "k80")]), &[]));
        assert!(!a.allow(&labels(&[("gpu", "a100"), ("ssd", "yes")]), &[]));
    }

    #[test]
    fn formatting_round_trips() {
        let sel = parse_selector("zone=a;tier=gold").unwrap();
        assert_eq!(parse_selector(&fmt_selector(&sel)).unwrap(), sel);
        let tol = parse_tolerations("a=b:NoSchedule;c:NoExecute;d;*").unwrap();
        assert_eq!(parse_tolerations(&fmt_tolerations(&tol)).unwrap(), tol);
        let aff = parse_affinity("z in (a, b);y notin (c);x exists;w !exists").unwrap();
        assert_eq!(parse_affinity(&fmt_affinity(&aff)).unwrap(), aff);
    }

    #[test]
    fn parse_errors_say_what_was_expected() {
        assert!(parse_selector("zone").unwrap_err().contains("key=value"));
        assert!(parse_tolerations("k:Never").unwrap_err().contains("NoSchedule"));
        assert!(parse_affinity("zone within (a)").unwrap_err().contains("notin"));
        assert!(parse_affinity("zone in ()").is_err());
    }
}
