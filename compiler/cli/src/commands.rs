//! One function per subcommand; each returns the process exit code.

use crate::fastpath;
use crate::output::{self, fatal};
use crate::pipeline::{frontend, Frontend};
use crate::project;
use crate::timings;
use crate::{DiagFormat, GraphFormat};
use hlc_diag::{Diagnostic, Value};
use hlc_out::{DriftKind, OutError};
use std::io::Write;
use std::path::{Path, PathBuf};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn start(root: Option<PathBuf>, rules: bool) -> Result<(PathBuf, Frontend), u8> {
    let root = project::find_root(root).map_err(|m| fatal(&m))?;
    let mut fe = frontend(&root, rules).map_err(|m| fatal(&m))?;
    if let (Some(lab), true) = (&fe.lab, rules) {
        // The keyless checks of the secret inputs (configs/secrets/).
        let d = crate::secrets_stage::check_inputs(&root, lab).map_err(|m| fatal(&m))?;
        fe.diags.extend(d);
    }
    Ok((root, fe))
}

fn out_error(e: OutError) -> u8 {
    match e {
        OutError::Io { .. } => fatal(&e.to_string()),
        other => {
            eprintln!("error[HLC501]: {other}");
            1
        }
    }
}

/// Why rendering and planning stopped: a failure already reported (its exit code), or findings
/// of the secrets stage that the caller reports together with the configuration's, in the
/// output format asked for.
enum Stop {
    Exit(u8),
    Diags(Vec<Diagnostic>),
}

/// Renders the artifacts of a checked lab, with the secrets stage (decrypt the inputs, encrypt
/// the secret artifacts, `.sops.yaml`, leak guard: see `secrets_stage`).
fn render(root: &Path, fe: &Frontend) -> Result<Vec<hlc_out::Artifact>, Stop> {
    let (Some(lab), Some(analysis)) = (&fe.lab, &fe.analysis) else {
        return Err(Stop::Exit(fatal("internal error: no model to render")));
    };
    let ctx = hlc_render::RenderContext {
        waves: analysis.waves.clone(),
        order: analysis.order.clone(),
        ..Default::default()
    };
    match timings::time("render", || crate::secrets_stage::run(root, lab, ctx)) {
        Ok(a) => Ok(a),
        Err(crate::secrets_stage::StageError::Fatal(m)) => Err(Stop::Exit(fatal(&m))),
        Err(crate::secrets_stage::StageError::Diags(d)) => Err(Stop::Diags(d)),
    }
}

/// Renders and plans. Reports nothing itself: a configuration with errors stops with
/// `Stop::Diags` (empty: the configuration's own diagnostics are the report).
fn plan_only(root: &Path, fe: &Frontend) -> Result<hlc_out::Plan, Stop> {
    if fe.diags.has_errors() {
        return Err(Stop::Diags(Vec::new()));
    }
    let artifacts = render(root, fe)?;
    let inputs = timings::time("hash", || project::inputs(root, &fe.records))
        .map_err(|m| Stop::Exit(fatal(&m)))?;
    timings::time("plan", || {
        hlc_out::plan(&root.join("out"), artifacts, inputs, VERSION)
    })
    .map_err(|e| Stop::Exit(out_error(e)))
}

/// Renders and plans, then reports the configuration's diagnostics and any of the secrets stage
/// in one document of `format`.
fn plan(root: &Path, fe: &Frontend, format: DiagFormat) -> Result<hlc_out::Plan, u8> {
    match plan_only(root, fe) {
        Ok(p) => {
            output::diagnostics(&fe.diags.0, &fe.sources, format);
            Ok(p)
        }
        Err(Stop::Exit(c)) => Err(c),
        Err(Stop::Diags(d)) => {
            let mut all = fe.diags.0.clone();
            all.extend(d);
            output::diagnostics(&all, &fe.sources, format);
            Err(1)
        }
    }
}

pub fn build(root: Option<PathBuf>, check: bool, format: DiagFormat) -> u8 {
    // No-op rebuild: out/ provably up to date, nothing evaluated (the rule: fastpath.rs).
    if !check && format == DiagFormat::Human {
        if let Ok(r) = project::find_root(root.clone()) {
            if let Some(n) = timings::time("fast-path", || fastpath::up_to_date(&r, VERSION)) {
                eprintln!("out/ is up to date ({n} files)");
                return 0;
            }
            fastpath::forget(&r);
        }
    }
    let (root, fe) = match start(root, true) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if check && format != DiagFormat::Human {
        return build_check_report(&root, &fe, format);
    }
    let plan = match plan(&root, &fe, format) {
        Ok(p) => p,
        Err(c) => return c,
    };
    if check {
        let drift = hlc_out::check(&plan);
        if drift.is_empty() {
            return 0;
        }
        eprintln!(
            "error[HLC502]: out/ is not what `hlc build` produces ({} paths differ):",
            drift.len()
        );
        for d in &drift {
            eprintln!("  out/{d}");
        }
        eprintln!("  = help: run `hlc build` and commit out/");
        return 1;
    }
    match timings::time("write", || hlc_out::apply(plan)) {
        Ok(r) => {
            fastpath::record(&root);
            let changed = r.created.len() + r.updated.len() + r.removed.len();
            if changed == 0 && !r.lock_written {
                eprintln!("out/ is up to date ({} files)", r.unchanged);
            } else {
                eprintln!(
                    "wrote out/: {} created, {} updated, {} removed, {} unchanged",
                    r.created.len(),
                    r.updated.len(),
                    r.removed.len(),
                    r.unchanged
                );
            }
            0
        }
        Err(e) => out_error(e),
    }
}

/// `hlc build --check` in a machine format: the configuration's findings and every path of
/// `out/` that differs (HLC502) in one document.
fn build_check_report(root: &Path, fe: &Frontend, format: DiagFormat) -> u8 {
    let mut diags = fe.diags.0.clone();
    match plan_only(root, fe) {
        Ok(plan) => diags.extend(hlc_out::check(&plan).iter().map(|d| {
            Diagnostic::error("HLC502", format!("out/{d}"))
                .with_file(format!("out/{}", d.path))
                .with_help("run `hlc build` and commit out/")
        })),
        Err(Stop::Exit(c)) => return c,
        Err(Stop::Diags(d)) => diags.extend(d),
    }
    output::diagnostics(&diags, &fe.sources, format);
    u8::from(diags.iter().any(Diagnostic::is_error))
}

fn drift_diagnostic(d: &hlc_out::Drift) -> Diagnostic {
    let file = format!("out/{}", d.path);
    match &d.kind {
        k if d.is_input_drift() => {
            let _ = k;
            Diagnostic::error("HLC503", format!("{d}"))
                .with_file(file)
                .with_help("the configuration changed since out/ was built: run `hlc build` and commit out/")
        }
        DriftKind::LockMissing => Diagnostic::error("HLC504", "out/hlc.lock is missing: out/ was never built")
            .with_file("out/hlc.lock")
            .with_help("run `hlc build` and commit out/"),
        _ => Diagnostic::error("HLC502", format!("out/{d}"))
            .with_file(file)
            .with_help("files in out/ are generated: do not edit them; change configs/ and run `hlc build`"),
    }
}

pub fn check(root: Option<PathBuf>, format: DiagFormat) -> u8 {
    let (root, mut fe) = match start(root, true) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let inputs = match timings::time("hash", || project::inputs(&root, &fe.records)) {
        Ok(i) => i,
        Err(m) => return fatal(&m),
    };
    match timings::time("verify", || hlc_out::verify(&root.join("out"), &inputs)) {
        Ok(drift) => fe.diags.extend(drift.iter().map(drift_diagnostic)),
        Err(e) => return out_error(e),
    }
    output::diagnostics(&fe.diags.0, &fe.sources, format);
    u8::from(fe.diags.has_errors())
}

pub fn eval(root: Option<PathBuf>, path: Option<String>, format: DiagFormat) -> u8 {
    let (_, fe) = match start(root, false) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Some(value) = &fe.value {
        let mut node = value;
        if let Some(p) = &path {
            for seg in p.split('.').filter(|s| !s.is_empty()) {
                match &node.value {
                    Value::Record(r) if r.contains_key(seg) => node = &r[seg],
                    _ => {
                        output::diagnostics(&fe.diags.0, &fe.sources, format);
                        eprintln!("error: no value at config path `{p}` (`{seg}` not found)");
                        return 2;
                    }
                }
            }
        }
        let mut s = serde_json::to_string_pretty(node).unwrap_or_default();
        s.push('\n');
        let _ = std::io::stdout().lock().write_all(s.as_bytes());
    }
    output::diagnostics(&fe.diags.0, &fe.sources, format);
    u8::from(fe.diags.has_errors())
}

pub fn graph(root: Option<PathBuf>, format: GraphFormat) -> u8 {
    let (_, fe) = match start(root, true) {
        Ok(x) => x,
        Err(c) => return c,
    };
    output::diagnostics(&fe.diags.0, &fe.sources, DiagFormat::Human);
    let (Some(lab), Some(analysis)) = (&fe.lab, &fe.analysis) else {
        return 1;
    };
    let text = match format {
        GraphFormat::Dot => hlc_check::to_dot(lab, analysis),
        GraphFormat::Mermaid => hlc_check::to_mermaid(lab, analysis),
        GraphFormat::Json => hlc_check::to_json(lab, analysis),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    u8::from(fe.diags.has_errors())
}

pub fn diff(root: Option<PathBuf>, format: DiagFormat) -> u8 {
    let (root, fe) = match start(root, true) {
        Ok(x) => x,
        Err(c) => return c,
    };
    match plan(&root, &fe, format) {
        Ok(p) => {
            let _ = std::io::stdout().lock().write_all(p.diff().as_bytes());
            0
        }
        Err(c) => c,
    }
}

pub fn explain(root: Option<PathBuf>, what: &str) -> u8 {
    if let Some(text) = hlc_check::explain(what) {
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
        return 0;
    }
    let rel = what.strip_prefix("out/").unwrap_or(what);
    let root = match project::find_root(root) {
        Ok(r) => r,
        Err(m) => return fatal(&format!("`{what}` is not a rule code, and {m}")),
    };
    match hlc_out::read_lock_file(&root.join("out")) {
        Ok(Some(lock)) => match lock.entry(rel) {
            Some(e) => {
                println!(
                    "out/{}\n  target: {}\n  sha256: {}\n  derived from:",
                    e.path.as_str(),
                    e.target,
                    e.sha256
                );
                // Map the lock's config paths to the .ncl lines that set them (evaluating the
                // current configuration; a path it no longer has is printed without position).
                let fe = frontend(&root, false).ok();
                let width = e.sources.iter().map(|s| s.len()).max().unwrap_or(0);
                for s in &e.sources {
                    let pos = fe
                        .as_ref()
                        .and_then(|fe| crate::gate::position(fe.value.as_ref()?, &fe.sources, s));
                    match pos {
                        Some(p) => println!("    {s:<width$}  {p}"),
                        None => println!("    {s}"),
                    }
                }
                0
            }
            None => fatal(&format!(
                "`{what}` is neither a rule code nor a file hlc wrote (see `hlc rules`)"
            )),
        },
        Ok(None) => fatal("out/hlc.lock is missing: run `hlc build` first"),
        Err(e) => out_error(e),
    }
}

pub fn rules() -> u8 {
    let mut out = std::io::stdout().lock();
    for r in hlc_check::rules() {
        let _ = writeln!(
            out,
            "{:<8} {:<26} {:<8} {}",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        );
    }
    0
}
