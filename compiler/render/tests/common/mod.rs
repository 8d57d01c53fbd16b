//! Shared test support: golden cases under `tests/golden/<case>/input.json`, each holding the
//! lab as JSON (the shape `hlc_model::decode` reads) and the render context.

#![allow(dead_code)]

use hlc_model::Lab;
use hlc_render::RenderContext;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub lab: Lab,
    pub ctx: RenderContext,
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared reference data: `$HLC_SHARED_DIR`, else `../shared` beside the repository.
pub fn shared() -> PathBuf {
    std::env::var_os("HLC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}

/// Loads, evaluates and decodes the project at `root`; panics with the diagnostics on failure.
pub fn lab_at(root: &std::path::Path) -> Lab {
    let loaded = hlc_eval::load(root).expect("load");
    let ev = hlc_eval::evaluate(loaded, &hlc_eval::EvalOptions::default());
    let value = ev.root.unwrap_or_else(|| panic!("eval: {:?}", ev.diags));
    let (lab, diags) = hlc_model::decode(&value);
    lab.unwrap_or_else(|| panic!("decode: {diags:?}"))
}

pub fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Decodes a lab from its JSON form; panics with the diagnostics if it does not decode.
pub fn lab_from_json(json: &serde_json::Value) -> Lab {
    let (lab, diags) = hlc_model::decode(&hlc_diag::Node::from_json(json));
    match lab {
        Some(lab) => lab,
        None => panic!("fixture does not decode: {diags:#?}"),
    }
}

pub fn context_from_json(json: &serde_json::Value) -> RenderContext {
    let waves: BTreeMap<String, u32> = json["waves"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().expect("wave") as u32))
                .collect()
        })
        .unwrap_or_default();
    let order = json["order"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().expect("order entry").to_string())
                .collect()
        })
        .unwrap_or_default();
    RenderContext {
        waves,
        order,
        ..Default::default()
    }
}

/// Every case, sorted by name.
pub fn cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("input.json").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let text = std::fs::read_to_string(dir.join("input.json")).expect("input.json");
            let json: serde_json::Value = serde_json::from_str(&text).expect("input.json is JSON");
            Case {
                name: dir
                    .file_name()
                    .and_then(|n| n.to_str())
                    .expect("case name")
                    .to_string(),
                lab: lab_from_json(&json["lab"]),
                ctx: context_from_json(&json["context"]),
                dir,
            }
        })
        .collect()
}
