//! `--format sarif`: diagnostics as a SARIF 2.1.0 log, the format GitHub code scanning ingests
//! (`github/codeql-action/upload-sarif`).
//!
//! One run, tool `hlc`. `tool.driver.rules` holds the metadata of every rule the caller knows
//! (code, name, summary, documentation as markdown, default level) plus a bare entry for any
//! other code that a result uses, so that every `ruleIndex` resolves. A result's location is the
//! `.ncl` file, line and column of the value (`uri` relative to the project root, which is the
//! repository root in the usual layout), with the config path as a logical location; a finding
//! about a file that is not a config source (`out/…`) names that file without a region; a
//! finding without any file points at `configs/main.ncl`, line 1 (GitHub drops results without
//! a location). Related spans become `relatedLocations`.
//!
//! Output is deterministic: results keep the order of the input, rules are sorted by code.

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{Location, SourceMap};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What a SARIF log says about a rule (`reportingDescriptor`).
#[derive(Clone, Debug)]
pub struct RuleMeta {
    /// Stable code, the SARIF rule id (`HLC401`).
    pub id: String,
    /// Kebab-case name (`admin-service-public`); may be empty.
    pub name: String,
    /// One line.
    pub summary: String,
    /// Full documentation, markdown; may be empty.
    pub doc: String,
    /// Default severity.
    pub severity: Severity,
}

/// The SARIF `$schema` URI written into the log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where results without any file point (GitHub requires a location).
pub const FALLBACK_FILE: &str = "configs/main.ncl";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A file name from the source map is a repository-relative URI unless it is a library file
/// (`<hlc>/…`) or another synthetic name (`<refused import …>`).
fn is_repo_file(name: &str) -> bool {
    !name.contains('<')
}

fn uri(name: &str) -> String {
    // Percent-encode what cannot appear raw in a URI reference path.
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'@'
            | b'+' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn physical(loc: &Location) -> Value {
    json!({
        "artifactLocation": { "uri": uri(&loc.file), "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": loc.line,
            "startColumn": loc.column,
            "endLine": loc.end_line.max(loc.line),
            "endColumn": if loc.end_line > loc.line { loc.end_column } else { loc.end_column.max(loc.column) },
        }
    })
}

fn file_only(file: &str) -> Value {
    json!({ "artifactLocation": { "uri": uri(file), "uriBaseId": "%SRCROOT%" } })
}

fn location(d: &Diagnostic, sources: &SourceMap) -> Value {
    let mut loc = Map::new();
    let located = d
        .span
        .and_then(|s| sources.locate(s))
        .filter(|l| is_repo_file(&l.file));
    let phys = match (&located, &d.file) {
        (Some(l), _) => physical(l),
        (None, Some(f)) if is_repo_file(f) => file_only(f),
        _ => json!({
            "artifactLocation": { "uri": FALLBACK_FILE, "uriBaseId": "%SRCROOT%" },
            "region": { "startLine": 1 }
        }),
    };
    loc.insert("physicalLocation".into(), phys);
    if let Some(p) = &d.path {
        loc.insert(
            "logicalLocations".into(),
            json!([{ "fullyQualifiedName": p, "kind": "member" }]),
        );
    }
    Value::Object(loc)
}

fn message(d: &Diagnostic) -> String {
    let mut m = d.message.clone();
    if let Some(p) = &d.path {
        m.push_str(&format!("\n(at config path `{p}`)"));
    }
    if let Some(h) = &d.help {
        m.push_str(&format!("\nhelp: {h}"));
    }
    m
}

/// The SARIF 2.1.0 log of a run, pretty-printed, followed by a newline.
pub fn sarif(
    diags: &[Diagnostic],
    sources: &SourceMap,
    rules: &[RuleMeta],
    tool_version: &str,
) -> String {
    let mut known: BTreeMap<&str, &RuleMeta> = BTreeMap::new();
    for r in rules {
        known.entry(r.id.as_str()).or_insert(r);
    }
    let mut ids: BTreeMap<String, Value> = BTreeMap::new();
    for r in known.values() {
        let mut rule = json!({
            "id": r.id,
            "shortDescription": { "text": r.summary },
            "defaultConfiguration": { "level": level(r.severity) },
        });
        if !r.name.is_empty() {
            rule["name"] = json!(r.name);
        }
        if !r.doc.is_empty() {
            rule["fullDescription"] = json!({ "text": r.summary });
            rule["help"] = json!({ "text": r.doc.trim(), "markdown": r.doc.trim() });
        }
        ids.insert(r.id.clone(), rule);
    }
    for d in diags {
        ids.entry(d.code.clone()).or_insert_with(|| {
            json!({
                "id": d.code,
                "shortDescription": { "text": format!("{} (run `hlc explain {}`)", d.code, d.code) },
            })
        });
    }
    let index: BTreeMap<&str, usize> = ids
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut r = json!({
                "ruleId": d.code,
                "ruleIndex": index[d.code.as_str()],
                "level": level(d.severity),
                "message": { "text": message(d) },
                "locations": [location(d, sources)],
            });
            let related: Vec<Value> = d
                .labels
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let loc = sources.locate(l.span).filter(|l| is_repo_file(&l.file))?;
                    Some(json!({
                        "id": i,
                        "physicalLocation": physical(&loc),
                        "message": { "text": l.message },
                    }))
                })
                .collect();
            if !related.is_empty() {
                r["relatedLocations"] = Value::Array(related);
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "hlc",
                "version": tool_version,
                "rules": ids.into_values().collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the project root (the directory holding configs/)" } } },
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, Span};

    #[test]
    fn results_point_at_file_line_column_and_rules_resolve() {
        let mut sources = SourceMap::new();
        let f = sources.add(SourceFile::new(
            "configs/a b.ncl",
            "x = 1,\nhost = \"G\",\n",
        ));
        let d = Diagnostic::error("HLC106", "bad hostname")
            .with_span(Some(Span {
                file: f,
                start: 14,
                end: 17,
            }))
            .with_path("services.g.hostname")
            .with_help("lower case");
        let w = Diagnostic::warning("HLC502", "edited").with_file("out/x.json");
        let rules = [RuleMeta {
            id: "HLC502".into(),
            name: "out-drift".into(),
            summary: "s".into(),
            doc: "# doc".into(),
            severity: Severity::Error,
        }];
        let v: Value = serde_json::from_str(&sarif(&[d, w], &sources, &rules, "0.1.0")).unwrap();
        let run = &v["runs"][0];
        let r0 = &run["results"][0];
        let region = &r0["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            r0["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "configs/a%20b.ncl"
        );
        assert_eq!(
            (region["startLine"].as_u64(), region["startColumn"].as_u64()),
            (Some(2), Some(8))
        );
        assert_eq!(region["endColumn"], 11);
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for r in run["results"].as_array().unwrap() {
            let i = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], r["ruleId"]);
        }
        assert_eq!(run["results"][1]["level"], "warning");
        assert!(run["results"][1]["locations"][0]["physicalLocation"]
            .get("region")
            .is_none());
    }
}
