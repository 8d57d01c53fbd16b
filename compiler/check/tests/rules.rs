//! Each rule fires on a mutation of the valid fixture, with its code, config path and help, and
//! not on the fixture itself.
#![allow(clippy::disallowed_methods)] // tests read and write their golden files

mod common;

use common::*;
use serde_json::json;

#[test]
fn valid_fixture_has_no_findings() {
    let (a, d) = run(|_| {});
    assert!(d.is_empty(), "{:#?}", d.0);
    assert_eq!(a.order.len(), 7);
}

#[test]
fn unknown_references_with_suggestions() {
    let (_, d) = run(|v| {
        v["machines"]["talos-dev"]["host"] = json!("pve1");
        v["machines"]["talos-prod-cp"]["cluster"] = json!("prdo");
        v["machines"]["talos-prod-cp"]["datastore"] = json!("tank-iso");
        v["machines"]["oci-mgmt"]["site"] = json!("ocii");
        v["machines"]["oci-node-1"]["network"] = json!("oci-publc");
        v["networks"]["oci-public"]["parent"] = json!("vcn");
        v["hosts"]["pve"]["site"] = json!("hoem");
        v["services"]["grafana"]["depends_on"] = json!(["prometheus", "authentk"]);
        v["services"]["authentik"]["secrets"] = json!(["authentik-secret"]);
        v["services"]["argocd"]["groups"] = json!(["admin"]);
        v["services"]["argocd"]["cluster"] = json!("staging");
        v["identity"]["provider"] = json!("authentic");
        v["identity"]["admin_group"] = json!("admns");
        v["identity"]["users"]["owner"]["groups"] = json!(["family", "xyz"]);
    });
    let h = find(&d, "HLC201", "machines.talos-dev.host");
    assert_eq!(h.help.as_deref(), Some("did you mean `pve`?"));
    assert!(h.message.contains("`pve1`"), "{}", h.message);
    for path in [
        "machines.talos-prod-cp.cluster",
        "machines.talos-prod-cp.datastore",
        "machines.oci-mgmt.site",
        "machines.oci-node-1.network",
        "networks.oci-public.parent",
        "hosts.pve.site",
        "services.grafana.depends_on[1]",
        "services.authentik.secrets[0]",
        "services.argocd.groups[0]",
        "services.argocd.cluster",
        "identity.provider",
        "identity.admin_group",
        "identity.users.owner.groups[1]",
    ] {
        find(&d, "HLC201", path);
    }
    assert_eq!(
        find(&d, "HLC201", "services.grafana.depends_on[1]")
            .help
            .as_deref(),
        Some("did you mean `authentik`?")
    );
    let staging = find(&d, "HLC201", "services.argocd.cluster");
    assert!(
        staging
            .help
            .as_deref()
            .is_some_and(|h| h.contains("cloud, dev, prod")),
        "{:?}",
        staging.help
    );
    assert!(find(&d, "HLC201", "machines.talos-prod-cp.datastore")
        .help
        .as_deref()
        .is_some_and(|h| h.contains("tank-vm")));
    assert_eq!(with_code(&d, "HLC201").len(), 14);
    assert!(d.iter().all(is_error));
}

#[test]
fn duplicate_hostname_and_service_name() {
    let (_, d) = run(|v| {
        v["services"]["homepage"]["hostname"] = json!("grafana");
        v["services"]["prometheus"]["namespace"] = json!("monitoring");
        v["services"]["prometheus"]["service_name"] = json!("web");
        v["services"]["grafana"]["namespace"] = json!("monitoring");
        v["services"]["grafana"]["service_name"] = json!("web");
    });
    let h = find(&d, "HLC203", "services.homepage.hostname");
    assert!(h.message.contains("grafana.example.org"), "{}", h.message);
    assert!(h.message.contains("`grafana`"));
    let s = find(&d, "HLC203", "services.prometheus.service_name");
    assert!(s.message.contains("monitoring/web"), "{}", s.message);
    assert_eq!(with_code(&d, "HLC203").len(), 2);
}

#[test]
fn duplicate_vmid_same_site_only() {
    let (_, d) = run(|v| v["machines"]["talos-prod-cp"]["vmid"] = json!(100));
    let f = find(&d, "HLC204", "machines.talos-prod-cp.vmid");
    assert!(f.message.contains("talos-dev"));
}

#[test]
fn duplicate_address_and_gateway() {
    let (_, d) = run(|v| {
        v["machines"]["talos-prod-cp"]["address"] = json!("192.168.68.100");
        v["machines"]["oci-node-1"]["address"] = json!("10.0.1.1");
        v["hosts"]["pve"]["address"] = json!("192.168.68.102");
    });
    // Hosts are listed before machines: the VM is the duplicate.
    find(&d, "HLC205", "machines.talos-prod-worker-1.address");
    find(&d, "HLC205", "machines.talos-prod-cp.address");
    let gw = find(&d, "HLC205", "machines.oci-node-1.address");
    assert!(gw.message.contains("gateway"), "{}", gw.message);
    assert_eq!(with_code(&d, "HLC205").len(), 3);
}

#[test]
fn address_outside_network() {
    let (_, d) = run(|v| {
        v["machines"]["talos-dev"]["address"] = json!("192.168.1.100");
        v["machines"]["talos-prod-cp"]["address"] = json!("192.168.68.255");
        v["networks"]["home-lan"]["gateway"] = json!("192.168.1.1");
        v["machines"]["oci-mgmt"]["network"] = json!("home-lan");
        v["machines"]["oci-mgmt"]["address"] = json!("192.168.68.20");
    });
    let a = find(&d, "HLC301", "machines.talos-dev.address");
    assert!(
        a.message
            .contains("outside network `home-lan` (192.168.68.0/24)"),
        "{}",
        a.message
    );
    let b = find(&d, "HLC301", "machines.talos-prod-cp.address");
    assert!(b.message.contains("broadcast"), "{}", b.message);
    find(&d, "HLC301", "networks.home-lan.gateway");
    let s = find(&d, "HLC301", "machines.oci-mgmt.network");
    assert!(s.message.contains("site `oci`"), "{}", s.message);
    assert_eq!(with_code(&d, "HLC301").len(), 4);
}

#[test]
fn overlapping_cidrs() {
    let (_, d) = run(|v| {
        // Pod range over the home LAN.
        v["clusters"]["dev"]["pod_cidr"] = json!("192.168.0.0/16");
        // Pod and service range of one cluster.
        v["clusters"]["prod"]["service_cidr"] = json!("10.244.0.0/20");
        // A subnet sticking out of its VCN.
        v["networks"]["oci-public"]["cidr"] = json!("10.1.0.0/24");
        v["networks"]["oci-public"]["gateway"] = json!("10.1.0.1");
        v["machines"]["oci-mgmt"]["address"] = json!("10.1.0.5");
        v["machines"]["oci-node-1"]["address"] = json!("10.1.0.10");
    });
    let lan = find(&d, "HLC302", "clusters.dev.pod_cidr");
    assert!(
        lan.message.contains("overlaps network `home-lan`"),
        "{}",
        lan.message
    );
    let svc = find(&d, "HLC302", "clusters.prod.service_cidr");
    assert!(
        svc.message.contains("pod CIDR of cluster `prod`"),
        "{}",
        svc.message
    );
    let out = find(&d, "HLC302", "networks.oci-public.cidr");
    assert!(out.message.contains("sticks out"), "{}", out.message);
    // The other clusters keep the shared Talos defaults: no finding between clusters.
    assert_eq!(with_code(&d, "HLC302").len(), 3, "{:#?}", d.0);
}

#[test]
fn overlapping_networks_without_parent() {
    let (_, d) = run(|v| {
        v["networks"]["oci-public"]["parent"] = serde_json::Value::Null;
    });
    let f = find(&d, "HLC302", "networks.oci-public.cidr");
    assert!(f.message.contains("network `oci-vcn`"), "{}", f.message);
}

#[test]
fn host_capacity_each_resource() {
    let (_, d) = run(|v| {
        v["machines"]["talos-prod-worker-1"]["cpu"] = json!(14);
        v["machines"]["talos-prod-worker-1"]["memory"] = json!("56GiB");
        v["machines"]["talos-prod-worker-1"]["disk"] = json!("3TiB");
    });
    let cpu = find(&d, "HLC303", "hosts.pve.threads");
    assert!(
        cpu.message
            .contains("18 vCPUs, 16 available (16 threads × overcommit 1)"),
        "{}",
        cpu.message
    );
    assert!(cpu.message.contains("talos-prod-worker-1 14"));
    let mem = find(&d, "HLC303", "hosts.pve.memory");
    assert!(mem.message.contains("64GiB"), "{}", mem.message);
    assert!(mem.message.contains("60GiB available"), "{}", mem.message);
    let disk = find(&d, "HLC303", "hosts.pve.datastores.tank-vm.size");
    assert!(disk.message.contains("tank-vm"), "{}", disk.message);
    assert_eq!(with_code(&d, "HLC303").len(), 3);
}

#[test]
fn host_capacity_respects_overcommit() {
    let (_, d) = run(|v| {
        v["machines"]["talos-prod-worker-1"]["cpu"] = json!(14);
        v["hosts"]["pve"]["overcommit"]["cpu"] = json!(1.5);
    });
    assert!(d.is_empty(), "{:#?}", d.0);
}

#[test]
fn oci_free_tier_uses_table_in_force() {
    // The seed's layout: 4 OCPU / 24 GB.
    let seed = |v: &mut serde_json::Value| {
        v["machines"]["oci-node-1"]["cpu"] = json!(2);
        v["machines"]["oci-node-1"]["memory"] = json!("12GiB");
        v["machines"]["oci-node-2"] = json!({
            "kind": "cloud", "site": "oci", "cpu": 1, "memory": "6GiB", "disk": "75GiB",
            "os": "talos", "network": "oci-public", "address": "10.0.1.11",
            "cluster": "cloud", "role": "worker", "schedulable": true
        });
    };
    let (_, d) = run(seed);
    let cpu = with_code(&d, "HLC304");
    assert_eq!(cpu.len(), 2, "{:#?}", d.0);
    let ocpu = cpu
        .iter()
        .find(|x| x.message.contains("A1 OCPUs"))
        .expect("OCPU finding");
    assert!(
        ocpu.message.contains(
            "A1 OCPUs: 4 used, 2 allowed by the Always Free table in force from 2026-06-15"
        ),
        "{}",
        ocpu.message
    );
    assert!(
        ocpu.message.contains("Oracle announcement"),
        "{}",
        ocpu.message
    );
    assert!(ocpu.message.contains("oci-node-2 1"), "{}", ocpu.message);
    // oci-mgmt 1 + oci-node-1 2 crosses the limit of 2.
    assert_eq!(ocpu.path.as_deref(), Some("machines.oci-node-1.cpu"));
    assert!(ocpu.help.as_deref().is_some_and(|h| h.contains("cut 2")));
    let mem = cpu
        .iter()
        .find(|x| x.message.contains("A1 memory"))
        .expect("memory");
    assert!(
        mem.message.contains("24GiB used, 12GiB allowed"),
        "{}",
        mem.message
    );

    // Under the older table the seed fits.
    let (_, d) = run(|v| {
        seed(v);
        v["limits_at"] = json!("2026-06-14");
    });
    assert!(d.is_empty(), "{:#?}", d.0);

    // A date before every table.
    let (_, d) = run(|v| v["limits_at"] = json!("2010-01-01"));
    let f = find(&d, "HLC304", "limits_at");
    assert!(f.message.contains("2019-09-16"), "{}", f.message);
}

#[test]
fn oci_free_tier_shapes_and_block_storage() {
    let (_, d) = run(|v| {
        // A non-A1 shape does not count against A1, but its disk counts as block storage.
        v["machines"]["micro"] = json!({
            "kind": "cloud", "site": "oci", "cpu": 4, "memory": "24GiB", "disk": "100GiB",
            "shape": "VM.Standard.E2.1.Micro", "os": "ubuntu", "network": "oci-public",
            "schedulable": false
        });
    });
    let f = with_code(&d, "HLC304");
    assert_eq!(f.len(), 1, "{:#?}", d.0);
    assert!(
        f[0].message
            .contains("block storage: 214GiB used, 200GiB allowed"),
        "{}",
        f[0].message
    );
}

#[test]
fn oci_site_not_free_tier_is_not_checked() {
    let (_, d) = run(|v| {
        v["sites"]["oci"]["free_tier"] = json!(false);
        v["machines"]["oci-node-1"]["cpu"] = json!(8);
    });
    assert!(with_code(&d, "HLC304").is_empty());
}

#[test]
fn exposure_rules() {
    let (_, d) = run(|v| {
        v["services"]["homepage"]["admin"] = json!(true);
        v["services"]["argocd"]["auth"] = json!("none");
        v["services"]["grafana"]["auth"] = json!("local");
        v["services"]["prometheus"]["hostname"] = json!("prometheus");
        v["services"]["postgres"]["hostname"] = json!("db");
    });
    let p = find(&d, "HLC401", "services.homepage.exposure");
    assert!(is_error(p));
    assert!(p
        .help
        .as_deref()
        .is_some_and(|h| h.contains("'access") && h.contains("'private")));
    // homepage is now an admin service behind nothing: only HLC401, not HLC402.
    let a = find(&d, "HLC402", "services.argocd.auth");
    assert!(!is_error(a));
    assert!(!is_error(find(&d, "HLC402", "services.grafana.auth")));
    assert!(!is_error(find(
        &d,
        "HLC403",
        "services.prometheus.hostname"
    )));
    find(&d, "HLC403", "services.postgres.hostname");
    assert_eq!(d.0.len(), 5, "{:#?}", d.0);
}
