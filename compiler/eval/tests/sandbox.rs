//! The sandbox and evaluator on real files in temporary projects.

use hlc_diag::{Node, Value};
use hlc_eval::{evaluate, load, EvalOptions, Evaluated, LoadError};
use std::path::Path;
use std::time::Duration;

const LAB: &str = r#"{ name = "t", domain = "example.org" }"#;

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, text) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn eval_dir(root: &Path) -> Evaluated {
    let opts = EvalOptions {
        timeout: Duration::from_secs(20),
        ..Default::default()
    };
    evaluate(load(root).expect("loads"), &opts)
}

fn codes(e: &Evaluated) -> Vec<String> {
    e.diags.iter().map(|d| d.code.clone()).collect()
}

fn field<'a>(n: &'a Node, name: &str) -> &'a Node {
    match &n.value {
        Value::Record(r) => &r[name],
        _ => panic!("not a record"),
    }
}

#[test]
fn evaluates_with_library_defaults_and_positions() {
    let p = project(&[("configs/main.ncl", "{\n  name = \"t\",\n  domain = \"example.org\",\n  networks.lan = { site = \"home\", cidr = \"10.0.0.0/24\" },\n}\n")]);
    let e = eval_dir(p.path());
    assert!(e.diags.is_empty(), "{:?}", e.diags);
    let root = e.root.unwrap();
    // A library default was applied.
    let lan = field(field(&root, "networks"), "lan");
    assert_eq!(field(lan, "kind").value, Value::Enum("lan".into()));
    // The span of a value points at its line in the project file.
    let cidr = field(lan, "cidr");
    let loc = e.sources.locate(cidr.span.unwrap()).unwrap();
    assert_eq!((loc.file.as_str(), loc.line), ("configs/main.ncl", 4));
    // The library's limits tables are part of the value.
    assert!(
        matches!(&field(field(&root, "limits"), "oci_always_free").value, Value::Array(a) if a.len() >= 2)
    );
}

#[test]
fn missing_main_is_a_load_error() {
    let p = project(&[("README", "")]);
    assert!(matches!(load(p.path()), Err(LoadError::NoMain { .. })));
}

#[test]
fn absolute_and_parent_imports_are_refused_and_never_read() {
    let outside = tempfile::tempdir().unwrap();
    let canary = "CANARY-7f3a9-outside-the-root";
    std::fs::write(outside.path().join("secret.txt"), canary).unwrap();
    let abs = outside.path().join("secret.txt");
    let p = project(&[(
        "configs/main.ncl",
        &format!(
            "{{ name = \"t\", domain = \"example.org\", sites.a = {{ kind = 'home, description = import \"{}\" as 'Text }} }}",
            abs.display()
        ),
    )]);
    let e = eval_dir(p.path());
    assert_eq!(codes(&e), ["HLC010"]);
    let d = &e.diags.0[0];
    assert_eq!(e.sources.locate(d.span.unwrap()).unwrap().line, 1);
    // Evaluation went on with an empty stand-in: the value exists, the canary does not.
    let root = e.root.expect("evaluation continues past a refused import");
    assert!(!serde_json::to_string(&root).unwrap().contains(canary));
    assert!(!format!("{:?}", e.diags).contains(canary));
    assert!(e.sources.files().all(|(_, f)| !f.text.contains(canary)));

    // A relative path that climbs out of the root.
    let nested = project(&[
        (
            "proj/configs/main.ncl",
            "let x = import \"../../leak.ncl\" in { name = \"t\", domain = \"example.org\" }",
        ),
        ("leak.ncl", "{}"),
    ]);
    let e = eval_dir(&nested.path().join("proj"));
    assert_eq!(codes(&e), ["HLC011"]);
}

#[test]
fn symlinks_out_of_the_root_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.ncl"), "{ name = \"t\" }").unwrap();
    let p = project(&[(
        "configs/main.ncl",
        "(import \"link.ncl\") & { domain = \"example.org\" }",
    )]);
    std::os::unix::fs::symlink(
        outside.path().join("x.ncl"),
        p.path().join("configs/link.ncl"),
    )
    .unwrap();
    let e = eval_dir(p.path());
    assert!(codes(&e).contains(&"HLC012".to_string()), "{:?}", e.diags);
    // A symlink that stays inside the root is fine.
    let q = project(&[
        ("configs/main.ncl", "import \"link.ncl\""),
        ("configs/real.ncl", LAB),
    ]);
    std::os::unix::fs::symlink(
        q.path().join("configs/real.ncl"),
        q.path().join("configs/link.ncl"),
    )
    .unwrap();
    let e = eval_dir(q.path());
    assert!(e.diags.is_empty(), "{:?}", e.diags);
}

#[test]
fn missing_import_and_package_import() {
    let p = project(&[(
        "configs/main.ncl",
        "let x = import \"nope.ncl\" in { name = \"t\", domain = \"example.org\" }",
    )]);
    assert_eq!(codes(&eval_dir(p.path())), ["HLC013"]);
    let p = project(&[("configs/main.ncl", "let x = import foo in {}")]);
    let e = eval_dir(p.path());
    assert_eq!(codes(&e), ["HLC014"]);
    assert!(e.root.is_none());
}

#[test]
fn split_files_and_library_import() {
    let p = project(&[
        ("configs/main.ncl", "let hlc = import \"hlc.ncl\" in { name = \"t\", domain = \"example.org\", sites = import \"sites/all.ncl\" }"),
        ("configs/sites/all.ncl", "{ home = { kind = 'home } }"),
    ]);
    let e = eval_dir(p.path());
    assert!(e.diags.is_empty(), "{:?}", e.diags);
    let names: Vec<_> = e.records.iter().map(|r| r.display.clone()).collect();
    assert_eq!(names, ["configs/main.ncl", "configs/sites/all.ncl"]);
}

#[test]
fn nickel_errors_become_diagnostics() {
    let cases = [
        ("{ name = \"t\", domain = }", "HLC020"),
        ("{ name = 1, domain = \"example.org\" }", "HLC022"),
        ("{ name = \"t\", domain = undefined_name }", "HLC024"),
        (
            "{ name = \"t\", domain = \"x\", services.a = { exposure = 'publc } }",
            "HLC022",
        ),
    ];
    for (src, code) in cases {
        let p = project(&[("configs/main.ncl", src)]);
        let e = eval_dir(p.path());
        assert_eq!(codes(&e), [code], "{src}: {:?}", e.diags);
        assert!(e.diags.0[0].span.is_some(), "{src}: no span");
    }
}

#[test]
fn infinite_recursion_is_a_diagnostic() {
    let p = project(&[("configs/main.ncl", "let rec x = x + 1 in { name = \"t\", domain = \"example.org\", sites.a.description = std.string.from_number x }")]);
    let e = eval_dir(p.path());
    assert_eq!(codes(&e), ["HLC025"], "{:?}", e.diags);
}

#[test]
fn deep_nesting_is_a_diagnostic_not_an_abort() {
    let depth = 100_000;
    let src = format!(
        "{{ name = \"t\", domain = \"example.org\", x = {}1{} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let p = project(&[("configs/main.ncl", &src)]);
    let e = eval_dir(p.path());
    assert!(e.diags.has_errors());
}
