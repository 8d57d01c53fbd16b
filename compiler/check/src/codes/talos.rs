//! Talos (issue 5): `HLC706`, reported by the CLI (`compiler/cli/src/talos.rs`) when a Talos
//! cluster's secrets bundle cannot be used; `HLC707` (issue 11), reported by the build's
//! secrets stage (`compiler/cli/src/secrets_stage.rs`) when an Oracle Cloud node's machine config
//! is too big for its instance metadata. The rules `HLC701`–`HLC705` are in [`crate::rules`].

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[
CodeDoc {
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
},
CodeDoc {
    code: "HLC707",
    summary: "an Oracle Cloud node's Talos machine config exceeds the 32,000 bytes of instance metadata once base64-encoded",
    doc: r#"# HLC707 Talos config too big for OCI user_data

**What.** Talos on Oracle Cloud reads its machine config from the instance metadata: the
Terraform hlc renders sets `metadata.user_data` to the base64 of the node's config, and OCI
accepts at most 32,000 bytes of metadata per instance. `hlc build` measures every OCI Talos
node's config — the plaintext as `sops decrypt out/talos/<cluster>/<node>.yaml` prints it, which
is what goes into the Terraform variable — and refuses the build when its base64 is longer
(a config of more than 24,000 bytes). Reported by the build only: the plaintext exists only
while the build holds the cluster's secrets, so `hlc check` (keyless) cannot see it.

**Why.** OCI rejects the launch (or the metadata update) of an instance with larger metadata,
at `terraform apply` time, after the plan looked fine. The config carries the cluster's
certificates and keys, so it cannot be shortened by hand in the Terraform either.

**Example.** `error[HLC707]: the Talos machine config of `oci-node-1` is 41200 bytes, 54936
once base64-encoded into the instance's `user_data`: more than the 32000 bytes of metadata OCI
accepts`

**Fix.** Make the config smaller: fewer or shorter `patches` on the cluster or the machine
(large inline manifests belong in the cluster's GitOps tree, not the machine config), fewer
`cert_sans`. The help line says how many bytes to cut.
"#,
},
];
