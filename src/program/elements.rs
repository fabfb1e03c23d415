//! Streaming a list's elements out of an event's bytes: the list is found
//! by its field path, and each element's planned leaves are read into
//! slots and handed over before the next element is parsed, so a filter
//! over a collection builds neither a JSON tree nor a list.

use super::selective::{Extraction, Key, Leaf, LeafPlan, NodeSeed, Skip};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// The visitor methods of every scalar and `null`, each doing `$bail` (with
/// the visitor bound to `$seed`): a scalar where the stream needs an object
/// or a list sends it down the general route.
macro_rules! scalars_bail {
    (|$seed:ident| $bail:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            let $seed = self;
            $bail;
            Ok(())
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            let $seed = self;
            $bail;
            Ok(())
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            let $seed = self;
            $bail;
            Ok(())
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            let $seed = self;
            $bail;
            Ok(())
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            let $seed = self;
            $bail;
            Ok(())
        }

        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            let $seed = self;
            $bail;
            Ok(())
        }
    };
}

/// Where a list sits in an event (field names from the payload's root)
/// and which leaves of each element are read.
#[derive(Clone, Debug)]
pub struct ElementsPlan {
    path: Vec<String>,
    element: LeafPlan,
}

impl ElementsPlan {
    /// A plan for the list at `path` (not empty), elements read by `element`.
    pub fn new(path: Vec<String>, element: LeafPlan) -> Option<ElementsPlan> {
        (!path.is_empty()).then_some(ElementsPlan { path, element })
    }

    /// The plan of each element's leaves.
    pub fn element(&self) -> &LeafPlan {
        &self.element
    }
}

/// Calls `each` with the leaves of every element of the list, in order.
/// `Ok(false)` when the data needs the general route instead: the list is
/// absent, null or not a list, a key on its path repeats, an element is neither an object nor null, an element's leaves
/// cannot be read in place, or `each` returned `false`. Invalid JSON is an
/// error, as for a full parse.
pub fn for_each_element<'de>(
    plan: &ElementsPlan,
    bytes: &'de [u8],
    each: &mut dyn FnMut(&[Leaf<'de>]) -> bool,
) -> Result<bool, serde_json::Error> {
    fn parse<'de, R: serde_json::de::Read<'de>>(
        plan: &ElementsPlan,
        mut de: serde_json::Deserializer<R>,
        each: &mut dyn FnMut(&[Leaf<'de>]) -> bool,
    ) -> Result<bool, serde_json::Error> {
        let mut stream = Stream {
            element: &plan.element,
            extraction: Extraction::new(plan.element.slots()),
            each,
            found: false,
            bail: false,
        };
        PathSeed {
            names: &plan.path,
            stream: &mut stream,
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(stream.found && !stream.bail)
    }
    // As in `selective::read`: UTF-8 checked once for the whole payload.
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(plan, serde_json::Deserializer::from_str(text), each),
        Err(_) => parse(plan, serde_json::Deserializer::from_slice(bytes), each),
    }
}

struct Stream<'p, 'f, 'de> {
    element: &'p LeafPlan,
    extraction: Extraction<'de>,
    each: &'f mut dyn FnMut(&[Leaf<'de>]) -> bool,
    /// The list was reached.
    found: bool,
    bail: bool,
}

/// The object on the way to the list: `names` still to follow.
struct PathSeed<'n, 's, 'p, 'f, 'de> {
    names: &'n [String],
    stream: &'s mut Stream<'p, 'f, 'de>,
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_, '_, '_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PathSeed<'_, '_, '_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let Some((name, rest)) = self.names.split_first() else {
            self.stream.bail = true;
            while access.next_key_seed(Skip)?.is_some() {
                access.next_value_seed(Skip)?;
            }
            return Ok(());
        };
        // Only the exact key is followed: the JSON walk takes an `xdm:` twin
        // only when it is absent, and then the list is not found here.
        let mut seen = false;
        while let Some(Key(key)) = access.next_key::<Key<'de>>()? {
            if *key != **name || seen || self.stream.bail {
                // A repeat: the last one wins in a full parse.
                self.stream.bail |= seen && *key == **name;
                access.next_value_seed(Skip)?;
                continue;
            }
            seen = true;
            if rest.is_empty() {
                access.next_value_seed(ListSeed(self.stream))?;
            } else {
                access.next_value_seed(PathSeed {
                    names: rest,
                    stream: self.stream,
                })?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        self.stream.bail = true;
        while access.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    scalars_bail!(|seed| seed.stream.bail = true);
}

/// The list itself.
struct ListSeed<'s, 'p, 'f, 'de>(&'s mut Stream<'p, 'f, 'de>);

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_, '_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let stream = self.0;
        stream.found = true;
        loop {
            if stream.bail {
                while access.next_element_seed(Skip)?.is_some() {}
                return Ok(());
            }
            stream.extraction.reset();
            let seed = NodeSeed::new(stream.element.root(), &mut stream.extraction);
            if access.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            match stream.extraction.leaves() {
                Some(leaves) => stream.bail = !(stream.each)(leaves),
                None => stream.bail = true,
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        self.0.bail = true;
        while access.next_key_seed(Skip)?.is_some() {
            access.next_value_seed(Skip)?;
        }
        Ok(())
    }

    scalars_bail!(|seed| seed.0.bail = true);
}
