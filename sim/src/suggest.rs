//! Suggestions for a name that matched nothing: the nearest known names, for error messages.

/// Up to `count` of `known`, nearest to `want` first: those containing it (or
/// contained in it), then by edit distance, then in their order; each with whether it is
/// close enough to be a likely typo of `want`.
pub fn nearest<'a>(want: &str, known: impl Iterator<Item = &'a str>, count: usize) -> Vec<(bool, &'a str)> {
    let w = want.to_lowercase();
    let mut scored: Vec<(bool, usize, usize, &str)> = known
        .enumerate()
        .map(|(i, k)| {
            let kl = k.to_lowercase();
            let related = !w.is_empty() && (kl.contains(&w) || w.contains(&kl));
            (!related, edit_distance(&w, &kl), i, k)
        })
        .collect();
    scored.sort_unstable();
    let typo = (w.chars().count() / 3).max(2);
    scored.into_iter().take(count).map(|(unrelated, d, _, k)| (!unrelated || d <= typo, k)).collect()
}

/// Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
