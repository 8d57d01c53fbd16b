//! The import sandbox: discovers every file a project loads and refuses any outside the project
//! root or the embedded library, before Nickel sees anything.

use crate::library::library_file;
use hlc_diag::{Diagnostic, Diagnostics, FileId, SourceFile, SourceMap, Span};
use nickel_lang_core::ast::{Ast, AstAlloc, Import, InputFormat, Node as AstNode};
use nickel_lang_core::files::Files;
use nickel_lang_core::parser::{grammar::TermParser, lexer::Lexer, ErrorTolerantParser};
use nickel_lang_core::traverse::{TraverseAlloc, TraverseControl};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, VecDeque};
use std::path::{Component, Path, PathBuf};

/// Virtual directory under which project files are given to Nickel.
pub(crate) const PROJECT_ROOT: &str = "/@project";
/// Virtual directory of the embedded library (on Nickel's import path).
pub(crate) const LIBRARY_ROOT: &str = "/@hlc";
/// The entry point, relative to the project root.
pub const MAIN: &str = "configs/main.ncl";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SourceKind {
    Config,
    Library,
}

/// A loaded file, for the lock's input digests.
#[derive(Clone, Debug)]
pub struct SourceRecord {
    /// Path shown to users: relative to the project root, or `<hlc>/…` for library files.
    pub display: String,
    pub kind: SourceKind,
    pub sha256: String,
}

/// A file admitted by the sandbox, as Nickel will see it.
#[derive(Clone, Debug)]
pub(crate) struct VirtualFile {
    pub virt: PathBuf,
    pub format: InputFormat,
    pub file: FileId,
    /// sha256 of the text, hex.
    pub sha256: String,
}

/// Everything `load` found: the sources (for positions), the admitted files, and the sandbox's
/// diagnostics. Evaluation must not run when `diags` has errors.
#[derive(Debug)]
pub struct Loaded {
    pub root: PathBuf,
    pub sources: SourceMap,
    pub records: Vec<SourceRecord>,
    pub diags: Diagnostics,
    pub(crate) files: Vec<VirtualFile>,
    pub(crate) main: FileId,
    /// Whether evaluation must not run (a package import cannot be stood in for).
    pub(crate) fatal: bool,
}

impl Loaded {
    /// sha256 over everything evaluation reads — each admitted file's virtual path, format, id and
    /// text, in load order — for a cache of evaluated trees; `None` when the load has errors
    /// (stand-ins then take the place of refused files, and the run must report them afresh).
    pub fn digest(&self) -> Option<String> {
        if self.fatal || self.diags.has_errors() {
            return None;
        }
        let mut h = Sha256::new();
        h.update(MAIN.as_bytes());
        h.update(self.main.0.to_le_bytes());
        for f in &self.files {
            let virt = f.virt.to_string_lossy();
            h.update((virt.len() as u64).to_le_bytes());
            h.update(virt.as_bytes());
            h.update(format!("{:?}", f.format).as_bytes());
            h.update(f.file.0.to_le_bytes());
            h.update(f.sha256.as_bytes());
        }
        Some(hex::encode(h.finalize()))
    }
}

/// Failures that are not about the configuration's content: exit code 2.
#[derive(Debug)]
pub enum LoadError {
    NoMain {
        path: PathBuf,
    },
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::NoMain { path } => write!(
                f,
                "no configuration entry point: {} does not exist",
                path.display()
            ),
            LoadError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
        }
    }
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::RootDir => out.push("/"),
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir | Component::Prefix(_) => {}
            Component::Normal(n) => out.push(n),
        }
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

struct Import_ {
    path: String,
    format: InputFormat,
    span: (u32, u32),
    package: bool,
}

/// Imports of one Nickel source, in source order; `None` when the file does not parse (Nickel
/// reports the parse error itself, and a file that does not parse imports nothing).
///
/// Most files are read by the lexer alone ([`lex_imports`]): parsing every file a second time
/// (Nickel parses it again to evaluate it) was an eighth of a large lab's CPU time. An import the
/// lexer cannot read with certainty sends the file through the parser.
fn scan_imports(text: &str) -> Option<Vec<Import_>> {
    match lex_imports(text) {
        Some(found) => Some(found),
        None => parse_imports(text),
    }
}

/// The imports of `text` read from its tokens: `import "path"`, `import "path" as 'Format` and
/// `import package`, with the spans the parser gives them. `None` when the lexer fails or an
/// import has any other shape (an escape sequence the lexer rewrites, a quoted format tag…):
/// the caller then parses. A file that lexes but does not parse still has its imports listed;
/// Nickel reports its syntax error.
fn lex_imports(text: &str) -> Option<Vec<Import_>> {
    use nickel_lang_core::parser::lexer::{NormalToken, StringToken, Token};
    // Cheap and exact: a file without the keyword's letters has no import.
    if !text.contains("import") {
        return Some(Vec::new());
    }
    let toks: Vec<(usize, Token, usize)> = Lexer::new(text).collect::<Result<_, _>>().ok()?;
    let is = |i: usize, t: &Token| toks.get(i).is_some_and(|(_, k, _)| k == t);
    let lparen = Token::Normal(NormalToken::LParen);
    let rparen = Token::Normal(NormalToken::RParen);
    let mut found = Vec::new();
    for (at, (start, tok, _)) in toks.iter().enumerate() {
        if *tok != Token::Normal(NormalToken::Import) {
            continue;
        }
        let mut i = at + 1;
        let (path, format, package, mut end) = match toks.get(i)? {
            (_, Token::Normal(NormalToken::Identifier(id)), end) => {
                (id.to_string(), InputFormat::Nickel, true, *end)
            }
            (_, Token::Normal(NormalToken::DoubleQuote), _) => {
                let mut path = String::new();
                let str_end = loop {
                    i += 1;
                    match toks.get(i)? {
                        (_, Token::Str(StringToken::Literal(s)), _) => path.push_str(s),
                        (_, Token::Str(StringToken::EscapedChar(c)), _) => path.push(*c),
                        (_, Token::Normal(NormalToken::DoubleQuote), end) => break *end,
                        _ => return None,
                    }
                };
                if is(i + 1, &Token::Normal(NormalToken::As)) {
                    i += 2;
                    match toks.get(i)? {
                        (_, Token::Normal(NormalToken::RawEnumTag(tag)), end) => {
                            (path, tag.parse::<InputFormat>().ok()?, false, *end)
                        }
                        _ => return None,
                    }
                } else {
                    let ext = InputFormat::from_path(std::ffi::OsStr::new(&path));
                    (path, ext.unwrap_or_default(), false, str_end)
                }
            }
            _ => return None,
        };
        // The parser positions `(import "x")` at its parentheses.
        let mut start = *start;
        let (mut before, mut after) = (at, i + 1);
        while before > 0 && is(before - 1, &lparen) && is(after, &rparen) {
            before -= 1;
            start = toks[before].0;
            end = toks[after].2;
            after += 1;
        }
        found.push(Import_ {
            path,
            format,
            span: (start as u32, end as u32),
            package,
        });
    }
    Some(found)
}

/// [`scan_imports`] by parsing.
fn parse_imports(text: &str) -> Option<Vec<Import_>> {
    let alloc = AstAlloc::new();
    let mut files = Files::empty();
    let fid = files.add("scan", text);
    let ast = TermParser::new()
        .parse_strict(&alloc, fid, Lexer::new(text))
        .ok()?;
    let mut found = Vec::new();
    ast.traverse_ref(
        &mut |a: &Ast, _: &()| {
            if let AstNode::Import(imp) = &a.node {
                let span = a
                    .pos
                    .into_opt()
                    .map(|s| (s.start.0, s.end.0))
                    .unwrap_or((0, 0));
                match imp {
                    Import::Path { path, format } => found.push(Import_ {
                        path: path.to_string_lossy().into_owned(),
                        format: *format,
                        span,
                        package: false,
                    }),
                    Import::Package { id } => found.push(Import_ {
                        path: id.to_string(),
                        format: InputFormat::Nickel,
                        span,
                        package: true,
                    }),
                }
            }
            TraverseControl::<(), ()>::Continue
        },
        &(),
    );
    Some(found)
}

enum Resolution {
    Project {
        rel: String,
        real: PathBuf,
    },
    Library {
        rel: String,
    },
    /// Refused; evaluation goes on with an empty stand-in at `stub` (the path Nickel will look
    /// up), so that every other finding of the run is reported too. The refused file is never read.
    Refused {
        diag: Diagnostic,
        stub: PathBuf,
    },
    NotFound {
        tried: Vec<String>,
        stub: PathBuf,
    },
}

fn display_virtual(p: &Path) -> String {
    let s = p.to_string_lossy();
    if let Some(r) = s.strip_prefix(&format!("{PROJECT_ROOT}/")) {
        r.to_string()
    } else if let Some(r) = s.strip_prefix(&format!("{LIBRARY_ROOT}/")) {
        format!("<hlc>/{r}")
    } else {
        s.into_owned()
    }
}

/// Resolves an import exactly as Nickel will (the importing file's directory first, then the
/// library on the import path), but on the sandbox's terms.
fn resolve(root: &Path, canon_root: &Path, parent: &Path, import: &Import_) -> Resolution {
    let dirs = [
        parent.parent().map(Path::to_path_buf).unwrap_or_default(),
        PathBuf::from(LIBRARY_ROOT),
    ];
    let mut tried = Vec::new();
    let first = normalize(&dirs[0].join(&import.path));
    for dir in &dirs {
        let cand = normalize(&dir.join(&import.path));
        if let Ok(rel) = cand.strip_prefix(PROJECT_ROOT) {
            let rel_s = rel.to_string_lossy().replace('\\', "/");
            let real = root.join(rel);
            tried.push(rel_s.clone());
            match std::fs::canonicalize(&real) {
                Ok(canon) if !canon.starts_with(canon_root) => {
                    return Resolution::Refused { stub: cand.clone(), diag:
                        Diagnostic::error(
                            "HLC012",
                            format!(
                                "import of `{}` leaves the project root through a symbolic link",
                                import.path
                            ),
                        )
                        .with_help(
                            "configuration files must lie inside the project; copy the file in instead of linking to it",
                        ),
                    }
                }
                Ok(canon) if canon.is_file() => return Resolution::Project { rel: rel_s, real },
                _ => continue,
            }
        } else if let Ok(rel) = cand.strip_prefix(LIBRARY_ROOT) {
            let rel_s = rel.to_string_lossy().replace('\\', "/");
            tried.push(format!("<hlc>/{rel_s}"));
            if library_file(&rel_s).is_some() {
                return Resolution::Library { rel: rel_s };
            }
        } else if Path::new(&import.path).is_absolute() {
            return Resolution::Refused {
                stub: cand.clone(),
                diag: Diagnostic::error(
                    "HLC010",
                    format!("absolute import `{}` is not allowed", import.path),
                )
                .with_help("import files of the project by a path relative to the importing file"),
            };
        } else {
            return Resolution::Refused {
                stub: cand.clone(),
                diag: Diagnostic::error(
                    "HLC011",
                    format!("import `{}` leaves the project root", import.path),
                )
                .with_help(
                    "a configuration may only import files inside its project (or the hlc library)",
                ),
            };
        }
    }
    Resolution::NotFound { tried, stub: first }
}

/// Reads `configs/main.ncl` under `root` and everything it imports, within the sandbox.
///
/// Parsing recurses on nesting depth, so it runs on a thread with a large stack, like evaluation.
pub fn load(root: &Path) -> Result<Loaded, LoadError> {
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("hlc-load".into())
            .stack_size(crate::nickel::STACK_SIZE)
            .spawn_scoped(scope, || load_inner(root))
        {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(LoadError::Io {
                    path: root.to_path_buf(),
                    error: std::io::Error::other("the loader stopped unexpectedly"),
                })
            }),
            Err(error) => Err(LoadError::Io {
                path: root.to_path_buf(),
                error,
            }),
        }
    })
}

fn load_inner(root: &Path) -> Result<Loaded, LoadError> {
    let main_real = root.join(MAIN);
    let canon_root = std::fs::canonicalize(root).map_err(|error| LoadError::Io {
        path: root.to_path_buf(),
        error,
    })?;
    if !main_real.exists() {
        return Err(LoadError::NoMain { path: main_real });
    }
    let mut loaded = Loaded {
        root: root.to_path_buf(),
        sources: SourceMap::new(),
        records: Vec::new(),
        diags: Diagnostics::new(),
        files: Vec::new(),
        main: FileId(0),
        fatal: false,
    };
    match std::fs::canonicalize(&main_real) {
        Ok(c) if !c.starts_with(&canon_root) => {
            loaded.diags.push(
                Diagnostic::error(
                    "HLC012",
                    format!("{MAIN} is a symbolic link out of the project root"),
                )
                .with_file(MAIN)
                .with_help("configuration files must lie inside the project"),
            );
            loaded.fatal = true;
            return Ok(loaded);
        }
        Err(error) => {
            return Err(LoadError::Io {
                path: main_real,
                error,
            })
        }
        _ => {}
    }

    // (virtual path, format) → index in loaded.files
    let mut seen: BTreeMap<(PathBuf, u8), FileId> = BTreeMap::new();
    let mut queue: VecDeque<FileId> = VecDeque::new();
    let fmt_key = |f: InputFormat| f as u8;

    let main_text = read_text(&main_real)?;
    let main_virt = PathBuf::from(PROJECT_ROOT).join(MAIN);
    let main_id = add_file(
        &mut loaded,
        MAIN.to_string(),
        SourceKind::Config,
        main_text,
        &main_virt,
        InputFormat::Nickel,
    );
    loaded.main = main_id;
    seen.insert((main_virt, fmt_key(InputFormat::Nickel)), main_id);
    queue.push_back(main_id);

    while let Some(fid) = queue.pop_front() {
        let Some(vf) = loaded.files.get(fid.0 as usize).cloned() else {
            continue;
        };
        if vf.format != InputFormat::Nickel {
            continue;
        }
        let text = loaded
            .sources
            .get(fid)
            .map(|f| f.text.clone())
            .unwrap_or_default();
        // Refuse absurd nesting before Nickel's parser (and its recursive passes) sees the file.
        if let Some(at) = crate::unclosed::too_deep(&text, crate::unclosed::MAX_SOURCE_DEPTH) {
            loaded.diags.push(
                Diagnostic::error(
                    "HLC026",
                    format!(
                        "this file nests brackets, strings or interpolations more than {} levels deep",
                        crate::unclosed::MAX_SOURCE_DEPTH
                    ),
                )
                .with_span(Some(Span {
                    file: fid,
                    start: at as u32,
                    end: at as u32 + 1,
                }))
                .with_help("flatten this structure; hlc models are a few levels deep"),
            );
            loaded.fatal = true;
            continue;
        }
        let Some(imports) = scan_imports(&text) else {
            continue;
        };
        for imp in imports {
            let span = Some(Span {
                file: fid,
                start: imp.span.0,
                end: imp.span.1,
            });
            if imp.package {
                loaded.diags.push(
                    Diagnostic::error("HLC014", format!("package import `import {}` is not supported", imp.path))
                        .with_span(span)
                        .with_help("import project files by relative path and the hlc library as `import \"hlc.ncl\"`"),
                );
                loaded.fatal = true;
                continue;
            }
            match resolve(root, &canon_root, &vf.virt, &imp) {
                Resolution::Refused { diag, stub } => {
                    loaded.diags.push(diag.with_span(span));
                    add_stub(&mut loaded, &mut seen, stub, imp.format);
                }
                Resolution::NotFound { tried, stub } => {
                    loaded.diags.push(
                        Diagnostic::error("HLC013", format!("cannot find import `{}`", imp.path))
                            .with_span(span)
                            .with_help(format!("looked for {}", tried.join(", "))),
                    );
                    add_stub(&mut loaded, &mut seen, stub, imp.format);
                }
                Resolution::Project { rel, real } => {
                    let virt = PathBuf::from(PROJECT_ROOT).join(&rel);
                    let key = (virt.clone(), fmt_key(imp.format));
                    if seen.contains_key(&key) {
                        continue;
                    }
                    let text = match std::fs::read(&real) {
                        Ok(bytes) => match String::from_utf8(bytes) {
                            Ok(t) => t,
                            Err(_) => {
                                loaded.diags.push(
                                    Diagnostic::error(
                                        "HLC015",
                                        format!("`{rel}` is not UTF-8 text"),
                                    )
                                    .with_span(span)
                                    .with_help("configuration sources must be UTF-8"),
                                );
                                add_stub(&mut loaded, &mut seen, virt, imp.format);
                                continue;
                            }
                        },
                        Err(error) => return Err(LoadError::Io { path: real, error }),
                    };
                    let id = add_file(
                        &mut loaded,
                        rel,
                        SourceKind::Config,
                        text,
                        &virt,
                        imp.format,
                    );
                    seen.insert(key, id);
                    queue.push_back(id);
                }
                Resolution::Library { rel } => {
                    let virt = PathBuf::from(LIBRARY_ROOT).join(&rel);
                    let key = (virt.clone(), fmt_key(imp.format));
                    if seen.contains_key(&key) {
                        continue;
                    }
                    let text = library_file(&rel).unwrap_or_default().to_string();
                    let id = add_file(
                        &mut loaded,
                        format!("<hlc>/{rel}"),
                        SourceKind::Library,
                        text,
                        &virt,
                        imp.format,
                    );
                    seen.insert(key, id);
                    queue.push_back(id);
                }
            }
        }
    }
    // The library entry is always loaded: hlc applies its `Lab` contract to the configuration.
    let lab_virt = PathBuf::from(LIBRARY_ROOT).join("hlc.ncl");
    if !seen.contains_key(&(lab_virt.clone(), fmt_key(InputFormat::Nickel))) {
        if let Some(text) = library_file("hlc.ncl") {
            let id = add_file(
                &mut loaded,
                "<hlc>/hlc.ncl".into(),
                SourceKind::Library,
                text.to_string(),
                &lab_virt,
                InputFormat::Nickel,
            );
            seen.insert((lab_virt, fmt_key(InputFormat::Nickel)), id);
            queue.push_back(id);
            // Library files import only library files; load them too.
            let mut extra = VecDeque::from([id]);
            while let Some(fid) = extra.pop_front() {
                let text = loaded
                    .sources
                    .get(fid)
                    .map(|f| f.text.clone())
                    .unwrap_or_default();
                let parent = loaded
                    .files
                    .get(fid.0 as usize)
                    .map(|f| f.virt.clone())
                    .unwrap_or_default();
                for imp in scan_imports(&text).unwrap_or_default() {
                    if let Resolution::Library { rel } = resolve(root, &canon_root, &parent, &imp) {
                        let virt = PathBuf::from(LIBRARY_ROOT).join(&rel);
                        let key = (virt.clone(), fmt_key(imp.format));
                        if seen.contains_key(&key) {
                            continue;
                        }
                        let t = library_file(&rel).unwrap_or_default().to_string();
                        let id = add_file(
                            &mut loaded,
                            format!("<hlc>/{rel}"),
                            SourceKind::Library,
                            t,
                            &virt,
                            imp.format,
                        );
                        seen.insert(key, id);
                        extra.push_back(id);
                    }
                }
            }
        }
    }
    loaded
        .records
        .sort_by(|a, b| (a.kind, &a.display).cmp(&(b.kind, &b.display)));
    loaded.records.dedup_by(|a, b| a.display == b.display);
    Ok(loaded)
}

/// The name of every stand-in source (see [`add_stub`]): diagnostics located in one are only
/// consequences of the refused import, which is reported itself.
pub const STAND_IN_PREFIX: &str = "<refused import ";

/// An empty stand-in for a refused or missing import, so evaluation can go on and report the
/// rest of the configuration's findings in the same run.
fn add_stub(
    loaded: &mut Loaded,
    seen: &mut BTreeMap<(PathBuf, u8), FileId>,
    virt: PathBuf,
    format: InputFormat,
) {
    let key = (virt.clone(), format as u8);
    if seen.contains_key(&key) {
        return;
    }
    let text = match format {
        InputFormat::Text => "",
        _ => "{}",
    };
    let id = loaded.sources.add(SourceFile::new(
        format!("{STAND_IN_PREFIX}{}>", virt.display()),
        text,
    ));
    loaded.files.push(VirtualFile {
        virt,
        format,
        file: id,
        sha256: sha256_hex(text.as_bytes()),
    });
    seen.insert(key, id);
}

fn read_text(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|error| LoadError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    String::from_utf8(bytes).map_err(|_| LoadError::Io {
        path: path.to_path_buf(),
        error: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
    })
}

fn add_file(
    loaded: &mut Loaded,
    display: String,
    kind: SourceKind,
    text: String,
    virt: &Path,
    format: InputFormat,
) -> FileId {
    let sha = sha256_hex(text.as_bytes());
    let id = loaded.sources.add(SourceFile::new(display.clone(), text));
    loaded.files.push(VirtualFile {
        virt: virt.to_path_buf(),
        format,
        file: id,
        sha256: sha.clone(),
    });
    if kind == SourceKind::Config {
        loaded.records.push(SourceRecord {
            display,
            kind,
            sha256: sha,
        });
    }
    id
}

pub(crate) fn virtual_display(p: &Path) -> String {
    display_virtual(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = Vec<(String, String, (u32, u32), bool)>;

    fn flat(v: Vec<Import_>) -> Seen {
        v.into_iter()
            .map(|i| (i.path, format!("{:?}", i.format), i.span, i.package))
            .collect()
    }

    /// The lexer's reading equals the parser's wherever the lexer answers.
    fn agree(text: &str) -> bool {
        let lexed = lex_imports(text).map(flat);
        let parsed = parse_imports(text).map(flat);
        if let (Some(l), Some(p)) = (&lexed, &parsed) {
            assert_eq!(l, p, "lexer and parser disagree on:\n{text}");
        }
        lexed.is_some()
    }

    #[test]
    fn lexer_reads_imports_like_the_parser() {
        let cases = [
            "{ a = import \"a.ncl\" }",
            "let x = import \"data.json\" in { b = import \"../up/c.yaml\", c = x }",
            "{ t = import \"notes.txt\" as 'Text, j = import \"x.cfg\" as 'Json }",
            "{ s = \"import \\\"no.ncl\\\"\", m = m%\"import \"nope.ncl\"\"%, # import \"c.ncl\"\n }",
            "{ e = import \"we\\\"ird.ncl\" }",
            "{ i = \"%{import \"in-interp.ncl\"}\" }",
            "import \"only.ncl\"",
            "{ p = import somepkg }",
            "{ imports = 1, import_me = \"import\" }",
            "{ a = (import \"p.ncl\").x, b = ((import \"q.ncl\")), c = (f (import \"r.ncl\")) }",
        ];
        let mut answered = 0;
        for c in cases {
            answered += usize::from(agree(c));
        }
        // Every case above is one the lexer answers itself.
        assert_eq!(answered, cases.len());
        // The interpolated import is found inside the string, the commented one is not.
        let got = flat(lex_imports(cases[5]).unwrap());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "in-interp.ncl");
        assert!(flat(lex_imports(cases[3]).unwrap()).is_empty());
        assert_eq!(flat(lex_imports(cases[2]).unwrap())[1].1, "Json");
    }

    #[test]
    fn unsure_shapes_fall_back_to_the_parser() {
        // A quoted format tag, an unknown format, an interpolated path: the parser decides.
        for c in [
            "{ a = import \"a.ncl\" as '\"Json\" }",
            "{ a = import \"a.ncl\" as 'Nope }",
            "{ a = import \"a%{x}.ncl\" }",
            "{ a = import 3 }",
        ] {
            assert!(lex_imports(c).is_none(), "{c}");
        }
        // A lexical error too; the parser then refuses the file, which imports nothing.
        assert!(lex_imports("{ a = import \"a.ncl\", b = 1 ~ 2 }").is_none());
        assert!(scan_imports("{ a = import \"a.ncl\", b = 1 ~ 2 }").is_none());
    }

    /// Every Nickel file of the repository (the reference lab, the examples, the test cases, the
    /// library): the lexer answers, and agrees with the parser.
    #[test]
    fn lexer_agrees_with_the_parser_on_every_repository_file() {
        // The corpus has deeply nested files: parse on a stack like the loader's.
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(every_repository_file)
            .unwrap()
            .join()
            .unwrap();
    }

    const STACK: usize = 1 << 30;

    fn every_repository_file() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut stack = vec![
            repo.join("configs"),
            repo.join("examples"),
            repo.join("tests"),
            repo.join("lib"),
        ];
        let (mut files, mut with_imports) = (0, 0);
        while let Some(dir) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "ncl") {
                    let Ok(text) = std::fs::read_to_string(&p) else {
                        continue;
                    };
                    files += 1;
                    assert!(agree(&text), "the lexer gave up on {}", p.display());
                    with_imports += usize::from(lex_imports(&text).is_some_and(|v| !v.is_empty()));
                }
            }
        }
        assert!(
            files > 100 && with_imports > 20,
            "{files} files, {with_imports} with imports"
        );
    }
}
