//! JSON Schema / XDM → types: `type`, `format`, `meta:xdmType`, `properties`,
//! `items`, `additionalProperties`, `definitions`/`$defs`, `$ref` (local or to
//! another schema by `$id`), `allOf`. Other keywords are ignored (section 10).

use super::{field_name, pointer_escape, read_json, CatalogError};
use crate::types::{Fields, Type};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Deepest schema nesting (properties, items, references) followed.
const MAX_DEPTH: usize = 256;
/// Most files indexed under the schema roots.
const MAX_INDEXED_FILES: usize = 20_000;

struct Doc {
    file: PathBuf,
    value: Arc<Value>,
}

pub struct Loader {
    roots: Vec<PathBuf>,
    /// `$id` → file, built on the first reference by id.
    index: Option<HashMap<String, PathBuf>>,
    docs: HashMap<PathBuf, Arc<Value>>,
    /// Converted reference targets, so shared definitions are converted once,
    /// with how deep each one nests (a cached type still counts its depth).
    done: HashMap<String, (Type, usize)>,
    /// The deepest level reached so far in the conversion under way.
    deepest: usize,
    /// References being converted, to name a cycle.
    active: Vec<String>,
}

impl Loader {
    pub fn new(roots: Vec<PathBuf>) -> Loader {
        Loader {
            roots,
            index: None,
            docs: HashMap::new(),
            done: HashMap::new(),
            deepest: 0,
            active: Vec::new(),
        }
    }

    pub fn load_file(&mut self, file: &Path) -> Result<Type, CatalogError> {
        let doc = self.doc(file)?;
        self.convert(&doc, &doc.value.clone(), String::new(), 0)
    }

    fn doc(&mut self, file: &Path) -> Result<Doc, CatalogError> {
        if let Some(value) = self.docs.get(file) {
            return Ok(Doc {
                file: file.to_path_buf(),
                value: value.clone(),
            });
        }
        let value = Arc::new(read_json(file)?);
        self.docs.insert(file.to_path_buf(), value.clone());
        Ok(Doc {
            file: file.to_path_buf(),
            value,
        })
    }

    fn index(&mut self) -> &HashMap<String, PathBuf> {
        let roots = self.roots.clone();
        self.index.get_or_insert_with(|| {
            let mut index = HashMap::new();
            let mut pending: Vec<PathBuf> = roots;
            let mut seen = 0usize;
            while let Some(dir) = pending.pop() {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let path = entry.path();
                    let Ok(kind) = entry.file_type() else {
                        continue;
                    };
                    // Symlinks are not followed: a link loop must not hang the loader.
                    if kind.is_dir() {
                        pending.push(path);
                    } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
                        seen += 1;
                        if seen > MAX_INDEXED_FILES {
                            return index;
                        }
                        if let Some(id) = read_id(&path) {
                            index.entry(id).or_insert(path);
                        }
                    }
                }
            }
            index
        })
    }

    fn error(doc: &Doc, at: &str, message: impl Into<String>) -> CatalogError {
        CatalogError {
            file: doc.file.clone(),
            json_path: at.to_string(),
            message: message.into(),
        }
    }

    fn convert(
        &mut self,
        doc: &Doc,
        node: &Value,
        at: String,
        depth: usize,
    ) -> Result<Type, CatalogError> {
        self.deepest = self.deepest.max(depth);
        if depth > MAX_DEPTH {
            return Err(Self::error(
                doc,
                &at,
                format!("the schema nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let obj = node
            .as_object()
            .ok_or_else(|| Self::error(doc, &at, "a schema is a JSON object"))?;
        if let Some(reference) = obj.get("$ref") {
            let reference = reference
                .as_str()
                .ok_or_else(|| Self::error(doc, &format!("{at}/$ref"), "`$ref` is a string"))?;
            return self.resolve(doc, reference, &format!("{at}/$ref"), depth);
        }
        let mut merged: Option<Type> = None;
        if let Some(all) = obj.get("allOf") {
            let all = all.as_array().ok_or_else(|| {
                Self::error(doc, &format!("{at}/allOf"), "`allOf` is a list of schemas")
            })?;
            for (i, item) in all.iter().enumerate() {
                let t = self.convert(doc, item, format!("{at}/allOf/{i}"), depth + 1)?;
                merged = Some(match merged {
                    None => t,
                    Some(prev) => merge(prev, t),
                });
            }
        }
        let own = self.own_type(doc, obj, &at, depth)?;
        match (merged, own) {
            (Some(m), Some(o)) => Ok(merge(m, o)),
            (Some(t), None) | (None, Some(t)) => Ok(t),
            // Only ignored keywords (`oneOf`, `enum`, …) or nothing at all: an
            // object with no known fields, so XDM's `@context` mixins merge away.
            (None, None) => Ok(Type::object(Fields::new())),
        }
    }

    /// The type a node declares itself (not through `allOf`).
    fn own_type(
        &mut self,
        doc: &Doc,
        obj: &Map<String, Value>,
        at: &str,
        depth: usize,
    ) -> Result<Option<Type>, CatalogError> {
        let xdm_type = obj.get("meta:xdmType").and_then(Value::as_str);
        let json_type = match obj.get("type") {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            // `["string", "null"]`: the nullable form of one type.
            Some(Value::Array(list)) => {
                list.iter().filter_map(Value::as_str).find(|t| *t != "null")
            }
            Some(_) => {
                return Err(Self::error(
                    doc,
                    &format!("{at}/type"),
                    "`type` is a string",
                ))
            }
        };
        let format = obj.get("format").and_then(Value::as_str);
        let kind = xdm_type.or(json_type);
        let t = match kind {
            Some("int" | "long" | "short" | "byte" | "integer") => Type::Integer,
            Some("double" | "number" | "float") => Type::Decimal,
            Some("boolean") => Type::Boolean,
            Some("date-time") => Type::DateTime,
            Some("date") => Type::DateOnly,
            Some("string") => match format {
                Some("date-time") => Type::DateTime,
                Some("date") => Type::DateOnly,
                _ => Type::String,
            },
            Some("array") => {
                let items = obj
                    .get("items")
                    .ok_or_else(|| Self::error(doc, at, "an array schema needs `items`"))?;
                Type::list(self.convert(doc, items, format!("{at}/items"), depth + 1)?)
            }
            Some("map") => Type::Map(Arc::new(self.map_values(doc, obj, at, depth)?.unwrap_or(Type::String))),
            Some("object") | None => {
                if let Some(props) = obj.get("properties") {
                    Type::object(self.properties(doc, props, &format!("{at}/properties"), depth)?)
                } else if let Some(values) = self.map_values(doc, obj, at, depth)? {
                    Type::Map(Arc::new(values))
                } else if kind.is_some() {
                    Type::object(Fields::new())
                } else {
                    return Ok(None);
                }
            }
            Some(other) => {
                return Err(Self::error(
                    doc,
                    &format!("{at}/type"),
                    format!("unknown type `{other}`; expected string, integer, number, boolean, array or object"),
                ))
            }
        };
        Ok(Some(t))
    }

    /// The value type of `additionalProperties` when it is a schema (`false` is not a map).
    fn map_values(
        &mut self,
        doc: &Doc,
        obj: &Map<String, Value>,
        at: &str,
        depth: usize,
    ) -> Result<Option<Type>, CatalogError> {
        match obj.get("additionalProperties") {
            Some(v @ Value::Object(_)) => Ok(Some(self.convert(
                doc,
                v,
                format!("{at}/additionalProperties"),
                depth + 1,
            )?)),
            _ => Ok(None),
        }
    }

    fn properties(
        &mut self,
        doc: &Doc,
        props: &Value,
        at: &str,
        depth: usize,
    ) -> Result<Fields, CatalogError> {
        let props = props
            .as_object()
            .ok_or_else(|| Self::error(doc, at, "`properties` is an object of field schemas"))?;
        let mut fields = Fields::new();
        for (key, schema) in props {
            let t = self.convert(
                doc,
                schema,
                format!("{at}/{}", pointer_escape(key)),
                depth + 1,
            )?;
            fields.insert(field_name(key).to_string(), t);
        }
        Ok(fields)
    }

    fn resolve(
        &mut self,
        doc: &Doc,
        reference: &str,
        at: &str,
        depth: usize,
    ) -> Result<Type, CatalogError> {
        let (target, pointer) = match reference.split_once('#') {
            Some((target, pointer)) => (target, pointer),
            None => (reference, ""),
        };
        let target_doc = if target.is_empty() {
            Doc {
                file: doc.file.clone(),
                value: doc.value.clone(),
            }
        } else {
            let file = self.index().get(target).cloned().ok_or_else(|| {
                Self::error(
                    doc,
                    at,
                    format!("no schema with `$id` `{target}` under the catalog's folder or its `schemaRoots`"),
                )
            })?;
            self.doc(&file)?
        };
        let key = format!("{}#{pointer}", target_doc.file.display());
        if let Some((t, height)) = self.done.get(&key) {
            if depth + height > MAX_DEPTH {
                return Err(Self::error(
                    doc,
                    at,
                    format!("the schema nests deeper than {MAX_DEPTH} levels"),
                ));
            }
            self.deepest = self.deepest.max(depth + height);
            return Ok(t.clone());
        }
        if let Some(start) = self.active.iter().position(|k| *k == key) {
            let mut cycle: Vec<String> = self.active[start..].to_vec();
            cycle.push(key);
            return Err(Self::error(
                doc,
                at,
                format!("`$ref` cycle: {}", cycle.join(" → ")),
            ));
        }
        let node = target_doc.value.pointer(pointer).cloned().ok_or_else(|| {
            Self::error(
                doc,
                at,
                format!("`$ref` target `{reference}` does not exist"),
            )
        })?;
        self.active.push(key.clone());
        let outer = std::mem::replace(&mut self.deepest, depth);
        let result = self.convert(&target_doc, &node, pointer.to_string(), depth + 1);
        let height = self.deepest - depth;
        self.deepest = outer.max(self.deepest);
        self.active.pop();
        let t = result?;
        self.done.insert(key, (t.clone(), height));
        Ok(t)
    }
}

/// `allOf` merging: objects union their fields; otherwise the later, more specific schema wins.
fn merge(a: Type, b: Type) -> Type {
    match (&a, &b) {
        (Type::Object(_), Type::Object(_)) => a.unify(&b).unwrap_or(b),
        (Type::Object(fa), _) if fa.is_empty() => b,
        (_, Type::Object(fb)) if fb.is_empty() => a,
        _ => b,
    }
}

/// The `$id` of a schema file, read cheaply enough to index a folder.
fn read_id(path: &Path) -> Option<String> {
    let text = super::read_limited(path).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value.get("$id")?.as_str().map(str::to_string)
}
