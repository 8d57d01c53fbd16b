//! Talos machine configs (issue 5): the generator against the upstream stability goldens, every
//! rendered document against the Talos JSON schema of its version, the model's facts in the
//! output, and locality (one node's change touches one file).
//!
//! Reads `../shared/schemas/talos` (override with `HLC_SHARED_DIR`).

#![allow(clippy::disallowed_methods)] // tests read the shared schemas and testdata

mod common;

use hlc_render::talos::bundle::{self, Bundle};
use hlc_render::talos::machineconfig::{self, GenInput, ENCRYPTED_REGEX};
use hlc_render::{RenderContext, SecretArtifact, SecretValues};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn shared() -> PathBuf {
    std::env::var_os("HLC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("schemas/talos")
}

fn read_yaml_docs(path: &PathBuf) -> Vec<Value> {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e} (set HLC_SHARED_DIR)", path.display()));
    let doc = hlc_sops::Format::Yaml.parse(&bytes).expect("YAML");
    doc.docs
        .iter()
        .map(|m| bundle::sops_to_json(&hlc_sops::Value::Map(m.clone())))
        .collect()
}

/// The secret values of the stability test's bundle, as the build passes them for `cluster`.
fn stability_secrets(cluster: &str) -> SecretValues {
    let doc = &read_yaml_docs(&shared().join("testdata/stability/secrets.yaml"))[0];
    let mut values = BTreeMap::new();
    for (f, v) in bundle::flatten(doc, None).expect("complete bundle") {
        values.insert(bundle::secret_name(cluster, f), v);
    }
    // The stability bundle has no admin certificate; any certificate stands in for it here.
    let admin = json!({ "crt": doc["certs"]["os"]["crt"], "key": doc["certs"]["os"]["key"] });
    for (f, v) in bundle::flatten(&admin, Some("admin")).expect("admin") {
        values.insert(bundle::secret_name(cluster, f), v);
    }
    SecretValues(values)
}

/// Equal values and the same key order at every level.
fn assert_same(ours: &Value, theirs: &Value, at: &str) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: Vec<&String> = a.keys().collect();
            let kb: Vec<&String> = b.keys().collect();
            assert_eq!(ka, kb, "keys at {at}");
            for (k, v) in a {
                assert_same(v, &b[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "length at {at}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same(x, y, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(ours, theirs, "value at {at}"),
    }
}

#[test]
fn generator_equals_talosctl_gen_config_for_both_versions_and_roles() {
    let values = stability_secrets("base");
    let b = Bundle::from_secrets(&values, "base").expect("bundle");
    for minor in ["1.12", "1.13"] {
        for role in ["controlplane", "worker"] {
            let golden = read_yaml_docs(
                &shared().join(format!("testdata/stability/v{minor}/base-{role}.yaml")),
            );
            let input = GenInput {
                cluster_name: "base",
                endpoint: "https://base:6443".into(),
                kubernetes_version: "1.28.0".into(),
                talos_minor: minor,
                controlplane: role == "controlplane",
            };
            let ours = machineconfig::generate(&input, &b);
            assert_eq!(ours.len(), golden.len(), "{minor} {role}: document count");
            for (i, (o, g)) in ours.iter().zip(&golden).enumerate() {
                assert_same(o, g, &format!("v{minor} {role} doc {i}"));
            }
        }
    }
}

/// A lab with a 1.12 cluster (control plane with a VIP, labels, taints and patches, plus a
/// worker) and a 1.13 cluster on an OCI site.
fn lab_json() -> Value {
    json!({
        "name": "t", "domain": "example.org",
        "limits": { "oci_always_free": [] },
        "talos_support": [
            { "talos": "1.12", "kubernetes_min": "1.30.0", "kubernetes_max": "1.35.99" },
            { "talos": "1.13", "kubernetes_min": "1.31.0", "kubernetes_max": "1.36.99" },
        ],
        "identity": {},
        "sites": {
            "home": { "kind": "home", "free_tier": false },
            "oci": { "kind": "oci", "free_tier": true },
        },
        "hosts": { "pve": {
            "site": "home", "kind": "proxmox", "node": "pve", "address": "192.168.68.51",
            "network": "lan", "cores": 8, "threads": 16, "memory": "64GiB",
            "reserved_memory": "4GiB", "overcommit": { "cpu": 1, "memory": 1, "disk": 1 },
        }},
        "networks": {
            "lan": { "site": "home", "kind": "lan", "cidr": "192.168.68.0/24",
                     "gateway": "192.168.68.1", "dns": ["192.168.68.1", "1.1.1.1"] },
            "sub": { "site": "oci", "kind": "lan", "cidr": "10.0.1.0/24", "gateway": "10.0.1.1",
                     "dns": ["1.1.1.1"] },
        },
        "clusters": {
            "prod": {
                "talos_version": "1.12.1", "kubernetes_version": "1.35.0",
                "endpoint": "192.168.68.110", "vip": "192.168.68.110",
                "pod_cidr": "10.245.0.0/16", "service_cidr": "10.97.0.0/16",
                "cni": "cilium", "kube_proxy": false,
                "install": { "disk": "/dev/sda", "extensions": ["siderolabs/qemu-guest-agent"] },
                "cert_sans": ["k8s.example.org"],
                "patches": [{ "machine": { "sysctls": { "vm.max_map_count": "262144" } } }],
            },
            "cloud": {
                "talos_version": "1.13.0", "kubernetes_version": "1.36.0",
                "endpoint": "10.0.1.10",
                "pod_cidr": "10.246.0.0/16", "service_cidr": "10.98.0.0/16",
                "cni": "flannel", "kube_proxy": true,
                "install": { "disk": "/dev/sda", "extensions": [] },
            },
        },
        "machines": {
            "cp": {
                "kind": "vm", "host": "pve", "vmid": 101, "cpu": 2, "memory": "4GiB",
                "disk": "50GiB", "os": "talos", "network": "lan", "address": "192.168.68.101",
                "cluster": "prod", "role": "controlplane", "schedulable": true,
                "link_match": "link.driver == \"virtio_net\"",
                "labels": { "topology.kubernetes.io/zone": "home" },
                "taints": { "dedicated": "infra:NoSchedule" },
                "patches": [{ "machine": { "sysctls": { "net.core.somaxconn": "65535" } } }],
            },
            "worker": {
                "kind": "vm", "host": "pve", "vmid": 102, "cpu": 2, "memory": "4GiB",
                "disk": "50GiB", "os": "talos", "network": "lan", "address": "192.168.68.102",
                "cluster": "prod", "role": "worker", "schedulable": false,
                "link_match": "link.driver == \"virtio_net\"",
            },
            "oci-1": {
                "kind": "cloud", "site": "oci", "cpu": 1, "memory": "6GiB", "disk": "64GiB",
                "os": "talos", "network": "sub", "address": "10.0.1.10",
                "cluster": "cloud", "role": "controlplane", "schedulable": false,
                "link_match": "link.driver == \"virtio_net\"",
            },
        },
    })
}

fn render(lab: &Value) -> Vec<SecretArtifact> {
    let lab = common::lab_from_json(lab);
    let mut values = stability_secrets("prod").0;
    values.extend(stability_secrets("cloud").0);
    let ctx = RenderContext {
        secrets: SecretValues(values),
        ..Default::default()
    };
    hlc_render::render_secret(&lab, &ctx).expect("renders")
}

fn docs(a: &SecretArtifact) -> &Vec<Value> {
    a.document
        .as_array()
        .expect("a machine config is a document stream")
}

fn find<'a>(arts: &'a [SecretArtifact], path: &str) -> &'a SecretArtifact {
    arts.iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
}

/// A validator for one document kind of a Talos schema (the root `oneOf` gives useless errors).
fn validator(schema: &Value, def: &str) -> jsonschema::Validator {
    let mut s = schema.clone();
    let obj = s.as_object_mut().expect("schema object");
    obj.remove("oneOf");
    obj.insert("$ref".into(), json!(format!("#/$defs/{def}")));
    jsonschema::options()
        .build(&s)
        .unwrap_or_else(|e| panic!("schema for {def}: {e}"))
}

fn def_of(doc: &Value) -> String {
    if doc.get("version").and_then(Value::as_str) == Some("v1alpha1") {
        return "v1alpha1.Config".into();
    }
    let kind = doc["kind"].as_str().expect("kind");
    format!("network.{kind}V1Alpha1")
}

#[test]
fn every_rendered_document_validates_against_its_versions_schema() {
    let arts = render(&lab_json());
    let mut checked = 0;
    for (path, minor) in [
        ("talos/prod/cp.yaml", "1.12"),
        ("talos/prod/worker.yaml", "1.12"),
        ("talos/cloud/oci-1.yaml", "1.13"),
    ] {
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(shared().join(format!("v{minor}/config.schema.json")))
                .expect("schema"),
        )
        .expect("schema JSON");
        for doc in docs(find(&arts, path)) {
            let def = def_of(doc);
            assert!(
                schema["$defs"].get(&def).is_some(),
                "{def} not in the v{minor} schema"
            );
            // NOTES.md: the published schema lacks `persist`, which talosctl always writes.
            let mut d = doc.clone();
            d.as_object_mut().unwrap().remove("persist");
            let v = validator(&schema, &def);
            let errors: Vec<String> = v
                .iter_errors(&d)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{path} {def} (v{minor}):\n{}",
                errors.join("\n")
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} documents checked");
}

#[test]
fn the_1_12_shape_keeps_machine_network_and_1_13_drops_it() {
    let arts = render(&lab_json());
    assert!(docs(find(&arts, "talos/prod/cp.yaml"))[0]["machine"]
        .get("network")
        .is_some());
    assert!(docs(find(&arts, "talos/cloud/oci-1.yaml"))[0]["machine"]
        .get("network")
        .is_none());
    // The 1.13 schema really has no such field (so emitting it would be invalid there).
    let s13: Value = serde_json::from_str(
        &std::fs::read_to_string(shared().join("v1.13/config.schema.json")).unwrap(),
    )
    .unwrap();
    assert!(s13["$defs"]["v1alpha1.MachineConfig"]["properties"]
        .get("network")
        .is_none());
}

/// Every key path of talosctl's output for the role is in ours (hlc only adds and fills).
#[test]
fn same_sections_and_field_names_as_talosctl_gen_config() {
    fn paths(v: &Value, at: String, out: &mut Vec<String>) {
        if let Value::Object(m) = v {
            for (k, x) in m {
                let p = format!("{at}.{k}");
                out.push(p.clone());
                paths(x, p, out);
            }
        }
    }
    let arts = render(&lab_json());
    for (path, minor, role) in [
        ("talos/prod/cp.yaml", "1.12", "controlplane"),
        ("talos/prod/worker.yaml", "1.12", "worker"),
        ("talos/cloud/oci-1.yaml", "1.13", "controlplane"),
    ] {
        let golden =
            read_yaml_docs(&shared().join(format!("testdata/stability/v{minor}/base-{role}.yaml")));
        let (mut want, mut have) = (Vec::new(), Vec::new());
        paths(&golden[0], String::new(), &mut want);
        paths(&docs(find(&arts, path))[0], String::new(), &mut have);
        let missing: Vec<&String> = want.iter().filter(|p| !have.contains(p)).collect();
        assert!(missing.is_empty(), "{path} lacks {missing:?}");
        assert_eq!(golden[1]["kind"], docs(find(&arts, path))[1]["kind"]);
    }
}

#[test]
fn model_facts_reach_the_config() {
    let arts = render(&lab_json());
    let cp = docs(find(&arts, "talos/prod/cp.yaml"));
    let m = &cp[0]["machine"];
    let c = &cp[0]["cluster"];
    assert_eq!(m["type"], "controlplane");
    assert_eq!(c["clusterName"], "prod");
    assert_eq!(c["controlPlane"]["endpoint"], "https://192.168.68.110:6443");
    assert_eq!(m["install"]["disk"], "/dev/sda");
    let image = m["install"]["image"].as_str().unwrap();
    // The qemu-guest-agent schematic's ID (Talos documentation, vectors.json).
    assert!(
        image.starts_with("factory.talos.dev/metal-installer/ce4c980550dd2ab1b17bbf2b08801c7eb59418eafe8f279833297925d67c7515:v1.12.1"),
        "{image}"
    );
    assert_eq!(c["network"]["cni"]["name"], "none");
    assert_eq!(c["network"]["podSubnets"], json!(["10.245.0.0/16"]));
    assert_eq!(c["network"]["serviceSubnets"], json!(["10.97.0.0/16"]));
    assert_eq!(c["proxy"]["disabled"], true);
    assert_eq!(c["allowSchedulingOnControlPlanes"], true);
    assert_eq!(m["certSANs"], json!(["192.168.68.110", "k8s.example.org"]));
    assert_eq!(c["apiServer"]["certSANs"], m["certSANs"]);
    assert_eq!(m["nodeLabels"]["topology.kubernetes.io/zone"], "home");
    assert_eq!(m["nodeTaints"]["dedicated"], "infra:NoSchedule");
    // Cluster patch, then machine patch: both merged, neither replaces the other.
    assert_eq!(m["sysctls"]["vm.max_map_count"], "262144");
    assert_eq!(m["sysctls"]["net.core.somaxconn"], "65535");
    let kinds: Vec<&str> = cp[1..]
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "HostnameConfig",
            "LinkAliasConfig",
            "LinkConfig",
            "ResolverConfig",
            "Layer2VIPConfig"
        ]
    );
    assert_eq!(cp[1]["hostname"], "cp");
    assert_eq!(cp[3]["addresses"][0]["address"], "192.168.68.101/24");
    assert_eq!(cp[3]["routes"][0]["gateway"], "192.168.68.1");
    assert_eq!(cp[4]["nameservers"][1]["address"], "1.1.1.1");
    assert_eq!(cp[5]["name"], "192.168.68.110");

    let w = docs(find(&arts, "talos/prod/worker.yaml"));
    assert_eq!(w[0]["machine"]["type"], "worker");
    assert_eq!(w[0]["machine"]["ca"]["key"], "");
    assert!(w[0]["cluster"].get("apiServer").is_none());
    assert!(w
        .iter()
        .all(|d| d.get("kind") != Some(&json!("Layer2VIPConfig"))));

    let oci = docs(find(&arts, "talos/cloud/oci-1.yaml"));
    let image = oci[0]["machine"]["install"]["image"].as_str().unwrap();
    assert!(
        image.starts_with("factory.talos.dev/oracle-installer/"),
        "{image}"
    );
    assert!(
        oci[0]["cluster"]["network"].get("cni").is_none(),
        "flannel is Talos' default"
    );
    assert!(oci[0]["cluster"]["proxy"].get("disabled").is_none());
    assert!(oci[0]["cluster"]
        .get("allowSchedulingOnControlPlanes")
        .is_none());

    let tc = &find(&arts, "talos/prod/talosconfig").document;
    assert_eq!(tc["context"], "prod");
    // As talosctl writes it: the cluster endpoint, no node list.
    assert_eq!(
        tc["contexts"]["prod"]["endpoints"],
        json!(["192.168.68.110"])
    );
    assert!(tc["contexts"]["prod"].get("nodes").is_none());
}

/// Every bundle value sits under a key the encryption regex selects (the build's leak guard
/// refuses any secret input in clear, certificates included).
#[test]
fn secret_values_sit_only_under_encrypted_keys() {
    fn leaves(v: &Value, key: &str, out: &mut Vec<(String, String)>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, x)| leaves(x, k, out)),
            Value::Array(a) => a.iter().for_each(|x| leaves(x, key, out)),
            Value::String(s) => out.push((key.to_string(), s.clone())),
            _ => {}
        }
    }
    let keys = ENCRYPTED_REGEX
        .trim_start_matches("^(")
        .trim_end_matches(")$")
        .split('|')
        .collect::<Vec<_>>();
    let values = stability_secrets("prod");
    let b = Bundle::from_secrets(&values, "prod").unwrap();
    let secrets: Vec<&str> = bundle::FIELDS
        .iter()
        .chain(bundle::ADMIN_FIELDS.iter())
        .map(|f| b.get(f))
        .collect();
    let arts = render(&lab_json());
    let mut seen = 0;
    for a in &arts {
        assert_eq!(a.encrypted_regex.as_deref(), Some(ENCRYPTED_REGEX));
        let mut out = Vec::new();
        leaves(&a.document, "", &mut out);
        for (k, v) in out {
            if secrets.contains(&v.as_str()) {
                assert!(keys.contains(&k.as_str()), "{}: secret under `{k}`", a.path);
                seen += 1;
            }
        }
    }
    assert!(seen > 20, "only {seen} secret values found");
}

#[test]
fn changing_a_node_address_changes_only_that_nodes_file() {
    let before = render(&lab_json());
    let mut lab = lab_json();
    lab["machines"]["worker"]["address"] = json!("192.168.68.120");
    let after = render(&lab);
    assert_eq!(before.len(), after.len());
    let changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a.document != b.document)
        .map(|(a, _)| a.path.as_str())
        .collect();
    assert_eq!(changed, ["talos/prod/worker.yaml"]);
}

#[test]
fn a_cluster_without_bundle_or_with_an_unknown_version_renders_nothing() {
    let mut lab = lab_json();
    lab["clusters"]["cloud"]["talos_version"] = json!("1.99.0");
    let lab = common::lab_from_json(&lab);
    let ctx = RenderContext {
        secrets: stability_secrets("cloud"),
        ..Default::default()
    };
    let arts = hlc_render::render_secret(&lab, &ctx).unwrap();
    assert!(
        arts.iter().all(|a| !a.path.starts_with("talos/")),
        "{arts:?}"
    );
}
