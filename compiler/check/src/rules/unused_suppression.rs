//! HLC001 unused-suppression: a `policy.suppress` entry that allowed no finding.

rule! {
    code: "HLC001",
    name: "unused-suppression",
    severity: Warning,
    summary: "a suppression in `policy.suppress` matches no finding",
    doc: r#"# HLC001 unused-suppression

**What.** An entry of `policy.suppress` whose `code` (and `path`, if given) matched no finding of
this run.

**Why.** Suppressions outlive the problems they excused: once the finding is fixed, a stale
suppression would silently allow the next, unrelated finding of the same rule at that path. A
suppression whose code or path is misspelt never worked at all.

**Example.**

```nickel
policy.suppress = [
  { code = "HLC401", path = "services.home", justification = "status page is public on purpose" },
],
```

while `services.home` is not an admin service (so HLC401 never fires there).

**Fix.** Remove the suppression, or correct its `code` / `path` (a path covers that value and
everything below it; `hlc check --format json` shows the exact `path` of every finding).
"#,
}
