//! `terraform/oci/main.tf.json`: the Oracle Cloud estate of an OCI site — VCN, public subnet,
//! internet gateway, route table, one security list holding exactly the site's declared
//! `ingress` / `egress` rules (each described by its reason), one `VM.Standard.A1.Flex`
//! instance per cloud machine with its fixed private address and its block volumes (created
//! with the instance), and the site's budget with its alert rules. Every resource carries
//! `freeform_tags` naming the lab (and, on instances, the cluster and role). Tenancy,
//! compartment, availability domain, the Talos image OCID and the alert recipients are
//! variables.
//!
//! Each Talos node's `user_data` is its machine config, base64-encoded by Terraform from a
//! *sensitive variable* the operator fills at apply time from the SOPS file hlc wrote
//! (`TF_VAR_talos_config_<node>="$(sops decrypt out/talos/<cluster>/<node>.yaml)"`): the config
//! holds the cluster's secrets, so it is never inlined here. [`user_data_configs`] lists those
//! files; the build checks their size against OCI's metadata limit (HLC707), because only the
//! build sees the plaintext.

use super::{expr, file, ident, lit, output, terraform_block, variable, OCI_PROVIDER};
use crate::talos::schematic::{self, image_url, schematic_id};
use crate::RenderError;
use hlc_model::{Lab, MachineKind, NetworkKind, Os, SecurityRule, SiteKind};
use hlc_out::Artifact;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const TARGET: &str = "terraform";

fn protocol_number(p: &str) -> &'static str {
    match p {
        "icmp" => "1",
        "tcp" => "6",
        "udp" => "17",
        _ => "all",
    }
}

/// A float that is a whole number as a JSON integer (`6`, not `6.0`), else as a float.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// The tags every resource of the lab carries.
fn tags(lab_name: &str, extra: &[(&str, &str)]) -> Value {
    let mut m = Map::new();
    m.insert("lab".into(), json!(lit(lab_name)));
    m.insert("managed-by".into(), json!("hlc"));
    for (k, v) in extra {
        m.insert((*k).into(), json!(lit(v)));
    }
    Value::Object(m)
}

/// The Terraform variable holding a node's plaintext machine config.
fn config_variable(machine: &str) -> String {
    format!("talos_config_{}", ident(machine))
}

/// The Talos machine configs that OCI instances read as `user_data`, as
/// `(machine, path under out/)`, in machine order: every Talos cloud machine of an OCI site
/// with a cluster.
pub fn user_data_configs(lab: &Lab) -> Vec<(String, String)> {
    lab.machines
        .iter()
        .filter(|(_, m)| m.kind.value == MachineKind::Cloud && m.os.value == Os::Talos)
        .filter(|(_, m)| {
            m.site
                .as_ref()
                .and_then(|s| lab.sites.get(s.as_str()))
                .is_some_and(|s| s.kind.value == SiteKind::Oci)
        })
        .filter_map(|(name, m)| {
            let c = m.cluster.as_ref()?;
            lab.clusters
                .contains_key(c.as_str())
                .then(|| (name.clone(), format!("talos/{}/{name}.yaml", c.value)))
        })
        .collect()
}

fn rule(r: &SecurityRule, peer_key: &str, fallback: &str) -> Value {
    let mut m = Map::new();
    m.insert("protocol".into(), json!(protocol_number(r.protocol.value)));
    m.insert(peer_key.into(), json!(r.peer.value.to_string()));
    m.insert(format!("{peer_key}_type"), json!("CIDR_BLOCK"));
    m.insert("stateless".into(), json!(false));
    let reason = r
        .reason
        .as_ref()
        .map(|r| r.value.as_str())
        .unwrap_or(fallback);
    m.insert("description".into(), json!(lit(reason)));
    if let Some(p) = &r.port {
        let key = if r.protocol.value == "udp" {
            "udp_options"
        } else {
            "tcp_options"
        };
        m.insert(key.into(), json!({"min": p.value, "max": p.value}));
    }
    if let Some(t) = &r.icmp_type {
        let mut o = Map::new();
        o.insert("type".into(), json!(t.value));
        if let Some(c) = &r.icmp_code {
            o.insert("code".into(), json!(c.value));
        }
        m.insert("icmp_options".into(), Value::Object(o));
    }
    Value::Object(m)
}

pub fn render(lab: &Lab) -> Result<Vec<Artifact>, RenderError> {
    let sites: Vec<_> = lab
        .sites
        .iter()
        .filter(|(_, s)| s.kind.value == SiteKind::Oci)
        .collect();
    let mut out = Vec::new();
    for (site_name, site) in &sites {
        let dir = if sites.len() == 1 {
            "oci".to_string()
        } else {
            format!("oci-{site_name}")
        };
        out.extend(render_site(lab, site_name, site, &dir)?);
    }
    Ok(out)
}

fn render_site(
    lab: &Lab,
    site_name: &str,
    site: &hlc_model::Site,
    dir: &str,
) -> Result<Vec<Artifact>, RenderError> {
    let mut sources: BTreeSet<String> = BTreeSet::from([site.origin.path.clone()]);
    let mut resource: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    let mut outputs = Map::new();
    let mut config_vars: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut subnet_vars: BTreeMap<String, String> = BTreeMap::new();
    let compartment = expr("var.compartment_ocid");
    let lab_name = lab.name.value.clone();
    let site_tags = tags(&lab_name, &[("site", site_name)]);
    let dns = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(15)
            .collect()
    };

    let vcns: Vec<_> = lab
        .networks
        .iter()
        .filter(|(_, n)| n.site.as_str() == site_name && n.kind.value == NetworkKind::Vcn)
        .collect();
    for (vname, v) in &vcns {
        sources.insert(v.origin.path.clone());
        let vid = ident(vname);
        resource.entry("oci_core_vcn").or_default().insert(
            vid.clone(),
            json!({
                "compartment_id": compartment,
                "cidr_blocks": [v.cidr.value.to_string()],
                "display_name": lit(&format!("{lab_name}-{vname}")),
                "dns_label": dns(&lab_name),
                "freeform_tags": site_tags,
            }),
        );
        resource
            .entry("oci_core_internet_gateway")
            .or_default()
            .insert(
                vid.clone(),
                json!({
                    "compartment_id": compartment,
                    "vcn_id": expr(&format!("oci_core_vcn.{vid}.id")),
                    "display_name": lit(&format!("{lab_name}-{vname}-igw")),
                    "enabled": true,
                    "freeform_tags": site_tags,
                }),
            );
        resource.entry("oci_core_route_table").or_default().insert(vid.clone(), json!({
            "compartment_id": compartment,
            "vcn_id": expr(&format!("oci_core_vcn.{vid}.id")),
            "display_name": lit(&format!("{lab_name}-{vname}-public")),
            "freeform_tags": site_tags,
            "route_rules": [{
                "network_entity_id": expr(&format!("oci_core_internet_gateway.{vid}.id")),
                "destination": "0.0.0.0/0",
                "destination_type": "CIDR_BLOCK",
                "description": "Default route to the Internet (egress; inbound is limited by the security list)",
            }],
        }));
        let ingress: Vec<Value> = site.ingress.iter().map(|r| rule(r, "source", "")).collect();
        let egress: Vec<Value> = site
            .egress
            .iter()
            .map(|r| rule(r, "destination", "declared egress"))
            .collect();
        let mut sl = Map::new();
        sl.insert("compartment_id".into(), compartment.clone());
        sl.insert("vcn_id".into(), expr(&format!("oci_core_vcn.{vid}.id")));
        sl.insert(
            "display_name".into(),
            json!(lit(&format!("{lab_name}-{vname}-zero-trust"))),
        );
        sl.insert("freeform_tags".into(), site_tags.clone());
        if !ingress.is_empty() {
            sl.insert("ingress_security_rules".into(), Value::Array(ingress));
        }
        if !egress.is_empty() {
            sl.insert("egress_security_rules".into(), Value::Array(egress));
        }
        resource
            .entry("oci_core_security_list")
            .or_default()
            .insert(vid.clone(), Value::Object(sl));
        outputs.insert(
            format!("{vid}_vcn_id"),
            output(
                expr(&format!("oci_core_vcn.{vid}.id")),
                &format!("OCID of VCN {vname}"),
            ),
        );
    }
    for (sname, s) in lab
        .networks
        .iter()
        .filter(|(_, n)| n.site.as_str() == site_name && n.kind.value == NetworkKind::Subnet)
    {
        let Some(parent) = s.parent.as_ref().map(|p| ident(p)) else {
            continue;
        };
        sources.insert(s.origin.path.clone());
        let sid = ident(sname);
        resource.entry("oci_core_subnet").or_default().insert(
            sid.clone(),
            json!({
                "compartment_id": compartment,
                "vcn_id": expr(&format!("oci_core_vcn.{parent}.id")),
                "cidr_block": s.cidr.value.to_string(),
                "display_name": lit(&format!("{lab_name}-{sname}")),
                "dns_label": dns(sname),
                "freeform_tags": site_tags,
                "route_table_id": expr(&format!("oci_core_route_table.{parent}.id")),
                "security_list_ids": [expr(&format!("oci_core_security_list.{parent}.id"))],
                "prohibit_public_ip_on_vnic": false,
            }),
        );
        outputs.insert(
            format!("{sid}_subnet_id"),
            output(
                expr(&format!("oci_core_subnet.{sid}.id")),
                &format!("OCID of subnet {sname}"),
            ),
        );
    }

    let mut images = BTreeMap::new();
    for (name, m) in lab.machines.iter().filter(|(_, m)| {
        m.kind.value == MachineKind::Cloud
            && m.site.as_ref().is_some_and(|s| s.as_str() == site_name)
    }) {
        sources.insert(m.origin.path.clone());
        let id = ident(name);
        let subnet = ident(m.network.as_str());
        let rendered_subnet = lab.networks.get(m.network.as_str()).is_some_and(|n| {
            n.site.as_str() == site_name
                && n.kind.value == NetworkKind::Subnet
                && n.parent.is_some()
        });
        let mut vnic = Map::new();
        if rendered_subnet {
            vnic.insert(
                "subnet_id".into(),
                expr(&format!("oci_core_subnet.{subnet}.id")),
            );
        } else {
            // Not an OCI subnet of this site in the model: its OCID is the operator's to give.
            let var = format!("subnet_ocid_{subnet}");
            vnic.insert("subnet_id".into(), expr(&format!("var.{var}")));
            subnet_vars.insert(var, m.network.value.clone());
        }
        vnic.insert("assign_public_ip".into(), json!("true"));
        // The Talos hostname (machine names are DNS labels, which OCI hostname labels accept).
        vnic.insert("hostname_label".into(), json!(lit(name)));
        if let Some(a) = &m.address {
            vnic.insert("private_ip".into(), json!(a.value.to_string()));
            outputs.insert(
                format!("{id}_private_ip"),
                output(
                    json!(a.value.to_string()),
                    &format!("Private IPv4 address of {name}"),
                ),
            );
        }
        let talos = m
            .cluster
            .as_ref()
            .and_then(|c| lab.clusters.get(c.as_str()).map(|cl| (c.as_str(), cl)))
            .filter(|_| m.os.value == Os::Talos);
        let mut inst = Map::new();
        inst.insert(
            "availability_domain".into(),
            expr("var.availability_domain"),
        );
        inst.insert("compartment_id".into(), compartment.clone());
        inst.insert("display_name".into(), json!(name));
        inst.insert(
            "shape".into(),
            json!(lit(m
                .shape
                .as_ref()
                .map(|s| s.as_str())
                .unwrap_or("VM.Standard.A1.Flex"))),
        );
        inst.insert(
            "shape_config".into(),
            json!({"ocpus": number(m.cpu.value.as_f64()), "memory_in_gbs": number(m.memory.value.gib())}),
        );
        let mut inst_tags = vec![("site", site_name)];
        if let Some(c) = &m.cluster {
            inst_tags.push(("cluster", c.as_str()));
        }
        if let Some(r) = &m.role {
            inst_tags.push((
                "role",
                match r.value {
                    hlc_model::Role::Controlplane => "control-plane",
                    hlc_model::Role::Worker => "worker",
                },
            ));
        }
        inst.insert("freeform_tags".into(), tags(&lab_name, &inst_tags));
        // Block volumes, created and attached (paravirtualized) at launch.
        let volumes: Vec<Value> = m
            .block_volumes
            .iter()
            .map(|(vname, v)| {
                json!({
                    "type": "paravirtualized",
                    "display_name": lit(&format!("{name}-{vname}")),
                    "launch_create_volume_details": {
                        "volume_creation_type": "ATTRIBUTES",
                        "display_name": lit(&format!("{name}-{vname}")),
                        "size_in_gbs": (v.size.value.gib().ceil() as i64).to_string(),
                    },
                })
            })
            .collect();
        if !volumes.is_empty() {
            inst.insert("launch_volume_attachments".into(), Value::Array(volumes));
        }
        inst.insert("create_vnic_details".into(), Value::Object(vnic));
        inst.insert("preserve_boot_volume".into(), json!(false));
        inst.insert("agent_config".into(), json!({"are_all_plugins_disabled": true, "is_management_disabled": true, "is_monitoring_disabled": true}));
        let mut src = Map::new();
        src.insert("source_type".into(), json!("image"));
        src.insert(
            "boot_volume_size_in_gbs".into(),
            json!((m.disk.value.gib().ceil() as i64).to_string()),
        );
        if let Some((cname, c)) = talos {
            sources.insert(c.origin.path.clone());
            let sch = schematic::for_cluster(c);
            if let Ok(sid) = schematic_id(&sch) {
                let version = schematic::factory_version(&c.talos_version.to_string());
                let var = ident(&format!(
                    "talos-image-{}-{}",
                    &sid[..8],
                    version.replace('.', "-")
                ));
                images.insert(
                    var.clone(),
                    (
                        image_url(&sid, &version, "oracle-arm64.qcow2"),
                        schematic::installer_image(
                            schematic::platform(MachineKind::Cloud),
                            &sid,
                            &version,
                        ),
                    ),
                );
                src.insert("source_id".into(), expr(&format!("var.{var}")));
            }
            let cfg = format!("talos/{cname}/{name}.yaml");
            let var = config_variable(name);
            inst.insert(
                "metadata".into(),
                json!({"user_data": expr(&format!("base64encode(var.{var})"))}),
            );
            config_vars.insert(var, (name.to_string(), cfg));
        }
        inst.insert("source_details".into(), Value::Object(src));
        resource
            .entry("oci_core_instance")
            .or_default()
            .insert(id.clone(), Value::Object(inst));
        outputs.insert(
            format!("{id}_public_ip"),
            output(
                expr(&format!("oci_core_instance.{id}.public_ip")),
                &format!("Public IPv4 address of {name}"),
            ),
        );
    }

    let mut variables = Map::new();
    variables.insert(
        "region".into(),
        variable(
            "string",
            "OCI region (the tenancy's home region: Always Free resources exist only there)",
            site.region.as_ref().map(|r| json!(r.value)),
            false,
        ),
    );
    variables.insert(
        "tenancy_ocid".into(),
        variable(
            "string",
            "OCID of the tenancy (budgets live in its root compartment)",
            None,
            false,
        ),
    );
    variables.insert(
        "compartment_ocid".into(),
        variable(
            "string",
            "OCID of the compartment holding the lab's resources",
            None,
            false,
        ),
    );
    variables.insert(
        "availability_domain".into(),
        variable(
            "string",
            "Availability domain name, e.g. `Uocm:EU-PARIS-1-AD-1` (tenancy-specific)",
            None,
            false,
        ),
    );
    for (var, net) in &subnet_vars {
        variables.insert(
            var.clone(),
            variable(
                "string",
                &format!("OCID of the subnet for network {net} (the lab does not declare it as a subnet of this site)"),
                None,
                false,
            ),
        );
    }
    for (var, (machine, cfg)) in &config_vars {
        variables.insert(
            var.clone(),
            variable(
                "string",
                &format!(
                    "Talos machine config of {machine} (plaintext YAML; Terraform base64-encodes it into the instance's user_data). It holds the cluster's secrets: set it from the encrypted file at apply time, TF_VAR_{var}=\"$(sops decrypt ../../{cfg})\""
                ),
                None,
                true,
            ),
        );
    }
    for (var, (url, installer)) in &images {
        variables.insert(
            var.clone(),
            variable(
                "string",
                &format!("OCID of the custom image imported from {url} (installer {installer})"),
                None,
                false,
            ),
        );
    }

    if let Some(b) = &site.budget {
        sources.insert(b.origin.path.clone());
        let bid = ident(site_name);
        resource.entry("oci_budget_budget").or_default().insert(bid.clone(), json!({
            "compartment_id": expr("var.tenancy_ocid"),
            "amount": b.amount.value,
            "reset_period": "MONTHLY",
            "target_type": "COMPARTMENT",
            "targets": [expr("var.compartment_ocid")],
            "display_name": lit(&format!("{lab_name}-{site_name}-budget")),
            "freeform_tags": site_tags,
            "description": lit(&format!("Monthly budget of site {site_name}{}", if site.free_tier.value { " (Always Free: any spend is drift)" } else { "" })),
        }));
        for a in &b.alerts {
            let kind = a.kind.value.to_ascii_uppercase();
            let t = a.threshold.value;
            let tname = if t.fract() == 0.0 {
                format!("{}", t as i64)
            } else {
                format!("{t}").replace('.', "_")
            };
            resource.entry("oci_budget_alert_rule").or_default().insert(format!("{bid}_{}_{tname}", a.kind.value), json!({
                "budget_id": expr(&format!("oci_budget_budget.{bid}.id")),
                "type": kind,
                "threshold": number(t),
                "threshold_type": "PERCENTAGE",
                "recipients": expr("var.budget_alert_recipients"),
                "display_name": lit(&format!("{lab_name}-{site_name}-{}-{tname}pct", a.kind.value)),
                "freeform_tags": site_tags,
                "message": lit(&format!("{} spend reached {tname}% of the {site_name} budget", if a.kind.value == "actual" { "Actual" } else { "Forecast" })),
            }));
        }
        if !b.alerts.is_empty() {
            variables.insert(
                "budget_alert_recipients".into(),
                variable(
                    "string",
                    "E-mail address(es) budget alerts go to, comma-separated (\"\" = none)",
                    Some(json!("")),
                    false,
                ),
            );
        }
    }

    let providers = vec![("oci", OCI_PROVIDER)];
    let mut doc = json!({
        "//": "Generated by hlc from the lab model. Do not edit. OCI credentials come from the environment or ~/.oci/config; each Talos node's machine config comes from a sensitive variable (TF_VAR_talos_config_<node>, see its description), never from this file.",
        "terraform": terraform_block(&providers),
        "provider": {"oci": {"region": expr("var.region")}},
        "variable": variables,
        "output": outputs,
    });
    let res: Map<String, Value> = resource
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::Object(v)))
        .collect();
    if !res.is_empty() {
        doc["resource"] = Value::Object(res);
    }
    Ok(vec![file(
        TARGET,
        &format!("terraform/{dir}/main.tf.json"),
        doc,
        sources.into_iter().collect(),
    )?])
}
