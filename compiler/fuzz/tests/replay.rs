//! Replays the kept fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz targets' bodies on
//! stable, so that `cargo test --workspace` fails if an input that once crashed crashes again.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every corpus file of `target` through `body`; the failures are reported together by
/// file name (never by content: an input may be large or binary).
fn replay(target: &str, body: fn(&[u8])) {
    let files = corpus(target);
    assert!(
        files.len() >= 10,
        "fuzz/corpus/{target} holds only {} inputs",
        files.len()
    );
    let failed: Vec<String> = files
        .iter()
        .filter(|f| {
            let data = std::fs::read(f).unwrap();
            std::panic::catch_unwind(|| body(&data)).is_err()
        })
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} inputs of fuzz/corpus/{target} fail: {failed:?}",
        failed.len(),
        files.len()
    );
    eprintln!("replayed {} inputs of fuzz/corpus/{target}", files.len());
}

#[test]
fn model_corpus() {
    replay("model", hlc_fuzz::model);
}

#[test]
fn sops_corpus() {
    replay("sops", hlc_fuzz::sops);
}

#[test]
fn yaml_corpus() {
    replay("yaml", hlc_fuzz::yaml);
}
