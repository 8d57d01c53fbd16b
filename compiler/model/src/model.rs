use crate::decode::{Decoder, Rec, Sp};
use crate::types::*;
use hlc_diag::{Diagnostics, Node, Span};
use serde::Serialize;
use std::collections::BTreeMap;

/// Named entries, sorted by name.
pub type Named<T> = BTreeMap<String, T>;

/// Where an entity is declared: its config path and the span of its record.
#[derive(Clone, Debug, Serialize)]
pub struct Origin {
    pub path: String,
    #[serde(skip)]
    pub span: Option<Span>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Lab {
    pub name: Sp<String>,
    pub domain: Sp<Fqdn>,
    /// The date the lab's provider limits apply at; `None` = the newest table.
    pub limits_at: Option<Sp<Date>>,
    pub limits: Limits,
    pub sites: Named<Site>,
    pub hosts: Named<Host>,
    pub networks: Named<Network>,
    pub machines: Named<Machine>,
    pub clusters: Named<Cluster>,
    pub identity: Identity,
    pub services: Named<Service>,
    /// Cloudflare Tunnels, each served by one connector (issue 7).
    pub tunnels: Named<Tunnel>,
    pub secrets: Named<Secret>,
    /// External Secrets stores that hold some of the secrets (issue 6).
    pub secret_stores: Named<SecretStore>,
    /// Who can open the SOPS files (age recipients, default and per scope).
    pub encryption: Encryption,
    pub policy: Policy,
    /// Backups: stores, lab-wide defaults, cluster policies (issue 12).
    pub backups: crate::resilience::Backups,
    /// Monitoring: alert receivers, status checkers (issue 12).
    pub monitoring: crate::resilience::Monitoring,
    /// Talos releases hlc renders and their Kubernetes range (`lib/talos.ncl`).
    pub talos_support: Vec<TalosRelease>,
    /// Config paths of entities that failed to decode and are missing from the maps above
    /// (their errors are already reported); references to them are not "unknown".
    #[serde(skip)]
    pub broken: std::collections::BTreeSet<String>,
}

/// Provider limits, as dated tables supplied by the library (`lib/limits.ncl`).
#[derive(Clone, Debug, Serialize)]
pub struct Limits {
    pub oci_always_free: Vec<OciFreeTier>,
}

/// A Talos minor release hlc renders, and the Kubernetes versions it supports (inclusive).
#[derive(Clone, Debug, Serialize)]
pub struct TalosRelease {
    /// `major.minor`, e.g. `1.12`.
    pub talos: String,
    pub kubernetes_min: Version,
    pub kubernetes_max: Version,
}

impl TalosRelease {
    /// Whether `v` is a patch release of this minor.
    pub fn matches(&self, v: &Version) -> bool {
        self.talos == format!("{}.{}", v.major, v.minor)
    }
}

/// Oracle Cloud Always Free allowance in force from `from` (until the next table's date).
#[derive(Clone, Debug, Serialize)]
pub struct OciFreeTier {
    pub from: Sp<Date>,
    pub a1_ocpus: Sp<Cpu>,
    pub a1_memory: Sp<Bytes>,
    pub block_storage: Sp<Bytes>,
    pub source: String,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteKind {
    Home,
    Oci,
}

#[derive(Clone, Debug, Serialize)]
pub struct Site {
    pub kind: Sp<SiteKind>,
    pub description: Option<String>,
    pub region: Option<Sp<String>>,
    /// Whether the site must stay within the provider's free tier.
    pub free_tier: Sp<bool>,
    /// Inbound security rules (Oracle Cloud): nothing else is admitted.
    pub ingress: Vec<SecurityRule>,
    /// Outbound security rules (Oracle Cloud): nothing else may leave.
    pub egress: Vec<SecurityRule>,
    /// The monthly budget and its alerts (Oracle Cloud).
    pub budget: Option<Budget>,
    #[serde(skip)]
    pub origin: Origin,
}

/// One security rule of a cloud site: protocol, destination port (tcp/udp; `None` = all) and
/// the peer CIDR (the source of an ingress rule, the destination of an egress rule).
#[derive(Clone, Debug, Serialize)]
pub struct SecurityRule {
    /// `tcp`, `udp`, `icmp` or `all`.
    pub protocol: Sp<&'static str>,
    pub port: Option<Sp<i64>>,
    pub peer: Sp<Cidr>,
    /// Why the rule exists (required for ingress by HLC410).
    pub reason: Option<Sp<String>>,
    /// ICMP only: the message type and code the rule admits (`None` = every type / code).
    pub icmp_type: Option<Sp<i64>>,
    pub icmp_code: Option<Sp<i64>>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A monthly budget in whole currency units with alert thresholds in percent.
#[derive(Clone, Debug, Serialize)]
pub struct Budget {
    pub amount: Sp<i64>,
    pub alerts: Vec<BudgetAlert>,
    #[serde(skip)]
    pub origin: Origin,
}

/// One alert rule of a [`Budget`].
#[derive(Clone, Debug, Serialize)]
pub struct BudgetAlert {
    /// Percent of the budget (0 < t ≤ 10000).
    pub threshold: Sp<f64>,
    /// `actual` or `forecast`.
    pub kind: Sp<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overcommit {
    pub cpu: Sp<f64>,
    pub memory: Sp<f64>,
    pub disk: Sp<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Datastore {
    pub size: Sp<Bytes>,
    pub kind: Sp<String>,
}

/// A hypervisor (Proxmox VE node).
#[derive(Clone, Debug, Serialize)]
pub struct Host {
    pub site: Sp<String>,
    pub kind: Sp<String>,
    pub node: Sp<String>,
    pub address: Sp<Ipv4>,
    pub network: Sp<String>,
    pub cores: Sp<i64>,
    pub threads: Sp<i64>,
    pub memory: Sp<Bytes>,
    /// Memory kept for the hypervisor itself.
    pub reserved_memory: Sp<Bytes>,
    /// The storage Talos boot media are downloaded to.
    pub iso_datastore: Option<Sp<String>>,
    pub datastores: Named<Datastore>,
    pub overcommit: Overcommit,
    pub description: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

/// The datastore the Proxmox provider (bpg/proxmox) puts a disk, EFI disk or cloud-init drive on
/// when none is given.
pub const PROXMOX_DEFAULT_DATASTORE: &str = "local-lvm";

impl Host {
    /// Where a VM of this host that names no `datastore` keeps its disks: the host's only
    /// datastore, else a declared `local-lvm` (the provider's default, when the host has it).
    /// `None`: no datastore can be derived (rule HLC310); hlc never lets the provider pick.
    pub fn default_datastore(&self) -> Option<&str> {
        if self.datastores.len() == 1 {
            return self.datastores.keys().next().map(String::as_str);
        }
        self.datastores
            .get_key_value(PROXMOX_DEFAULT_DATASTORE)
            .map(|(k, _)| k.as_str())
    }
}

impl Machine {
    /// The datastore holding this VM's disks on `host`: its `datastore`, else
    /// [`Host::default_datastore`].
    pub fn datastore_on<'a>(&'a self, host: &'a Host) -> Option<&'a str> {
        self.datastore
            .as_ref()
            .map(|d| d.value.as_str())
            .or_else(|| host.default_datastore())
    }

    /// Whether the Proxmox machine type is a q35 one (`q35`, `q35,viommu=virtio`,
    /// `pc-q35-9.0`…), which has no IDE slots 1 and 3.
    pub fn is_q35(&self) -> bool {
        let t = self.machine_type.value.as_str();
        t.starts_with("q35") || t.starts_with("pc-q35")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkKind {
    Lan,
    Vcn,
    Subnet,
}

#[derive(Clone, Debug, Serialize)]
pub struct Network {
    pub site: Sp<String>,
    pub kind: Sp<NetworkKind>,
    pub cidr: Sp<Cidr>,
    pub gateway: Option<Sp<Ipv4>>,
    pub dns: Vec<Sp<Ipv4>>,
    pub vlan: Option<Sp<i64>>,
    /// For a subnet: the VCN it is carved from.
    pub parent: Option<Sp<String>>,
    pub bridge: Option<Sp<String>>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MachineKind {
    Vm,
    Cloud,
    Metal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Talos,
    Ubuntu,
    Debian,
    Windows,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Controlplane,
    Worker,
}

/// A VM, a cloud instance or a bare-metal machine.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub kind: Sp<MachineKind>,
    /// The hypervisor a VM runs on.
    pub host: Option<Sp<String>>,
    /// The site a cloud instance or metal machine lives at (a VM's is its host's).
    pub site: Option<Sp<String>>,
    pub vmid: Option<Sp<i64>>,
    pub cpu: Sp<Cpu>,
    pub memory: Sp<Bytes>,
    pub disk: Sp<Bytes>,
    /// The hypervisor datastore holding a VM's disk.
    pub datastore: Option<Sp<String>>,
    /// The cloud shape (`VM.Standard.A1.Flex`).
    pub shape: Option<Sp<String>>,
    pub os: Sp<Os>,
    pub network: Sp<String>,
    pub address: Option<Sp<Ipv4>>,
    pub cluster: Option<Sp<String>>,
    pub role: Option<Sp<Role>>,
    /// A control-plane node that also runs workloads.
    pub schedulable: Sp<bool>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    /// Proxmox VM hardware: `ovmf` or `seabios`.
    pub bios: Sp<&'static str>,
    /// Proxmox machine type (`q35`).
    pub machine_type: Sp<String>,
    /// Proxmox CPU model (`x86-64-v2-AES`).
    pub cpu_type: Sp<String>,
    /// The drive slot of the boot media (`ide2`).
    pub cdrom: Sp<String>,
    /// QEMU guest agent; `None` = enabled iff the image has the guest-agent extension.
    pub guest_agent: Option<Sp<bool>>,
    /// Block volumes of a cloud instance (Oracle Cloud), by name; they count against the
    /// free tier's block storage together with the boot volume (`disk`).
    pub block_volumes: Named<BlockVolume>,
    /// Kubernetes node labels (Talos nodes).
    pub labels: BTreeMap<String, Sp<String>>,
    /// Kubernetes node taints, `key → "value:Effect"` (Talos nodes).
    pub taints: BTreeMap<String, Sp<String>>,
    /// CEL expression selecting the node's network link (Talos `LinkAliasConfig`); the library
    /// defaults it to the virtio NIC, `None` only in models built without the library.
    pub link_match: Option<Sp<String>>,
    /// Machine-config patches, merged after the cluster's.
    pub patches: Vec<Sp<serde_json::Value>>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A block volume created with a cloud instance and attached to it.
#[derive(Clone, Debug, Serialize)]
pub struct BlockVolume {
    pub size: Sp<Bytes>,
    pub description: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cni {
    Cilium,
    Flannel,
    None,
}

#[derive(Clone, Debug, Serialize)]
pub struct Install {
    pub disk: Sp<String>,
    pub extensions: Vec<Sp<String>>,
    /// Extra kernel arguments of the Image Factory schematic, in order.
    pub kernel_args: Vec<Sp<String>>,
    /// An explicit installer image; `None` = the Image Factory installer of `extensions`.
    pub image: Option<Sp<String>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Cluster {
    pub talos_version: Sp<Version>,
    pub kubernetes_version: Sp<Version>,
    /// The control-plane endpoint host (address or name); defaults to the first control plane's
    /// address in rendered artifacts when absent.
    pub endpoint: Option<Sp<String>>,
    pub pod_cidr: Sp<Cidr>,
    pub service_cidr: Sp<Cidr>,
    pub cni: Sp<Cni>,
    pub kube_proxy: Sp<bool>,
    pub install: Install,
    pub description: Option<String>,
    /// A shared control-plane address (Layer 2 VIP).
    pub vip: Option<Sp<Ipv4>>,
    /// Extra certificate SANs of the API server and the Talos API.
    pub cert_sans: Vec<Sp<String>>,
    /// Machine-config patches merged into every node of the cluster.
    pub patches: Vec<Sp<serde_json::Value>>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub description: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub email: Sp<String>,
    pub groups: Vec<Sp<String>>,
    #[serde(skip)]
    pub origin: Origin,
}

#[derive(Clone, Debug, Serialize)]
pub struct Identity {
    /// The service that is the identity provider (Authentik).
    pub provider: Option<Sp<String>>,
    /// The group whose members may use admin services.
    pub admin_group: Option<Sp<String>>,
    pub groups: Named<Group>,
    pub users: Named<User>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Exposure {
    /// Published through the Cloudflare Tunnel, no Access.
    Public,
    /// Published through the tunnel behind Cloudflare Access.
    Access,
    /// Reachable only through Twingate.
    Private,
    /// Reachable only inside its cluster or host.
    Internal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    None,
    Oidc,
    ForwardAuth,
    Local,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    pub repo: Sp<String>,
    pub name: Sp<String>,
    pub version: Sp<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Metrics {
    pub port: Sp<i64>,
    pub path: Sp<String>,
}

/// Where a service runs: exactly one of a cluster, a machine (e.g. Docker on a VM) or a host
/// (an appliance UI such as Proxmox).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Placement {
    Cluster(Sp<String>),
    Machine(Sp<String>),
    Host(Sp<String>),
}

impl Placement {
    pub fn name(&self) -> &Sp<String> {
        match self {
            Placement::Cluster(n) | Placement::Machine(n) | Placement::Host(n) => n,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Placement::Cluster(_) => "cluster",
            Placement::Machine(_) => "machine",
            Placement::Host(_) => "host",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Service {
    pub placement: Placement,
    pub namespace: Sp<String>,
    /// The Kubernetes Service (or container) name the service answers on.
    pub service_name: Sp<String>,
    pub description: Option<String>,
    pub chart: Option<Chart>,
    pub image: Option<Sp<String>>,
    pub port: Sp<i64>,
    pub scheme: Sp<Scheme>,
    pub exposure: Sp<Exposure>,
    pub auth: Sp<Auth>,
    /// An administrative UI: must not be `public`.
    pub admin: Sp<bool>,
    /// The first label of its public name; the FQDN is `hostname.domain`.
    pub hostname: Option<Sp<Hostname>>,
    pub depends_on: Vec<Sp<String>>,
    pub secrets: Vec<Sp<String>>,
    /// Identity groups allowed to use it (Access / SSO policies).
    pub groups: Vec<Sp<String>>,
    pub metrics: Option<Metrics>,
    pub persistence: Option<Sp<Bytes>>,
    /// The Kubernetes Service type (`ClusterIP` unless said otherwise).
    pub service_type: Sp<ServiceType>,
    /// The port the pods listen on behind `port` (defaults to `port`).
    pub target_port: Sp<i64>,
    /// The release that deploys it: its own name unless it is part of another service's chart.
    pub release: Sp<String>,
    /// What an app module produced (chart values, requests, egress, role); see [`crate::app`].
    pub app: Option<crate::app::App>,
    /// Its own backup policy (issue 12); `enabled = false` records a decision not to back up.
    pub backup: Option<crate::resilience::ServiceBackup>,
    /// How status checks ask it whether it is up (issue 12).
    pub health: Option<crate::resilience::Health>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A Kubernetes Service type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    ClusterIp,
    NodePort,
    LoadBalancer,
}

impl ServiceType {
    /// The Kubernetes spelling (`ClusterIP`, `NodePort`, `LoadBalancer`).
    pub fn k8s(self) -> &'static str {
        match self {
            ServiceType::ClusterIp => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

/// Where a tunnel's ingress configuration is managed (the API's `config_src`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelSource {
    /// Remotely managed: hlc renders the API request body; cloudflared runs with a token.
    Cloudflare,
    /// Locally managed: cloudflared reads the rendered `config.yml`.
    Local,
}

/// A Cloudflare Tunnel: the services it routes and the connector (a cloudflared service) that
/// serves it. The connector's placement decides which origins the tunnel can reach.
#[derive(Clone, Debug, Serialize)]
pub struct Tunnel {
    /// The service running this tunnel's cloudflared.
    pub connector: Sp<String>,
    pub source: Sp<TunnelSource>,
    /// The services routed through it, in declaration order.
    pub services: Vec<Sp<String>>,
    pub description: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

/// A named secret input. Its value lives either in a SOPS-encrypted file under
/// `configs/secrets/` (`file` and `key`) or in an external secret store that External Secrets
/// reads at sync time (`store`, with the store's `remote_key` and optional `property`); the
/// model only knows where. Exactly one of the two is set (HLC456).
#[derive(Clone, Debug, Serialize)]
pub struct Secret {
    pub file: Option<Sp<String>>,
    pub key: Option<Sp<String>>,
    /// The secret store (`secret_stores.<name>`) that holds it, if any.
    pub store: Option<Sp<String>>,
    /// The key in the store (defaults to the secret's name).
    pub remote_key: Option<Sp<String>>,
    /// The property of a structured value in the store.
    pub property: Option<Sp<String>>,
    pub description: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

impl Secret {
    /// The SOPS file and key, when the value lives under `configs/secrets/`.
    pub fn sops(&self) -> Option<(&Sp<String>, &Sp<String>)> {
        Some((self.file.as_ref()?, self.key.as_ref()?))
    }
}

/// Which External Secrets store kind a store is (`ClusterSecretStore` or a `SecretStore` in the
/// consuming namespace).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Cluster,
    Namespaced,
}

impl StoreKind {
    /// The External Secrets kind.
    pub fn k8s(self) -> &'static str {
        match self {
            StoreKind::Cluster => "ClusterSecretStore",
            StoreKind::Namespaced => "SecretStore",
        }
    }
}

/// An External Secrets store that holds some of the lab's secrets. hlc renders the
/// `ExternalSecret`s that read it; the store itself (its provider and credentials) is set up
/// outside hlc.
#[derive(Clone, Debug, Serialize)]
pub struct SecretStore {
    pub kind: Sp<StoreKind>,
    pub description: Option<String>,
    #[serde(skip)]
    pub origin: Origin,
}

/// The age recipients of the lab's SOPS files. `recipients` get every file (the secret inputs
/// under `configs/secrets/` and every encrypted artifact); `scopes.<name>` (a cluster name) adds
/// recipients to the artifacts of that scope only. Every string is a valid age X25519 recipient
/// (checked with [`hlc_sops::Recipient`], HLC118), in declaration order, without duplicates.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Encryption {
    pub recipients: Vec<Sp<String>>,
    pub scopes: Named<Vec<Sp<String>>>,
}

impl Encryption {
    /// The recipients of a scope's files: the lab's recipients, then the scope's own, without
    /// duplicates. `None` (or an undeclared scope) gives the lab's recipients.
    pub fn recipients_for(&self, scope: Option<&str>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let extra = scope.and_then(|s| self.scopes.get(s));
        for r in self.recipients.iter().chain(extra.into_iter().flatten()) {
            if !out.contains(&r.value) {
                out.push(r.value.clone());
            }
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Off,
}

#[derive(Clone, Debug, Serialize, Default)]
pub struct Policy {
    /// Severity overrides by rule code.
    pub severity: BTreeMap<String, Sp<Level>>,
    /// Findings allowed on purpose, in declaration order.
    pub suppress: Vec<crate::policy::Suppression>,
    /// The lab's own rules (`policy.rules`), in declaration order.
    pub rules: Vec<crate::policy::UserRule>,
    /// What the lab's own rules found (evaluated in Nickel by the library's `finalize`).
    pub findings: Vec<crate::policy::UserFinding>,
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Decodes the evaluated configuration, with every diagnostic. The lab is returned whenever its
/// top level decoded, even if some entities did not (they are left out and listed in
/// [`Lab::broken`]), so that the rules can still report the rest of the configuration's findings
/// in the same run. A lab that came with errors must not be rendered.
pub fn decode(root: &Node) -> (Option<Lab>, Diagnostics) {
    let mut d = Decoder::default();
    let mut lab = decode_lab(&mut d, root);
    if let Some(l) = &mut lab {
        l.broken = std::mem::take(&mut d.broken);
        crate::policy::resolve(root, &mut l.policy, &mut d.diags.0);
    }
    (lab, d.diags)
}

fn origin(r: &Rec) -> Origin {
    Origin {
        path: r.path.clone(),
        span: r.span,
    }
}

fn opt_string(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<String>> {
    r.opt(name).and_then(|(n, p)| d.string(n, &p))
}

fn opt_plain(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<String> {
    opt_string(d, r, name).map(|s| s.value)
}

fn req_string(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<String>> {
    r.req(d, name).and_then(|(n, p)| d.string(n, &p))
}

fn req_parse<T>(
    d: &mut Decoder,
    r: &mut Rec,
    name: &'static str,
    f: impl Fn(&str) -> Result<T, TypeError>,
) -> Option<Sp<T>> {
    r.req(d, name).and_then(|(n, p)| d.parse(n, &p, f))
}

fn opt_parse<T>(
    d: &mut Decoder,
    r: &mut Rec,
    name: &'static str,
    f: impl Fn(&str) -> Result<T, TypeError>,
) -> Option<Sp<T>> {
    r.opt(name).and_then(|(n, p)| d.parse(n, &p, f))
}

fn req_bool(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<bool>> {
    r.req(d, name).and_then(|(n, p)| d.bool(n, &p))
}

fn req_tag(
    d: &mut Decoder,
    r: &mut Rec,
    name: &'static str,
    allowed: &[&'static str],
) -> Option<Sp<&'static str>> {
    r.req(d, name).and_then(|(n, p)| d.tag(n, &p, allowed))
}

fn strings(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Vec<Sp<String>> {
    match r.opt(name) {
        Some((n, p)) => d.list(n, &p, |d, n, p| d.string(n, p)),
        None => Vec::new(),
    }
}

/// A record of strings (`labels = { "a/b" = "c" }`).
fn string_map(d: &mut Decoder, r: &mut Rec, name: &'static str) -> BTreeMap<String, Sp<String>> {
    match r.opt(name) {
        Some((n, p)) => d.map(n, &p, |d, _k, v, p| d.string(v, p)),
        None => BTreeMap::new(),
    }
}

/// An array of records kept as plain JSON (machine-config patches): their content is the
/// target's schema, not hlc's, so only "is a record" is checked here.
fn patch_list(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Vec<Sp<serde_json::Value>> {
    match r.opt(name) {
        Some((n, p)) => d.list(n, &p, |d, n, p| {
            d.record(n, p)?;
            serde_json::to_value(n).ok().map(|v| Sp::new(v, n.span))
        }),
        None => Vec::new(),
    }
}

fn map_tag<T: Copy>(t: Option<Sp<&'static str>>, table: &[(&str, T)]) -> Option<Sp<T>> {
    let t = t?;
    table
        .iter()
        .find(|(k, _)| *k == t.value)
        .map(|(_, v)| Sp::new(*v, t.span))
}

fn cpu(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<Cpu>> {
    let (n, p) = r.req(d, name)?;
    if let hlc_diag::Value::Number(hlc_diag::Number::Big(t)) = &n.value {
        d.error(
            "HLC109",
            format!("`{t}` is not a CPU count"),
            n.span,
            &p,
            "use at most three decimals and at most 1000 CPUs",
        );
        return None;
    }
    let x = d.number(n, &p)?;
    match Cpu::from_f64(x.value) {
        Ok(c) => Some(Sp::new(c, n.span)),
        Err(e) => {
            d.error(e.code, e.message, n.span, &p, &e.help);
            None
        }
    }
}

fn ratio(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<f64>> {
    let (n, p) = r.req(d, name)?;
    let x = d.number(n, &p)?;
    if !(x.value > 0.0 && x.value <= 100.0) {
        d.error(
            "HLC113",
            format!("overcommit ratio {} is out of range", x.value),
            n.span,
            &p,
            "a ratio is greater than 0 (1.0 = no overcommit)",
        );
        return None;
    }
    Some(x)
}

/// Every name of a `Named` map must be usable as a DNS label (it becomes hostnames, VM names,
/// Kubernetes names).
fn check_name(d: &mut Decoder, name: &str, node: &Node, path: &str) -> bool {
    match Hostname::parse(name) {
        Ok(_) => true,
        Err(e) => {
            d.error(
                e.code,
                format!("invalid name: {}", e.message),
                node.span,
                path,
                &e.help,
            );
            false
        }
    }
}

fn named<T>(
    d: &mut Decoder,
    r: &mut Rec,
    name: &'static str,
    f: impl Fn(&mut Decoder, &str, Rec) -> Option<T>,
) -> Named<T> {
    match r.opt(name) {
        Some((n, p)) => d.map(n, &p, |d, k, v, p| {
            if !check_name(d, k, v, p) {
                d.broken.insert(p.to_string());
                return None;
            }
            let decoded = d.record(v, p).and_then(|rec| f(d, k, rec));
            if decoded.is_none() {
                d.broken.insert(p.to_string());
            }
            decoded
        }),
        None => Named::new(),
    }
}

macro_rules! finish {
    ($d:expr, $r:expr, $($field:ident),* ; $build:expr) => {{
        $r.finish($d);
        match ($($field,)*) {
            ($(Some($field),)*) => Some($build),
            _ => None,
        }
    }};
}

fn decode_lab(d: &mut Decoder, root: &Node) -> Option<Lab> {
    let mut r = d.record(root, "")?;
    let name = req_string(d, &mut r, "name");
    let domain = req_parse(d, &mut r, "domain", Fqdn::parse);
    let limits_at = opt_parse(d, &mut r, "limits_at", Date::parse);
    let limits = r.req(d, "limits").and_then(|(n, p)| {
        let mut lr = d.record(n, &p)?;
        let tables = lr.req(d, "oci_always_free").map(|(n, p)| {
            d.list(n, &p, |d, n, p| {
                let mut t = d.record(n, p)?;
                let from = req_parse(d, &mut t, "from", Date::parse);
                let a1_ocpus = cpu(d, &mut t, "a1_ocpus");
                let a1_memory = req_parse(d, &mut t, "a1_memory", Bytes::parse);
                let block_storage = req_parse(d, &mut t, "block_storage", Bytes::parse);
                let source = req_string(d, &mut t, "source");
                let o = origin(&t);
                finish!(d, t, from, a1_ocpus, a1_memory, block_storage, source;
                    OciFreeTier { from, a1_ocpus, a1_memory, block_storage, source: source.value, origin: o })
            })
        });
        finish!(d, lr, tables; Limits { oci_always_free: tables })
    });
    let sites = named(d, &mut r, "sites", decode_site);
    let hosts = named(d, &mut r, "hosts", decode_host);
    let networks = named(d, &mut r, "networks", decode_network);
    let machines = named(d, &mut r, "machines", decode_machine);
    let clusters = named(d, &mut r, "clusters", decode_cluster);
    let identity = r
        .req(d, "identity")
        .and_then(|(n, p)| decode_identity(d, n, &p));
    let services = named(d, &mut r, "services", decode_service);
    let tunnels = named(d, &mut r, "tunnels", decode_tunnel);
    let secrets = named(d, &mut r, "secrets", decode_secret);
    let secret_stores = named(d, &mut r, "secret_stores", decode_secret_store);
    let encryption = match r.opt("encryption") {
        Some((n, p)) => decode_encryption(d, n, &p),
        None => Some(Encryption::default()),
    };
    let policy = match r.opt("policy") {
        Some((n, p)) => decode_policy(d, n, &p),
        None => Some(Policy::default()),
    };
    let backups = match r.opt("backups") {
        Some((n, p)) => crate::resilience::decode_backups(d, n, &p),
        None => Some(Default::default()),
    };
    let monitoring = match r.opt("monitoring") {
        Some((n, p)) => crate::resilience::decode_monitoring(d, n, &p),
        None => Some(Default::default()),
    };
    let talos_support = match r.opt("talos_support") {
        Some((n, p)) => d.list(n, &p, |d, n, p| {
            let mut t = d.record(n, p)?;
            let talos = req_string(d, &mut t, "talos");
            let kubernetes_min = req_parse(d, &mut t, "kubernetes_min", Version::parse);
            let kubernetes_max = req_parse(d, &mut t, "kubernetes_max", Version::parse);
            finish!(d, t, talos, kubernetes_min, kubernetes_max;
                TalosRelease { talos: talos.value, kubernetes_min: kubernetes_min.value, kubernetes_max: kubernetes_max.value })
        }),
        None => Vec::new(),
    };
    finish!(d, r, name, domain, limits, identity, encryption, policy, backups, monitoring;
        Lab { name, domain, limits_at, limits, sites, hosts, networks, machines, clusters, identity, services, tunnels, secrets, secret_stores, encryption, policy, backups, monitoring, talos_support, broken: Default::default() })
}

fn decode_site(d: &mut Decoder, _key: &str, mut r: Rec) -> Option<Site> {
    let kind = map_tag(
        req_tag(d, &mut r, "kind", &["home", "oci"]),
        &[("home", SiteKind::Home), ("oci", SiteKind::Oci)],
    );
    let description = opt_plain(d, &mut r, "description");
    let region = opt_string(d, &mut r, "region");
    let free_tier = req_bool(d, &mut r, "free_tier");
    let ingress = security_rules(d, &mut r, "ingress", "source");
    let egress = security_rules(d, &mut r, "egress", "destination");
    let budget = r.opt("budget").and_then(|(n, p)| decode_budget(d, n, &p));
    let o = origin(&r);
    finish!(d, r, kind, free_tier; Site { kind, description, region, free_tier, ingress, egress, budget, origin: o })
}

fn decode_budget(d: &mut Decoder, n: &Node, p: &str) -> Option<Budget> {
    let mut b = d.record(n, p)?;
    let amount = b
        .req(d, "amount")
        .and_then(|(n, p)| d.int(n, &p, 0, 1_000_000_000, "budget amount"));
    let alerts = match b.opt("alerts") {
        Some((n, p)) => d.list(n, &p, |d, n, p| {
            let mut a = d.record(n, p)?;
            let threshold = a.req(d, "threshold").and_then(|(n, p)| {
                let x = d.number(n, &p)?;
                if !(x.value > 0.0 && x.value <= 10_000.0) {
                    d.error(
                        "HLC113",
                        format!("alert threshold {} is out of range", x.value),
                        n.span,
                        &p,
                        "a threshold is a percentage of the budget, greater than 0 and at most 10000",
                    );
                    return None;
                }
                Some(x)
            });
            let kind = req_tag(d, &mut a, "type", &["actual", "forecast"]);
            finish!(d, a, threshold, kind; BudgetAlert { threshold, kind })
        }),
        None => Vec::new(),
    };
    let o = origin(&b);
    finish!(d, b, amount; Budget { amount, alerts, origin: o })
}

/// The `ingress` / `egress` rules of a site; `peer` names the CIDR field.
fn security_rules(
    d: &mut Decoder,
    r: &mut Rec,
    name: &'static str,
    peer: &'static str,
) -> Vec<SecurityRule> {
    let Some((n, p)) = r.opt(name) else {
        return Vec::new();
    };
    d.list(n, &p, |d, n, p| {
        let mut s = d.record(n, p)?;
        let protocol = req_tag(d, &mut s, "protocol", &["tcp", "udp", "icmp", "all"]);
        let port = s
            .opt("port")
            .and_then(|(n, p)| d.int(n, &p, 1, 65535, "port"));
        let cidr = req_parse(d, &mut s, peer, Cidr::parse);
        let reason = opt_string(d, &mut s, "reason").filter(|r| !r.value.trim().is_empty());
        let icmp_type = s
            .opt("icmp_type")
            .and_then(|(n, p)| d.int(n, &p, 0, 255, "ICMP type"));
        let icmp_code = s
            .opt("icmp_code")
            .and_then(|(n, p)| d.int(n, &p, 0, 255, "ICMP code"));
        for v in [&icmp_type, &icmp_code].into_iter().flatten() {
            if protocol.as_ref().is_some_and(|pr| pr.value != "icmp") {
                d.error(
                    "HLC102",
                    "`icmp_type` and `icmp_code` apply to `protocol = 'icmp` only".into(),
                    v.span,
                    &s.path,
                    "remove them, or set `protocol = 'icmp`",
                );
            }
        }
        if let (None, Some(c)) = (&icmp_type, &icmp_code) {
            d.error(
                "HLC102",
                "`icmp_code` needs `icmp_type`".into(),
                c.span,
                &crate::decode::join(&s.path, "icmp_code"),
                "add `icmp_type` (e.g. 3, destination unreachable)",
            );
        }
        if let (Some(pr), Some(pt)) = (&protocol, &port) {
            if !matches!(pr.value, "tcp" | "udp") {
                d.error(
                    "HLC102",
                    format!("a port applies to tcp and udp only, not '{}", pr.value),
                    pt.span,
                    &crate::decode::join(&s.path, "port"),
                    "remove `port`, or set `protocol = 'tcp` or `'udp`",
                );
            }
        }
        let o = origin(&s);
        finish!(d, s, protocol, cidr; SecurityRule { protocol, port, peer: cidr, reason, icmp_type, icmp_code, origin: o })
    })
}

fn decode_host(d: &mut Decoder, _key: &str, mut r: Rec) -> Option<Host> {
    let site = req_string(d, &mut r, "site");
    let kind =
        req_tag(d, &mut r, "kind", &["proxmox"]).map(|t| Sp::new(t.value.to_string(), t.span));
    let node = req_string(d, &mut r, "node");
    let address = req_parse(d, &mut r, "address", Ipv4::parse);
    let network = req_string(d, &mut r, "network");
    let cores = r
        .req(d, "cores")
        .and_then(|(n, p)| d.int(n, &p, 1, 4096, "core count"));
    let threads = r
        .req(d, "threads")
        .and_then(|(n, p)| d.int(n, &p, 1, 8192, "thread count"));
    let memory = req_parse(d, &mut r, "memory", Bytes::parse);
    let reserved_memory = req_parse(d, &mut r, "reserved_memory", Bytes::parse);
    let iso_datastore = opt_string(d, &mut r, "iso_datastore");
    let datastores = match r.opt("datastores") {
        Some((n, p)) => d.map(n, &p, |d, _k, v, p| {
            let mut s = d.record(v, p)?;
            let size = req_parse(d, &mut s, "size", Bytes::parse);
            let kind = req_tag(d, &mut s, "kind", &["zfs", "lvm", "dir"])
                .map(|t| Sp::new(t.value.to_string(), t.span));
            finish!(d, s, size, kind; Datastore { size, kind })
        }),
        None => Named::new(),
    };
    let overcommit = r.req(d, "overcommit").and_then(|(n, p)| {
        let mut o = d.record(n, &p)?;
        let cpu = ratio(d, &mut o, "cpu");
        let memory = ratio(d, &mut o, "memory");
        let disk = ratio(d, &mut o, "disk");
        finish!(d, o, cpu, memory, disk; Overcommit { cpu, memory, disk })
    });
    let description = opt_plain(d, &mut r, "description");
    let o = origin(&r);
    finish!(d, r, site, kind, node, address, network, cores, threads, memory, reserved_memory, overcommit;
        Host { site, kind, node, address, network, cores, threads, memory, reserved_memory, iso_datastore, datastores, overcommit, description, origin: o })
}

fn decode_network(d: &mut Decoder, _key: &str, mut r: Rec) -> Option<Network> {
    let site = req_string(d, &mut r, "site");
    let kind = map_tag(
        req_tag(d, &mut r, "kind", &["lan", "vcn", "subnet"]),
        &[
            ("lan", NetworkKind::Lan),
            ("vcn", NetworkKind::Vcn),
            ("subnet", NetworkKind::Subnet),
        ],
    );
    let cidr = req_parse(d, &mut r, "cidr", Cidr::parse);
    let gateway = opt_parse(d, &mut r, "gateway", Ipv4::parse);
    let dns = match r.opt("dns") {
        Some((n, p)) => d.list(n, &p, |d, n, p| d.parse(n, p, Ipv4::parse)),
        None => Vec::new(),
    };
    let vlan = r
        .opt("vlan")
        .and_then(|(n, p)| d.int(n, &p, 1, 4094, "VLAN id"));
    let parent = opt_string(d, &mut r, "parent");
    let bridge = opt_string(d, &mut r, "bridge");
    let o = origin(&r);
    finish!(d, r, site, kind, cidr; Network { site, kind, cidr, gateway, dns, vlan, parent, bridge, origin: o })
}

fn decode_machine(d: &mut Decoder, _key: &str, mut r: Rec) -> Option<Machine> {
    let kind = map_tag(
        req_tag(d, &mut r, "kind", &["vm", "cloud", "metal"]),
        &[
            ("vm", MachineKind::Vm),
            ("cloud", MachineKind::Cloud),
            ("metal", MachineKind::Metal),
        ],
    );
    let host = opt_string(d, &mut r, "host");
    let site = opt_string(d, &mut r, "site");
    let vmid = r
        .opt("vmid")
        .and_then(|(n, p)| d.int(n, &p, 100, 999_999_999, "VMID"));
    let cpu = cpu(d, &mut r, "cpu");
    let memory = req_parse(d, &mut r, "memory", Bytes::parse);
    let disk = req_parse(d, &mut r, "disk", Bytes::parse);
    let datastore = opt_string(d, &mut r, "datastore");
    let shape = opt_string(d, &mut r, "shape");
    let os = map_tag(
        req_tag(d, &mut r, "os", &["talos", "ubuntu", "debian", "windows"]),
        &[
            ("talos", Os::Talos),
            ("ubuntu", Os::Ubuntu),
            ("debian", Os::Debian),
            ("windows", Os::Windows),
        ],
    );
    let network = req_string(d, &mut r, "network");
    let address = opt_parse(d, &mut r, "address", Ipv4::parse);
    let cluster = opt_string(d, &mut r, "cluster");
    let role = map_tag(
        r.opt("role")
            .and_then(|(n, p)| d.tag(n, &p, &["controlplane", "worker"])),
        &[
            ("controlplane", Role::Controlplane),
            ("worker", Role::Worker),
        ],
    );
    let schedulable = req_bool(d, &mut r, "schedulable");
    let tags = strings(d, &mut r, "tags")
        .into_iter()
        .map(|s| s.value)
        .collect();
    let description = opt_plain(d, &mut r, "description");
    let labels = string_map(d, &mut r, "labels");
    let taints = string_map(d, &mut r, "taints");
    let link_match = opt_string(d, &mut r, "link_match");
    let patches = patch_list(d, &mut r, "patches");
    let bios = r
        .opt("bios")
        .and_then(|(n, p)| d.tag(n, &p, &["ovmf", "seabios"]))
        .unwrap_or(Sp::new("ovmf", None));
    let or = |v: Option<Sp<String>>, dflt: &str| v.unwrap_or(Sp::new(dflt.to_string(), None));
    let machine_type = or(opt_string(d, &mut r, "machine_type"), "q35");
    let cpu_type = or(opt_string(d, &mut r, "cpu_type"), "x86-64-v2-AES");
    let cdrom = or(opt_string(d, &mut r, "cdrom"), "ide2");
    let guest_agent = r.opt("guest_agent").and_then(|(n, p)| d.bool(n, &p));
    let block_volumes = match r.opt("block_volumes") {
        Some((n, p)) => {
            let declared = matches!(&n.value, hlc_diag::Value::Record(f) if !f.is_empty());
            if declared && kind.as_ref().is_some_and(|k| k.value != MachineKind::Cloud) {
                d.error(
                    "HLC102",
                    "`block_volumes` belong to cloud instances (`kind = 'cloud`)".into(),
                    n.span,
                    &p,
                    "remove `block_volumes`, or give the VM a larger `disk`",
                );
            }
            d.map(n, &p, |d, k, v, p| {
                if !check_name(d, k, v, p) {
                    return None;
                }
                let mut b = d.record(v, p)?;
                let size = req_parse(d, &mut b, "size", Bytes::parse);
                let description = opt_plain(d, &mut b, "description");
                let o = origin(&b);
                finish!(d, b, size; BlockVolume { size, description, origin: o })
            })
        }
        None => Named::new(),
    };
    // Shape rules that are about one record only are decode errors.
    if let Some(k) = &kind {
        match k.value {
            MachineKind::Vm if host.is_none() => d.error(
                "HLC102",
                "missing field `host`: a VM needs the hypervisor it runs on".into(),
                r.span,
                &r.path,
                "add `host = \"<host name>\"`",
            ),
            MachineKind::Cloud | MachineKind::Metal if site.is_none() => d.error(
                "HLC102",
                "missing field `site`: a cloud instance or metal machine needs its site".into(),
                r.span,
                &r.path,
                "add `site = \"<site name>\"`",
            ),
            _ => {}
        }
    }
    if cluster.is_some() != role.is_some() {
        d.error(
            "HLC102",
            "`cluster` and `role` go together: a Kubernetes node needs both".into(),
            r.span,
            &r.path,
            "set both `cluster` and `role` ('controlplane or 'worker), or neither",
        );
    }
    let o = origin(&r);
    finish!(d, r, kind, cpu, memory, disk, os, network, schedulable;
        Machine { kind, host, site, vmid, cpu, memory, disk, datastore, shape, os, network, address, cluster, role, schedulable, tags, description, labels, taints, link_match, patches, bios, machine_type, cpu_type, cdrom, guest_agent, block_volumes, origin: o })
}

fn decode_cluster(d: &mut Decoder, _key: &str, mut r: Rec) -> Option<Cluster> {
    let talos_version = req_parse(d, &mut r, "talos_version", Version::parse);
    let kubernetes_version = req_parse(d, &mut r, "kubernetes_version", Version::parse);
    let endpoint = opt_string(d, &mut r, "endpoint");
    let pod_cidr = req_parse(d, &mut r, "pod_cidr", Cidr::parse);
    let service_cidr = req_parse(d, &mut r, "service_cidr", Cidr::parse);
    let cni = map_tag(
        req_tag(d, &mut r, "cni", &["cilium", "flannel", "none"]),
        &[
            ("cilium", Cni::Cilium),
            ("flannel", Cni::Flannel),
            ("none", Cni::None),
        ],
    );
    let kube_proxy = req_bool(d, &mut r, "kube_proxy");
    let install = r.req(d, "install").and_then(|(n, p)| {
        let mut i = d.record(n, &p)?;
        let disk = req_string(d, &mut i, "disk");
        let extensions = strings(d, &mut i, "extensions");
        let kernel_args = strings(d, &mut i, "kernel_args");
        let image = opt_string(d, &mut i, "image");
        finish!(d, i, disk; Install { disk, extensions, kernel_args, image })
    });
    let description = opt_plain(d, &mut r, "description");
    let vip = opt_parse(d, &mut r, "vip", Ipv4::parse);
    let cert_sans = strings(d, &mut r, "cert_sans");
    let patches = patch_list(d, &mut r, "patches");
    let o = origin(&r);
    finish!(d, r, talos_version, kubernetes_version, pod_cidr, service_cidr, cni, kube_proxy, install;
        Cluster { talos_version, kubernetes_version, endpoint, pod_cidr, service_cidr, cni, kube_proxy, install, description, vip, cert_sans, patches, origin: o })
}

fn decode_identity(d: &mut Decoder, n: &Node, p: &str) -> Option<Identity> {
    let mut r = d.record(n, p)?;
    let provider = opt_string(d, &mut r, "provider");
    let admin_group = opt_string(d, &mut r, "admin_group");
    let groups = named(d, &mut r, "groups", |d, _k, mut g| {
        let description = opt_plain(d, &mut g, "description");
        let o = origin(&g);
        g.finish(d);
        Some(Group {
            description,
            origin: o,
        })
    });
    let users = named(d, &mut r, "users", |d, _k, mut u| {
        let email = req_string(d, &mut u, "email");
        if let Some(e) = &email {
            let ok = e
                .split_once('@')
                .is_some_and(|(l, dom)| !l.is_empty() && Fqdn::parse(dom).is_ok());
            if !ok {
                d.error(
                    "HLC115",
                    format!("`{}` is not an e-mail address", e.value),
                    e.span,
                    &u.path_of("email"),
                    "write local-part@domain, e.g. \"admin@example.org\"",
                );
            }
        }
        let groups = strings(d, &mut u, "groups");
        let o = origin(&u);
        finish!(d, u, email; User { email, groups, origin: o })
    });
    r.finish(d);
    Some(Identity {
        provider,
        admin_group,
        groups,
        users,
    })
}

fn decode_service(d: &mut Decoder, key: &str, mut r: Rec) -> Option<Service> {
    let cluster = opt_string(d, &mut r, "cluster");
    let machine = opt_string(d, &mut r, "machine");
    let host = opt_string(d, &mut r, "host");
    let placement = match (cluster, machine, host) {
        (Some(c), None, None) => Some(Placement::Cluster(c)),
        (None, Some(m), None) => Some(Placement::Machine(m)),
        (None, None, Some(h)) => Some(Placement::Host(h)),
        (c, m, h) => {
            let n = [c.is_some(), m.is_some(), h.is_some()]
                .iter()
                .filter(|b| **b)
                .count();
            d.error(
                "HLC116",
                if n == 0 {
                    "the service does not say where it runs".to_string()
                } else {
                    "the service says it runs in more than one place".to_string()
                },
                r.span,
                &r.path,
                "set exactly one of `cluster`, `machine` or `host`",
            );
            None
        }
    };
    // Both default to the service's own name.
    let namespace = match r.opt("namespace") {
        Some((n, p)) => d.parse(n, &p, |s| Hostname::parse(s).map(|h| h.to_string())),
        None => Some(Sp::new(key.to_string(), r.span)),
    };
    let service_name = match r.opt("service_name") {
        Some((n, p)) => d.parse(n, &p, |s| Hostname::parse(s).map(|h| h.to_string())),
        None => Some(Sp::new(key.to_string(), r.span)),
    };
    let description = opt_plain(d, &mut r, "description");
    let chart = r.opt("chart").and_then(|(n, p)| {
        let mut c = d.record(n, &p)?;
        let repo = req_string(d, &mut c, "repo");
        let name = req_string(d, &mut c, "name");
        let version = req_string(d, &mut c, "version");
        finish!(d, c, repo, name, version; Chart { repo, name, version })
    });
    let image = opt_string(d, &mut r, "image");
    let port = r
        .req(d, "port")
        .and_then(|(n, p)| d.int(n, &p, 1, 65535, "port"));
    let scheme = map_tag(
        req_tag(d, &mut r, "scheme", &["http", "https"]),
        &[("http", Scheme::Http), ("https", Scheme::Https)],
    );
    let exposure = map_tag(
        req_tag(
            d,
            &mut r,
            "exposure",
            &["public", "access", "private", "internal"],
        ),
        &[
            ("public", Exposure::Public),
            ("access", Exposure::Access),
            ("private", Exposure::Private),
            ("internal", Exposure::Internal),
        ],
    );
    let auth = map_tag(
        req_tag(
            d,
            &mut r,
            "auth",
            &["none", "oidc", "forward_auth", "local"],
        ),
        &[
            ("none", Auth::None),
            ("oidc", Auth::Oidc),
            ("forward_auth", Auth::ForwardAuth),
            ("local", Auth::Local),
        ],
    );
    let admin = req_bool(d, &mut r, "admin");
    let hostname = opt_parse(d, &mut r, "hostname", Hostname::parse);
    let depends_on = strings(d, &mut r, "depends_on");
    let secrets = strings(d, &mut r, "secrets");
    let groups = strings(d, &mut r, "groups");
    let metrics = r.opt("metrics").and_then(|(n, p)| {
        let mut m = d.record(n, &p)?;
        let port = m
            .req(d, "port")
            .and_then(|(n, p)| d.int(n, &p, 1, 65535, "port"));
        let path = req_string(d, &mut m, "path");
        finish!(d, m, port, path; Metrics { port, path })
    });
    let persistence = opt_parse(d, &mut r, "persistence", Bytes::parse);
    let service_type = match r.opt("service_type") {
        Some((n, p)) => map_tag(
            d.tag(n, &p, &["cluster_ip", "node_port", "load_balancer"]),
            &[
                ("cluster_ip", ServiceType::ClusterIp),
                ("node_port", ServiceType::NodePort),
                ("load_balancer", ServiceType::LoadBalancer),
            ],
        ),
        None => Some(Sp::new(ServiceType::ClusterIp, r.span)),
    };
    // Issue 6: pod port, release, app module output (chart from `app` or `chart`, not both).
    let target_port = match r.opt("target_port") {
        Some((n, p)) => d.int(n, &p, 1, 65535, "port"),
        None => port.clone(),
    };
    let release = match r.opt("release") {
        Some((n, p)) => d.string(n, &p),
        None => Some(Sp::new(key.to_string(), r.span)),
    };
    let mut chart = chart;
    let app = match r.opt("app") {
        Some((n, p)) => match crate::app::decode(d, n, &p) {
            Some((app, Some(app_chart))) => {
                if let Some(own) = &chart {
                    d.error(
                        "HLC125",
                        "the chart is given twice: by `chart` and by the app module".into(),
                        own.name.span,
                        &r.path_of("chart"),
                        "remove `chart`: the app module pins the chart (its `version` option overrides the version)",
                    );
                } else {
                    chart = Some(app_chart);
                }
                Some(app)
            }
            Some((app, None)) => Some(app),
            None => None,
        },
        None => None,
    };
    // Issue 12: backup policy and health check.
    let backup = r
        .opt("backup")
        .and_then(|(n, p)| crate::resilience::decode_service_backup(d, n, &p));
    let health = r
        .opt("health")
        .and_then(|(n, p)| crate::resilience::decode_health(d, n, &p));
    // Only when the field is absent: a hostname that failed to parse has its own error.
    let hostname_given = r.fields.contains_key("hostname");
    if let (Some(e), None, false) = (&exposure, &hostname, hostname_given) {
        if matches!(e.value, Exposure::Public | Exposure::Access) {
            d.error(
                "HLC102",
                "missing field `hostname`: a service published through the tunnel needs one".into(),
                e.span,
                &r.path_of("exposure"),
                "add `hostname = \"<label>\"` (the lab's domain is appended)",
            );
        }
    }
    let o = origin(&r);
    finish!(d, r, placement, namespace, service_name, port, scheme, exposure, auth, admin, service_type;
        Service { placement, namespace, service_name, description, chart, image, port, scheme, exposure, auth, admin, hostname, depends_on, secrets, groups, metrics, persistence, service_type, target_port: target_port?, release: release?, app, backup, health, origin: o })
}

fn decode_tunnel(d: &mut Decoder, _key: &str, mut r: Rec) -> Option<Tunnel> {
    let connector = req_string(d, &mut r, "connector");
    let source = map_tag(
        req_tag(d, &mut r, "source", &["cloudflare", "local"]),
        &[
            ("cloudflare", TunnelSource::Cloudflare),
            ("local", TunnelSource::Local),
        ],
    );
    let services = strings(d, &mut r, "services");
    let description = opt_plain(d, &mut r, "description");
    let o = origin(&r);
    finish!(d, r, connector, source; Tunnel { connector, source, services, description, origin: o })
}

fn decode_secret(d: &mut Decoder, key: &str, mut r: Rec) -> Option<Secret> {
    let file = opt_string(d, &mut r, "file");
    if let Some(f) = &file {
        let bad = f.starts_with('/') || f.split('/').any(|c| c == ".." || c.is_empty() || c == ".");
        if bad {
            d.error(
                "HLC117",
                format!("secret file `{}` is not a plain relative path", f.value),
                f.span,
                &r.path_of("file"),
                "name a file under configs/secrets/, e.g. \"cloudflare.yaml\"",
            );
        }
    }
    let skey = opt_string(d, &mut r, "key");
    let store = opt_string(d, &mut r, "store");
    let remote_key = opt_string(d, &mut r, "remote_key");
    let property = opt_string(d, &mut r, "property");
    let description = opt_plain(d, &mut r, "description");
    // Exactly one place holds the value: a SOPS file (file + key) or a store.
    let sops = file.is_some() || skey.is_some();
    let ok = match (&store, sops) {
        (Some(st), true) => {
            d.error(
                "HLC456",
                format!("secret `{key}` is held both in a SOPS file and in store `{}`", st.value),
                st.span,
                &r.path_of("store"),
                "keep one: `file` + `key` (a SOPS file under configs/secrets/) or `store` (an External Secrets store)",
            );
            false
        }
        (None, true) if file.is_none() || skey.is_none() => {
            let missing = if file.is_none() { "file" } else { "key" };
            d.error(
                "HLC102",
                format!("missing field `{missing}`: a secret held in a SOPS file needs `file` and `key`"),
                r.span,
                &r.path,
                "add the missing field (the file is under configs/secrets/)",
            );
            false
        }
        (None, false) => {
            d.error(
                "HLC456",
                format!("secret `{key}` does not say where its value is held"),
                r.span,
                &r.path,
                "set `file` + `key` (a SOPS file under configs/secrets/, written with `hlc secrets set`) or `store` (an External Secrets store in `secret_stores`)",
            );
            false
        }
        _ => {
            let stray = match (&remote_key, &property) {
                (Some(v), _) => Some(("remote_key", v)),
                (None, Some(v)) => Some(("property", v)),
                _ => None,
            };
            if let (None, Some((f, v))) = (&store, stray) {
                d.error(
                    "HLC456",
                    format!("`{f}` is only for a secret held in a store, and `{key}` is held in a SOPS file"),
                    v.span,
                    &r.path_of(f),
                    "remove it, or replace `file` + `key` by `store`",
                );
                false
            } else {
                true
            }
        }
    };
    let o = origin(&r);
    r.finish(d);
    ok.then_some(Secret {
        file,
        key: skey,
        store,
        remote_key,
        property,
        description,
        origin: o,
    })
}

fn decode_secret_store(d: &mut Decoder, _key: &str, mut r: Rec) -> Option<SecretStore> {
    let kind = match r.opt("kind") {
        Some((n, p)) => map_tag(
            d.tag(n, &p, &["cluster", "namespaced"]),
            &[
                ("cluster", StoreKind::Cluster),
                ("namespaced", StoreKind::Namespaced),
            ],
        ),
        None => Some(Sp::new(StoreKind::Cluster, r.span)),
    };
    let description = opt_plain(d, &mut r, "description");
    let o = origin(&r);
    finish!(d, r, kind; SecretStore { kind, description, origin: o })
}

/// A list of age recipients; each must parse as an age X25519 recipient (HLC118).
fn age_recipients(d: &mut Decoder, n: &Node, p: &str) -> Vec<Sp<String>> {
    d.list(n, p, |d, n, p| {
        let s = d.string(n, p)?;
        match s.value.parse::<hlc_sops::Recipient>() {
            Ok(r) => Some(Sp::new(r.as_str().to_string(), s.span)),
            Err(_) => {
                // The value is not repeated: it could be a private key pasted by mistake.
                let what = if s.value.trim().to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
                    "this is an age identity (a private key), not a recipient: remove it from the configuration and treat the key as leaked"
                } else {
                    "this is not an age X25519 recipient"
                };
                d.diags.push(
                    hlc_diag::Diagnostic::error("HLC118", what)
                        .with_span(s.span)
                        .with_path(p)
                        .with_help("write the public key printed by `hlc secrets init` or `age-keygen -y KEYFILE` (age1…, 62 characters); never the AGE-SECRET-KEY-1… identity")
                        .hiding_source(),
                );
                None
            }
        }
    })
}

fn decode_encryption(d: &mut Decoder, n: &Node, p: &str) -> Option<Encryption> {
    let mut r = d.record(n, p)?;
    let recipients = match r.opt("recipients") {
        Some((n, p)) => age_recipients(d, n, &p),
        None => Vec::new(),
    };
    let scopes = match r.opt("scopes") {
        Some((n, p)) => d.map(n, &p, |d, _k, v, p| Some(age_recipients(d, v, p))),
        None => BTreeMap::new(),
    };
    r.finish(d);
    Some(Encryption { recipients, scopes })
}

fn decode_policy(d: &mut Decoder, n: &Node, p: &str) -> Option<Policy> {
    let mut r = d.record(n, p)?;
    let severity = match r.opt("severity") {
        Some((n, p)) => d.map(n, &p, |d, _k, v, p| {
            map_tag(
                d.tag(v, p, &["error", "warning", "off"]),
                &[
                    ("error", Level::Error),
                    ("warning", Level::Warning),
                    ("off", Level::Off),
                ],
            )
        }),
        None => BTreeMap::new(),
    };
    let (suppress, rules, findings) = crate::policy::decode(d, &mut r);
    r.finish(d);
    Some(Policy {
        severity,
        suppress,
        rules,
        findings,
    })
}

impl Lab {
    /// The FQDN a service is published at, if it has a hostname.
    pub fn fqdn(&self, s: &Service) -> Option<Fqdn> {
        s.hostname.as_ref().map(|h| self.domain.child(h))
    }
}
