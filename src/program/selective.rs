//! Reading only what a program needs from raw event bytes: the program's
//! field paths become a [`Selection`], and the parser keeps those fields
//! while skipping everything else without allocating ([`Skip`]).

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Which parts of a JSON value a program reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// The whole value (a leaf the program reads, or access the compiler
    /// cannot narrow down, such as a filter).
    All,
    /// Only these fields, each with its own selection; a list is read element
    /// by element with the same selection (projection).
    Fields(BTreeMap<String, Selection>),
}

impl Selection {
    pub fn nothing() -> Selection {
        Selection::Fields(BTreeMap::new())
    }

    /// Adds a path of field names whose value is read whole.
    pub fn add_path(&mut self, names: &[&str]) {
        let Selection::Fields(fields) = self else {
            return;
        };
        match names.split_first() {
            None => *self = Selection::All,
            Some((first, rest)) => fields
                .entry((*first).to_string())
                .or_insert_with(Selection::nothing)
                .add_path(rest),
        }
    }

    /// Keeps `sub` of the value at path `names` (a list's elements each).
    pub fn add_at(&mut self, names: &[&str], sub: &Selection) {
        let Selection::Fields(fields) = self else {
            return;
        };
        match names.split_first() {
            None => self.widen(sub),
            Some((first, rest)) => fields
                .entry((*first).to_string())
                .or_insert_with(Selection::nothing)
                .add_at(rest, sub),
        }
    }

    /// Widens this selection to also keep what `other` keeps.
    pub fn widen(&mut self, other: &Selection) {
        match (self, other) {
            (Selection::All, _) => {}
            (me, Selection::All) => *me = Selection::All,
            (Selection::Fields(mine), Selection::Fields(theirs)) => {
                for (key, sub) in theirs {
                    mine.entry(key.clone())
                        .or_insert_with(Selection::nothing)
                        .widen(sub);
                }
            }
        }
    }

    fn field(&self, key: &str) -> Option<&Selection> {
        match self {
            Selection::All => Some(self),
            Selection::Fields(fields) => fields
                .get(key)
                .or_else(|| key.strip_prefix("xdm:").and_then(|k| fields.get(k))),
        }
    }
}

/// What a set of programs reads of one event, so that its bytes are parsed
/// once for all of them: each program's result on what [`EventReader::read`]
/// keeps is its result on the whole payload.
///
/// ```
/// let context = serde_json::json!({"events": {"E": {"a": 1, "b": "x"}}});
/// let catalog = jexpr::Catalog::infer(&context);
/// let compiler = jexpr::Compiler::new(&catalog);
/// let first = compiler.compile("@{E.a} == 1").unwrap();
/// let second = compiler.compile("@{E.b}").unwrap();
/// let mut reader = jexpr::EventReader::new("E");
/// reader.add(&first);
/// reader.add(&second);
/// let payload = reader.read(br#"{"a": 1, "b": "x", "big": [1, 2, 3]}"#).unwrap();
/// assert_eq!(payload, serde_json::json!({"a": 1, "b": "x"}));
/// let ctx = jexpr::Context::builder().event("E", &payload).build();
/// assert!(first.eval(&ctx).unwrap().truthy());
/// ```
#[derive(Clone, Debug)]
pub struct EventReader {
    event: String,
    selection: Selection,
}

impl EventReader {
    /// A reader of event `event` for no program yet: it keeps nothing, and
    /// only checks that the bytes are one JSON value.
    pub fn new(event: &str) -> EventReader {
        EventReader {
            event: event.to_string(),
            selection: Selection::nothing(),
        }
    }

    /// Also keeps what `program` reads of the event (nothing if it does not
    /// read it).
    pub fn add(&mut self, program: &crate::Program) {
        if let Some(selection) = program.selection(&self.event) {
            self.selection.widen(selection);
        }
    }

    /// Parses the payload, keeping what the programs added read; the rest is
    /// skipped without being built.
    pub fn read(&self, bytes: &[u8]) -> Result<Json, serde_json::Error> {
        read(&self.selection, bytes)
    }
}

/// Parses `bytes`, keeping what `selection` names.
pub fn read(selection: &Selection, bytes: &[u8]) -> Result<Json, serde_json::Error> {
    fn parse<'de, R: serde_json::de::Read<'de>>(
        selection: &Selection,
        mut de: serde_json::Deserializer<R>,
    ) -> Result<Json, serde_json::Error> {
        let value = selection.deserialize(&mut de)?;
        de.end()?;
        Ok(value)
    }
    match std::str::from_utf8(bytes) {
        // Checked once, so no string is checked again as it is read or skipped.
        Ok(text) => parse(selection, serde_json::Deserializer::from_str(text)),
        // The byte-level parser says where the bad byte is, as a full parse would.
        Err(_) => parse(selection, serde_json::Deserializer::from_slice(bytes)),
    }
}

impl<'de> DeserializeSeed<'de> for &Selection {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        match self {
            Selection::All => serde::Deserialize::deserialize(deserializer),
            Selection::Fields(_) => deserializer.deserialize_any(Selected(self)),
        }
    }
}

struct Selected<'s>(&'s Selection);

/// An object key, borrowed from the input when it has no escapes.
pub(super) struct Key<'de>(pub(super) Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for Selected<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        // Sized once: at most the selected fields are kept.
        let mut out = match self.0 {
            Selection::Fields(fields) => Map::with_capacity(fields.len()),
            Selection::All => Map::new(),
        };
        while let Some(Key(key)) = access.next_key::<Key<'de>>()? {
            match self.0.field(&key) {
                Some(sub) => {
                    let value = access.next_value_seed(sub)?;
                    out.insert(key.into_owned(), value);
                }
                None => {
                    access.next_value_seed(Skip)?;
                }
            }
        }
        Ok(Json::Object(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element_seed(self.0)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
}

/// Where the leaves a register program compares sit in an event's JSON, so
/// they can be read straight from bytes into slots (no JSON tree is built).
#[derive(Clone, Debug, Default)]
pub struct LeafPlan {
    root: PlanNode,
    slots: usize,
    /// The slot of each program path (by path id) that is rooted at this event.
    slot_of_path: Vec<Option<usize>>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct PlanNode {
    children: BTreeMap<String, PlanNode>,
    slot: Option<usize>,
}

impl LeafPlan {
    /// A plan for `paths` (path id, field names); `None` when a path is the
    /// whole event or a leaf is also an intermediate of another path.
    pub fn build(paths: &[(usize, Vec<&str>)], total_paths: usize) -> Option<LeafPlan> {
        let mut plan = LeafPlan {
            slot_of_path: vec![None; total_paths],
            ..LeafPlan::default()
        };
        for (id, names) in paths {
            let (last, inner) = names.split_last()?;
            let mut node = &mut plan.root;
            for name in inner {
                node = node.children.entry((*name).to_string()).or_default();
                if node.slot.is_some() {
                    return None;
                }
            }
            let leaf = node.children.entry((*last).to_string()).or_default();
            if !leaf.children.is_empty() {
                return None;
            }
            let slot = *leaf.slot.get_or_insert_with(|| {
                plan.slots += 1;
                plan.slots - 1
            });
            *plan.slot_of_path.get_mut(*id)? = Some(slot);
        }
        Some(plan)
    }

    pub fn slot(&self, path: u32) -> Option<usize> {
        self.slot_of_path.get(path as usize).copied().flatten()
    }

    /// How many leaves are read.
    pub(super) fn slots(&self) -> usize {
        self.slots
    }

    pub(super) fn root(&self) -> &PlanNode {
        &self.root
    }
}

/// A scalar read from bytes, borrowed when the text has no escapes.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Leaf<'de> {
    #[default]
    Missing,
    Null,
    Str(Cow<'de, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An object or array where a scalar was expected: the general route decides.
    Complex,
}

impl Leaf<'_> {
    pub fn raw(&self) -> Option<super::raw::Raw<'_>> {
        use super::raw::Raw;
        Some(match self {
            Leaf::Missing | Leaf::Null => Raw::Null,
            Leaf::Str(s) => Raw::Str(s),
            Leaf::Int(i) => Raw::Int(*i),
            Leaf::Float(d) => Raw::Float(*d),
            Leaf::Bool(b) => Raw::Bool(*b),
            Leaf::Complex => return None,
        })
    }
}

pub(super) struct Extraction<'de> {
    leaves: Vec<Leaf<'de>>,
    /// Whether each slot was set from its exact key (which wins over `xdm:`).
    exact: Vec<bool>,
    /// Something the in-place reading does not handle: take the general route.
    bail: bool,
}

impl<'de> Extraction<'de> {
    pub(super) fn new(slots: usize) -> Extraction<'de> {
        Extraction {
            leaves: vec![Leaf::Missing; slots],
            exact: vec![false; slots],
            bail: false,
        }
    }

    /// Empties the slots for the next value read with the same plan.
    pub(super) fn reset(&mut self) {
        self.leaves.fill(Leaf::Missing);
        self.exact.fill(false);
        self.bail = false;
    }

    /// The leaves read, or `None` when the general route must decide.
    pub(super) fn leaves(&self) -> Option<&[Leaf<'de>]> {
        (!self.bail).then_some(&self.leaves[..])
    }
}

/// Reads the planned leaves of `bytes`; `Ok(None)` when the data needs the
/// general route (a list on a path, a scalar where an object was expected).
pub fn extract<'de>(
    plan: &LeafPlan,
    bytes: &'de [u8],
) -> Result<Option<Vec<Leaf<'de>>>, serde_json::Error> {
    fn parse<'de, R: serde_json::de::Read<'de>>(
        plan: &LeafPlan,
        mut de: serde_json::Deserializer<R>,
    ) -> Result<Option<Vec<Leaf<'de>>>, serde_json::Error> {
        let mut out = Extraction::new(plan.slots);
        NodeSeed {
            node: &plan.root,
            out: &mut out,
        }
        .deserialize(&mut de)?;
        de.end()?;
        Ok(if out.bail { None } else { Some(out.leaves) })
    }
    // As in `read`: UTF-8 checked once for the whole payload.
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(plan, serde_json::Deserializer::from_str(text)),
        Err(_) => parse(plan, serde_json::Deserializer::from_slice(bytes)),
    }
}

pub(super) struct NodeSeed<'p, 'x, 'de> {
    node: &'p PlanNode,
    out: &'x mut Extraction<'de>,
}

impl<'p, 'x, 'de> NodeSeed<'p, 'x, 'de> {
    /// Reads the leaves below `node` of the next value into `out`.
    pub(super) fn new(node: &'p PlanNode, out: &'x mut Extraction<'de>) -> Self {
        NodeSeed { node, out }
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        // Keys of this object that lead to a leaf or deeper: a repeat means
        // the later value wins (as serde_json), which the JSON walk decides.
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        while let Some(Key(key)) = access.next_key::<Key<'de>>()? {
            let known = self.node.children.contains_key(&*key)
                || key
                    .strip_prefix("xdm:")
                    .is_some_and(|k| self.node.children.contains_key(k));
            if known {
                if seen.contains(&key) {
                    self.out.bail = true;
                }
                seen.push(key.clone());
            }
            let (child, exact) = match self.node.children.get(&*key) {
                Some(child) => (child, true),
                None => match key
                    .strip_prefix("xdm:")
                    .and_then(|k| self.node.children.get(k))
                {
                    Some(child) => (child, false),
                    None => {
                        access.next_value_seed(Skip)?;
                        continue;
                    }
                },
            };
            match child.slot {
                Some(slot) => {
                    let leaf = access.next_value_seed(LeafSeed)?;
                    if exact || !self.out.exact.get(slot).copied().unwrap_or(false) {
                        if let (Some(l), Some(e)) =
                            (self.out.leaves.get_mut(slot), self.out.exact.get_mut(slot))
                        {
                            *l = leaf;
                            *e = exact;
                        }
                    }
                }
                None if exact => access.next_value_seed(NodeSeed {
                    node: child,
                    out: self.out,
                })?,
                None => {
                    // An `xdm:` twin of an object on the path: the JSON walk
                    // chooses between twins, so let it.
                    self.out.bail = true;
                    access.next_value_seed(Skip)?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        self.out.bail = true;
        while access.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.out.bail = true;
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.out.bail = true;
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.out.bail = true;
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.out.bail = true;
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.out.bail = true;
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        // `null` on the path: every leaf below is null, as in the JSON walk.
        Ok(())
    }
}

struct LeafSeed;

impl<'de> DeserializeSeed<'de> for LeafSeed {
    type Value = Leaf<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Leaf<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LeafSeed {
    type Value = Leaf<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Str(Cow::Owned(v.to_string())))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Leaf<'de>, E> {
        // As serde_json::Number: an i64 when it fits, else a float.
        Ok(i64::try_from(v).map_or(Leaf::Float(v as f64), Leaf::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Float(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Bool(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Leaf<'de>, E> {
        Ok(Leaf::Null)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Leaf<'de>, A::Error> {
        while access.next_key_seed(Skip)?.is_some() {
            access.next_value_seed(Skip)?;
        }
        Ok(Leaf::Complex)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Leaf<'de>, A::Error> {
        while access.next_element_seed(Skip)?.is_some() {}
        Ok(Leaf::Complex)
    }
}

/// Skips a value the way a full parse would read it, without building it:
/// numbers out of a double's range and bad escapes are errors here too
/// (serde's `IgnoredAny` skips them unchecked, so a payload the full parser
/// rejects could pass a condition read from the bytes).
#[derive(Clone, Copy)]
pub(super) struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(Skip)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while access.next_key_seed(Skip)?.is_some() {
            access.next_value_seed(Skip)?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        while access.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
}
