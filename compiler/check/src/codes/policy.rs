//! `HLC00x` codes reported while decoding `policy` (the rest of `HLC00x` are rules).

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "HLC003",
        summary: "a suppression has an empty justification",
        doc: r#"# HLC003 suppression without justification

**What.** An entry of `policy.suppress` has a `justification` that is empty or blank (a missing
one is HLC102).

**Why.** A suppression turns a finding off for good; the reason is the only thing a reviewer, or
you in a year, has to decide whether it still holds.

**Example.** `policy.suppress = [{ code = "HLC401", path = "services.home", justification = "" }]`

**Fix.** Say why the finding is acceptable, and add `expires = "YYYY-MM-DD"` if it is temporary.
"#,
    },
    CodeDoc {
        code: "HLC005",
        summary: "a rule of `policy.rules` has an invalid or duplicate code",
        doc: r#"# HLC005 invalid user rule code

**What.** A rule of `policy.rules` has a `code` that is not 2-32 upper-case letters, digits,
`-` or `_` starting with a letter, starts with `HLC` (reserved for hlc's own codes), or is used
by another rule of the lab.

**Why.** Codes identify findings in `policy.severity`, `policy.suppress`, SARIF and annotations;
two rules with one code, or a lab rule shadowing a built-in one, would make those ambiguous.

**Example.** `policy.rules = [{ code = "HLC401", … }]`

**Fix.** Give each rule its own code with a prefix of your own, e.g. `LAB001`.
"#,
    },
    CodeDoc {
        code: "HLC006",
        summary: "a rule of `policy.rules` returned something that is not an existing config path",
        doc: r#"# HLC006 user rule returned a bad config path

**What.** A rule's `check` returned an element that is not a config path (a string such as
`"services.home"`, an array of names, or `{ path, message }`) — an error — or a path that names
no value of the evaluated lab — a warning; that finding is reported without a source position.

**Why.** A finding must point at the value it concerns, so that the error shows the `.ncl` line,
and suppressions can name its path.

**Example.** `check = fun lab => ["service.home"]` (the lab has `services`, not `service`).

**Fix.** Build paths from the lab you are given, e.g.
`lab.services |> std.record.to_array |> std.array.map (fun e => "services.%{e.field}")`; `hlc
eval PATH` shows whether a path exists.
"#,
    },
];
