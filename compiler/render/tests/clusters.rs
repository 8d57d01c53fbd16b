//! Issue 6 acceptance on the reference lab (`configs/`): every `clusters/` manifest validates
//! against the upstream schemas in `../shared/schemas` (override with `HLC_SHARED_DIR`), Helm
//! values against the chart's `values.schema.json` and `values.yaml` keys; one Application per
//! release; sync waves recomputed from the dependency graph; policy allows equal the declared
//! edges; renaming a namespace or a port in one place moves every artifact.
#![allow(clippy::disallowed_methods)] // tests read the shared schemas and the reference lab

use hlc_model::{Exposure, Lab};
use hlc_render::RenderContext;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared() -> PathBuf {
    std::env::var_os("HLC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}

fn lab_at(root: &Path) -> Lab {
    let loaded = hlc_eval::load(root).expect("load");
    let ev = hlc_eval::evaluate(loaded, &hlc_eval::EvalOptions::default());
    let value = ev.root.unwrap_or_else(|| panic!("eval: {:?}", ev.diags));
    let (lab, diags) = hlc_model::decode(&value);
    lab.unwrap_or_else(|| panic!("decode: {diags:?}"))
}

/// The `clusters/` artifacts of a lab, path → YAML documents (read back with a YAML reader).
fn render(lab: &Lab) -> BTreeMap<String, Vec<Value>> {
    let (analysis, _) = hlc_check::check(lab);
    let ctx = RenderContext {
        waves: analysis.waves,
        order: analysis.order,
        ..Default::default()
    };
    let mut out = BTreeMap::new();
    for a in hlc_render::render(lab, &ctx).expect("render") {
        if !a.path.as_str().starts_with("clusters/") {
            continue;
        }
        let text = String::from_utf8(a.contents.clone()).expect("utf-8");
        let docs: Vec<Value> = serde_norway::Deserializer::from_str(&text)
            .map(|d| serde::Deserialize::deserialize(d).expect("YAML reads back"))
            .collect();
        out.insert(a.path.as_str().to_string(), docs);
    }
    out
}

fn reference() -> (Lab, BTreeMap<String, Vec<Value>>) {
    let lab = lab_at(&repo());
    let out = render(&lab);
    (lab, out)
}

fn schema(rel: &str) -> jsonschema::Validator {
    let path = shared().join("schemas").join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set HLC_SHARED_DIR)", path.display()));
    let json: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(false)
        .build(&json)
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn docs_of_kind<'a>(out: &'a BTreeMap<String, Vec<Value>>, kind: &str) -> Vec<&'a Value> {
    out.values()
        .flatten()
        .filter(|d| d["kind"] == kind)
        .collect()
}

#[test]
fn every_manifest_is_schema_valid() {
    let (_, out) = reference();
    assert!(!out.is_empty(), "no clusters/ artifacts");
    let k8s = "kubernetes/v1.37.0-standalone-strict";
    let schemas: BTreeMap<&str, jsonschema::Validator> = [
        ("Namespace", schema(&format!("{k8s}/namespace-v1.json"))),
        (
            "Deployment",
            schema(&format!("{k8s}/deployment-apps-v1.json")),
        ),
        ("Service", schema(&format!("{k8s}/service-v1.json"))),
        (
            "Application",
            schema("crds/argoproj.io/application_v1alpha1.json"),
        ),
        (
            "AppProject",
            schema("crds/argoproj.io/appproject_v1alpha1.json"),
        ),
        (
            "CiliumNetworkPolicy",
            schema("crds/cilium.io/ciliumnetworkpolicy_v2.json"),
        ),
    ]
    .into_iter()
    .collect();
    let mut n = 0;
    for (path, docs) in &out {
        for d in docs {
            let kind = d["kind"].as_str().expect("kind");
            let v = schemas
                .get(kind)
                .unwrap_or_else(|| panic!("{path}: no schema for {kind}"));
            let errors: Vec<String> = v.iter_errors(d).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{path} ({kind}): {errors:#?}");
            n += 1;
        }
    }
    assert!(n > 20, "only {n} documents");
}

/// Chart name → its folder under schemas/helm.
fn chart_dirs() -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(shared().join("schemas/helm")).expect("schemas/helm") {
        let dir = e.expect("entry").path();
        let Ok(text) = std::fs::read_to_string(dir.join("Chart.yaml")) else {
            continue;
        };
        let chart: Value = serde_norway::from_str(&text).expect("Chart.yaml");
        if let Some(name) = chart["name"].as_str() {
            out.insert(name.to_string(), dir);
        }
    }
    out
}

#[test]
fn helm_values_match_the_charts() {
    let (_, out) = reference();
    let dirs = chart_dirs();
    let mut checked = 0;
    for app in docs_of_kind(&out, "Application") {
        let src = &app["spec"]["source"];
        let (Some(chart), Some(values)) = (src["chart"].as_str(), src["helm"].get("valuesObject"))
        else {
            continue;
        };
        let Some(dir) = dirs.get(chart) else {
            continue;
        };
        let defaults: Value = serde_norway::from_str(
            &std::fs::read_to_string(dir.join("values.yaml")).expect("values.yaml"),
        )
        .expect("values.yaml is YAML");
        for key in values.as_object().expect("values are a record").keys() {
            assert!(
                defaults.get(key).is_some(),
                "{chart}: top-level key `{key}` is not in the chart's values.yaml"
            );
        }
        let schema_path = dir.join("values.schema.json");
        if schema_path.is_file() {
            let json: Value =
                serde_json::from_str(&std::fs::read_to_string(&schema_path).expect("schema"))
                    .expect("schema JSON");
            let v = jsonschema::options()
                .should_validate_formats(false)
                .build(&json)
                .expect("values schema");
            // Helm validates the defaults merged with the release's values.
            let mut merged = defaults.clone();
            hlc_render::clusters::wiring::merge(&mut merged, values);
            let errors: Vec<String> = v.iter_errors(&merged).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{chart}: {errors:#?}");
        }
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} charts checked");
}

#[test]
fn one_application_per_release_with_waves_from_the_graph() {
    let (lab, out) = reference();
    let apps: BTreeMap<String, &Value> = docs_of_kind(&out, "Application")
        .into_iter()
        .map(|a| (a["metadata"]["name"].as_str().expect("name").to_string(), a))
        .collect();
    // Expected: every service in a cluster that is its own release and has a chart or image.
    let expected: BTreeSet<&str> = lab
        .services
        .iter()
        .filter(|(n, s)| {
            matches!(s.placement, hlc_model::Placement::Cluster(_))
                && s.release.as_str() == n.as_str()
                && (s.chart.is_some() || s.image.is_some())
        })
        .map(|(n, _)| n.as_str())
        .collect();
    let got: BTreeSet<&str> = apps
        .keys()
        .map(String::as_str)
        .filter(|n| !n.ends_with("-root") && !n.ends_with("-platform"))
        .collect();
    assert_eq!(got, expected);
    // Waves recomputed here from depends_on: 0 without dependencies, else 1 + max.
    fn wave(lab: &Lab, s: &str, memo: &mut BTreeMap<String, u32>) -> u32 {
        if let Some(w) = memo.get(s) {
            return *w;
        }
        let deps: Vec<String> = lab.services[s]
            .depends_on
            .iter()
            .map(|d| d.value.clone())
            .collect();
        let w = deps
            .iter()
            .map(|d| wave(lab, d, memo) + 1)
            .max()
            .unwrap_or(0);
        memo.insert(s.to_string(), w);
        w
    }
    let mut memo = BTreeMap::new();
    for name in &expected {
        let a = apps[*name];
        let w: u32 = a["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
            .as_str()
            .expect("wave annotation")
            .parse()
            .expect("wave number");
        assert_eq!(w, wave(&lab, name, &mut memo), "wave of {name}");
        for d in &lab.services[*name].depends_on {
            if let Some(da) = apps.get(d.as_str()) {
                let dw: u32 = da["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(
                    dw < w,
                    "{name} (wave {w}) syncs before its dependency {d:?}"
                );
            }
        }
    }
}

type Allow = (String, String, String, String, String); // (to_ns, to, from_ns, from, port)

/// Ingress allows read back from the policies.
fn policy_allows(out: &BTreeMap<String, Vec<Value>>) -> BTreeSet<Allow> {
    let mut got = BTreeSet::new();
    for p in docs_of_kind(out, "CiliumNetworkPolicy") {
        let ns = p["metadata"]["namespace"].as_str().unwrap().to_string();
        for spec in p["specs"].as_array().unwrap() {
            let Some(to) =
                spec["endpointSelector"]["matchLabels"]["app.kubernetes.io/instance"].as_str()
            else {
                continue;
            };
            for rule in spec["ingress"].as_array().into_iter().flatten() {
                for from in rule["fromEndpoints"].as_array().into_iter().flatten() {
                    let m = &from["matchLabels"];
                    for tp in rule["toPorts"].as_array().into_iter().flatten() {
                        for port in tp["ports"].as_array().into_iter().flatten() {
                            got.insert((
                                ns.clone(),
                                to.to_string(),
                                m["k8s:io.kubernetes.pod.namespace"]
                                    .as_str()
                                    .unwrap()
                                    .into(),
                                m["app.kubernetes.io/instance"].as_str().unwrap().into(),
                                port["port"].as_str().unwrap().into(),
                            ));
                        }
                    }
                }
            }
        }
    }
    got
}

#[test]
fn policy_allows_equal_the_declared_edges() {
    let (lab, out) = reference();
    let got = policy_allows(&out);
    // Declared: depends_on inside a cluster, connectors to exposed services, scraper to metrics.
    let cluster = |s: &hlc_model::Service| match &s.placement {
        hlc_model::Placement::Cluster(c) => Some(c.value.clone()),
        _ => None,
    };
    let role = |s: &hlc_model::Service| {
        s.app
            .as_ref()
            .and_then(|a| a.role.as_ref().map(|r| r.value))
    };
    use hlc_model::app::AppRole;
    let mut want: BTreeSet<Allow> = BTreeSet::new();
    let mut add = |from: &hlc_model::Service, to: &hlc_model::Service, port: i64| {
        if to.namespace.as_str() == "kube-system" {
            return; // Kubernetes' own namespace gets no hlc policy
        }
        want.insert((
            to.namespace.value.clone(),
            to.release.value.clone(),
            from.namespace.value.clone(),
            from.release.value.clone(),
            port.to_string(),
        ));
    };
    for s in lab.services.values() {
        let Some(c) = cluster(s) else { continue };
        for d in &s.depends_on {
            let dep = &lab.services[d.as_str()];
            if cluster(dep).as_deref() == Some(c.as_str()) {
                add(s, dep, *dep.target_port);
            }
        }
        for other in lab.services.values() {
            if cluster(other).as_deref() != Some(c.as_str()) {
                continue;
            }
            match (role(other), *s.exposure) {
                (Some(AppRole::TunnelConnector), Exposure::Public | Exposure::Access)
                | (Some(AppRole::VpnConnector), Exposure::Private) => add(other, s, *s.target_port),
                _ => {}
            }
            if let (Some(AppRole::MetricsScraper), Some(m)) = (role(other), &s.metrics) {
                add(other, s, *m.port);
            }
        }
    }
    assert!(!want.is_empty());
    assert_eq!(got, want);
    // Undeclared: grafana → authentik-postgresql is not reachable.
    assert!(!got
        .iter()
        .any(|(_, to, _, from, _)| to == "authentik-postgresql" && from == "grafana"));
}

fn all_text(out: &BTreeMap<String, Vec<Value>>) -> String {
    serde_json::to_string(out).unwrap()
}

/// Copies the reference lab, applies one textual edit to configs/services.ncl, renders.
fn with_edit(old: &str, new: &str) -> (Lab, BTreeMap<String, Vec<Value>>) {
    let dir = std::env::temp_dir().join(format!(
        "hlc-apps-rename-{}-{}",
        std::process::id(),
        new.len()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("configs")).unwrap();
    for e in std::fs::read_dir(repo().join("configs")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.join("configs").join(p.file_name().unwrap())).unwrap();
        }
    }
    let path = dir.join("configs/services.ncl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches(old).count(),
        1,
        "edit target `{old}` not unique"
    );
    std::fs::write(&path, text.replace(old, new)).unwrap();
    let lab = lab_at(&dir);
    let out = render(&lab);
    let _ = std::fs::remove_dir_all(&dir);
    (lab, out)
}

#[test]
fn renaming_a_namespace_or_port_in_one_place_moves_everything() {
    let (_, before) = reference();
    assert!(all_text(&before).contains("loki.monitoring.svc.cluster.local:3100"));
    // Namespace: loki moves to `logs`.
    let (_, after) = with_edit(
        "loki = {\n    cluster = \"prod\",\n    namespace = \"monitoring\",",
        "loki = {\n    cluster = \"prod\",\n    namespace = \"logs\",",
    );
    let text = all_text(&after);
    assert!(
        !text.contains("loki.monitoring"),
        "a loki.monitoring reference survived"
    );
    assert!(
        text.contains("loki.logs.svc.cluster.local:3100"),
        "datasource not moved"
    );
    let loki = docs_of_kind(&after, "Application")
        .into_iter()
        .find(|a| a["metadata"]["name"] == "loki")
        .unwrap();
    assert_eq!(loki["spec"]["destination"]["namespace"], "logs");
    let allows = policy_allows(&after);
    let edge = |port: &str| {
        (
            "logs".to_string(),
            "loki".to_string(),
            "monitoring".to_string(),
            "grafana".to_string(),
            port.to_string(),
        )
    };
    assert!(
        allows.contains(&edge("3100")),
        "grafana → logs/loki not allowed"
    );
    assert!(after.contains_key("clusters/prod/platform/policies/logs.yaml"));
    // Port: loki's Service port 3100 → 3111 (its pod port follows: target_port defaults to it).
    let (_, after) = with_edit(
        "app = hlc.modules.loki { persistence = \"5Gi\" },\n    port = 3100,",
        "app = hlc.modules.loki { persistence = \"5Gi\" },\n    port = 3111,",
    );
    let text = all_text(&after);
    assert!(text.contains("loki.monitoring.svc.cluster.local:3111"));
    assert!(!text.contains("loki.monitoring.svc.cluster.local:3100"));
    let allows = policy_allows(&after);
    let mut e = edge("3111");
    e.0 = "monitoring".into();
    assert!(allows.contains(&e), "grafana → loki:3111 not allowed");
}
