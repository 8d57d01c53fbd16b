//! `HLC1xx`: the decoder, which turns the evaluated configuration into the typed model and reports
//! every value it cannot accept with the config path and the `.ncl` span that set it.

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "HLC101",
        summary: "a value has the wrong type",
        doc: r#"# HLC101 wrong type

**What.** A field holds a value of another kind than the model expects: a string where a number is needed, a record where a list is.

**Example.** `machines.vm1.vmid = "101"`

**Fix.** Write the value as the kind named in the message (here: `vmid = 101`).
"#,
    },
    CodeDoc {
        code: "HLC102",
        summary: "a required field is missing",
        doc: r#"# HLC102 missing field

**What.** A record of the model lacks a field it needs (for instance a VM without `host`, a published service without `hostname`, a suppression without `justification`). The library's contracts mark such fields `optional` so that one run reports every missing field; hlc checks them after evaluation.

**Example.** `machines.vm1 = { kind = 'vm, cpu = 2 }` (no `host`, `memory`, …)

**Fix.** Add the field named in the message to the record shown.
"#,
    },
    CodeDoc {
        code: "HLC103",
        summary: "a value is not an IPv4 address",
        doc: r#"# HLC103 invalid IPv4 address

**What.** An address field is not four decimal octets 0-255 (leading zeros are refused: `010` is octal to some tools).

**Example.** `address = "192.168.1.300"`

**Fix.** Write a dotted-quad address such as `"192.168.68.51"`.
"#,
    },
    CodeDoc {
        code: "HLC104",
        summary: "a value is not an IPv4 CIDR",
        doc: r#"# HLC104 invalid CIDR

**What.** A network field is not `address/prefix` with a prefix from 0 to 32.

**Example.** `cidr = "10.0.0.0"`

**Fix.** Write the network and its prefix length, e.g. `"10.0.1.0/24"`.
"#,
    },
    CodeDoc {
        code: "HLC105",
        summary: "a CIDR has host bits set",
        doc: r#"# HLC105 CIDR with host bits

**What.** The address part of a CIDR is not the network address of its prefix (`10.0.1.5/24`). Tools disagree on what that means: some mask silently, some refuse.

**Example.** `cidr = "192.168.68.1/22"`

**Fix.** Write the network address the help line gives (`192.168.68.0/22`).
"#,
    },
    CodeDoc {
        code: "HLC106",
        summary: "a value is not a valid hostname",
        doc: r#"# HLC106 invalid hostname

**What.** A hostname (or an entity name, which becomes hostnames, VM and Kubernetes names) is not one DNS label: 1-63 characters, lower-case letters, digits and `-`, not starting or ending with `-`. Upper case is refused rather than folded, because the same name spelt two ways is a classic homelab bug; a dot is refused because the lab's domain is appended for you.

**Example.** `services.grafana.hostname = "Grafana"`

**Fix.** Write the label in lower case (`grafana`), without the domain.
"#,
    },
    CodeDoc {
        code: "HLC107",
        summary: "a value is not a fully qualified domain name",
        doc: r#"# HLC107 invalid domain name

**What.** The lab's `domain` (or another FQDN) is not at least two valid DNS labels, at most 253 characters.

**Example.** `domain = "localhost"`

**Fix.** Write the domain you own, e.g. `"example.org"`.
"#,
    },
    CodeDoc {
        code: "HLC108",
        summary: "a value is not a size",
        doc: r#"# HLC108 invalid size

**What.** A memory or disk size is not a whole number followed by a unit: B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000). Negative and unit-less sizes are refused.

**Example.** `memory = "4G"`

**Fix.** Write `"4GiB"` (or `"4GB"` if you mean 4·10⁹ bytes).
"#,
    },
    CodeDoc {
        code: "HLC109",
        summary: "a value is not a CPU count",
        doc: r#"# HLC109 invalid CPU count

**What.** A CPU count is zero, negative, has more than three decimals or is absurdly large.

**Example.** `cpu = 0`

**Fix.** Give the number of vCPUs (OCPUs on Oracle Cloud), e.g. `2`.
"#,
    },
    CodeDoc {
        code: "HLC110",
        summary: "an enum tag is not one of the allowed ones",
        doc: r#"# HLC110 unknown enum tag

**What.** A field that takes one of a fixed set of tags holds another (`exposure = 'publik`).

**Example.** `exposure = 'publik`

**Fix.** Use one of the tags listed in the message; the help suggests the closest.
"#,
    },
    CodeDoc {
        code: "HLC111",
        summary: "a value is not a version",
        doc: r#"# HLC111 invalid version

**What.** A version field (Talos, Kubernetes, chart) is not `major.minor.patch` (a leading `v` is allowed).

**Example.** `talos_version = "1.9"`

**Fix.** Write all three parts, e.g. `"1.9.5"`.
"#,
    },
    CodeDoc {
        code: "HLC112",
        summary: "a value is not a date",
        doc: r#"# HLC112 invalid date

**What.** A date (`limits_at`, a suppression's `expires`, a limit table's `from`) is not an existing ISO date `YYYY-MM-DD`.

**Example.** `expires = "31/12/2026"`

**Fix.** Write `"2026-12-31"`.
"#,
    },
    CodeDoc {
        code: "HLC113",
        summary: "a number is out of range",
        doc: r#"# HLC113 number out of range

**What.** A number is outside what the field allows (a VMID outside 100-999999999, a port outside 1-65535, a VLAN outside 1-4094, an overcommit ratio of 0), is not whole where it must be, or is too large to represent.

**Example.** `port = 70000`

**Fix.** Use a value in the range the message gives.
"#,
    },
    CodeDoc {
        code: "HLC114",
        summary: "a record has a field the model does not know",
        doc: r#"# HLC114 unknown field

**What.** A record of the model has a field the model does not define — usually a typo, which would otherwise be silently ignored (the library's records are open so that one run reports all of them).

**Example.** `services.grafana.hostnme = "grafana"`

**Fix.** Use the field the help line suggests, or remove it; `lib/hlc.ncl` lists every field.
"#,
    },
    CodeDoc {
        code: "HLC115",
        summary: "a value is not an e-mail address",
        doc: r#"# HLC115 invalid e-mail address

**What.** A user's `email` is not `local-part@domain`.

**Example.** `email = "admin"`

**Fix.** Write a full address, e.g. `"admin@example.org"`.
"#,
    },
    CodeDoc {
        code: "HLC116",
        summary: "a service does not say where it runs, or says it twice",
        doc: r#"# HLC116 service placement

**What.** A service must name exactly one of `cluster`, `machine` or `host`: hlc derives its deployment target (ArgoCD application, compose host) from it.

**Example.** `services.homepage = { port = 3000 }`

**Fix.** Add `cluster = "prod"` (or `machine` / `host`), and only one of them.
"#,
    },
    CodeDoc {
        code: "HLC117",
        summary: "a secret's file is not a plain relative path",
        doc: r#"# HLC117 secret file escapes

**What.** A secret's `file` is absolute, or contains `..`, `.` or empty components. Secret files live under `configs/secrets/`.

**Example.** `file = "../../.ssh/id_ed25519"`

**Fix.** Name a file under `configs/secrets/`, e.g. `"cloudflare.yaml"`.
"#,
    },
    CodeDoc {
        code: "HLC125",
        summary: "a service's chart is given by both `chart` and its app module",
        doc: r#"# HLC125 chart given twice

**What.** A service sets `chart` and also `app = hlc.modules.<x> {…}`, whose module pins a chart.

**Why.** The chart's repository, name and version are written once; two places drift apart.

**Example.** `grafana = { chart = { … }, app = hlc.modules.grafana {} }`

**Fix.** Remove `chart`; to change the pinned version, pass the module's `version` option.
"#,
    },
];
