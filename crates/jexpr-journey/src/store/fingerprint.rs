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
        let hash = Fingerprint::hash;
        let mut list: Vec<(String, i64, String)> = journeys
            .iter()
            .map(|(id, v, text)| (id.clone(), *v, hash(text)))
            .collect();
        list.push(("(catalog)".into(), 0, catalog.map(hash).unwrap_or_default()));
        list.sort();
        Fingerprint { journeys: list }
    }

    /// The hash a fingerprint keeps of a file's text: of its JSON, so
    /// formatting does not count but any change of content does.
    pub fn hash(text: &str) -> String {
        let canonical = serde_json::from_str::<Json>(text)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| text.to_string());
        format!("{:016x}", crate::fnv::hash(canonical.as_bytes()))
    }

    /// How `stored` (a state's fingerprint) differs from this one, if it
    /// does (every difference refused: a state that takes no new versions).
    pub fn differences(&self, stored: &[(String, i64, String)]) -> Option<String> {
        let c = self.compare(stored);
        match (c.refused, c.added.is_empty()) {
            (Some(r), _) => Some(r),
            (None, true) => None,
            (None, false) => Some(
                c.added
                    .iter()
                    .map(|(id, v, _)| {
                        format!("journey `{id}` version {v} was not part of this state")
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        }
    }

    /// How this fingerprint compares with a state's: journey versions
    /// given that the state does not have are *published* into it (a new
    /// journey, or a new version of one); a version the state has must be
    /// given unchanged (its instances run on it), and so must the catalog.
    pub fn compare(&self, stored: &[(String, i64, String)]) -> Comparison {
        let mut stored = stored.to_vec();
        stored.sort();
        let mut given = self.journeys.clone();
        given.sort();
        let added: Vec<(String, i64, String)> = given
            .iter()
            .filter(|g| !stored.iter().any(|s| s.0 == g.0 && s.1 == g.1))
            .cloned()
            .collect();
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
                Some(g) if g.2 != s.2 && s.0 == "(catalog)" => {
                    diffs.push("the catalog has changed".to_string())
                }
                Some(g) if g.2 != s.2 => {
                    let next = stored
                        .iter()
                        .chain(&given)
                        .filter(|x| x.0 == s.0)
                        .map(|x| x.1)
                        .max()
                        .unwrap_or(s.1)
                        + 1;
                    diffs.push(format!(
                        "{} has changed (publish the change as version {next})",
                        describe(s)
                    ))
                }
                Some(_) => {}
            }
        }
        Comparison {
            refused: (!diffs.is_empty()).then(|| diffs.join("; ")),
            added,
        }
    }
}

/// What [`Fingerprint::compare`] found.
#[derive(Debug, Default, PartialEq)]
pub struct Comparison {
    /// Why the state cannot be run with these journeys, if it cannot.
    pub refused: Option<String>,
    /// Journey versions to publish into the state.
    pub added: Vec<(String, i64, String)>,
}
