//! The Talos rules (issue 5): HLC701–HLC705 on the shared fixture, both sides of each check.
#![allow(clippy::disallowed_methods)] // tests read their fixtures and the shared schemas

mod common;

use common::{run, with_code};
use serde_json::{json, Value};

fn support(v: &mut Value) {
    v["talos_support"] = json!([
        { "talos": "1.12", "kubernetes_min": "1.30.0", "kubernetes_max": "1.35.99" },
        { "talos": "1.13", "kubernetes_min": "1.31.0", "kubernetes_max": "1.36.99" },
    ]);
}

fn codes_at(d: &hlc_diag::Diagnostics, code: &str) -> Vec<String> {
    with_code(d, code)
        .iter()
        .map(|x| x.path.clone().unwrap_or_default())
        .collect()
}

#[test]
fn versions_supported_and_compatible() {
    let (_, d) = run(support);
    for c in ["HLC701", "HLC702"] {
        assert!(with_code(&d, c).is_empty(), "{c}: {:#?}", d.0);
    }
    let (_, d) = run(|v| {
        support(v);
        v["clusters"]["dev"]["talos_version"] = json!("1.11.5");
        v["clusters"]["prod"]["kubernetes_version"] = json!("1.36.0");
    });
    let unsupported = with_code(&d, "HLC701");
    assert_eq!(unsupported.len(), 1);
    assert!(unsupported[0].message.contains("supported: 1.12, 1.13"));
    assert_eq!(codes_at(&d, "HLC702"), ["clusters.prod.kubernetes_version"]);
    // The upper bound is inclusive, and 1.13 takes what 1.12 refuses.
    let (_, d) = run(|v| {
        support(v);
        v["clusters"]["prod"]["talos_version"] = json!("1.13.0");
        v["clusters"]["prod"]["kubernetes_version"] = json!("1.36.0");
        v["clusters"]["dev"]["kubernetes_version"] = json!("1.30.0");
    });
    assert!(with_code(&d, "HLC702").is_empty(), "{:#?}", d.0);
}

#[test]
fn even_control_planes_warn() {
    let (_, d) = run(support);
    assert!(with_code(&d, "HLC703").is_empty());
    let (_, d) = run(|v| {
        support(v);
        v["machines"]["talos-prod-worker-1"]["role"] = json!("controlplane");
    });
    let w = with_code(&d, "HLC703");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].severity, hlc_diag::Severity::Warning);
    assert_eq!(w[0].path.as_deref(), Some("clusters.prod"));
}

#[test]
fn endpoint_is_a_control_plane_or_the_vip() {
    let (_, d) = run(|v| {
        support(v);
        v["clusters"]["prod"]["endpoint"] = json!("192.168.68.101");
    });
    assert!(with_code(&d, "HLC704").is_empty(), "{:#?}", d.0);
    // A worker's address is not an endpoint.
    let (_, d) = run(|v| {
        support(v);
        v["clusters"]["prod"]["endpoint"] = json!("192.168.68.102");
    });
    assert_eq!(codes_at(&d, "HLC704"), ["clusters.prod.endpoint"]);
    // A declared VIP in the control planes' network is.
    let (_, d) = run(|v| {
        support(v);
        v["clusters"]["prod"]["endpoint"] = json!("192.168.68.110");
        v["clusters"]["prod"]["vip"] = json!("192.168.68.110");
    });
    assert!(with_code(&d, "HLC704").is_empty(), "{:#?}", d.0);
    // A VIP outside that network is not.
    let (_, d) = run(|v| {
        support(v);
        v["clusters"]["prod"]["endpoint"] = json!("10.9.9.9");
        v["clusters"]["prod"]["vip"] = json!("10.9.9.9");
    });
    assert_eq!(codes_at(&d, "HLC704"), ["clusters.prod.vip"]);
    // A DNS name is not checked.
    let (_, d) = run(|v| {
        support(v);
        v["clusters"]["prod"]["endpoint"] = json!("k8s.example.org");
    });
    assert!(with_code(&d, "HLC704").is_empty());
}

#[test]
fn installer_image_is_pinned_to_the_talos_version() {
    let set = |img: &'static str| {
        move |v: &mut Value| {
            support(v);
            v["clusters"]["prod"]["install"]["image"] = json!(img);
        }
    };
    for ok in [
        "ghcr.io/siderolabs/installer:v1.12.1",
        "registry.local:5000/talos/installer:v1.12.1",
        "ghcr.io/siderolabs/installer@sha256:0123456789abcdef",
    ] {
        let (_, d) = run(set(ok));
        assert!(with_code(&d, "HLC705").is_empty(), "{ok}: {:#?}", d.0);
    }
    for bad in [
        "ghcr.io/siderolabs/installer",
        "ghcr.io/siderolabs/installer:latest",
        "registry.local:5000/talos/installer",
        "ghcr.io/siderolabs/installer:v1.11.0",
    ] {
        let (_, d) = run(set(bad));
        assert_eq!(
            codes_at(&d, "HLC705"),
            ["clusters.prod.install.image"],
            "{bad}"
        );
    }
}
