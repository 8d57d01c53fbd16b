//! HLC451 port-mismatch: a port the model declares is typed again, differently, in a chart's
//! values.

use crate::ext::at_path;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, Sp};

rule! {
    code: "HLC451",
    name: "port-mismatch",
    severity: Error,
    summary: "a chart's values set a Service port, pod port or metrics port other than the one the service declares",
    doc: r#"# HLC451 port-mismatch

**What.** A service's `port` (the Kubernetes Service port), `target_port` (the pods' port) and
`metrics.port` are declared once, on the service. For the charts whose Service layout hlc knows
(grafana, argo-cd, authentik, kube-prometheus-stack, the Twingate connector), hlc writes those
ports into the chart's values itself. This rule fires when the app's `values` — from the module
or from the lab's `values` option — type one of those value paths again with another number
(e.g. `service.port = 3000` on Grafana while the service says `port = 80`).

**Why.** Every consumer is derived from the service's port: the tunnel's origin URL, the network
policies, Grafana's datasource URLs, the Homepage link, the Twingate resource. A chart that opens
another port than the one they were derived from breaks all of them at once — the seed's tunnel
pointed at Grafana's `:3000` while its Service listened on 80 (inventory A2). With one place for
the port, a second, different one is a contradiction.

**Example.**

```nickel
services.grafana = {
  port = 80,
  app = hlc.modules.grafana { values = { service = { port = 3000 } } },
}
```

**Fix.** Remove the port from `values` and change the service's `port` / `target_port` /
`metrics.port` instead: every consumer follows.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, s) in &lab.services {
        let (Some(app), Some(chart)) = (&s.app, &s.chart) else {
            continue;
        };
        let Some(layout) = hlc_model::app::chart_service(chart.name.as_str()) else {
            continue;
        };
        let metrics = s.metrics.as_ref().map(|m| &m.port);
        // (values path, the model's port, its field, what it is)
        type Pair<'a> = (Option<&'a str>, Option<&'a Sp<i64>>, &'a str, &'a str);
        let pairs: [Pair; 3] = [
            (layout.port, Some(&s.port), "port", "the Service port"),
            (
                layout.target_port,
                Some(&s.target_port),
                "target_port",
                "the pods' port",
            ),
            (
                layout.metrics_port,
                metrics,
                "metrics.port",
                "the metrics port",
            ),
        ];
        for (path, model, field, what) in pairs {
            let (Some(path), Some(model)) = (path, model) else {
                continue;
            };
            let mut cur = &app.values.value;
            for p in path.split('.') {
                cur = &cur[p];
            }
            let Some(typed) = cur.as_i64() else { continue };
            if typed == model.value {
                continue;
            }
            let span = app
                .value_spans
                .get(path)
                .copied()
                .flatten()
                .or(app.values.span);
            out.push(
                INFO.diag(format!(
                    "service `{name}`: chart `{}` value `{path}` is {typed}, but the service declares {what} {}",
                    chart.name.value, model.value
                ))
                .with_path(at_path(&s.origin, &format!("app.values.{path}")))
                .with_span(span)
                .with_label(model.span, format!("`{field}` is {} here", model.value))
                .with_help(format!(
                    "remove `{path}` from the values and set the service's `{field}`: hlc writes it into the chart, and every consumer follows"
                )),
            );
        }
    }
}
