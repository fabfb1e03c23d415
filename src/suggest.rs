//! "Did you mean …?": the closest known name by edit distance.

/// Levenshtein distance on characters, ignoring ASCII case differences at
/// half cost so `insegment` → `inSegment` wins over unrelated names.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Costs are doubled so a case-only difference can cost 1.
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j * 2).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = (i + 1) * 2;
        for (j, cb) in b.iter().enumerate() {
            let sub = if ca == cb {
                0
            } else if ca.eq_ignore_ascii_case(cb) {
                1
            } else {
                2
            };
            cur[j + 1] = (prev[j] + sub).min(prev[j + 1] + 2).min(cur[j] + 2);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Names longer than this are not compared: the cost is quadratic.
    if name.len() > 200 {
        return None;
    }
    let limit = (name.chars().count().max(3) * 2) / 3 * 2;
    candidates
        .into_iter()
        .filter(|c| c.len() <= 200 && *c != name)
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit.max(2))
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_case() {
        let names = ["startWith", "endWith", "inSegment", "personalEmail", "lastName"];
        assert_eq!(closest("startsWith", names), Some("startWith"));
        assert_eq!(closest("INSEGMENT", names), Some("inSegment"));
        assert_eq!(closest("personalEmial", names), Some("personalEmail"));
        assert_eq!(closest("zzzzzz", names), None);
    }
}
