#!/usr/bin/env python3
"""hlc benchmark: the table of issue 9, with the peers side by side.

    python3 bench/bench.py                              # N = 10 100 1000 10000 + reference lab, peers
    python3 bench/bench.py --sizes "10 100" --no-peers  # what CI runs (scripts/test.sh)

For each size it generates the lab of ../shared/peers/gen.py as an hlc project
(bench/hlc_gen.py) in a scratch directory and measures, with a release `hlc` (built here with
`cargo build --release -p hlc` unless --hlc names a binary):

    check    `hlc check` on the built project (evaluate, every rule, verify out/), evaluating
             (the evaluation cache off: HLC_EVAL_CACHE=off)
    check (cached eval)  the same with the evaluated tree from the evaluation cache (what a
             pre-commit `hlc check` after `hlc build` of the same sources does)
    build    `hlc build` into an empty out/, evaluating (cache off)
    build (cached eval)  the same, sources evaluated before (`rm -rf out && hlc build`)
    no-op    `hlc build` again, nothing changed
    edit-1   `hlc build` after one service's port changed (alternating two values): evaluates
    RSS      peak resident set of the evaluating full build (os.wait4 of that process)
    phases   one evaluating `hlc build --timings` into an empty out/: load, eval, decode, check
             (graph + rules), render, hash + plan, write

An "empty out/" is made by moving the previous one aside; the moved trees are deleted after the
series (deleting thousands of files right before a build makes its file creations wait on the
file system's journal, which measures the disk, not hlc).

Each time is the median of --runs runs (default 5; 3 from N = 10,000; 1 with --quick).
The peers (jrsonnet, Pkl, Nickel by default) run in a copy of ../shared/peers made outside the
repository (--peers-dir, default /tmp/hlc-bench-peers); its install.sh runs first when the
tools are missing (several minutes); the peers' own run.sh measures them (hyperfine medians)
on the same N. `hlc/fastest` is hlc's evaluating full build over the fastest peer's median,
`cached/fastest` the same with the evaluation cache warm.

Exit status 1 when a generated lab does not build and check cleanly: CI uses it to keep the
generator valid against the model. No timing is asserted.
"""
import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.environ.get("HLC_SHARED_DIR") or os.path.join(REPO, "..", "shared")
PHASES = ["fast-path", "load", "eval", "decode", "check", "render", "hash", "plan", "write", "verify"]


def run(cmd, cwd=None, env=None):
    """Runs cmd; returns (seconds, peak RSS in KB, exit code, stderr)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return dt, ru.ru_maxrss, p.returncode, err.decode(errors="replace")


def fail(msg):
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(1)


def hlc(binary, root, *args, expect=0, cold=False):
    """Runs hlc; `cold` turns the evaluation cache off (HLC_EVAL_CACHE=off)."""
    env = dict(os.environ, HLC_EVAL_CACHE="off") if cold else None
    dt, rss, rc, err = run([binary, "--root", root, *args], env=env)
    if expect is not None and rc != expect:
        fail(f"`hlc {' '.join(args)}` in {root} exited {rc}:\n{err}")
    return dt, rss, err


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def edit_one_service(root, k):
    """Changes the port of the first service of the largest services file (k alternates)."""
    files = [os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(root, "configs"))
             for f in fs if f.endswith(".ncl")]
    svc = [f for f in files if os.sep + "services" in f] or files
    target = max(svc, key=os.path.getsize)
    text = open(target).read()
    m = re.search(r"port = (\d+)", text)
    if not m:
        fail(f"no `port = ` in {target}")
    new = str(40000 + k % 2) if m.group(1) != str(40000 + k % 2) else str(40002)
    with open(target, "w") as fh:
        fh.write(text[:m.start(1)] + new + text[m.end(1):])


def measure(binary, root, runs):
    out = os.path.join(root, "out")
    trash = os.path.join(root, ".trash")

    def empty_out():
        # Moved aside, deleted after the series: deleting thousands of files right before a
        # measured build makes its own file creations wait on the deletion's journal commit
        # (ext4 with `discard` here), which measures the disk rather than hlc.
        if os.path.isdir(out):
            os.makedirs(trash, exist_ok=True)
            os.rename(out, os.path.join(trash, f"out-{len(os.listdir(trash))}"))

    r = {}
    builds, rss = [], []
    for _ in range(runs):
        empty_out()
        dt, kb, _ = hlc(binary, root, "build", cold=True)
        builds.append(dt)
        rss.append(kb)
    r["build"], r["rss_mb"] = median(builds), max(rss) / 1024
    hlc(binary, root, "check")  # fills the evaluation cache
    warm = []
    for _ in range(runs):
        empty_out()
        warm.append(hlc(binary, root, "build")[0])
    r["build_warm"] = median(warm)
    shutil.rmtree(trash, ignore_errors=True)
    r["noop"] = median([hlc(binary, root, "build")[0] for _ in range(max(runs, 5))])
    r["check"] = median([hlc(binary, root, "check", cold=True)[0] for _ in range(runs)])
    r["check_warm"] = median([hlc(binary, root, "check")[0] for _ in range(runs)])
    edits = []
    for k in range(runs):
        edit_one_service(root, k)
        edits.append(hlc(binary, root, "build")[0])
    r["edit"] = median(edits)
    hlc(binary, root, "check")  # the edited lab still checks clean
    # phases: one full build into an empty out/, evaluating
    empty_out()
    _, _, err = hlc(binary, root, "build", "--timings", cold=True)
    shutil.rmtree(trash, ignore_errors=True)
    r["phases"] = {m.group(1): float(m.group(2))
                   for m in re.finditer(r"^timing (\S+)\s+([\d.]+) ms$", err, re.M)}
    return r


def build_hlc(args):
    if args.hlc:
        return os.path.abspath(args.hlc)
    profile = "debug" if args.debug else "release"
    cmd = ["cargo", "build", "--locked", "-q", "-p", "hlc"] + ([] if args.debug else ["--release"])
    if subprocess.call(cmd, cwd=REPO) != 0:
        fail("cargo build failed")
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    return os.path.join(target, profile, "hlc")


def peers_medians(args, sizes):
    """{(peer, N): (median_s, rss_kb)} from the peers' own run.sh, in a copy outside the repo."""
    d = args.peers_dir
    if not os.path.isdir(d):
        shutil.copytree(os.path.join(SHARED, "peers"), d)
    if not os.path.exists(os.path.join(d, ".peers", "cargo", "bin", "jrsonnet")):
        print(f"bench: installing the peers into {d} (several minutes)", file=sys.stderr)
        if subprocess.call([os.path.join(d, "install.sh")]) != 0:
            fail("the peers' install.sh failed")
    res = os.path.join(d, "results", "hlc-bench")
    cmd = [os.path.join(d, "run.sh"), "--sizes", " ".join(str(n) for n in sizes),
           "--peers", args.peers, "--results", res]
    if subprocess.call(cmd, cwd=d, stdout=sys.stderr) != 0:
        fail("the peers' run.sh failed")
    out = {}
    with open(os.path.join(res, "summary.tsv")) as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["median_s"]:
                out[(row["peer"], int(row["N"]))] = (float(row["median_s"]), float(row["rss_kb"] or 0))
    return out


def ms(s):
    return "—" if s != s else (f"{s * 1000:.0f}" if s >= 0.1 else f"{s * 1000:.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10 100 1000 10000")
    ap.add_argument("--no-reference", action="store_true", help="leave out the reference lab (configs/)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="one run per measurement")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--peers", default="jrsonnet pkl nickel-big")
    ap.add_argument("--peers-dir", default="/tmp/hlc-bench-peers")
    ap.add_argument("--hlc", help="the hlc binary (default: build a release one)")
    ap.add_argument("--debug", action="store_true", help="build and measure a debug hlc (CI)")
    ap.add_argument("--work", default=None, help="scratch directory (default: a fresh one in /tmp)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split()]
    binary = build_hlc(args)
    work = args.work or f"/tmp/hlc-bench-{os.getpid()}"
    os.makedirs(work, exist_ok=True)
    os.environ["HLC_CACHE_DIR"] = os.path.join(work, "cache")
    os.environ["SOPS_AGE_KEY_FILE"] = os.path.join(REPO, "configs", "secrets", "demo.agekey")
    rows = []
    labs = [] if args.no_reference else [("reference", None)]
    labs += [(f"{n:,}", n) for n in sizes]
    for label, n in labs:
        root = os.path.join(work, f"lab-{n if n is not None else 'reference'}")
        shutil.rmtree(root, ignore_errors=True)
        if n is None:
            shutil.copytree(os.path.join(REPO, "configs"), os.path.join(root, "configs"))
        else:
            if subprocess.call([sys.executable, os.path.join(HERE, "hlc_gen.py"), str(n), root],
                               stdout=subprocess.DEVNULL) != 0:
                fail(f"hlc_gen.py {n} failed")
        if n is not None:
            # The demo key (TEST ONLY) and a Talos secrets bundle per cluster, as `hlc secrets`
            # writes them: a Talos cluster cannot build without one.
            os.makedirs(os.path.join(root, "configs", "secrets"), exist_ok=True)
            shutil.copy(os.path.join(REPO, "configs", "secrets", "demo.agekey"),
                        os.path.join(root, "configs", "secrets", "demo.agekey"))
            for cl in ("core", "edge"):
                hlc(binary, root, "secrets", "init", "talos", cl)
        runs = 1 if args.quick else (min(args.runs, 3) if (n or 0) >= 10000 else args.runs)
        print(f"bench: {label} ({runs} runs)", file=sys.stderr)
        rows.append((label, n, measure(binary, root, runs)))
    peers = {} if args.no_peers else peers_medians(args, sizes)
    peer_names = [] if args.no_peers else args.peers.split()

    print(f"\nhlc {binary}\nmachine: {os.cpu_count()} CPUs, {platform_cpu()}\n")
    head = ["lab", "check", "check (cached eval)", "build", "build (cached eval)", "no-op", "edit-1",
            "RSS MB"]
    head += [f"{p}" for p in ["load", "eval", "decode", "check", "render", "hash+plan", "write"]]
    head += peer_names + (["fastest peer", "hlc/fastest", "cached/fastest"] if peer_names else [])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, n, r in rows:
        ph = r["phases"]
        cells = [label, ms(r["check"]), ms(r["check_warm"]), ms(r["build"]), ms(r["build_warm"]),
                 ms(r["noop"]), ms(r["edit"]), f"{r['rss_mb']:.0f}"]
        cells += [f"{ph.get(p, 0):.1f}" for p in ["load", "eval", "decode", "check", "render"]]
        cells += [f"{ph.get('hash', 0) + ph.get('plan', 0):.1f}", f"{ph.get('write', 0):.1f}"]
        if peer_names:
            pv = {p: peers.get((p, n)) for p in peer_names} if n is not None else {}
            cells += [ms(v[0]) if v else "—" for v in (pv.get(p) for p in peer_names)]
            have = [(v[0], p) for p, v in pv.items() if v]
            if have:
                best, who = min(have)
                cells += [f"{who} {ms(best)}", f"{r['build'] / best:.2f}",
                          f"{r['build_warm'] / best:.2f}"]
            else:
                cells += ["—", "—", "—"]
        print("| " + " | ".join(cells) + " |")
    print("\ntimes in ms (medians). `check`, `build`: evaluating (HLC_EVAL_CACHE=off); "
          "`(cached eval)`: the same sources evaluated before, tree from the evaluation cache; "
          "`edit-1`: evaluates. Phases from one evaluating `hlc build --timings` into an empty out/ "
          "(`check` = graph + rules; SOPS encryption runs inside `render`)")
    big = [(n, r["build"]) for _, n, r in rows if n in (1000, 10000)]
    if len(big) == 2:
        print(f"t(10k)/t(1k) = {big[1][1] / big[0][1]:.2f}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


def platform_cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
