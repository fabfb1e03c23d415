//! What a state belongs to: the journeys and catalog it was started with.
//! Every backend checks it on open, so a state is never run with other
//! journeys than its own.

use serde_json::Value as Json;

/// What a state belongs to: the hash of each journey version (and of the
/// catalog, as journey `(catalog)`), checked on every open.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fingerprint {
    /// (journey id, version, hash of its definition).
    pub journeys: Vec<(String, i64, String)>,
}

impl Fingerprint {
    /// The fingerprint of journeys given as (id, version, file text) and of
    /// the catalog's text: a hash of each one's JSON, so formatting does not
    /// count but any change of content does.
    pub fn new(journeys: &[(String, i64, String)], catalog: Option<&str>) -> Fingerprint {
        let hash = |text: &str| {
            let canonical = serde_json::from_str::<Json>(text)
                .map(|v| v.to_string())
                .unwrap_or_else(|_| text.to_string());
            format!("{:016x}", crate::fnv::hash(canonical.as_bytes()))
        };
        let mut list: Vec<(String, i64, String)> = journeys
            .iter()
            .map(|(id, v, text)| (id.clone(), *v, hash(text)))
            .collect();
        list.push(("(catalog)".into(), 0, catalog.map(hash).unwrap_or_default()));
        list.sort();
        Fingerprint { journeys: list }
    }

    /// How `stored` (a state's fingerprint) differs from this one, if it does.
    pub fn differences(&self, stored: &[(String, i64, String)]) -> Option<String> {
        let mut stored = stored.to_vec();
        stored.sort();
        let mut given = self.journeys.clone();
        given.sort();
        if stored == given {
            return None;
        }
        let describe = |(id, v, _): &(String, i64, String)| {
            if id == "(catalog)" {
                "the catalog".to_string()
            } else {
                format!("journey `{id}` version {v}")
            }
        };
        let mut diffs = Vec::new();
        for s in &stored {
            match given.iter().find(|g| g.0 == s.0 && g.1 == s.1) {
                None => diffs.push(format!("{} is not given now", describe(s))),
                Some(g) if g.2 != s.2 => diffs.push(format!("{} has changed", describe(s))),
                Some(_) => {}
            }
        }
        for g in &given {
            if !stored.iter().any(|s| s.0 == g.0 && s.1 == g.1) {
                diffs.push(format!("{} was not part of this state", describe(g)));
            }
        }
        Some(diffs.join("; "))
    }
}
