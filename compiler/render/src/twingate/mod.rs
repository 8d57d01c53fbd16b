//! Twingate (issue 7): one `twingate/<service>.yaml` per `private` service — the
//! infrastructure endpoints (Proxmox UI, Prometheus, Alertmanager…) that are reachable only
//! through Twingate — holding a `TwingateResource` and one `TwingateResourceAccess` per allowed
//! group.
//!
//! Why Kubernetes operator resources rather than Terraform: the lab is GitOps — ArgoCD applies
//! what is in git, and the Twingate connector already runs in the prod cluster, so the operator
//! next to it reconciles these objects continuously (drift is undone) with no state file and no
//! Terraform run. Groups are referenced by name (`principalExternalRef`), so no Twingate id is
//! invented; the operator resolves them.
//!
//! The address is the in-cluster DNS name of the service's Kubernetes Service (the connector
//! resolves cluster DNS) or, for a service on a host or machine, that host's address; access is
//! restricted to the service's TCP port.

use crate::derive::CLUSTER_DOMAIN;
use crate::yaml::to_yaml_docs;
use crate::{artifact, RenderContext, RenderError};
use hlc_model::{Exposure, Lab, Placement, Service};
use hlc_out::Artifact;
use serde_json::{json, Value};

const TARGET: &str = "twingate";

/// The address a Twingate resource for `s` points at.
pub fn address(lab: &Lab, s: &Service) -> Option<String> {
    match &s.placement {
        Placement::Cluster(_) => Some(format!(
            "{}.{}.svc.{CLUSTER_DOMAIN}",
            s.service_name.as_str(),
            s.namespace.as_str()
        )),
        Placement::Host(h) => lab.hosts.get(h.as_str()).map(|h| h.address.to_string()),
        Placement::Machine(m) => lab
            .machines
            .get(m.as_str())
            .and_then(|m| m.address.as_ref())
            .map(|a| a.to_string()),
    }
}

fn docs(lab: &Lab, name: &str, s: &Service) -> Option<Vec<Value>> {
    let addr = address(lab, s)?;
    let port = *s.port;
    let labels = json!({ "app.kubernetes.io/managed-by": "hlc", "hlc.dev/service": name });
    let mut docs = vec![json!({
        "apiVersion": "twingate.com/v1beta",
        "kind": "TwingateResource",
        "metadata": { "name": name, "labels": labels },
        "spec": {
            "name": name,
            "address": addr,
            "protocols": {
                "allowIcmp": false,
                "tcp": { "policy": "RESTRICTED", "ports": [{ "start": port, "end": port }] },
                "udp": { "policy": "RESTRICTED", "ports": [] },
            },
        },
    })];
    for g in crate::cloudflare::allowed_groups(lab, s) {
        docs.push(json!({
            "apiVersion": "twingate.com/v1beta",
            "kind": "TwingateResourceAccess",
            "metadata": { "name": format!("{name}-{g}"), "labels": labels },
            "spec": {
                "resourceRef": { "name": name },
                "principalExternalRef": { "type": "group", "name": g },
            },
        }));
    }
    Some(docs)
}

/// Renders the Twingate resources.
pub fn render(lab: &Lab, _ctx: &RenderContext) -> Result<Vec<Artifact>, RenderError> {
    let mut out = Vec::new();
    for (name, s) in &lab.services {
        if *s.exposure != Exposure::Private {
            continue;
        }
        let Some(d) = docs(lab, name, s) else {
            continue;
        };
        out.push(artifact(
            TARGET,
            &format!("twingate/{name}.yaml"),
            to_yaml_docs(&d),
            [
                format!("services.{name}"),
                "identity".to_string(),
                "hosts".to_string(),
            ],
        )?);
    }
    Ok(out)
}
