//! `clusters/<cluster>/resilience/backup.yaml` (issue 12): the Velero `BackupStorageLocation`s
//! and `Schedule`s of a cluster, derived from the lab's `backups` and the services' own `backup`.
//!
//! Every policy of the cluster ([`hlc_model::Lab::backup_plans`]) becomes one `Schedule` in the
//! namespace of the cluster's Velero release, writing to the `BackupStorageLocation` named after
//! its store (bucket, `prefix`, region and S3 endpoint from `backups.stores`, credentials from the
//! store's `credentials`, or Velero's own). A cluster-wide policy backs up its namespaces (all but Kubernetes' own and
//! Velero's when it lists none); a service's own policy backs up the resources of its release
//! (`app.kubernetes.io/instance`) in its namespace. Volumes go through the node agent's
//! file-system backup (kopia), never volume snapshots. The `ttl` is the retention; the store's
//! lifecycle is derived from the same retentions (`terraform/<site>/backup.tf.json`).

use hlc_model::resilience::{BackupPlan, Schedule, UNBACKED_NAMESPACES};
use hlc_model::Lab;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The documents of a cluster's backups and the config paths they come from; empty when the
/// cluster has no policy or no Velero.
pub fn documents(lab: &Lab, cluster: &str) -> (Vec<Value>, BTreeSet<String>) {
    let mut sources = BTreeSet::new();
    let Some((agent_name, agent)) = lab.backup_agent(cluster) else {
        return (Vec::new(), sources);
    };
    let ns = agent.namespace.as_str();
    let plans: Vec<BackupPlan> = lab
        .backup_plans()
        .into_iter()
        .filter(|p| p.cluster.value == cluster)
        .collect();
    if plans.is_empty() {
        return (Vec::new(), sources);
    }
    sources.insert(format!("services.{agent_name}"));
    let mut locations: BTreeMap<&str, Value> = BTreeMap::new();
    let mut schedules = Vec::new();
    for plan in &plans {
        let Some(store_ref) = &plan.store else {
            continue;
        };
        let store_name = store_ref.value.as_str();
        let Some(store) = lab.backups.stores.get(store_name) else {
            continue;
        };
        sources.insert(plan.path.clone());
        sources.insert(store.origin.path.clone());
        sources.insert(store_ref.path.clone());
        sources.insert(plan.schedule.path.clone());
        sources.insert(plan.retention.path.clone());
        locations.entry(store_name).or_insert_with(|| {
            let mut config = serde_json::Map::new();
            if let Some(r) = &store.region {
                config.insert("region".into(), json!(r.value));
            }
            if let Some(e) = store.s3_endpoint() {
                config.insert("s3Url".into(), json!(e));
            }
            config.insert("s3ForcePathStyle".into(), json!("true"));
            let mut object_storage = json!({ "bucket": store.bucket.value });
            let prefix = store.prefix.trim_matches('/');
            if !prefix.is_empty() {
                object_storage["prefix"] = json!(prefix);
            }
            let mut spec = json!({
                "provider": "aws",
                "objectStorage": object_storage,
                "config": config,
                "accessMode": "ReadWrite",
            });
            if let Some((secret, key)) = &store.credentials {
                spec["credential"] = json!({ "name": secret.value, "key": key.value });
            }
            json!({
                "apiVersion": "velero.io/v1",
                "kind": "BackupStorageLocation",
                "metadata": { "name": store_name, "namespace": ns,
                    "labels": { "app.kubernetes.io/managed-by": "hlc" } },
                "spec": spec,
            })
        });
        let mut template = serde_json::Map::new();
        if plan.namespaces.is_empty() {
            template.insert("includedNamespaces".into(), json!(["*"]));
            let mut excluded: BTreeSet<&str> = UNBACKED_NAMESPACES.iter().copied().collect();
            excluded.insert(ns);
            template.insert("excludedNamespaces".into(), json!(excluded));
        } else {
            let included: BTreeSet<&str> = plan.namespaces.iter().copied().collect();
            template.insert("includedNamespaces".into(), json!(included));
        }
        if let Some(release) = plan.release {
            template.insert(
                "labelSelector".into(),
                json!({ "matchLabels": { super::INSTANCE_LABEL: release } }),
            );
        }
        template.insert("storageLocation".into(), json!(store_name));
        template.insert("ttl".into(), json!(plan.retention.value.value.go()));
        template.insert("snapshotVolumes".into(), json!(false));
        template.insert("defaultVolumesToFsBackup".into(), json!(plan.volumes));
        let when = Schedule::parse(&plan.schedule.value.value)
            .map(|s| s.describe())
            .unwrap_or_default();
        schedules.push(json!({
            "apiVersion": "velero.io/v1",
            "kind": "Schedule",
            "metadata": {
                "name": plan.name,
                "namespace": ns,
                "labels": { "app.kubernetes.io/managed-by": "hlc" },
                "annotations": {
                    "hlc/runs": when,
                    "hlc/retention": plan.retention.value.value.to_string(),
                },
            },
            "spec": {
                "schedule": plan.schedule.value.value,
                "useOwnerReferencesInBackup": false,
                "template": template,
            },
        }));
    }
    let mut docs: Vec<Value> = locations.into_values().collect();
    docs.extend(schedules);
    (docs, sources)
}
