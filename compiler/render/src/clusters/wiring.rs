//! Helm values that need the whole lab, derived here rather than in the Nickel modules (a module
//! sees only its own options; a lookup over every service in Nickel is quadratic, DESIGN.md).
//!
//! [`values`] returns a release's final values: the wiring derived from the model (datasource
//! URLs from dependencies' in-cluster URLs, OIDC endpoints from the identity provider's FQDN,
//! database hosts from dependencies), with the module's own values deep-merged over it.

use crate::derive;
use hlc_model::{Auth, Lab, Service};
use serde_json::{json, Map, Value};

/// The values of a release: wiring, overlaid by the module's values.
pub fn values(lab: &Lab, name: &str, s: &Service) -> Value {
    let mut base = wiring(lab, name, s);
    if let Some(chart) = &s.chart {
        merge(&mut base, &service_layout(s, chart.name.as_str()));
    }
    if let Some(app) = &s.app {
        merge(&mut base, &app.values);
    }
    base
}

/// `over` merged into `base`: records recursively, anything else replaced.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Sets a dotted path in a record, creating the records on the way.
fn set(v: &mut Value, path: &str, x: Value) {
    let mut cur = v;
    let mut parts = path.split('.').peekable();
    while let Some(p) = parts.next() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let m = cur.as_object_mut().expect("a record");
        if parts.peek().is_none() {
            m.insert(p.to_string(), x);
            return;
        }
        cur = m.entry(p.to_string()).or_insert_with(|| json!({}));
    }
}

/// The chart's Service as the model declares it (type, port, pod port, metrics port), at the
/// paths of [`hlc_model::app::chart_service`]; nothing for a chart hlc does not know.
pub fn service_layout(s: &Service, chart: &str) -> Value {
    let mut v = json!({});
    let Some(cs) = hlc_model::app::chart_service(chart) else {
        return v;
    };
    if let Some(p) = cs.service_type {
        set(&mut v, p, json!(s.service_type.k8s()));
    }
    if let Some(p) = cs.port {
        set(&mut v, p, json!(*s.port));
    }
    if let Some(p) = cs.target_port {
        set(&mut v, p, json!(*s.target_port));
    }
    if let (Some(p), Some(m)) = (cs.metrics_port, &s.metrics) {
        set(&mut v, p, json!(*m.port));
    }
    v
}

/// Same-cluster dependencies installed from the named chart.
fn deps_by_chart<'a>(lab: &'a Lab, s: &'a Service, chart: &'a str) -> Vec<&'a Service> {
    s.depends_on
        .iter()
        .filter_map(|d| lab.services.get(d.as_str()))
        .filter(|d| derive::cluster_of(d) == derive::cluster_of(s))
        .filter(|d| d.chart.as_ref().is_some_and(|c| *c.name == chart))
        .collect()
}

/// Same-cluster dependencies whose image starts with `prefix` (e.g. `postgres:`).
fn deps_by_image<'a>(lab: &'a Lab, s: &'a Service, prefix: &'a str) -> Option<&'a Service> {
    s.depends_on
        .iter()
        .filter_map(|d| lab.services.get(d.as_str()))
        .filter(|d| derive::cluster_of(d) == derive::cluster_of(s))
        .find(|d| d.image.as_ref().is_some_and(|i| i.starts_with(prefix)))
}

/// The identity provider's public base URL, when the lab names one that has a hostname.
fn idp_url(lab: &Lab) -> Option<String> {
    let p = lab.identity.provider.as_ref()?;
    let s = lab.services.get(p.as_str())?;
    derive::fqdn(lab, s).map(|f| format!("https://{f}"))
}

fn host(s: &Service) -> String {
    format!(
        "{}.{}.svc.{}",
        s.service_name.as_str(),
        s.namespace.as_str(),
        derive::CLUSTER_DOMAIN
    )
}

/// Argo CD's reference to the OIDC client secret: `$<secret>:clientSecret` when the module maps
/// it into its Secret (labelled part-of argocd), else the `argocd-secret` key Argo CD documents.
fn argocd_client_secret(s: &Service) -> String {
    match s.app.as_ref().and_then(|a| a.secret.as_ref()) {
        Some(sec) if sec.data.contains_key("clientSecret") => {
            format!("${}:clientSecret", sec.name.as_str())
        }
        _ => "$oidc.authentik.clientSecret".to_string(),
    }
}

fn wiring(lab: &Lab, name: &str, s: &Service) -> Value {
    let Some(chart) = &s.chart else {
        return Value::Object(Map::new());
    };
    let oidc = (*s.auth == Auth::Oidc).then(|| idp_url(lab)).flatten();
    let own_url = derive::fqdn(lab, s).map(|f| format!("https://{f}"));
    match chart.name.as_str() {
        "grafana" => {
            let mut sources = Vec::new();
            for p in deps_by_chart(lab, s, "kube-prometheus-stack") {
                sources.push(
                    json!({"name": "Prometheus", "type": "prometheus", "access": "proxy",
                    "url": derive::cluster_url(p), "isDefault": true}),
                );
            }
            for l in deps_by_chart(lab, s, "loki") {
                sources.push(json!({"name": "Loki", "type": "loki", "access": "proxy",
                    "url": derive::cluster_url(l)}));
            }
            let mut v = json!({});
            if !sources.is_empty() {
                v["datasources"] =
                    json!({"datasources.yaml": {"apiVersion": 1, "datasources": sources}});
            }
            let mut ini = json!({});
            if let Some(u) = &own_url {
                ini["server"] = json!({ "root_url": u });
            }
            if let Some(idp) = &oidc {
                ini["auth.generic_oauth"] = json!({
                    "enabled": true,
                    "name": "Authentik",
                    "client_id": name,
                    "scopes": "openid profile email",
                    "auth_url": format!("{idp}/application/o/authorize/"),
                    "token_url": format!("{idp}/application/o/token/"),
                    "api_url": format!("{idp}/application/o/userinfo/"),
                    "signout_redirect_url": format!("{idp}/application/o/{name}/end-session/"),
                });
            }
            if ini.as_object().is_some_and(|m| !m.is_empty()) {
                v["grafana.ini"] = ini;
            }
            v
        }
        "argo-cd" => {
            let mut cm = json!({});
            if let Some(u) = &own_url {
                cm["url"] = json!(u);
            }
            if let Some(idp) = &oidc {
                cm["oidc.config"] = json!(crate::yaml::to_yaml(&json!({
                    "name": "Authentik",
                    "issuer": format!("{idp}/application/o/{name}/"),
                    "clientID": name,
                    "clientSecret": argocd_client_secret(s),
                    "requestedScopes": ["openid", "profile", "email", "groups"],
                })));
            }
            if cm.as_object().is_some_and(|m| m.is_empty()) {
                json!({})
            } else {
                json!({ "configs": { "cm": cm } })
            }
        }
        "authentik" => {
            let mut a = json!({});
            if let Some(pg) = deps_by_image(lab, s, "postgres") {
                a["postgresql"] = json!({ "host": host(pg), "port": *pg.port });
            }
            // Authentik 2025.10+ needs no Redis: the chart has no `redis` values any more.
            if a.as_object().is_some_and(|m| m.is_empty()) {
                json!({})
            } else {
                json!({ "authentik": a })
            }
        }
        _ => json!({}),
    }
}
