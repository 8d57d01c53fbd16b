//! `hlc-render`: the renderers. One module per target, each a pure function from the typed lab
//! model ([`hlc_model::Lab`]) plus the derived data of [`RenderContext`] to in-memory
//! [`Artifact`]s. No renderer reads the clock, the environment or the disk, and none writes a
//! file: `hlc-out` does that with what [`render`] returns.
//!
//! | target | module | artifact |
//! |---|---|---|
//! | `inventory` | [`inventory`] | `inventory.json`: the normalised model with derived values, no secrets |
//! | `docs` | [`docs`] | `docs/architecture.md`: tables and mermaid diagrams drawn from the model |
//! | `clusters` | [`clusters`] | `clusters/<cluster>/…`: Namespaces, ArgoCD Applications (app-of-apps, sync waves), AppProjects, CiliumNetworkPolicies; `resilience/`: Velero schedules and storage locations, ServiceMonitors, PrometheusRules, the SOPS-encrypted Alertmanager configuration, status Probes and Uptime Kuma monitors (issue 12) |
//! | `terraform` | [`terraform`] | `terraform/proxmox/main.tf.json`, `terraform/oci/main.tf.json`: VMs, OCI network, instances, budget; `terraform/oci/backup.tf.json`: backup buckets and their lifecycle |
//! | `cloudflare` | [`cloudflare`] | `cloudflare/…`: tunnels, DNS records, Access apps (API bodies, Terraform JSON, cloudflared `config.yml`) |
//! | `authentik` | [`authentik`] | `authentik/blueprints/*.yaml`: OIDC providers, applications, group bindings |
//! | `twingate` | [`twingate`] | `twingate/*.yaml`: Twingate operator resources for private services |
//! | `homepage` | [`homepage`] | `homepage/services.yaml`: the start page's links, grouped by exposure |
//!
//! Values computed by the graph phase (`hlc-check`) — sync waves, the topological order of the
//! services — come in through [`RenderContext`]; renderers take them as given and never
//! recompute them. Cheap, purely local derivations (a service's FQDN, its in-cluster URL, the
//! reverse of `depends_on`) live in [`derive`](mod@derive) so that every target derives them the same way.
//!
//! Determinism: every collection is iterated in sorted order (`BTreeMap`/`BTreeSet`), output
//! holds no timestamp and no hlc version, so the same model gives the same bytes everywhere.
//! Secrets: the model holds secret *names* and where their values live (file and key), never
//! values; user e-mail addresses are personal data and are not written to any artifact.

pub mod authentik;
pub mod cloudflare;
pub mod clusters;
pub mod derive;
pub mod docs;
pub mod homepage;
pub mod inventory;
pub mod mermaid;
pub mod talos;
pub mod terraform;
pub mod twingate;
pub mod yaml;

use hlc_model::Lab;
use hlc_out::Artifact;
use std::collections::BTreeMap;
use std::fmt;

/// Derived data the renderers need but must not recompute: it belongs to the graph phase.
#[derive(Clone, Debug, Default)]
pub struct RenderContext {
    /// Service name → ArgoCD sync wave (dependencies first). A service without an entry (e.g.
    /// one that does not run in a cluster) is rendered without a wave (`null`, `—`).
    pub waves: BTreeMap<String, u32>,
    /// Every service in a topological order of `depends_on` (dependencies first).
    pub order: Vec<String>,
    /// The values of the lab's named secrets, decrypted by the build from `configs/secrets/`
    /// (empty when the build has no key: a renderer that needs a value reports it).
    pub secrets: SecretValues,
}

/// Decrypted secret inputs by name. Values are [`hlc_sops::SecretString`]s: their `Debug` and
/// `Display` are redacted, and they reach `out/` only inside a [`SecretArtifact`].
#[derive(Clone, Debug, Default)]
pub struct SecretValues(pub BTreeMap<String, hlc_sops::SecretString>);

impl SecretValues {
    pub fn get(&self, name: &str) -> Option<&hlc_sops::SecretString> {
        self.0.get(name)
    }
}

/// A rendered document that holds secret values. Renderers return it in plaintext; the build's
/// secrets stage encrypts it with SOPS for the recipients of its `scope` (reusing the previous
/// file byte for byte when nothing changed) before it reaches `out/`. A secret value must never
/// be put into an ordinary [`Artifact`]: the build refuses to write one that contains any.
#[derive(Clone)]
pub struct SecretArtifact {
    /// Path under `out/`.
    pub path: String,
    pub target: &'static str,
    /// Config paths it was derived from.
    pub sources: Vec<String>,
    /// `Yaml` or `Json`: the format of the encrypted file.
    pub format: hlc_sops::Format,
    /// The plaintext document, in output key order. For `Yaml`, a JSON array is a stream of
    /// several documents (`---`-separated; a SOPS root is always a mapping, so this is
    /// unambiguous): e.g. a Talos machine config.
    pub document: serde_json::Value,
    /// Keys whose values are encrypted (SOPS `encrypted_regex`); `None` encrypts every value,
    /// so the file stays readable in diffs only where the regex leaves values clear.
    pub encrypted_regex: Option<String>,
    /// The recipients scope (e.g. a cluster name); `None` is the lab's default recipients.
    pub scope: Option<String>,
}

impl std::fmt::Debug for SecretArtifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretArtifact")
            .field("path", &self.path)
            .field("target", &self.target)
            .field("document", &"<redacted>")
            .finish()
    }
}

/// Why rendering failed. These are internal errors (a renderer produced an invalid path, or
/// serialisation failed), not configuration errors: the configuration was checked before.
#[derive(Debug)]
pub enum RenderError {
    /// A renderer built an artifact that `hlc-out` refuses (e.g. an invalid path).
    Artifact {
        target: &'static str,
        source: hlc_out::OutError,
    },
    /// Serialising a document failed.
    Serialize {
        target: &'static str,
        source: serde_json::Error,
    },
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Artifact { target, source } => {
                write!(f, "renderer `{target}` built an invalid artifact: {source}")
            }
            RenderError::Serialize { target, source } => {
                write!(
                    f,
                    "renderer `{target}` could not serialise its output: {source}"
                )
            }
        }
    }
}

impl std::error::Error for RenderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RenderError::Artifact { source, .. } => Some(source),
            RenderError::Serialize { source, .. } => Some(source),
        }
    }
}

/// Builds an artifact, mapping a path error to [`RenderError`]. `sources` are sorted and
/// deduplicated.
pub(crate) fn artifact(
    target: &'static str,
    path: &str,
    contents: String,
    sources: impl IntoIterator<Item = String>,
) -> Result<Artifact, RenderError> {
    let sources: std::collections::BTreeSet<String> = sources.into_iter().collect();
    Artifact::new(path, contents, target, sources)
        .map_err(|source| RenderError::Artifact { target, source })
}

/// Renders every document that holds secret values (to be encrypted by the build), sorted by
/// path.
pub fn render_secret(lab: &Lab, ctx: &RenderContext) -> Result<Vec<SecretArtifact>, RenderError> {
    let mut out: Vec<SecretArtifact> = Vec::new();
    out.extend(talos::machineconfig::render(lab, ctx)?);
    out.extend(clusters::secrets::render_secret(lab, ctx));
    // Issue 12: the Alertmanager configuration (receiver URLs).
    out.extend(clusters::monitoring::render_secret(lab, ctx));
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Renders every target. The artifacts are sorted by path.
pub fn render(lab: &Lab, ctx: &RenderContext) -> Result<Vec<Artifact>, RenderError> {
    let mut out = Vec::new();
    out.extend(inventory::render(lab, ctx)?);
    out.extend(docs::render(lab, ctx)?);
    out.extend(clusters::render(lab, ctx)?);
    out.extend(terraform::render(lab)?);
    // Edge and identity (issue 7).
    out.extend(cloudflare::render(lab, ctx)?);
    out.extend(authentik::render(lab, ctx)?);
    out.extend(twingate::render(lab, ctx)?);
    out.extend(homepage::render(lab, ctx)?);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
