//! Golden tests, side by side with their inputs:
//!
//! * `tests/cases/check/<case>/` — an invalid project (`configs/`), the expected findings
//!   (`expect.txt`: one `CODE file:line` per line, every one of which must be reported at that
//!   location; `CODE file` for a finding about a file that is not a config source, such as a
//!   secret file, which has no line) and the exact human output (`stderr.txt`).
//!   `hlc build --check` must exit 1, and never panic.
//! * `tests/cases/build/<case>/`, `configs/`, every `examples/*/` — a valid project whose
//!   committed `out/` must be exactly what the compiler produces (`hlc build --check` exits 0).
//!
//! `HLC_BLESS=1 cargo test --test golden` rewrites `stderr.txt` files and rebuilds the `out/`
//! trees; review the diff before committing.

mod common;
use common::*;
use std::path::Path;

fn check_case(case: &Path) -> Result<(), String> {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let human = run(&["build", "--check"], case);
    if human.code != 1 {
        return Err(format!(
            "{name}: expected exit 1, got {}\n{}",
            human.code, human.stderr
        ));
    }
    if human.stderr.contains("internal error") || human.stderr.contains("panicked") {
        return Err(format!("{name}: internal error\n{}", human.stderr));
    }
    if human.stderr.contains("AGE-SECRET-KEY-1Q") {
        return Err(format!(
            "{name}: a private key from the configuration is quoted in a diagnostic"
        ));
    }
    golden(&case.join("stderr.txt"), &human.stderr).map_err(|e| format!("{name}: {e}"))?;
    let json = run(&["build", "--check", "--format", "json"], case);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout)
        .map_err(|e| format!("{name}: --format json is not JSON: {e}\n{}", json.stdout))?;
    // (code, file, line): the location's file and line, or the `file` a finding without a
    // location names (line 0).
    let found: Vec<(String, String, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["location"]["file"]
                    .as_str()
                    .or(d["file"].as_str())
                    .unwrap_or("")
                    .to_string(),
                d["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expect = std::fs::read_to_string(case.join("expect.txt"))
        .map_err(|_| format!("{name}: expect.txt missing"))?;
    for line in expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (code, loc) = line
            .split_once(' ')
            .ok_or(format!("{name}: bad expect line `{line}`"))?;
        let (file, lno) = match loc.trim().rsplit_once(':') {
            Some((file, lno)) => (
                file,
                Some(
                    lno.parse::<u64>()
                        .map_err(|_| format!("{name}: bad line number in `{line}`"))?,
                ),
            ),
            None => (loc.trim(), None),
        };
        if !found
            .iter()
            .any(|(c, f, l)| c == code && f == file && lno.is_none_or(|n| *l == n))
        {
            return Err(format!(
                "{name}: expected {code} at {loc}; found {found:?}\n{}",
                human.stderr
            ));
        }
    }
    Ok(())
}

#[test]
fn invalid_configs_report_expected_diagnostics() {
    let cases = case_dirs("check");
    assert!(
        cases.len() >= 100,
        "expected at least 100 invalid cases, found {}",
        cases.len()
    );
    let failures: Vec<String> = cases.iter().filter_map(|c| check_case(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn valid_projects() -> Vec<std::path::PathBuf> {
    let repo = repo();
    let mut v = vec![repo.clone()];
    if let Ok(rd) = std::fs::read_dir(repo.join("examples")) {
        let mut ex: Vec<_> = rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("configs/main.ncl").is_file())
            .collect();
        ex.sort();
        v.extend(ex);
    }
    v.extend(case_dirs("build"));
    v
}

#[test]
fn committed_out_trees_are_current() {
    let mut failures = Vec::new();
    for p in valid_projects() {
        let args: &[&str] = if bless() {
            &["build"]
        } else {
            &["build", "--check"]
        };
        let r = run(args, &p);
        if r.code != 0 {
            failures.push(format!(
                "{}: `hlc {}` exit {}\n{}",
                p.display(),
                args.join(" "),
                r.code,
                r.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
