//! HLC202 dependency-cycle: services that depend on each other in a loop. Cycles are found by
//! [`crate::deps`]; this file holds the rule's documentation and its message.

use crate::ext::at_index;
use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC202",
    name: "dependency-cycle",
    severity: Error,
    summary: "services depend on each other in a cycle",
    doc: r#"# HLC202 dependency-cycle

**What.** Following `depends_on` from a service leads back to it: `a → b → c → a`.

**Why.** Dependencies order the deployment (ArgoCD sync waves: a service syncs after everything
it depends on) and derive network policies. A cycle has no order: nothing in it could ever be
deployed first.

**Example.**

```nickel
services.grafana.depends_on = ["prometheus"],
services.prometheus.depends_on = ["grafana"],
```

```text
error[HLC202]: dependency cycle: grafana → prometheus → grafana
```

**Fix.** Remove the dependency that is not real — usually the one that points "back" (a
dashboard depends on its data source, not the other way round). One finding is reported per
strongly connected group of services, showing its shortest cycle through the first service by
name, and points at the `depends_on` entry that closes it.
"#,
}

/// The finding for one cycle. `cycle` lists service names in dependency order, `cycle[i]`
/// depending on `cycle[i+1]` and the last on the first; `entries[i]` is the index in
/// `cycle[i]`'s `depends_on` of that dependency.
pub(crate) fn report(lab: &Lab, cycle: &[&str], entries: &[usize]) -> Option<Diagnostic> {
    let first = *cycle.first()?;
    let last_i = cycle.len() - 1;
    let mut text: Vec<&str> = cycle.to_vec();
    text.push(first);
    let closing = lab.services.get(cycle[last_i])?;
    let entry = *entries.get(last_i)?;
    let span = closing.depends_on.get(entry).and_then(|d| d.span);
    let mut d = INFO
        .diag(format!("dependency cycle: {}", text.join(" → ")))
        .with_path(at_index(&closing.origin, "depends_on", entry))
        .with_span(span)
        .with_help(format!(
            "remove one of these dependencies; `{}` depending on `{first}` closes the cycle",
            cycle[last_i]
        ));
    for (i, name) in cycle.iter().enumerate().take(last_i) {
        let next = cycle[i + 1];
        if let Some(s) = lab.services.get(*name) {
            let sp = entries
                .get(i)
                .and_then(|e| s.depends_on.get(*e))
                .and_then(|d| d.span);
            d = d.with_label(sp, format!("`{name}` depends on `{next}`"));
        }
    }
    Some(d)
}
