//! `terraform/<oci dir>/backup.tf.json` (issue 12): the Object Storage buckets of the lab's
//! `'oci` backup stores, in the Terraform of their OCI site (the same folder as `main.tf.json`,
//! whose variables it uses), each with its lifecycle policy:
//!
//! * the bucket: private, Standard tier (F2: Velero cannot read Archive-tier objects), no
//!   versioning (a deleted backup must really go, or it counts against the quota forever);
//! * one DELETE rule for the store's `lifecycle.prefixes` (default: `<prefix>/backups/`) after
//!   `lifecycle.days` — or, when the store sets none, after the longest retention of the policies
//!   writing to it plus one day, so the lifecycle is derived from the same retentions as the
//!   Velero `Schedule`s and cannot delete a backup Velero still lists;
//! * the IAM policy without which OCI's lifecycle engine cannot delete anything
//!   (`Allow service objectstorage-<region> to manage object-family …`);
//! * the tenancy's Object Storage namespace, read from the API and checked against the model's
//!   (the S3 endpoint Velero uses is derived from it), and the endpoint as an output.

use super::{expr, file, ident, lit, output};
use crate::RenderError;
use hlc_model::resilience::StoreKind;
use hlc_model::{Lab, SiteKind};
use hlc_out::Artifact;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

const TARGET: &str = "terraform";

/// The Terraform folder of an OCI site, as `oci.rs` names it.
fn site_dir(lab: &Lab, site: &str) -> Option<String> {
    let oci: Vec<&String> = lab
        .sites
        .iter()
        .filter(|(_, s)| s.kind.value == SiteKind::Oci)
        .map(|(n, _)| n)
        .collect();
    if !oci.iter().any(|n| n.as_str() == site) {
        return None;
    }
    Some(if oci.len() == 1 {
        "oci".to_string()
    } else {
        format!("oci-{site}")
    })
}

pub fn render(lab: &Lab) -> Result<Vec<Artifact>, RenderError> {
    // Folder → stores.
    let mut by_dir: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, store) in &lab.backups.stores {
        if store.kind.value != StoreKind::Oci {
            continue;
        }
        let Some(site) = &store.site else { continue };
        if let Some(dir) = site_dir(lab, site.as_str()) {
            by_dir.entry(dir).or_default().push(name);
        }
    }
    let mut out = Vec::new();
    for (dir, stores) in by_dir {
        let mut sources: BTreeSet<String> = BTreeSet::new();
        let mut buckets = Map::new();
        let mut lifecycles = Map::new();
        let mut outputs = Map::new();
        let mut postconditions = Vec::new();
        let ns_expr = "data.oci_objectstorage_namespace.this.namespace";
        for name in stores {
            let store = &lab.backups.stores[name];
            let id = ident(name);
            sources.insert(store.origin.path.clone());
            buckets.insert(
                id.clone(),
                json!({
                    "compartment_id": expr("var.compartment_ocid"),
                    "namespace": expr(ns_expr),
                    "name": lit(&store.bucket.value),
                    "access_type": "NoPublicAccess",
                    "storage_tier": "Standard",
                    "versioning": "Disabled",
                    "freeform_tags": { "managed-by": "hlc", "backup-store": lit(name) },
                }),
            );
            if let Some(days) = lab.store_lifecycle_days(name) {
                for p in lab.backup_plans() {
                    if p.store.as_ref().is_some_and(|s| s.value.value == *name) {
                        sources.insert(p.retention.path.clone());
                    }
                }
                let prefixes: BTreeSet<String> = store
                    .lifecycle_prefixes
                    .iter()
                    .map(|p| lit(&store.object_prefix(p.value.trim_start_matches('/'))))
                    .collect();
                let derived = store.lifecycle_days.is_none();
                lifecycles.insert(
                    id.clone(),
                    json!({
                        "namespace": expr(ns_expr),
                        "bucket": expr(&format!("oci_objectstorage_bucket.{id}.name")),
                        "rules": [{
                            "name": if derived { "expire-backups-after-longest-retention" } else { "expire-backups" },
                            "action": "DELETE",
                            "target": "objects",
                            "is_enabled": true,
                            "time_amount": days,
                            "time_unit": "DAYS",
                            "object_name_filter": { "inclusion_prefixes": prefixes },
                        }],
                        "depends_on": ["oci_identity_policy.objectstorage_lifecycle"],
                    }),
                );
            }
            if let Some(ns) = &store.namespace {
                postconditions.push(json!({
                    "condition": expr(&format!("self.namespace == \"{}\"", lit(&ns.value))),
                    "error_message": lit(&format!(
                        "the tenancy's Object Storage namespace is not `{}`, which backups.stores.{name}.namespace declares (Velero's S3 endpoint is derived from it)",
                        ns.value
                    )),
                }));
            }
            if let Some(r) = &store.region {
                outputs.insert(
                    format!("{id}_s3_endpoint"),
                    output(
                        Value::String(format!(
                            "https://${{{ns_expr}}}.compat.objectstorage.{}.oraclecloud.com",
                            lit(&r.value)
                        )),
                        &format!("S3-compatible endpoint of backup store {name} (Velero's s3Url)"),
                    ),
                );
            }
        }
        let mut ns_data = json!({ "compartment_id": expr("var.compartment_ocid") });
        if !postconditions.is_empty() {
            ns_data["lifecycle"] = json!({ "postcondition": postconditions });
        }
        let mut resource = Map::new();
        resource.insert("oci_objectstorage_bucket".into(), Value::Object(buckets));
        if !lifecycles.is_empty() {
            resource.insert(
                "oci_objectstorage_object_lifecycle_policy".into(),
                Value::Object(lifecycles),
            );
            resource.insert(
                "oci_identity_policy".into(),
                json!({ "objectstorage_lifecycle": {
                    "compartment_id": expr("var.compartment_ocid"),
                    "name": lit(&format!("{}-objectstorage-lifecycle", lab.name.as_str())),
                    "description": "Lets Object Storage apply the backup buckets' lifecycle policies",
                    "statements": [
                        "Allow service objectstorage-${var.region} to manage object-family in compartment id ${var.compartment_ocid}"
                    ],
                } }),
            );
        }
        let doc = json!({
            "//": "Generated by hlc from the lab's backups (backups.stores). Do not edit. Uses the variables of main.tf.json in this folder.",
            "data": { "oci_objectstorage_namespace": { "this": ns_data } },
            "resource": resource,
            "output": outputs,
        });
        out.push(file(
            TARGET,
            &format!("terraform/{dir}/backup.tf.json"),
            doc,
            sources.into_iter().collect(),
        )?);
    }
    Ok(out)
}
