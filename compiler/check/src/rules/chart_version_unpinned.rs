//! HLC450 chart-version-unpinned: a Helm chart without an exact version.

use crate::ext::at_path;
use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC450",
    name: "chart-version-unpinned",
    severity: Error,
    summary: "a service's Helm chart version is missing, `latest` or a range instead of one exact version",
    doc: r#"# HLC450 chart-version-unpinned

**What.** A service's chart (`chart.version`, or the version an app module pins or is given with
its `version` option) is not one exact `major.minor.patch` version (an optional `v` prefix and a
pre-release/build suffix are fine): it is empty, `latest`/`*`, a range (`^1.2`, `~1.2.0`,
`>=1.0`, `1.x`, `1.2 - 1.4`, `a || b`), or partial (`10`, `1.2`), which Helm also reads as a
range.

**Why.** Argo CD resolves a range at every sync: the same commit of `out/` deploys different
charts on different days, and a chart upgrade lands without review. The seed pinned Authentik to
the non-version `"10"` and ran a Docker copy on `latest` (inventory G6). A pinned version is what
makes `out/` a description of what runs.

**Example.**

```nickel
services.reloader.chart = { repo = "https://stakater.github.io/stakater-charts", name = "reloader", version = "^1.0" },
```

**Fix.** Write the exact version the chart repository publishes (`"1.0.72"`, or `"v1.14.4"` where
the chart's versions carry a `v`).
"#,
}

/// Why a version is not one exact version, if it is not.
pub fn unpinned(v: &str) -> Option<&'static str> {
    let t = v.trim();
    if t.is_empty() {
        return Some("it is empty");
    }
    if t.eq_ignore_ascii_case("latest") || t == "*" {
        return Some("it names no version");
    }
    if t.contains(['^', '~', '>', '<', '=', '*', ' ', '|', ',']) {
        return Some("it is a range");
    }
    let core = t.strip_prefix('v').unwrap_or(t);
    if core
        .split(['.', '-', '+'])
        .take(3)
        .any(|p| p.eq_ignore_ascii_case("x"))
    {
        return Some("it is a range");
    }
    // Helm reads `10` or `1.2` as a range too (any 10.x.y, any 1.2.z).
    let release = core.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = release.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Some(
            "it is not an exact major.minor.patch version (Helm reads a partial one as a range)",
        );
    }
    None
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, s) in &lab.services {
        let Some(chart) = &s.chart else { continue };
        let Some(why) = unpinned(&chart.version.value) else {
            continue;
        };
        // A chart from an app module is `app.chart` (the module's `version` option sets it).
        let field = if s.app.is_some() {
            "app.chart.version"
        } else {
            "chart.version"
        };
        out.push(
            INFO.diag(format!(
                "service `{name}` installs chart `{}` at version `{}`: {why}",
                chart.name.value, chart.version.value
            ))
            .with_path(at_path(&s.origin, field))
            .with_span(chart.version.span)
            .with_help("pin the exact chart version the repository publishes, e.g. \"1.0.72\""),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::unpinned;

    #[test]
    fn exact_versions_pass_and_the_rest_do_not() {
        for ok in ["1.0.72", "v1.14.4", "2026.8.0", "0.1.2", "1.2.3-rc.1"] {
            assert_eq!(unpinned(ok), None, "{ok}");
        }
        for bad in [
            "",
            "latest",
            "*",
            "^1.2",
            "~1.2.0",
            ">=1.0",
            "1.x",
            "1.2.X",
            "1.2 - 1.4",
            "1 || 2",
            "main",
            "10.*",
            "10",
            "1.2",
            "v1",
        ] {
            assert!(unpinned(bad).is_some(), "{bad}");
        }
    }
}
