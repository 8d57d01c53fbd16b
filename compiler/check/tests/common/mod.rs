//! A minimal valid lab (home Proxmox host with three Talos VMs, an Oracle Cloud free-tier site
//! with two A1 instances, three clusters, a handful of services) and helpers to mutate it.

#![allow(dead_code)]

use hlc_check::{check, Analysis};
use hlc_diag::{Diagnostic, Diagnostics, Node, Severity};
use hlc_model::Lab;
use serde_json::{json, Value};

pub fn fixture() -> Value {
    json!({
        "name": "test-lab",
        "domain": "example.org",
        "limits": {
            "oci_always_free": [
                { "from": "2019-09-16", "a1_ocpus": 4, "a1_memory": "24GiB",
                  "block_storage": "200GiB", "source": "old allowance (4 OCPU / 24 GB)" },
                { "from": "2026-06-15", "a1_ocpus": 2, "a1_memory": "12GiB",
                  "block_storage": "200GiB", "source": "Oracle announcement (2 OCPU / 12 GB)" }
            ]
        },
        "sites": {
            "home": { "kind": "home", "free_tier": false },
            "oci": { "kind": "oci", "free_tier": true, "region": "eu-paris-1" }
        },
        "networks": {
            "home-lan": { "site": "home", "kind": "lan", "cidr": "192.168.68.0/24",
                          "gateway": "192.168.68.1" },
            "oci-vcn": { "site": "oci", "kind": "vcn", "cidr": "10.0.0.0/16" },
            "oci-public": { "site": "oci", "kind": "subnet", "cidr": "10.0.1.0/24",
                            "gateway": "10.0.1.1", "parent": "oci-vcn" }
        },
        "hosts": {
            "pve": {
                "site": "home", "kind": "proxmox", "node": "pve", "address": "192.168.68.51",
                "network": "home-lan", "cores": 8, "threads": 16, "memory": "64GiB",
                "reserved_memory": "4GiB",
                "datastores": { "tank-vm": { "size": "2TiB", "kind": "zfs" } },
                "overcommit": { "cpu": 1, "memory": 1, "disk": 1 }
            }
        },
        "machines": {
            "talos-dev": vm(100, 2, "4GiB", "50GiB", "192.168.68.100", "dev", "controlplane"),
            "talos-prod-cp": vm(101, 2, "4GiB", "50GiB", "192.168.68.101", "prod", "controlplane"),
            "talos-prod-worker-1": vm(102, 6, "12GiB", "200GiB", "192.168.68.102", "prod", "worker"),
            "oci-mgmt": {
                "kind": "cloud", "site": "oci", "cpu": 1, "memory": "6GiB", "disk": "50GiB",
                "shape": "VM.Standard.A1.Flex", "os": "ubuntu", "network": "oci-public",
                "address": "10.0.1.5", "schedulable": false
            },
            "oci-node-1": {
                "kind": "cloud", "site": "oci", "cpu": 1, "memory": "6GiB", "disk": "64GiB",
                "os": "talos", "network": "oci-public", "address": "10.0.1.10",
                "cluster": "cloud", "role": "controlplane", "schedulable": true
            }
        },
        "clusters": {
            "dev": cluster(),
            "prod": cluster(),
            "cloud": cluster()
        },
        "identity": {
            "provider": "authentik",
            "admin_group": "admins",
            "groups": { "admins": {}, "family": {} },
            "users": { "owner": { "email": "owner@example.org", "groups": ["admins"] } }
        },
        "services": {
            "authentik": svc("machine", "oci-mgmt", "public", "none", false, Some("auth"),
                             &["postgres"], &["authentik-secret-key"], &[]),
            "postgres": svc("machine", "oci-mgmt", "internal", "none", false, None, &[], &[], &[]),
            "argocd": svc("cluster", "prod", "access", "oidc", true, Some("argocd"),
                          &["authentik"], &[], &["admins"]),
            "grafana": svc("cluster", "prod", "access", "oidc", true, Some("grafana"),
                           &["prometheus", "authentik"], &[], &["admins"]),
            "prometheus": svc("cluster", "prod", "private", "none", true, None, &[], &[], &[]),
            "homepage": svc("cluster", "prod", "public", "none", false, Some("home"), &[], &[],
                            &["family"]),
            "proxmox": svc("host", "pve", "private", "local", true, None, &[], &[], &[])
        },
        "secrets": {
            "authentik-secret-key": { "file": "authentik.yaml", "key": "secret_key" }
        },
        // One tunnel per connector location (HLC420-423); the connectors are services of the
        // fixture placed where the routed services run.
        "tunnels": {
            "mgmt": { "connector": "postgres", "source": "local", "services": ["authentik"] },
            "prod": {
                "connector": "prometheus",
                "source": "cloudflare",
                "services": ["argocd", "grafana", "homepage"]
            }
        }
    })
}

fn vm(vmid: i64, cpu: i64, mem: &str, disk: &str, addr: &str, cluster: &str, role: &str) -> Value {
    json!({
        "kind": "vm", "host": "pve", "vmid": vmid, "cpu": cpu, "memory": mem, "disk": disk,
        "datastore": "tank-vm", "os": "talos", "network": "home-lan", "address": addr,
        "cluster": cluster, "role": role, "schedulable": true
    })
}

fn cluster() -> Value {
    json!({
        "talos_version": "1.12.1", "kubernetes_version": "1.35.0",
        "pod_cidr": "10.244.0.0/16", "service_cidr": "10.96.0.0/12",
        "cni": "cilium", "kube_proxy": false,
        "install": { "disk": "/dev/sda", "extensions": [] }
    })
}

#[allow(clippy::too_many_arguments)]
pub fn svc(
    place: &str,
    on: &str,
    exposure: &str,
    auth: &str,
    admin: bool,
    hostname: Option<&str>,
    deps: &[&str],
    secrets: &[&str],
    groups: &[&str],
) -> Value {
    let mut v = json!({
        "port": 80, "scheme": "http", "exposure": exposure, "auth": auth, "admin": admin,
        "depends_on": deps, "secrets": secrets, "groups": groups
    });
    v[place] = json!(on);
    if let Some(h) = hostname {
        v["hostname"] = json!(h);
    }
    v
}

/// Decodes a lab; panics (in tests only) with the decode diagnostics if it is invalid.
pub fn decode(v: &Value) -> Lab {
    let (lab, diags) = hlc_model::decode(&Node::from_json(v));
    match lab {
        Some(l) => l,
        None => panic!("fixture does not decode: {diags:#?}"),
    }
}

/// Checks the fixture after a mutation.
pub fn run(mutate: impl FnOnce(&mut Value)) -> (Analysis, Diagnostics) {
    let mut v = fixture();
    mutate(&mut v);
    check(&decode(&v))
}

/// The findings with a given code.
pub fn with_code<'a>(d: &'a Diagnostics, code: &str) -> Vec<&'a Diagnostic> {
    d.iter().filter(|x| x.code == code).collect()
}

/// The single finding with this code and path (panics with the list otherwise).
pub fn find<'a>(d: &'a Diagnostics, code: &str, path: &str) -> &'a Diagnostic {
    let hits: Vec<&Diagnostic> = d
        .iter()
        .filter(|x| x.code == code && x.path.as_deref() == Some(path))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one {code} at {path}, got: {:#?}",
        d.0
    );
    hits[0]
}

pub fn codes(d: &Diagnostics) -> Vec<&str> {
    let mut c: Vec<&str> = d.iter().map(|x| x.code.as_str()).collect();
    c.sort_unstable();
    c.dedup();
    c
}

pub fn is_error(d: &Diagnostic) -> bool {
    d.severity == Severity::Error
}
