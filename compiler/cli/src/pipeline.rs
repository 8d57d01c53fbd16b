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
    let ev = timings::time("eval", || {
        hlc_eval::evaluate(loaded, &EvalOptions::default())
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
    diags.sort(|d| match d.span.and_then(|s| sources.locate(s)) {
        Some(l) => (l.file, l.line, l.column),
        None => (d.file.clone().unwrap_or_default(), 0, 0),
    });
    fe.diags = diags;
    Ok(fe)
}
