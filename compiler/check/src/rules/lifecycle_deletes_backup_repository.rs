//! HLC802 lifecycle-deletes-backup-repository: a store's lifecycle rule reaches the backup
//! tool's repository or metadata.

use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC802",
    name: "lifecycle-deletes-backup-repository",
    severity: Error,
    summary: "a backup store's lifecycle rule deletes the backup tool's repository or metadata",
    doc: r#"# HLC802 lifecycle-deletes-backup-repository

**What.** An entry of `backups.stores.<store>.lifecycle.prefixes` (relative to the store's
`prefix`) covers more than `backups/`: the whole store (`""`), or Velero's file-system backup
repositories (`kopia/`, `restic/`) or its metadata (`metadata/`).

**Why.** Velero keeps each backup's manifest under `backups/<name>/` — those may age out.
But file-system backups go to a kopia (or restic) repository of shared, content-addressed packs:
a pack written on day one is still referenced by today's backup. Deleting objects there by age
corrupts every backup, silently, including the newest. Velero expires backups and compacts its
repositories itself; the bucket lifecycle is only a safety net for `backups/`.

**Example.**

```nickel
backups.stores.oci.lifecycle = { days = 14, prefixes = ["backups/", "restic/"] },
```

**Fix.** Keep `prefixes = ["backups/"]` (the default).
"#,
}

/// Folders under a store's prefix that must never be deleted by age.
pub const PROTECTED: &[&str] = &["kopia/", "restic/", "metadata/"];

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, store) in &lab.backups.stores {
        for (i, p) in store.lifecycle_prefixes.iter().enumerate() {
            let rel = p.value.trim_start_matches('/');
            let hit: Vec<&str> = PROTECTED
                .iter()
                .copied()
                .filter(|d| d.starts_with(rel) || rel.starts_with(d))
                .collect();
            if hit.is_empty() {
                continue;
            }
            let shown = if rel.is_empty() {
                "the whole store".to_string()
            } else {
                format!("objects under `{}`", store.object_prefix(rel))
            };
            out.push(
                INFO.diag(format!(
                    "the lifecycle of store `{name}` deletes {shown} by age, reaching Velero's repositories or metadata ({})",
                    hit.iter()
                        .map(|h| format!("`{}`", store.object_prefix(h)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .with_path(format!("{}.lifecycle.prefixes[{i}]", store.origin.path))
                .with_span(p.span.or(store.origin.span))
                .with_help(
                    "let the lifecycle delete only `backups/` (`prefixes = [\"backups/\"]`): the repositories hold packs that newer backups still use",
                ),
            );
        }
    }
}
