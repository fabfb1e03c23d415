//! What exists: events, data sources with their field groups, audiences, each
//! with a schema (LANGUAGE.md section 8). Loaded from a catalog file (compact
//! fields or JSON Schema / XDM) or inferred from sample data.

mod compact;
mod infer;
mod schema;

use crate::types::{Fields, Type};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use infer::type_of_json;

/// A malformed catalog or schema: which file, where in it, and what is wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogError {
    /// The catalog file (or the file a `$ref` led to).
    pub file: PathBuf,
    /// A JSON pointer into `file` (`/events/Order/fields/total`), or "" for the whole file.
    pub json_path: String,
    /// What is wrong, with the JSON pointer where there is one.
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.json_path.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: at {}: {}",
                self.file.display(),
                self.json_path,
                self.message
            )
        }
    }
}

impl std::error::Error for CatalogError {}

/// Whether names missing from the catalog are errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    /// Declared by schemas: every step must exist.
    Declared,
    /// Inferred from the sample data being evaluated: a missing field is
    /// simply absent there, so it is typed `null` (and evaluates to null).
    Inferred,
    /// Neither a catalog nor sample data: field references cannot be typed.
    NoData,
}

/// The events, data sources, audiences and their fields and types that expressions are checked against (LANGUAGE.md section 8).
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Event name → payload type.
    pub events: BTreeMap<String, Type>,
    /// Data source → field group → schema.
    pub data_sources: BTreeMap<String, BTreeMap<String, Type>>,
    /// Known audience names, when the catalog lists them.
    pub audiences: Option<Vec<String>>,
    /// Action name → the type of its response (`@action{NAME.…}`): the
    /// fields of its `response`, and `jo_status_code`.
    pub actions: BTreeMap<String, Type>,
    /// Whether unknown fields are errors or read as null (inferred catalogs).
    pub strictness: Strictness,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            events: BTreeMap::new(),
            data_sources: BTreeMap::new(),
            audiences: None,
            actions: BTreeMap::new(),
            strictness: Strictness::Inferred,
        }
    }
}

/// Largest catalog or schema file read, in bytes.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a text file of at most `MAX_FILE_BYTES`, counting what is read
/// (a device or a growing file can claim any size in its metadata).
pub(crate) fn read_limited(file: &Path) -> Result<String, String> {
    use std::io::Read;
    let f = std::fs::File::open(file).map_err(|e| format!("cannot read the file: {e}"))?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "the file is larger than {} MiB",
            MAX_FILE_BYTES >> 20
        ));
    }
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())
}

pub(crate) fn read_json(file: &Path) -> Result<serde_json::Value, CatalogError> {
    let err = |message: String| CatalogError {
        file: file.to_path_buf(),
        json_path: String::new(),
        message,
    };
    let text = read_limited(file).map_err(err)?;
    // serde_json limits its own recursion (128 levels), so hostile nesting is an error.
    serde_json::from_str(&text).map_err(|e| err(format!("not valid JSON: {e}")))
}

impl Catalog {
    /// The catalog when neither a catalog file nor a context is given.
    pub fn no_data() -> Catalog {
        Catalog {
            strictness: Strictness::NoData,
            ..Catalog::default()
        }
    }

    /// Loads a catalog file (section 8), resolving schema files relative to it.
    pub fn load(file: &Path) -> Result<Catalog, CatalogError> {
        let doc = read_json(file)?;
        Catalog::from_json(&doc, file)
    }

    /// Builds a catalog from JSON text; schema files it names are read
    /// relative to the current directory.
    ///
    /// ```
    /// let catalog: jexpr::Catalog = r#"{"events": {"E": {"fields": {"n": "integer"}}}}"#.parse().unwrap();
    /// assert!(jexpr::check("@{E.n} > 1", &catalog).is_ok());
    /// ```
    pub fn from_text(text: &str) -> Result<Catalog, CatalogError> {
        let file = Path::new("catalog.json");
        let doc = serde_json::from_str(text).map_err(|e| CatalogError {
            file: file.to_path_buf(),
            json_path: String::new(),
            message: format!("not valid JSON: {e}"),
        })?;
        Catalog::from_json(&doc, file)
    }

    /// Builds a catalog from its JSON; `file` locates errors and relative schema paths.
    pub fn from_json(doc: &serde_json::Value, file: &Path) -> Result<Catalog, CatalogError> {
        let err = |json_path: &str, message: String| CatalogError {
            file: file.to_path_buf(),
            json_path: json_path.to_string(),
            message,
        };
        let root = doc.as_object().ok_or_else(|| {
            err(
                "",
                "a catalog is a JSON object with `events`, `dataSources`, `audiences`".into(),
            )
        })?;
        for key in root.keys() {
            if !matches!(
                key.as_str(),
                "events" | "dataSources" | "audiences" | "schemaRoots" | "actions"
            ) {
                return Err(err(
                    &format!("/{key}"),
                    format!("unknown key `{key}`; a catalog has `events`, `dataSources`, `audiences`, `schemaRoots` and `actions`"),
                ));
            }
        }
        let dir = file.parent().unwrap_or(Path::new("."));
        let mut roots = vec![dir.to_path_buf()];
        if let Some(list) = root.get("schemaRoots") {
            let list = list.as_array().ok_or_else(|| {
                err(
                    "/schemaRoots",
                    "`schemaRoots` is a list of folder paths".into(),
                )
            })?;
            for (i, item) in list.iter().enumerate() {
                let path = item.as_str().ok_or_else(|| {
                    err(
                        &format!("/schemaRoots/{i}"),
                        "a schema root is a folder path string".into(),
                    )
                })?;
                roots.push(dir.join(path));
            }
        }
        let mut loader = schema::Loader::new(roots);
        let mut catalog = Catalog {
            strictness: Strictness::Declared,
            ..Catalog::default()
        };
        if let Some(events) = root.get("events") {
            let events = events
                .as_object()
                .ok_or_else(|| err("/events", "`events` maps event names to schemas".into()))?;
            for (name, decl) in events {
                if name == "journey" {
                    return Err(err(
                        "/events/journey",
                        "`journey` is reserved for journey properties and cannot name an event"
                            .into(),
                    ));
                }
                let path = format!("/events/{}", pointer_escape(name));
                let t = declared_type(decl, file, &path, dir, &mut loader)?;
                catalog.events.insert(name.clone(), t);
            }
        }
        if let Some(sources) = root.get("dataSources") {
            let sources = sources.as_object().ok_or_else(|| {
                err(
                    "/dataSources",
                    "`dataSources` maps data source names to field groups".into(),
                )
            })?;
            for (source, groups) in sources {
                let spath = format!("/dataSources/{}", pointer_escape(source));
                let groups = groups.as_object().ok_or_else(|| {
                    err(
                        &spath,
                        "a data source maps field group names to schemas".into(),
                    )
                })?;
                let mut out = BTreeMap::new();
                // `endpoint` says where the data comes from (journeys):
                // not a field group.
                for (group, decl) in groups.iter().filter(|(g, _)| *g != "endpoint") {
                    let path = format!("{spath}/{}", pointer_escape(group));
                    out.insert(
                        group.clone(),
                        declared_type(decl, file, &path, dir, &mut loader)?,
                    );
                }
                catalog.data_sources.insert(source.clone(), out);
            }
        }
        if let Some(audiences) = root.get("audiences") {
            let list = audiences.as_array().ok_or_else(|| {
                err(
                    "/audiences",
                    "`audiences` is a list of audience names".into(),
                )
            })?;
            let mut names = Vec::new();
            for (i, a) in list.iter().enumerate() {
                let name = a.as_str().ok_or_else(|| {
                    err(
                        &format!("/audiences/{i}"),
                        "an audience name is a string".into(),
                    )
                })?;
                names.push(name.to_string());
            }
            catalog.audiences = Some(names);
        }
        if let Some(actions) = root.get("actions").and_then(|a| a.as_object()) {
            for (name, decl) in actions {
                let mut fields = match decl.get("response") {
                    None => Fields::new(),
                    Some(response) => {
                        let path = format!("/actions/{}/response", pointer_escape(name));
                        match declared_type(response, file, &path, dir, &mut loader)? {
                            Type::Object(fields) => (*fields).clone(),
                            _ => Fields::new(),
                        }
                    }
                };
                fields.insert("jo_status_code".into(), Type::String);
                catalog.actions.insert(name.clone(), Type::object(fields));
            }
        }
        Ok(catalog)
    }

    /// A catalog inferred from a context's sample data (section 8, last paragraph).
    pub fn infer(context: &serde_json::Value) -> Catalog {
        let mut catalog = Catalog::default();
        if let Some(events) = context.get("events").and_then(|v| v.as_object()) {
            for (name, payload) in events {
                catalog.events.insert(name.clone(), type_of_json(payload));
            }
        }
        if let Some(sources) = context.get("dataSources").and_then(|v| v.as_object()) {
            for (source, groups) in sources {
                let groups = groups
                    .as_object()
                    .map(|g| {
                        g.iter()
                            .map(|(k, v)| (k.clone(), type_of_json(v)))
                            .collect()
                    })
                    .unwrap_or_default();
                catalog.data_sources.insert(source.clone(), groups);
            }
        }
        if let Some(actions) = context.get("actions").and_then(|v| v.as_object()) {
            for (name, response) in actions {
                let mut fields = match type_of_json(response) {
                    Type::Object(fields) => (*fields).clone(),
                    _ => Fields::new(),
                };
                fields.insert("jo_status_code".into(), Type::String);
                catalog.actions.insert(name.clone(), Type::object(fields));
            }
        }
        catalog
    }
}

/// An event or field group declaration: `{"fields": …}` or `{"schema": "file"}`.
fn declared_type(
    decl: &serde_json::Value,
    file: &Path,
    path: &str,
    dir: &Path,
    loader: &mut schema::Loader,
) -> Result<Type, CatalogError> {
    let err = |json_path: String, message: &str| CatalogError {
        file: file.to_path_buf(),
        json_path,
        message: message.to_string(),
    };
    let obj = decl.as_object().ok_or_else(|| {
        err(
            path.to_string(),
            "expected `{\"fields\": …}` or `{\"schema\": \"file.json\"}`",
        )
    })?;
    match (obj.get("fields"), obj.get("schema")) {
        (Some(fields), None) => {
            let t =
                compact::parse(fields, &format!("{path}/fields")).map_err(|(p, m)| err(p, &m))?;
            match t {
                Type::Object(_) => Ok(t),
                _ => Err(err(
                    format!("{path}/fields"),
                    "`fields` must be an object of field names",
                )),
            }
        }
        (None, Some(schema_file)) => {
            let name = schema_file.as_str().ok_or_else(|| {
                err(
                    format!("{path}/schema"),
                    "`schema` is a path to a JSON Schema file",
                )
            })?;
            loader.load_file(&dir.join(name))
        }
        _ => Err(err(
            path.to_string(),
            "a declaration has exactly one of `fields` (compact) or `schema` (a JSON Schema file)",
        )),
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
pub(crate) fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The `xdm:` prefix is not part of the name users write (section 8).
pub fn field_name(key: &str) -> &str {
    key.strip_prefix("xdm:").unwrap_or(key)
}

impl std::str::FromStr for Catalog {
    type Err = CatalogError;

    fn from_str(text: &str) -> Result<Catalog, CatalogError> {
        Catalog::from_text(text)
    }
}
