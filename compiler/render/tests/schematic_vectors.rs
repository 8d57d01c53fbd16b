//! Talos Image Factory schematic IDs against every vector of
//! `../shared/schemas/talos/image-factory/vectors.json`: each vector's canonical text and every
//! one of its `inputs` is parsed into a [`Schematic`] (unknown fields rejected, as the factory
//! does), re-emitted by hlc, and must give the vector's canonical bytes and ID. The yaml.v3/v4
//! divergence cases must be refused, and the stale documentation IDs must not be reproduced.
#![allow(clippy::disallowed_methods)] // tests read their fixtures and the shared schemas

use hlc_render::talos::schematic::{
    schematic_id, sha256_hex, Customization, Meta, Overlay, Scalar, Schematic, SecureBoot,
};
use hlc_sops::{Format, Map, Value};
use std::path::{Path, PathBuf};

fn shared_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HLC_SHARED_DIR") {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn vectors() -> serde_json::Value {
    let p = shared_dir().join("schemas/talos/image-factory/vectors.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

fn parse(text: &str) -> Schematic {
    let doc = Format::Yaml
        .parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("cannot parse {text:?}: {e}"));
    assert_eq!(doc.docs.len(), 1);
    from_map(&doc.docs[0])
}

fn fields<'a>(m: &'a Map, allowed: &[&str]) -> Vec<(&'a str, &'a Value)> {
    let pairs: Vec<_> = m.pairs().collect();
    for (k, _) in &pairs {
        assert!(allowed.contains(k), "unknown field `{k}`");
    }
    pairs
}

fn string(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => panic!("expected a string, got {other:?}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Seq(items) => items.iter().map(string).collect(),
        other => panic!("expected a list, got {other:?}"),
    }
}

fn map(v: &Value) -> &Map {
    match v {
        Value::Map(m) => m,
        other => panic!("expected a mapping, got {other:?}"),
    }
}

fn from_map(m: &Map) -> Schematic {
    let mut s = Schematic::default();
    for (k, v) in fields(m, &["owner", "overlay", "customization"]) {
        match k {
            "owner" => s.owner = Some(string(v)),
            "overlay" => {
                let mut o = Overlay::default();
                for (k, v) in fields(map(v), &["image", "name", "options"]) {
                    match k {
                        "image" => o.image = string(v),
                        "name" => o.name = string(v),
                        _ => {
                            for (ok, ov) in map(v).pairs() {
                                let sv = match ov {
                                    Value::Str(x) => Scalar::Str(x.clone()),
                                    Value::Int(i) => Scalar::Int(*i),
                                    Value::Bool(b) => Scalar::Bool(*b),
                                    other => panic!("unsupported option value {other:?}"),
                                };
                                o.options.insert(ok.to_string(), sv);
                            }
                        }
                    }
                }
                s.overlay = Some(o);
            }
            _ => s.customization = customization(map(v)),
        }
    }
    s
}

fn customization(m: &Map) -> Customization {
    let mut c = Customization::default();
    let allowed = [
        "embeddedMachineConfiguration",
        "extraKernelArgs",
        "meta",
        "systemExtensions",
        "bootloader",
        "secureboot",
        "diskImage",
    ];
    for (k, v) in fields(m, &allowed) {
        match k {
            "embeddedMachineConfiguration" => c.embedded_machine_configuration = Some(string(v)),
            "extraKernelArgs" => c.extra_kernel_args = strings(v),
            "meta" => {
                let Value::Seq(items) = v else {
                    panic!("meta is a list")
                };
                for it in items {
                    let mut key = None;
                    let mut value = String::new();
                    for (k, v) in fields(map(it), &["key", "value"]) {
                        match (k, v) {
                            ("key", Value::Int(i)) => key = Some(u8::try_from(*i).unwrap()),
                            ("value", v) => value = string(v),
                            _ => panic!("bad meta entry"),
                        }
                    }
                    c.meta.push(Meta {
                        key: key.expect("meta key"),
                        value,
                    });
                }
            }
            "systemExtensions" => {
                for (_, v) in fields(map(v), &["officialExtensions"]) {
                    c.official_extensions = strings(v);
                }
            }
            "bootloader" => c.bootloader = Some(string(v)),
            "secureboot" => {
                let mut sb = SecureBoot::default();
                for (k, v) in fields(map(v), &["enrollKeys", "includeWellKnownCertificates"]) {
                    match (k, v) {
                        ("enrollKeys", v) => sb.enroll_keys = Some(string(v)),
                        (_, Value::Bool(b)) => sb.include_well_known_certificates = *b,
                        _ => panic!("bad secureboot"),
                    }
                }
                c.secureboot = sb;
            }
            _ => {
                for (_, v) in fields(map(v), &["sectorSize"]) {
                    let Value::Int(n) = v else {
                        panic!("sectorSize is an int")
                    };
                    c.disk_image_sector_size = Some(u32::try_from(*n).unwrap());
                }
            }
        }
    }
    c
}

#[test]
fn every_vector_round_trips_to_its_canonical_text_and_id() {
    let v = vectors();
    let list = v["vectors"].as_array().unwrap();
    assert!(
        list.len() >= 28,
        "expected the full vector set, got {}",
        list.len()
    );
    let mut checked_inputs = 0;
    for vec in list {
        let name = vec["name"].as_str().unwrap();
        let canonical = vec["canonical"].as_str().unwrap();
        let id = vec["id"].as_str().unwrap();
        let s = parse(canonical);
        assert_eq!(
            s.canonical_yaml().unwrap(),
            canonical,
            "vector `{name}`: canonical text"
        );
        assert_eq!(schematic_id(&s).unwrap(), id, "vector `{name}`: ID");
        for input in vec["inputs"].as_array().unwrap() {
            let s = parse(input.as_str().unwrap());
            assert_eq!(
                schematic_id(&s).unwrap(),
                id,
                "vector `{name}`: input {input}"
            );
            checked_inputs += 1;
        }
    }
    assert!(checked_inputs >= 10);
}

#[test]
fn yaml_library_divergences_are_refused() {
    let v = vectors();
    for d in v["yaml_v3_vs_v4_divergence"].as_array().unwrap() {
        let s = parse(d["canonical_yaml_v3"].as_str().unwrap());
        let err = schematic_id(&s).expect_err(d["name"].as_str().unwrap());
        assert!(err.to_string().contains("quote it differently"), "{err}");
    }
}

#[test]
fn stale_doc_ids_are_not_reproduced() {
    let v = vectors();
    for d in v["stale_ids_in_docs"].as_array().unwrap() {
        let s = parse(d["canonical"].as_str().unwrap());
        let id = schematic_id(&s).unwrap();
        assert_eq!(id, d["actual_id"].as_str().unwrap());
        assert_ne!(id, d["claimed_id"].as_str().unwrap());
    }
}

#[test]
fn model_schematics_match_the_published_ids() {
    // The IDs the Talos Proxmox guide and the factory UI publish, computed from hlc's own
    // constructor (unsorted input, duplicates) rather than parsed text.
    let v = vectors();
    let want = |n: &str| {
        v["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == n)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let qga = Schematic::for_install(&["siderolabs/qemu-guest-agent"], &[] as &[&str]);
    assert_eq!(schematic_id(&qga).unwrap(), want("qemu-guest-agent"));
    let two = Schematic::for_install(
        &[
            "siderolabs/qemu-guest-agent",
            "siderolabs/iscsi-tools",
            "siderolabs/iscsi-tools",
        ],
        &[] as &[&str],
    );
    assert_eq!(
        schematic_id(&two).unwrap(),
        want("iscsi-tools+qemu-guest-agent")
    );
    let empty = Schematic::for_install(&[] as &[&str], &[] as &[&str]);
    assert_eq!(schematic_id(&empty).unwrap(), want("empty"));
    assert_eq!(sha256_hex(b"customization: {}\n"), want("empty"));
}
