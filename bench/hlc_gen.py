#!/usr/bin/env python3
"""Deterministic generator of a benchmark lab as a real hlc project.

    python3 bench/hlc_gen.py N DIR        # writes DIR/configs/*.ncl (DIR is replaced)

The lab is the one of the peer harness (`../shared/peers/gen.py`, overridable with
HLC_SHARED_DIR): its `make_lab(N)` is imported from there and run (never copied), so hlc and
every peer get the same N services, N/10 nodes, exposures, DAG of dependencies and charts, all
derived from sha256 of (index, purpose). `write(lab, dir)` is also the peer harness's HLC hook
(gen.py calls `hlc_gen.write(lab, dir)` when this file sits beside it).

How the peers' lab maps onto the hlc model (what hlc adds is derived from the same hashes):

    domain, clusters core/edge  -> `domain`, clusters.ncl (Talos/Kubernetes versions, distinct
                                   pod and service CIDRs)
    nodes node-NNNN             -> machines.ncl: bare-metal Talos nodes on the `home` site, on
                                   the LAN of their cluster (network.ncl: 10.0/16 core, 10.1/16
                                   edge); the first three are control planes
    services svc-NNNNN          -> services/<namespace>.ncl, one file per namespace, as a user
                                   splits them; main.ncl merges them. Fields equal to the
                                   library's default (exposure 'internal, depends_on []) are left
                                   out, as in the peers' input.
      port, namespace, cluster, chart {repo, name, version}, deps -> depends_on (a DAG)
      exposure public|access|private|internal -> exposure, with a hostname (the peers'
                                   subdomain) only on published (public/access) services
      auth                      -> access: 'oidc or 'forward_auth (Cloudflare Access + SSO);
                                   public: 'none or 'oidc; private: 'local; internal: default
      admin, groups             -> one access service in three is admin; access services admit
                                   the `admins` group
    authentik, cloudflared-*    -> services/platform.ncl: the identity provider and one tunnel
                                   connector per cluster (N + 3 services); tunnels.ncl: one
                                   tunnel per cluster routing its public and access services
    encryption.ncl              -> the repository's demo age recipient; bench.py adds the demo key
                                   and each cluster's Talos secrets bundle (`hlc secrets init talos`)
    (secrets: the model's secret inputs must be real SOPS files under configs/secrets/; the
    generator declares none yet)
    (the peers' per-service `node` pin and replica count have no hlc field yet: left out)
"""
import hashlib
import importlib.util
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def h(*parts):
    d = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(d[:8], "big")


def q(s):
    assert '"' not in s and "\\" not in s and "%" not in s
    return '"' + s + '"'


def load_peers_gen():
    shared = os.environ.get("HLC_SHARED_DIR") or os.path.join(HERE, "..", "..", "shared")
    path = os.path.join(shared, "peers", "gen.py")
    if not os.path.exists(path):
        sys.exit(f"hlc_gen: {path} not found (set HLC_SHARED_DIR to the shared reference data)")
    spec = importlib.util.spec_from_file_location("peers_gen", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def auth_of(name, exposure):
    r = h(name, "auth")
    if exposure == "access":
        return "oidc" if r % 2 == 0 else "forward_auth"
    if exposure == "public":
        return "oidc" if r % 3 == 0 else None
    if exposure == "private":
        return "local"
    return None


def service_ncl(s, domain_default_repo):
    name = s["name"]
    exposure = s.get("exposure", "internal")
    f = [f"cluster = {q(s.get('cluster', 'core'))}",
         f"namespace = {q(s.get('namespace', 'default'))}"]
    c = s["chart"]
    f.append("chart = { repo = %s, name = %s, version = %s }"
             % (q(c.get("repo", domain_default_repo)), q(c["name"]), q(c["version"])))
    f.append(f"port = {s['port']}")
    if exposure != "internal":
        f.append(f"exposure = '{exposure}")
    if exposure in ("public", "access"):
        f.append(f"hostname = {q(s.get('subdomain', name))}")
    auth = auth_of(name, exposure)
    if auth:
        f.append(f"auth = '{auth}")
    if exposure == "access" and h(name, "admin") % 3 == 0:
        f.append("admin = true")
    if s.get("deps"):
        f.append("depends_on = [" + ", ".join(q(d) for d in s["deps"]) + "]")
    if exposure == "access":
        f.append('groups = ["admins"]')
    return "  " + name + " = { " + ", ".join(f) + " },"


def write_file(d, rel, text):
    p = os.path.join(d, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as fh:
        fh.write(text)


def write(lab, d):
    """Writes the hlc project of `lab` (a make_lab() dict of the peers' gen.py) under d/configs."""
    from_repo = getattr(sys.modules.get("peers_gen"), "DEFAULT_REPO", None) or \
        "https://charts.lab.example.com"
    c = os.path.join(d, "configs")
    n = len(lab["services"])
    write_file(c, "sites.ncl", '{\n  home = { kind = \'home, description = "Generated benchmark lab" },\n}\n')
    write_file(c, "network.ncl",
               "{\n"
               "  core-lan = { site = \"home\", cidr = \"10.0.0.0/16\", gateway = \"10.0.255.254\" },\n"
               "  edge-lan = { site = \"home\", cidr = \"10.1.0.0/16\", gateway = \"10.1.255.254\" },\n"
               "}\n")
    cl = ["{"]
    for i, name in enumerate(sorted(lab["clusters"])):
        cl.append(f"  {name} = {{\n"
                  f"    talos_version = \"1.12.1\",\n"
                  f"    kubernetes_version = \"1.35.0\",\n"
                  f"    pod_cidr = \"10.{244 + i}.0.0/16\",\n"
                  f"    service_cidr = \"10.{96 + 16 * i}.0.0/12\",\n"
                  f"  }},")
    cl.append("}\n")
    write_file(c, "clusters.ncl", "\n".join(cl))
    # Nodes: one shared base record, as a user would write it.
    ml = ["let node = { kind = 'metal, site = \"home\", os = 'talos, cpu = 4, memory = \"16GiB\", disk = \"256GiB\" } in",
          "{"]
    for name, v in lab["nodes"].items():
        role = "controlplane" if v["role"] == "control" else "worker"
        ml.append(f"  {name} = node & {{ network = \"{v['cluster']}-lan\", address = {q(v['ip'])}, "
                  f"cluster = {q(v['cluster'])}, role = '{role} }},")
    ml.append("}\n")
    write_file(c, "machines.ncl", "\n".join(ml))
    write_file(c, "identity.ncl",
               "{\n  provider = \"authentik\",\n  admin_group = \"admins\",\n"
               "  groups = { admins = { description = \"Lab administrators\" } },\n}\n")
    # Services: one file per namespace, sorted by name inside.
    by_ns = {}
    for name in sorted(lab["services"]):
        s = lab["services"][name]
        by_ns.setdefault(s.get("namespace", "default"), []).append(s)
    tunnels = {"core": ["authentik"]}
    for ns in sorted(by_ns):
        lines = [f"# Services of the `{ns}` namespace ({len(by_ns[ns])}).", "{"]
        for s in by_ns[ns]:
            lines.append(service_ncl(s, from_repo))
            if s.get("exposure") in ("public", "access"):
                tunnels.setdefault(s.get("cluster", "core"), []).append(s["name"])
        lines.append("}\n")
        write_file(c, f"services/{ns}.ncl", "\n".join(lines))
    # One Cloudflare tunnel per cluster, run by a cloudflared connector in that cluster, routing
    # its published services.
    tl = ["{"]
    for cl_name in sorted(tunnels):
        tl.append(f"  {cl_name} = {{ connector = \"cloudflared-{cl_name}\", services = ["
                  + ", ".join(q(x) for x in sorted(tunnels[cl_name])) + "] },")
    tl.append("}\n")
    write_file(c, "tunnels.ncl", "\n".join(tl))
    # The identity provider that `auth = 'oidc` services log in with (the one service more).
    write_file(c, "services/platform.ncl",
               "{\n  authentik = { cluster = \"core\", namespace = \"identity\", chart = { repo = "
               "\"https://charts.goauthentik.io\", name = \"authentik\", version = \"2025.6.3\" }, "
               "port = 80, exposure = 'public, hostname = \"auth\", auth = 'local },\n"
               + "".join(f"  cloudflared-{k} = {{ cluster = \"{k}\", namespace = \"cloudflared\", "
                         "image = \"cloudflare/cloudflared:2024.12.2\", port = 2000 },\n"
                         for k in sorted(lab["clusters"]))
               + "}\n")
    files = ["platform"] + sorted(by_ns)
    # SOPS recipients: the repository's TEST ONLY demo key (configs/secrets/demo.agekey), so that
    # bench.py can create the Talos secrets bundles with `hlc secrets init talos <cluster>`.
    enc = open(os.path.join(HERE, "..", "configs", "encryption.ncl")).read()
    recipients = sorted(set(re.findall(r"age1[0-9a-z]+", enc)))
    write_file(c, "encryption.ncl",
               "{\n  recipients = [" + ", ".join(q(r) for r in recipients) + "],\n}\n")
    imports = " & ".join(f'(import "services/{ns}.ncl")' for ns in files)
    write_file(c, "main.ncl",
               f"# Generated benchmark lab: {n} services, {len(lab['nodes'])} nodes "
               f"(bench/hlc_gen.py; the lab of ../shared/peers/gen.py).\n"
               "{\n"
               f"  name = \"bench-{n}\",\n"
               f"  domain = {q(lab['domain'])},\n"
               "  sites = import \"sites.ncl\",\n"
               "  networks = import \"network.ncl\",\n"
               "  machines = import \"machines.ncl\",\n"
               "  clusters = import \"clusters.ncl\",\n"
               "  identity = import \"identity.ncl\",\n"
               f"  services = {imports},\n"
               "  tunnels = import \"tunnels.ncl\",\n"
               "  encryption = import \"encryption.ncl\",\n"
               "  # The peers' lab groups unrelated services by namespace on purpose.\n"
               "  policy.severity.HLC454 = 'off,\n"
               "}\n")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    d = sys.argv[2]
    gen = load_peers_gen()
    sys.modules["peers_gen"] = gen
    if os.path.isdir(os.path.join(d, "configs")):
        shutil.rmtree(os.path.join(d, "configs"))
    os.makedirs(d, exist_ok=True)
    write(gen.make_lab(n), d)
    print(d)


if __name__ == "__main__":
    main()
