//! Properties every rendering must have, checked on every golden case: determinism, valid JSON
//! with the documented shape, every FQDN on the architecture page, sanitised mermaid ids, no
//! e-mail address in any artifact, artifacts sorted by path.
#![allow(clippy::disallowed_methods)] // tests read and write their golden files

mod common;

use hlc_render::{docs, inventory, mermaid, render, RenderContext};

fn text(a: &hlc_out::Artifact) -> &str {
    std::str::from_utf8(&a.contents).expect("artifacts are UTF-8")
}

fn artifact<'a>(arts: &'a [hlc_out::Artifact], path: &str) -> &'a hlc_out::Artifact {
    arts.iter()
        .find(|a| a.path.as_str() == path)
        .unwrap_or_else(|| panic!("no artifact {path}"))
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    for case in common::cases() {
        let a = render(&case.lab, &case.ctx).expect("render");
        let b = render(&case.lab, &case.ctx).expect("render");
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.path, y.path);
            assert_eq!(x.contents, y.contents, "{}: {}", case.name, x.path.as_str());
            assert_eq!(x.sources, y.sources);
            assert_eq!(x.target, y.target);
        }
        // Decoding the same input again (fresh maps) changes nothing either.
        let text = std::fs::read_to_string(case.dir.join("input.json")).expect("input");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let c = render(&common::lab_from_json(&json["lab"]), &case.ctx).expect("render");
        assert!(a.iter().zip(&c).all(|(x, y)| x.contents == y.contents));
    }
}

#[test]
fn artifacts_are_sorted_with_targets_and_sources() {
    for case in common::cases() {
        let arts = render(&case.lab, &case.ctx).expect("render");
        let paths: Vec<&str> = arts.iter().map(|a| a.path.as_str()).collect();
        let mut sorted_paths = paths.clone();
        sorted_paths.sort();
        sorted_paths.dedup();
        assert_eq!(
            paths, sorted_paths,
            "artifacts sorted by path, no duplicates"
        );
        assert!(paths.contains(&inventory::PATH) && paths.contains(&docs::PATH));
        assert_eq!(artifact(&arts, inventory::PATH).target, inventory::TARGET);
        assert_eq!(artifact(&arts, docs::PATH).target, docs::TARGET);
        for p in [inventory::PATH, docs::PATH] {
            assert!(artifact(&arts, p).sources.contains(&"domain".to_string()));
        }
        for a in &arts {
            assert!(
                !a.sources.is_empty(),
                "{} lists no config source",
                a.path.as_str()
            );
            let mut sorted = a.sources.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted, a.sources);
            assert!(text(a).ends_with('\n') && !text(a).ends_with("\n\n"));
        }
    }
}

#[test]
fn inventory_parses_back_with_derived_values() {
    for case in common::cases() {
        let arts = render(&case.lab, &case.ctx).expect("render");
        let inv: serde_json::Value =
            serde_json::from_str(text(artifact(&arts, inventory::PATH))).expect("valid JSON");
        assert_eq!(inv["format"], 1);
        assert_eq!(inv["domain"], case.lab.domain.to_string());
        let services = inv["services"].as_object().expect("services");
        assert_eq!(services.len(), case.lab.services.len());
        for (name, s) in &case.lab.services {
            let j = &services[name];
            match &s.hostname {
                Some(h) => {
                    let fqdn = format!("{}.{}", h.value, case.lab.domain.value);
                    assert_eq!(j["fqdn"], fqdn.as_str());
                    assert_eq!(j["url"], format!("https://{fqdn}"));
                }
                None => assert!(j["fqdn"].is_null()),
            }
            match case.ctx.waves.get(name) {
                Some(w) => assert_eq!(j["wave"], *w),
                None => assert!(j["wave"].is_null()),
            }
            // Every dependency lists this service among its dependents.
            for d in &s.depends_on {
                if let Some(dep) = services.get(d.as_str()) {
                    let ds = dep["dependents"].as_array().expect("dependents");
                    assert!(ds.iter().any(|x| x == name.as_str()));
                }
            }
        }
        for key in [
            "sites", "hosts", "networks", "machines", "clusters", "secrets",
        ] {
            assert!(inv[key].is_object(), "{key}");
        }
        assert_eq!(
            inv["service_order"].as_array().map(|a| a.len()),
            Some(case.ctx.order.len())
        );
    }
}

#[test]
fn cluster_urls_follow_the_kubernetes_scheme() {
    let case = common::cases()
        .into_iter()
        .find(|c| c.name == "homelab")
        .expect("homelab case");
    let arts = render(&case.lab, &case.ctx).expect("render");
    let inv: serde_json::Value =
        serde_json::from_str(text(artifact(&arts, inventory::PATH))).expect("JSON");
    assert_eq!(
        inv["services"]["prometheus"]["cluster_url"],
        "http://prometheus-kube-prometheus-prometheus.monitoring.svc.cluster.local:9090"
    );
    assert!(inv["services"]["proxmox"]["cluster_url"].is_null());
    assert_eq!(inv["clusters"]["dev"]["workers"][0], "talos-dev-worker");
    assert_eq!(inv["machines"]["talos-dev"]["site"], "home");
    assert_eq!(inv["limits"]["oci_always_free"]["from"], "2026-06-15");
    assert_eq!(inv["secrets"]["grafana-admin"]["used_by"][0], "grafana");
}

#[test]
fn every_fqdn_appears_on_the_architecture_page() {
    for case in common::cases() {
        let arts = render(&case.lab, &case.ctx).expect("render");
        let page = text(artifact(&arts, docs::PATH));
        assert!(page.starts_with(docs::HEADER));
        for s in case.lab.services.values() {
            if let Some(f) = case.lab.fqdn(s) {
                assert!(page.contains(&format!("[{f}](https://{f})")), "{f} linked");
                assert!(
                    page.contains(&format!("<br/>{f}<br/>")),
                    "{f} in the diagram"
                );
            }
        }
        for name in case.lab.machines.keys() {
            assert!(page.contains(&mermaid::id("mach", name)), "{name}");
        }
    }
}

/// Every node id of every mermaid block: the token before `[`, `(`, `{` of a node or subgraph
/// declaration and both ends of every edge.
fn mermaid_ids(page: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut inside = false;
    for line in page.lines() {
        if line.starts_with("```mermaid") {
            inside = true;
            continue;
        }
        if line.starts_with("```") {
            inside = false;
            continue;
        }
        let l = line.trim();
        if !inside || l == "end" || l.starts_with("flowchart") {
            continue;
        }
        let l = l.strip_prefix("subgraph ").unwrap_or(l);
        if let Some((a, rest)) = l.split_once(" --> ") {
            ids.push(a.to_string());
            let b = rest.rsplit(' ').next().unwrap_or(rest);
            ids.push(b.to_string());
        } else if let Some((a, _)) = l.split_once(" -->|") {
            ids.push(a.to_string());
            ids.push(l.rsplit(' ').next().unwrap_or(l).to_string());
        } else {
            let end = l.find(['[', '(', '{']).unwrap_or(l.len());
            ids.push(l[..end].to_string());
        }
    }
    ids
}

#[test]
fn mermaid_ids_are_sanitised() {
    assert_eq!(mermaid::id("svc", "a-b.c"), "svc_a_2db_2ec");
    assert!(mermaid::id("svc", "a-b.c")
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    for case in common::cases() {
        let arts = render(&case.lab, &case.ctx).expect("render");
        let ids = mermaid_ids(text(artifact(&arts, docs::PATH)));
        assert!(ids.len() > 3, "{}: {ids:?}", case.name);
        for id in ids {
            assert!(
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                "{}: bad mermaid id {id:?}",
                case.name
            );
        }
    }
}

#[test]
fn mermaid_labels_cannot_break_out() {
    let case = common::cases()
        .into_iter()
        .find(|c| c.name == "odd-names")
        .expect("odd-names case");
    let arts = render(&case.lab, &case.ctx).expect("render");
    let page = text(artifact(&arts, docs::PATH));
    let mut inside = false;
    for line in page.lines() {
        if line.starts_with("```") {
            inside = line.starts_with("```mermaid");
            continue;
        }
        if inside {
            // Exactly two quotes per labelled line: the label's own.
            let quotes = line.matches('"').count();
            assert!(quotes == 0 || quotes == 2, "{line}");
            assert!(!line.contains('|') || line.contains("-->|"), "{line}");
        }
    }
}

/// `local@domain.tld`-shaped words.
fn emails(text: &str) -> Vec<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let mut out = Vec::new();
    for (i, _) in text.match_indices('@') {
        let local: String = text[..i].chars().rev().take_while(|c| word(*c)).collect();
        let domain: String = text[i + 1..].chars().take_while(|c| word(*c)).collect();
        if !local.is_empty() && domain.contains('.') {
            out.push(format!(
                "{}@{domain}",
                local.chars().rev().collect::<String>()
            ));
        }
    }
    out
}

#[test]
fn no_email_address_in_any_artifact() {
    assert_eq!(emails("x paul@example.org y"), ["paul@example.org"]);
    for case in common::cases() {
        assert!(
            !case.lab.identity.users.is_empty(),
            "{}: needs users",
            case.name
        );
        let arts = render(&case.lab, &case.ctx).expect("render");
        for a in &arts {
            let t = text(a);
            assert_eq!(emails(t), Vec::<String>::new(), "{}", a.path.as_str());
            for u in case.lab.identity.users.values() {
                assert!(!t.contains(u.email.as_str()));
            }
        }
        // Users are still listed, by name.
        let inv: serde_json::Value =
            serde_json::from_str(text(artifact(&arts, inventory::PATH))).expect("JSON");
        for name in case.lab.identity.users.keys() {
            assert!(inv["identity"]["users"][name]["groups"].is_array());
        }
    }
}

#[test]
fn an_empty_lab_renders() {
    let json = serde_json::json!({
        "name": "empty", "domain": "example.org",
        "limits": { "oci_always_free": [] }, "identity": {}
    });
    let lab = common::lab_from_json(&json);
    let arts = render(&lab, &RenderContext::default()).expect("render");
    assert_eq!(arts.len(), 2);
    let inv: serde_json::Value =
        serde_json::from_str(text(artifact(&arts, inventory::PATH))).expect("JSON");
    assert!(inv["limits"]["oci_always_free"].is_null());
    assert_eq!(artifact(&arts, docs::PATH).sources, ["domain", "name"]);
}

#[test]
fn the_limits_table_in_force_is_chosen_by_the_labs_date() {
    let tables = serde_json::json!([
        { "from": "2019-09-16", "a1_ocpus": 4, "a1_memory": "24GiB", "block_storage": "200GiB", "source": "old" },
        { "from": "2026-06-15", "a1_ocpus": 2, "a1_memory": "12GiB", "block_storage": "200GiB", "source": "new" }
    ]);
    for (at, expect) in [
        (Some("2026-06-14"), Some("2019-09-16")),
        (Some("2026-06-15"), Some("2026-06-15")),
        (None, Some("2026-06-15")),
        (Some("2019-01-01"), None),
    ] {
        let mut json = serde_json::json!({
            "name": "l", "domain": "example.org",
            "limits": { "oci_always_free": tables.clone() }, "identity": {}
        });
        if let Some(at) = at {
            json["limits_at"] = at.into();
        }
        let lab = common::lab_from_json(&json);
        let got = hlc_render::derive::oci_limits_in_force(&lab).map(|t| t.from.to_string());
        assert_eq!(got.as_deref(), expect, "limits_at {at:?}");
    }
}
