//! Terraform JSON (`*.tf.json`) for the infrastructure the model declares: the Proxmox VMs
//! ([`proxmox`], provider `bpg/proxmox`) and the Oracle Cloud estate ([`oci`], provider
//! `oracle/oci`). Everything is derived from the model: names, sizes, addresses and the Talos
//! images (through [`crate::talos::schematic`], the same schematic the machineconfigs use).
//! Tenancy, compartment, availability domain, image OCIDs and credentials are Terraform
//! variables; no identifier is invented and no secret is written (the OCI nodes' machine
//! configs come from sensitive variables the operator sets at apply time from the SOPS-encrypted
//! files in `out/talos/`). Only resource types and attributes of the provider notes in
//! `../shared/schemas/terraform/` are emitted (`tests/terraform_schema.rs` checks every name).
//!
//! Output format (see `../shared/schemas/terraform/NOTES.md` §6): keys sorted, 2-space
//! indentation, one trailing newline, integers as integers, set-like lists sorted, a `"//"`
//! banner at the root. Every literal string in an expression position goes through [`lit`],
//! which escapes `${` and `%{`.

pub mod backup;
pub mod oci;
pub mod proxmox;

use crate::RenderError;
use hlc_model::Lab;
use hlc_out::Artifact;
use serde_json::{Map, Value};

/// `required_version` of every generated module (cross-type `moved` blocks need 1.8).
pub const TERRAFORM_VERSION: &str = ">= 1.8.0";
/// bpg/proxmox, pinned (the release the schema notes were read from).
pub const PROXMOX_PROVIDER: (&str, &str) = ("bpg/proxmox", "0.111.1");
/// oracle/oci, pinned.
pub const OCI_PROVIDER: (&str, &str) = ("oracle/oci", "8.28.0");

/// Renders every Terraform module.
pub fn render(lab: &Lab) -> Result<Vec<Artifact>, RenderError> {
    let mut out = proxmox::render(lab)?;
    out.extend(oci::render(lab)?);
    // Issue 12: backup buckets and their lifecycle, next to the OCI site's main.tf.json.
    out.extend(backup::render(lab)?);
    Ok(out)
}

/// A literal string in an expression position: `${` → `$${`, `%{` → `%%{`.
pub fn lit(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// A Terraform reference expression, `"${expr}"`.
pub(crate) fn expr(e: &str) -> Value {
    Value::String(format!("${{{e}}}"))
}

/// A Terraform identifier from a model name (names are DNS labels: `-` is allowed, but `_`
/// reads better in references).
pub(crate) fn ident(name: &str) -> String {
    name.replace('-', "_")
}

/// A `variable` block body.
pub(crate) fn variable(
    ty: &str,
    description: &str,
    default: Option<Value>,
    sensitive: bool,
) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), Value::String(ty.into()));
    m.insert("description".into(), Value::String(description.into()));
    if let Some(d) = default {
        m.insert("default".into(), d);
    }
    if sensitive {
        m.insert("sensitive".into(), Value::Bool(true));
    }
    Value::Object(m)
}

/// An `output` block body.
pub(crate) fn output(value: Value, description: &str) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), value);
    m.insert("description".into(), Value::String(description.into()));
    Value::Object(m)
}

/// `terraform { required_version, required_providers }`.
pub(crate) fn terraform_block(providers: &[(&str, (&str, &str))]) -> Value {
    let mut req = Map::new();
    for (local, (source, version)) in providers {
        req.insert(
            (*local).into(),
            serde_json::json!({ "source": source, "version": version }),
        );
    }
    serde_json::json!({ "required_version": TERRAFORM_VERSION, "required_providers": req })
}

/// Sorts every object's keys (serde_json keeps insertion order in this workspace).
pub(crate) fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut pairs: Vec<(String, Value)> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(pairs.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Serialises a module file: sorted keys, 2-space indentation, trailing newline.
pub(crate) fn file(
    target: &'static str,
    path: &str,
    doc: Value,
    sources: Vec<String>,
) -> Result<Artifact, RenderError> {
    let text = serde_json::to_string_pretty(&sorted(doc))
        .map_err(|source| RenderError::Serialize { target, source })?;
    crate::artifact(target, path, format!("{text}\n"), sources)
}

/// Base64 length of `n` bytes (what OCI counts against its 32,000-byte metadata limit).
pub fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// OCI's limit on `metadata` + `extended_metadata` of an instance, in bytes.
pub const OCI_METADATA_LIMIT: usize = 32_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_template_sequences() {
        assert_eq!(lit("a ${b} %{c} $d %e"), "a $${b} %%{c} $d %e");
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len(0), 0);
        assert_eq!(base64_len(1), 4);
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(24_000), 32_000);
        assert!(base64_len(24_001) > OCI_METADATA_LIMIT);
    }
}
