//! Grid search: every combination of the inputs' values, in lexicographic order of the params
//! as declared (the first param varies slowest, like nested loops).

use super::spec::{range_len, range_point, Space};
use crate::expr::{Params, Value};

/// Values a grid-able space holds (0 for spaces grid search does not accept).
fn len(space: &Space) -> u64 {
    match space {
        Space::Choice(values) => values.len() as u64,
        Space::Range { lo, hi, step } => range_len(*lo, *hi, *step),
        _ => 0,
    }
}

/// Value `i` of a grid-able space.
fn value(space: &Space, i: u64) -> Value {
    match space {
        Space::Choice(values) => {
            usize::try_from(i).ok().and_then(|i| values.get(i)).cloned().unwrap_or(Value::Num(f64::NAN))
        }
        Space::Range { lo, hi, step } => Value::Num(range_point(*lo, *hi, *step, i)),
        _ => Value::Num(f64::NAN),
    }
}

/// How many combinations the grid has (saturating; 1 for no params).
pub(crate) fn combinations(params: &[(String, Space)]) -> u128 {
    params.iter().fold(1u128, |acc, (_, space)| acc.saturating_mul(u128::from(len(space))))
}

/// The first `limit` combinations (all of them if fewer), in lexicographic order.
/// Expects a validated spec (grid-able spaces only).
pub(crate) fn combos(params: &[(String, Space)], limit: u64) -> Vec<Params> {
    let total = combinations(params);
    let count = u64::try_from(total.min(u128::from(limit))).unwrap_or(limit);
    let lens: Vec<u64> = params.iter().map(|(_, s)| len(s)).collect();
    let mut digits = vec![0u64; params.len()];
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for _ in 0..count {
        out.push(
            params.iter().zip(&digits).map(|((name, space), &i)| (name.clone(), value(space, i))).collect(),
        );
        // Mixed-radix increment, last param fastest.
        for (d, &n) in digits.iter_mut().zip(&lens).rev() {
            *d += 1;
            if *d < n {
                break;
            }
            *d = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(x: f64) -> Value {
        Value::Num(x)
    }

    #[test]
    fn two_by_three_in_lexicographic_order() {
        let params = vec![
            ("a".to_string(), Space::Choice(vec![num(1.0), num(2.0)])),
            ("b".to_string(), Space::Range { lo: 0.0, hi: 0.5, step: 0.25 }),
        ];
        assert_eq!(combinations(&params), 6);
        let got: Vec<(f64, f64)> = combos(&params, 100)
            .iter()
            .map(|p| match (&p[0], &p[1]) {
                ((a, Value::Num(x)), (b, Value::Num(y))) if a == "a" && b == "b" => (*x, *y),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(got, vec![(1.0, 0.0), (1.0, 0.25), (1.0, 0.5), (2.0, 0.0), (2.0, 0.25), (2.0, 0.5)]);
        assert_eq!(combos(&params, 4).len(), 4);
        assert_eq!(combos(&params, 4)[3], vec![("a".to_string(), num(2.0)), ("b".to_string(), num(0.0))]);
    }

    #[test]
    fn no_params_is_one_empty_combination() {
        assert_eq!(combinations(&[]), 1);
        assert_eq!(combos(&[], 10), vec![Vec::new()]);
    }
}
