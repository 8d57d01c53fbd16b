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
use std::path::PathBuf;

mod common;
use common::{lab_at, repo, shared};

/// Stand-in values for every secret of a lab (rendering needs them; they are not real).
fn fake_secrets(lab: &Lab) -> hlc_render::SecretValues {
    hlc_render::SecretValues(
        lab.secrets
            .keys()
            .map(|k| {
                (
                    k.clone(),
                    hlc_sops::SecretString::new(format!("value-of-{k}")),
                )
            })
            .collect(),
    )
}

fn context(lab: &Lab) -> RenderContext {
    let (analysis, _) = hlc_check::check(lab);
    RenderContext {
        waves: analysis.waves,
        order: analysis.order,
        secrets: fake_secrets(lab),
    }
}

/// The plaintext Kubernetes Secrets of a lab (what the build encrypts), path → document.
fn secret_docs(lab: &Lab) -> BTreeMap<String, hlc_render::SecretArtifact> {
    hlc_render::render_secret(lab, &context(lab))
        .expect("render")
        .into_iter()
        .filter(|a| a.path.starts_with("clusters/"))
        .map(|a| (a.path.clone(), a))
        .collect()
}

/// The `clusters/` artifacts of a lab, path → YAML documents (read back with a YAML reader).
fn render(lab: &Lab) -> BTreeMap<String, Vec<Value>> {
    let ctx = context(lab);
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
        ("Secret", schema(&format!("{k8s}/secret-v1.json"))),
        (
            "ExternalSecret",
            schema("crds/external-secrets.io/eso-v2.9.0/externalsecret_v1.json"),
        ),
    ]
    .into_iter()
    .collect();
    let mut n = 0;
    for (path, docs) in &out {
        // The kustomization and its KSOPS generator are read by kustomize, not applied.
        // Backups, monitoring and status checks (issue 12) use CRDs of their own: validated in
        // tests/resilience.rs.
        if path.ends_with("/kustomization.yaml")
            || path.ends_with("/ksops.yaml")
            || path.contains("/resilience/")
        {
            continue;
        }
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
        .filter(|n| {
            !lab.clusters.keys().any(|c| {
                ["root", "platform", "secrets", "resilience"]
                    .iter()
                    .any(|k| *n == format!("{c}-{k}"))
            })
        })
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

/// Copies the reference lab and applies textual edits (file under configs/, old, new; each
/// `old` must occur exactly once).
fn lab_with(edits: &[(&str, &str, &str)]) -> Lab {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hlc-apps-edit-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("configs")).unwrap();
    for e in std::fs::read_dir(repo().join("configs")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.join("configs").join(p.file_name().unwrap())).unwrap();
        }
    }
    for (file, old, new) in edits {
        let path = dir.join("configs").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.matches(old).count(),
            1,
            "edit target `{old}` not unique in {file}"
        );
        std::fs::write(&path, text.replace(old, new)).unwrap();
    }
    let lab = lab_at(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    lab
}

/// Copies the reference lab, applies one textual edit to configs/services.ncl, renders.
fn with_edit(old: &str, new: &str) -> (Lab, BTreeMap<String, Vec<Value>>) {
    let lab = lab_with(&[("services.ncl", old, new)]);
    let out = render(&lab);
    (lab, out)
}

/// Every plain artifact of a lab (all targets), path → text.
fn render_all(lab: &Lab) -> BTreeMap<String, String> {
    hlc_render::render(lab, &context(lab))
        .expect("render")
        .into_iter()
        .map(|a| {
            (
                a.path.as_str().to_string(),
                String::from_utf8(a.contents).expect("utf-8"),
            )
        })
        .collect()
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

/// Secret references in a document: (Secret name, key if the reference names one).
fn secret_refs(v: &Value, out: &mut Vec<(String, Option<String>)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("secretKeyRef", r) => out.push((
                        r["name"].as_str().unwrap_or_default().to_string(),
                        r["key"].as_str().map(str::to_string),
                    )),
                    ("secretRef", r) => {
                        out.push((r["name"].as_str().unwrap_or_default().to_string(), None))
                    }
                    ("existingSecret" | "extraSecretRef", Value::String(n)) if !n.is_empty() => {
                        out.push((n.clone(), None))
                    }
                    _ => secret_refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| secret_refs(x, out)),
        // Argo CD's `$<secret>:<key>` references inside its OIDC configuration.
        Value::String(t) => {
            for part in t.split_whitespace() {
                if let Some((name, key)) = part.strip_prefix('$').and_then(|r| r.split_once(':')) {
                    out.push((name.to_string(), Some(key.to_string())));
                }
            }
        }
        _ => {}
    }
}

#[test]
fn app_secrets_are_encrypted_secrets_referenced_by_name_only() {
    let (lab, out) = reference();
    let secrets = secret_docs(&lab);
    assert!(secrets.len() >= 8, "only {} Secrets", secrets.len());
    let schema = schema("kubernetes/v1.37.0-standalone-strict/secret-v1.json");
    // (cluster, namespace, name) → keys.
    let mut have: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for (path, a) in &secrets {
        let errors: Vec<String> = schema
            .iter_errors(&a.document)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
        assert_eq!(
            a.encrypted_regex.as_deref(),
            Some("^(data|stringData)$"),
            "{path}"
        );
        let cluster = path.split('/').nth(1).unwrap().to_string();
        assert_eq!(a.scope.as_deref(), Some(cluster.as_str()), "{path}");
        let meta = &a.document["metadata"];
        let ns = meta["namespace"].as_str().unwrap().to_string();
        let name = meta["name"].as_str().unwrap().to_string();
        assert_eq!(
            path,
            &format!("clusters/{cluster}/secrets/{ns}/{name}.yaml")
        );
        let data = a.document["stringData"].as_object().expect("stringData");
        // Every value is a secret's value or a fixed literal such as Grafana's admin user name
        // (or a configuration file holding secret values: Alertmanager's, issue 12).
        assert!(
            data.values()
                .any(|v| v.as_str().unwrap().contains("value-of-")),
            "{path}"
        );
        have.insert((cluster, ns, name), data.keys().cloned().collect());
    }
    // Each cluster's KSOPS generator lists exactly its encrypted Secrets.
    for (path, docs) in &out {
        if let Some(dir) = path.strip_suffix("/ksops.yaml") {
            let files: BTreeSet<String> = docs[0]["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| format!("{dir}/{}", f.as_str().unwrap()))
                .collect();
            let want: BTreeSet<String> = secrets
                .keys()
                .filter(|p| p.starts_with(&format!("{dir}/")))
                .cloned()
                .collect();
            assert_eq!(files, want, "{path}");
        }
    }
    // No value reaches a plain artifact; every reference names a rendered Secret and key in
    // the consumer's namespace.
    let mut checked = 0;
    for (path, docs) in &out {
        let text = serde_json::to_string(docs).unwrap();
        assert!(!text.contains("value-of-"), "{path} holds a secret value");
        for d in docs {
            let (cluster, ns, body) = match d["kind"].as_str() {
                Some("Application") => {
                    let Some(values) = d["spec"]["source"]["helm"].get("valuesObject") else {
                        continue;
                    };
                    (
                        path.split('/').nth(1).unwrap().to_string(),
                        d["spec"]["destination"]["namespace"]
                            .as_str()
                            .unwrap()
                            .to_string(),
                        values.clone(),
                    )
                }
                Some("Deployment") => (
                    path.split('/').nth(1).unwrap().to_string(),
                    d["metadata"]["namespace"].as_str().unwrap().to_string(),
                    d["spec"].clone(),
                ),
                _ => continue,
            };
            let mut refs = Vec::new();
            secret_refs(&body, &mut refs);
            for (name, key) in refs {
                let keys = have
                    .get(&(cluster.clone(), ns.clone(), name.clone()))
                    .unwrap_or_else(|| panic!("{path}: Secret {ns}/{name} is not rendered"));
                if let Some(k) = key {
                    assert!(
                        keys.contains(&k),
                        "{path}: Secret {ns}/{name} has no key {k}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} references checked");
}

#[test]
fn store_held_secrets_become_external_secrets() {
    let lab = lab_with(&[
        (
            "secrets.ncl",
            r#"authentik-outpost-token = { file = "authentik.yaml", key = "outpost_token" },"#,
            r#"authentik-outpost-token = { store = "oci-vault", remote_key = "homelab/omni", property = "token" },"#,
        ),
        (
            "main.ncl",
            r#"  secrets = import "secrets.ncl","#,
            "  secrets = import \"secrets.ncl\",\n  secret_stores = { oci-vault = {} },",
        ),
    ]);
    let (_, diags) = hlc_check::check(&lab);
    assert!(diags.0.iter().all(|d| d.code != "HLC201"), "{diags:?}");
    let out = render(&lab);
    let path = "clusters/cloud/secrets/omni/omni-secrets.external.yaml";
    let es = &out.get(path).unwrap_or_else(|| panic!("{path} missing"))[0];
    let v = schema("crds/external-secrets.io/eso-v2.9.0/externalsecret_v1.json");
    let errors: Vec<String> = v.iter_errors(es).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(es["spec"]["secretStoreRef"]["name"], "oci-vault");
    assert_eq!(es["spec"]["secretStoreRef"]["kind"], "ClusterSecretStore");
    assert_eq!(es["spec"]["target"]["name"], "omni-secrets");
    assert_eq!(es["spec"]["target"]["creationPolicy"], "Owner");
    assert_eq!(
        es["spec"]["data"][0],
        serde_json::json!({ "secretKey": "authentik-outpost-token",
            "remoteRef": { "key": "homelab/omni", "property": "token" } })
    );
    // Listed by the kustomization; no SOPS Secret for it any more, the others stay.
    let k = &out["clusters/cloud/secrets/kustomization.yaml"][0];
    assert!(k["resources"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("omni/omni-secrets.external.yaml")));
    let secrets = secret_docs(&lab);
    assert!(!secrets.contains_key("clusters/cloud/secrets/omni/omni-secrets.yaml"));
    assert!(secrets.contains_key("clusters/cloud/secrets/fider/fider-secrets.yaml"));
    // The workload still reads it by the same reference.
    let w = serde_json::to_string(&out["clusters/cloud/manifests/omni/workload.yaml"]).unwrap();
    assert!(w.contains("omni-secrets"));
}

#[test]
fn renaming_grafanas_namespace_or_port_moves_its_secret_values_and_tunnel_target() {
    let before = render_all(&lab_at(&repo()));
    let tunnel = "cloudflare/tunnels/prod/configuration.json";
    assert!(before[tunnel].contains("http://grafana.monitoring.svc.cluster.local:80"));
    // Namespace.
    let lab = lab_with(&[(
        "services.ncl",
        "namespace = \"monitoring\",\n    description = \"Grafana",
        "namespace = \"dashboards\",\n    description = \"Grafana",
    )]);
    let after = render_all(&lab);
    assert!(after[tunnel].contains("http://grafana.dashboards.svc.cluster.local:80"));
    assert!(!after[tunnel].contains("grafana.monitoring"));
    let secrets = secret_docs(&lab);
    assert!(secrets.contains_key("clusters/prod/secrets/dashboards/grafana-secrets.yaml"));
    assert!(!secrets.contains_key("clusters/prod/secrets/monitoring/grafana-secrets.yaml"));
    let app: Value = serde_norway::from_str(&after["clusters/prod/apps/grafana.yaml"]).unwrap();
    assert_eq!(app["spec"]["destination"]["namespace"], "dashboards");
    assert!(after["clusters/prod/platform/policies/dashboards.yaml"].contains("grafana"));
    assert!(after["clusters/prod/platform/namespaces.yaml"].contains("dashboards"));
    // Service port 80 → 8080: the chart's Service, the tunnel's origin, the Access-protected
    // hostname's target all follow; the pods' port (3000) and so the policies stay.
    let lab = lab_with(&[(
        "services.ncl",
        "port = 80,\n    target_port = 3000,",
        "port = 8080,\n    target_port = 3000,",
    )]);
    let after = render_all(&lab);
    assert!(after[tunnel].contains("http://grafana.monitoring.svc.cluster.local:8080"));
    let app: Value = serde_norway::from_str(&after["clusters/prod/apps/grafana.yaml"]).unwrap();
    let values = &app["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(values["service"]["port"], 8080);
    assert_eq!(values["service"]["targetPort"], 3000);
    assert_eq!(
        after["clusters/prod/platform/policies/monitoring.yaml"],
        before["clusters/prod/platform/policies/monitoring.yaml"]
    );
}
