//! The pure middle of the pipeline: evaluation, decoding and checking of a project.

use crate::timings;
use hlc_check::Analysis;
use hlc_diag::{Diagnostics, Node, SourceMap};
use hlc_eval::{EvalOptions, SourceRecord};
use hlc_model::Lab;
use std::path::Path;

pub struct Frontend {
    pub sources: SourceMap,
    pub records: Vec<SourceRecord>,
    pub value: Option<Node>,
    pub lab: Option<Lab>,
    pub analysis: Option<Analysis>,
    pub diags: Diagnostics,
}

/// Load, evaluate, decode and check. `Err` is a failure that is not about the configuration's
/// content (exit 2).
pub fn frontend(root: &Path, run_rules: bool) -> Result<Frontend, String> {
    let loaded = timings::time("load", || hlc_eval::load(root)).map_err(|e| e.to_string())?;
    // Sources evaluated before (same digest, same executable): the stored tree.
    let key = crate::evalcache::key(loaded.digest());
    let ev = timings::time_as(|| {
        if let Some(node) = key.as_deref().and_then(|k| crate::evalcache::get(root, k)) {
            return (hlc_eval::reuse(loaded, node), "eval-cached");
        }
        let ev = hlc_eval::evaluate(loaded, &EvalOptions::default());
        if let (Some(k), Some(node), false) = (&key, &ev.root, ev.diags.has_errors()) {
            crate::evalcache::put(root, k, node);
        }
        (ev, "eval")
    });
    let mut diags = ev.diags;
    let mut fe = Frontend {
        sources: ev.sources,
        records: ev.records,
        value: None,
        lab: None,
        analysis: None,
        diags: Diagnostics::new(),
    };
    if let Some(value) = ev.root {
        let (lab, decode_diags) = timings::time("decode", || hlc_model::decode(&value));
        diags.extend(decode_diags);
        if let (Some(lab), true) = (&lab, run_rules) {
            let (analysis, check_diags) = timings::time("check", || {
                hlc_check::check_with(lab, &crate::gate::options())
            });
            diags.extend(check_diags);
            crate::gate::remember(lab);
            fe.analysis = Some(analysis);
        }
        fe.lab = lab;
        fe.value = Some(value);
    }
    let sources = &fe.sources;
    // A refused or missing import evaluates to an empty stand-in so that one run reports the rest
    // of the configuration; what is wrong inside a stand-in (a missing field of `{}`) only
    // follows from the refusal, which is reported itself.
    diags.0.retain(|d| {
        !d.span
            .and_then(|s| sources.get(s.file))
            .is_some_and(|f| f.name.starts_with(hlc_eval::STAND_IN_PREFIX))
    });
    // A finding about a library default (a cluster's default pod CIDR) points at the user's
    // value it conflicts with; the default becomes a related label.
    for d in &mut diags.0 {
        let in_library = |s: hlc_diag::Span| {
            sources
                .get(s.file)
                .is_some_and(|f| f.name.starts_with("<hlc>/"))
        };
        let Some(primary) = d.span.filter(|s| in_library(*s)) else {
            continue;
        };
        if let Some(i) = d.labels.iter().position(|l| !in_library(l.span)) {
            let user = std::mem::replace(
                &mut d.labels[i],
                hlc_diag::Label {
                    span: primary,
                    message: "the library's default value, in effect here".into(),
                },
            );
            d.span = Some(user.span);
            d.notes.insert(0, user.message);
        }
    }
    diags.sort(|d| match d.span.and_then(|s| sources.locate(s)) {
        Some(l) => (l.file, l.line, l.column),
        None => (d.file.clone().unwrap_or_default(), 0, 0),
    });
    fe.diags = diags;
    Ok(fe)
}
