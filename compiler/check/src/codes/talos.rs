//! Talos (issue 5): `HLC706`, reported by the CLI (`compiler/cli/src/talos.rs`) when a Talos
//! cluster's secrets bundle cannot be used. The rules `HLC701`–`HLC705` are in [`crate::rules`].

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[CodeDoc {
    code: "HLC706",
    summary: "a Talos cluster has no usable secrets bundle (or `hlc secrets init talos` would overwrite one)",
    doc: r#"# HLC706 Talos secrets bundle

**What.** A cluster with Talos machines has no `configs/secrets/talos-<cluster>.yaml` (the
secrets bundle, in the shape `talosctl gen secrets` writes) or no
`configs/secrets/talosconfig-<cluster>.yaml` (the admin client certificate), or the decrypted
file lacks a field. Also reported by `hlc secrets init talos CLUSTER` when a bundle exists and
`--force` was not given, or when there is no recipient to encrypt it for.

**Why.** Every machine config carries the cluster's CAs, tokens and keys. The build never
generates them (it would produce different secrets on every run and split the cluster); they
are generated once, on purpose, and kept encrypted.

**Example.** `error[HLC706]: Talos cluster `dev` has no secrets bundle (configs/secrets/talos-dev.yaml is missing)`

**Fix.** Run `hlc secrets init talos <cluster>` and commit the two encrypted files. To import an
existing cluster's `secrets.yaml`, encrypt it as `configs/secrets/talos-<cluster>.yaml` with
sops. Replacing a bundle (`--force`) re-keys the whole cluster.
"#,
}];
