//! Edge and identity artifacts (issue 7) of the reference lab and the examples: every document
//! validates against the upstream schema in `../shared/schemas` (override with
//! `HLC_SHARED_DIR`), and the artifacts agree with each other and with the model — tunnel
//! targets are the Kubernetes Services, OIDC redirect URIs are the public URLs, every link has a
//! DNS record.

#![allow(clippy::disallowed_methods)] // tests read the labs and the shared schemas

use hlc_model::{Exposure, Lab};
use hlc_out::Artifact;
use hlc_render::{authentik, cloudflare, derive, render, RenderContext};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod common;
use common::{repo, shared};

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (set HLC_SHARED_DIR)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Evaluates and decodes a project (a directory holding `configs/main.ncl`).
fn lab(dir: &Path) -> Lab {
    let loaded = hlc_eval::load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let ev = hlc_eval::evaluate(loaded, &hlc_eval::EvalOptions::default());
    let root = ev
        .root
        .unwrap_or_else(|| panic!("{} does not evaluate: {:?}", dir.display(), ev.diags));
    let (lab, diags) = hlc_model::decode(&root);
    lab.unwrap_or_else(|| panic!("{} does not decode: {diags:?}", dir.display()))
}

struct Built {
    lab: Lab,
    files: BTreeMap<String, String>,
}

fn build(dir: &Path) -> Built {
    let lab = lab(dir);
    let arts: Vec<Artifact> = render(&lab, &RenderContext::default()).expect("render");
    let files = arts
        .into_iter()
        .map(|a| {
            let text = String::from_utf8(a.contents.to_vec()).expect("utf-8");
            (a.path.to_string(), text)
        })
        .collect();
    Built { lab, files }
}

fn reference() -> Built {
    build(&repo())
}

fn examples() -> Vec<Built> {
    vec![
        build(&repo().join("examples/minimal")),
        build(&repo().join("examples/multi-site")),
    ]
}

fn under<'a>(b: &'a Built, prefix: &'a str) -> impl Iterator<Item = (&'a String, &'a String)> {
    b.files.iter().filter(move |(p, _)| p.starts_with(prefix))
}

fn json_of(b: &Built, path: &str) -> Value {
    let text = b
        .files
        .get(path)
        .unwrap_or_else(|| panic!("no {path} in {:?}", b.files.keys().collect::<Vec<_>>()));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// YAML → JSON, application tags (`!Find` …) replaced by what `placeholder` gives for them.
fn yaml_to_json(
    v: &serde_norway::Value,
    placeholder: &dyn Fn(&str, &str) -> Value,
    key: &str,
) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => json!(b),
        Y::Number(n) => serde_json::from_str(&n.to_string()).expect("number"),
        Y::String(s) => json!(s),
        Y::Sequence(a) => Value::Array(
            a.iter()
                .map(|x| yaml_to_json(x, placeholder, key))
                .collect(),
        ),
        Y::Mapping(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let k = k.as_str().expect("string key").to_string();
                    let x = yaml_to_json(x, placeholder, &k);
                    (k, x)
                })
                .collect(),
        ),
        Y::Tagged(t) => placeholder(&t.tag.to_string(), key),
    }
}

fn yaml_docs(text: &str) -> Vec<serde_norway::Value> {
    use serde::Deserialize;
    serde_norway::Deserializer::from_str(text)
        .map(|d| serde_norway::Value::deserialize(d).expect("YAML"))
        .collect()
}

fn plain_yaml(text: &str) -> Vec<Value> {
    let none = |t: &str, _: &str| -> Value { panic!("unexpected tag {t}") };
    yaml_docs(text)
        .iter()
        .map(|d| yaml_to_json(d, &none, ""))
        .collect()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .build(schema)
        .unwrap_or_else(|e| panic!("schema: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid:\n{}\n{doc:#}",
        errors.join("\n")
    );
}

fn cf_schema(name: &str) -> Value {
    read_json(&shared().join("schemas/cloudflare").join(name))
}

/// The Access schemas of 2024 lack the `oidc` rule (claim name/value/IdP) that Cloudflare added
/// later for generic OpenID Connect providers (see the schema NOTES and the Terraform v5 docs,
/// `include.oidc`: `claim_name`, `claim_value`, `identity_provider_id`, all required). Added to
/// the rule `oneOf` in exactly that shape, so every other rule kind is still checked as is.
fn with_oidc_rule(mut schema: Value) -> Value {
    let oidc = json!({
        "type": "object",
        "required": ["oidc"],
        "properties": { "oidc": {
            "type": "object",
            "required": ["claim_name", "claim_value", "identity_provider_id"],
            "properties": {
                "claim_name": { "type": "string" },
                "claim_value": { "type": "string" },
                "identity_provider_id": { "type": "string" },
            },
            "additionalProperties": false,
        }},
    });
    schema["$defs"]["access_rule"]["oneOf"]
        .as_array_mut()
        .expect("access_rule oneOf")
        .push(oidc);
    schema
}

#[test]
fn tunnel_configurations_validate_and_end_with_the_catch_all() {
    let schema = validator(&cf_schema("tunnel-configuration.request.schema.json"));
    let full = cf_schema("tunnel-configuration.schema.json");
    let create_def = full["$defs"]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.contains("create") && k.ends_with("__request"))
        .expect("create-tunnel request def")
        .clone();
    let mut create_schema = full.clone();
    create_schema["$ref"] = json!(format!("#/$defs/{create_def}"));
    let create = validator(&create_schema);
    let mut checked = 0;
    for b in std::iter::once(reference()).chain(examples()) {
        for (tname, t) in &b.lab.tunnels {
            let dir = format!("cloudflare/tunnels/{tname}");
            let body = json_of(&b, &format!("{dir}/tunnel.json"));
            assert_valid(&create, &body, &format!("{dir}/tunnel.json"));
            let ingress = match *t.source {
                hlc_model::TunnelSource::Cloudflare => {
                    let path = format!("{dir}/configuration.json");
                    let body = json_of(&b, &path);
                    assert_valid(&schema, &body, &path);
                    assert!(!b.files.contains_key(&format!("{dir}/config.yml")));
                    body["config"]["ingress"].clone()
                }
                hlc_model::TunnelSource::Local => {
                    let path = format!("{dir}/config.yml");
                    let doc = plain_yaml(&b.files[&path]).remove(0);
                    assert!(doc["tunnel"].is_string() && doc["credentials-file"].is_string());
                    doc["ingress"].clone()
                }
            };
            let rules = ingress.as_array().expect("ingress");
            let (last, rest) = rules.split_last().expect("non-empty ingress");
            assert_eq!(last, &json!({ "service": "http_status:404" }), "{dir}");
            assert_eq!(
                rest.len(),
                t.services.len(),
                "{dir}: one rule per routed service"
            );
            for r in rest {
                let keys: BTreeSet<&str> =
                    r.as_object().unwrap().keys().map(|k| k.as_str()).collect();
                assert!(
                    keys.contains("hostname"),
                    "{dir}: only the last rule may be a catch-all"
                );
                assert!(
                    keys.is_subset(&BTreeSet::from([
                        "hostname",
                        "service",
                        "path",
                        "originRequest"
                    ])),
                    "{keys:?}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "tunnels checked: {checked}");
}

#[test]
fn dns_records_validate_and_are_proxied_cnames_to_their_tunnel() {
    let schema = validator(&cf_schema("dns-record.request.schema.json"));
    let b = reference();
    let mut n = 0;
    for (path, text) in under(&b, "cloudflare/dns/") {
        let rec: Value = serde_json::from_str(text).unwrap();
        assert_valid(&schema, &rec, path);
        assert_eq!(rec["type"], "CNAME");
        assert_eq!(rec["proxied"], true);
        let sname = path
            .trim_start_matches("cloudflare/dns/")
            .trim_end_matches(".json");
        let (tname, _) = cloudflare::tunnel_of(&b.lab, sname).expect("routed");
        assert_eq!(
            rec["content"],
            format!(
                "{}.cfargotunnel.com",
                cloudflare::tunnel_id_placeholder(tname)
            )
        );
        n += 1;
    }
    let published = b
        .lab
        .services
        .values()
        .filter(|s| matches!(*s.exposure, Exposure::Public | Exposure::Access))
        .count();
    assert_eq!(n, published, "one record per published service");
}

#[test]
fn access_applications_and_policies_validate_and_admit_only_groups() {
    let apps = validator(&with_oidc_rule(cf_schema("access-application.schema.json")));
    let policies = validator(&with_oidc_rule(cf_schema("access-policy.schema.json")));
    // The unmodified schemas still reject an unknown rule kind: the extension is that narrow.
    let bogus = json!({ "name": "x", "decision": "allow", "include": [{ "oidcc": {} }] });
    assert!(!policies.is_valid(&bogus));
    let b = reference();
    let access: Vec<_> = b
        .lab
        .services
        .iter()
        .filter(|(_, s)| *s.exposure == Exposure::Access)
        .collect();
    assert!(access.len() >= 3);
    for (name, s) in access {
        let path = format!("cloudflare/access/{name}.json");
        let app = json_of(&b, &path);
        assert_valid(&apps, &app, &path);
        assert_eq!(app["domain"], json!(derive::fqdn(&b.lab, s).unwrap()));
        let mut policy = app["policies"][0].clone();
        policy.as_object_mut().unwrap().remove("precedence");
        assert_valid(&policies, &policy, &format!("{path} policy"));
        let include = policy["include"].as_array().unwrap();
        assert!(
            !include.is_empty(),
            "{path}: a policy without include admits nobody or everyone"
        );
        let groups: Vec<&str> = include
            .iter()
            .map(|r| {
                assert!(
                    r.get("everyone").is_none() && r.get("email").is_none(),
                    "{r}"
                );
                r["oidc"]["claim_value"].as_str().unwrap()
            })
            .collect();
        assert_eq!(groups, cloudflare::allowed_groups(&b.lab, s));
        for g in groups {
            assert!(
                b.lab.identity.groups.contains_key(g),
                "{g} is an identity group"
            );
        }
    }
    // Nothing personal: no e-mail address of any user in any Cloudflare artifact.
    for u in b.lab.identity.users.values() {
        for (p, t) in under(&b, "cloudflare/") {
            assert!(!t.contains(u.email.as_str()), "{p} holds an e-mail address");
        }
    }
}

/// Top-level attributes of a resource, from the provider's generated docs (`## Schema`).
fn tf_attributes(resource: &str) -> BTreeSet<String> {
    let doc = resource.trim_start_matches("cloudflare_");
    let path = shared().join(format!(
        "schemas/cloudflare/terraform-provider-v5/docs/{doc}.md"
    ));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema = text.split("## Schema").nth(1).expect("## Schema");
    let top = schema.split("<a id=\"nestedatt").next().unwrap();
    top.lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect()
}

/// Attribute names of one nested block (`include.oidc`, `config.ingress`).
fn tf_nested(resource: &str, block: &str) -> BTreeSet<String> {
    let doc = resource.trim_start_matches("cloudflare_");
    let path = shared().join(format!(
        "schemas/cloudflare/terraform-provider-v5/docs/{doc}.md"
    ));
    let text = std::fs::read_to_string(&path).unwrap();
    let head = format!("### Nested Schema for `{block}`");
    let section = text
        .split(&head)
        .nth(1)
        .unwrap_or_else(|| panic!("{doc}: no {head}"));
    let section = section.split("<a id=").next().unwrap();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn terraform_json_uses_only_known_resources_and_attributes() {
    let known = [
        "cloudflare_dns_record",
        "cloudflare_zero_trust_access_application",
        "cloudflare_zero_trust_access_group",
        "cloudflare_zero_trust_access_policy",
        "cloudflare_zero_trust_tunnel_cloudflared",
        "cloudflare_zero_trust_tunnel_cloudflared_config",
    ];
    for b in std::iter::once(reference()).chain(examples()) {
        let main = json_of(&b, "cloudflare/terraform/main.tf.json");
        let vars = json_of(&b, "cloudflare/terraform/variables.tf.json");
        let declared: BTreeSet<&str> = vars["variable"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let text = b.files["cloudflare/terraform/main.tf.json"].clone();
        // Every `var.x` is declared; no literal id anywhere (32-hex account/zone ids, UUIDs).
        for part in text.split("${var.").skip(1) {
            let name = part.split('}').next().unwrap();
            assert!(declared.contains(name), "undeclared variable {name}");
        }
        assert!(!text
            .chars()
            .collect::<Vec<_>>()
            .windows(32)
            .any(|w| w.iter().all(|c| c.is_ascii_hexdigit())));
        let resources = main["resource"].as_object().expect("resource");
        for (kind, blocks) in resources {
            assert!(
                known.contains(&kind.as_str()),
                "unknown resource type {kind}"
            );
            let attrs = tf_attributes(kind);
            assert!(
                attrs.len() >= 3 && !attrs.contains("bogus"),
                "{kind}: {attrs:?}"
            );
            for (name, body) in blocks.as_object().unwrap() {
                for key in body.as_object().unwrap().keys() {
                    assert!(
                        attrs.contains(key),
                        "{kind}.{name}: unknown attribute {key} (known: {attrs:?})"
                    );
                }
                if kind == "cloudflare_zero_trust_access_policy" {
                    let oidc = tf_nested(kind, "include.oidc");
                    for rule in body["include"].as_array().unwrap() {
                        let keys: BTreeSet<String> =
                            rule["oidc"].as_object().unwrap().keys().cloned().collect();
                        assert_eq!(keys, oidc);
                    }
                }
                if kind == "cloudflare_zero_trust_tunnel_cloudflared_config" {
                    let ingress = tf_nested(kind, "config.ingress");
                    for rule in body["config"]["ingress"].as_array().unwrap() {
                        for key in rule.as_object().unwrap().keys() {
                            assert!(ingress.contains(key), "ingress attribute {key}");
                        }
                    }
                }
            }
        }
    }
}

/// Authentik's tags → values of the type the schema expects: an integer primary key for
/// `provider`, a UUID otherwise; `!Env` a string.
fn authentik_placeholder(tag: &str, key: &str) -> Value {
    match (tag, key) {
        ("!Env", _) => json!("from-the-environment"),
        (_, "provider") => json!(1),
        _ => json!("3fa85f64-5717-4562-b3fc-2c963f66afa6"),
    }
}

#[test]
fn blueprints_validate_and_hold_no_secret() {
    let schema = read_json(&shared().join("schemas/authentik/schema.json"));
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("authentik schema");
    let b = reference();
    let mut n = 0;
    for (path, text) in under(&b, "authentik/blueprints/") {
        let docs = yaml_docs(text);
        assert_eq!(docs.len(), 1, "{path}");
        let doc = yaml_to_json(&docs[0], &authentik_placeholder, "");
        assert_valid(&v, &doc, path);
        // The schema is strict where it matters: a provider given as a UUID string is refused.
        if text.contains("!KeyOf") {
            let wrong = |t: &str, k: &str| -> Value {
                if k == "provider" {
                    json!("3fa85f64-5717-4562-b3fc-2c963f66afa6")
                } else {
                    authentik_placeholder(t, k)
                }
            };
            assert!(!v.is_valid(&yaml_to_json(&docs[0], &wrong, "")), "{path}");
        }
        n += 1;
    }
    let oidc: Vec<_> = b
        .lab
        .services
        .iter()
        .filter(|(_, s)| *s.auth == hlc_model::Auth::Oidc)
        .collect();
    assert_eq!(
        n,
        oidc.len() + 1,
        "one blueprint per OIDC service, plus the groups"
    );
    for (name, s) in oidc {
        let text = &b.files[&format!("authentik/blueprints/{name}.yaml")];
        let secret = authentik::client_secret_name(s).expect("declared client secret");
        assert!(
            text.contains(&format!(
                "client_secret: !Env {}",
                authentik::client_secret_env(secret)
            )),
            "{name}: the client secret comes from the environment"
        );
    }
}

#[test]
fn twingate_resources_validate_for_every_private_service() {
    let dir = shared().join("schemas/crds/twingate.com/operator-v2.0.0");
    let resource = validator(&read_json(&dir.join("twingateresource_v1beta.json")));
    let access = validator(&read_json(&dir.join("twingateresourceaccess_v1beta.json")));
    for b in std::iter::once(reference()).chain(examples()) {
        for (name, s) in &b.lab.services {
            let path = format!("twingate/{name}.yaml");
            if *s.exposure != Exposure::Private {
                assert!(!b.files.contains_key(&path));
                continue;
            }
            let docs = plain_yaml(&b.files[&path]);
            assert_eq!(docs[0]["kind"], "TwingateResource");
            assert_valid(&resource, &docs[0], &path);
            assert_eq!(
                docs[0]["spec"]["protocols"]["tcp"]["ports"],
                json!([{ "start": *s.port, "end": *s.port }])
            );
            let groups: Vec<&str> = docs[1..]
                .iter()
                .map(|d| {
                    assert_eq!(d["apiVersion"], "twingate.com/v1beta");
                    assert_eq!(d["kind"], "TwingateResourceAccess");
                    assert_valid(&access, d, &path);
                    assert_eq!(
                        d["spec"]["resourceRef"]["name"],
                        docs[0]["metadata"]["name"]
                    );
                    d["spec"]["principalExternalRef"]["name"].as_str().unwrap()
                })
                .collect();
            assert!(!groups.is_empty(), "{path}: nobody may reach it");
            assert_eq!(groups, cloudflare::allowed_groups(&b.lab, s));
        }
    }
}

#[test]
fn homepage_services_have_the_skeletons_shape() {
    // The skeleton shipped by homepage: a list of single-key groups, each a list of single-key
    // services whose properties are a map.
    let skeleton = plain_yaml(
        &std::fs::read_to_string(shared().join("schemas/homepage/skeleton/services.yaml")).unwrap(),
    );
    let allowed: BTreeSet<&str> = BTreeSet::from([
        "href",
        "description",
        "icon",
        "target",
        "ping",
        "siteMonitor",
        "statusStyle",
        "server",
        "container",
        "namespace",
        "app",
        "podSelector",
        "widget",
        "widgets",
    ]);
    let b = reference();
    let doc = plain_yaml(&b.files["homepage/services.yaml"]).remove(0);
    for list in [&skeleton[0], &doc] {
        for group in list.as_array().expect("list of groups") {
            let (_, services) = group
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.iter().next())
                .expect("single-key group");
            for svc in services.as_array().expect("list of services") {
                let (_, props) = svc
                    .as_object()
                    .filter(|o| o.len() == 1)
                    .and_then(|o| o.iter().next())
                    .expect("single-key service");
                if list == &doc {
                    for k in props.as_object().expect("properties").keys() {
                        assert!(allowed.contains(k.as_str()), "unknown service key {k}");
                    }
                }
            }
        }
    }
    let groups: Vec<&String> = doc
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g.as_object().unwrap().keys())
        .collect();
    assert_eq!(groups, ["Public", "Admin"]);
}

/// The hostname of an `https://host[/…]` URL.
fn host_of(url: &str) -> &str {
    url.trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap()
}

#[test]
fn artifacts_agree_with_each_other_and_with_the_kubernetes_services() {
    let b = reference();
    let dns: BTreeMap<String, Value> = under(&b, "cloudflare/dns/")
        .map(|(_, t)| {
            let v: Value = serde_json::from_str(t).unwrap();
            (v["name"].as_str().unwrap().to_string(), v)
        })
        .collect();

    // Kubernetes Services rendered for the clusters (by the cluster renderer), by (namespace,
    // name) → ports.
    let mut k8s: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for (p, t) in under(&b, "clusters/") {
        if !p.ends_with(".yaml") {
            continue;
        }
        let Ok(docs) = std::panic::catch_unwind(|| plain_yaml(t)) else {
            continue;
        };
        for d in docs {
            if d["kind"] == "Service" && d["apiVersion"] == "v1" {
                let key = (
                    d["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    d["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                );
                let ports = d["spec"]["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["port"].as_i64())
                    .collect();
                k8s.insert(key, ports);
            }
        }
    }

    // 1. Every tunnel target is the in-cluster URL of the routed service's Kubernetes Service,
    //    and has a DNS record for its hostname.
    let mut routes = 0;
    let mut matched = 0;
    for (tname, t) in &b.lab.tunnels {
        let body = json_of(
            &b,
            &format!("cloudflare/tunnels/{tname}/configuration.json"),
        );
        let rules = body["config"]["ingress"].as_array().unwrap();
        for (rule, sname) in rules.iter().zip(&t.services) {
            let s = &b.lab.services[sname.as_str()];
            let fqdn = derive::fqdn(&b.lab, s).unwrap();
            assert_eq!(rule["hostname"], json!(fqdn));
            let url = derive::cluster_url(s).expect("routed services run in a cluster");
            assert_eq!(rule["service"], json!(url));
            let expected = format!(
                "http://{}.{}.svc.cluster.local:{}",
                s.service_name.as_str(),
                s.namespace.as_str(),
                *s.port
            );
            assert_eq!(url.replacen("https://", "http://", 1), expected);
            let key = (s.namespace.value.clone(), s.service_name.value.clone());
            // A service installed from an image gets its Service from the cluster renderer; a
            // chart's Service is named by the chart (the model's `service_name`).
            if s.chart.is_none() && !k8s.is_empty() {
                assert!(
                    k8s.contains_key(&key),
                    "{}: no Kubernetes Service {key:?}",
                    sname.value
                );
            }
            if let Some(ports) = k8s.get(&key) {
                matched += 1;
                assert!(
                    ports.contains(&*s.port),
                    "{}: the Service does not expose {}",
                    sname.value,
                    *s.port
                );
            }
            assert!(dns.contains_key(&fqdn), "{fqdn} has no DNS record");
            routes += 1;
        }
    }
    assert_eq!(routes, dns.len());
    assert!(
        k8s.is_empty() || matched >= 3,
        "tunnel targets matched to rendered Services: {matched}"
    );

    // 2. Every OIDC redirect URI is the service's public URL.
    let env = |_: &str, _: &str| json!("tag");
    for (p, t) in under(&b, "authentik/blueprints/") {
        let doc = yaml_to_json(&yaml_docs(t)[0], &env, "");
        for e in doc["entries"].as_array().unwrap() {
            if e["model"] != "authentik_providers_oauth2.oauth2provider" {
                continue;
            }
            let name = e["identifiers"]["name"].as_str().unwrap();
            let s = &b.lab.services[name];
            let public = format!("https://{}", derive::fqdn(&b.lab, s).unwrap());
            let uris = e["attrs"]["redirect_uris"].as_array().unwrap();
            assert_eq!(uris.len(), 1, "{p}");
            assert_eq!(uris[0]["matching_mode"], "regex");
            let re = uris[0]["url"].as_str().unwrap();
            assert_eq!(re, format!("^{}/.*$", public.replace('.', "\\.")), "{p}");
            // The regex admits the public URL's paths and nothing on another host.
            let body = re
                .trim_start_matches('^')
                .trim_end_matches("/.*$")
                .replace("\\.", ".");
            assert_eq!(body, public);
            assert!(
                dns.contains_key(host_of(&public)),
                "{p}: {public} has no DNS record"
            );
        }
    }

    // 3. Every Homepage link has a DNS record, and every published service has a link.
    let home = plain_yaml(&b.files["homepage/services.yaml"]).remove(0);
    let mut links = BTreeSet::new();
    for g in home.as_array().unwrap() {
        for svcs in g.as_object().unwrap().values() {
            for svc in svcs.as_array().unwrap() {
                for props in svc.as_object().unwrap().values() {
                    let href = props["href"].as_str().unwrap();
                    assert!(
                        dns.contains_key(host_of(href)),
                        "homepage link {href} has no DNS record"
                    );
                    links.insert(host_of(href).to_string());
                }
            }
        }
    }
    assert_eq!(links, dns.keys().cloned().collect::<BTreeSet<_>>());

    // 4. Every Access application is for a hostname with a DNS record.
    for (p, t) in under(&b, "cloudflare/access/") {
        let app: Value = serde_json::from_str(t).unwrap();
        assert!(dns.contains_key(app["domain"].as_str().unwrap()), "{p}");
    }
}

/// Copies the reference lab's `.ncl` files to a fresh directory, applies `edit` to one file, and
/// returns every finding of evaluation, decoding and the rules as (code, file, line).
fn findings_after(file: &str, edit: &dyn Fn(&str) -> String) -> Vec<(String, String, u32)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hlc-edge-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let configs = dir.join("configs");
    std::fs::create_dir_all(&configs).unwrap();
    for e in std::fs::read_dir(repo().join("configs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "ncl") {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            let text = if name == file { edit(&text) } else { text };
            std::fs::write(configs.join(&name), text).unwrap();
        }
    }
    let loaded = hlc_eval::load(&dir).unwrap();
    let ev = hlc_eval::evaluate(loaded, &hlc_eval::EvalOptions::default());
    let mut diags: Vec<hlc_diag::Diagnostic> = ev.diags.iter().cloned().collect();
    if let Some(root) = &ev.root {
        let (lab, d) = hlc_model::decode(root);
        diags.extend(d);
        if let Some(lab) = lab {
            diags.extend(hlc_check::check(&lab).1);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    diags
        .iter()
        .map(|d| {
            let l = d.span.and_then(|s| ev.sources.locate(s));
            (
                d.code.to_string(),
                l.as_ref().map(|l| l.file.clone()).unwrap_or_default(),
                l.map(|l| l.line).unwrap_or(0),
            )
        })
        .collect()
}

/// Issue 7's acceptance on the reference lab: Grafana made public, Grafana's Access removed, a
/// tunnel pointed at a missing service — each an error with its own code at the `.ncl` line.
#[test]
fn reference_lab_mistakes_fail_at_their_line() {
    let clean = findings_after("services.ncl", &|t| t.to_string());
    for code in ["HLC401", "HLC420", "HLC421", "HLC422", "HLC423", "HLC424"] {
        assert!(
            !clean.iter().any(|f| f.0 == code),
            "the reference lab reports {code}"
        );
    }
    let exposure = "exposure = 'access,";
    let grafana_access = |t: &str| {
        let at = t.find("  grafana = {").expect("grafana");
        at + t[at..].find(exposure).expect("grafana exposure")
    };
    let services = std::fs::read_to_string(repo().join("configs/services.ncl")).unwrap();
    let line = services[..grafana_access(&services)].lines().count() as u32;
    let tunnels = std::fs::read_to_string(repo().join("configs/tunnels.ncl")).unwrap();
    let tline = tunnels
        .lines()
        .position(|l| l.contains("\"grafana\"]"))
        .expect("prod tunnel routes grafana") as u32
        + 1;
    let has = |f: &[(String, String, u32)], code: &str, file: &str, line: u32| {
        f.iter()
            .any(|x| x.0 == code && x.1 == format!("configs/{file}") && x.2 == line)
    };

    // Grafana public.
    let f = findings_after("services.ncl", &|t| {
        let i = grafana_access(t);
        format!("{}exposure = 'public,{}", &t[..i], &t[i + exposure.len()..])
    });
    assert!(has(&f, "HLC401", "services.ncl", line), "{f:?}");

    // Grafana's Access application removed: its exposure goes, the tunnel still routes it.
    let f = findings_after("services.ncl", &|t| {
        let i = grafana_access(t);
        format!("{}{}", &t[..i], &t[i + exposure.len()..])
    });
    assert!(has(&f, "HLC423", "tunnels.ncl", tline), "{f:?}");

    // A tunnel rule for a missing service; Grafana, no longer routed, loses its DNS record.
    let f = findings_after("tunnels.ncl", &|t| t.replace("\"grafana\"]", "\"grafna\"]"));
    assert!(has(&f, "HLC420", "tunnels.ncl", tline), "{f:?}");
    assert!(has(&f, "HLC422", "services.ncl", line), "{f:?}");
}

/// The edge renderers are linear: 2,000 published services over 20 tunnels render (API bodies,
/// Terraform, blueprints, Homepage) well within a second even unoptimised.
#[test]
fn two_thousand_published_services_render_quickly() {
    let text =
        std::fs::read_to_string(repo().join("compiler/render/tests/golden/homelab/input.json"))
            .unwrap();
    let mut input: Value = serde_json::from_str(&text).unwrap();
    let lab = &mut input["lab"];
    let cluster = lab["clusters"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let group = lab["identity"]["groups"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let mut services = serde_json::Map::new();
    let mut tunnels = serde_json::Map::new();
    for t in 0..20 {
        let conn = format!("cloudflared-{t}");
        services.insert(
            conn.clone(),
            json!({ "cluster": cluster, "namespace": "cloudflared", "port": 2000,
                    "scheme": "http", "exposure": "internal", "auth": "none", "admin": false }),
        );
        let routed: Vec<String> = (0..100).map(|i| format!("app-{t}-{i}")).collect();
        for (i, n) in routed.iter().enumerate() {
            let access = i % 2 == 0;
            services.insert(
                n.clone(),
                json!({ "cluster": cluster, "namespace": format!("ns-{t}"), "port": 8080,
                        "scheme": "http", "exposure": if access { "access" } else { "public" },
                        "auth": if access { "oidc" } else { "none" }, "admin": access,
                        "hostname": n, "groups": [group],
                        "secrets": [] }),
            );
        }
        tunnels.insert(
            format!("t{t}"),
            json!({ "connector": conn, "source": "cloudflare", "services": routed }),
        );
    }
    lab["services"] = Value::Object(services);
    lab["tunnels"] = Value::Object(tunnels);
    lab["secrets"] = json!({});
    let (decoded, diags) = hlc_model::decode(&hlc_diag::Node::from_json(lab));
    let lab = decoded.unwrap_or_else(|| panic!("{diags:?}"));
    let ctx = RenderContext::default();
    let start = std::time::Instant::now();
    let mut n = 0;
    n += cloudflare::render(&lab, &ctx).unwrap().len();
    n += authentik::render(&lab, &ctx).unwrap().len();
    n += hlc_render::twingate::render(&lab, &ctx).unwrap().len();
    n += hlc_render::homepage::render(&lab, &ctx).unwrap().len();
    let took = start.elapsed();
    eprintln!("edge renderers: {n} artifacts for 2,000 published services in {took:?}");
    // 20 × (tunnel + configuration) + 2,000 DNS + 1,000 Access + 2 Terraform
    // + 1,000 blueprints (+ groups) + 1 Homepage.
    assert_eq!(n, 40 + 2000 + 1000 + 2 + 1000 + 1 + 1);
}
