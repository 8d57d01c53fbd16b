//! HLC201 unknown-reference: a name that names nothing. The references are enumerated and
//! resolved by [`crate::graph`]; this file holds the rule's documentation and its message.

use hlc_diag::Diagnostic;
use hlc_model::decode::suggest;
use hlc_model::Sp;

rule! {
    code: "HLC201",
    name: "unknown-reference",
    severity: Error,
    summary: "a reference names an entity the lab does not declare",
    doc: r#"# HLC201 unknown-reference

**What.** A value that refers to another entity by name names nothing: a machine's `host`,
`site`, `network`, `cluster` or `datastore`; a host's `site` or `network`; a network's `site` or
`parent`; where a service runs (`cluster`, `machine` or `host`), its `depends_on`, `secrets` and
`groups`; `identity.provider` and `identity.admin_group`; a user's `groups`.

**Why.** Every artifact hlc renders is derived by following these names. A misspelt name would
otherwise silently drop a node from a cluster, a secret from a deployment or a group from an
Access policy.

**Example.**

```nickel
machines.talos-dev = { kind = 'vm, host = "pve1", … }   # the host is called "pve"
```

```text
error[HLC201]: machine `talos-dev` field `host` names `pve1`, but no such hosts exist
  help: did you mean `pve`?
```

**Fix.** Correct the name (the help line suggests the closest declared one), or declare the
missing entity.
"#,
}

/// The finding for one unresolved reference. `candidates` are the declared names of the kind
/// referred to, sorted.
pub(crate) fn report<'a>(
    what: &str,
    plural: &str,
    section: &str,
    name: &Sp<String>,
    path: &str,
    candidates: impl Iterator<Item = &'a str> + Clone,
) -> Diagnostic {
    let help = match suggest(name.as_str(), candidates.clone()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            let list = crate::ext::list_names(candidates, 8);
            if list.is_empty() {
                format!("no {plural} are declared: add one under `{section}`")
            } else {
                format!("declared {plural}: {list}")
            }
        }
    };
    INFO.diag(format!(
        "{what} names `{}`, but there is no such entry in {plural}",
        name.value
    ))
    .with_path(path)
    .with_span(name.span)
    .with_help(help)
}
