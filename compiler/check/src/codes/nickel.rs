//! `HLC02x`: errors Nickel reports while parsing, typechecking or evaluating the configuration.
//! The message, spans and notes are Nickel's own; the code tells what kind of error it is.

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "HLC020",
        summary: "Nickel syntax error",
        doc: r#"# HLC020 syntax error

**What.** A `.ncl` file does not parse: a missing comma or brace, a stray `=`, an unterminated
string.

**Fix.** Look at the position shown; often the real mistake is on the line before (a missing
`,` between record fields). See the Nickel manual for the grammar.
"#,
    },
    CodeDoc {
        code: "HLC021",
        summary: "Nickel type error",
        doc: r#"# HLC021 type error

**What.** A statically typed expression (`let x : Number = …`, a function with a type
annotation) does not typecheck.

**Fix.** Fix the type, or drop the annotation if the value is dynamic; contracts (`|`) are
checked at evaluation instead.
"#,
    },
    CodeDoc {
        code: "HLC022",
        summary: "a value breaks a contract of the library or of the configuration",
        doc: r#"# HLC022 contract violation

**What.** A value does not satisfy a contract: a string where the library expects a number, an
enum tag that is not one of the allowed ones in a typed position, a custom contract of yours.

**Example.** `machines.vm1.cpu = "two"` (`cpu | Number`).

**Fix.** Change the value so that it satisfies the contract shown in the notes.
"#,
    },
    CodeDoc {
        code: "HLC023",
        summary: "a closed record contract rejects an unknown field",
        doc: r#"# HLC023 unknown field (contract)

**What.** A record checked by a closed contract has a field the contract does not declare —
usually a typo. (The library's own records are open; hlc reports their unknown fields as
HLC114 after evaluation.)

**Fix.** Correct the field name, or declare the field in the contract.
"#,
    },
    CodeDoc {
        code: "HLC024",
        summary: "an undefined name or field is used",
        doc: r#"# HLC024 unbound identifier or missing field

**What.** An expression uses a variable that no `let` or function argument defines, or accesses
a record field that does not exist (`lab.sevices`).

**Fix.** Check the spelling; add the `let` or the field.
"#,
    },
    CodeDoc {
        code: "HLC025",
        summary: "evaluation does not terminate",
        doc: r#"# HLC025 infinite recursion or time-out

**What.** A value is defined in terms of itself (`a = b, b = a`), or evaluation did not finish
within hlc's time budget.

**Fix.** Break the cycle; look for a field that refers to itself through other fields or a
recursive function without a base case.
"#,
    },
    CodeDoc {
        code: "HLC026",
        summary: "the configuration nests too deeply",
        doc: r#"# HLC026 nesting too deep

**What.** A source file nests brackets, strings or interpolations more than 512 levels deep
(refused before Nickel parses it), or the evaluated configuration nests records or arrays
deeper than 256 levels.

**Why.** The limit keeps a runaway recursive definition from exhausting memory.

**Fix.** Flatten the structure; a homelab model needs only a few levels.
"#,
    },
    CodeDoc {
        code: "HLC027",
        summary: "the configuration does not evaluate to plain data",
        doc: r#"# HLC027 not exportable

**What.** A value that reaches the model is a function or another value that is not data
(outside `policy.rules[].check`, which the library turns into data itself).

**Fix.** Apply the function, or keep it in a `let` outside the exported record.
"#,
    },
    CodeDoc {
        code: "HLC028",
        summary: "another Nickel evaluation error",
        doc: r#"# HLC028 evaluation error

**What.** Nickel stopped on an error not covered by HLC020–HLC027: a failed assertion
(`std.fail_with`), a division by zero, calling something that is not a function, an array index
out of range.

**Fix.** Read Nickel's message and the position shown.
"#,
    },
];
