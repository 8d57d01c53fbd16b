//! Talos machine configurations: `out/talos/<cluster>/<node>.yaml` for every Talos machine and
//! `out/talos/<cluster>/talosconfig`, as [`SecretArtifact`]s (the build encrypts them; only the
//! secret fields, [`ENCRYPTED_REGEX`], so the rest stays readable in diffs).
//!
//! A node's config is built in two layers:
//!
//! 1. [`generate`]: what `talosctl gen config <cluster> <endpoint> --with-secrets <bundle>
//!    --kubernetes-version <k8s> --talos-version <talos>` writes for the node's role — same
//!    documents, sections, field names and key order (tested equal, value for value, to the
//!    upstream stability goldens in `../shared/schemas/talos/testdata/stability`). The version
//!    contract decides the shape: Talos 1.12 still emits `machine.network: {}` in the
//!    `v1alpha1` document, 1.13 dropped `machine.network` from its schema.
//! 2. The model's facts on top: install disk and (Image Factory) installer image, certificate
//!    SANs, CNI `none` and kube-proxy disabled for Cilium, scheduling on control planes, node
//!    labels and taints; the network as documents (`HostnameConfig` with the node's name,
//!    `LinkAliasConfig` `net0` from the machine's `link_match`, `LinkConfig` with the static
//!    address and default route, `ResolverConfig` with the network's DNS servers, and a
//!    `Layer2VIPConfig` on control planes when the cluster declares a `vip`); then the cluster's
//!    and the machine's `patches`, deep-merged into the `v1alpha1` document in that order
//!    (records merge key by key, anything else replaces).
//!
//! A multi-document file is a [`SecretArtifact`] whose `document` is a JSON array of the
//! documents (a SOPS file's root is always a mapping, so an array root is unambiguous).
//!
//! Clusters whose bundle is not in [`crate::RenderContext::secrets`] are skipped: the build
//! reports the missing bundle itself (it knows whether the file exists), and `hlc check` stays
//! keyless. Releases outside `lib/talos.ncl` are skipped too: rule HLC601 reports them.

use super::bundle::Bundle;
use super::schematic::{for_cluster, installer_image, platform, schematic_id};
use crate::{RenderContext, RenderError, SecretArtifact};
use hlc_model::{Cluster, Cni, Lab, Machine, Os, Role};
use serde_json::{json, Map, Value};

/// The keys whose values are encrypted in a machine config or talosconfig: tokens, private
/// keys, the cluster id/secret, the secretbox key — and the CA certificates (`crt`, the
/// talosconfig's `ca`): they are public, but every value of the bundle is a secret input and the
/// build's leak guard refuses any of them in clear, which keeps the rule simple and safe.
/// Everything else (endpoints, addresses, images, labels, documents' kinds) stays readable.
pub const ENCRYPTED_REGEX: &str = "^(token|key|crt|ca|secret|id|secretboxEncryptionSecret)$";

/// The link alias hlc gives the node's network interface.
pub const LINK: &str = "net0";

/// The link selector of a machine without `link_match` (the library's default): the virtio NIC
/// of a Proxmox VM or an OCI instance.
pub const DEFAULT_LINK_MATCH: &str = "link.driver == \"virtio_net\"";

/// The Talos minors whose document shape hlc knows (the schemas in `../shared`).
pub const SHAPES: [&str; 2] = ["1.12", "1.13"];

/// What the generator needs beyond the bundle.
#[derive(Clone, Debug)]
pub struct GenInput<'a> {
    pub cluster_name: &'a str,
    /// `https://host:6443`.
    pub endpoint: String,
    /// `1.28.0` (no `v`).
    pub kubernetes_version: String,
    /// `1.12` or `1.13`.
    pub talos_minor: &'a str,
    pub controlplane: bool,
}

fn crt_key(bundle: &Bundle, name: &str, with_key: bool) -> Value {
    json!({
        "crt": bundle.get(&format!("certs.{name}.crt")),
        "key": if with_key { bundle.get(&format!("certs.{name}.key")) } else { "" },
    })
}

/// The documents `talosctl gen config` writes for one role (see the module doc).
pub fn generate(input: &GenInput<'_>, bundle: &Bundle) -> Vec<Value> {
    let cp = input.controlplane;
    let k8s = &input.kubernetes_version;
    let mut machine = Map::new();
    machine.insert(
        "type".into(),
        json!(if cp { "controlplane" } else { "worker" }),
    );
    machine.insert("token".into(), json!(bundle.get("trustdinfo.token")));
    machine.insert("ca".into(), crt_key(bundle, "os", cp));
    machine.insert("certSANs".into(), json!([]));
    machine.insert(
        "kubelet".into(),
        json!({
            "image": format!("ghcr.io/siderolabs/kubelet:v{k8s}"),
            "defaultRuntimeSeccompProfileEnabled": true,
            "disableManifestsDirectory": true,
        }),
    );
    if input.talos_minor == "1.12" {
        machine.insert("network".into(), json!({}));
    }
    machine.insert(
        "install".into(),
        json!({ "wipe": false, "grubUseUKICmdline": true }),
    );
    machine.insert(
        "features".into(),
        json!({
            "diskQuotaSupport": true,
            "kubePrism": { "enabled": true, "port": 7445 },
            "hostDNS": { "enabled": true, "forwardKubeDNSToHost": true },
        }),
    );
    if cp {
        machine.insert(
            "nodeLabels".into(),
            json!({ "node.kubernetes.io/exclude-from-external-load-balancers": "" }),
        );
    }

    let mut cluster = Map::new();
    cluster.insert("id".into(), json!(bundle.get("cluster.id")));
    cluster.insert("secret".into(), json!(bundle.get("cluster.secret")));
    cluster.insert("controlPlane".into(), json!({ "endpoint": input.endpoint }));
    cluster.insert("clusterName".into(), json!(input.cluster_name));
    cluster.insert(
        "network".into(),
        json!({
            "dnsDomain": "cluster.local",
            "podSubnets": ["10.244.0.0/16"],
            "serviceSubnets": ["10.96.0.0/12"],
        }),
    );
    cluster.insert("token".into(), json!(bundle.get("secrets.bootstraptoken")));
    if cp {
        cluster.insert(
            "secretboxEncryptionSecret".into(),
            json!(bundle.get("secrets.secretboxencryptionsecret")),
        );
    }
    cluster.insert("ca".into(), crt_key(bundle, "k8s", cp));
    if cp {
        cluster.insert(
            "aggregatorCA".into(),
            crt_key(bundle, "k8saggregator", true),
        );
        cluster.insert(
            "serviceAccount".into(),
            json!({ "key": bundle.get("certs.k8sserviceaccount.key") }),
        );
        cluster.insert(
            "apiServer".into(),
            json!({
                "image": format!("registry.k8s.io/kube-apiserver:v{k8s}"),
                "admissionControl": [{
                    "name": "PodSecurity",
                    "configuration": {
                        "apiVersion": "pod-security.admission.config.k8s.io/v1alpha1",
                        "defaults": {
                            "audit": "restricted",
                            "audit-version": "latest",
                            "enforce": "baseline",
                            "enforce-version": "latest",
                            "warn": "restricted",
                            "warn-version": "latest",
                        },
                        "exemptions": {
                            "namespaces": ["kube-system"],
                            "runtimeClasses": [],
                            "usernames": [],
                        },
                        "kind": "PodSecurityConfiguration",
                    },
                }],
                "auditPolicy": {
                    "apiVersion": "audit.k8s.io/v1",
                    "kind": "Policy",
                    "rules": [{ "level": "Metadata" }],
                },
            }),
        );
        cluster.insert(
            "controllerManager".into(),
            json!({ "image": format!("registry.k8s.io/kube-controller-manager:v{k8s}") }),
        );
        cluster.insert(
            "proxy".into(),
            json!({ "image": format!("registry.k8s.io/kube-proxy:v{k8s}") }),
        );
        cluster.insert(
            "scheduler".into(),
            json!({ "image": format!("registry.k8s.io/kube-scheduler:v{k8s}") }),
        );
    }
    cluster.insert(
        "discovery".into(),
        json!({
            "enabled": true,
            "registries": { "kubernetes": { "disabled": true }, "service": {} },
        }),
    );
    if cp {
        cluster.insert(
            "etcd".into(),
            json!({ "ca": crt_key(bundle, "etcd", true) }),
        );
    }
    let main = json!({
        "version": "v1alpha1",
        "debug": false,
        "persist": true,
        "machine": machine,
        "cluster": cluster,
    });
    let hostname = json!({ "apiVersion": "v1alpha1", "kind": "HostnameConfig", "auto": "stable" });
    vec![main, hostname]
}

/// Records merge key by key (recursively); anything else replaces.
pub fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, p) => *slot = p.clone(),
    }
}

/// Inserts `key` after `after` (or at the end), keeping the generator's key order.
fn insert_after(map: &mut Map<String, Value>, after: &str, key: &str, value: Value) {
    let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    let mut placed = false;
    for (k, v) in entries {
        let here = k == after;
        map.insert(k, v);
        if here && !placed {
            map.insert(key.to_string(), value.clone());
            placed = true;
        }
    }
    if !placed {
        map.insert(key.to_string(), value);
    }
}

fn obj<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    v.get_mut(key)
        .and_then(Value::as_object_mut)
        .expect("generated document has this section")
}

/// The release entry of `lib/talos.ncl` that renders a cluster's Talos version, if any.
pub fn release_of<'a>(lab: &'a Lab, c: &Cluster) -> Option<&'a str> {
    let v = &c.talos_version.value;
    lab.talos_support
        .iter()
        .find(|r| r.matches(v))
        .map(|r| r.talos.as_str())
        .filter(|t| SHAPES.contains(t))
}

/// The control-plane endpoint host: the cluster's `endpoint`, else its first control plane's
/// address.
pub fn endpoint_host(lab: &Lab, name: &str, c: &Cluster) -> Option<String> {
    if let Some(e) = &c.endpoint {
        return Some(e.value.clone());
    }
    lab.machines
        .values()
        .filter(|m| m.cluster.as_ref().is_some_and(|x| x.value == name))
        .filter(|m| {
            m.role
                .as_ref()
                .is_some_and(|r| r.value == Role::Controlplane)
        })
        .find_map(|m| m.address.as_ref().map(|a| a.value.to_string()))
}

/// The installer image of a node: the cluster's `install.image`, else the Image Factory
/// installer of the cluster's schematic ([`for_cluster`]: extensions and kernel arguments) for the
/// machine's platform ([`platform`]: `oracle` for cloud instances, `metal` otherwise) — the same
/// schematic and platform the Terraform renderer boots the machine from.
pub fn installer(c: &Cluster, m: &Machine) -> Option<String> {
    if let Some(i) = &c.install.image {
        return Some(i.value.clone());
    }
    let id = schematic_id(&for_cluster(c)).ok()?;
    Some(installer_image(
        platform(m.kind.value),
        &id,
        &c.talos_version.value.to_string(),
    ))
}

fn dedup(items: impl IntoIterator<Item = String>) -> Vec<Value> {
    let mut seen = std::collections::BTreeSet::new();
    items
        .into_iter()
        .filter(|s| seen.insert(s.clone()))
        .map(Value::String)
        .collect()
}

/// One node's documents (see the module doc). `None` when the model lacks what a config
/// needs (no address or endpoint): the rules report those.
pub fn node_documents(
    lab: &Lab,
    cluster_name: &str,
    c: &Cluster,
    node: &str,
    m: &Machine,
    bundle: &Bundle,
    talos_minor: &str,
) -> Option<Vec<Value>> {
    let cp = m.role.as_ref()?.value == Role::Controlplane;
    let host = endpoint_host(lab, cluster_name, c)?;
    let address = m.address.as_ref()?.value.to_string();
    let network = lab.networks.get(&m.network.value)?;
    let input = GenInput {
        cluster_name,
        endpoint: format!("https://{host}:6443"),
        kubernetes_version: c.kubernetes_version.value.to_string(),
        talos_minor,
        controlplane: cp,
    };
    let mut docs = generate(&input, bundle);
    let main = &mut docs[0];

    let mut sans = vec![host.clone()];
    if let Some(v) = &c.vip {
        sans.push(v.value.to_string());
    }
    sans.extend(c.cert_sans.iter().map(|s| s.value.clone()));
    let sans = dedup(sans);
    {
        let machine = obj(main, "machine");
        machine.insert("certSANs".into(), Value::Array(sans.clone()));
        let mut install = Map::new();
        install.insert("disk".into(), json!(c.install.disk.value));
        if let Some(image) = installer(c, m) {
            install.insert("image".into(), json!(image));
        }
        install.insert("wipe".into(), json!(false));
        install.insert("grubUseUKICmdline".into(), json!(true));
        machine.insert("install".into(), Value::Object(install));
        if !m.labels.is_empty() {
            let labels = machine
                .entry("nodeLabels")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("nodeLabels is a map");
            for (k, v) in &m.labels {
                labels.insert(k.clone(), json!(v.value));
            }
        }
        if !m.taints.is_empty() {
            let taints: Map<String, Value> = m
                .taints
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.value)))
                .collect();
            machine.insert("nodeTaints".into(), Value::Object(taints));
        }
    }
    {
        let cluster = obj(main, "cluster");
        let net = cluster
            .get_mut("network")
            .and_then(Value::as_object_mut)
            .expect("cluster.network");
        let mut n = Map::new();
        match c.cni.value {
            Cni::Cilium | Cni::None => {
                n.insert("cni".into(), json!({ "name": "none" }));
            }
            Cni::Flannel => {}
        }
        n.insert("dnsDomain".into(), net["dnsDomain"].clone());
        n.insert("podSubnets".into(), json!([c.pod_cidr.value.to_string()]));
        n.insert(
            "serviceSubnets".into(),
            json!([c.service_cidr.value.to_string()]),
        );
        *net = n;
        if cp {
            if let Some(api) = cluster.get_mut("apiServer").and_then(Value::as_object_mut) {
                insert_after(api, "image", "certSANs", Value::Array(sans));
            }
            if !c.kube_proxy.value {
                if let Some(proxy) = cluster.get_mut("proxy").and_then(Value::as_object_mut) {
                    let image = proxy.remove("image");
                    proxy.insert("disabled".into(), json!(true));
                    if let Some(i) = image {
                        proxy.insert("image".into(), i);
                    }
                }
            }
            if m.schedulable.value {
                cluster.insert("allowSchedulingOnControlPlanes".into(), json!(true));
            }
        }
    }
    for p in c.patches.iter().chain(m.patches.iter()) {
        merge(main, &p.value);
    }

    let prefix = network.cidr.value.prefix();
    docs[1] = json!({ "apiVersion": "v1alpha1", "kind": "HostnameConfig", "hostname": node });
    docs.push(json!({
        "apiVersion": "v1alpha1",
        "kind": "LinkAliasConfig",
        "name": LINK,
        "selector": {
            "match": m.link_match.as_ref().map_or(DEFAULT_LINK_MATCH, |l| l.value.as_str()),
        },
    }));
    let mut link = json!({
        "apiVersion": "v1alpha1",
        "kind": "LinkConfig",
        "name": LINK,
        "up": true,
        "addresses": [{ "address": format!("{address}/{prefix}") }],
    });
    if let Some(gw) = &network.gateway {
        link["routes"] = json!([{ "gateway": gw.value.to_string() }]);
    }
    docs.push(link);
    if !network.dns.is_empty() {
        let ns: Vec<Value> = network
            .dns
            .iter()
            .map(|d| json!({ "address": d.value.to_string() }))
            .collect();
        docs.push(json!({ "apiVersion": "v1alpha1", "kind": "ResolverConfig", "nameservers": ns }));
    }
    if let (true, Some(vip)) = (cp, &c.vip) {
        docs.push(json!({
            "apiVersion": "v1alpha1",
            "kind": "Layer2VIPConfig",
            "name": vip.value.to_string(),
            "link": LINK,
        }));
    }
    Some(docs)
}

/// The cluster's `talosconfig`, as `talosctl gen config` writes it: one context named after the
/// cluster whose endpoint is the control-plane endpoint host, the OS CA and the admin client
/// certificate. No `nodes` list, so a node's address change touches only that node's file.
pub fn talosconfig(host: &str, cluster_name: &str, bundle: &Bundle) -> Value {
    json!({
        "context": cluster_name,
        "contexts": {
            cluster_name: {
                "endpoints": [host],
                "ca": bundle.get("certs.os.crt"),
                "crt": bundle.get("admin.crt"),
                "key": bundle.get("admin.key"),
            }
        }
    })
}

/// Every Talos node's config and every cluster's talosconfig whose bundle is available.
pub fn render(lab: &Lab, ctx: &RenderContext) -> Result<Vec<SecretArtifact>, RenderError> {
    let mut out = Vec::new();
    for (cname, c) in &lab.clusters {
        let Some(minor) = release_of(lab, c) else {
            continue;
        };
        let Ok(bundle) = Bundle::from_secrets(&ctx.secrets, cname) else {
            continue;
        };
        let mut any = false;
        for (mname, m) in &lab.machines {
            if m.os.value != Os::Talos || m.cluster.as_ref().is_none_or(|x| &x.value != cname) {
                continue;
            }
            let Some(docs) = node_documents(lab, cname, c, mname, m, &bundle, minor) else {
                continue;
            };
            any = true;
            out.push(SecretArtifact {
                path: format!("talos/{cname}/{mname}.yaml"),
                target: "talos",
                sources: vec![c.origin.path.clone(), m.origin.path.clone()],
                format: hlc_sops::Format::Yaml,
                document: Value::Array(docs),
                encrypted_regex: Some(ENCRYPTED_REGEX.to_string()),
                scope: Some(cname.clone()),
            });
        }
        if let (true, Some(host)) = (any, endpoint_host(lab, cname, c)) {
            out.push(SecretArtifact {
                path: format!("talos/{cname}/talosconfig"),
                target: "talos",
                sources: vec![c.origin.path.clone()],
                format: hlc_sops::Format::Yaml,
                document: talosconfig(&host, cname, &bundle),
                encrypted_regex: Some(ENCRYPTED_REGEX.to_string()),
                scope: Some(cname.clone()),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
