//! Talos (issue 5) in the CLI: `hlc secrets init talos CLUSTER` and the build's loading of the
//! clusters' secrets bundles.
//!
//! * [`init_secrets`] generates a cluster's bundle in the shape `talosctl gen secrets` writes
//!   (see `hlc_render::talos::bundle` and `../shared/schemas/talos/NOTES.md`): cluster id
//!   (32 random bytes, base64url with padding), cluster secret and secretbox key (32 bytes,
//!   standard base64), bootstrap and trustd tokens (`[a-z0-9]{6}.[a-z0-9]{16}`), self-signed CAs
//!   valid 87600 h — etcd (`O=etcd`), Kubernetes (`O=kubernetes`), aggregator (empty subject), all
//!   ECDSA P-256 with `EC PRIVATE KEY` (SEC1) keys — the Talos API CA (`O=talos`, Ed25519, key in
//!   an `ED25519 PRIVATE KEY` PEM around PKCS#8), and the service-account key (ECDSA P-256). It
//!   also issues the `talosconfig` admin client certificate (`O=os:admin`, Ed25519, signed by the
//!   Talos API CA). Both files are written SOPS-encrypted (every value) for the lab's
//!   `encryption.recipients` plus any `--recipient`, and an existing bundle is kept unless
//!   `--force`. Randomness comes from the OS; the build never generates secrets.
//! * [`load_bundles`] is called by the build's secrets stage: for every cluster with Talos
//!   machines it decrypts `configs/secrets/talos-<cluster>.yaml` and
//!   `talosconfig-<cluster>.yaml` into the render context (names `talos/<cluster>/<field>`). A
//!   missing bundle is HLC706 with the command that creates it.

use crate::output::{self, fatal};
use crate::pipeline::frontend;
use crate::secrets_stage::{self as stage, read_no_follow, SECRETS_DIR};
use crate::{project, DiagFormat};
use base64::Engine as _;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, Os};
use hlc_render::talos::bundle;
use hlc_render::SecretValues;
use hlc_sops::rand_core::{OsRng, RngCore};
use hlc_sops::{EncryptOptions, Format, Identity, Map, Recipient, Rules, Value};
use std::path::{Path, PathBuf};

/// What `hlc secrets init` can generate besides an age key.
#[derive(clap::Subcommand, Debug)]
pub enum InitTarget {
    /// Generate a Talos cluster's secrets bundle (talosctl's shape) into configs/secrets/talos-CLUSTER.yaml, SOPS-encrypted
    Talos {
        /// The cluster (a key of `clusters`)
        cluster: String,
        /// Replace an existing bundle (every node must then be re-installed or re-keyed)
        #[arg(long)]
        force: bool,
        /// An extra age recipient (`age1…`); the lab's `encryption.recipients` are always used
        #[arg(long, value_name = "AGE_RECIPIENT")]
        recipient: Vec<String>,
    },
}

const TOKEN_ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    OsRng.fill_bytes(&mut b);
    b
}

/// A kubeadm-style token `[a-z0-9]{6}.[a-z0-9]{16}` (uniform: rejection sampling).
pub fn token() -> String {
    let draw = |n: usize| -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            let mut b = [0u8; 1];
            OsRng.fill_bytes(&mut b);
            // 252 = 7 * 36: reject the tail so every character is equally likely.
            if b[0] < 252 {
                s.push(TOKEN_ALPHABET[(b[0] % 36) as usize] as char);
            }
        }
        s
    };
    format!("{}.{}", draw(6), draw(16))
}

fn pem(label: &str, der: &[u8]) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// The PKCS#8 v1 layout ring writes for a P-256 key, up to the private scalar.
const P256_PKCS8_PREFIX: [u8; 36] = [
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02,
    0x01, 0x01, 0x04, 0x20,
];
/// After the scalar: `[1]` BIT STRING of the 65-byte uncompressed public point.
const P256_PUB_PREFIX: [u8; 5] = [0xa1, 0x44, 0x03, 0x42, 0x00];

/// A key pair with the PEM text Talos expects for it.
struct Key {
    pair: rcgen::KeyPair,
    pem: String,
}

fn ed25519_key() -> Result<Key, String> {
    let seed: [u8; 32] = random_bytes();
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    der.extend_from_slice(&seed);
    let pair = rcgen::KeyPair::try_from(der.as_slice()).map_err(|e| format!("Ed25519 key: {e}"))?;
    Ok(Key {
        pair,
        pem: pem("ED25519 PRIVATE KEY", &der),
    })
}

/// SEC1 `ECPrivateKey` with the named-curve parameters (what Go's `x509.MarshalECPrivateKey`
/// writes) from ring's PKCS#8.
pub fn p256_sec1_from_pkcs8(pkcs8: &[u8]) -> Result<Vec<u8>, String> {
    let bad = || "unexpected P-256 PKCS#8 layout".to_string();
    let rest = pkcs8.strip_prefix(&P256_PKCS8_PREFIX[..]).ok_or_else(bad)?;
    if rest.len() != 32 + 5 + 65 || rest[32..37] != P256_PUB_PREFIX {
        return Err(bad());
    }
    let (scalar, point) = (&rest[..32], &rest[37..]);
    let mut der = vec![0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
    der.extend_from_slice(scalar);
    der.extend_from_slice(&[
        0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ]);
    der.extend_from_slice(&P256_PUB_PREFIX);
    der.extend_from_slice(point);
    Ok(der)
}

fn p256_key() -> Result<Key, String> {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("P-256 key: {e}"))?;
    let sec1 = p256_sec1_from_pkcs8(&pair.serialize_der())?;
    Ok(Key {
        pair,
        pem: pem("EC PRIVATE KEY", &sec1),
    })
}

fn validity(params: &mut rcgen::CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    params.not_after = now + time::Duration::hours(87_600);
}

fn ca_params(org: Option<&str>) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    if let Some(o) = org {
        p.distinguished_name
            .push(rcgen::DnType::OrganizationName, o);
    }
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    p.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&random_bytes::<16>()));
    validity(&mut p);
    p
}

/// A self-signed CA: (crt, key) as base64 of PEM.
type Ca = (String, String, rcgen::CertificateParams, Key);

fn ca(org: Option<&str>, key: Key) -> Result<Ca, String> {
    let params = ca_params(org);
    let cert = params
        .self_signed(&key.pair)
        .map_err(|e| format!("CA certificate: {e}"))?;
    Ok((b64(&cert.pem()), b64(&key.pem), params, key))
}

/// A freshly generated bundle (talosctl's shape) and the admin client certificate.
pub fn generate() -> Result<(serde_json::Value, serde_json::Value), String> {
    let b64url = base64::engine::general_purpose::URL_SAFE;
    let std64 = base64::engine::general_purpose::STANDARD;
    let (etcd_crt, etcd_key, ..) = ca(Some("etcd"), p256_key()?)?;
    let (k8s_crt, k8s_key, ..) = ca(Some("kubernetes"), p256_key()?)?;
    let (agg_crt, agg_key, ..) = ca(None, p256_key()?)?;
    let sa = p256_key()?;
    let (os_crt, os_key, os_params, os_ca_key) = ca(Some("talos"), ed25519_key()?)?;

    let admin = ed25519_key()?;
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "os:admin");
    p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&random_bytes::<16>()));
    validity(&mut p);
    let issuer = rcgen::Issuer::from_params(&os_params, &os_ca_key.pair);
    let admin_cert = p
        .signed_by(&admin.pair, &issuer)
        .map_err(|e| format!("admin certificate: {e}"))?;

    let bundle = serde_json::json!({
        "cluster": {
            "id": b64url.encode(random_bytes::<32>()),
            "secret": std64.encode(random_bytes::<32>()),
        },
        "secrets": {
            "bootstraptoken": token(),
            "secretboxencryptionsecret": std64.encode(random_bytes::<32>()),
        },
        "trustdinfo": { "token": token() },
        "certs": {
            "etcd": { "crt": etcd_crt, "key": etcd_key },
            "k8s": { "crt": k8s_crt, "key": k8s_key },
            "k8saggregator": { "crt": agg_crt, "key": agg_key },
            "k8sserviceaccount": { "key": b64(&sa.pem) },
            "os": { "crt": os_crt, "key": os_key },
        },
    });
    let admin = serde_json::json!({ "crt": b64(&admin_cert.pem()), "key": b64(&admin.pem) });
    Ok((bundle, admin))
}

fn to_sops(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                m.push(k.clone(), to_sops(x));
            }
            Value::Map(m)
        }
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Array(a) => Value::Seq(a.iter().map(to_sops).collect()),
        serde_json::Value::Number(n) => n.as_i64().map(Value::Int).unwrap_or(Value::Null),
    }
}

fn encrypt(doc: &serde_json::Value, recipients: &[Recipient]) -> Result<Vec<u8>, String> {
    let Value::Map(m) = to_sops(doc) else {
        return Err("a bundle is a mapping".into());
    };
    let lm = stage::lastmodified()?;
    let rules = Rules::default();
    let opts = EncryptOptions {
        format: Format::Yaml,
        recipients,
        rules: &rules,
        lastmodified: &lm,
    };
    hlc_sops::encrypt(&hlc_sops::Document::single(m), &opts, &mut OsRng).map_err(|e| e.to_string())
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path.parent().ok_or("no parent directory")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn say(d: Diagnostic, sources: &hlc_diag::SourceMap) -> u8 {
    output::diagnostics(&[d], sources, DiagFormat::Human);
    1
}

/// `hlc secrets init talos CLUSTER [--force] [--recipient age1…]`.
pub fn init_secrets(root: Option<PathBuf>, cluster: &str, force: bool, extra: &[String]) -> u8 {
    let root = match project::find_root(root) {
        Ok(r) => r,
        Err(m) => return fatal(&m),
    };
    let fe = match frontend(&root, false) {
        Ok(fe) => fe,
        Err(m) => return fatal(&m),
    };
    let Some(lab) = fe.lab.as_ref().filter(|_| !fe.diags.has_errors()) else {
        output::diagnostics(&fe.diags.0, &fe.sources, DiagFormat::Human);
        return 1;
    };
    if !lab.clusters.contains_key(cluster) {
        let known: Vec<&str> = lab.clusters.keys().map(String::as_str).collect();
        return say(
            Diagnostic::error("HLC201", format!("no cluster `{cluster}` in the lab"))
                .with_path("clusters")
                .with_help(format!("the lab's clusters: {}", known.join(", "))),
            &fe.sources,
        );
    }
    let mut recipients = stage::parse_recipients(&lab.encryption.recipients_for(None));
    for r in extra {
        match r.parse::<Recipient>() {
            Ok(r) => recipients.push(r),
            Err(e) => return fatal(&format!("--recipient `{r}`: {e}")),
        }
    }
    if recipients.is_empty() {
        return say(
            Diagnostic::error("HLC706", "no age recipient to encrypt the Talos bundle for")
                .with_path("encryption.recipients")
                .with_help("add `encryption = { recipients = [\"age1…\"] }` to configs/main.ncl or pass --recipient age1…"),
            &fe.sources,
        );
    }
    let dir = root.join(SECRETS_DIR);
    let path = dir.join(bundle::bundle_file(cluster));
    let admin_path = dir.join(bundle::admin_file(cluster));
    let exists = |p: &Path| p.symlink_metadata().is_ok();
    if !force && (exists(&path) || exists(&admin_path)) {
        return say(
            Diagnostic::error(
                "HLC706",
                format!("{SECRETS_DIR}/{} already exists", bundle::bundle_file(cluster)),
            )
            .with_file(format!("{SECRETS_DIR}/{}", bundle::bundle_file(cluster)))
            .with_help("a new bundle replaces every certificate and token of the cluster; pass --force if that is what you want"),
            &fe.sources,
        );
    }
    let result = generate().and_then(|(b, a)| {
        let b = encrypt(&b, &recipients)?;
        let a = encrypt(&a, &recipients)?;
        write_new(&path, &b)?;
        write_new(&admin_path, &a)
    });
    match result {
        Ok(()) => {
            eprintln!(
                "wrote {SECRETS_DIR}/{} and {SECRETS_DIR}/{} (encrypted for {} recipient(s))",
                bundle::bundle_file(cluster),
                bundle::admin_file(cluster),
                recipients.len()
            );
            0
        }
        Err(m) => fatal(&m),
    }
}

/// The clusters that have Talos machines.
pub fn talos_clusters(lab: &Lab) -> Vec<String> {
    let mut out: Vec<String> = lab
        .machines
        .values()
        .filter(|m| m.os.value == Os::Talos)
        .filter_map(|m| m.cluster.as_ref().map(|c| c.value.clone()))
        .filter(|c| lab.clusters.contains_key(c))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Decrypts every Talos cluster's bundle into `values`; a missing or unreadable bundle is a
/// diagnostic (HLC706), so the build stops before writing anything.
pub fn load_bundles(
    root: &Path,
    lab: &Lab,
    identities: &[Identity],
    values: &mut SecretValues,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for cluster in talos_clusters(lab) {
        let span = lab.clusters[&cluster].origin.span;
        for (file, prefix) in [
            (bundle::bundle_file(&cluster), None),
            (bundle::admin_file(&cluster), Some("admin")),
        ] {
            let rel = format!("{SECRETS_DIR}/{file}");
            let fail = |msg: String| {
                Diagnostic::error("HLC706", msg)
                    .with_path(format!("clusters.{cluster}"))
                    .with_span(span)
                    .with_help(format!("run `hlc secrets init talos {cluster}`"))
            };
            let bytes = match read_no_follow(&root.join(SECRETS_DIR).join(&file)) {
                Ok(Some(b)) => b,
                Ok(None) => {
                    diags.push(fail(format!(
                        "Talos cluster `{cluster}` has no secrets bundle ({rel} is missing)"
                    )));
                    // One finding per cluster: the command creates both files.
                    break;
                }
                Err(e) => {
                    diags.push(fail(format!("cannot read {rel}: {e}")));
                    continue;
                }
            };
            let dec = match hlc_sops::decrypt(&bytes, Format::Yaml, identities) {
                Ok(d) => d,
                Err(e) => {
                    diags.push(
                        Diagnostic::error("HLC604", format!("cannot decrypt {rel}: {e}"))
                            .with_file(rel.clone())
                            .with_help("set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to the identity of one of the file's recipients"),
                    );
                    continue;
                }
            };
            let json = dec
                .document
                .docs
                .first()
                .map(|m| bundle::sops_to_json(&Value::Map(m.clone())))
                .unwrap_or_default();
            match bundle::flatten(&json, prefix) {
                Ok(fields) => {
                    for (f, v) in fields {
                        values.0.insert(bundle::secret_name(&cluster, f), v);
                    }
                }
                Err(m) => diags.push(fail(format!("{rel} is not a complete Talos bundle: {m}"))),
            }
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpem(b64pem: &str) -> (String, Vec<u8>) {
        let text = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b64pem)
                .unwrap(),
        )
        .unwrap();
        let label = text
            .lines()
            .next()
            .unwrap()
            .trim_start_matches("-----BEGIN ")
            .trim_end_matches("-----")
            .to_string();
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        (
            label,
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap(),
        )
    }

    #[test]
    fn tokens_have_talos_shape() {
        for _ in 0..200 {
            let t = token();
            let (a, b) = t.split_once('.').unwrap();
            assert_eq!((a.len(), b.len()), (6, 16), "{t}");
            assert!(t
                .bytes()
                .all(|c| c == b'.' || c.is_ascii_digit() || c.is_ascii_lowercase()));
        }
    }

    #[test]
    fn a_generated_bundle_has_talosctls_fields_formats_and_key_types() {
        let (b, admin) = generate().unwrap();
        let fields = bundle::flatten(&b, None).expect("every field");
        assert_eq!(fields.len(), bundle::FIELDS.len());
        bundle::flatten(&admin, Some("admin")).expect("admin fields");
        let id = b["cluster"]["id"].as_str().unwrap();
        assert_eq!(id.len(), 44);
        assert!(!id.contains('+') && !id.contains('/') && id.ends_with('='));
        for v in [
            &b["cluster"]["secret"],
            &b["secrets"]["secretboxencryptionsecret"],
        ] {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap();
            assert_eq!(raw.len(), 32);
        }
        for ca in ["etcd", "k8s", "k8saggregator"] {
            let (label, der) = unpem(b["certs"][ca]["key"].as_str().unwrap());
            assert_eq!(label, "EC PRIVATE KEY");
            // SEC1 with the prime256v1 parameters, as Go writes it.
            assert_eq!(der.len(), 121);
            assert_eq!(
                &der[39..51],
                &[0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
            );
            assert_eq!(
                unpem(b["certs"][ca]["crt"].as_str().unwrap()).0,
                "CERTIFICATE"
            );
        }
        assert_eq!(
            unpem(b["certs"]["k8sserviceaccount"]["key"].as_str().unwrap()).0,
            "EC PRIVATE KEY"
        );
        let (label, der) = unpem(b["certs"]["os"]["key"].as_str().unwrap());
        assert_eq!(label, "ED25519 PRIVATE KEY");
        assert_eq!(&der[..16], &ED25519_PKCS8_PREFIX);
        // Two bundles never share a value.
        let (b2, _) = generate().unwrap();
        let f2 = bundle::flatten(&b2, None).unwrap();
        for (k, v) in &fields {
            assert_ne!(v.expose(), f2[k].expose(), "{k}");
        }
    }

    #[test]
    fn sec1_conversion_refuses_other_layouts() {
        assert!(p256_sec1_from_pkcs8(&[0x30, 0x00]).is_err());
        let mut der = P256_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&[0u8; 32 + 5 + 65]);
        assert!(p256_sec1_from_pkcs8(&der).is_err(), "no public-key tag");
    }
}
