//! The Talos secrets bundle: the file `talosctl gen secrets` writes, as hlc stores and reads it.
//!
//! One bundle per cluster lives SOPS-encrypted in `configs/secrets/talos-<cluster>.yaml`
//! ([`bundle_file`]), in talosctl's shape (lower-cased keys; see
//! `../shared/schemas/talos/NOTES.md`): `cluster.{id,secret}`,
//! `secrets.{bootstraptoken,secretboxencryptionsecret}`, `trustdinfo.token` and
//! `certs.{etcd,k8s,k8saggregator,os}.{crt,key}`, `certs.k8sserviceaccount.key`. The admin
//! client certificate of the cluster's `talosconfig` (signed by the `os` CA) is kept beside it in
//! `configs/secrets/talosconfig-<cluster>.yaml` (`crt`, `key`), so the bundle file stays exactly
//! what talosctl reads.
//!
//! The build hands the decrypted leaves to the renderers through [`crate::SecretValues`] under
//! the names [`secret_name`]`(cluster, field)` = `talos/<cluster>/<dotted.field>` (a `/` never
//! occurs in a model secret name, so they cannot collide). Nothing here reads a file: the CLI
//! decrypts, [`flatten`] maps a decrypted document to fields, and [`Bundle::from_secrets`] picks a
//! cluster's fields back out.

use crate::SecretValues;
use hlc_sops::SecretString;
use std::collections::BTreeMap;

/// Every field of a bundle, as dotted paths of `talosctl gen secrets` output.
pub const FIELDS: [&str; 14] = [
    "cluster.id",
    "cluster.secret",
    "secrets.bootstraptoken",
    "secrets.secretboxencryptionsecret",
    "trustdinfo.token",
    "certs.etcd.crt",
    "certs.etcd.key",
    "certs.k8s.crt",
    "certs.k8s.key",
    "certs.k8saggregator.crt",
    "certs.k8saggregator.key",
    "certs.k8sserviceaccount.key",
    "certs.os.crt",
    "certs.os.key",
];

/// The fields of the admin client certificate (`talosconfig-<cluster>.yaml`), as secret-name
/// suffixes.
pub const ADMIN_FIELDS: [&str; 2] = ["admin.crt", "admin.key"];

/// The bundle's file under `configs/secrets/`.
pub fn bundle_file(cluster: &str) -> String {
    format!("talos-{cluster}.yaml")
}

/// The admin client certificate's file under `configs/secrets/`.
pub fn admin_file(cluster: &str) -> String {
    format!("talosconfig-{cluster}.yaml")
}

/// The name a bundle field is passed under in [`SecretValues`].
pub fn secret_name(cluster: &str, field: &str) -> String {
    format!("talos/{cluster}/{field}")
}

/// A cluster's bundle, every field present.
#[derive(Clone)]
pub struct Bundle {
    fields: BTreeMap<&'static str, SecretString>,
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bundle(<redacted>)")
    }
}

impl Bundle {
    /// The cluster's bundle (and admin certificate) from the build's secret values; `Err` lists
    /// the missing fields (all of them when the cluster has no bundle).
    pub fn from_secrets(values: &SecretValues, cluster: &str) -> Result<Bundle, Vec<&'static str>> {
        let mut fields = BTreeMap::new();
        let mut missing = Vec::new();
        for f in FIELDS.iter().chain(ADMIN_FIELDS.iter()) {
            match values.get(&secret_name(cluster, f)) {
                Some(v) => {
                    fields.insert(*f, v.clone());
                }
                None => missing.push(*f),
            }
        }
        if missing.is_empty() {
            Ok(Bundle { fields })
        } else {
            Err(missing)
        }
    }

    /// A field's value; `field` must be one of [`FIELDS`] or [`ADMIN_FIELDS`].
    pub fn get(&self, field: &str) -> &str {
        self.fields.get(field).map(|s| s.expose()).unwrap_or("")
    }
}

/// Maps a decrypted bundle (or admin certificate, with `prefix = "admin"`) to its dotted
/// fields. Only the known fields are taken; `Err` names the first field that is missing or not
/// a string, so the caller can say which file is broken.
pub fn flatten(
    doc: &serde_json::Value,
    prefix: Option<&str>,
) -> Result<BTreeMap<&'static str, SecretString>, String> {
    let fields: &[&'static str] = match prefix {
        Some(_) => &ADMIN_FIELDS,
        None => &FIELDS,
    };
    let mut out = BTreeMap::new();
    for f in fields {
        let path = match prefix {
            Some(p) => f
                .strip_prefix(p)
                .and_then(|r| r.strip_prefix('.'))
                .unwrap_or(f),
            None => f,
        };
        let mut v = doc;
        for part in path.split('.') {
            v = v.get(part).ok_or_else(|| format!("missing `{path}`"))?;
        }
        let s = v
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("`{path}` is not a non-empty string"))?;
        out.insert(*f, SecretString::new(s));
    }
    Ok(out)
}

/// A SOPS document tree (a decrypted file) as JSON, comments dropped; integers stay integers.
pub fn sops_to_json(v: &hlc_sops::Value) -> serde_json::Value {
    use hlc_sops::{Entry, Value as V};
    match v {
        V::Null | V::Comment(_) | V::Bytes(_) => serde_json::Value::Null,
        V::Bool(b) => serde_json::Value::Bool(*b),
        V::Int(i) => serde_json::Value::from(*i),
        V::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        V::Str(s) | V::Time(s) => serde_json::Value::String(s.clone()),
        V::Map(m) => serde_json::Value::Object(
            m.0.iter()
                .filter_map(|e| match e {
                    Entry::Pair(k, v) => Some((k.clone(), sops_to_json(v))),
                    Entry::Comment(_) => None,
                })
                .collect(),
        ),
        V::Seq(items) => serde_json::Value::Array(
            items
                .iter()
                .filter(|i| !matches!(i, V::Comment(_)))
                .map(sops_to_json)
                .collect(),
        ),
    }
}
