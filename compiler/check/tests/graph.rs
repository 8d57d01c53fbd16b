//! Dependency order, waves, cycles, policy, the registry, exports, and a large lab.
#![allow(clippy::disallowed_methods)] // tests read and write their golden files

mod common;

use common::*;
use hlc_check::{check, rule, rules, to_dot, to_json, to_mermaid, NodeKind};
use hlc_diag::Severity;
use serde_json::json;

#[test]
fn waves_and_dependents_of_the_fixture() {
    let (a, d) = run(|_| {});
    assert!(d.is_empty());
    let w = |s: &str| a.waves.get(s).copied();
    assert_eq!(w("postgres"), Some(0));
    assert_eq!(w("prometheus"), Some(0));
    assert_eq!(w("authentik"), Some(1));
    assert_eq!(w("grafana"), Some(2));
    assert_eq!(w("argocd"), Some(2));
    assert_eq!(
        a.dependents.get("authentik"),
        Some(&vec!["argocd".to_string(), "grafana".to_string()])
    );
    assert_eq!(a.dependents.get("homepage"), Some(&Vec::new()));
    assert_eq!(
        a.order,
        [
            "homepage",
            "postgres",
            "authentik",
            "argocd",
            "prometheus",
            "grafana",
            "proxmox"
        ]
    );
}

#[test]
fn diamond_dag() {
    let (a, d) = run(|v| {
        let s = |deps: &[&str]| {
            svc(
                "cluster",
                "prod",
                "internal",
                "none",
                false,
                None,
                deps,
                &[],
                &[],
            )
        };
        v["tunnels"] = json!({}); // the fixture's tunnels route services replaced here
        v["services"] = json!({
            "d": s(&["b", "c"]),
            "c": s(&["a"]),
            "b": s(&["a"]),
            "a": s(&[]),
        });
        v["identity"]["provider"] = serde_json::Value::Null;
    });
    assert!(d.is_empty(), "{:#?}", d.0);
    assert_eq!(a.order, ["a", "b", "c", "d"]);
    let waves: Vec<(&str, u32)> = a.waves.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(waves, [("a", 0), ("b", 1), ("c", 1), ("d", 2)]);
    assert_eq!(a.dependents["a"], ["b", "c"]);
    assert_eq!(a.dependents["b"], ["d"]);
    assert!(a.dependents["d"].is_empty());
}

#[test]
fn cycle_prints_its_path_and_points_at_the_closing_entry() {
    let (a, d) = run(|v| v["services"]["postgres"]["depends_on"] = json!(["grafana"]));
    let c = with_code(&d, "HLC202");
    assert_eq!(c.len(), 1, "{:#?}", d.0);
    assert_eq!(
        c[0].message,
        "dependency cycle: authentik → postgres → grafana → authentik"
    );
    assert_eq!(c[0].path.as_deref(), Some("services.grafana.depends_on[1]"));
    // The services in the cycle and behind it have no wave; the rest do.
    assert!(!a.waves.contains_key("authentik"));
    assert!(!a.waves.contains_key("argocd"));
    assert_eq!(a.waves.get("prometheus"), Some(&0));
}

#[test]
fn self_dependency_and_two_cycles() {
    let (_, d) = run(|v| {
        v["services"]["homepage"]["depends_on"] = json!(["homepage"]);
        v["services"]["proxmox"]["depends_on"] = json!(["prometheus"]);
        v["services"]["prometheus"]["depends_on"] = json!(["proxmox"]);
    });
    let c: Vec<&str> = with_code(&d, "HLC202")
        .iter()
        .map(|x| x.message.as_str())
        .collect();
    assert_eq!(
        c,
        [
            "dependency cycle: homepage → homepage",
            "dependency cycle: prometheus → proxmox → prometheus"
        ]
    );
}

#[test]
fn all_findings_reported_together() {
    let (_, d) = run(|v| {
        v["machines"]["talos-dev"]["host"] = json!("pve1");
        v["machines"]["talos-prod-cp"]["address"] = json!("192.168.68.102");
        v["machines"]["talos-prod-worker-1"]["cpu"] = json!(20);
        v["machines"]["oci-node-1"]["cpu"] = json!(2);
        v["services"]["homepage"]["admin"] = json!(true);
        v["services"]["postgres"]["depends_on"] = json!(["grafana"]);
        v["clusters"]["dev"]["pod_cidr"] = json!("192.168.68.0/23");
    });
    assert_eq!(
        codes(&d),
        ["HLC201", "HLC202", "HLC205", "HLC302", "HLC303", "HLC304", "HLC401"]
    );
    // Sorted deterministically: same input, same order.
    let (_, d2) = run(|v| {
        v["machines"]["talos-dev"]["host"] = json!("pve1");
        v["machines"]["talos-prod-cp"]["address"] = json!("192.168.68.102");
        v["machines"]["talos-prod-worker-1"]["cpu"] = json!(20);
        v["machines"]["oci-node-1"]["cpu"] = json!(2);
        v["services"]["homepage"]["admin"] = json!(true);
        v["services"]["postgres"]["depends_on"] = json!(["grafana"]);
        v["clusters"]["dev"]["pod_cidr"] = json!("192.168.68.0/23");
    });
    assert_eq!(d, d2);
    let paths: Vec<&str> = d.iter().filter_map(|x| x.path.as_deref()).collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted, "without spans, findings sort by path");
}

#[test]
fn policy_overrides() {
    let base = |v: &mut serde_json::Value| {
        v["services"]["homepage"]["admin"] = json!(true); // HLC401
        v["services"]["argocd"]["auth"] = json!("none"); // HLC402
        v["services"]["prometheus"]["hostname"] = json!("prometheus"); // HLC403
    };
    let (_, d) = run(|v| {
        base(v);
        v["policy"] =
            json!({ "severity": { "HLC401": "warning", "HLC402": "error", "HLC403": "off" } });
    });
    assert_eq!(
        find(&d, "HLC401", "services.homepage.exposure").severity,
        Severity::Warning
    );
    assert_eq!(
        find(&d, "HLC402", "services.argocd.auth").severity,
        Severity::Error
    );
    assert!(with_code(&d, "HLC403").is_empty());

    let (_, d) = run(|v| {
        base(v);
        v["policy"] = json!({ "severity": { "HLC4O1": "off" } });
    });
    let u = find(&d, "HLC009", "policy.severity.HLC4O1");
    assert_eq!(u.severity, Severity::Warning);
    assert_eq!(u.help.as_deref(), Some("did you mean `HLC401`?"));
    assert_eq!(
        find(&d, "HLC401", "services.homepage.exposure").severity,
        Severity::Error
    );

    let (_, d) = run(|v| v["policy"] = json!({ "severity": { "HLC999": "off", "HLC009": "off" } }));
    assert!(d.is_empty(), "{:#?}", d.0);
}

#[test]
fn registry_is_complete_and_documented() {
    let r = rules();
    let codes: Vec<&str> = r.iter().map(|x| x.code).collect();
    assert_eq!(
        codes,
        [
            "HLC001", "HLC002", "HLC009", "HLC201", "HLC202", "HLC203", "HLC204", "HLC205",
            "HLC301", "HLC302", "HLC303", "HLC304", "HLC310", "HLC311", "HLC312", "HLC401",
            "HLC402", "HLC403", "HLC410", "HLC420", "HLC421", "HLC422", "HLC423", "HLC424",
            "HLC425", "HLC450", "HLC451", "HLC452", "HLC453", "HLC454", "HLC701", "HLC702",
            "HLC703", "HLC704", "HLC705", "HLC801", "HLC802", "HLC803", "HLC804", "HLC805",
            "HLC806", "HLC807", "HLC808"
        ]
    );
    for x in r {
        assert!(
            x.doc.starts_with(&format!("# {} {}\n", x.code, x.name)),
            "{}",
            x.code
        );
        for part in ["**What.**", "**Why.**", "**Example.**", "**Fix.**"] {
            assert!(x.doc.contains(part), "{} lacks {part}", x.code);
        }
        assert!(!x.summary.is_empty());
        assert!(x.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
    }
    assert_eq!(rule("hlc204").map(|x| x.name), Some("duplicate-vmid"));
    assert_eq!(rule("oci-free-tier").map(|x| x.code), Some("HLC304"));
    assert_eq!(rule("HLC402").map(|x| x.severity), Some(Severity::Warning));
    assert!(rule("HLC999").is_none());
}

#[test]
fn graph_nodes_edges_and_exports() {
    let v = fixture();
    let lab = decode(&v);
    let (a, _) = check(&lab);
    let g = &a.graph;
    for (k, n) in [
        (NodeKind::Site, "oci"),
        (NodeKind::Host, "pve"),
        (NodeKind::Network, "oci-public"),
        (NodeKind::Machine, "talos-dev"),
        (NodeKind::Cluster, "prod"),
        (NodeKind::Service, "grafana"),
        (NodeKind::Secret, "authentik-secret-key"),
        (NodeKind::Group, "admins"),
        (NodeKind::User, "owner"),
        (NodeKind::Identity, "identity"),
    ] {
        assert!(g.node(k, n).is_some(), "{k:?} {n}");
    }
    let dot = to_dot(&lab, &a);
    assert!(dot.starts_with("digraph \"test-lab\" {"));
    assert!(dot.contains("\"service:grafana\" -> \"service:prometheus\" [label=\"depends-on\"];"));
    assert!(dot.contains("\"machine:talos-dev\" -> \"host:pve\" [label=\"host\"];"));
    assert!(dot.contains("\"service:authentik\" -> \"secret:authentik-secret-key\""));
    assert!(dot.contains("\"identity:identity\" -> \"service:authentik\" [label=\"provider\"];"));
    assert!(dot.contains("\"network:oci-public\" -> \"network:oci-vcn\" [label=\"parent\"];"));
    let mm = to_mermaid(&lab, &a);
    assert!(mm.starts_with("flowchart LR\n"));
    assert!(mm.contains("[\"service: grafana\"]"));
    assert!(mm.contains("-->|depends-on|"));
    let js = to_json(&lab, &a);
    let parsed: serde_json::Value = serde_json::from_str(&js).expect("valid json");
    assert_eq!(parsed["services"]["waves"]["grafana"], json!(2));
    assert_eq!(parsed["nodes"][0]["id"], json!("site:home"));
    // Deterministic: a second run gives the same bytes.
    let (a2, _) = check(&decode(&v));
    assert_eq!(dot, to_dot(&lab, &a2));
    assert_eq!(mm, to_mermaid(&lab, &a2));
    assert_eq!(js, to_json(&lab, &a2));
}

#[test]
fn ten_thousand_services() {
    const N: usize = 10_000;
    let mut v = fixture();
    let mut services = serde_json::Map::new();
    for i in 0..N {
        let mut deps: Vec<String> = Vec::new();
        if i > 0 {
            deps.push(format!("s{:05}", i - 1));
            deps.push(format!("s{:05}", i / 2));
        }
        let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
        services.insert(
            format!("s{i:05}"),
            svc(
                "cluster",
                "prod",
                "internal",
                "none",
                false,
                None,
                &deps,
                &[],
                &[],
            ),
        );
    }
    v["services"] = serde_json::Value::Object(services);
    v["tunnels"] = json!({});
    v["identity"]["provider"] = serde_json::Value::Null;
    let lab = decode(&v);
    let (a, d) = check(&lab);
    assert!(d.is_empty(), "{:#?}", d.0.first());
    assert_eq!(a.order.len(), N);
    assert_eq!(a.order.first().map(String::as_str), Some("s00000"));
    assert_eq!(a.order.last().map(String::as_str), Some("s09999"));
    assert_eq!(a.waves.get("s09999"), Some(&(N as u32 - 1)));
    assert_eq!(a.waves.get("s00001"), Some(&1));
    // s00000 is the dependency of s00001 (twice, deduplicated) and of nothing else but s00001's
    // `i / 2` partner: s00000 and s00001 both have i / 2 == 0.
    assert_eq!(a.dependents["s00000"], ["s00001"]);
    assert_eq!(a.dependents["s04999"], ["s05000", "s09998", "s09999"]);
    // A cycle closing the whole chain is found and printed once.
    let mut v2 = v.clone();
    v2["services"]["s00000"]["depends_on"] = json!(["s09999"]);
    let (a2, d2) = check(&decode(&v2));
    let c = with_code(&d2, "HLC202");
    assert_eq!(c.len(), 1);
    assert!(
        c[0].message
            .starts_with("dependency cycle: s00000 → s09999 → "),
        "{}",
        &c[0].message[..80]
    );
    assert!(a2.order.is_empty());
}
