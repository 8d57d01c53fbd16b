//! Secrets and encryption: `HLC118` (an invalid age recipient in `encryption`, reported by the
//! decoder), `HLC456` (where a secret is held, decoder), `HLC457` (an app Secret's value could not
//! be decrypted, secrets stage) and `HLC6xx`, reported by the CLI's secrets stage (`compiler/cli/src/secrets_stage.rs`):
//! the secret inputs under `configs/secrets/`, age identities, encryption of secret artifacts and
//! the leak guard. No message of these codes ever contains a secret value.

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[
    CodeDoc {
        code: "HLC118",
        summary: "an `encryption` recipient is not an age X25519 recipient",
        doc: r#"# HLC118 invalid age recipient

**What.** A string in `encryption.recipients` or `encryption.scopes.<name>` is not an age X25519
recipient (`age1…`, 62 characters). The message never repeats the value: when it is an identity
(`AGE-SECRET-KEY-1…`), a private key was pasted into the configuration.

**Why.** Every SOPS file hlc writes is encrypted to these recipients; a typo would lock everyone
out, and a private key in `configs/` is leaked.

**Example.** `recipients = ["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp"]`

**Fix.** Paste the public key printed by `hlc secrets init` (or `age-keygen -y KEYFILE`). If it was
an `AGE-SECRET-KEY-1…`, remove it, generate a new key and rotate (`hlc secrets rotate`).
"#,
    },
    CodeDoc {
        code: "HLC601",
        summary: "a secret's file does not exist under configs/secrets/",
        doc: r#"# HLC601 secret file missing

**What.** A secret names `file = "x.yaml"` but `configs/secrets/x.yaml` does not exist (or is a
symbolic link or a directory: hlc reads secret files without following links).

**Why.** The build cannot produce the artifacts that need the value.

**Fix.** `printf %s "$VALUE" | hlc secrets set NAME` creates the file, encrypted for the lab's
`encryption.recipients`.
"#,
    },
    CodeDoc {
        code: "HLC602",
        summary: "a secret's key is absent from its file",
        doc: r#"# HLC602 secret key missing

**What.** The secret's file exists but has no top-level `key` (or the value there is a map, a list
or null rather than one value). SOPS keeps key names in clear, so `hlc check` finds this without
any age key; only "not a single value" needs one and is reported by `hlc build`.

**Fix.** `hlc secrets set NAME`, or correct `key` in `configs/secrets.ncl`.
"#,
    },
    CodeDoc {
        code: "HLC603",
        summary: "a file under configs/secrets/ is not SOPS-encrypted",
        doc: r#"# HLC603 plaintext secret file

**What.** A `.yaml`/`.yml`/`.json` file under `configs/secrets/` has no `sops` metadata (or
invalid metadata): its values are committed in plaintext. Checked without a key.

**Why.** configs/ is committed; a plaintext value there is leaked to everyone with the repository.

**Fix.** Treat the values as leaked and rotate them; move the file away, store the new values with
`hlc secrets set NAME`, and purge the plaintext from git history.
"#,
    },
    CodeDoc {
        code: "HLC604",
        summary: "a file must be decrypted and no age identity opens it",
        doc: r#"# HLC604 no identity

**What.** The build (or `hlc secrets …`) must decrypt a SOPS file — a secret input, or an
encrypted file in `out/` whose plaintext it must compare to keep it byte for byte — and none of
the available age identities is one of its recipients. Nothing was written.

hlc finds identities as sops does: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, then
`$XDG_CONFIG_HOME/sops/age/keys.txt` (default `~/.config/sops/age/keys.txt`); plus the project's
committed demo keys `configs/secrets/*.agekey` that say `TEST ONLY`.

**Fix.** `export SOPS_AGE_KEY_FILE=/path/to/keys.txt` holding the identity of one of the file's
recipients (`sops` metadata lists them). After changing `encryption.recipients`, run
`hlc secrets rotate` once with a key that opens the old files.
"#,
    },
    CodeDoc {
        code: "HLC605",
        summary: "a plaintext secret value would be written to out/",
        doc: r#"# HLC605 secret leak

**What.** Before writing, the build searches every artifact (plain files, and the clear parts of
encrypted ones) for every decrypted secret value of 6 characters or more. One was found in the
named file; the value itself is never printed. Nothing was written.

**Why.** out/ is committed: a value there is leaked.

**Fix.** This is a renderer bug (secret values may only reach out/ inside an encrypted
`SecretArtifact`), or a secret value that also occurs as ordinary text in the configuration (a
"secret" equal to a hostname, say): change the value.
"#,
    },
    CodeDoc {
        code: "HLC606",
        summary: "a SOPS file fails its integrity checks or does not parse",
        doc: r#"# HLC606 tampered SOPS file

**What.** A secret file opened with a matching identity but a value or the MAC does not
authenticate (edited by hand, values reordered, `lastmodified` changed, merge conflict); or a
file under `configs/secrets/` is not a well-formed YAML/JSON document at all — for instance a
key given twice, which YAML forbids and which readers resolve differently (one takes the first
value, another the last), so hlc refuses it.

**Fix.** Restore the file from git, or re-create its values with `hlc secrets set NAME`.
"#,
    },
    CodeDoc {
        code: "HLC607",
        summary: "an age identity source cannot be read",
        doc: r#"# HLC607 unreadable age identity

**What.** `SOPS_AGE_KEY_FILE` names a file that cannot be read, or a key source holds a line that
is not an `AGE-SECRET-KEY-1…` identity (the message gives the line number, never its content).

**Fix.** Point `SOPS_AGE_KEY_FILE` at an age key file (`hlc secrets init` writes one) or unset it.
"#,
    },
    CodeDoc {
        code: "HLC608",
        summary: "secrets must be encrypted but the lab declares no recipient",
        doc: r#"# HLC608 no recipients

**What.** A file must be encrypted (a secret artifact of the build, or `hlc secrets set`) and
`encryption.recipients` is empty.

**Fix.** `hlc secrets init` prints a recipient; add `encryption = { recipients = ["age1…"] }` to
`configs/main.ncl`.
"#,
    },
    CodeDoc {
        code: "HLC456",
        summary: "a secret is held in no place, or in both a SOPS file and a store",
        doc: r#"# HLC456 secret source

**What.** A secret says where its value is held in exactly one way: `file` + `key` (a
SOPS-encrypted file under `configs/secrets/`) or `store` (an External Secrets store declared in
`secret_stores`, with an optional `remote_key` — the secret's name by default — and `property`).
This secret sets neither, both, or `remote_key`/`property` without a `store`.

**Why.** The place decides what hlc renders into a cluster: a SOPS-encrypted Kubernetes Secret
(decrypted at sync time by KSOPS/Flux) or an `ExternalSecret` that External Secrets fills from
the store. One secret held in two places would drift apart.

**Example.**

```nickel
secrets.discord-webhook-url = { file = "alertmanager.yaml", key = "url", store = "vault" },
```

**Fix.** Keep one: remove `store`, or remove `file` and `key`.
"#,
    },
    CodeDoc {
        code: "HLC457",
        summary: "a secret a cluster's Kubernetes Secret needs could not be decrypted",
        doc: r#"# HLC457 app secret unavailable

**What.** A service in a cluster consumes a secret held in a SOPS file (through `secrets` or its
app module's options), and the build has no value for it: no age identity opened the file, or
the key is missing (HLC602). Nothing is written.

**Why.** The service's Kubernetes Secret is rendered from the values, encrypted for the
cluster's scope; a Secret without the value would deploy a broken app.

**Fix.** Build with an identity of the file's recipients (`SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`),
or set the value: `printf %s "$VALUE" | hlc secrets set NAME`.
"#,
    },
];
