//! Terraform (issue 11).
//!
//! * Every name the Terraform renderers emit — provider source and version, provider
//!   arguments, resource and data-source types, argument and nested-block names at every depth,
//!   and the attributes that references (`${type.name.attr}`) read — is checked against the
//!   provider notes in `../shared/schemas/terraform/` (override with `HLC_SHARED_DIR`), parsed
//!   here: the upstream documentation's argument trees (`docs/…`), the Terraform examples there
//!   (HCL), and the tables of our own `NOTES.md`. The JSON checked is every committed
//!   `out/terraform/**.tf.json` of the reference lab, the examples, the build cases and the
//!   renderer's golden cases (the golden tests prove each is what the compiler writes).
//! * The build refuses an OCI node whose machine config, base64-encoded as `user_data`, would
//!   exceed OCI's 32,000-byte metadata limit (HLC707), and writes nothing.
//! * Acceptance: one more OCPU on an OCI node of the reference lab fails the build with HLC304 at
//!   the line edited; the reference lab's OCI Terraform matches its Talos configs.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{copy_tree, repo, run};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn shared() -> PathBuf {
    std::env::var_os("HLC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
        .join("schemas/terraform")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e} (set HLC_SHARED_DIR)", p.display()))
}

fn files(dir: &Path, pred: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if pred(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// The provider notes, parsed.

/// The documented names of one block body: arguments (with their own bodies when they are
/// nested blocks) and, at the top level, the attributes a reference may read.
#[derive(Default, Debug)]
struct Body {
    args: BTreeMap<String, Body>,
    /// Shown as a nested block (`name {` in an example, or sub-arguments in the docs).
    block: bool,
}

impl Body {
    fn at(&mut self, path: &[String]) -> &mut Body {
        let mut b = self;
        for p in path {
            b.block = true;
            b = b.args.entry(p.clone()).or_default();
        }
        b
    }
}

#[derive(Default, Debug)]
struct Schema {
    /// Resource types (and data sources, under `data.<type>`).
    types: BTreeMap<String, Body>,
    /// Read-only attributes per type (`id`, `public_ip`, …).
    attrs: BTreeMap<String, BTreeSet<String>>,
    /// Provider local name → arguments of its `provider` block.
    providers: BTreeMap<String, Body>,
    /// `source → version` of the provider releases the notes were written from.
    releases: BTreeMap<String, String>,
}

fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

fn ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn indent_of(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// An upstream documentation page: the `# <type>` title, then either an SDK-style "Argument
/// Reference" (nested `- `name` - (Optional) …` bullets; bullets whose text does not start with
/// `(` list allowed values, not arguments) with an "Attribute(s) Reference", or a generated
/// "Schema" (`### Required` / `### Optional` / `### Read-Only`, `### Nested Schema for `a.b``).
/// Code fences hold HCL examples. Returns the type, or `None` for a page without one.
fn parse_doc(text: &str, schema: &mut Schema, provider_page: Option<&str>) {
    #[derive(PartialEq, Clone, Copy)]
    enum Sec {
        None,
        Args,
        Attrs,
        Schema,
    }
    let mut ty: Option<String> = provider_page.map(|p| format!("provider:{p}"));
    let mut sec = Sec::None;
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut nested: Vec<String> = Vec::new();
    let mut read_only = false;
    let mut fence: Option<String> = None;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = match fence {
                Some(code) => {
                    parse_hcl(&code, schema);
                    None
                }
                None => Some(String::new()),
            };
            continue;
        }
        if let Some(code) = fence.as_mut() {
            code.push_str(line);
            code.push('\n');
            continue;
        }
        if ty.is_none() {
            if let Some(t) = line.strip_prefix("# ") {
                let t = t.trim().trim_start_matches("Resource: ").trim();
                if ident(t) {
                    ty = Some(t.to_string());
                }
            }
            continue;
        }
        let Some(t) = ty.clone() else { continue };
        if let Some(h) = line.strip_prefix("## ") {
            sec = match h.trim() {
                "Argument Reference" => Sec::Args,
                "Attributes Reference" | "Attribute Reference" => Sec::Attrs,
                "Schema" => Sec::Schema,
                _ => Sec::None,
            };
            stack.clear();
            nested.clear();
            read_only = false;
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            if sec == Sec::Schema {
                let h = h.trim();
                read_only = h == "Read-Only";
                if let Some(rest) = h.strip_prefix("Nested Schema for ") {
                    nested = backticked(rest)
                        .first()
                        .map(|p| p.split('.').map(str::to_string).collect())
                        .unwrap_or_default();
                    read_only = false;
                }
            }
            continue;
        }
        let trimmed = line.trim_start();
        let Some(item) = trimmed
            .strip_prefix("- `")
            .or_else(|| trimmed.strip_prefix("* `"))
        else {
            continue;
        };
        let Some((name, rest)) = item.split_once('`') else {
            continue;
        };
        if !ident(name) {
            continue;
        }
        match sec {
            Sec::Args | Sec::Attrs => {
                let ind = indent_of(line);
                while stack.last().is_some_and(|(i, _)| *i >= ind) {
                    stack.pop();
                }
                // Attributes are described without a `(Optional)`-style prefix.
                let rest = rest.trim_start();
                let is_arg = rest.starts_with("- (")
                    || rest.starts_with('(')
                    || (sec == Sec::Attrs && rest.starts_with("- "));
                stack.push((ind, name.to_string()));
                if !is_arg {
                    // An allowed value, or prose: keep it on the stack so that its own bullets
                    // stay below it, but do not record it.
                    stack.last_mut().unwrap().1 = String::new();
                    continue;
                }
                if stack.iter().any(|(_, n)| n.is_empty()) {
                    continue;
                }
                let path: Vec<String> = stack.iter().map(|(_, n)| n.clone()).collect();
                if sec == Sec::Args {
                    body_of(schema, &t).at(&path);
                } else if path.len() == 1 {
                    schema
                        .attrs
                        .entry(t.clone())
                        .or_default()
                        .insert(name.into());
                }
            }
            Sec::Schema if rest.trim_start().starts_with('(') => {
                if read_only && nested.is_empty() {
                    schema
                        .attrs
                        .entry(t.clone())
                        .or_default()
                        .insert(name.into());
                } else if !read_only {
                    let mut path = nested.clone();
                    path.push(name.to_string());
                    body_of(schema, &t).at(&path);
                }
            }
            _ => {}
        }
    }
}

fn body_of<'a>(schema: &'a mut Schema, ty: &str) -> &'a mut Body {
    match ty.strip_prefix("provider:") {
        Some(p) => schema.providers.entry(p.to_string()).or_default(),
        None => schema.types.entry(ty.to_string()).or_default(),
    }
}

/// The `resource`, `data` and `provider` blocks of an HCL example: `name {` opens a nested
/// block, `name =` is an argument (its value is not looked into).
fn parse_hcl(code: &str, schema: &mut Schema) {
    enum Frame {
        Body(String, Vec<String>),
        Opaque,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut heredoc: Option<String> = None;
    for raw in code.lines() {
        if let Some(end) = &heredoc {
            if raw.trim() == end {
                heredoc = None;
            }
            continue;
        }
        let line = raw.split(" #").next().unwrap_or(raw);
        let line = line.trim();
        if line.starts_with('#') || line.starts_with("//") || line.is_empty() {
            continue;
        }
        if let Some((_, tag)) = line.split_once("<<") {
            heredoc = Some(tag.trim().trim_start_matches('-').to_string());
        }
        let opens = line.matches(['{', '[']).count();
        let closes = line.matches(['}', ']']).count();
        let words: Vec<&str> = line.split_whitespace().collect();
        let top = stack.last();
        if top.is_none() {
            if opens > closes {
                let label = |i: usize| words.get(i).map(|w| w.trim_matches('"').to_string());
                let frame = match words.first().copied() {
                    Some("resource") => label(1).map(|t| Frame::Body(t, Vec::new())),
                    Some("data") => label(1).map(|t| Frame::Body(format!("data.{t}"), Vec::new())),
                    Some("provider") => {
                        label(1).map(|p| Frame::Body(format!("provider:{p}"), Vec::new()))
                    }
                    _ => None,
                };
                stack.push(frame.unwrap_or(Frame::Opaque));
                for _ in 1..opens - closes {
                    stack.push(Frame::Opaque);
                }
            }
            continue;
        }
        if let Some(Frame::Body(t, path)) = top {
            let (t, path) = (t.clone(), path.clone());
            let name = words.first().copied().unwrap_or("");
            if ident(name) && words.get(1) == Some(&"=") {
                let mut p = path.clone();
                p.push(name.to_string());
                body_of(schema, &t).at(&p);
            } else if ident(name) && words.get(1) == Some(&"{") && opens > closes {
                let mut p = path.clone();
                p.push(name.to_string());
                body_of(schema, &t).at(&p).block = true;
                stack.push(Frame::Body(t, p));
                for _ in 1..opens - closes {
                    stack.push(Frame::Opaque);
                }
                continue;
            }
        }
        if opens > closes {
            for _ in 0..opens - closes {
                stack.push(Frame::Opaque);
            }
        } else {
            for _ in 0..closes - opens {
                stack.pop();
            }
        }
    }
}

/// Our own NOTES.md: the provider (`Provider: `ns/name`, **latest release vX**`) and, under a
/// heading that names a resource type, the table rows' argument names.
fn parse_notes(text: &str, schema: &mut Schema) {
    let mut ty: Option<String> = None;
    let mut in_table_of_args = false;
    for line in text.lines() {
        if line.starts_with("Provider: `") {
            let source = backticked(line).first().map(|s| s.to_string());
            let version = line
                .split("latest release v")
                .nth(1)
                .map(|v| v.split(['*', ' ']).next().unwrap_or("").to_string());
            if let (Some(s), Some(v)) = (source, version) {
                schema.releases.insert(s, v);
            }
        }
        if line.starts_with('#') {
            ty = backticked(line)
                .into_iter()
                .find(|t| ident(t) && (t.starts_with("oci_") || t.starts_with("proxmox_")))
                .map(str::to_string);
            in_table_of_args = false;
            continue;
        }
        let Some(t) = &ty else { continue };
        if line.starts_with("| name |") {
            in_table_of_args = true;
            continue;
        }
        if !line.starts_with('|') {
            in_table_of_args = false;
            continue;
        }
        if in_table_of_args {
            let first = line.split('|').nth(1).unwrap_or("");
            for name in backticked(first).into_iter().filter(|n| ident(n)) {
                let t = t.clone();
                body_of(schema, &t).at(&[name.to_string()]);
            }
        }
    }
}

/// Resource and data types hlc emits that the provider notes in `../shared` do not cover
/// (Object Storage, for the backup bucket of `backups.stores`): their argument and block
/// names, written from the oracle/oci provider's documentation pages of the same names. Kept
/// here, short and explicit, so the check still covers every name of those types.
const OWN_NOTES: &[(&str, &[&str], &[&str])] = &[
    (
        "oci_objectstorage_bucket",
        &[
            "compartment_id",
            "name",
            "namespace",
            "access_type",
            "storage_tier",
            "versioning",
            "freeform_tags",
            "defined_tags",
            "kms_key_id",
            "auto_tiering",
            "metadata",
            "object_events_enabled",
        ],
        &["bucket_id", "id", "name", "namespace"],
    ),
    (
        "oci_objectstorage_object_lifecycle_policy",
        &[
            "bucket",
            "namespace",
            "rules",
            "rules.action",
            "rules.is_enabled",
            "rules.name",
            "rules.target",
            "rules.time_amount",
            "rules.time_unit",
            "rules.object_name_filter",
            "rules.object_name_filter.inclusion_prefixes",
            "rules.object_name_filter.exclusion_patterns",
            "rules.object_name_filter.inclusion_patterns",
        ],
        &["id"],
    ),
    (
        "oci_identity_policy",
        &[
            "compartment_id",
            "name",
            "description",
            "statements",
            "freeform_tags",
            "defined_tags",
        ],
        &["id"],
    ),
    (
        "data.oci_objectstorage_namespace",
        &["compartment_id"],
        &["namespace"],
    ),
];

/// The files of one Terraform module (a directory) as one document: Terraform reads them
/// together, so a variable or `required_providers` may live in a sibling file.
fn modules(docs: &[(String, Value)]) -> Vec<(String, Value)> {
    let mut by_dir: BTreeMap<String, Value> = BTreeMap::new();
    for (name, doc) in docs {
        let dir = name.rsplit_once('/').map_or("", |d| d.0).to_string();
        let merged = by_dir
            .entry(format!("{dir}/*.tf.json"))
            .or_insert_with(|| Value::Object(Default::default()));
        merge(merged, doc, 0);
    }
    by_dir.into_iter().collect()
}

/// Merges block maps (block type → type → name) of `from` into `into`.
fn merge(into: &mut Value, from: &Value, depth: usize) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) if depth < 3 => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(x) => merge(x, v, depth + 1),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}

fn load_schema() -> Schema {
    let root = shared();
    let mut schema = Schema::default();
    for (ty, args, attrs) in OWN_NOTES {
        let body = schema.types.entry(ty.to_string()).or_default();
        for a in args.iter() {
            let path: Vec<String> = a.split('.').map(str::to_string).collect();
            body.at(&path);
        }
        let names = schema.attrs.entry(ty.to_string()).or_default();
        names.extend(attrs.iter().map(|a| a.to_string()));
    }
    for provider in ["proxmox", "oci"] {
        let dir = root.join(provider);
        parse_notes(&read(&dir.join("NOTES.md")), &mut schema);
        for doc in files(&dir.join("docs"), &|p| {
            p.extension().is_some_and(|e| e == "md" || e == "markdown")
        }) {
            let text = read(&doc);
            let provider_page =
                (doc.file_name().is_some_and(|n| n == "index.md")).then_some(provider);
            parse_doc(&text, &mut schema, provider_page);
        }
        for ex in files(&dir.join("examples"), &|p| {
            p.extension().is_some_and(|e| e == "tf")
        }) {
            parse_hcl(&read(&ex), &mut schema);
        }
    }
    schema
}

// ---------------------------------------------------------------------------------------------
// The check.

/// Terraform's own keys (the language, not a provider): file root, `terraform`, `variable`,
/// `output`, and the meta-arguments every resource takes.
const ROOT_KEYS: &[&str] = &[
    "//",
    "terraform",
    "provider",
    "variable",
    "locals",
    "resource",
    "data",
    "output",
];
const TERRAFORM_KEYS: &[&str] = &["required_version", "required_providers"];
const VARIABLE_KEYS: &[&str] = &["type", "description", "default", "sensitive", "nullable"];
const OUTPUT_KEYS: &[&str] = &["value", "description", "sensitive"];
const META_ARGS: &[&str] = &["depends_on", "count", "for_each", "provider", "lifecycle"];

#[derive(Default)]
struct Report {
    /// The file being checked.
    file: String,
    problems: Vec<String>,
    /// Distinct `type.path` names found documented.
    checked: BTreeSet<String>,
    types: BTreeSet<String>,
}

fn walk(body: &Body, value: &Value, path: &str, top: bool, r: &mut Report) {
    let items: Vec<&Value> = match value {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    for item in items {
        let Value::Object(fields) = item else {
            let file = &r.file;
            r.problems
                .push(format!("{file}: {path}: a nested block must be an object"));
            continue;
        };
        for (k, v) in fields {
            let here = format!("{path}.{k}");
            if top && (META_ARGS.contains(&k.as_str()) || k == "//") {
                continue;
            }
            let Some(sub) = body.args.get(k) else {
                let file = &r.file;
                r.problems
                    .push(format!("{file}: {here}: not in the provider notes"));
                continue;
            };
            r.checked.insert(here.clone());
            if sub.block && !sub.args.is_empty() {
                walk(sub, v, &here, false, r);
            }
        }
    }
}

/// Every `${…}` reference of a string: `type.name.attr`, `data.type.name.attr`, `var.name`.
fn references(s: &str, out: &mut Vec<Vec<String>>) {
    for part in s.split("${").skip(1) {
        let expr = part.split('}').next().unwrap_or("");
        let mut cur = String::new();
        for c in expr.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                cur.push(c);
            } else {
                if cur.contains('.') && !cur.starts_with("path.") {
                    out.push(cur.split('.').map(str::to_string).collect());
                }
                cur.clear();
            }
        }
    }
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn check_file(schema: &Schema, doc: &Value, name: &str, r: &mut Report) {
    r.file = name.to_string();
    let Some(root) = doc.as_object() else {
        r.problems.push(format!("{name}: not a JSON object"));
        return;
    };
    let mut local_problems = Vec::new();
    let mut p = |m: String| local_problems.push(format!("{name}: {m}"));
    for k in root.keys() {
        if !ROOT_KEYS.contains(&k.as_str()) {
            p(format!("top-level `{k}` is not a Terraform block type"));
        }
    }
    // A module's other files may carry no `terraform` block (it is in `main.tf.json`).
    let tf = root.get("terraform").unwrap_or(&Value::Null);
    for k in tf
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_else(Vec::new)
    {
        if !TERRAFORM_KEYS.contains(&k.as_str()) {
            p(format!("terraform.{k} is not used by hlc"));
        }
    }
    let required = tf["required_providers"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if required.is_empty() {
        p("no required_providers".into());
    }
    for (local, req) in &required {
        let source = req["source"].as_str().unwrap_or("");
        match schema.releases.get(source) {
            None => p(format!(
                "provider `{local}` = `{source}` is not one of the documented providers {:?}",
                schema.releases.keys().collect::<Vec<_>>()
            )),
            Some(v) if req["version"].as_str() != Some(v.as_str()) => p(format!(
                "provider `{source}` is pinned to {}, the notes describe {v}",
                req["version"]
            )),
            Some(_) => {}
        }
    }
    r.problems.append(&mut local_problems);
    for (local, body) in root
        .get("provider")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !required.contains_key(local) {
            r.problems.push(format!(
                "{name}: provider `{local}` is configured but not required"
            ));
        }
        match schema.providers.get(local) {
            Some(doc) => walk(doc, body, &format!("provider.{local}"), false, r),
            None => r.problems.push(format!(
                "{name}: provider `{local}` has no documented arguments"
            )),
        }
    }
    for (section, keys) in [("variable", VARIABLE_KEYS), ("output", OUTPUT_KEYS)] {
        for (n, body) in root
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for k in body
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_else(Vec::new)
            {
                if !keys.contains(&k.as_str()) {
                    r.problems.push(format!(
                        "{name}: {section}.{n}.{k} is not a {section} argument"
                    ));
                }
            }
        }
    }
    let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (section, prefix) in [("resource", ""), ("data", "data.")] {
        for (ty, blocks) in root
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let key = format!("{prefix}{ty}");
            let Some(doc) = schema.types.get(&key) else {
                r.problems.push(format!(
                    "{name}: {section} type `{ty}` is not in the provider notes"
                ));
                continue;
            };
            r.types.insert(key.clone());
            for (n, body) in blocks.as_object().into_iter().flatten() {
                declared.entry(key.clone()).or_default().insert(n.clone());
                walk(doc, body, &key, true, r);
            }
        }
    }
    let vars: BTreeSet<String> = root
        .get("variable")
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut all = Vec::new();
    strings(doc, &mut all);
    let mut refs = Vec::new();
    for s in &all {
        references(s, &mut refs);
    }
    for rf in refs {
        let rf: Vec<&str> = rf.iter().map(String::as_str).collect();
        let (ty, inst, attr) = match rf.as_slice() {
            ["var", v, ..] => {
                if !vars.contains(*v) {
                    r.problems
                        .push(format!("{name}: `var.{v}` is not declared"));
                }
                continue;
            }
            ["data", t, n, a, ..] => (format!("data.{t}"), *n, *a),
            [t, n, a, ..] => (t.to_string(), *n, *a),
            _ => continue,
        };
        if !declared.get(&ty).is_some_and(|d| d.contains(inst)) {
            r.problems
                .push(format!("{name}: reference to undeclared `{ty}.{inst}`"));
            continue;
        }
        let documented = attr == "id"
            || schema
                .types
                .get(&ty)
                .is_some_and(|b| b.args.contains_key(attr))
            || schema.attrs.get(&ty).is_some_and(|a| a.contains(attr));
        if documented {
            r.checked.insert(format!("{ty}.{attr} (read)"));
        } else {
            r.problems.push(format!(
                "{name}: `{ty}.{inst}.{attr}` reads an attribute not in the provider notes"
            ));
        }
    }
}

/// The committed Terraform JSON of every valid project and of the renderer's golden cases.
fn rendered() -> Vec<(String, Value)> {
    let repo = repo();
    let mut roots = vec![repo.join("out")];
    for parent in [
        "examples",
        "tests/cases/build",
        "compiler/render/tests/golden",
    ] {
        for e in std::fs::read_dir(repo.join(parent)).unwrap() {
            roots.push(e.unwrap().path().join("out"));
        }
    }
    let mut out = Vec::new();
    for root in roots {
        for f in files(&root.join("terraform"), &|p| {
            p.to_string_lossy().ends_with(".tf.json")
        }) {
            let text = read(&f);
            let doc: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let name = f.strip_prefix(&repo).unwrap_or(&f).display().to_string();
            out.push((name, doc));
        }
    }
    out
}

#[test]
fn the_notes_parse_into_a_usable_schema() {
    let s = load_schema();
    // What the renderers rely on, read from the notes (not a copy of them: each of these is
    // found by the parser above in the upstream pages, examples or tables).
    let vm = &s.types["proxmox_virtual_environment_vm"];
    assert!(vm.args["cdrom"].block && vm.args["cdrom"].args.contains_key("interface"));
    assert!(vm.args["disk"].args.contains_key("datastore_id"));
    assert!(!vm.args["bios"].block, "allowed values are not arguments");
    let inst = &s.types["oci_core_instance"];
    assert!(inst.args.contains_key("preserve_boot_volume"));
    assert!(
        inst.args["launch_volume_attachments"].args["launch_create_volume_details"]
            .args
            .contains_key("size_in_gbs")
    );
    assert!(s.attrs["oci_core_instance"].contains("public_ip"));
    let sl = &s.types["oci_core_security_list"];
    assert!(sl.args["ingress_security_rules"].args["tcp_options"]
        .args
        .contains_key("min"));
    assert!(s.providers["proxmox"].args.contains_key("endpoint"));
    assert!(s.providers["oci"].args.contains_key("region"));
    assert_eq!(s.releases.len(), 2, "{:?}", s.releases);
}

#[test]
fn every_emitted_name_is_in_the_provider_notes() {
    let schema = load_schema();
    let docs = rendered();
    assert!(
        docs.len() >= 5,
        "too few Terraform files found: {}",
        docs.len()
    );
    let mut r = Report::default();
    for (name, doc) in &modules(&docs) {
        check_file(&schema, doc, name, &mut r);
    }
    for ty in [
        "proxmox_virtual_environment_vm",
        "proxmox_virtual_environment_download_file",
        "oci_core_instance",
        "oci_core_security_list",
        "oci_budget_alert_rule",
    ] {
        assert!(r.types.contains(ty), "no rendered `{ty}` was checked");
    }
    assert!(
        r.checked.len() > 100,
        "only {} names checked",
        r.checked.len()
    );
    assert!(
        r.problems.is_empty(),
        "{} problem(s):\n{}",
        r.problems.len(),
        r.problems.join("\n")
    );
}

#[test]
fn the_check_catches_what_the_notes_do_not_document() {
    let schema = load_schema();
    let (name, mut doc) = rendered()
        .into_iter()
        .find(|(n, _)| n == "out/terraform/proxmox/main.tf.json")
        .expect("the reference lab's Proxmox Terraform");
    let vm = doc["resource"]["proxmox_virtual_environment_vm"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    vm["cpu"]["corez"] = 2.into(); // a typo in a nested block
    vm["disk"][0]["bios"] = "ovmf".into(); // a real name at the wrong depth
    vm["agent"] = "true".into(); // an attribute where the provider wants a block
    doc["data"] = serde_json::json!({"sops_file": {"x": {"source_file": "a"}}});
    doc["output"]["x"] = serde_json::json!({"value": "${proxmox_virtual_environment_vm.nope.id}"});
    doc["terraform"]["required_providers"]["proxmox"]["version"] = "0.93.1".into();
    let mut r = Report::default();
    check_file(&schema, &doc, &name, &mut r);
    let all = r.problems.join("\n");
    for needle in [
        ".cpu.corez",
        ".disk.bios",
        ".agent: a nested block must be an object",
        "data type `sops_file`",
        "undeclared `proxmox_virtual_environment_vm.nope`",
        "pinned to \"0.93.1\"",
    ] {
        assert!(all.contains(needle), "`{needle}` not reported in:\n{all}");
    }
}

// ---------------------------------------------------------------------------------------------
// Builds of copies of the reference lab.

fn lab_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("configs"), &dir.path().join("configs"));
    dir
}

fn line_of(text: &str, needle: &str, after: &str) -> usize {
    let start = text
        .find(after)
        .unwrap_or_else(|| panic!("`{after}` not found"));
    let at = start
        + text[start..]
            .find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not found"));
    text[..at].lines().count() + usize::from(text[..at].ends_with('\n'))
}

#[test]
fn one_more_ocpu_on_an_oci_node_fails_the_build_at_that_line() {
    for node in ["oci-node-1", "oci-node-2"] {
        let dir = lab_copy();
        let path = dir.path().join("configs/machines.ncl");
        let text = read(&path);
        let start = text.find(&format!("{node} = a1 & {{")).unwrap();
        let cpu = start + text[start..].find("cpu = 1,").unwrap();
        let edited = format!(
            "{}cpu = 2,{}",
            &text[..cpu],
            &text[cpu + "cpu = 1,".len()..]
        );
        std::fs::write(&path, &edited).unwrap();
        let line = line_of(&edited, "cpu = 2,", &format!("{node} = a1"));
        let r = run(&["build", "--format", "json"], dir.path());
        assert_eq!(r.code, 1, "{node}: {}", r.stderr);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap();
        let hits: Vec<&Value> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "HLC304")
            .collect();
        assert_eq!(hits.len(), 1, "{node}: {}", r.stdout);
        assert_eq!(hits[0]["location"]["file"], "configs/machines.ncl");
        assert_eq!(hits[0]["location"]["line"], line as u64, "{node}");
        assert_eq!(hits[0]["path"], format!("machines.{node}.cpu"));
        assert!(
            !dir.path().join("out").exists(),
            "{node}: a failed build wrote out/"
        );
    }
}

#[test]
fn oci_terraform_agrees_with_the_talos_configs() {
    let repo = repo();
    let tf: Value =
        serde_json::from_str(&read(&repo.join("out/terraform/oci/main.tf.json"))).unwrap();
    let ids = hlc_sops::parse_identities(&read(&repo.join("configs/secrets/demo.agekey"))).unwrap();
    let instances = tf["resource"]["oci_core_instance"].as_object().unwrap();
    assert!(!instances.is_empty());
    for (id, inst) in instances {
        let name = inst["display_name"].as_str().unwrap();
        assert_eq!(inst["create_vnic_details"]["hostname_label"], name, "{id}");
        let cluster = inst["freeform_tags"]["cluster"].as_str().unwrap();
        let file = repo.join(format!("out/talos/{cluster}/{name}.yaml"));
        let dec = hlc_sops::decrypt(&std::fs::read(&file).unwrap(), hlc_sops::Format::Yaml, &ids)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let docs: Vec<Value> = dec
            .document
            .docs
            .iter()
            .map(|m| hlc_render::talos::bundle::sops_to_json(&hlc_sops::Value::Map(m.clone())))
            .collect();
        // The installer the config installs is the one named with the image variable.
        let installer = docs[0]["machine"]["install"]["image"].as_str().unwrap();
        let var = inst["source_details"]["source_id"].as_str().unwrap();
        let var = var.trim_start_matches("${var.").trim_end_matches('}');
        let described = tf["variable"][var]["description"].as_str().unwrap();
        assert!(
            described.contains(installer),
            "{id}: {described} vs {installer}"
        );
        // Same address and hostname.
        let ip = inst["create_vnic_details"]["private_ip"].as_str().unwrap();
        let text = serde_json::to_string(&docs).unwrap();
        assert!(
            text.contains(&format!("{ip}/")),
            "{id}: {ip} not in its machine config"
        );
        assert!(
            docs.iter()
                .any(|d| d["kind"] == "HostnameConfig" && d["hostname"] == name),
            "{id}: hostname"
        );
        // What the operator feeds to the variable (`sops decrypt` prints hlc-sops' layout) fits
        // OCI's metadata once base64-encoded — the build checks it (HLC707).
        let plain = hlc_sops::Format::Yaml.emit(&dec.document).unwrap();
        let encoded = hlc_render::terraform::base64_len(plain.len());
        eprintln!(
            "{name}: machine config {} bytes, user_data {encoded} bytes",
            plain.len()
        );
        assert!(
            encoded <= hlc_render::terraform::OCI_METADATA_LIMIT,
            "{id}: {encoded}"
        );
        // user_data is the sensitive variable, never the config.
        let ud = inst["metadata"]["user_data"].as_str().unwrap();
        let v = ud
            .trim_start_matches("${base64encode(var.")
            .trim_end_matches(")}");
        assert_eq!(tf["variable"][v]["sensitive"], true, "{id}");
        assert!(tf["variable"][v]["description"]
            .as_str()
            .unwrap()
            .contains(&format!("sops decrypt ../../talos/{cluster}/{name}.yaml")));
    }
}

#[test]
fn a_machine_config_too_big_for_oci_user_data_fails_the_build() {
    let dir = lab_copy();
    let path = dir.path().join("configs/clusters.ncl");
    let text = read(&path);
    // 1,500 extra API server certificate names on the cloud cluster: each lands in the machine
    // config twice (API server and Talos API SANs), far beyond 24,000 plaintext bytes.
    let sans: Vec<String> = (0..1500)
        .map(|i| format!("\"node-{i:04}.cloud.example.org\""))
        .collect();
    let anchor = "cloud = {";
    let at = text.find(anchor).expect("the cloud cluster") + anchor.len();
    let edited = format!(
        "{}\n    cert_sans = [{}],{}",
        &text[..at],
        sans.join(", "),
        &text[at..]
    );
    std::fs::write(&path, edited).unwrap();
    let r = run(&["build", "--format", "json"], dir.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let diags = doc["diagnostics"].as_array().unwrap();
    assert!(diags.iter().all(|d| d["code"] == "HLC707"), "{}", r.stdout);
    let paths: Vec<&str> = diags.iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        ["machines.oci-node-1", "machines.oci-node-2"],
        "{}",
        r.stdout
    );
    let machines = read(&dir.path().join("configs/machines.ncl"));
    for (d, node) in diags.iter().zip(["oci-node-1", "oci-node-2"]) {
        let msg = d["message"].as_str().unwrap();
        assert!(msg.contains(&format!("`{node}`")), "{msg}");
        assert!(msg.contains("more than the 32000 bytes"), "{msg}");
        // At the node's `cluster` line, with the SANs labelled.
        let line = line_of(&machines, "cluster = \"cloud\"", &format!("{node} = a1"));
        assert_eq!(d["location"]["file"], "configs/machines.ncl");
        assert_eq!(d["location"]["line"], line as u64, "{node}");
        assert!(
            d["related"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["message"] == "1500 certificate SANs of cluster `cloud`"),
            "{d}"
        );
    }
    assert!(
        !dir.path().join("out").exists(),
        "a failed build wrote out/"
    );
}
