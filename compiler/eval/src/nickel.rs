//! Running Nickel on the sandboxed sources and mapping its errors to hlc diagnostics.

use crate::convert::Converter;
use crate::sandbox::{virtual_display, Loaded, SourceRecord, LIBRARY_ROOT, MAIN, PROJECT_ROOT};
use hlc_diag::{Diagnostic, Diagnostics, Node, SourceMap, Span};
use nickel_lang_core::ast::InputFormat;
use nickel_lang_core::cache::{CacheHub, SourcePath};
use nickel_lang_core::error::{
    Error, EvalErrorKind, ImportErrorKind, IntoDiagnostics, NullReporter, TypecheckErrorKind,
};
use nickel_lang_core::eval::cache::CacheImpl;
use nickel_lang_core::eval::{VirtualMachine, VmContext};
use nickel_lang_core::files::{FileId as NickelFileId, Files};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// How to run the evaluation.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Stack of the evaluation thread.
    pub stack_size: usize,
    /// Wall-clock budget; an evaluation still running after it is reported as non-terminating.
    pub timeout: Duration,
}

/// Stack of the loading and evaluation threads (address space; only what is used is committed).
pub(crate) const STACK_SIZE: usize = 4 << 30;

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            stack_size: STACK_SIZE,
            timeout: Duration::from_secs(120),
        }
    }
}

/// The outcome of evaluation: the value (when there was no error), the sources for positions,
/// the input digests, and every diagnostic.
#[derive(Debug)]
pub struct Evaluated {
    pub root: Option<Node>,
    pub sources: SourceMap,
    pub records: Vec<SourceRecord>,
    pub diags: Diagnostics,
}

/// The outcome of an earlier evaluation of the same `loaded` sources (same [`Loaded::digest`]):
/// the tree it produced, with the loader's own findings.
pub fn reuse(loaded: Loaded, root: Node) -> Evaluated {
    Evaluated {
        root: Some(root),
        sources: loaded.sources,
        records: loaded.records,
        diags: loaded.diags,
    }
}

/// Evaluates a loaded project. Sandbox errors in `loaded` stop before Nickel runs.
pub fn evaluate(loaded: Loaded, options: &EvalOptions) -> Evaluated {
    let Loaded {
        sources,
        records,
        diags,
        files,
        main,
        fatal,
        ..
    } = loaded;
    if fatal {
        return Evaluated {
            root: None,
            sources,
            records,
            diags,
        };
    }
    let inputs: Vec<(
        PathBuf,
        nickel_lang_core::ast::InputFormat,
        hlc_diag::FileId,
        String,
    )> = files
        .iter()
        .map(|f| {
            let text = sources
                .get(f.file)
                .map(|s| s.text.clone())
                .unwrap_or_default();
            (f.virt.clone(), f.format, f.file, text)
        })
        .collect();
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("hlc-eval".into())
        .stack_size(options.stack_size)
        .spawn(move || {
            // The result is sent before Nickel's heap is freed: the caller goes on while this
            // thread drops it (on another core), and a process that exits first skips it.
            run(inputs, main, move |result| {
                let _ = tx.send(result);
            });
        });
    let mut diags = diags;
    if let Err(e) = spawned {
        diags.push(Diagnostic::error(
            "HLC900",
            format!("cannot start the evaluation thread: {e}"),
        ));
        return Evaluated {
            root: None,
            sources,
            records,
            diags,
        };
    }
    match rx.recv_timeout(options.timeout) {
        Ok((root, found)) => {
            diags.extend(found);
            Evaluated {
                root,
                sources,
                records,
                diags,
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            diags.push(
                Diagnostic::error(
                    "HLC025",
                    format!("evaluation did not finish within {} s", options.timeout.as_secs()),
                )
                .with_file(MAIN)
                .with_help("look for a recursive definition that never reaches a value (e.g. a field defined in terms of itself through a function)"),
            );
            Evaluated {
                root: None,
                sources,
                records,
                diags,
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            diags.push(
                Diagnostic::error("HLC900", "the evaluator stopped without a result")
                    .with_file(MAIN)
                    .with_help("this is a bug in hlc; please report it with the configuration that triggers it"),
            );
            Evaluated {
                root: None,
                sources,
                records,
                diags,
            }
        }
    }
}

type Input = (
    PathBuf,
    nickel_lang_core::ast::InputFormat,
    hlc_diag::FileId,
    String,
);

/// The generated entry point: the project's main file under the library's `Lab` contract, then
/// the library's `finalize`, which runs the lab's own rules (`policy.rules`) and exports their
/// findings as data.
const ENTRY: &str = "/@hlc/@entry.ncl";

/// Evaluates and hands the result to `deliver`, before the evaluator's heap is dropped.
fn run(
    inputs: Vec<Input>,
    main: hlc_diag::FileId,
    deliver: impl FnOnce((Option<Node>, Vec<Diagnostic>)),
) {
    let Some(main_virt) = inputs.iter().find(|i| i.2 == main).map(|i| i.0.clone()) else {
        return deliver((
            None,
            vec![Diagnostic::error(
                "HLC900",
                "entry point missing from the loaded sources",
            )],
        ));
    };
    // Every admitted file is an in-memory source under its virtual path: Nickel resolves each
    // import there and never reads the disk.
    let mut cache = CacheHub::new();
    cache
        .sources
        .add_import_paths(std::iter::once(PathBuf::from(LIBRARY_ROOT)));
    for (virt, format, _, text) in &inputs {
        cache
            .sources
            .add_string(SourcePath::Path(virt.clone(), *format), text.clone());
    }
    let entry = cache.sources.add_string(
        SourcePath::Path(PathBuf::from(ENTRY), InputFormat::Nickel),
        format!(
            "(import \"hlc.ncl\").finalize ((import {:?}) | (import \"hlc.ncl\").Lab)\n",
            main_virt.to_string_lossy()
        ),
    );
    let mut ctx: VmContext<CacheHub, CacheImpl> =
        VmContext::new(cache, std::io::sink(), NullReporter {});
    let prepared = match ctx.prepare_eval(entry) {
        Ok(v) => v,
        Err(e) => {
            let files = ctx.import_resolver.sources.files.clone();
            return deliver((None, nickel_error(e, files, &inputs)));
        }
    };
    let result = VirtualMachine::new(&mut ctx).eval_full_for_export_closure(prepared.into());
    let file_map = FileResolver::new(ctx.import_resolver.sources.files.clone(), &inputs);
    let outcome = match result {
        Ok(value) => {
            let conv = Converter {
                pos_table: &ctx.pos_table,
                file_map: &file_map,
            };
            match conv.convert(&value, &crate::convert::Path::Root, 0) {
                Ok(node) => (Some(node), Vec::new()),
                Err(d) => (None, vec![*d]),
            }
        }
        Err(e) => (
            None,
            nickel_error(
                Error::EvalError(e),
                ctx.import_resolver.sources.files.clone(),
                &inputs,
            ),
        ),
    };
    deliver(outcome);
}

/// Maps Nickel's file ids to hlc's by virtual path (Nickel ids are opaque).
pub(crate) struct FileResolver {
    files: Files,
    by_name: HashMap<std::ffi::OsString, hlc_diag::FileId>,
}

impl FileResolver {
    fn new(files: Files, inputs: &[Input]) -> Self {
        let by_name = inputs
            .iter()
            .map(|(v, _, f, _)| (v.as_os_str().to_owned(), *f))
            .collect();
        FileResolver { files, by_name }
    }
    pub(crate) fn get(&self, id: NickelFileId) -> Option<hlc_diag::FileId> {
        // Not `Files::name`, which panics on an id it does not know.
        let name = codespan_reporting::files::Files::name(&self.files, id).ok()?;
        self.by_name.get(std::ffi::OsStr::new(&name)).copied()
    }
}

fn classify(e: &Error) -> (&'static str, &'static str) {
    match e {
        Error::ParseErrors(_) => (
            "HLC020",
            "fix the syntax error; see the Nickel manual for the grammar",
        ),
        Error::TypecheckError(data) => match data.borrow_error() {
            TypecheckErrorKind::ImportError(ImportErrorKind::ParseErrors(..)) => (
                "HLC020",
                "fix the syntax error; see the Nickel manual for the grammar",
            ),
            TypecheckErrorKind::ImportError(_) => ("HLC013", "check the import path"),
            TypecheckErrorKind::UnboundIdentifier(_) => (
                "HLC024",
                "the name used here is not defined; check its spelling or add a `let`",
            ),
            _ => (
                "HLC021",
                "fix the type error, or remove the type annotation if the value is dynamic",
            ),
        },
        Error::ImportError(_) => ("HLC013", "check the import path"),
        Error::EvalError(data) => match &data.error {
            EvalErrorKind::BlameError { .. } => (
                "HLC022",
                "change the value so that it satisfies the contract shown",
            ),
            EvalErrorKind::MissingFieldDef { .. } => ("HLC102", "give the field a value"),
            EvalErrorKind::InfiniteRecursion(..) => (
                "HLC025",
                "a value is defined in terms of itself; break the cycle",
            ),
            EvalErrorKind::FieldMissing { .. } => (
                "HLC024",
                "the field accessed here is not defined; check its spelling",
            ),
            EvalErrorKind::UnboundIdentifier(..) => (
                "HLC024",
                "the name used here is not defined; check its spelling or add a `let`",
            ),
            _ => ("HLC028", "fix the expression shown"),
        },
        Error::ExportError(_) => ("HLC027", "the configuration must evaluate to plain data"),
        _ => ("HLC028", "fix the expression shown"),
    }
}

/// Maps a Nickel error into one hlc diagnostic: Nickel's message, its primary span (when it is in
/// a project or library file), its secondary spans as labels, its notes.
fn nickel_error(e: Error, mut files: Files, inputs: &[Input]) -> Vec<Diagnostic> {
    let (mut code, mut help) = classify(&e);
    // Nickel may add snippet files while building its diagnostics: resolve ids afterwards.
    let cds = e.into_diagnostics(&mut files);
    let resolver = FileResolver::new(files, inputs);
    let map = &resolver;
    let Some(first) = cds.first() else {
        return vec![Diagnostic::error(code, "evaluation failed").with_help(help)];
    };
    let to_span = |l: &codespan_reporting::diagnostic::Label<NickelFileId>| -> Option<Span> {
        Some(Span {
            file: map.get(l.file_id)?,
            start: l.range.start as u32,
            end: l.range.end as u32,
        })
    };
    let mut message = first.message.clone();
    let mut notes: Vec<String> = first.notes.iter().map(|n| rewrite_paths(n)).collect();
    // `std.fail_with "…"` is a blame without a contract: the configuration stopped itself. It is
    // HLC028 (a failed assertion), with the configuration's own message.
    if code == "HLC022"
        && notes
            .iter()
            .any(|n| n.contains("explicit call to `std.fail_with`"))
    {
        code = "HLC028";
        let own = message
            .lines()
            .skip(1)
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" ");
        message = if own.is_empty() {
            "the configuration failed with `std.fail_with`".to_string()
        } else {
            format!("the configuration failed: {own}")
        };
        help = "the configuration stopped itself with this message: fix what it reports";
        notes.retain(|n| !n.contains("isn't the root cause"));
    }
    // A closed-record contract reports a typo'd field as an "extra field": give it its own code.
    if code == "HLC022" {
        // Nickel's message reads "… extra field `x`" (or "extra fields `x`, `y`").
        let extra = message
            .lines()
            .chain(first.labels.iter().map(|l| l.message.as_str()))
            .find_map(|l| l.split_once("extra field").map(|(_, r)| r.to_string()));
        if let Some(rest) = extra {
            code = "HLC023";
            let (plural, fields) = match rest.strip_prefix('s') {
                Some(f) => ("s", f.trim().to_string()),
                None => ("", rest.trim().to_string()),
            };
            message = format!("unknown field{plural} {fields} (the record contract is closed)");
        } else if let Some(n) = notes.iter().find(|n| n.contains("extra field")) {
            code = "HLC023";
            message = format!("unknown field: {}", n.trim());
        } else if first
            .labels
            .iter()
            .any(|l| l.message.contains("extra field"))
        {
            code = "HLC023";
        }
    }
    let primary = first
        .labels
        .iter()
        .filter(|l| l.style == codespan_reporting::diagnostic::LabelStyle::Primary)
        .find_map(|l| to_span(l).map(|s| (s, l.message.clone())))
        // Some errors (a blame from `std.fail_with`, a root that is not a record) carry only
        // secondary labels: the first one in a project file is where to look.
        .or_else(|| {
            first.labels.iter().find_map(|l| {
                let s = to_span(l)?;
                let in_project = inputs
                    .iter()
                    .any(|i| i.2 == s.file && i.0.starts_with(PROJECT_ROOT));
                in_project.then(|| (s, l.message.clone()))
            })
        });
    let mut d = Diagnostic::error(code, rewrite_paths(&message)).with_help(help);
    let primary_span = primary.as_ref().map(|p| p.0);
    if let Some((s, msg)) = primary {
        d.span = Some(s);
        if !msg.is_empty() {
            notes.insert(0, rewrite_paths(&msg));
        }
    } else {
        d.file = Some(MAIN.to_string());
    }
    for l in &first.labels {
        if let Some(s) = to_span(l) {
            if Some(s) != primary_span {
                d.labels.push(hlc_diag::Label {
                    span: s,
                    message: rewrite_paths(&l.message),
                });
            }
        }
    }
    d.notes = notes;
    // "Unexpected end of file" points at the last byte; point at what was left open instead.
    if code == "HLC020" && message.contains("end of file") {
        let text = primary_span.and_then(|s| {
            inputs
                .iter()
                .find(|i| i.2 == s.file)
                .map(|i| (s.file, &i.3))
        });
        if let Some((file, text)) = text {
            if let Some((start, end, what, fix)) = crate::unclosed::unclosed(text) {
                d.labels.push(hlc_diag::Label {
                    span: Span {
                        file,
                        start: start as u32,
                        end: end as u32,
                    },
                    message: what,
                });
                d.help = Some(fix.to_string());
            }
        }
    }
    vec![d]
}

/// Nickel's messages name files by their virtual paths; show users their real names.
fn rewrite_paths(s: &str) -> String {
    let mut out = s.replace(&format!("{PROJECT_ROOT}/"), "");
    out = out.replace(&format!("{LIBRARY_ROOT}/"), "<hlc>/");
    let _ = virtual_display;
    out
}
