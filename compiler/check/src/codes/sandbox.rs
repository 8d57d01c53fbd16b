//! `HLC01x`: the loader's sandbox, which admits only files under the project root or the
//! embedded library, before anything is evaluated.

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "HLC010",
        summary: "an import uses an absolute path",
        doc: r#"# HLC010 absolute import

**What.** `import "/etc/…"`: an import names an absolute path.

**Why.** A build must depend only on the project's files (and the built-in library), so that
the same checkout gives the same `out/` on any machine and a configuration cannot read, and
leak into `out/`, files such as SSH keys. hlc refuses the import before reading the file.

**Example.** `let net = import "/home/me/lab/networks.ncl" in …`

**Fix.** Import project files by a path relative to the importing file (`import "networks.ncl"`).
"#,
    },
    CodeDoc {
        code: "HLC011",
        summary: "an import leaves the project root",
        doc: r#"# HLC011 import outside the project

**What.** An import's relative path (`../…`) resolves outside the directory that holds
`configs/`.

**Why.** As for absolute imports (HLC010): the project is the build's only input.

**Example.** `import "../../shared/secrets.ncl"`

**Fix.** Move or copy the file into the project, or pass the value in another way.
"#,
    },
    CodeDoc {
        code: "HLC012",
        summary: "an import (or configs/main.ncl) is a symbolic link out of the project",
        doc: r#"# HLC012 symbolic link out of the project

**What.** A file the configuration imports, or `configs/main.ncl` itself, is a symbolic link
whose target lies outside the project root.

**Why.** A link would let a harmless-looking relative import read any file on the machine.

**Fix.** Replace the link by the file, or a link that stays inside the project.
"#,
    },
    CodeDoc {
        code: "HLC013",
        summary: "an imported file does not exist or cannot be imported",
        doc: r#"# HLC013 import error

**What.** An `import` names a file that does not exist (or is not a file Nickel can import:
`.ncl`, `.json`, `.yaml`, `.toml`, `.txt`).

**Example.** `sites = import "site.ncl"` when the file is `sites.ncl`.

**Fix.** Check the path; it is relative to the importing file. The library is `import "hlc.ncl"`.
"#,
    },
    CodeDoc {
        code: "HLC014",
        summary: "a Nickel package import is not supported",
        doc: r#"# HLC014 package import

**What.** `import some_package`: Nickel's package imports fetch code from outside the project.

**Why.** hlc builds are hermetic: only the project and the embedded library are inputs.

**Fix.** Vendor the code into the project and import it by relative path.
"#,
    },
    CodeDoc {
        code: "HLC015",
        summary: "an imported file is not UTF-8 text",
        doc: r#"# HLC015 source is not UTF-8

**What.** A configuration source contains bytes that are not UTF-8.

**Why.** Positions in diagnostics and the digests in the lock are computed over text.

**Fix.** Re-encode the file as UTF-8.
"#,
    },
];
