//! Cloudflare (issue 7): what the edge of the lab looks like to Cloudflare, derived from the
//! model's tunnels and services.
//!
//! | artifact | what |
//! |---|---|
//! | `cloudflare/tunnels/<t>/tunnel.json` | `POST /accounts/{account_id}/cfd_tunnel` body (name, `config_src`) |
//! | `cloudflare/tunnels/<t>/configuration.json` | remotely managed tunnel: `PUT …/cfd_tunnel/{tunnel_id}/configurations` body |
//! | `cloudflare/tunnels/<t>/config.yml` | locally managed tunnel: cloudflared's own configuration file |
//! | `cloudflare/dns/<service>.json` | `POST /zones/{zone_id}/dns_records` body: proxied CNAME to the tunnel |
//! | `cloudflare/access/<service>.json` | `POST /accounts/{account_id}/access/apps` body, with its app-scoped policy embedded |
//! | `cloudflare/terraform/*.tf.json` | the same objects for the Terraform provider cloudflare v5 |
//!
//! Ingress rules route each routed service's FQDN to its in-cluster URL,
//! [`crate::derive::cluster_url`] — the same function the Kubernetes renderer names the Service
//! with — and end with the catch-all `http_status:404`.
//!
//! No id is invented. The API bodies carry the few ids that exist only once Cloudflare has
//! created the objects as `${NAME}` placeholders for the applying tool (`envsubst`):
//! `${CLOUDFLARE_TUNNEL_ID_<TUNNEL>}` (the tunnel's UUID, from the create-tunnel response) and
//! `${CLOUDFLARE_AUTHENTIK_IDP_ID}` (the Authentik login method configured in Zero Trust).
//! Account and zone ids belong to the request URLs, not to the bodies. In Terraform they are
//! variables (`account_id`, `zone_id`, `authentik_idp_id`) and tunnel ids are references.
//!
//! Access policies admit the members of the service's `groups` (else, for an admin service, the
//! identity's `admin_group`) by the `groups` claim Authentik sends as Cloudflare's OIDC login
//! method — group names, never e-mail lists.

use crate::derive::{self, cluster_url};
use crate::{artifact, RenderContext, RenderError};
use hlc_model::{Exposure, Lab, Placement, Service, Tunnel, TunnelSource};
use hlc_out::Artifact;
use serde_json::{json, Map, Value};

const TARGET: &str = "cloudflare";

/// The OIDC claim Authentik puts group names in (its `profile` scope mapping).
pub const GROUPS_CLAIM: &str = "groups";

/// The service URL the catch-all rule answers with.
pub const CATCH_ALL: &str = "http_status:404";

/// Placeholder for a tunnel's UUID in API bodies.
pub fn tunnel_id_placeholder(tunnel: &str) -> String {
    format!("${{CLOUDFLARE_TUNNEL_ID_{}}}", env_name(tunnel))
}

/// Placeholder for the Authentik identity provider's id in Cloudflare Zero Trust.
pub const IDP_PLACEHOLDER: &str = "${CLOUDFLARE_AUTHENTIK_IDP_ID}";

/// `uptime-kuma` → `UPTIME_KUMA`.
pub fn env_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The tunnel's name in Cloudflare: `<lab name>-<tunnel>`.
pub fn tunnel_name(lab: &Lab, tunnel: &str) -> String {
    format!("{}-{tunnel}", lab.name.as_str())
}

/// The origin URL of a routed service: its in-cluster URL for a cluster service, else its
/// machine's or host's address.
pub fn origin_url(lab: &Lab, s: &Service) -> Option<String> {
    if let Some(u) = cluster_url(s) {
        return Some(u);
    }
    let addr = match &s.placement {
        Placement::Machine(m) => lab
            .machines
            .get(m.as_str())
            .and_then(|m| m.address.as_ref())
            .map(|a| a.to_string()),
        Placement::Host(h) => lab.hosts.get(h.as_str()).map(|h| h.address.to_string()),
        Placement::Cluster(_) => None,
    }?;
    Some(format!("{}://{addr}:{}", derive::scheme(s), *s.port))
}

/// The services a tunnel routes that exist and have an FQDN, in declaration order, with it.
pub fn routes<'a>(lab: &'a Lab, t: &'a Tunnel) -> Vec<(&'a str, &'a Service, String)> {
    t.services
        .iter()
        .filter_map(|n| {
            let (k, s) = lab.services.get_key_value(n.as_str())?;
            Some((k.as_str(), s, derive::fqdn(lab, s)?))
        })
        .collect()
}

/// The groups an Access policy of `s` admits: its `groups`, else the admin group for an admin
/// service.
pub fn allowed_groups(lab: &Lab, s: &Service) -> Vec<String> {
    if !s.groups.is_empty() {
        return s.groups.iter().map(|g| g.value.clone()).collect();
    }
    match (&lab.identity.admin_group, *s.admin) {
        (Some(g), true) => vec![g.value.clone()],
        _ => Vec::new(),
    }
}

fn ingress(lab: &Lab, t: &Tunnel) -> Vec<Value> {
    let mut rules: Vec<Value> = routes(lab, t)
        .into_iter()
        .filter_map(|(_, s, fqdn)| {
            let mut r = json!({ "hostname": fqdn, "service": origin_url(lab, s)? });
            if *s.scheme == hlc_model::Scheme::Https && cluster_url(s).is_none() {
                // Appliance UIs (Proxmox) serve a self-signed certificate.
                r["originRequest"] = json!({ "noTLSVerify": true });
            }
            Some(r)
        })
        .collect();
    rules.push(json!({ "service": CATCH_ALL }));
    rules
}

/// The port the connector's metrics listen on: the connector service's port (cloudflared is
/// started with `--metrics 0.0.0.0:<port>`).
fn connector_port(lab: &Lab, t: &Tunnel) -> i64 {
    lab.services
        .get(t.connector.as_str())
        .map(|s| *s.port)
        .unwrap_or(2000)
}

fn source_str(t: &Tunnel) -> &'static str {
    match *t.source {
        TunnelSource::Cloudflare => "cloudflare",
        TunnelSource::Local => "local",
    }
}

fn json_text(v: &Value) -> Result<String, RenderError> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|source| RenderError::Serialize {
            target: TARGET,
            source,
        })
}

fn tunnel_sources(name: &str, t: &Tunnel) -> Vec<String> {
    let mut v = vec![
        "name".to_string(),
        "domain".to_string(),
        format!("tunnels.{name}"),
    ];
    v.extend(t.services.iter().map(|s| format!("services.{}", s.value)));
    v.push(format!("services.{}", t.connector.value));
    v
}

/// The Access policy a service's application embeds (API shape, without `precedence`).
pub fn access_policy(lab: &Lab, name: &str, s: &Service) -> Value {
    let include: Vec<Value> = allowed_groups(lab, s)
        .into_iter()
        .map(|g| {
            json!({ "oidc": {
                "claim_name": GROUPS_CLAIM,
                "claim_value": g,
                "identity_provider_id": IDP_PLACEHOLDER,
            }})
        })
        .collect();
    json!({
        "name": format!("{name}: allowed groups"),
        "decision": "allow",
        "include": include,
        "session_duration": "24h",
    })
}

/// The Access application body of an `access` service.
pub fn access_application(lab: &Lab, name: &str, s: &Service, fqdn: &str) -> Value {
    let mut policy = access_policy(lab, name, s);
    policy["precedence"] = json!(1);
    json!({
        "type": "self_hosted",
        "name": name,
        "domain": fqdn,
        "session_duration": "24h",
        "allowed_idps": [IDP_PLACEHOLDER],
        "auto_redirect_to_identity": true,
        "app_launcher_visible": true,
        "policies": [policy],
    })
}

/// The tunnel that routes a service, if any (the first in name order).
pub fn tunnel_of<'a>(lab: &'a Lab, service: &str) -> Option<(&'a str, &'a Tunnel)> {
    lab.tunnels
        .iter()
        .find(|(_, t)| t.services.iter().any(|s| s.as_str() == service))
        .map(|(k, t)| (k.as_str(), t))
}

/// Renders the Cloudflare artifacts, API bodies and Terraform JSON.
pub fn render(lab: &Lab, _ctx: &RenderContext) -> Result<Vec<Artifact>, RenderError> {
    let mut out = Vec::new();
    let mut tf = Map::new();
    let mut tf_tunnels = Map::new();
    let mut tf_configs = Map::new();
    let mut tf_dns = Map::new();
    let mut tf_policies = Map::new();
    let mut tf_apps = Map::new();
    let tf_tunnel_id = |t: &str| format!("${{cloudflare_zero_trust_tunnel_cloudflared.{t}.id}}");

    for (tname, t) in &lab.tunnels {
        let sources = tunnel_sources(tname, t);
        let dir = format!("cloudflare/tunnels/{tname}");
        let create = json!({ "name": tunnel_name(lab, tname), "config_src": source_str(t) });
        out.push(artifact(
            TARGET,
            &format!("{dir}/tunnel.json"),
            json_text(&create)?,
            sources.clone(),
        )?);
        let ingress = ingress(lab, t);
        match *t.source {
            TunnelSource::Cloudflare => {
                let body = json!({ "config": {
                    "ingress": ingress,
                    "warp-routing": { "enabled": false },
                }});
                out.push(artifact(
                    TARGET,
                    &format!("{dir}/configuration.json"),
                    json_text(&body)?,
                    sources.clone(),
                )?);
                let tf_ingress: Vec<Value> = ingress
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        if let Some(o) = r.as_object_mut().and_then(|o| o.remove("originRequest")) {
                            r["origin_request"] = json!({ "no_tls_verify": o["noTLSVerify"] });
                        }
                        r
                    })
                    .collect();
                tf_configs.insert(
                    tname.clone(),
                    json!({
                        "account_id": "${var.account_id}",
                        "tunnel_id": tf_tunnel_id(tname),
                        "config": { "ingress": tf_ingress },
                    }),
                );
            }
            TunnelSource::Local => {
                let conf = json!({
                    "tunnel": tunnel_name(lab, tname),
                    "credentials-file": "/etc/cloudflared/creds/credentials.json",
                    "metrics": format!("0.0.0.0:{}", connector_port(lab, t)),
                    "no-autoupdate": true,
                    "ingress": ingress,
                });
                out.push(artifact(
                    TARGET,
                    &format!("{dir}/config.yml"),
                    crate::yaml::to_yaml(&conf),
                    sources.clone(),
                )?);
            }
        }
        tf_tunnels.insert(
            tname.clone(),
            json!({
                "account_id": "${var.account_id}",
                "name": tunnel_name(lab, tname),
                "config_src": source_str(t),
            }),
        );

        for (sname, s, fqdn) in routes(lab, t) {
            let ssrc = vec![
                "name".to_string(),
                "domain".to_string(),
                format!("tunnels.{tname}"),
                format!("services.{sname}"),
            ];
            let comment = format!("hlc: services.{sname} through tunnel {tname}");
            let dns = json!({
                "type": "CNAME",
                "name": fqdn,
                "content": format!("{}.cfargotunnel.com", tunnel_id_placeholder(tname)),
                "proxied": true,
                "ttl": 1,
                "comment": comment,
            });
            out.push(artifact(
                TARGET,
                &format!("cloudflare/dns/{sname}.json"),
                json_text(&dns)?,
                ssrc.clone(),
            )?);
            tf_dns.insert(
                sname.to_string(),
                json!({
                    "zone_id": "${var.zone_id}",
                    "name": fqdn,
                    "type": "CNAME",
                    "content": format!("{}.cfargotunnel.com", tf_tunnel_id(tname)),
                    "proxied": true,
                    "ttl": 1,
                    "comment": comment,
                }),
            );
            if *s.exposure != Exposure::Access {
                continue;
            }
            let mut asrc = ssrc;
            asrc.push("identity".to_string());
            let app = access_application(lab, sname, s, &fqdn);
            out.push(artifact(
                TARGET,
                &format!("cloudflare/access/{sname}.json"),
                json_text(&app)?,
                asrc,
            )?);
            let policy = access_policy(lab, sname, s);
            let tf_include: Vec<Value> = policy["include"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    let mut r = r.clone();
                    r["oidc"]["identity_provider_id"] = json!("${var.authentik_idp_id}");
                    r
                })
                .collect();
            tf_policies.insert(
                sname.to_string(),
                json!({
                    "account_id": "${var.account_id}",
                    "name": policy["name"],
                    "decision": "allow",
                    "include": tf_include,
                    "session_duration": "24h",
                }),
            );
            tf_apps.insert(
                sname.to_string(),
                json!({
                    "account_id": "${var.account_id}",
                    "type": "self_hosted",
                    "name": sname,
                    "domain": fqdn,
                    "session_duration": "24h",
                    "allowed_idps": ["${var.authentik_idp_id}"],
                    "auto_redirect_to_identity": true,
                    "app_launcher_visible": true,
                    "policies": [{
                        "id": format!("${{cloudflare_zero_trust_access_policy.{sname}.id}}"),
                        "precedence": 1,
                    }],
                }),
            );
        }
    }
    if lab.tunnels.is_empty() {
        return Ok(out);
    }

    let mut resources = Map::new();
    for (kind, m) in [
        ("cloudflare_dns_record", tf_dns),
        ("cloudflare_zero_trust_access_application", tf_apps),
        ("cloudflare_zero_trust_access_policy", tf_policies),
        ("cloudflare_zero_trust_tunnel_cloudflared", tf_tunnels),
        (
            "cloudflare_zero_trust_tunnel_cloudflared_config",
            tf_configs,
        ),
    ] {
        if !m.is_empty() {
            resources.insert(kind.to_string(), Value::Object(m));
        }
    }
    tf.insert("resource".to_string(), Value::Object(resources));
    let all_sources = {
        let mut v = vec![
            "name".to_string(),
            "domain".to_string(),
            "identity".to_string(),
        ];
        for (n, t) in &lab.tunnels {
            v.extend(tunnel_sources(n, t));
        }
        v
    };
    out.push(artifact(
        TARGET,
        "cloudflare/terraform/main.tf.json",
        json_text(&Value::Object(tf))?,
        all_sources,
    )?);
    let vars = json!({
        "terraform": { "required_providers": { "cloudflare": {
            "source": "cloudflare/cloudflare",
            "version": "~> 5.0",
        }}},
        "variable": {
            "account_id": { "type": "string", "description": "Cloudflare account id" },
            "zone_id": { "type": "string", "description": format!("Cloudflare zone id of {}", lab.domain.as_str()) },
            "authentik_idp_id": { "type": "string", "description": "id of the Authentik (OpenID Connect) login method in Cloudflare Zero Trust" },
        },
    });
    out.push(artifact(
        TARGET,
        "cloudflare/terraform/variables.tf.json",
        json_text(&vars)?,
        vec!["name".to_string(), "domain".to_string()],
    )?);
    Ok(out)
}
