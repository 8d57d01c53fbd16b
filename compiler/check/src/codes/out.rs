//! `HLC5xx`: the state of `out/` — what `hlc check` and `hlc build --check` verify against
//! `out/hlc.lock`, and failures to write it.

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "HLC501",
        summary: "out/ cannot be written or its lock cannot be read",
        doc: r#"# HLC501 out/ error

**What.** `hlc build` could not update `out/`: the lock is not valid, a path in `out/` is owned
by something hlc did not write, a symbolic link is in the way, or an earlier build was
interrupted in a way hlc cannot recover from by itself.

**Fix.** Read the message; restore `out/` from git (`git checkout -- out/`) and build again.
"#,
    },
    CodeDoc {
        code: "HLC502",
        summary: "a file in out/ differs from what the build produces",
        doc: r#"# HLC502 out/ drift

**What.** A file under `out/` was edited by hand, deleted, or added, or (`hlc build --check`)
is not what building the current configuration would write.

**Why.** `out/` is what the tools that act (ArgoCD, talosctl, Terraform) consume; it must be
exactly the compiler's output of the committed configuration, or reviews of `configs/` say
nothing about what is deployed.

**Fix.** Do not edit `out/`; change `configs/` and run `hlc build`, then commit both.
"#,
    },
    CodeDoc {
        code: "HLC503",
        summary: "the configuration changed since out/ was built",
        doc: r#"# HLC503 inputs changed since the build

**What.** `hlc check` found that a configuration source, the hlc library (a different hlc
version) or an encrypted secret file has another digest than the one recorded in
`out/hlc.lock`.

**Fix.** Run `hlc build` and commit `out/` together with the configuration change.
"#,
    },
    CodeDoc {
        code: "HLC504",
        summary: "out/hlc.lock is missing",
        doc: r#"# HLC504 no lock

**What.** `out/hlc.lock` does not exist: the project was never built, or `out/` was deleted.

**Fix.** Run `hlc build` and commit `out/`.
"#,
    },
];
