//! The policy gate, end to end with the real binary: the lab's own rules, suppressions with
//! justification and expiry, `--format sarif` (validated against the SARIF 2.1.0 schema in
//! `../shared/schemas/sarif/`) and `--format github`, `hlc explain` for every code, `hlc explain
//! out/PATH` with config positions, and the pre-commit hooks with the real `pre-commit`.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of `examples/minimal` with `extra` appended inside its top-level record, built once so
/// that `out/` matches (unless `build` is false).
fn lab(extra: &str, build: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/minimal"), dir.path());
    let main = dir.path().join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    let end = text.rfind('}').unwrap();
    std::fs::write(&main, format!("{}{extra}\n}}\n", &text[..end])).unwrap();
    if build {
        let r = run(&["build"], dir.path());
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    dir
}

/// 1-based line of the first line of `configs/main.ncl` containing `needle`.
fn line_of(root: &Path, needle: &str) -> u64 {
    let text = std::fs::read_to_string(root.join("configs/main.ncl")).unwrap();
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in main.ncl")) as u64
        + 1
}

fn json(args: &[&str], root: &Path) -> (i32, Value) {
    let r = run(args, root);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

fn findings(v: &Value) -> Vec<(String, String, String, u64)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["severity"].as_str().unwrap_or("").to_string(),
                d["path"].as_str().unwrap_or("").to_string(),
                d["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

const PUBLIC_RULE: &str = r#"
  policy.rules = [
    {
      code = "LAB001",
      severity = 'error,
      message = "a public service needs a status check",
      help = "add the service to Uptime Kuma",
      check = fun lab =>
        lab.services
        |> std.record.to_array
        |> std.array.filter (fun e => e.value.exposure == 'public)
        |> std.array.map (fun e => "services.%{e.field}.exposure"),
    },
  ],"#;

#[test]
fn a_user_rule_finds_values_and_points_at_their_lines() {
    let dir = lab(PUBLIC_RULE, false);
    let (code, v) = json(&["check", "--format", "json"], dir.path());
    assert_eq!(code, 1);
    let f = findings(&v);
    let exposure_line = line_of(dir.path(), "exposure = 'public");
    assert!(
        f.contains(&(
            "LAB001".into(),
            "error".into(),
            "services.homepage.exposure".into(),
            exposure_line
        )),
        "{f:?}"
    );
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "LAB001")
        .unwrap();
    assert_eq!(d["help"], "add the service to Uptime Kuma");
    assert_eq!(
        d["related"][0]["location"]["line"],
        line_of(dir.path(), "code = \"LAB001\"")
    );

    // Its severity can be overridden like a built-in rule's (and that is no unknown code).
    let dir = lab(
        &format!("{PUBLIC_RULE}\n  policy.severity.LAB001 = 'warning,"),
        true,
    );
    let (code, v) = json(&["check", "--format", "json"], dir.path());
    let f = findings(&v);
    assert_eq!(code, 0, "{f:?}");
    assert!(
        f.iter().any(|x| x.0 == "LAB001" && x.1 == "warning"),
        "{f:?}"
    );
    assert!(!f.iter().any(|x| x.0 == "HLC009"), "{f:?}");
}

#[test]
fn user_rules_that_are_malformed_are_reported() {
    let dir = lab(
        r#"
  policy.rules = [
    { code = "HLC401", message = "m", check = fun lab => [] },
    { code = "LAB002", message = "m", check = fun lab => ["servics.homepage"] },
    { code = "LAB003", message = "m", check = fun lab => [42] },
  ],"#,
        false,
    );
    let (code, v) = json(&["check", "--format", "json"], dir.path());
    assert_eq!(code, 1);
    let f = findings(&v);
    let has = |c: &str, sev: &str| f.iter().any(|x| x.0 == c && x.1 == sev);
    assert!(has("HLC005", "error"), "{f:?}");
    assert!(has("HLC006", "warning"), "{f:?}");
    assert!(has("HLC006", "error"), "{f:?}");
    let bad_path = f
        .iter()
        .find(|x| x.0 == "HLC006" && x.1 == "warning")
        .unwrap();
    assert_eq!(bad_path.3, line_of(dir.path(), "code = \"LAB002\""));
}

#[test]
fn suppressions_need_a_justification_expire_by_date_and_warn_when_unused() {
    let suppress = |exp: &str| {
        format!(
            r#"{PUBLIC_RULE}
  policy.suppress = [
    {{ code = "LAB001", path = "services.homepage", justification = "it is the status page"{exp} }},
    {{ code = "HLC401", path = "services.homepage", justification = "not an admin UI" }},
  ],"#
        )
    };
    // Applies: LAB001 is gone, the HLC401 suppression matched nothing (HLC001, a warning).
    let dir = lab(&suppress(r#", expires = "2026-06-30""#), true);
    let (code, v) = json(
        &["check", "--format", "json", "--date", "2026-06-30"],
        dir.path(),
    );
    let f = findings(&v);
    assert_eq!(code, 0, "{f:?}");
    assert!(!f.iter().any(|x| x.0 == "LAB001"), "{f:?}");
    let unused: Vec<_> = f.iter().filter(|x| x.0 == "HLC001").collect();
    assert_eq!(unused.len(), 1, "{f:?}");
    assert_eq!(unused[0].3, line_of(dir.path(), "code = \"HLC401\""));

    // Expired the day after: the finding is back and HLC002 points at the expiry.
    let (code, v) = json(
        &["check", "--format", "json", "--date", "2026-07-01"],
        dir.path(),
    );
    let f = findings(&v);
    assert_eq!(code, 1, "{f:?}");
    assert!(f.iter().any(|x| x.0 == "LAB001" && x.1 == "error"), "{f:?}");
    assert!(f.iter().any(|x| x.0 == "HLC002"), "{f:?}");

    // Without --date the expiry is not compared (hlc never reads the clock).
    let (code, _) = json(&["check", "--format", "json"], dir.path());
    assert_eq!(code, 0);
    // A malformed date is a usage error.
    assert_eq!(run(&["check", "--date", "30/06/2026"], dir.path()).code, 2);

    // A blank justification is an error.
    let dir = lab(
        r#"  policy.suppress = [{ code = "HLC401", justification = "  " }],"#,
        false,
    );
    let (code, v) = json(&["check", "--format", "json"], dir.path());
    assert_eq!(code, 1);
    assert!(findings(&v).iter().any(|x| x.0 == "HLC003"));
}

fn sarif_validator() -> jsonschema::Validator {
    let shared = std::env::var_os("HLC_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    let path = shared.join("schemas/sarif/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (set HLC_SHARED_DIR)", path.display())),
    )
    .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(validator: &jsonschema::Validator, text: &str) -> Value {
    let v: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "invalid SARIF:\n{}\n{text}",
        errors.join("\n")
    );
    // What GitHub code scanning needs beyond the schema: every result names a rule of the
    // driver and has a location with a file.
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in run["results"].as_array().unwrap() {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(!uri.is_empty() && !uri.starts_with('/'), "{uri}");
    }
    v
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_rules_and_positions() {
    let validator = sarif_validator();
    // Rule findings, a lab rule, an unused suppression, drift of out/.
    let dir = lab(
        &format!(
            r#"{PUBLIC_RULE}
  services.homepage.admin = true,
  policy.suppress = [{{ code = "HLC402", justification = "x" }}],"#
        ),
        false,
    );
    let r = run(&["check", "--format", "sarif"], dir.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = assert_valid_sarif(&validator, &r.stdout);
    let results = v["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for code in ["LAB001", "HLC401", "HLC001", "HLC503"] {
        assert!(ids.contains(&code), "{code} missing from {ids:?}");
    }
    let admin = results.iter().find(|r| r["ruleId"] == "HLC401").unwrap();
    let loc = &admin["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "configs/main.ncl");
    assert_eq!(
        loc["region"]["startLine"],
        line_of(dir.path(), "exposure = 'public")
    );
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let r401 = rules.iter().find(|r| r["id"] == "HLC401").unwrap();
    assert_eq!(r401["name"], "admin-service-public");
    assert!(r401["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("**Fix.**"));

    // `build --check` reports drift in the same document; a Nickel error has a position too.
    let r = run(&["build", "--check", "--format", "sarif"], dir.path());
    assert_valid_sarif(&validator, &r.stdout);
    let broken = lab("  oops = ,", false);
    let r = run(&["check", "--format", "sarif"], broken.path());
    assert_eq!(r.code, 1);
    let v = assert_valid_sarif(&validator, &r.stdout);
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "HLC020");
    // A clean lab: an empty, valid log.
    let clean = lab("", true);
    let r = run(&["check", "--format", "sarif"], clean.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = assert_valid_sarif(&validator, &r.stdout);
    assert!(v["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn github_format_prints_one_annotation_per_finding() {
    let dir = lab("  services.homepage.admin = true,", false);
    let r = run(&["check", "--format", "github"], dir.path());
    assert_eq!(r.code, 1);
    let line = line_of(dir.path(), "exposure = 'public");
    let ann: Vec<&str> = r.stdout.lines().collect();
    assert!(
        ann.iter().any(|a| a
            .starts_with(&format!("::error file=configs/main.ncl,line={line},col="))
            && a.contains(",title=HLC401::")),
        "{ann:?}"
    );
    assert!(ann
        .iter()
        .all(|a| a.starts_with("::error ") || a.starts_with("::warning ")));
    let r = run(&["build", "--check", "--format", "github"], dir.path());
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("title=HLC401::"), "{}", r.stdout);
}

/// Every code any test or golden case expects, and every code the compiler's sources can emit.
fn all_codes() -> std::collections::BTreeSet<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs" || x == "txt") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&repo().join("compiler"), &mut files);
    walk(&repo().join("tests"), &mut files);
    let mut codes = std::collections::BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let b = text.as_bytes();
        for i in 0..b.len().saturating_sub(5) {
            if &b[i..i + 3] == b"HLC"
                && b[i + 3..i + 6].iter().all(u8::is_ascii_digit)
                && b.get(i + 6).is_none_or(|c| !c.is_ascii_digit())
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            {
                codes.insert(text[i..i + 6].to_string());
            }
        }
    }
    // Codes the tests use precisely because they do not exist.
    for fake in ["HLC999", "HLC998", "HLC000"] {
        codes.remove(fake);
    }
    codes
}

#[test]
fn explain_documents_every_code() {
    let codes = all_codes();
    assert!(codes.len() > 40, "{codes:?}");
    let mut missing = Vec::new();
    for c in &codes {
        let r = hlc().args(["explain", c]).output().unwrap();
        let out = String::from_utf8_lossy(&r.stdout);
        if !r.status.success() || !out.contains(&format!("# {c}")) || !out.contains("**Fix.**") {
            missing.push(c.clone());
        }
    }
    assert!(missing.is_empty(), "`hlc explain` lacks: {missing:?}");
    let r = hlc().args(["explain", "HLC106"]).output().unwrap();
    assert!(String::from_utf8_lossy(&r.stdout).contains("hostname"));
}

#[test]
fn explain_out_path_names_the_config_lines() {
    let dir = lab("", true);
    let r = run(&["explain", "out/inventory.json"], dir.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let want = format!("configs/main.ncl:{}:", line_of(dir.path(), "domain = "));
    let domain = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("domain "))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(
        domain.split_whitespace().last().unwrap().starts_with(&want),
        "{domain}"
    );
}

// ---------------------------------------------------------------------------------------------
// pre-commit

fn pre_commit() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HLC_PRE_COMMIT") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for d in std::env::split_paths(&path) {
        if d.join("pre-commit").is_file() {
            return Some(d.join("pre-commit"));
        }
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let p = cache.join("hlc-pre-commit/venv/bin/pre-commit");
    p.is_file().then_some(p)
}

fn git(dir: &Path, args: &[&str], env_path: &str, home: &Path) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("PATH", env_path)
        .env("HOME", home)
        .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "hlc test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "hlc test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
        .env("NO_COLOR", "1")
        .output()
        .expect("git runs")
}

#[test]
fn pre_commit_hooks_block_a_bad_commit_and_pass_a_good_one() {
    let Some(pc) = pre_commit() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "pre-commit is not installed: run scripts/install-test-deps.sh"
        );
        eprintln!("skipped: pre-commit not installed (scripts/install-test-deps.sh installs it)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // PATH: the hlc under test, then pre-commit's directory, then the system's.
    let bin = Path::new(env!("CARGO_BIN_EXE_hlc")).parent().unwrap();
    let env_path = std::env::join_paths(
        [bin.to_path_buf(), pc.parent().unwrap().to_path_buf()]
            .into_iter()
            .chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )),
    )
    .unwrap();
    let env_path = env_path.to_str().unwrap();
    let ok = |o: &std::process::Output| {
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    // The hook repository: this repository's .pre-commit-hooks.yaml, as committed in a repo.
    let hooks = tmp.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::copy(
        repo().join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", ".pre-commit-hooks.yaml"],
        &["commit", "-q", "-m", "hooks"],
    ] {
        let o = git(&hooks, args, env_path, &home);
        assert!(o.status.success(), "git {args:?}: {}", ok(&o));
    }
    let rev = String::from_utf8(git(&hooks, &["rev-parse", "HEAD"], env_path, &home).stdout)
        .unwrap()
        .trim()
        .to_string();

    // The lab repository, built, with both hooks installed.
    let labdir = tmp.path().join("lab");
    copy_tree(&repo().join("examples/minimal"), &labdir);
    let r = run(&["build"], &labdir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(
        labdir.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: hlc-check\n      - id: hlc-build-check\n",
            hooks.display()
        ),
    )
    .unwrap();
    let o = git(&labdir, &["init", "-q", "-b", "main"], env_path, &home);
    assert!(o.status.success(), "{}", ok(&o));
    let o = Command::new(&pc)
        .args(["install"])
        .current_dir(&labdir)
        .env("PATH", env_path)
        .env("HOME", &home)
        .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"))
        .output()
        .unwrap();
    assert!(o.status.success(), "pre-commit install: {}", ok(&o));

    // A good commit passes.
    git(&labdir, &["add", "."], env_path, &home);
    let o = git(&labdir, &["commit", "-m", "lab"], env_path, &home);
    assert!(o.status.success(), "good commit blocked: {}", ok(&o));
    assert!(ok(&o).contains("hlc check"), "{}", ok(&o));

    // A bad commit (an invalid hostname) is blocked, naming the finding.
    let main = labdir.join("configs/main.ncl");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        text.replace("hostname = \"home\"", "hostname = \"Home\""),
    )
    .unwrap();
    git(&labdir, &["add", "configs/main.ncl"], env_path, &home);
    let o = git(&labdir, &["commit", "-m", "bad"], env_path, &home);
    assert!(!o.status.success(), "bad commit passed: {}", ok(&o));
    assert!(ok(&o).contains("HLC106"), "{}", ok(&o));

    // Editing the configuration without rebuilding out/ is blocked too.
    std::fs::write(&main, text.replace("port = 3000", "port = 3001")).unwrap();
    git(&labdir, &["add", "configs/main.ncl"], env_path, &home);
    let o = git(&labdir, &["commit", "-m", "stale out"], env_path, &home);
    assert!(!o.status.success(), "stale out/ passed: {}", ok(&o));
    assert!(ok(&o).contains("HLC50"), "{}", ok(&o));

    // Rebuilt and committed together, it passes.
    let r = run(&["build"], &labdir);
    assert_eq!(r.code, 0, "{}", r.stderr);
    git(&labdir, &["add", "."], env_path, &home);
    let o = git(&labdir, &["commit", "-m", "port 3001"], env_path, &home);
    assert!(o.status.success(), "good commit blocked: {}", ok(&o));
}
