//! Talos Image Factory schematics, computed offline.
//!
//! The Image Factory names every customised Talos image by a *schematic ID*: the lowercase hex
//! SHA-256 of the schematic's canonical YAML, which is what the factory's Go code gets from
//! go-yaml's `Marshal` of its `Schematic` struct (fixed field order, `omitempty`, 4-space
//! indentation, block style, one trailing newline). hlc writes that YAML itself
//! ([`Schematic::canonical_yaml`]) and hashes it ([`schematic_id`]), so no build ever calls
//! `POST /schematics`. The algorithm and the vectors the tests check against are in
//! `../shared/schemas/talos/image-factory/` (NOTES.md §1, vectors.json).
//!
//! This module is the single place where schematic IDs and Talos image references are made:
//! the Talos machineconfigs (`machine.install.image`) and the VM / instance definitions
//! (boot ISO, disk image) both call [`installer_image`] / [`image_url`] with the same
//! [`Schematic`], so they cannot disagree.
//!
//! Values the factory's two YAML libraries (yaml.v3 and yaml v4) would quote differently
//! (YAML 1.1 booleans like `yes`/`off`, base-60 numbers like `1:20`), strings the emitter would
//! have to escape, timestamps, and multi-line values outside the vector-covered shapes are
//! refused with a [`SchematicError`] instead of being hashed to an ID that might be wrong.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::{self, Write};

/// The official extension that runs the QEMU guest agent (needed for Proxmox `agent.enabled`).
pub const QEMU_GUEST_AGENT: &str = "siderolabs/qemu-guest-agent";

/// The factory host of installer images and boot assets.
pub const FACTORY: &str = "factory.talos.dev";

/// An Image Factory schematic (the factory's data model, field for field).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schematic {
    /// Enterprise factories only; the public factory rejects it.
    pub owner: Option<String>,
    pub overlay: Option<Overlay>,
    pub customization: Customization,
}

/// A board overlay (single-board computers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overlay {
    pub image: String,
    pub name: String,
    /// `options`, emitted with sorted keys.
    pub options: BTreeMap<String, Scalar>,
}

/// A scalar value of overlay options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Bool(bool),
}

/// `customization`: always emitted (`customization: {}` when empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Customization {
    pub embedded_machine_configuration: Option<String>,
    /// Hashed in the order given (the factory does not sort them).
    pub extra_kernel_args: Vec<String>,
    pub meta: Vec<Meta>,
    /// `systemExtensions.officialExtensions`, hashed in the order given.
    pub official_extensions: Vec<String>,
    /// `dual-boot`, `sd-boot` or `grub`; `None` = automatic.
    pub bootloader: Option<String>,
    pub secureboot: SecureBoot,
    /// `diskImage.sectorSize`; `None` (or 0) omitted.
    pub disk_image_sector_size: Option<u32>,
}

/// One `meta` entry (Talos META partition key/value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    pub key: u8,
    pub value: String,
}

/// `customization.secureboot`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecureBoot {
    pub enroll_keys: Option<String>,
    pub include_well_known_certificates: bool,
}

impl SecureBoot {
    fn is_empty(&self) -> bool {
        self.enroll_keys.is_none() && !self.include_well_known_certificates
    }
}

/// Why a schematic cannot be hashed safely.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchematicError {
    /// The offending value.
    pub value: String,
    /// Why it is refused.
    pub reason: &'static str,
}

impl fmt::Display for SchematicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` cannot be used in a schematic: {}",
            self.value, self.reason
        )
    }
}

impl std::error::Error for SchematicError {}

impl Schematic {
    /// The schematic hlc builds for a machine class: official extensions sorted and
    /// deduplicated (as the factory's web UI does, so IDs match the ones people publish),
    /// kernel arguments in the order written.
    pub fn for_install<E: AsRef<str>, K: AsRef<str>>(extensions: &[E], kernel_args: &[K]) -> Self {
        let mut ext: Vec<String> = extensions.iter().map(|e| e.as_ref().to_string()).collect();
        ext.sort();
        ext.dedup();
        Schematic {
            customization: Customization {
                extra_kernel_args: kernel_args.iter().map(|k| k.as_ref().to_string()).collect(),
                official_extensions: ext,
                ..Customization::default()
            },
            ..Schematic::default()
        }
    }

    /// Whether the schematic carries the QEMU guest agent extension.
    pub fn has_extension(&self, name: &str) -> bool {
        self.customization
            .official_extensions
            .iter()
            .any(|e| e == name)
    }

    /// The canonical YAML the factory hashes.
    pub fn canonical_yaml(&self) -> Result<String, SchematicError> {
        let mut y = String::new();
        if let Some(owner) = &self.owner {
            y.push_str("owner: ");
            y.push_str(&scalar(owner)?);
            y.push('\n');
        }
        if let Some(o) = &self.overlay {
            y.push_str("overlay:\n");
            line(&mut y, 4, "image", &scalar(&o.image)?);
            line(&mut y, 4, "name", &scalar(&o.name)?);
            if !o.options.is_empty() {
                y.push_str("    options:\n");
                for (k, v) in &o.options {
                    let v = match v {
                        Scalar::Str(s) => scalar(s)?,
                        Scalar::Int(i) => i.to_string(),
                        Scalar::Bool(b) => b.to_string(),
                    };
                    line(&mut y, 8, &scalar(k)?, &v);
                }
            }
        }
        let c = &self.customization;
        let empty = c.embedded_machine_configuration.is_none()
            && c.extra_kernel_args.is_empty()
            && c.meta.is_empty()
            && c.official_extensions.is_empty()
            && c.bootloader.is_none()
            && c.secureboot.is_empty()
            && c.disk_image_sector_size.unwrap_or(0) == 0;
        if empty {
            y.push_str("customization: {}\n");
            return Ok(y);
        }
        y.push_str("customization:\n");
        if let Some(cfg) = &c.embedded_machine_configuration {
            y.push_str("    embeddedMachineConfiguration: ");
            y.push_str(&value(cfg, 8)?);
        }
        if !c.extra_kernel_args.is_empty() {
            y.push_str("    extraKernelArgs:\n");
            for a in &c.extra_kernel_args {
                let _ = writeln!(y, "        - {}", scalar(a)?);
            }
        }
        if !c.meta.is_empty() {
            y.push_str("    meta:\n");
            for m in &c.meta {
                let _ = writeln!(y, "        - key: {}", m.key);
                y.push_str("          value: ");
                y.push_str(&value(&m.value, 12)?);
            }
        }
        if !c.official_extensions.is_empty() {
            y.push_str("    systemExtensions:\n        officialExtensions:\n");
            for e in &c.official_extensions {
                let _ = writeln!(y, "            - {}", scalar(e)?);
            }
        }
        if let Some(b) = &c.bootloader {
            line(&mut y, 4, "bootloader", &scalar(b)?);
        }
        if !c.secureboot.is_empty() {
            y.push_str("    secureboot:\n");
            if let Some(k) = &c.secureboot.enroll_keys {
                line(&mut y, 8, "enrollKeys", &scalar(k)?);
            }
            if c.secureboot.include_well_known_certificates {
                line(&mut y, 8, "includeWellKnownCertificates", "true");
            }
        }
        if let Some(n) = c.disk_image_sector_size.filter(|n| *n != 0) {
            y.push_str("    diskImage:\n");
            line(&mut y, 8, "sectorSize", &n.to_string());
        }
        Ok(y)
    }
}

/// The schematic ID: lowercase hex SHA-256 of [`Schematic::canonical_yaml`].
pub fn schematic_id(schematic: &Schematic) -> Result<String, SchematicError> {
    Ok(sha256_hex(schematic.canonical_yaml()?.as_bytes()))
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A Talos version as the factory spells it (`v1.12.1`), whether or not `version` has the `v`.
pub fn factory_version(version: &str) -> String {
    if version.starts_with('v') {
        version.to_string()
    } else {
        format!("v{version}")
    }
}

/// The platform-specific installer image (Talos ≥ 1.10, what `machine.install.image` and
/// `talosctl upgrade --image` take): `factory.talos.dev/<platform>-installer/<id>:<version>`.
/// `platform` is the Talos platform of the machine: `nocloud` (Proxmox VMs booted with the
/// nocloud ISO), `oracle` (OCI), `metal`.
pub fn installer_image(platform: &str, schematic_id: &str, talos_version: &str) -> String {
    format!(
        "{FACTORY}/{platform}-installer/{schematic_id}:{}",
        factory_version(talos_version)
    )
}

/// A boot asset of a schematic: `https://factory.talos.dev/image/<id>/<version>/<file>`, e.g.
/// `file = "nocloud-amd64.iso"` or `"oracle-arm64.qcow2"`.
pub fn image_url(schematic_id: &str, talos_version: &str, file: &str) -> String {
    format!(
        "https://{FACTORY}/image/{schematic_id}/{}/{file}",
        factory_version(talos_version)
    )
}

fn line(y: &mut String, indent: usize, key: &str, v: &str) {
    let _ = writeln!(y, "{:indent$}{key}: {v}", "");
}

/// A mapping value: a scalar on the key's line, or a literal block whose content lines are
/// indented to column `content`. Ends with the line break(s).
fn value(s: &str, content: usize) -> Result<String, SchematicError> {
    if !s.contains('\n') {
        return Ok(format!("{}\n", scalar(s)?));
    }
    let refuse = |reason| {
        Err(SchematicError {
            value: s.to_string(),
            reason,
        })
    };
    let body = s.strip_suffix('\n');
    let (indicator, body) = match body {
        Some(b) if b.ends_with('\n') => {
            return refuse("a multi-line value may end with at most one line break")
        }
        Some(b) => ("|", b),
        None => ("|-", s),
    };
    if body.starts_with(' ') || body.starts_with('\n') {
        return refuse("a multi-line value may not start with a space or a blank line");
    }
    let mut out = format!("{indicator}\n");
    for l in body.split('\n') {
        if l.ends_with(' ') || l.ends_with('\t') {
            return refuse("a line of a multi-line value ends with a space");
        }
        if l.chars().any(|c| c.is_control() && c != '\t') || l.contains('\t') {
            return refuse("control characters and tabs are not supported");
        }
        if l.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{:content$}{l}", "");
        }
    }
    Ok(out)
}

/// A single-line string as go-yaml emits it: plain, `"double-quoted"` when a YAML reader would
/// resolve it to another type, `'single-quoted'` when it cannot be written plain.
fn scalar(s: &str) -> Result<String, SchematicError> {
    let refuse = |reason| {
        Err(SchematicError {
            value: s.to_string(),
            reason,
        })
    };
    if s.contains('\n') {
        return refuse("a line break is not allowed here");
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return refuse("control characters are not supported");
    }
    if is_old_bool(s) || is_base60(s) {
        return refuse(
            "the factory's YAML libraries (yaml.v3 and v4) quote it differently, so its ID is not stable",
        );
    }
    if is_timestamp_like(s) {
        return refuse("it reads as a YAML timestamp");
    }
    if resolves_to_non_string(s) {
        return Ok(format!("\"{s}\""));
    }
    if !plain_allowed(s) {
        return Ok(format!("'{}'", s.replace('\'', "''")));
    }
    Ok(s.to_string())
}

fn is_old_bool(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn is_base60(s: &str) -> bool {
    // YAML 1.1 sexagesimal: [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, _frac) = match s.split_once('.') {
        Some((a, b)) if b.chars().all(|c| c.is_ascii_digit() || c == '_') => (a, Some(b)),
        Some(_) => return false,
        None => (s, None),
    };
    let mut parts = int.split(':');
    let Some(first) = parts.next() else {
        return false;
    };
    let first_ok = first.starts_with(|c: char| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '_');
    let rest: Vec<&str> = parts.collect();
    first_ok
        && !rest.is_empty()
        && rest.iter().all(|p| {
            (1..=2).contains(&p.len())
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || p.as_bytes()[0] <= b'5')
        })
}

fn is_timestamp_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5].is_ascii_digit()
}

/// What go-yaml's resolver would read as null, bool, int or float.
fn resolves_to_non_string(s: &str) -> bool {
    if matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | ".nan"
            | ".NaN"
            | ".NAN"
    ) {
        return true;
    }
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if t.is_empty() {
        return false;
    }
    let digits =
        |x: &str, f: fn(&char) -> bool| !x.is_empty() && x.chars().all(|c| f(&c) || c == '_');
    if let Some(h) = t.strip_prefix("0x") {
        return digits(h, char::is_ascii_hexdigit);
    }
    if let Some(o) = t.strip_prefix("0o") {
        return digits(o, |c| ('0'..='7').contains(c));
    }
    if let Some(bin) = t.strip_prefix("0b") {
        return digits(bin, |c| *c == '0' || *c == '1');
    }
    // Decimal integer or float: [0-9_]* (\. [0-9_]*)? ([eE][-+]?[0-9]+)?, with a digit.
    let (mant, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    if let Some(e) = exp {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        if e.is_empty() || !e.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let (ip, fp) = match mant.split_once('.') {
        Some((a, b)) => (a, b),
        None => (mant, ""),
    };
    let ok = |x: &str| x.chars().all(|c| c.is_ascii_digit() || c == '_');
    ok(ip)
        && ok(fp)
        && (ip.chars().any(|c| c.is_ascii_digit()) || fp.chars().any(|c| c.is_ascii_digit()))
}

/// libyaml's analysis of whether a single-line scalar can be written plain in block context.
fn plain_allowed(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    if s == "-" || s == "?" || s == ":" {
        return false;
    }
    let first = b[0];
    if b"#,[]{}&*!|>'\"%@`".contains(&first) {
        return false;
    }
    if matches!(first, b'-' | b'?' | b':') && b.get(1) == Some(&b' ') {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        let next = b.get(i + 1);
        if c == b':' && (next.is_none() || next == Some(&b' ')) {
            return false;
        }
        if c == b'#' && i > 0 && b[i - 1] == b' ' {
            return false;
        }
    }
    true
}

/// The schematic of a cluster's machines: its `install.extensions` and `install.kernel_args`.
/// The one constructor both the machineconfigs and the Terraform renderers use.
pub fn for_cluster(cluster: &hlc_model::Cluster) -> Schematic {
    let ext: Vec<&str> = cluster
        .install
        .extensions
        .iter()
        .map(|e| e.as_str())
        .collect();
    let args: Vec<&str> = cluster
        .install
        .kernel_args
        .iter()
        .map(|a| a.as_str())
        .collect();
    Schematic::for_install(&ext, &args)
}

/// The Talos platform a machine boots: `metal` for Proxmox VMs (the seed's metal ISO; static
/// addresses come from the machine config, as in `talos::machineconfig`), `oracle` for cloud
/// instances (Oracle Cloud is hlc's only cloud), `metal` for bare metal.
pub fn platform(kind: hlc_model::MachineKind) -> &'static str {
    match kind {
        hlc_model::MachineKind::Vm => "metal",
        hlc_model::MachineKind::Cloud => "oracle",
        hlc_model::MachineKind::Metal => "metal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installer_and_urls() {
        let s = Schematic::for_install(&[QEMU_GUEST_AGENT], &[] as &[&str]);
        let id = schematic_id(&s).unwrap();
        assert_eq!(
            installer_image("nocloud", &id, "1.12.1"),
            format!("factory.talos.dev/nocloud-installer/{id}:v1.12.1")
        );
        assert_eq!(
            image_url(&id, "v1.12.1", "nocloud-amd64.iso"),
            format!("https://factory.talos.dev/image/{id}/v1.12.1/nocloud-amd64.iso")
        );
    }

    #[test]
    fn refuses_values_the_two_yaml_libraries_disagree_on() {
        for bad in ["yes", "Off", "1:20", "2001-12-14", "a\u{7}"] {
            let s = Schematic::for_install(&[] as &[&str], &[bad]);
            assert!(schematic_id(&s).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn for_install_sorts_and_dedups_extensions() {
        let a = Schematic::for_install(
            &["siderolabs/zfs", QEMU_GUEST_AGENT, "siderolabs/zfs"],
            &[] as &[&str],
        );
        assert_eq!(
            a.customization.official_extensions,
            vec![QEMU_GUEST_AGENT, "siderolabs/zfs"]
        );
    }
}
