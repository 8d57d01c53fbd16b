//! Authentik blueprints (issue 7): for every service with `auth = 'oidc`, an OAuth2/OpenID
//! provider, an application and the policy bindings of its allowed groups, in
//! `authentik/blueprints/<service>.yaml`; the identity's groups in
//! `authentik/blueprints/groups.yaml`.
//!
//! Redirect URIs come from the service's FQDN: one `regex` URI anchored to its public origin
//! (`^https://grafana\.example\.org/.*$`), because the callback path is the application's
//! business (`/login/generic_oauth`, `/auth/callback`…) while the origin is the model's.
//!
//! Client secrets are never written: the blueprint reads them with `!Env`, from the variable
//! [`client_secret_env`] names after the service's `*-oidc-client-secret` secret. The value
//! lives once, SOPS-encrypted under `configs/secrets/`; the cluster side injects the same secret
//! into the application and, under that variable name, into Authentik's worker (which applies
//! blueprints). `!Env` rather than `!File` because the chart sets worker env from Secrets
//! without extra volume mounts, and rather than a value in the blueprint because blueprints are
//! plain files in a ConfigMap: a secret in one would sit unencrypted in git and in the cluster.
//! A service that declares no such secret gets no `client_secret`: Authentik generates one, to be
//! handed to the application out of band.

use crate::derive;
use crate::yaml::{tagged, to_yaml};
use crate::{artifact, RenderContext, RenderError};
use hlc_model::{Auth, Lab, Service};
use hlc_out::Artifact;
use serde_json::{json, Value};

const TARGET: &str = "authentik";

/// The environment variable of Authentik's worker holding an OIDC client secret:
/// `grafana-oidc-client-secret` → `HLC_GRAFANA_OIDC_CLIENT_SECRET`.
pub fn client_secret_env(secret: &str) -> String {
    format!("HLC_{}", crate::cloudflare::env_name(secret))
}

/// The secret holding a service's OIDC client secret: the first of the secrets it consumes
/// ([`derive::secrets_of`]) ending in `oidc-client-secret`.
pub fn client_secret_name(s: &Service) -> Option<&str> {
    derive::secrets_of(s)
        .into_iter()
        .find(|x| x.ends_with("oidc-client-secret"))
}

/// The public origin of a service: `https://<fqdn>`.
pub fn public_url(lab: &Lab, s: &Service) -> Option<String> {
    derive::fqdn(lab, s).map(|f| format!("https://{f}"))
}

/// The redirect-URI regex of a service: its public origin, escaped and anchored, any path.
pub fn redirect_regex(lab: &Lab, s: &Service) -> Option<String> {
    public_url(lab, s).map(|u| format!("^{}/.*$", u.replace('.', "\\.")))
}

fn find(model: &str, field: &str, value: &str) -> Value {
    tagged("!Find", json!([model, [field, value]]))
}

fn blueprint(lab: &Lab, name: &str, s: &Service) -> Option<Value> {
    let url = public_url(lab, s)?;
    let provider_id = format!("{name}-provider");
    let app_id = format!("{name}-application");
    let mut provider = json!({
        "name": name,
        "authorization_flow": find("authentik_flows.flow", "slug", "default-provider-authorization-implicit-consent"),
        "invalidation_flow": find("authentik_flows.flow", "slug", "default-provider-invalidation-flow"),
        "client_type": "confidential",
        "client_id": name,
    });
    if let Some(secret) = client_secret_name(s) {
        provider["client_secret"] = tagged("!Env", json!(client_secret_env(secret)));
    }
    provider["redirect_uris"] =
        json!([{ "matching_mode": "regex", "url": redirect_regex(lab, s)? }]);
    provider["property_mappings"] = json!(["openid", "email", "profile"]
        .iter()
        .map(|sc| find(
            "authentik_providers_oauth2.scopemapping",
            "managed",
            &format!("goauthentik.io/providers/oauth2/scope-{sc}")
        ))
        .collect::<Vec<_>>());
    provider["signing_key"] = find(
        "authentik_crypto.certificatekeypair",
        "name",
        "authentik Self-signed Certificate",
    );
    let mut entries = Vec::new();
    if !lab.identity.groups.is_empty() {
        // The groups the bindings find must exist first.
        entries.push(json!({
            "model": "authentik_blueprints.metaapplyblueprint",
            "attrs": { "identifiers": { "name": "hlc groups" }, "required": true },
        }));
    }
    entries.extend([
        json!({
            "model": "authentik_providers_oauth2.oauth2provider",
            "id": provider_id,
            "identifiers": { "name": name },
            "attrs": provider,
        }),
        json!({
            "model": "authentik_core.application",
            "id": app_id,
            "identifiers": { "slug": name },
            "attrs": {
                "name": name,
                "slug": name,
                "provider": tagged("!KeyOf", json!(provider_id)),
                "meta_launch_url": url,
                "meta_description": s.description.clone().unwrap_or_default(),
                "policy_engine_mode": "any",
            },
        }),
    ]);
    for (i, g) in crate::cloudflare::allowed_groups(lab, s).iter().enumerate() {
        let group = find("authentik_core.group", "name", g);
        entries.push(json!({
            "model": "authentik_policies.policybinding",
            "identifiers": { "target": tagged("!KeyOf", json!(app_id)), "group": group },
            "attrs": { "order": i, "enabled": true, "negate": false, "timeout": 30 },
        }));
    }
    Some(json!({
        "version": 1,
        "metadata": {
            "name": format!("hlc {name}"),
            "labels": { "blueprints.goauthentik.io/description": format!("OpenID Connect for {name}, rendered by hlc") },
        },
        "entries": entries,
    }))
}

/// Renders the blueprints.
pub fn render(lab: &Lab, _ctx: &RenderContext) -> Result<Vec<Artifact>, RenderError> {
    let mut out = Vec::new();
    let oidc: Vec<_> = lab
        .services
        .iter()
        .filter(|(_, s)| *s.auth == Auth::Oidc)
        .collect();
    if oidc.is_empty() {
        return Ok(out);
    }
    for (name, s) in oidc {
        let Some(bp) = blueprint(lab, name, s) else {
            continue;
        };
        out.push(artifact(
            TARGET,
            &format!("authentik/blueprints/{name}.yaml"),
            to_yaml(&bp),
            [
                "name".to_string(),
                "domain".to_string(),
                "identity".to_string(),
                format!("services.{name}"),
            ],
        )?);
    }
    let groups: Vec<Value> = lab
        .identity
        .groups
        .keys()
        .map(|g| {
            json!({
                "model": "authentik_core.group",
                "identifiers": { "name": g },
                "attrs": { "name": g, "is_superuser": false },
            })
        })
        .collect();
    if !groups.is_empty() {
        let bp = json!({
            "version": 1,
            "metadata": { "name": "hlc groups" },
            "entries": groups,
        });
        out.push(artifact(
            TARGET,
            "authentik/blueprints/groups.yaml",
            to_yaml(&bp),
            ["identity".to_string()],
        )?);
    }
    Ok(out)
}
