//! `clusters/<cluster>/resilience/…` (issue 12): backups ([`super::backup`]), monitoring
//! ([`super::monitoring`]) and status checks ([`super::status`]) of a cluster, and the
//! Application `<cluster>-resilience` (`apps/resilience.yaml`) that syncs the folder. Its sync
//! wave follows every release of the cluster, so the CRDs it uses (Velero's, the Prometheus
//! operator's) exist when it syncs.

use super::Gitops;
use super::{backup, destination, git_path, gitops_sources, monitoring, status, yaml_artifact};
use crate::{RenderContext, RenderError};
use hlc_model::Lab;
use hlc_out::Artifact;
use serde_json::json;
use std::collections::BTreeSet;

/// The resilience artifacts of a cluster, with the Application syncing them (none when there is
/// nothing to sync).
pub fn render(
    lab: &Lab,
    ctx: &RenderContext,
    g: &Gitops,
    cluster: &str,
    services: &[&str],
) -> Result<Vec<Artifact>, RenderError> {
    let dir = format!("clusters/{cluster}/resilience");
    let mut out = Vec::new();
    let mut all_sources: BTreeSet<String> = BTreeSet::new();
    let (docs, sources) = backup::documents(lab, cluster);
    if !docs.is_empty() {
        all_sources.extend(sources.iter().cloned());
        out.push(yaml_artifact(format!("{dir}/backup.yaml"), &docs, sources)?);
    }
    for (rel, docs, sources) in monitoring::documents(lab, cluster) {
        all_sources.extend(sources.iter().cloned());
        out.push(yaml_artifact(
            format!("{dir}/monitoring/{rel}"),
            &docs,
            sources,
        )?);
    }
    for (rel, docs, sources) in status::documents(lab, cluster) {
        if docs.is_empty() {
            continue;
        }
        all_sources.extend(sources.iter().cloned());
        out.push(yaml_artifact(
            format!("{dir}/status/{rel}"),
            &docs,
            sources,
        )?);
    }
    if out.is_empty() {
        return Ok(out);
    }
    let wave = services
        .iter()
        .filter_map(|s| ctx.waves.get(*s))
        .max()
        .map_or(0, |w| w + 1);
    let mut src: BTreeSet<String> = gitops_sources(g).into_iter().collect();
    src.insert(format!("clusters.{cluster}"));
    src.extend(
        all_sources
            .into_iter()
            .filter(|s| !s.starts_with("secrets.")),
    );
    let app = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": { "name": format!("{cluster}-resilience"), "namespace": g.service.namespace.as_str(),
            "annotations": { "argocd.argoproj.io/sync-wave": wave.to_string() } },
        "spec": {
            "project": cluster,
            "source": { "repoURL": g.source.repo.as_str(), "targetRevision": g.source.revision.as_str(),
                "path": git_path(g, &dir), "directory": { "recurse": true } },
            "destination": destination(g, cluster, "default"),
            "syncPolicy": { "automated": { "prune": true, "selfHeal": true } },
        },
    });
    out.push(yaml_artifact(
        format!("clusters/{cluster}/apps/resilience.yaml"),
        &[app],
        src,
    )?);
    Ok(out)
}
