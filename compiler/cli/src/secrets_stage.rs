//! The build's secrets stage, and the checks of the lab's secret inputs.
//!
//! * [`check_inputs`] (keyless, run by `hlc check`, `hlc build` and `hlc diff`): every file a
//!   secret names exists under `configs/secrets/` (HLC601), holds the secret's key (HLC602 — SOPS
//!   keeps key names in clear, so no key is needed), and is SOPS-encrypted (HLC603: a plaintext
//!   file there is a committed secret). Every other `.yaml`/`.yml`/`.json` file under
//!   `configs/secrets/` must be SOPS-encrypted too.
//! * [`identities`]: the age identities, found as sops finds them (`SOPS_AGE_KEY`,
//!   `SOPS_AGE_KEY_FILE`, `~/.config/sops/age/keys.txt` or `$XDG_CONFIG_HOME/sops/age/keys.txt`),
//!   plus the project's demo keys: files `configs/secrets/*.agekey` that say `TEST ONLY`, so that
//!   the reference lab and the examples build on a fresh clone.
//! * [`decrypt_inputs`]: with an identity at hand, the build decrypts the files its secrets name
//!   and fills [`hlc_render::SecretValues`] (a file no identity opens is HLC604; a file that fails
//!   its checks HLC606). Without any identity the values stay empty: a renderer that needs one
//!   reports it, and the leak guard has nothing to look for.
//! * [`encrypt_artifacts`]: every [`hlc_render::SecretArtifact`] is SOPS-encrypted for the
//!   recipients of its scope ([`hlc_model::Encryption::recipients_for`]) with
//!   [`hlc_sops::reencrypt_if_changed`], reusing the file already in `out/` (read without
//!   following symbolic links), so an unchanged plaintext keeps its file byte for byte. When the
//!   previous file must be opened to decide and no identity opens it: HLC604, nothing written.
//! * [`sops_config`]: `out/.sops.yaml`, creation rules matching exactly what was encrypted (one
//!   rule per encrypted file, then the lab's recipients for anything else), so `sops edit` on a
//!   file of `out/` uses the same recipients and `encrypted_regex`.
//! * [`user_data_size`]: the Talos machine configs that Oracle Cloud instances read as
//!   `user_data` must fit OCI's 32,000-byte metadata limit once base64-encoded (HLC707); only
//!   this stage sees their plaintext.
//! * [`leak_guard`]: refuses the build (HLC605) when any decrypted secret value (≥ 6 characters)
//!   occurs in any artifact's bytes — plain artifacts, and the clear parts of encrypted ones —
//!   naming the artifact, never the value.
//!
//! `lastmodified` of freshly (re-)encrypted files is `SOURCE_DATE_EPOCH` when set (reproducible
//! builds), else the current time; a kept file keeps its own.

use hlc_diag::Diagnostic;
use hlc_model::Lab;
use hlc_out::Artifact;
use hlc_render::{SecretArtifact, SecretValues};
use hlc_sops::rand_core::{CryptoRng, RngCore};
use hlc_sops::{CreationRule, EncryptOptions, Format, Identity, LastModified, Recipient, Rules};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the secret inputs live, relative to the project root.
pub const SECRETS_DIR: &str = "configs/secrets";

/// The marker a committed demo identity file must carry to be used without configuration.
pub const DEMO_MARKER: &str = "TEST ONLY";

/// Reads a regular file without following a symbolic link; `Ok(None)` when absent.
pub fn read_no_follow(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => std::fs::read(path).map(Some),
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a symbolic link or a directory)",
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn secret_file_diag(code: &str, msg: String, lab: &Lab, name: &str, help: &str) -> Diagnostic {
    let s = &lab.secrets[name];
    Diagnostic::error(code, msg)
        .with_span(s.file.as_ref().and_then(|f| f.span))
        .with_path(format!("secrets.{name}.file"))
        .with_help(help)
}

/// The files named by the lab's secrets, with the names of the secrets that use each.
/// Secrets whose file is not a plain relative path (HLC117, reported by the decoder) are left
/// out: hlc never reads outside configs/secrets/.
fn files_of(lab: &Lab) -> BTreeMap<String, Vec<String>> {
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, s) in lab
        .secrets
        .iter()
        .filter_map(|(n, s)| Some((n, s.file.as_ref()?)))
        .filter(|(_, f)| is_plain_relative(&f.value))
    {
        files.entry(s.value.clone()).or_default().push(name.clone());
    }
    files
}

/// Whether a secret's `file` stays under configs/secrets/ (the decoder's HLC117 condition).
pub fn is_plain_relative(file: &str) -> bool {
    !file.starts_with('/')
        && !file.contains('\\')
        && !file
            .split('/')
            .any(|c| c == ".." || c.is_empty() || c == ".")
}

const UNPARSABLE_HELP: &str = "the file is not a well-formed YAML/JSON document (a key given twice, broken indentation): restore it from git, or re-create its values with `hlc secrets set NAME`";

/// A binary secret file holds one value, `data`: the problem with naming another key, if any.
pub fn binary_key_problem(format: Format, rel: &str, key: &str) -> Option<String> {
    (format == Format::Binary && key != "data")
        .then(|| format!("{rel} is a binary file, whose one value is `data`, not `{key}`"))
}

/// The help line of [`binary_key_problem`].
pub const BINARY_KEY_HELP: &str =
    "write `key = \"data\"` (the whole decrypted file), or keep the secret in a .yaml, .json or .env file";

/// The keyless checks of the secret inputs (HLC601, HLC602, HLC603, HLC606 for a file that does
/// not parse). `Err` is an I/O failure
/// that is not about the configuration (exit 2).
pub fn check_inputs(root: &Path, lab: &Lab) -> Result<Vec<Diagnostic>, String> {
    let mut diags = Vec::new();
    let dir = root.join(SECRETS_DIR);
    let files = files_of(lab);
    for (file, names) in &files {
        let rel = format!("{SECRETS_DIR}/{file}");
        let bytes = match read_no_follow(&dir.join(file)) {
            Ok(Some(b)) => b,
            Ok(None) => {
                for n in names {
                    diags.push(secret_file_diag(
                        "HLC601",
                        format!("secret `{n}`: {rel} does not exist"),
                        lab,
                        n,
                        &format!(
                            "create it with `hlc secrets set {n}` (the value is read from stdin)"
                        ),
                    ));
                }
                continue;
            }
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                for n in names {
                    diags.push(secret_file_diag(
                        "HLC601",
                        format!("secret `{n}`: {rel} is not a regular file"),
                        lab,
                        n,
                        "secret files are regular files under configs/secrets/ (hlc does not follow symbolic links)",
                    ));
                }
                continue;
            }
            Err(e) => return Err(format!("cannot read {rel}: {e}")),
        };
        let format = Format::from_path(file);
        let doc = match hlc_sops::inspect(&bytes, format) {
            Ok(_) => format.parse(&bytes).ok(),
            Err(e) => {
                let (code, msg, help) = match e {
                    // A file that does not parse may or may not be encrypted: say what is wrong
                    // with it rather than call it plaintext.
                    hlc_sops::Error::Parse { .. } => (
                        "HLC606",
                        format!("{rel} cannot be read: {e}"),
                        UNPARSABLE_HELP,
                    ),
                    hlc_sops::Error::MetadataNotFound | hlc_sops::Error::RootNotMap => (
                        "HLC603",
                        format!("{rel} is not SOPS-encrypted: its values are committed in plaintext"),
                        "treat these values as leaked: rotate them, then store them with `hlc secrets set NAME` (and purge the plaintext from git history)",
                    ),
                    other => (
                        "HLC603",
                        format!("{rel} has invalid SOPS metadata: {other}"),
                        "restore the file from git, or re-create it with `hlc secrets set NAME`",
                    ),
                };
                diags.push(
                    Diagnostic::error(code, msg)
                        .with_file(rel.clone())
                        .with_label(
                            lab.secrets[&names[0]].file.as_ref().and_then(|f| f.span),
                            "named here",
                        )
                        .with_path(format!("secrets.{}.file", names[0]))
                        .with_help(help),
                );
                continue;
            }
        };
        let top = doc.as_ref().and_then(|d| d.docs.first());
        for n in names {
            let Some(key) = &lab.secrets[n].key else {
                continue;
            };
            if let Some(msg) = binary_key_problem(format, &rel, &key.value) {
                diags.push(
                    Diagnostic::error("HLC602", format!("secret `{n}`: {msg}"))
                        .with_span(key.span)
                        .with_path(format!("secrets.{n}.key"))
                        .with_help(BINARY_KEY_HELP),
                );
            } else if top.and_then(|m| m.get(&key.value)).is_none() {
                diags.push(
                    Diagnostic::error(
                        "HLC602",
                        format!("secret `{n}`: {rel} has no key `{}`", key.value),
                    )
                    .with_span(key.span)
                    .with_path(format!("secrets.{n}.key"))
                    .with_help(format!(
                        "add it with `hlc secrets set {n}` (the value is read from stdin)"
                    )),
                );
            }
        }
    }
    // Any other YAML/JSON file under configs/secrets/ must be encrypted as well.
    let mut all = Vec::new();
    if dir.is_dir() {
        walk(&dir, &mut all).map_err(|e| format!("cannot read {SECRETS_DIR}: {e}"))?;
    }
    for path in all {
        let rel_in = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if files.contains_key(&rel_in) {
            continue;
        }
        // Other files (demo keys, notes) are not secret inputs unless a secret names them.
        let format = Format::from_path(&rel_in);
        if !format.has_keys() {
            continue;
        }
        let rel = format!("{SECRETS_DIR}/{rel_in}");
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {rel}: {e}"))?;
        match hlc_sops::inspect(&bytes, format) {
            Ok(_) => {}
            Err(e @ hlc_sops::Error::Parse { .. }) => diags.push(
                Diagnostic::error("HLC606", format!("{rel} cannot be read: {e}"))
                    .with_file(rel)
                    .with_help(UNPARSABLE_HELP),
            ),
            Err(_) => diags.push(
                Diagnostic::error("HLC603", format!("{rel} is not SOPS-encrypted: its values are committed in plaintext"))
                    .with_file(rel)
                    .with_help("treat its values as leaked; move them into secrets with `hlc secrets set NAME`, or delete the file"),
            ),
        }
    }
    Ok(diags)
}

pub use crate::project::walk;

/// The age identities: sops's discovery, then the project's `TEST ONLY` demo keys
/// (`configs/secrets/*.agekey`). A key source that cannot be read is HLC607.
pub fn identities(root: &Path) -> Result<Vec<Identity>, Box<Diagnostic>> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut ids = hlc_sops::discover_identities(|k| std::env::var(k).ok(), home.as_deref())
        .map_err(|e| {
            Diagnostic::error("HLC607", format!("cannot load the age identities: {e}"))
                .with_help("fix SOPS_AGE_KEY_FILE / SOPS_AGE_KEY (one AGE-SECRET-KEY-1… per line, `#` comments allowed), or unset them")
        })
        .map_err(Box::new)?;
    ids.extend(demo_identities(root)?);
    Ok(ids)
}

/// The committed demo identities of a project: `configs/secrets/*.agekey` files containing
/// [`DEMO_MARKER`].
pub fn demo_identities(root: &Path) -> Result<Vec<Identity>, Box<Diagnostic>> {
    let dir = root.join(SECRETS_DIR);
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "agekey"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let Ok(Some(bytes)) = read_no_follow(&p) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        if !text.contains(DEMO_MARKER) {
            continue;
        }
        let rel = format!(
            "{SECRETS_DIR}/{}",
            p.file_name().unwrap_or_default().to_string_lossy()
        );
        let ids = hlc_sops::parse_identities(&text).map_err(|e| {
            Box::new(
                Diagnostic::error("HLC607", format!("cannot load the demo identity {rel}: {e}"))
                    .with_file(rel.clone())
                    .with_help("a demo key file holds `#` comments (one saying TEST ONLY) and one AGE-SECRET-KEY-1… line"),
            )
        })?;
        out.extend(ids);
    }
    Ok(out)
}

/// The text of a decrypted scalar, `None` for maps, lists and null.
fn scalar_text(v: &hlc_sops::Value) -> Option<String> {
    use hlc_sops::Value as V;
    match v {
        V::Str(s) | V::Time(s) => Some(s.clone()),
        V::Int(i) => Some(i.to_string()),
        V::Float(f) => Some(f.to_string()),
        V::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Decrypts the files the lab's secrets name and returns their values by secret name. Without
/// identities nothing is decrypted. Files that fail [`check_inputs`] are skipped (already
/// reported).
pub fn decrypt_inputs(
    root: &Path,
    lab: &Lab,
    identities: &[Identity],
) -> (SecretValues, Vec<Diagnostic>) {
    let mut values = SecretValues::default();
    let mut diags = Vec::new();
    if identities.is_empty() {
        return (values, diags);
    }
    for (file, names) in files_of(lab) {
        let rel = format!("{SECRETS_DIR}/{file}");
        let format = Format::from_path(&file);
        let Ok(Some(bytes)) = read_no_follow(&root.join(SECRETS_DIR).join(&file)) else {
            continue;
        };
        if hlc_sops::inspect(&bytes, format).is_err() {
            continue;
        }
        let dec = match hlc_sops::decrypt(&bytes, format, identities) {
            Ok(d) => d,
            Err(e) => {
                let (code, help) = match e {
                    hlc_sops::Error::NoMatchingIdentity { .. } => ("HLC604", "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the identity of one of the file's recipients; after a change of recipients, run `hlc secrets rotate` with an old key"),
                    _ => ("HLC606", "the file was changed outside sops/hlc: restore it from git, or re-create its values with `hlc secrets set NAME`"),
                };
                diags.push(
                    Diagnostic::error(code, format!("cannot decrypt {rel}: {e}"))
                        .with_file(rel.clone())
                        .with_label(
                            lab.secrets[&names[0]].file.as_ref().and_then(|f| f.span),
                            "named here",
                        )
                        .with_help(help),
                );
                continue;
            }
        };
        let top = dec.document.docs.first();
        for n in names {
            let Some(key) = &lab.secrets[&n].key else {
                continue;
            };
            // An absent key is reported by check_inputs (HLC602).
            if let Some(v) = top.and_then(|m| m.get(&key.value)) {
                match scalar_text(v) {
                    Some(t) => {
                        values.0.insert(n, hlc_sops::SecretString::new(t));
                    }
                    None => diags.push(
                        Diagnostic::error(
                            "HLC602",
                            if matches!(v, hlc_sops::Value::Bytes(_)) {
                                format!("secret `{n}`: {rel} is not UTF-8 text")
                            } else {
                                format!(
                                    "secret `{n}`: `{}` in {rel} is not a single value",
                                    key.value
                                )
                            },
                        )
                        .with_span(key.span)
                        .with_path(format!("secrets.{n}.key"))
                        .with_help(format!(
                            "a secret is one string; set it with `hlc secrets set {n}`"
                        )),
                    ),
                }
            }
        }
    }
    (values, diags)
}

/// `lastmodified` for fresh encryptions: `SOURCE_DATE_EPOCH` if set, else now.
pub fn lastmodified() -> Result<LastModified, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<i64>()
            .map(LastModified::from_unix_seconds)
            .map_err(|_| format!("SOURCE_DATE_EPOCH=`{v}` is not a number of seconds")),
        _ => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Ok(LastModified::from_unix_seconds(secs))
        }
    }
}

/// Parses validated recipient strings (the model checked them, HLC118).
pub fn parse_recipients(list: &[String]) -> Vec<Recipient> {
    list.iter().filter_map(|r| r.parse().ok()).collect()
}

fn rules_of(a: &SecretArtifact) -> Rules {
    match &a.encrypted_regex {
        Some(re) => Rules::encrypted_regex(re.clone()),
        None => Rules::default(),
    }
}

/// A secret artifact's plaintext as a SOPS document: YAML goes through hlc's YAML emitter and is
/// read back, so scalars are typed as a YAML reader types them.
fn plaintext(a: &SecretArtifact) -> Result<hlc_sops::Document, hlc_sops::Error> {
    match a.format {
        // An array is a stream of documents (a Talos machine config, issue 5).
        Format::Yaml => Format::Yaml.parse(
            match &a.document {
                serde_json::Value::Array(docs) => hlc_render::yaml::to_yaml_docs(docs),
                d => hlc_render::yaml::to_yaml(d),
            }
            .as_bytes(),
        ),
        Format::Json => {
            let text = serde_json::to_string(&a.document).map_err(|e| hlc_sops::Error::Emit {
                format: Format::Json,
                message: e.to_string(),
            })?;
            Format::Json.parse(text.as_bytes())
        }
        // No renderer writes a dotenv or binary artifact.
        other => Err(hlc_sops::Error::Emit {
            format: other,
            message: "secret artifacts are YAML or JSON".into(),
        }),
    }
}

/// Encrypts the secret artifacts (sorted by path) for the recipients of their scopes, reusing
/// the files in `out_dir`. All problems are reported at once; on any, nothing is returned.
pub fn encrypt_artifacts(
    out_dir: &Path,
    lab: &Lab,
    arts: &[SecretArtifact],
    identities: &[Identity],
    lastmodified: &LastModified,
) -> Result<Vec<Artifact>, Vec<Diagnostic>> {
    // Each file is sealed on its own (fresh data key, its own age stanzas): split the files over
    // the cores (a thousand Talos machine configs at 10,000 services), keeping their order.
    let parts = hlc_out::parallel::map_chunks(arts, 16, |part| {
        encrypt_part(
            out_dir,
            lab,
            part,
            identities,
            lastmodified,
            &mut hlc_sops::rand_core::OsRng,
        )
    });
    let (mut out, mut diags) = (Vec::new(), Vec::new());
    for part in parts {
        let (a, d) = part.unwrap_or_else(|| {
            let d = Diagnostic::error(
                "HLC900",
                "the encryption of secret artifacts stopped unexpectedly",
            )
            .with_help("this is a bug; please report it with the command you ran");
            (Vec::new(), vec![d])
        });
        out.extend(a);
        diags.extend(d);
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags)
    }
}

/// [`encrypt_artifacts`] for some of the artifacts, on one thread.
fn encrypt_part<R: CryptoRng + RngCore>(
    out_dir: &Path,
    lab: &Lab,
    arts: &[SecretArtifact],
    identities: &[Identity],
    lastmodified: &LastModified,
    rng: &mut R,
) -> (Vec<Artifact>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for a in arts {
        let file = format!("out/{}", a.path);
        let recipients = parse_recipients(&lab.encryption.recipients_for(a.scope.as_deref()));
        if recipients.is_empty() {
            diags.push(
                Diagnostic::error("HLC608", format!("{file} holds secrets but the lab declares no age recipient"))
                    .with_file(file)
                    .with_path("encryption.recipients")
                    .with_help("add `encryption = { recipients = [\"age1…\"] }` to configs/main.ncl (create a key with `hlc secrets init`)"),
            );
            continue;
        }
        let rules = rules_of(a);
        let plain = match plaintext(a) {
            Ok(p) => p,
            Err(e) => {
                diags.push(internal(&file, &e));
                continue;
            }
        };
        // Something in the way (a link, a directory) is reported by hlc-out when it writes.
        let previous = read_no_follow(&out_dir.join(&a.path)).unwrap_or_default();
        let opts = EncryptOptions {
            format: a.format,
            recipients: &recipients,
            rules: &rules,
            lastmodified,
        };
        match hlc_sops::reencrypt_if_changed(previous.as_deref(), &plain, &opts, identities, rng) {
            Ok(r) => match String::from_utf8(r.bytes) {
                Ok(text) => match Artifact::new(&a.path, text, a.target, a.sources.clone()) {
                    Ok(art) => out.push(art),
                    Err(e) => diags.push(internal(&file, &e)),
                },
                Err(e) => diags.push(internal(&file, &e)),
            },
            Err(hlc_sops::Error::NeedIdentity) => diags.push(
                Diagnostic::error("HLC604", format!("{file} must be decrypted to tell whether it changed, and no age identity opens it"))
                    .with_file(file)
                    .with_help("set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the identity of one of its recipients (see `hlc secrets init`); nothing was written"),
            ),
            Err(e) => diags.push(internal(&file, &e)),
        }
    }
    (out, diags)
}

fn internal(file: &str, e: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic::error("HLC900", format!("cannot encrypt {file}: {e}"))
        .with_file(file.to_string())
        .with_help("this is a bug; please report it with the command you ran")
}

/// Escapes a path for a RE2 `path_regex`.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Creation rules for the encrypted artifacts (paths prefixed with `prefix`, e.g. `out/` for the
/// project root's `.sops.yaml`, empty for `out/.sops.yaml`), then the lab's recipients for
/// files under `configs/secrets/` (root only) and for anything else.
pub fn creation_rules(lab: &Lab, arts: &[SecretArtifact], prefix: &str) -> Vec<CreationRule> {
    let mut rules: Vec<CreationRule> = arts
        .iter()
        .map(|a| CreationRule {
            path_regex: Some(format!(
                "(^|/){}$",
                regex_escape(&format!("{prefix}{}", a.path))
            )),
            recipients: parse_recipients(&lab.encryption.recipients_for(a.scope.as_deref())),
            rules: rules_of(a),
        })
        .collect();
    let default = parse_recipients(&lab.encryption.recipients_for(None));
    if !prefix.is_empty() {
        rules.push(CreationRule {
            path_regex: Some(format!("(^|/){}/", regex_escape(SECRETS_DIR))),
            recipients: default.clone(),
            rules: Rules::default(),
        });
    }
    rules.push(CreationRule {
        path_regex: None,
        recipients: default,
        rules: Rules::default(),
    });
    rules.retain(|r| !r.recipients.is_empty());
    rules
}

/// The header of every `.sops.yaml` hlc writes; `hlc secrets init --sops-yaml` only overwrites
/// a file that starts with it.
pub const SOPS_YAML_HEADER: &str =
    "generated by hlc from the lab's `encryption` (configs/): do not edit";

/// `out/.sops.yaml`, when the lab declares recipients or has encrypted artifacts.
pub fn sops_config(
    lab: &Lab,
    arts: &[SecretArtifact],
) -> Result<Option<Artifact>, Box<Diagnostic>> {
    let rules = creation_rules(lab, arts, "");
    if rules.is_empty() {
        return Ok(None);
    }
    let text = hlc_sops::sops_config_yaml(
        &[
            SOPS_YAML_HEADER,
            "used by `sops edit FILE` run inside out/; the project root's .sops.yaml comes from `hlc secrets init --sops-yaml`",
        ],
        &rules,
    );
    let mut sources = vec!["encryption".to_string()];
    sources.extend(arts.iter().flat_map(|a| a.sources.iter().cloned()));
    sources.sort();
    sources.dedup();
    Artifact::new(".sops.yaml", text, "sops", sources)
        .map(Some)
        .map_err(|e| Box::new(internal("out/.sops.yaml", &e)))
}

/// HLC707 for every OCI node whose machine config would not fit its instance metadata: the
/// Terraform renderer base64-encodes the config into `metadata.user_data`, and OCI accepts at
/// most [`OCI_METADATA_LIMIT`](hlc_render::terraform::OCI_METADATA_LIMIT) bytes of metadata. The
/// size measured is that of the plaintext as `sops decrypt` prints it (hlc-sops emits the same
/// layout), which is what the operator feeds to the Terraform variable.
pub fn user_data_size(lab: &Lab, arts: &[SecretArtifact]) -> Vec<Diagnostic> {
    use hlc_render::terraform::{base64_len, oci::user_data_configs, OCI_METADATA_LIMIT};
    let mut out = Vec::new();
    for (machine, path) in user_data_configs(lab) {
        let Some(a) = arts.iter().find(|a| a.path == path) else {
            continue; // not rendered (no bundle): reported as HLC706
        };
        // A config that cannot be emitted is reported by encrypt_artifacts (HLC900).
        let Ok(bytes) = plaintext(a).and_then(|doc| a.format.emit(&doc)) else {
            continue;
        };
        let encoded = base64_len(bytes.len());
        if encoded <= OCI_METADATA_LIMIT {
            continue;
        }
        let m = &lab.machines[&machine];
        let cluster = m.cluster.as_ref().map(|c| c.value.as_str()).unwrap_or("");
        let mut d = Diagnostic::error(
            "HLC707",
            format!(
                "the Talos machine config of `{machine}` is {} bytes, {encoded} once base64-encoded into the instance's `user_data`: more than the {} bytes of metadata OCI accepts",
                bytes.len(),
                OCI_METADATA_LIMIT
            ),
        )
        .with_path(m.origin.path.clone())
        .with_span(m.cluster.as_ref().and_then(|c| c.span).or(m.origin.span))
        .with_help(format!(
            "shrink the config by {} bytes or more: fewer or smaller `patches` (cluster `{cluster}` and the machine) or `cert_sans`; nothing was written",
            (encoded - OCI_METADATA_LIMIT).div_ceil(4) * 3
        ));
        if let Some(c) = lab.clusters.get(cluster) {
            if let Some(s) = c.cert_sans.first() {
                d = d.with_label(
                    s.span,
                    format!(
                        "{} certificate SANs of cluster `{cluster}`",
                        c.cert_sans.len()
                    ),
                );
            }
            if let Some(p) = c.patches.first() {
                d = d.with_label(
                    p.span,
                    format!("{} patches of cluster `{cluster}`", c.patches.len()),
                );
            }
        }
        if let Some(p) = m.patches.first() {
            d = d.with_label(
                p.span,
                format!("{} patches of `{machine}`", m.patches.len()),
            );
        }
        out.push(d);
    }
    out
}

/// HLC605 for every artifact whose bytes contain a secret value.
pub fn leak_guard(values: &SecretValues, artifacts: &[Artifact]) -> Vec<Diagnostic> {
    let secrets: Vec<hlc_sops::SecretString> = values.0.values().cloned().collect();
    hlc_sops::find_plaintext_leaks(
        &secrets,
        artifacts
            .iter()
            .map(|a| (a.path.as_str(), a.contents.as_slice())),
    )
    .into_iter()
    .map(|p| {
        Diagnostic::error("HLC605", format!("out/{p} would contain the plaintext value of a secret"))
            .with_file(format!("out/{p}"))
            .with_help("a secret value may only reach out/ inside a SOPS-encrypted SecretArtifact; this is a renderer bug — nothing was written")
    })
    .collect()
}

/// The whole stage for a build: decrypt the inputs, render (plain and secret artifacts),
/// encrypt, write `.sops.yaml`, run the leak guard. Returns every artifact to plan.
pub fn run(
    root: &Path,
    lab: &Lab,
    mut ctx: hlc_render::RenderContext,
) -> Result<Vec<Artifact>, StageError> {
    let ids = identities(root).map_err(|d| StageError::Diags(vec![*d]))?;
    let (mut values, mut diags) =
        crate::timings::time("secrets-decrypt", || decrypt_inputs(root, lab, &ids));
    // Issue 5: the Talos clusters' secrets bundles (HLC706 when one is missing).
    diags.extend(crate::talos::load_bundles(root, lab, &ids, &mut values));
    if !diags.is_empty() {
        return Err(StageError::Diags(diags));
    }
    ctx.secrets = values;
    // Issue 6: every SOPS-held secret a cluster's Secret needs must have been decrypted.
    let missing: Vec<Diagnostic> = hlc_render::clusters::secrets::missing_values(lab, &ctx)
        .into_iter()
        .map(|(name, service)| {
            let s = &lab.secrets[&name];
            Diagnostic::error(
                "HLC457",
                format!("secret `{name}` (read by service `{service}`) could not be decrypted, so its Kubernetes Secret cannot be rendered"),
            )
            .with_span(s.file.as_ref().and_then(|f| f.span))
            .with_path(format!("secrets.{name}"))
            .with_help("build with an age identity that opens its file (SOPS_AGE_KEY_FILE or SOPS_AGE_KEY), or set the value with `hlc secrets set NAME`")
        })
        .collect();
    if !missing.is_empty() {
        return Err(StageError::Diags(missing));
    }
    // The plain artifacts (and their leak guard) on one core, the secret ones and their
    // encryption on the other: they only meet in the plan.
    let lm = lastmodified().map_err(StageError::Fatal)?;
    let ctx = &ctx;
    let (plain, sealed) = std::thread::scope(|scope| {
        let plain = scope.spawn(|| -> Result<Vec<Artifact>, StageError> {
            let artifacts = hlc_render::render(lab, ctx)
                .map_err(|e| StageError::Fatal(format!("rendering failed: {e}")))?;
            let leaks = crate::timings::time("leak-guard", || leak_guard(&ctx.secrets, &artifacts));
            if leaks.is_empty() {
                Ok(artifacts)
            } else {
                Err(StageError::Diags(leaks))
            }
        });
        let sealed = seal_stage(root, lab, ctx, &ids, &lm);
        let plain = plain
            .join()
            .unwrap_or_else(|_| Err(StageError::Fatal("rendering stopped unexpectedly".into())));
        (plain, sealed)
    });
    // Findings of both halves, the plain ones first (as when they ran one after the other).
    let (mut artifacts, sealed) = match (plain, sealed) {
        (Ok(a), Ok(s)) => (a, s),
        (Err(StageError::Fatal(e)), _) | (_, Err(StageError::Fatal(e))) => {
            return Err(StageError::Fatal(e))
        }
        (Err(StageError::Diags(mut a)), Err(StageError::Diags(b))) => {
            a.extend(b);
            return Err(StageError::Diags(a));
        }
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e),
    };
    artifacts.extend(sealed);
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(artifacts)
}

/// The secret half of [`run`]: render the secret artifacts, check the OCI user-data size,
/// encrypt them, write `.sops.yaml`, and guard what was encrypted against leaks.
fn seal_stage(
    root: &Path,
    lab: &Lab,
    ctx: &hlc_render::RenderContext,
    ids: &[Identity],
    lm: &LastModified,
) -> Result<Vec<Artifact>, StageError> {
    let secret_arts = hlc_render::render_secret(lab, ctx)
        .map_err(|e| StageError::Fatal(format!("rendering failed: {e}")))?;
    // Issue 11: OCI nodes read their machine config from instance metadata (HLC707).
    let too_big = user_data_size(lab, &secret_arts);
    if !too_big.is_empty() {
        return Err(StageError::Diags(too_big));
    }
    let mut artifacts = crate::timings::time("secrets-encrypt", || {
        encrypt_artifacts(&root.join("out"), lab, &secret_arts, ids, lm)
    })
    .map_err(StageError::Diags)?;
    if let Some(a) = sops_config(lab, &secret_arts).map_err(|d| StageError::Diags(vec![*d]))? {
        artifacts.push(a);
    }
    let leaks = crate::timings::time("leak-guard", || leak_guard(&ctx.secrets, &artifacts));
    if !leaks.is_empty() {
        return Err(StageError::Diags(leaks));
    }
    Ok(artifacts)
}

/// Why the stage stopped.
pub enum StageError {
    /// Findings (exit 1).
    Diags(Vec<Diagnostic>),
    /// Not about the configuration (exit 2).
    Fatal(String),
}

#[cfg(test)]
mod tests {
    //! The stage with constructed inputs: production renderers produce no `SecretArtifact` yet,
    //! so these tests build them here (no fake renderer in production code).
    use super::*;
    use hlc_sops::rand_core::OsRng;

    /// A small project with two secrets in one file and the given recipients.
    fn project(recipients: &[&Recipient], scopes: &str) -> (tempfile::TempDir, Lab) {
        let dir = tempfile::tempdir().unwrap();
        let list: Vec<String> = recipients.iter().map(|r| format!("\"{r}\"")).collect();
        let main = format!(
            "{{\n  name = \"t\",\n  domain = \"example.org\",\n  secrets = {{\n    api = {{ file = \"app.yaml\", key = \"api_token\" }},\n    db = {{ file = \"app.yaml\", key = \"db_password\" }},\n  }},\n  encryption = {{ recipients = [{}], scopes = {{ {scopes} }} }},\n}}\n",
            list.join(", ")
        );
        std::fs::create_dir_all(dir.path().join("configs/secrets")).unwrap();
        std::fs::write(dir.path().join("configs/main.ncl"), main).unwrap();
        let fe = crate::pipeline::frontend(dir.path(), false).unwrap();
        assert!(!fe.diags.has_errors(), "{:?}", fe.diags.0);
        let lab = fe.lab.unwrap();
        (dir, lab)
    }

    fn secret_art(path: &str, token: &str, scope: Option<&str>) -> SecretArtifact {
        SecretArtifact {
            path: path.into(),
            target: "test",
            sources: vec!["secrets.api".into()],
            format: Format::Yaml,
            document: serde_json::json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": { "name": "app", "namespace": "apps" },
                "stringData": { "token": token, "port": "0755" },
            }),
            encrypted_regex: Some("^(data|stringData)$".into()),
            scope: scope.map(String::from),
        }
    }

    fn lm() -> LastModified {
        LastModified::from_unix_seconds(1_800_000_000)
    }

    fn write_out(dir: &Path, arts: &[Artifact]) {
        for a in arts {
            let p = dir.join("out").join(a.path.as_str());
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, &a.contents).unwrap();
        }
    }

    #[test]
    fn many_files_are_sealed_in_parallel_in_their_order_each_with_its_own_key() {
        let id = Identity::generate();
        let (dir, lab) = project(&[&id.to_public()], "");
        let out = dir.path().join("out");
        let ids = [id.clone()];
        let arts: Vec<_> = (0..40)
            .map(|i| {
                secret_art(
                    &format!("s{i:02}/secret.yaml"),
                    &format!("token-{i:04}-xyzw"),
                    None,
                )
            })
            .collect();
        let enc = encrypt_artifacts(&out, &lab, &arts, &ids, &lm()).unwrap();
        let paths: Vec<&str> = enc.iter().map(|e| e.path.as_str()).collect();
        let want: Vec<&str> = arts.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(paths, want);
        let mut keys = std::collections::BTreeSet::new();
        for (i, e) in enc.iter().enumerate() {
            let back = hlc_sops::decrypt(&e.contents, Format::Yaml, &ids).unwrap();
            assert!(format!("{:?}", back.document.docs[0]).contains(&format!("token-{i:04}-xyzw")));
            keys.insert(back.data_key().to_vec());
        }
        assert_eq!(keys.len(), arts.len(), "every file has its own data key");
    }

    #[test]
    fn encrypts_and_keeps_unchanged_files_byte_for_byte() {
        let id = Identity::generate();
        let (dir, lab) = project(&[&id.to_public()], "");
        let out = dir.path().join("out");
        let ids = [id.clone()];
        let arts = vec![
            secret_art("a/secret.yaml", "token-aaaa-1111", None),
            secret_art("b/secret.yaml", "token-bbbb-2222", None),
        ];
        let first = encrypt_artifacts(&out, &lab, &arts, &ids, &lm()).unwrap();
        assert_eq!(first.len(), 2);
        for (a, e) in arts.iter().zip(&first) {
            let text = String::from_utf8_lossy(&e.contents);
            assert!(!text.contains("token-"), "plaintext in {}", a.path);
            assert!(
                text.contains("kind: Secret"),
                "encrypted_regex leaves the rest clear"
            );
            let back = hlc_sops::decrypt(&e.contents, Format::Yaml, &ids).unwrap();
            let token = back.document.docs[0]
                .get("stringData")
                .and_then(|v| match v {
                    hlc_sops::Value::Map(m) => m.get("token").cloned(),
                    _ => None,
                });
            assert!(
                matches!(token, Some(hlc_sops::Value::Str(t)) if t == a.document["stringData"]["token"])
            );
            // Typed as a YAML reader types it: "0755" stays a string.
            let port = back.document.docs[0]
                .get("stringData")
                .and_then(|v| match v {
                    hlc_sops::Value::Map(m) => m.get("port").cloned(),
                    _ => None,
                });
            assert!(matches!(port, Some(hlc_sops::Value::Str(p)) if p == "0755"));
        }
        write_out(dir.path(), &first);
        // A later build (another lastmodified): same bytes.
        let later = LastModified::from_unix_seconds(1_900_000_000);
        let second = encrypt_artifacts(&out, &lab, &arts, &ids, &later).unwrap();
        for (x, y) in first.iter().zip(&second) {
            assert_eq!(x.contents, y.contents, "{} churned", x.path.as_str());
        }
        // One value changes: exactly the file that contains it changes.
        let changed = vec![
            secret_art("a/secret.yaml", "token-aaaa-1111", None),
            secret_art("b/secret.yaml", "token-bbbb-3333", None),
        ];
        let third = encrypt_artifacts(&out, &lab, &changed, &ids, &later).unwrap();
        assert_eq!(third[0].contents, first[0].contents);
        assert_ne!(third[1].contents, first[1].contents);
        let back = hlc_sops::decrypt(&third[1].contents, Format::Yaml, &ids).unwrap();
        assert!(format!("{:?}", back.document.docs[0]).contains("token-bbbb-3333"));
    }

    #[test]
    fn no_identity_for_a_previous_file_is_hlc604_and_nothing_is_returned() {
        let id = Identity::generate();
        let (dir, lab) = project(&[&id.to_public()], "");
        let arts = vec![secret_art("a/secret.yaml", "token-aaaa-1111", None)];
        let first = encrypt_artifacts(&dir.path().join("out"), &lab, &arts, &[id], &lm()).unwrap();
        write_out(dir.path(), &first);
        let err = encrypt_artifacts(&dir.path().join("out"), &lab, &arts, &[], &lm()).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].code, "HLC604");
        assert!(err[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("SOPS_AGE_KEY_FILE"));
        assert!(!format!("{:?}", err[0]).contains("token-aaaa"));
    }

    #[test]
    fn scopes_add_recipients_and_sops_yaml_matches() {
        let admin = Identity::generate();
        let flux = Identity::generate();
        let scope = format!("prod = [\"{}\"]", flux.to_public());
        let (dir, lab) = project(&[&admin.to_public()], &scope);
        let arts = vec![
            secret_art("clusters/dev/s.yaml", "token-dev-0001", Some("dev")),
            secret_art("clusters/prod/s.yaml", "token-prod-0001", Some("prod")),
        ];
        let enc = encrypt_artifacts(&dir.path().join("out"), &lab, &arts, &[], &lm()).unwrap();
        let flux_ids = [flux.clone()];
        assert!(hlc_sops::decrypt(&enc[0].contents, Format::Yaml, &flux_ids).is_err());
        assert!(hlc_sops::decrypt(&enc[1].contents, Format::Yaml, &flux_ids).is_ok());
        assert!(
            hlc_sops::decrypt(&enc[0].contents, Format::Yaml, std::slice::from_ref(&admin)).is_ok()
        );
        let cfg = sops_config(&lab, &arts).unwrap().unwrap();
        let text = String::from_utf8(cfg.contents).unwrap();
        assert!(
            text.contains(r"path_regex: (^|/)clusters/prod/s\.yaml$"),
            "{text}"
        );
        assert!(text.contains(&format!("age: {},{}", admin.to_public(), flux.to_public())));
        assert!(text.contains("encrypted_regex: ^(data|stringData)$"));
    }

    #[test]
    fn files_outside_configs_secrets_are_never_read() {
        for bad in [
            "../x.yaml",
            "/etc/x.yaml",
            "a/../../x.yaml",
            "a//x.yaml",
            "./x.yaml",
            "a\\x.yaml",
        ] {
            assert!(!is_plain_relative(bad), "{bad}");
        }
        assert!(is_plain_relative("cloudflare.yaml") && is_plain_relative("talos/dev.yaml"));
    }

    #[test]
    fn leak_guard_names_the_artifact_never_the_value() {
        let canary = "canary-7f3a9c21";
        let mut values = SecretValues::default();
        values
            .0
            .insert("api".into(), hlc_sops::SecretString::new(canary));
        let arts = vec![
            Artifact::new("inventory.json", "{\"ok\": true}", "inventory", ["x"]).unwrap(),
            Artifact::new("docs/leak.md", format!("token: {canary}\n"), "docs", ["x"]).unwrap(),
        ];
        let d = leak_guard(&values, &arts);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "HLC605");
        assert_eq!(d[0].file.as_deref(), Some("out/docs/leak.md"));
        assert!(!format!("{:?}", d[0]).contains(canary));
        assert!(leak_guard(&values, &arts[..1]).is_empty());
    }

    #[test]
    fn inputs_are_checked_without_a_key() {
        let id = Identity::generate();
        let (dir, lab) = project(&[&id.to_public()], "");
        let codes = |lab: &Lab| -> Vec<String> {
            check_inputs(dir.path(), lab)
                .unwrap()
                .into_iter()
                .map(|d| d.code)
                .collect()
        };
        assert_eq!(codes(&lab), ["HLC601", "HLC601"]);
        let file = dir.path().join("configs/secrets/app.yaml");
        std::fs::write(&file, "api_token: hunter2-plain\n").unwrap();
        assert_eq!(codes(&lab), ["HLC603"]);
        let plain = Format::Yaml.parse(b"api_token: hunter2-plain\n").unwrap();
        let r = [id.to_public()];
        let rules = Rules::default();
        let opts = EncryptOptions {
            format: Format::Yaml,
            recipients: &r,
            rules: &rules,
            lastmodified: &lm(),
        };
        std::fs::write(&file, hlc_sops::encrypt(&plain, &opts, &mut OsRng).unwrap()).unwrap();
        // The key names are clear in a SOPS file: db_password is found missing without a key.
        let d = check_inputs(dir.path(), &lab).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "HLC602");
        assert_eq!(d[0].path.as_deref(), Some("secrets.db.key"));
        // With the key, the build gets the value.
        let (values, diags) = decrypt_inputs(dir.path(), &lab, &[id]);
        assert!(diags.is_empty());
        assert_eq!(values.get("api").map(|v| v.expose()), Some("hunter2-plain"));
        // Another key: HLC604, nothing decrypted.
        let (values, diags) = decrypt_inputs(dir.path(), &lab, &[Identity::generate()]);
        assert!(values.0.is_empty());
        assert_eq!(diags[0].code, "HLC604");
        // A stray plaintext file next to them is reported too.
        std::fs::write(dir.path().join("configs/secrets/notes.yaml"), "x: y\n").unwrap();
        assert!(codes(&lab).contains(&"HLC603".to_string()));
    }
}
