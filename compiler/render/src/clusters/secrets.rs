//! App secrets: the Kubernetes Secrets a cluster's services read, derived from the model.
//!
//! Every service in a cluster that consumes secrets ([`derive::secrets_of`]: its `secrets` and
//! those its app module maps) gets one Kubernetes Secret in its namespace:
//!
//! * named as the app module says (`app.secret.name`: the `existingSecret` / `envFrom` its chart
//!   values already name), with the module's data keys; the service's other secrets are added
//!   under their own names;
//! * without a module Secret, named `<service>-secrets`, one key per secret (its name), which an
//!   image workload reads as environment variables ([`env_name`]).
//!
//! Per lab secret, where its value lives decides what is rendered (both may hold parts of one
//! Secret):
//!
//! * a SOPS file under `configs/secrets/` → the Secret itself, values in `stringData`, as a
//!   [`SecretArtifact`] that the build encrypts for the cluster's scope with
//!   `encrypted_regex: ^(data|stringData)$` — metadata stays readable and the file is what
//!   KSOPS / Flux / helm-secrets decrypt at sync time:
//!   `clusters/<c>/secrets/<namespace>/<name>.yaml`;
//! * a store (`secrets.<s>.store`) → an `ExternalSecret` (external-secrets.io/v1) whose target is
//!   that Secret (`creationPolicy: Merge` when the SOPS part creates it, else `Owner`):
//!   `clusters/<c>/secrets/<namespace>/<name>.external.yaml`.
//!
//! `clusters/<c>/secrets/kustomization.yaml` lists the ExternalSecrets as resources and the
//! encrypted Secrets through a KSOPS generator (`ksops.yaml`); the Application `<c>-secrets`
//! syncs it (wave -1, after the namespaces and before every release).

use super::{yaml_artifact, Gitops, TARGET};
use crate::{derive, RenderContext, RenderError, SecretArtifact};
use hlc_model::{Lab, Service, StoreKind};
use hlc_out::Artifact;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Keys whose values the build encrypts in a Secret (SOPS `encrypted_regex`).
pub const ENCRYPTED_REGEX: &str = "^(data|stringData)$";

/// One entry of a Kubernetes Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The value of a lab secret.
    Secret(String),
    /// A fixed, non-secret value the chart expects next to the secrets.
    Literal(String),
}

/// A Kubernetes Secret of a cluster, as the model lays it out.
#[derive(Clone, Debug, Default)]
pub struct K8sSecret {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// Data key → entry.
    pub data: BTreeMap<String, Entry>,
    /// The services that read it.
    pub services: BTreeSet<String>,
}

/// `fider-jwt-secret` → `FIDER_JWT_SECRET`: the environment variable an image workload reads a
/// secret from.
pub fn env_name(secret: &str) -> String {
    crate::cloudflare::env_name(secret)
}

/// The name of the Secret a service's secrets are in (whether or not it has any).
pub fn secret_name(name: &str, s: &Service) -> String {
    match s.app.as_ref().and_then(|a| a.secret.as_ref()) {
        Some(sec) => sec.name.value.clone(),
        None => format!("{name}-secrets"),
    }
}

/// The layout of one service's Secret; `None` when it consumes no secret.
pub fn of_service(name: &str, s: &Service) -> Option<K8sSecret> {
    let mut k = K8sSecret {
        namespace: s.namespace.value.clone(),
        name: secret_name(name, s),
        ..Default::default()
    };
    let mut mapped: BTreeSet<&str> = BTreeSet::new();
    if let Some(sec) = s.app.as_ref().and_then(|a| a.secret.as_ref()) {
        for (key, lab_secret) in &sec.data {
            k.data
                .insert(key.clone(), Entry::Secret(lab_secret.value.clone()));
            mapped.insert(lab_secret.as_str());
        }
        if !sec.data.is_empty() {
            for (key, v) in &sec.literals {
                k.data.insert(key.clone(), Entry::Literal(v.value.clone()));
            }
        }
        k.labels = sec
            .labels
            .iter()
            .map(|(a, b)| (a.clone(), b.value.clone()))
            .collect();
    }
    for sec in &s.secrets {
        if !mapped.contains(sec.as_str()) {
            k.data
                .insert(sec.value.clone(), Entry::Secret(sec.value.clone()));
        }
    }
    if !k.data.values().any(|e| matches!(e, Entry::Secret(_))) {
        return None;
    }
    k.services.insert(name.to_string());
    Some(k)
}

/// The Secrets of a cluster, by (namespace, name). Services that name the same Secret in one
/// namespace share it (their entries are merged; the first service by name wins a key).
pub fn of_cluster(lab: &Lab, cluster: &str) -> BTreeMap<(String, String), K8sSecret> {
    let mut out: BTreeMap<(String, String), K8sSecret> = BTreeMap::new();
    for (name, s) in &lab.services {
        if derive::cluster_of(s) != Some(cluster) {
            continue;
        }
        let Some(k) = of_service(name, s) else {
            continue;
        };
        match out.entry((k.namespace.clone(), k.name.clone())) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(k);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                let have = o.get_mut();
                for (key, e) in k.data {
                    have.data.entry(key).or_insert(e);
                }
                have.labels.extend(k.labels);
                have.services.extend(k.services);
            }
        }
    }
    out
}

fn is_stored(lab: &Lab, e: &Entry) -> bool {
    match e {
        Entry::Secret(n) => lab.secrets.get(n).is_some_and(|s| s.store.is_some()),
        Entry::Literal(_) => false,
    }
}

fn sources(k: &K8sSecret) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = k.services.iter().map(|s| format!("services.{s}")).collect();
    for e in k.data.values() {
        if let Entry::Secret(n) = e {
            out.insert(format!("secrets.{n}"));
        }
    }
    out
}

fn metadata(k: &K8sSecret) -> Value {
    let mut labels = Map::new();
    labels.insert("app.kubernetes.io/managed-by".into(), json!("hlc"));
    for (a, b) in &k.labels {
        labels.insert(a.clone(), json!(b));
    }
    json!({ "name": k.name, "namespace": k.namespace, "labels": labels })
}

/// Which lab secrets the cluster Secrets need from `configs/secrets/` and the build could not
/// decrypt, with a service that reads each (sorted, without duplicates).
pub fn missing_values(lab: &Lab, ctx: &RenderContext) -> Vec<(String, String)> {
    let mut out = BTreeMap::new();
    if super::gitops(lab).is_none() {
        return Vec::new();
    }
    for cluster in lab.clusters.keys() {
        for k in of_cluster(lab, cluster).values() {
            for e in k.data.values() {
                if let Entry::Secret(n) = e {
                    let sops = lab.secrets.get(n).is_some_and(|s| s.store.is_none());
                    if sops && ctx.secrets.get(n).is_none() {
                        out.entry(n.clone()).or_insert_with(|| {
                            k.services.iter().next().cloned().unwrap_or_default()
                        });
                    }
                }
            }
        }
    }
    // Issue 12: the receivers' URLs of the Alertmanager configuration.
    for (n, svc) in super::monitoring::missing_values(lab, ctx) {
        out.entry(n).or_insert(svc);
    }
    out.into_iter().collect()
}

/// The encrypted Secrets of every cluster (empty without a GitOps controller). A Secret whose
/// value the build could not decrypt is left out; the build reports it ([`missing_values`]).
pub fn render_secret(lab: &Lab, ctx: &RenderContext) -> Vec<SecretArtifact> {
    let mut out = Vec::new();
    if super::gitops(lab).is_none() {
        return out;
    }
    for cluster in super::by_cluster(lab).keys() {
        for k in of_cluster(lab, cluster).values() {
            let mut string_data = Map::new();
            let mut complete = true;
            let mut any = false;
            for (key, e) in &k.data {
                if is_stored(lab, e) {
                    continue;
                }
                match e {
                    Entry::Secret(n) => match ctx.secrets.get(n) {
                        Some(v) => {
                            any = true;
                            string_data.insert(key.clone(), json!(v.expose()));
                        }
                        None => complete = false,
                    },
                    Entry::Literal(v) => {
                        string_data.insert(key.clone(), json!(v));
                    }
                }
            }
            if !any || !complete {
                continue;
            }
            out.push(SecretArtifact {
                path: format!("clusters/{cluster}/secrets/{}/{}.yaml", k.namespace, k.name),
                target: TARGET,
                sources: sources(k).into_iter().collect(),
                format: hlc_sops::Format::Yaml,
                document: json!({
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": metadata(k),
                    "type": "Opaque",
                    "stringData": string_data,
                }),
                encrypted_regex: Some(ENCRYPTED_REGEX.to_string()),
                scope: Some(cluster.to_string()),
            });
        }
    }
    out
}

fn store_ref(lab: &Lab, store: &str) -> Value {
    let kind = lab
        .secret_stores
        .get(store)
        .map(|s| *s.kind)
        .unwrap_or(StoreKind::Cluster);
    json!({ "name": store, "kind": kind.k8s() })
}

/// The ExternalSecret that fills the store-held entries of `k`, if it has any.
pub fn external_secret(lab: &Lab, k: &K8sSecret) -> Option<Value> {
    let mut data = Vec::new();
    let mut stores: BTreeSet<&str> = BTreeSet::new();
    let mut sops_part = false;
    for (key, e) in &k.data {
        let Entry::Secret(n) = e else {
            sops_part = true;
            continue;
        };
        let Some(sec) = lab.secrets.get(n) else {
            continue;
        };
        let Some(store) = &sec.store else {
            sops_part = true;
            continue;
        };
        stores.insert(store.as_str());
        let mut remote = json!({ "key": sec.remote_key.as_ref().map(|r| r.as_str()).unwrap_or(n) });
        if let Some(p) = &sec.property {
            remote["property"] = json!(p.as_str());
        }
        data.push((key.clone(), store.as_str(), remote));
    }
    let first = *stores.iter().next()?;
    let several = stores.len() > 1;
    let data: Vec<Value> = data
        .into_iter()
        .map(|(key, store, remote)| {
            let mut d = json!({ "secretKey": key, "remoteRef": remote });
            if several && store != first {
                d["sourceRef"] = json!({ "storeRef": store_ref(lab, store) });
            }
            d
        })
        .collect();
    let mut target = json!({
        "name": k.name,
        "creationPolicy": if sops_part { "Merge" } else { "Owner" },
    });
    if !k.labels.is_empty() && !sops_part {
        target["template"] = json!({ "metadata": { "labels": k.labels } });
    }
    Some(json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": metadata(k),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": store_ref(lab, first),
            "target": target,
            "data": data,
        },
    }))
}

/// The plain artifacts of a cluster's `secrets/` tree and its Application: ExternalSecrets,
/// the kustomization with its KSOPS generator. Nothing when the cluster has no Secret.
pub fn render(
    lab: &Lab,
    g: &Gitops,
    cluster: &str,
    dir: &str,
    out: &mut Vec<Artifact>,
) -> Result<(), RenderError> {
    let secrets = of_cluster(lab, cluster);
    // Issue 12: the Alertmanager configuration Secret is decrypted with the app Secrets.
    let mut files = super::monitoring::ksops_files(lab, cluster);
    if secrets.is_empty() && files.is_empty() {
        return Ok(());
    }
    let mut resources = Vec::new();
    let mut all_sources: BTreeSet<String> = BTreeSet::new();
    for k in secrets.values() {
        let src = sources(k);
        all_sources.extend(src.iter().cloned());
        let rel = format!("{}/{}", k.namespace, k.name);
        if let Some(doc) = external_secret(lab, k) {
            out.push(yaml_artifact(
                format!("{dir}/secrets/{rel}.external.yaml"),
                &[doc],
                src,
            )?);
            resources.push(format!("{rel}.external.yaml"));
        }
        if k.data
            .values()
            .any(|e| matches!(e, Entry::Secret(_)) && !is_stored(lab, e))
        {
            files.push(format!("{rel}.yaml"));
        }
    }
    let mut kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
    });
    files.sort();
    if !files.is_empty() {
        kustomization["generators"] = json!(["ksops.yaml"]);
        let generator = json!({
            "apiVersion": "viaduct.ai/v1",
            "kind": "ksops",
            "metadata": {
                "name": format!("{cluster}-secrets"),
                "annotations": { "config.kubernetes.io/function": "exec:\n  path: ksops\n" },
            },
            "files": files,
        });
        out.push(yaml_artifact(
            format!("{dir}/secrets/ksops.yaml"),
            &[generator],
            all_sources.clone(),
        )?);
    }
    if !resources.is_empty() {
        kustomization["resources"] = json!(resources);
    }
    out.push(yaml_artifact(
        format!("{dir}/secrets/kustomization.yaml"),
        &[kustomization],
        all_sources.clone(),
    )?);
    let mut asrc = all_sources;
    asrc.extend(super::gitops_sources(g));
    let app = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": { "name": format!("{cluster}-secrets"), "namespace": g.service.namespace.as_str(),
            "annotations": { "argocd.argoproj.io/sync-wave": "-1" } },
        "spec": {
            "project": cluster,
            "source": { "repoURL": g.source.repo.as_str(), "targetRevision": g.source.revision.as_str(),
                "path": super::git_path(g, &format!("{dir}/secrets")) },
            "destination": super::destination(g, cluster, "default"),
            "syncPolicy": {
                "automated": { "prune": true, "selfHeal": true },
                // ExternalSecrets wait for the External Secrets CRDs (a release of a later wave).
                "syncOptions": ["SkipDryRunOnMissingResource=true"],
                "retry": { "limit": 10, "backoff": { "duration": "30s", "factor": 2, "maxDuration": "10m" } },
            },
        },
    });
    out.push(yaml_artifact(
        format!("{dir}/apps/secrets.yaml"),
        &[app],
        asrc,
    )?);
    Ok(())
}
