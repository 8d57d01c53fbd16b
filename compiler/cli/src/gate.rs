//! The policy gate's pieces of the CLI: the `--date` option (the day suppressions' `expires`
//! are compared with; hlc never reads the clock), rule metadata for SARIF, `hlc explain CODE`
//! for every code, and the config positions (`file:line:col`) behind an `out/` file.

use hlc_check::CheckOptions;
use hlc_diag::sarif::RuleMeta;
use hlc_diag::{Node, Severity, SourceMap, Value};
use hlc_model::types::Date;
use std::sync::OnceLock;

static OPTIONS: OnceLock<CheckOptions> = OnceLock::new();

/// Sets the check options from `--date` (once, before any command runs).
pub fn set_date(date: Option<&str>) -> Result<(), String> {
    let today = match date {
        Some(s) => Some(Date::parse(s).map_err(|e| format!("--date: {}", e.message))?),
        None => None,
    };
    let _ = OPTIONS.set(CheckOptions { today });
    Ok(())
}

/// The options every check of this run uses.
pub fn options() -> CheckOptions {
    OPTIONS.get().cloned().unwrap_or_default()
}

static LAB_RULES: std::sync::Mutex<Vec<RuleMeta>> = std::sync::Mutex::new(Vec::new());

/// Remembers the lab's own rules (`policy.rules`) for SARIF's rule metadata.
pub fn remember(lab: &hlc_model::Lab) {
    if let Ok(mut v) = LAB_RULES.lock() {
        *v = lab
            .policy
            .rules
            .iter()
            .map(|r| RuleMeta {
                id: r.code.value.clone(),
                name: String::new(),
                summary: r.message.value.clone(),
                doc: r.help.clone().unwrap_or_default(),
                severity: match r.severity.value {
                    hlc_model::Level::Error => Severity::Error,
                    _ => Severity::Warning,
                },
            })
            .collect();
    }
}

/// Metadata of every code hlc knows (and of the lab's own rules), for SARIF's
/// `tool.driver.rules`.
pub fn sarif_rules() -> Vec<RuleMeta> {
    let mut v: Vec<RuleMeta> = hlc_check::rules()
        .iter()
        .map(|r| RuleMeta {
            id: r.code.into(),
            name: r.name.into(),
            summary: r.summary.into(),
            doc: r.doc.into(),
            severity: r.severity,
        })
        .collect();
    v.extend(hlc_check::codes::codes().map(|c| RuleMeta {
        id: c.code.into(),
        name: String::new(),
        summary: c.summary.into(),
        doc: c.doc.into(),
        severity: Severity::Error,
    }));
    if let Ok(lab) = LAB_RULES.lock() {
        v.extend(lab.iter().cloned());
    }
    v
}

/// The node at a config path (`services.grafana`, names split at dots) in the evaluated value.
pub fn node_at<'a>(root: &'a Node, path: &str) -> Option<&'a Node> {
    let mut node = root;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let seg = seg.trim_matches('"');
        node = match &node.value {
            Value::Record(r) => r.get(seg)?,
            _ => return None,
        };
    }
    Some(node)
}

/// `file:line:col` of the value at a config path, if it has a position in a source file.
pub fn position(root: &Node, sources: &SourceMap, path: &str) -> Option<String> {
    let span = node_at(root, path)?.span?;
    let l = sources.locate(span)?;
    Some(format!("{}:{}:{}", l.file, l.line, l.column))
}
