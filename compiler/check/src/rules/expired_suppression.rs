//! HLC002 expired-suppression: a suppression past its `expires` date.

rule! {
    code: "HLC002",
    name: "expired-suppression",
    severity: Warning,
    summary: "a suppression's `expires` date is before the date given with `--date`",
    doc: r#"# HLC002 expired-suppression

**What.** An entry of `policy.suppress` has `expires = "YYYY-MM-DD"` and the date passed with
`hlc check --date` / `hlc build --date` is later. The suppression no longer applies: the
findings it allowed are reported again, and this warning points at the expiry.

**Why.** Temporary exceptions ("public until the Access policy is in place") must come back to
someone's attention. hlc never reads the clock (the same inputs give the same result on any
day), so the date is an input: CI passes today's date (`--date "$(date -u +%F)"`); without
`--date`, expiry dates are not compared and suppressions apply.

**Example.**

```nickel
policy.suppress = [
  { code = "HLC402", path = "services.grafana", justification = "SSO lands next sprint", expires = "2026-03-31" },
],
```

and `hlc check --date 2026-04-02`.

**Fix.** Fix the finding and remove the suppression, or, if the exception is still justified,
move `expires` forward and say why in `justification`.
"#,
}
