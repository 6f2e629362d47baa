//! Weighted categorical picks (queue, project, priority, workflow, shape).

use std::collections::BTreeMap;

use rand::Rng;
use rand_distr::{Distribution, WeightedIndex};

/// A set of values picked with probability proportional to their weights. A single value is
/// returned without touching the random stream.
#[derive(Debug)]
pub(crate) struct Choice<T> {
    items: Vec<T>,
    index: Option<WeightedIndex<f64>>,
}

impl<T> Choice<T> {
    /// Always `item`.
    pub(crate) fn only(item: T) -> Self {
        Choice { items: vec![item], index: None }
    }

    /// Builds from `(item, weight)` pairs; `field` names the config key in errors.
    pub(crate) fn weighted(field: &str, pairs: Vec<(T, f64)>) -> Result<Self, String> {
        if let Some((_, w)) = pairs.iter().find(|(_, w)| !(w.is_finite() && *w >= 0.0)) {
            return Err(format!("{field}: weights must be finite and >= 0, got {w}"));
        }
        if pairs.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
            return Err(format!("{field}: the weights must add up to more than 0"));
        }
        let (items, weights): (Vec<T>, Vec<f64>) = pairs.into_iter().unzip();
        let index = if items.len() > 1 {
            Some(WeightedIndex::new(weights).map_err(|e| format!("{field}: {e}"))?)
        } else {
            None
        };
        Ok(Choice { items, index })
    }

    /// Builds from a name → weight map, turning each name into a value with `parse`. An
    /// empty map means always `T::default()`.
    pub(crate) fn from_map(
        field: &str,
        map: &BTreeMap<String, f64>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Self, String>
    where
        T: Default,
    {
        if map.is_empty() {
            return Ok(Choice::only(T::default()));
        }
        let pairs = map
            .iter()
            .map(|(k, &w)| Ok((parse(k).map_err(|e| format!("{field}: {e}"))?, w)))
            .collect::<Result<Vec<_>, String>>()?;
        Choice::weighted(field, pairs)
    }

    /// Picks one value.
    pub(crate) fn pick<R: Rng>(&self, rng: &mut R) -> &T {
        match &self.index {
            Some(index) => &self.items[index.sample(rng)],
            None => &self.items[0],
        }
    }
}

/// A name key: `""` means none.
pub(crate) fn name_key(k: &str) -> Result<Option<String>, String> {
    Ok((!k.is_empty()).then(|| k.to_string()))
}

/// A priority key: `""` means none, otherwise an integer.
pub(crate) fn priority_key(k: &str) -> Result<Option<i32>, String> {
    if k.is_empty() {
        return Ok(None);
    }
    k.trim()
        .parse()
        .map(Some)
        .map_err(|_| format!("a priority key must be an integer (like \"10\"), got `{k}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn picks_by_weight() {
        let map: BTreeMap<String, f64> = [("a".into(), 3.0), ("b".into(), 1.0)].into();
        let c = Choice::from_map("queues", &map, name_key).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 20_000;
        let a = (0..n).filter(|_| c.pick(&mut rng).as_deref() == Some("a")).count();
        let share = a as f64 / n as f64;
        assert!((share - 0.75).abs() < 0.02, "{share}");
    }

    #[test]
    fn validates_weights_and_keys() {
        let bad: BTreeMap<String, f64> = [("a".into(), -1.0)].into();
        assert!(Choice::from_map("queues", &bad, name_key).is_err());
        let zero: BTreeMap<String, f64> = [("a".into(), 0.0), ("b".into(), 0.0)].into();
        assert!(Choice::from_map("queues", &zero, name_key).unwrap_err().contains("more than 0"));
        let nan: BTreeMap<String, f64> = [("a".into(), f64::NAN)].into();
        assert!(Choice::from_map("queues", &nan, name_key).is_err());
        let key: BTreeMap<String, f64> = [("high".into(), 1.0)].into();
        assert!(Choice::from_map("priorities", &key, priority_key).unwrap_err().contains("`high`"));
    }
}
