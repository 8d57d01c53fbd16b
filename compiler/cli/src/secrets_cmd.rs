//! `hlc secrets …`: the only commands that handle secret values.
//!
//! * `init [--key-file PATH] [--demo]`: generates an age identity into `PATH` (default: where
//!   sops looks — `SOPS_AGE_KEY_FILE`, else `~/.config/sops/age/keys.txt`), prints its recipient on
//!   stdout, and never overwrites an existing file. `--demo` marks the file `TEST ONLY` (a
//!   committed demo key, see `secrets_stage::demo_identities`).
//! * `init --sops-yaml`: writes the project root's `.sops.yaml` (creation rules for
//!   `configs/secrets/` and the encrypted files of `out/`) so that `sops edit` run from the root
//!   uses the lab's recipients; hlc's build never writes outside `out/`, so this is a command.
//!   It only overwrites a `.sops.yaml` that hlc generated.
//! * `set NAME`: the value comes from stdin (one trailing newline dropped) and goes into the
//!   secret's file and key under `configs/secrets/`, creating the SOPS file or re-encrypting it
//!   for the lab's recipients (same data key when the recipients did not change).
//! * `get NAME`: prints the value to stdout, without a newline — the only place hlc prints one.
//! * `edit FILE`: decrypts a file of `configs/secrets/` into a private temporary file, runs
//!   `$VISUAL`/`$EDITOR` (default `vi`) on it, re-encrypts; refuses when nothing changed.
//! * `rotate [--new-data-key]`: re-encrypts every SOPS file under `configs/secrets/` for the
//!   current recipients, then builds (which re-encrypts the files of `out/` whose recipients
//!   changed) and refreshes a root `.sops.yaml` that hlc generated.
//!
//! Exit codes as everywhere: 0 ok, 1 a problem with the lab or its secrets, 2 usage or I/O.

use crate::output::{self, fatal};
use crate::pipeline::{frontend, Frontend};
use crate::secrets_stage::{self as stage, read_no_follow, SECRETS_DIR};
use crate::{project, DiagFormat};
use hlc_diag::Diagnostic;
use hlc_model::Lab;
use hlc_sops::rand_core::OsRng;
use hlc_sops::{Document, EncryptOptions, Format, Identity, Map, Outcome, Rules, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

fn report(d: Diagnostic, fe: Option<&Frontend>) -> u8 {
    let empty = hlc_diag::SourceMap::default();
    let sources = fe.map(|f| &f.sources).unwrap_or(&empty);
    output::diagnostics(&[d], sources, DiagFormat::Human);
    1
}

/// Finds the project and decodes its lab (no rules: a lab with rule findings can still have its
/// secrets managed).
fn load(root: Option<PathBuf>) -> Result<(PathBuf, Frontend), u8> {
    let root = project::find_root(root).map_err(|m| fatal(&m))?;
    let fe = frontend(&root, false).map_err(|m| fatal(&m))?;
    if fe.lab.is_none() || fe.diags.has_errors() {
        output::diagnostics(&fe.diags.0, &fe.sources, DiagFormat::Human);
        return Err(1);
    }
    Ok((root, fe))
}

fn lab(fe: &Frontend) -> &Lab {
    fe.lab.as_ref().expect("checked by load")
}

/// Writes a file atomically (temporary file in the same directory, then rename).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().ok_or("no parent directory")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

fn identities(root: &Path, fe: &Frontend) -> Result<Vec<Identity>, u8> {
    stage::identities(root).map_err(|d| report(*d, Some(fe)))
}

fn no_identity(rel: &str, e: &hlc_sops::Error) -> Diagnostic {
    let code = match e {
        hlc_sops::Error::NoMatchingIdentity { .. } => "HLC604",
        _ => "HLC606",
    };
    Diagnostic::error(code, format!("cannot decrypt {rel}: {e}"))
        .with_file(rel.to_string())
        .with_help("set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the identity of one of the file's recipients")
}

fn recipients(fe: &Frontend) -> Result<Vec<hlc_sops::Recipient>, u8> {
    let r = stage::parse_recipients(&lab(fe).encryption.recipients_for(None));
    if r.is_empty() {
        return Err(report(
            Diagnostic::error("HLC608", "the lab declares no age recipient to encrypt for")
                .with_path("encryption.recipients")
                .with_help("add `encryption = { recipients = [\"age1…\"] }` to configs/main.ncl (create a key with `hlc secrets init`)"),
            Some(fe),
        ));
    }
    Ok(r)
}

/// Resolves a secret name to its file (absolute), path relative to the root, format and key.
fn secret_target(
    root: &Path,
    fe: &Frontend,
    name: &str,
) -> Result<(PathBuf, String, Format, String), u8> {
    let Some(s) = lab(fe).secrets.get(name) else {
        let names: Vec<&str> = lab(fe).secrets.keys().map(String::as_str).collect();
        eprintln!(
            "error: the lab declares no secret named `{name}`\n  = help: declared: {}",
            if names.is_empty() {
                "none (add one to `secrets`)".to_string()
            } else {
                names.join(", ")
            }
        );
        return Err(1);
    };
    let Some((file, key)) = s.sops() else {
        eprintln!("error: secret `{name}` is held in secret store `{}`, not in a file under {SECRETS_DIR}/\n  = help: set or read it where the store keeps it; hlc renders an ExternalSecret for it", s.store.as_ref().map(|s| s.as_str()).unwrap_or_default());
        return Err(1);
    };
    if !stage::is_plain_relative(&file.value) {
        eprintln!("error[HLC117]: secret `{name}`: its file is not a plain relative path under {SECRETS_DIR}/\n  = help: name a file under configs/secrets/, e.g. \"cloudflare.yaml\"");
        return Err(1);
    }
    let rel = format!("{SECRETS_DIR}/{}", file.value);
    let format = Format::from_path(&file.value);
    if let Some(msg) = stage::binary_key_problem(format, &rel, &key.value) {
        eprintln!("error: {msg}\n  = help: {}", stage::BINARY_KEY_HELP);
        return Err(1);
    }
    Ok((root.join(&rel), rel, format, key.value.clone()))
}

/// Decrypts an existing secret file; `None` when it does not exist.
fn open(
    path: &Path,
    rel: &str,
    format: Format,
    ids: &[Identity],
) -> Result<Option<(Vec<u8>, hlc_sops::Decrypted)>, Box<Diagnostic>> {
    let prev = read_no_follow(path)
        .map_err(|e| {
            Diagnostic::error("HLC601", format!("cannot read {rel}: {e}"))
                .with_file(rel.to_string())
                .with_help("secret files are regular files under configs/secrets/")
        })
        .map_err(Box::new)?;
    let Some(prev) = prev else {
        return Ok(None);
    };
    match hlc_sops::decrypt(&prev, format, ids) {
        Ok(d) => Ok(Some((prev, d))),
        Err(hlc_sops::Error::MetadataNotFound) => Err(Box::new(Diagnostic::error(
            "HLC603",
            format!("{rel} is not SOPS-encrypted: its values are committed in plaintext"),
        )
        .with_file(rel.to_string())
        .with_help("treat its values as leaked: rotate them, move the file away and set them again with `hlc secrets set NAME`"))),
        Err(e) => Err(Box::new(no_identity(rel, &e))),
    }
}

/// Encrypts `doc` for the lab's recipients, reusing `previous` (zero churn), and writes it.
#[allow(clippy::too_many_arguments)]
fn seal_and_write(
    path: &Path,
    format: Format,
    doc: &Document,
    previous: Option<&[u8]>,
    rules: &Rules,
    recipients: &[hlc_sops::Recipient],
    ids: &[Identity],
    new_data_key: bool,
) -> Result<Outcome, String> {
    let lm = stage::lastmodified()?;
    let opts = EncryptOptions {
        format,
        recipients,
        rules,
        lastmodified: &lm,
    };
    let (bytes, outcome) = if new_data_key {
        let b = hlc_sops::encrypt(doc, &opts, &mut OsRng).map_err(|e| e.to_string())?;
        (b, Outcome::Fresh)
    } else {
        let r = hlc_sops::reencrypt_if_changed(previous, doc, &opts, ids, &mut OsRng)
            .map_err(|e| e.to_string())?;
        (r.bytes, r.outcome)
    };
    if outcome != Outcome::Kept {
        write_atomic(path, &bytes)?;
    }
    Ok(outcome)
}

fn outcome_text(o: Outcome) -> &'static str {
    match o {
        Outcome::Kept => "unchanged",
        Outcome::Updated => "updated, same data key",
        Outcome::Fresh => "encrypted with a new data key",
    }
}

pub fn set(root: Option<PathBuf>, name: &str) -> u8 {
    let (root, fe) = match load(root) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (path, rel, format, key) = match secret_target(&root, &fe, name) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let rcpts = match recipients(&fe) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let mut value = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut value) {
        return fatal(&format!("cannot read the value from stdin: {e}"));
    }
    let value = value
        .strip_suffix("\r\n")
        .or_else(|| value.strip_suffix('\n'))
        .unwrap_or(&value)
        .to_string();
    if value.is_empty() {
        eprintln!("error: empty value on stdin\n  = help: pipe the value in: `printf %s \"$VALUE\" | hlc secrets set {name}`");
        return 1;
    }
    let ids = match identities(&root, &fe) {
        Ok(i) => i,
        Err(c) => return c,
    };
    let (previous, mut doc, rules) = match open(&path, &rel, format, &ids) {
        Ok(Some((prev, d))) => {
            let rules = d.metadata.rules.clone();
            (Some(prev), d.document, rules)
        }
        Ok(None) => (None, Document::single(Map::new()), Rules::default()),
        Err(d) => return report(*d, Some(&fe)),
    };
    let Some(top) = doc.docs.first_mut() else {
        return fatal("internal error: empty document");
    };
    match top.get_mut(&key) {
        Some(v) => *v = Value::Str(value),
        None => top.push(key.clone(), Value::Str(value)),
    }
    match seal_and_write(
        &path,
        format,
        &doc,
        previous.as_deref(),
        &rules,
        &rcpts,
        &ids,
        false,
    ) {
        Ok(o) => {
            eprintln!("{name}: {rel} key `{key}` ({})", outcome_text(o));
            0
        }
        Err(m) => fatal(&m),
    }
}

pub fn get(root: Option<PathBuf>, name: &str) -> u8 {
    let (root, fe) = match load(root) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (path, rel, format, key) = match secret_target(&root, &fe, name) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let ids = match identities(&root, &fe) {
        Ok(i) => i,
        Err(c) => return c,
    };
    let dec = match open(&path, &rel, format, &ids) {
        Ok(Some((_, d))) => d,
        Ok(None) => {
            eprintln!("error[HLC601]: {rel} does not exist\n  = help: create it with `hlc secrets set {name}`");
            return 1;
        }
        Err(d) => return report(*d, Some(&fe)),
    };
    let text = dec
        .document
        .docs
        .first()
        .and_then(|m| m.get(&key))
        .and_then(|v| match v {
            Value::Str(s) | Value::Time(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        });
    match text {
        Some(t) => {
            let t = zeroize_on_drop(t);
            let _ = std::io::stdout().lock().write_all(t.0.as_bytes());
            0
        }
        None => {
            eprintln!("error[HLC602]: {rel} has no value at key `{key}`\n  = help: set it with `hlc secrets set {name}`");
            1
        }
    }
}

/// Wipes a copied value when it goes out of scope.
struct Wiped(String);
impl Drop for Wiped {
    fn drop(&mut self) {
        let s = hlc_sops::SecretString::new(std::mem::take(&mut self.0));
        drop(s);
    }
}
fn zeroize_on_drop(s: String) -> Wiped {
    Wiped(s)
}

pub fn edit(root: Option<PathBuf>, file: &Path) -> u8 {
    let (root, fe) = match load(root) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let dir = root.join(SECRETS_DIR);
    let candidate = if file.is_absolute() {
        file.to_path_buf()
    } else if root.join(file).exists() {
        root.join(file)
    } else {
        std::env::current_dir().unwrap_or_default().join(file)
    };
    let (Ok(canon), Ok(canon_dir)) = (candidate.canonicalize(), dir.canonicalize()) else {
        eprintln!("error: {} does not exist under {SECRETS_DIR}/\n  = help: create values with `hlc secrets set NAME`", file.display());
        return 1;
    };
    let Ok(inner) = canon.strip_prefix(&canon_dir) else {
        eprintln!("error: {} is not under {SECRETS_DIR}/\n  = help: files in out/ are generated: change configs/ and run `hlc build`", file.display());
        return 1;
    };
    let rel = format!(
        "{SECRETS_DIR}/{}",
        inner.to_string_lossy().replace('\\', "/")
    );
    let format = Format::from_path(&rel);
    let ids = match identities(&root, &fe) {
        Ok(i) => i,
        Err(c) => return c,
    };
    let (previous, dec) = match open(&canon, &rel, format, &ids) {
        Ok(Some(x)) => x,
        Ok(None) => return fatal(&format!("{rel} disappeared")),
        Err(d) => return report(*d, Some(&fe)),
    };
    let plain = match format.emit(&dec.document) {
        Ok(b) => zeroize_on_drop(String::from_utf8_lossy(&b).into_owned()),
        Err(e) => return fatal(&format!("cannot write the plaintext of {rel}: {e}")),
    };
    // A private directory (0700) holding the plaintext only while the editor runs.
    let tmpdir = match tempfile::Builder::new().prefix("hlc-secrets-").tempdir() {
        Ok(d) => d,
        Err(e) => return fatal(&format!("cannot create a temporary directory: {e}")),
    };
    let ext = if format == Format::Json {
        "json"
    } else {
        "yaml"
    };
    let tmp = tmpdir.path().join(format!("secret.{ext}"));
    if let Err(e) = write_private(&tmp, plain.0.as_bytes()) {
        return fatal(&format!("cannot write {}: {e}", tmp.display()));
    }
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|e| !e.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".into());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("hlc-secrets-edit")
        .arg(&tmp)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("error: the editor exited with {s}; {rel} left as it was");
            return 1;
        }
        Err(e) => return fatal(&format!("cannot run the editor `{editor}`: {e}")),
    }
    let edited = match std::fs::read(&tmp) {
        Ok(b) => zeroize_on_drop(String::from_utf8_lossy(&b).into_owned()),
        Err(e) => return fatal(&format!("cannot read back {}: {e}", tmp.display())),
    };
    drop(tmpdir);
    if edited.0 == plain.0 {
        eprintln!("error: no changes; {rel} left as it was");
        return 1;
    }
    let doc = match format.parse(edited.0.as_bytes()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: the edited {rel} is not valid {format}: {e}; nothing was written\n  = help: run `hlc secrets edit` again");
            return 1;
        }
    };
    let rcpts = match recipients(&fe) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let rules = dec.metadata.rules.clone();
    match seal_and_write(
        &canon,
        format,
        &doc,
        Some(&previous),
        &rules,
        &rcpts,
        &ids,
        false,
    ) {
        Ok(o) => {
            eprintln!("{rel} ({})", outcome_text(o));
            0
        }
        Err(m) => {
            eprintln!("error: cannot encrypt the edited {rel}: {m}; nothing was written");
            1
        }
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

pub fn rotate(root: Option<PathBuf>, new_data_key: bool) -> u8 {
    let (root, fe) = match load(root) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let rcpts = match recipients(&fe) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let ids = match identities(&root, &fe) {
        Ok(i) => i,
        Err(c) => return c,
    };
    let mut files = Vec::new();
    let dir = root.join(SECRETS_DIR);
    if dir.is_dir() {
        if let Err(e) = stage::walk(&dir, &mut files) {
            return fatal(&format!("cannot read {SECRETS_DIR}: {e}"));
        }
    }
    // Decrypt everything first: if one file cannot be opened, nothing is rewritten.
    let mut opened = Vec::new();
    let mut diags = Vec::new();
    for path in files {
        let inner = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let rel = format!("{SECRETS_DIR}/{inner}");
        let format = Format::from_path(&rel);
        // Other files (demo keys, notes) are rotated only when they are SOPS binary files.
        if !format.has_keys()
            && !matches!(read_no_follow(&path), Ok(Some(b)) if hlc_sops::inspect(&b, format).is_ok())
        {
            continue;
        }
        match open(&path, &rel, format, &ids) {
            Ok(Some((prev, d))) => opened.push((path, rel, format, prev, d)),
            Ok(None) => {}
            Err(d) => diags.push(*d),
        }
    }
    if !diags.is_empty() {
        output::diagnostics(&diags, &fe.sources, DiagFormat::Human);
        eprintln!("nothing was rewritten");
        return 1;
    }
    for (path, rel, format, prev, d) in &opened {
        let rules = d.metadata.rules.clone();
        match seal_and_write(
            path,
            *format,
            &d.document,
            Some(prev),
            &rules,
            &rcpts,
            &ids,
            new_data_key,
        ) {
            Ok(o) => eprintln!("{rel} ({})", outcome_text(o)),
            Err(m) => return fatal(&m),
        }
    }
    let code = crate::commands::build(Some(root.clone()), false, DiagFormat::Human);
    if code != 0 {
        return code;
    }
    refresh_root_sops_yaml(&root, false)
}

/// The key file `init` writes to: `--key-file`, else `SOPS_AGE_KEY_FILE`, else sops's default.
fn default_key_file() -> Option<PathBuf> {
    if let Some(f) = std::env::var_os("SOPS_AGE_KEY_FILE").filter(|f| !f.is_empty()) {
        return Some(PathBuf::from(f));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    hlc_sops::identity_sources(
        |k| {
            if k == "XDG_CONFIG_HOME" {
                std::env::var(k).ok()
            } else {
                None
            }
        },
        home.as_deref(),
    )
    .into_iter()
    .find_map(|s| match s {
        hlc_sops::IdentitySource::File { path, .. } => Some(path),
        _ => None,
    })
}

pub fn init(root: Option<PathBuf>, key_file: Option<PathBuf>, demo: bool, sops_yaml: bool) -> u8 {
    if sops_yaml {
        let root = match project::find_root(root) {
            Ok(r) => r,
            Err(m) => return fatal(&m),
        };
        return refresh_root_sops_yaml(&root, true);
    }
    let Some(path) = key_file.or_else(default_key_file) else {
        return fatal("cannot tell where to write the key: pass --key-file PATH");
    };
    if std::fs::symlink_metadata(&path).is_ok() {
        let public = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| hlc_sops::parse_identities(&t).ok())
            .map(|ids| {
                ids.iter()
                    .map(|i| i.to_public().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        eprintln!(
            "error: {} already exists; hlc never overwrites a key file\n  = help: {}",
            path.display(),
            if public.is_empty() {
                "choose another path with --key-file".to_string()
            } else {
                format!("its recipient(s): {public}")
            }
        );
        return 1;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fatal(&format!("cannot create {}: {e}", dir.display()));
        }
    }
    let id = Identity::generate();
    let public = id.to_public();
    let mut text = String::new();
    if demo {
        text.push_str("# TEST ONLY — demo key, never use for real secrets. It is committed on purpose so that\n# the lab builds on a fresh clone; anything encrypted to it is public.\n");
    }
    text.push_str(&format!(
        "# created by hlc secrets init\n# public key: {public}\n{}\n",
        id.to_secret_string().expose()
    ));
    let text = zeroize_on_drop(text);
    if let Err(e) = write_private(&path, text.0.as_bytes()) {
        return fatal(&format!("cannot write {}: {e}", path.display()));
    }
    println!("{public}");
    eprintln!(
        "wrote {}\n  = help: add the recipient to the lab: `encryption = {{ recipients = [\"{public}\"] }}`, then run `hlc secrets rotate`",
        path.display()
    );
    0
}

/// Writes `<root>/.sops.yaml` from the lab (only over a file hlc generated). `create`: write it
/// even if absent (`init --sops-yaml`); otherwise only refresh an existing one.
fn refresh_root_sops_yaml(root: &Path, create: bool) -> u8 {
    let path = root.join(".sops.yaml");
    let existing = match read_no_follow(&path) {
        Ok(e) => e,
        Err(e) => return fatal(&format!("cannot read {}: {e}", path.display())),
    };
    match &existing {
        None if !create => return 0,
        Some(b)
            if !String::from_utf8_lossy(b)
                .starts_with(&format!("# {}", stage::SOPS_YAML_HEADER)) =>
        {
            if create {
                eprintln!("error: {} exists and was not generated by hlc; not overwritten\n  = help: move it away, or merge the rules of out/.sops.yaml into it by hand", path.display());
                return 1;
            }
            return 0;
        }
        _ => {}
    }
    let fe = match frontend(root, false) {
        Ok(f) => f,
        Err(m) => return fatal(&m),
    };
    let Some(lab) = &fe.lab else {
        output::diagnostics(&fe.diags.0, &fe.sources, DiagFormat::Human);
        return 1;
    };
    // The rules of out/ are those the last build wrote to out/.sops.yaml (exactly what it
    // encrypted), re-rooted at the project root.
    let out_rules = match read_no_follow(&root.join("out/.sops.yaml")) {
        Ok(Some(b)) => out_rules(&b),
        _ => Vec::new(),
    };
    let mut rules = out_rules;
    rules.extend(stage::creation_rules(lab, &[], "out/"));
    if rules.is_empty() {
        eprintln!("error[HLC608]: the lab declares no age recipient\n  = help: add `encryption = {{ recipients = [\"age1…\"] }}` to configs/main.ncl");
        return 1;
    }
    let text = hlc_sops::sops_config_yaml(
        &[
            stage::SOPS_YAML_HEADER,
            "refresh with `hlc secrets init --sops-yaml` (or `hlc secrets rotate`)",
        ],
        &rules,
    );
    if existing.as_deref() == Some(text.as_bytes()) {
        eprintln!(".sops.yaml is up to date");
        return 0;
    }
    match write_atomic(&path, text.as_bytes()) {
        Ok(()) => {
            eprintln!("wrote .sops.yaml");
            0
        }
        Err(m) => fatal(&m),
    }
}

/// The path rules of an `out/.sops.yaml` hlc wrote, re-rooted for the project root
/// (`(^|/)talos/dev/x\.yaml$` → `(^|/)out/talos/dev/x\.yaml$`); its catch-all rule is dropped.
fn out_rules(bytes: &[u8]) -> Vec<hlc_sops::CreationRule> {
    let Ok(doc) = Format::Yaml.parse(bytes) else {
        return Vec::new();
    };
    let Some(Value::Seq(items)) = doc.docs.first().and_then(|m| m.get("creation_rules")) else {
        return Vec::new();
    };
    let text = |m: &Map, k: &str| match m.get(k) {
        Some(Value::Str(s)) => Some(s.clone()),
        _ => None,
    };
    items
        .iter()
        .filter_map(|item| {
            let Value::Map(m) = item else { return None };
            let path = text(m, "path_regex")?;
            let rest = path.strip_prefix("(^|/)")?;
            let recipients = stage::parse_recipients(
                &text(m, "age")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect::<Vec<_>>(),
            );
            let rules = match text(m, "encrypted_regex") {
                Some(re) => Rules::encrypted_regex(re),
                None => Rules::default(),
            };
            Some(hlc_sops::CreationRule {
                path_regex: Some(format!("(^|/)out/{rest}")),
                recipients,
                rules,
            })
        })
        .collect()
}
