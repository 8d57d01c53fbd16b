//! `clusters/<cluster>/…`: what Argo CD deploys, per Kubernetes cluster (issue 6).
//!
//! Rendered only when a service carries an app with the `gitops` role (Argo CD, from
//! `hlc.modules.argocd { repo = … }`): every Application lives in that service's namespace,
//! in its cluster, and points at the repository it names. Per cluster `c`:
//!
//! | path | what |
//! |---|---|
//! | `clusters/c/root.yaml` | the app-of-apps: an Application syncing `clusters/c/apps/` |
//! | `clusters/c/apps/project.yaml` | the AppProject `c`: the cluster's chart repos and this repo as sources, the cluster's namespaces as destinations (sync wave -3) |
//! | `clusters/c/apps/platform.yaml` | an Application syncing `clusters/c/platform/` (wave -2) |
//! | `clusters/c/apps/secrets.yaml` | an Application syncing `clusters/c/secrets/` with kustomize + KSOPS (wave -1), when the cluster has app secrets ([`secrets`]) |
//! | `clusters/c/secrets/<ns>/<name>.yaml` | a SOPS-encrypted Secret (`data`/`stringData` encrypted; a [`crate::SecretArtifact`]) |
//! | `clusters/c/secrets/<ns>/<name>.external.yaml` | an ExternalSecret for store-held secrets |
//! | `clusters/c/apps/<release>.yaml` | one Application per release: Helm source with `valuesObject` for a chart, a directory source (`clusters/c/manifests/<release>/`) for an image; sync wave from `RenderContext::waves` |
//! | `clusters/c/platform/namespaces.yaml` | the Namespaces of the cluster's services |
//! | `clusters/c/platform/policies/<ns>.yaml` | the CiliumNetworkPolicy of a namespace ([`cilium`]) |
//! | `clusters/c/manifests/<release>/workload.yaml` | Deployment + Service of an image-only service |
//! | `clusters/c/apps/resilience.yaml`, `clusters/c/resilience/…` | backups, monitoring, status checks ([`resilience`], issue 12) |
//!
//! Waves come from `hlc-check` (a service's wave is after all its dependencies); they are never
//! recomputed here. Namespaces `kube-system` and `default` are Kubernetes' own: no Namespace
//! document and no policy are rendered for them.

pub mod backup;
pub mod cilium;
pub mod monitoring;
pub mod resilience;
pub mod secrets;
pub mod status;
pub mod wiring;

use crate::{derive, RenderContext, RenderError};
use hlc_model::app::{AppRole, GitSource};
use hlc_model::{Lab, Service};
use hlc_out::Artifact;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const TARGET: &str = "clusters";

/// Namespaces that belong to Kubernetes itself.
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "default"];

/// The release label every chart (and hlc's own manifests) puts on its pods.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// The GitOps controller: the service, its name and where it reads from.
pub struct Gitops<'a> {
    pub name: &'a str,
    pub service: &'a Service,
    pub cluster: &'a str,
    pub source: &'a GitSource,
}

/// The service with the `gitops` role (the first by name if several).
pub fn gitops(lab: &Lab) -> Option<Gitops<'_>> {
    lab.services.iter().find_map(|(name, s)| {
        let app = s.app.as_ref()?;
        if app.role.as_ref().map(|r| r.value) != Some(AppRole::Gitops) {
            return None;
        }
        Some(Gitops {
            name,
            service: s,
            cluster: derive::cluster_of(s)?,
            source: app.gitops.as_ref()?,
        })
    })
}

/// Services per cluster, by name.
pub fn by_cluster(lab: &Lab) -> BTreeMap<&str, BTreeMap<&str, &Service>> {
    let mut out: BTreeMap<&str, BTreeMap<&str, &Service>> = BTreeMap::new();
    for (name, s) in &lab.services {
        if let Some(c) = derive::cluster_of(s) {
            out.entry(c).or_default().insert(name, s);
        }
    }
    out
}

/// Whether a service has an Application of its own: it is its own release and has a chart or an
/// image to install.
pub fn has_application(name: &str, s: &Service) -> bool {
    derive::release(s) == name && (s.chart.is_some() || s.image.is_some())
}

fn yaml_artifact(
    path: String,
    docs: &[Value],
    sources: BTreeSet<String>,
) -> Result<Artifact, RenderError> {
    let text = if docs.len() == 1 {
        crate::yaml::to_yaml(&docs[0])
    } else {
        crate::yaml::to_yaml_docs(docs)
    };
    crate::artifact(TARGET, &path, text, sources)
}

fn destination(g: &Gitops, cluster: &str, namespace: &str) -> Value {
    if cluster == g.cluster {
        json!({ "server": "https://kubernetes.default.svc", "namespace": namespace })
    } else {
        json!({ "name": cluster, "namespace": namespace })
    }
}

fn git_path(g: &Gitops, rest: &str) -> String {
    let base = g.source.path.trim_matches('/');
    if base.is_empty() || base == "." {
        rest.to_string()
    } else {
        format!("{base}/{rest}")
    }
}

fn gitops_sources(g: &Gitops) -> Vec<String> {
    vec![format!("services.{}.app", g.name)]
}

/// Renders every cluster's tree; nothing without a GitOps controller.
pub fn render(lab: &Lab, ctx: &RenderContext) -> Result<Vec<Artifact>, RenderError> {
    let mut out = Vec::new();
    let Some(g) = gitops(lab) else {
        return Ok(out);
    };
    let argocd_ns = g.service.namespace.as_str();
    for (cluster, services) in by_cluster(lab) {
        let dir = format!("clusters/{cluster}");
        let namespaces: BTreeSet<&str> = services
            .values()
            .map(|s| s.namespace.as_str())
            .filter(|n| !SYSTEM_NAMESPACES.contains(n))
            .collect();
        let all_namespaces: BTreeSet<&str> =
            services.values().map(|s| s.namespace.as_str()).collect();
        let src = |names: &mut dyn Iterator<Item = &str>| -> BTreeSet<String> {
            names.map(|n| format!("services.{n}")).collect()
        };

        // Namespaces.
        let ns_docs: Vec<Value> = namespaces
            .iter()
            .map(|n| {
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {
                    "name": n, "labels": {"app.kubernetes.io/managed-by": "hlc"}}})
            })
            .collect();
        if !ns_docs.is_empty() {
            out.push(yaml_artifact(
                format!("{dir}/platform/namespaces.yaml"),
                &ns_docs,
                src(&mut services.keys().copied()),
            )?);
        }

        // Policies.
        for ns in &namespaces {
            let (doc, sources) = cilium::policy(lab, cluster, ns);
            out.push(yaml_artifact(
                format!("{dir}/platform/policies/{ns}.yaml"),
                &[doc],
                sources,
            )?);
        }

        // Applications.
        let mut repos: BTreeSet<String> = BTreeSet::new();
        repos.insert(g.source.repo.value.clone());
        for (name, s) in &services {
            if !has_application(name, s) {
                continue;
            }
            let ns = s.namespace.as_str();
            let mut sources: BTreeSet<String> = BTreeSet::new();
            sources.insert(format!("services.{name}"));
            sources.extend(gitops_sources(&g));
            let source = if let Some(chart) = &s.chart {
                repos.insert(chart.repo.value.clone());
                json!({
                    "repoURL": chart.repo.as_str(),
                    "chart": chart.name.as_str(),
                    "targetRevision": chart.version.as_str(),
                    "helm": { "releaseName": name, "valuesObject": wiring::values(lab, name, s) },
                })
            } else {
                let manifests = format!("{dir}/manifests/{name}");
                out.push(yaml_artifact(
                    format!("{manifests}/workload.yaml"),
                    &workload(name, s),
                    sources.clone(),
                )?);
                json!({
                    "repoURL": g.source.repo.as_str(),
                    "targetRevision": g.source.revision.as_str(),
                    "path": git_path(&g, &manifests),
                })
            };
            let mut meta = json!({ "name": name, "namespace": argocd_ns });
            if let Some(w) = ctx.waves.get(*name) {
                meta["annotations"] = json!({ "argocd.argoproj.io/sync-wave": w.to_string() });
            }
            let app = json!({
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": meta,
                "spec": {
                    "project": cluster,
                    "source": source,
                    "destination": destination(&g, cluster, ns),
                    "syncPolicy": { "automated": { "prune": true, "selfHeal": true } },
                },
            });
            out.push(yaml_artifact(
                format!("{dir}/apps/{name}.yaml"),
                &[app],
                sources,
            )?);
        }

        // App secrets (SOPS-encrypted Secrets are rendered by `render_secret`).
        secrets::render(lab, &g, cluster, &dir, &mut out)?;
        // Backups, monitoring and status checks (issue 12).
        let names: Vec<&str> = services.keys().copied().collect();
        out.extend(resilience::render(lab, ctx, &g, cluster, &names)?);

        // The platform Application, the project and the root.
        let mut gsrc: BTreeSet<String> = gitops_sources(&g).into_iter().collect();
        gsrc.insert(format!("clusters.{cluster}"));
        let platform = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": { "name": format!("{cluster}-platform"), "namespace": argocd_ns,
                "annotations": { "argocd.argoproj.io/sync-wave": "-2" } },
            "spec": {
                "project": cluster,
                "source": { "repoURL": g.source.repo.as_str(), "targetRevision": g.source.revision.as_str(),
                    "path": git_path(&g, &format!("{dir}/platform")), "directory": { "recurse": true } },
                "destination": destination(&g, cluster, "default"),
                "syncPolicy": { "automated": { "prune": true, "selfHeal": true } },
            },
        });
        out.push(yaml_artifact(
            format!("{dir}/apps/platform.yaml"),
            &[platform],
            gsrc.clone(),
        )?);
        let dests: Vec<Value> = all_namespaces
            .iter()
            .chain(std::iter::once(&"default"))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|n| destination(&g, cluster, n))
            .collect();
        let project = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": { "name": cluster, "namespace": argocd_ns,
                "annotations": { "argocd.argoproj.io/sync-wave": "-3" } },
            "spec": {
                "description": format!("Releases of cluster `{cluster}`, rendered by hlc"),
                "sourceRepos": repos.iter().collect::<Vec<_>>(),
                "destinations": dests,
                "clusterResourceWhitelist": [{ "group": "*", "kind": "*" }],
            },
        });
        let mut psrc = src(&mut services.keys().copied());
        psrc.extend(gsrc.iter().cloned());
        out.push(yaml_artifact(
            format!("{dir}/apps/project.yaml"),
            &[project],
            psrc,
        )?);
        let root = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": { "name": format!("{cluster}-root"), "namespace": argocd_ns },
            "spec": {
                "project": "default",
                "source": { "repoURL": g.source.repo.as_str(), "targetRevision": g.source.revision.as_str(),
                    "path": git_path(&g, &format!("{dir}/apps")) },
                "destination": { "server": "https://kubernetes.default.svc", "namespace": argocd_ns },
                "syncPolicy": { "automated": { "prune": true, "selfHeal": true } },
            },
        });
        out.push(yaml_artifact(format!("{dir}/root.yaml"), &[root], gsrc)?);
    }
    Ok(out)
}

/// Deployment + Service for a service installed from an image (no chart). Its secrets reach the
/// container as environment variables ([`secrets::env_name`]) by reference to its Secret.
fn workload(name: &str, s: &Service) -> Vec<Value> {
    let ns = s.namespace.as_str();
    let labels = json!({ "app.kubernetes.io/name": name, INSTANCE_LABEL: name,
        "app.kubernetes.io/managed-by": "hlc" });
    let selector = json!({ "app.kubernetes.io/name": name, INSTANCE_LABEL: name });
    let image = s.image.as_ref().map(|i| i.as_str()).unwrap_or_default();
    let mut container = json!({
        "name": name,
        "image": image,
        "ports": [{ "name": "main", "containerPort": derive::pod_port(s), "protocol": "TCP" }],
    });
    if let Some(k) = secrets::of_service(name, s) {
        let env: Vec<Value> = k
            .data
            .keys()
            .map(|key| {
                json!({ "name": secrets::env_name(key), "valueFrom": { "secretKeyRef": {
                    "name": k.name, "key": key } } })
            })
            .collect();
        container["env"] = Value::Array(env);
    }
    let deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "namespace": ns, "labels": labels },
        "spec": {
            "replicas": 1,
            "selector": { "matchLabels": selector },
            "template": {
                "metadata": { "labels": labels },
                "spec": { "containers": [container] },
            },
        },
    });
    let service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": { "name": s.service_name.as_str(), "namespace": ns, "labels": labels },
        "spec": {
            "type": s.service_type.k8s(),
            "selector": selector,
            "ports": [{ "name": "main", "port": *s.port, "targetPort": derive::pod_port(s), "protocol": "TCP" }],
        },
    });
    vec![deployment, service]
}
