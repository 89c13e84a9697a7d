//! `docs/json.md` read as a schema: each `###` heading is a kind of line,
//! and the table under it lists its keys (`steps[].what` for the keys of
//! the objects in an array, `cert.signer` for those of an object) with
//! their types. A [`Checker`] holds real
//! output to it: a line must have exactly the documented keys, with values
//! of the documented types; and by the end of a test, every kind of line
//! it claims, and every key of them, must have been seen.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

/// A value's type, as the document writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Integer,
    Boolean,
    Object,
    Any,
    Array(Box<Type>),
}

impl Type {
    fn parse(text: &str) -> Result<Type, String> {
        Ok(match text.trim() {
            "string" => Type::String,
            "integer" => Type::Integer,
            "boolean" => Type::Boolean,
            "object" => Type::Object,
            "any" => Type::Any,
            other => match other.strip_prefix("array of ") {
                Some(item) => Type::Array(Box::new(Type::parse(item)?)),
                None => return Err(format!("unknown type {other:?}")),
            },
        })
    }

    fn holds(&self, value: &Value) -> bool {
        match (self, value) {
            (Type::Any, _) => true,
            (Type::String, Value::String(_)) => true,
            (Type::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Type::Boolean, Value::Bool(_)) => true,
            (Type::Object, Value::Object(_)) => true,
            (Type::Array(item), Value::Array(items)) => items.iter().all(|v| item.holds(v)),
            _ => false,
        }
    }

    /// The base name, for comparing one key's type across kinds of line.
    pub fn name(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Integer => "integer".into(),
            Type::Boolean => "boolean".into(),
            Type::Object => "object".into(),
            Type::Any => "any".into(),
            Type::Array(item) => format!("array of {}", item.name()),
        }
    }
}

/// One documented key.
#[derive(Clone, Debug)]
pub struct Key {
    pub ty: Type,
    /// May be `null`.
    pub nullable: bool,
    /// May be left out.
    pub optional: bool,
}

/// One kind of line: its keys, by path (`di`, `steps[].what`).
#[derive(Clone, Debug)]
pub struct Kind {
    /// The `##` section it is under.
    pub section: String,
    pub keys: BTreeMap<String, Key>,
}

/// The whole document.
#[derive(Debug)]
pub struct Doc {
    /// By the `###` heading's text (backticks removed).
    pub kinds: BTreeMap<String, Kind>,
}

pub fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/json.md")
}

impl Doc {
    pub fn load() -> Doc {
        let text = std::fs::read_to_string(doc_path()).expect("docs/json.md");
        Doc::parse(&text).unwrap_or_else(|e| panic!("docs/json.md: {e}"))
    }

    pub fn parse(text: &str) -> Result<Doc, String> {
        let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
        let mut section = String::new();
        // The kind whose table comes next, and whether its table was read.
        let mut current: Option<(String, bool)> = None;
        let mut in_table = false;
        for (number, line) in text.lines().enumerate() {
            let at = |e: String| format!("line {}: {e}", number + 1);
            if in_table && !line.starts_with('|') {
                in_table = false;
                if let Some((_, read)) = current.as_mut() {
                    *read = true;
                }
            }
            if let Some(title) = line.strip_prefix("## ") {
                if let Some((previous, false)) = &current {
                    return Err(at(format!("{previous:?} has no table")));
                }
                section = title.replace('`', "");
                current = None;
                continue;
            }
            if let Some(title) = line.strip_prefix("### ") {
                let name = title.replace('`', "");
                if kinds.contains_key(&name) {
                    return Err(at(format!("{name:?} is documented twice")));
                }
                if let Some((previous, false)) = &current {
                    return Err(at(format!("{previous:?} has no table")));
                }
                current = Some((name, false));
                continue;
            }
            let Some((name, read)) = current.as_mut() else {
                continue;
            };
            if !line.starts_with('|') {
                continue;
            }
            if *read {
                return Err(at(format!("{name:?} has a second table")));
            }
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            if !in_table {
                if cells != ["key", "type", "meaning"] {
                    return Err(at(format!(
                        "a table's header must be key | type | meaning, not {cells:?}"
                    )));
                }
                in_table = true;
                continue;
            }
            if cells.iter().all(|c| c.chars().all(|ch| ch == '-')) {
                continue;
            }
            let [key, ty, meaning] = cells[..] else {
                return Err(at(format!("a row needs three cells: {line}")));
            };
            let path = key
                .strip_prefix('`')
                .and_then(|k| k.strip_suffix('`'))
                .ok_or_else(|| at(format!("a key is written as `key`: {key}")))?;
            if meaning.is_empty() {
                return Err(at(format!("{path} says nothing about what it means")));
            }
            let mut parts = ty.split(',').map(str::trim);
            let base = Type::parse(parts.next().unwrap_or_default()).map_err(at)?;
            let mut parsed = Key {
                ty: base,
                nullable: false,
                optional: false,
            };
            for modifier in parts {
                match modifier {
                    "null-able" => parsed.nullable = true,
                    "optional" => parsed.optional = true,
                    other => return Err(at(format!("unknown modifier {other:?} of {path}"))),
                }
            }
            let kind = kinds.entry(name.clone()).or_insert_with(|| Kind {
                section: section.clone(),
                keys: BTreeMap::new(),
            });
            if let Some((parent, _)) = path.rsplit_once('.') {
                // `steps[].what`: a key of the objects in the array
                // `steps`; `cert.signer`: a key of the object `cert`.
                let (parent, wanted) = match parent.strip_suffix("[]") {
                    Some(array) => (array, Type::Array(Box::new(Type::Object))),
                    None => (parent, Type::Object),
                };
                let parent_type = kind.keys.get(parent).map(|k| k.ty.clone());
                if parent_type != Some(wanted.clone()) {
                    return Err(at(format!(
                        "{path}: {parent} must come first, as {}",
                        wanted.name()
                    )));
                }
            }
            if kind.keys.insert(path.to_owned(), parsed).is_some() {
                return Err(at(format!("{path} is listed twice")));
            }
        }
        if let Some((name, false)) = &current {
            if !in_table {
                return Err(format!("{name:?} has no table"));
            }
        }
        if kinds.is_empty() {
            return Err("no kind of line is documented".into());
        }
        Ok(Doc { kinds })
    }

    pub fn kind(&self, name: &str) -> &Kind {
        self.kinds
            .get(name)
            .unwrap_or_else(|| panic!("docs/json.md documents no line {name:?}"))
    }
}

/// Real lines checked against the document, and what was seen of it.
pub struct Checker {
    pub doc: Doc,
    /// Per kind: the keys seen in a checked line.
    seen: BTreeMap<String, BTreeSet<String>>,
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

impl Checker {
    pub fn new() -> Checker {
        Checker::with(Doc::load())
    }

    pub fn with(doc: Doc) -> Checker {
        Checker {
            doc,
            seen: BTreeMap::new(),
        }
    }

    /// Holds `line` to the kind of line `name`: exactly its keys, each of
    /// its type (and nested objects the same way).
    #[track_caller]
    pub fn check(&mut self, name: &str, line: &Value) {
        let kind = self.doc.kind(name).clone();
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        check_object(&kind, "", line, &mut problems, &mut seen);
        assert!(
            problems.is_empty(),
            "a {name:?} line does not match docs/json.md:\n  {}\nthe line: {line}",
            problems.join("\n  ")
        );
        self.seen.entry(name.to_owned()).or_default().extend(seen);
    }

    /// Each line against `name`.
    #[track_caller]
    pub fn check_all(&mut self, name: &str, lines: &[Value]) {
        assert!(!lines.is_empty(), "no {name:?} line to check");
        for line in lines {
            self.check(name, line);
        }
    }

    /// Each of these kinds of line was checked at least once, and every
    /// documented key of it was there at least once: a key the document
    /// names but no command prints fails here.
    #[track_caller]
    pub fn assert_covered(&self, kinds: &[&str]) {
        let mut missing = Vec::new();
        for name in kinds {
            let kind = self.doc.kind(name);
            let Some(seen) = self.seen.get(*name) else {
                missing.push(format!("no {name:?} line was checked"));
                continue;
            };
            for key in kind.keys.keys() {
                if !seen.contains(key) {
                    missing.push(format!("{name:?}: no line had {key}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "docs/json.md documents more than the commands printed:\n  {}",
            missing.join("\n  ")
        );
    }
}

fn check_object(
    kind: &Kind,
    prefix: &str,
    value: &Value,
    problems: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) {
    let Some(object) = value.as_object() else {
        problems.push(format!("{prefix:?} is not an object: {value}"));
        return;
    };
    // The documented keys at this level: `steps[].what` under `steps[].`.
    let documented: BTreeMap<&str, &Key> = kind
        .keys
        .iter()
        .filter_map(|(path, key)| {
            let rest = path.strip_prefix(prefix)?;
            (!rest.contains('.')).then_some((rest, key))
        })
        .collect();
    for name in object.keys() {
        if !documented.contains_key(name.as_str()) {
            problems.push(format!("{prefix}{name} is not documented"));
        }
    }
    for (name, key) in &documented {
        let path = format!("{prefix}{name}");
        let Some(value) = object.get(*name) else {
            if !key.optional {
                problems.push(format!("{path} is missing"));
            }
            continue;
        };
        seen.insert(path.clone());
        if value.is_null() {
            if !key.nullable {
                problems.push(format!("{path} is null, which it may not be"));
            }
            continue;
        }
        if !key.ty.holds(value) {
            problems.push(format!("{path} is not {}: {value}", key.ty.name()));
            continue;
        }
        if key.ty == Type::Array(Box::new(Type::Object)) {
            for item in value.as_array().into_iter().flatten() {
                check_object(kind, &format!("{path}[]."), item, problems, seen);
            }
        }
        // An object whose keys are documented is held to them; one whose
        // keys are not (a request body) may hold anything.
        let inner = format!("{path}.");
        if key.ty == Type::Object && kind.keys.keys().any(|k| k.starts_with(&inner)) {
            check_object(kind, &inner, value, problems, seen);
        }
    }
}
