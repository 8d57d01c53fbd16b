//! Two builds racing on one out/: the advisory lock serialises them.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use hlc_out::{apply, plan, verify, Artifact};

fn set(tag: &str, n: usize) -> Vec<Artifact> {
    let mut v: Vec<Artifact> = (0..n)
        .map(|i| art(&format!("shared/f{i}.txt"), &format!("{tag} {i}\n"), "t"))
        .collect();
    v.push(art(&format!("only-{tag}/x.txt"), tag, "t"));
    v
}

#[test]
fn concurrent_builds_do_not_interleave() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    write(&out.join("foreign.txt"), "mine\n");
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|tag| {
            let out = out.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                for round in 0..15 {
                    let p = plan(&out, set(tag, 20), inputs(tag), VERSION).unwrap();
                    // Between plan and apply the other thread must not get in.
                    if round % 3 == 0 {
                        std::thread::yield_now();
                    }
                    apply(p).unwrap_or_else(|e| panic!("{tag} round {round}: {e}"));
                    let d = verify(&out, &inputs(tag)).unwrap();
                    // The other build may have run in between, but what verify sees is always
                    // a complete build of one of the two.
                    assert!(
                        d.is_empty() || d.iter().all(|d| d.is_input_drift()),
                        "{d:#?}"
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    // The final tree is exactly one of the two builds, plus the foreign file.
    let got = snapshot(&out);
    let a = {
        let t = tempfile::tempdir().unwrap();
        let o = t.path().join("out");
        write(&o.join("foreign.txt"), "mine\n");
        build(&o, set("a", 20), inputs("a")).unwrap();
        snapshot(&o)
    };
    let b = {
        let t = tempfile::tempdir().unwrap();
        let o = t.path().join("out");
        write(&o.join("foreign.txt"), "mine\n");
        build(&o, set("b", 20), inputs("b")).unwrap();
        snapshot(&o)
    };
    assert!(got == a || got == b, "mixed state: {:?}", got.keys());
    let winner = if got == a { "a" } else { "b" };
    assert!(verify(&out, &inputs(winner)).unwrap().is_empty());
}
