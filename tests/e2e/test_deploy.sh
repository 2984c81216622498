#!/usr/bin/env bash
# deploy/ against its oracles, without a cluster or a Docker engine:
#   yamllint                   every manifest and rule file
#   promtool check/test rules  the alerts, unit-tested on synthetic series
#   PrometheusRule == rule file, dashboard is JSON (jq), and every metric
#   name in rules and dashboard is one of the contract names of issue 4
#   DaemonSet least privilege (three capabilities, no cgroup mount,
#   appArmorProfile), NetworkPolicy (Prometheus only, port 9435, no egress),
#   Service/ServiceMonitor/kustomization wiring
#   Dockerfile: pinned bases, its build steps are the README's (`make deps`
#   packages, `make static rootfs`), its COPYs are enough for that, and its
#   runtime is FROM scratch holding build/rootfs alone (whose content
#   tests/e2e/test_release.sh checks and runs)
# One PASS/FAIL line per check.  GM_DEPLOY_DIR and GM_README point the
# checks at other copies (to see each check fail on a broken file).
. tests/e2e/lib.sh

DEPLOY=${GM_DEPLOY_DIR:-deploy}
README=${GM_README:-README.md}
WORK=$GM_BUILD/e2e/deploy
rm -rf "$WORK"
mkdir -p "$WORK"

# The Python that yamllint runs on has PyYAML (Debian's yamllint depends on
# python3-yaml), so no extra package is needed.
PY=python3
if command -v yamllint >/dev/null; then
	PY=$(sed -n '1s/^#! *\([^ ]*\).*/\1/p' "$(command -v yamllint)")
fi
if ! "$PY" -c 'import yaml' 2>/dev/null; then
	fail deploy-python-yaml "$PY cannot import yaml (python3-yaml)"
	exit 0
fi

# Names are a contract (issue 4), plus the governor's estimate (issue 5).
CONTRACT="gomaptrace_map_entries gomaptrace_maps_tracked gomaptrace_map_bucket_bytes_total
gomaptrace_map_grows_total gomaptrace_map_leak_suspected gomaptrace_targets
gomaptrace_binaries_attached gomaptrace_attach_failures_total gomaptrace_events_total
gomaptrace_events_lost_total gomaptrace_state_evictions_total gomaptrace_probe_hits_total
gomaptrace_build_info gomaptrace_overhead_ratio gomaptrace_probe_cost_seconds gomaptrace_probes_shed
gomaptrace_governor_alarms_total"
export DEPLOY README WORK CONTRACT

# The structured checks, in one Python process: argv names them, and each
# prints its own PASS/FAIL line.
PYCHECKS=$(
	cat <<'PYEOF'
import json, os, re, shutil, subprocess, sys, yaml

D = os.environ["DEPLOY"]

class Fail(Exception):
    pass

def die(msg):
    raise Fail(msg)

def load_all(name):
    with open(os.path.join(D, name)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]

def one(name, kind):
    docs = [d for d in load_all(name) if d.get("kind") == kind]
    if len(docs) != 1:
        die(f"{name}: want one {kind}, found {len(docs)}")
    return docs[0]

# --- Dockerfile --------------------------------------------------------
def dockerfile():
    """Instructions as (KEYWORD, rest), continuation lines joined and
    comment lines dropped (Docker drops them inside continuations too)."""
    text = open(os.path.join(D, "Dockerfile")).read()
    lines = [l for l in text.split("\n") if not l.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for l in joined.split("\n"):
        l = l.strip()
        if l:
            kw, _, rest = l.partition(" ")
            out.append((kw.upper(), " ".join(rest.split())))
    return out

def stages():
    st = []
    for kw, rest in dockerfile():
        if kw == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$", rest, re.I)
            if not m:
                die(f"Dockerfile: cannot parse FROM {rest}")
            st.append({"image": m.group(1), "name": m.group(2), "ins": []})
        elif st:
            st[-1]["ins"].append((kw, rest))
        elif kw not in ("ARG",):
            die(f"Dockerfile: {kw} before the first FROM")
    if len(st) < 2:
        die(f"Dockerfile: want a multi-stage build, found {len(st)} stage(s)")
    return st

APT_OK = (re.compile(r"apt-get update( -q+)?$"), re.compile(r"rm -rf /var/lib/apt/lists/\*$"))
APT_INSTALL = re.compile(r"apt-get install (.*)$")
# The release build: the static binary and the root filesystem of the
# FROM-scratch runtime, with the version passed in (no .git in the context).
MAKE_ALL = re.compile(r"make( -j\s*\d*)? static rootfs( GM_VERSION=\S+)?$")

def run_commands(stage):
    cmds = []
    for kw, rest in stage["ins"]:
        if kw == "RUN":
            if rest.startswith("["):
                die(f"RUN in exec form is not checked: {rest}")
            cmds += [c.strip() for c in re.split(r"&&|;", rest) if c.strip()]
    return cmds

def apt_packages(stage):
    pkgs = []
    for c in run_commands(stage):
        m = APT_INSTALL.match(c)
        if m:
            pkgs += [t for t in m.group(1).split() if not t.startswith("-")]
    return pkgs

def install_deps_packages():
    text = open("scripts/install-deps.sh").read()
    m = re.search(r"^pkgs=\((.*?)^\)", text, re.M | re.S)
    if not m:
        die("scripts/install-deps.sh: no pkgs=( ... ) list")
    return set(re.sub(r"#[^\n]*", "", m.group(1)).split())

def c_dockerfile_lint():
    st = stages()
    names = {s["name"] for s in st if s["name"]}
    for s in st:
        img = s["image"]
        if img in names or img == "scratch":
            continue
        if "@sha256:" not in img:
            if ":" not in img.split("/")[-1]:
                die(f"FROM {img}: no tag (an implicit :latest)")
            if img.endswith(":latest"):
                die(f"FROM {img}: :latest is not a pinned base")
    if st[0]["image"].split("@")[0] != "debian:bookworm":
        die(f"build stage is {st[0]['image']}, want debian:bookworm")
    if st[-1]["image"] != "scratch":
        die(f"runtime stage is {st[-1]['image']}, want scratch (the release binary needs no distribution)")
    for s in st:
        for kw, rest in s["ins"]:
            if kw == "ADD":
                die(f"ADD {rest}: use COPY (ADD fetches URLs and unpacks archives)")
            if kw == "RUN" and "apt-get install" in rest:
                if "--no-install-recommends" not in rest:
                    die(f"apt-get install without --no-install-recommends: {rest}")
                if "rm -rf /var/lib/apt/lists/*" not in rest:
                    die(f"apt lists not removed in the same RUN: {rest}")
    ep = [rest for kw, rest in st[-1]["ins"] if kw == "ENTRYPOINT"]
    want = ["/usr/local/bin/gomaptrace", "daemon"]
    if len(ep) != 1 or json.loads(ep[0]) != want:
        die(f"runtime ENTRYPOINT is {ep}, want {json.dumps(want)}")
    if not any(kw == "COPY" and "--from=" in rest and rest.split()[-2:] == ["/src/build/rootfs/", "/"]
               for kw, rest in st[-1]["ins"]):
        die("runtime stage does not COPY --from the builder /src/build/rootfs/ to /")

def c_dockerfile_build_steps():
    st = stages()
    make = [c for c in run_commands(st[0]) if MAKE_ALL.match(c)]
    if len(make) != 1:
        die(f"build stage runs `make static rootfs` {len(make)} times, want once")
    for i, s in enumerate(st):
        for c in run_commands(s):
            if any(p.match(c) for p in APT_OK) or APT_INSTALL.match(c):
                continue
            if i == 0 and MAKE_ALL.match(c):
                continue
            die(f"stage {s['name'] or i}: `{c}` is not a build step of the README "
                "(apt-get from `make deps`'s list, then `make static rootfs`)")
    mk = open("Makefile").read()
    for t in ("all", "deps", "static", "rootfs"):
        if not re.search(rf"^{t}:", mk, re.M):
            die(f"Makefile has no `{t}` target")

def c_dockerfile_packages():
    have = install_deps_packages()
    pkgs = apt_packages(stages()[0])
    if not pkgs:
        die("build stage installs no packages")
    extra = [p for p in pkgs if p not in have]
    if extra:
        die(f"build packages not in scripts/install-deps.sh (`make deps`): {' '.join(extra)}")

def c_dockerfile_readme():
    rd = os.environ["README"]
    if not os.path.exists(rd):
        die(f"{rd} missing")
    text = open(rd).read()
    for cmd in ("make deps", "make all", "make static"):
        if cmd not in text:
            die(f"{rd} does not mention `{cmd}`")
    # The README's build bullet: "- Build: Debian bookworm packages (clang, ...)"
    m = re.search(r"^\s*[-*] +\**Build\**:(.*?)(?=^\s*[-*] |^#|\n\s*\n|\Z)", text, re.M | re.S)
    if not m:
        die(f"{rd}: no `- Build:` item listing the build packages")
    named = set()
    for group in re.findall(r"\(([^)]*)\)", m.group(1)):
        for tok in re.split(r"[,\s]+", group):
            tok = tok.strip("`*.;:")
            if re.fullmatch(r"[a-z0-9][a-z0-9+.-]*-dev|clang|llvm|bpftool|gcc|make|pkg-config|build-essential", tok):
                named.add(tok)
    if not named:
        die(f"{rd}: no package names in the Build item")
    pkgs = set(apt_packages(stages()[0]))
    missing = sorted(named - pkgs)
    if missing:
        die(f"packages the README names for the build but the Dockerfile does not install: {' '.join(missing)}")

def dpkg_owners(paths):
    """Debian package owning each path, in one dpkg -S pass (it reads every
    file list, so it is called once).  Merged /usr: a file may be recorded
    under /lib or /usr/lib."""
    alt = {p: (p[4:] if p.startswith("/usr/") else "/usr" + p) for p in paths}
    r = subprocess.run(["dpkg", "-S"] + sorted(set(paths) | set(alt.values())),
                       capture_output=True, text=True)
    owner = {}
    for line in r.stdout.splitlines():
        pkgs, _, path = line.partition(": ")
        owner[path.strip()] = pkgs.split(",")[0].split(":")[0].strip()
    out = set()
    for p in paths:
        o = owner.get(p) or owner.get(alt[p])
        if not o:
            die(f"no Debian package owns {p}")
        out.add(o)
    return out

def lib_files(flag, seen):
    """The shared objects `-l<flag>` links against, through linker scripts."""
    f = subprocess.run(["gcc", f"-print-file-name=lib{flag}.so"], capture_output=True,
                       text=True).stdout.strip()
    if not os.path.isabs(f):
        die(f"-l{flag}: lib{flag}.so not found (is its -dev package installed?)")
    real = os.path.realpath(f)
    with open(real, "rb") as fh:
        head = fh.read(4)
    if head == b"\x7fELF":
        return [real]
    out = []
    script = open(real).read()
    for grp in re.findall(r"(?:INPUT|GROUP)\s*\(([^)]*)\)", script):
        for tok in grp.split():
            if tok.startswith("-l"):
                if tok[2:] not in seen:
                    seen.add(tok[2:])
                    out += lib_files(tok[2:], seen)
            else:
                out.append(os.path.realpath(os.path.join(os.path.dirname(real), tok)))
    return out

def c_dockerfile_runtime():
    """FROM scratch: nothing but build/rootfs.  No RUN (there is no shell),
    no other COPY or ADD: what the binary needs is exactly what the loader
    resolves for it, which scripts/make-rootfs.sh copies and
    tests/e2e/test_release.sh checks and runs in a chroot."""
    st = stages()
    rt = st[-1]
    for kw, rest in rt["ins"]:
        if kw in ("RUN", "ADD"):
            die(f"runtime stage: {kw} {rest} (FROM scratch has no shell and needs nothing else)")
    copies = [rest for kw, rest in rt["ins"] if kw == "COPY"]
    want = f"--from={st[0]['name']} /src/build/rootfs/ /"
    if copies != [want]:
        die(f"runtime stage COPYs {copies}, want exactly [{want!r}]")
    mk = open("Makefile").read()
    m = re.search(r"^rootfs:.*\n((?:\t.*\n)+)", mk, re.M)
    if not m or "scripts/make-rootfs.sh" not in m.group(1):
        die("Makefile: the rootfs target does not run scripts/make-rootfs.sh")

def c_dockerfile_copy():
    """The build stage's COPYs hold everything `make static rootfs` reads."""
    st = stages()
    tree = os.path.join(os.environ["WORK"], "context")
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    for kw, rest in st[0]["ins"]:
        if kw != "COPY" or "--from=" in rest:
            continue
        args = [a for a in (json.loads(rest) if rest.startswith("[") else rest.split())
                if not a.startswith("--")]
        for src in args[:-1]:
            src = src.rstrip("/")
            if not os.path.exists(src):
                die(f"COPY {src}: not in the repository")
            dst = os.path.join(tree, src)
            if os.path.isdir(src):
                shutil.copytree(src, dst)
            else:
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copy(src, dst)
    r = subprocess.run(["make", "-n", "-C", tree, "static", "rootfs", "BUILD=build", "GM_VERSION=x"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        die("make -n static rootfs in a tree of the COPYed files: " + r.stderr.strip().split("\n")[-1])
    # headers the build writes itself (build/gm_version.h, build/gm_tested.h)
    generated = set(os.path.basename(h) for h in re.findall(r"\bbuild/[\w.-]+\.h\b", r.stdout))
    for script in set(re.findall(r"\bscripts/[\w.-]+", r.stdout)):
        if not os.path.exists(os.path.join(tree, script)):
            die(f"`make static rootfs` runs {script}, which is not COPYed into the build stage")
    # Headers: every #include must be in the tree or be generated (skeleton).
    srcs = sorted(os.path.join("user", f) for f in os.listdir(os.path.join(tree, "user")) if f.endswith(".c"))
    r = subprocess.run(["cc", "-MM", "-MG", "-D_GNU_SOURCE", "-Iinclude", "-Iuser", "-Ibuild"] + srcs,
                       cwd=tree, capture_output=True, text=True)
    if r.returncode != 0:
        die("cc -MM: " + r.stderr.strip().split("\n")[-1])
    deps = set(r.stdout.replace("\\\n", " ").split())
    for dep in deps:
        if dep.endswith(":") or dep.startswith("/") or dep.endswith(".skel.h") or dep in generated:
            continue
        if not os.path.exists(os.path.join(tree, dep)):
            die(f"{dep} is included by the sources but not COPYed into the build stage")

# --- Kubernetes ----------------------------------------------------------
# No SYS_RESOURCE: memlock is charged to the memory cgroup since 5.11 (the
# tool needs 5.15), and a runtime cannot grant it where the node's root
# lacks it (the pod then never starts, as on a real node here).
CAPS = {"BPF", "PERFMON", "SYS_PTRACE"}

def pod_spec():
    return one("daemonset.yaml", "DaemonSet")["spec"]["template"]["spec"]

def containers():
    ps = pod_spec()
    return ps.get("containers", []) + ps.get("initContainers", [])

def c_ds_hostpid():
    if pod_spec().get("hostPID") is not True:
        die("hostPID is not true")
    if pod_spec().get("hostNetwork") or pod_spec().get("hostIPC"):
        die("hostNetwork/hostIPC set: not needed")

def c_ds_caps():
    for c in containers():
        caps = (c.get("securityContext") or {}).get("capabilities") or {}
        if caps.get("drop") != ["ALL"]:
            die(f"{c['name']}: capabilities.drop is {caps.get('drop')}, want [ALL]")
        add = caps.get("add") or []
        if sorted(add) != sorted(CAPS):
            die(f"{c['name']}: capabilities.add is {add}, want exactly {sorted(CAPS)}")

def c_ds_rootfs():
    for c in containers():
        if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
            die(f"{c['name']}: readOnlyRootFilesystem is not true")

def c_ds_unprivileged():
    ps = pod_spec()
    if (ps.get("securityContext") or {}).get("privileged"):
        die("pod securityContext privileged")
    for c in containers():
        sc = c.get("securityContext") or {}
        if sc.get("privileged") is not False:
            die(f"{c['name']}: privileged is {sc.get('privileged')}, want an explicit false")
        if sc.get("allowPrivilegeEscalation") is not False:
            die(f"{c['name']}: allowPrivilegeEscalation is not false")

def c_ds_no_api():
    sa = one("daemonset.yaml", "ServiceAccount")
    if sa.get("automountServiceAccountToken") is not False or pod_spec().get("automountServiceAccountToken") is not False:
        die("automountServiceAccountToken is not false on the ServiceAccount and the pod")
    if pod_spec().get("serviceAccountName") != sa["metadata"]["name"]:
        die("the pod does not use the gomaptrace ServiceAccount")
    for f in os.listdir(D):
        if f.endswith((".yaml", ".yml")) and f != "kustomization.yaml":
            for d in load_all(f):
                if d.get("kind") in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"):
                    die(f"{f}: {d['kind']} {d['metadata']['name']}: the daemon needs no API access")

HOST_MOUNTS = {"/var/log/pods", "/var/log/containers"}

def c_ds_volumes():
    """Exactly the kubelet's log directories, read-only.  No /sys/fs/cgroup:
    attribution reads /proc/PID/cgroup, and on v1/hybrid hosts readOnly is
    not recursive (a pod's pids.max was writable from inside)."""
    ps = pod_spec()
    host = {v["name"]: v["hostPath"]["path"] for v in ps.get("volumes", []) if "hostPath" in v}
    if set(host.values()) != HOST_MOUNTS:
        die(f"hostPath volumes {sorted(host.values())}, want exactly {sorted(HOST_MOUNTS)}")
    for c in containers():
        for m in c.get("volumeMounts", []):
            if m["name"] in host and m.get("readOnly") is not True:
                die(f"{c['name']}: hostPath {host[m['name']]} mounted read-write")

def c_ds_apparmor():
    """securityContext.appArmorProfile (Kubernetes >= 1.30), not the
    deprecated container.apparmor.security.beta.kubernetes.io annotation."""
    meta = one("daemonset.yaml", "DaemonSet")["spec"]["template"].get("metadata") or {}
    old = [k for k in (meta.get("annotations") or {}) if "apparmor.security.beta.kubernetes.io" in k]
    if old:
        die(f"deprecated AppArmor annotation {old[0]}: use securityContext.appArmorProfile")
    pod_prof = ((pod_spec().get("securityContext") or {}).get("appArmorProfile") or {}).get("type")
    for c in containers():
        prof = ((c.get("securityContext") or {}).get("appArmorProfile") or {}).get("type") or pod_prof
        if prof != "Unconfined":
            die(f"{c['name']}: appArmorProfile.type is {prof}, want Unconfined (ptrace of peers)")

def c_networkpolicy():
    """Only Prometheus pods reach the metrics port; nothing else in or out."""
    np = one("networkpolicy.yaml", "NetworkPolicy")
    ds = one("daemonset.yaml", "DaemonSet")
    sp = np["spec"]
    if np["metadata"].get("namespace") != ds["metadata"]["namespace"]:
        die("NetworkPolicy not in the DaemonSet's namespace")
    sel = (sp.get("podSelector") or {}).get("matchLabels") or {}
    if not sel or not sel.items() <= ds["spec"]["template"]["metadata"]["labels"].items():
        die(f"podSelector {sel} does not select the DaemonSet's pods")
    if sorted(sp.get("policyTypes") or []) != ["Egress", "Ingress"]:
        die(f"policyTypes {sp.get('policyTypes')}, want Ingress and Egress")
    if sp.get("egress"):
        die(f"egress rules {sp['egress']}: the daemon opens no connection")
    rules = sp.get("ingress") or []
    if len(rules) != 1:
        die(f"{len(rules)} ingress rules, want one (the scraper)")
    r = rules[0]
    port = ds["spec"]["template"]["spec"]["containers"][0]["ports"][0]
    if [(p.get("port"), p.get("protocol", "TCP")) for p in r.get("ports") or []] not in \
            ([(9435, "TCP")], [(port["name"], "TCP")]):
        die(f"ingress ports {r.get('ports')}, want only TCP 9435")
    peers = r.get("from") or []
    if not peers:
        die("ingress from anywhere: want the Prometheus pods only")
    for p in peers:
        if "ipBlock" in p:
            die(f"ingress from an ipBlock {p['ipBlock']}: want the Prometheus pods only")
        if not ((p.get("podSelector") or {}).get("matchLabels") or (p.get("podSelector") or {}).get("matchExpressions")):
            die(f"ingress peer {p} admits every pod (no podSelector labels)")
        if ((p.get("podSelector") or {}).get("matchLabels") or {}).get("app.kubernetes.io/name") != "prometheus":
            die(f"ingress peer {p} is not the Prometheus pods (app.kubernetes.io/name: prometheus)")

def c_ds_runtime():
    ds = one("daemonset.yaml", "DaemonSet")
    ps = pod_spec()
    c = ps["containers"][0]
    if c.get("args") != ["daemon", "--listen", "0.0.0.0:9435"]:
        die(f"args are {c.get('args')}")
    if c.get("command") != ["/usr/local/bin/gomaptrace"]:
        die("args start with `daemon`: command must be the bare binary, or the image's ENTRYPOINT repeats it")
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    if ports.get("metrics") != 9435:
        die(f"container ports {ports}, want metrics: 9435")
    for probe in ("livenessProbe", "readinessProbe"):
        g = (c.get(probe) or {}).get("httpGet") or {}
        if g.get("path") != "/healthz" or g.get("port") not in ("metrics", 9435):
            die(f"{probe} is not GET /healthz on the metrics port")
    r = c.get("resources") or {}
    for k in ("requests", "limits"):
        if not {"cpu", "memory"} <= set((r.get(k) or {}).keys()):
            die(f"resources.{k} lacks cpu or memory")
    if not any(t.get("operator") == "Exists" and "key" not in t for t in ps.get("tolerations", [])):
        die("no toleration for every taint: the agent would miss tainted nodes")
    u = ds["spec"].get("updateStrategy") or {}
    if u.get("type") != "RollingUpdate" or (u.get("rollingUpdate") or {}).get("maxUnavailable") != "10%":
        die(f"updateStrategy is {u}")
    if ds["metadata"]["namespace"] != "gomaptrace":
        die("DaemonSet not in namespace gomaptrace")

def c_scrape_wiring():
    ds = one("daemonset.yaml", "DaemonSet")
    svc = one("service.yaml", "Service")
    sm = one("servicemonitor.yaml", "ServiceMonitor")
    pod_labels = ds["spec"]["template"]["metadata"]["labels"]
    if svc["spec"].get("clusterIP") != "None":
        die("Service is not headless (clusterIP: None)")
    if not svc["spec"]["selector"].items() <= pod_labels.items():
        die(f"Service selector {svc['spec']['selector']} does not select the DaemonSet's pods {pod_labels}")
    port_names = {p["name"] for p in svc["spec"]["ports"]}
    if not sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items():
        die("ServiceMonitor selector does not match the Service's labels")
    if svc["metadata"]["namespace"] not in sm["spec"].get("namespaceSelector", {}).get("matchNames", []):
        die("ServiceMonitor namespaceSelector does not include the Service's namespace")
    for ep in sm["spec"]["endpoints"]:
        if ep.get("port") not in port_names:
            die(f"ServiceMonitor port {ep.get('port')} is not a Service port {port_names}")
        if ep.get("interval") != "30s":
            die(f"scrape interval {ep.get('interval')}, want 30s")
        if sm["apiVersion"] != "monitoring.coreos.com/v1":
            die(f"ServiceMonitor apiVersion {sm['apiVersion']}")

def c_kustomization():
    k = load_all("kustomization.yaml")[0]
    res = k.get("resources", [])
    manifests = sorted(f for f in os.listdir(D)
                       if f.endswith((".yaml", ".yml")) and f != "kustomization.yaml")
    if sorted(res) != manifests:
        die(f"kustomization resources {sorted(res)} != manifests in {D}/ {manifests}")
    for g in k.get("configMapGenerator", []):
        for f in g.get("files", []):
            if not os.path.exists(os.path.join(D, f.split("=")[-1])):
                die(f"configMapGenerator file {f} missing")

# --- rules and dashboard -----------------------------------------------
def c_rule_sync():
    pr = one("prometheusrule.yaml", "PrometheusRule")
    if pr["apiVersion"] != "monitoring.coreos.com/v1":
        die(f"PrometheusRule apiVersion {pr['apiVersion']}")
    with open(os.path.join(D, "rules", "gomaptrace.rules.yml")) as f:
        rf = yaml.safe_load(f)
    if pr["spec"]["groups"] != rf["groups"]:
        a = {r.get("alert") or r.get("record"): r for g in pr["spec"]["groups"] for r in g["rules"]}
        b = {r.get("alert") or r.get("record"): r for g in rf["groups"] for r in g["rules"]}
        diff = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n)) or ["group names/order"]
        die(f"prometheusrule.yaml spec.groups != rules/gomaptrace.rules.yml groups: differ in {', '.join(diff)}")
    alerts = {r.get("alert") for g in rf["groups"] for r in g["rules"]}
    for want in ("GoMapLeakSuspected", "GoMapTraceEventsLost", "GoMapTraceAttachFailures"):
        if want not in alerts:
            die(f"alert {want} missing")
    leak = [r for g in rf["groups"] for r in g["rules"] if r.get("alert") == "GoMapLeakSuspected"][0]
    if leak.get("for") != "30m" or leak.get("labels", {}).get("severity") != "warning":
        die("GoMapLeakSuspected: want for: 30m and severity: warning")
    for k in ("summary", "description"):
        v = leak.get("annotations", {}).get(k, "")
        if "$labels.pod" not in v or "$labels.site" not in v:
            die(f"GoMapLeakSuspected {k} does not name the pod and the site")

def exprs():
    out = []
    with open(os.path.join(D, "rules", "gomaptrace.rules.yml")) as f:
        for g in yaml.safe_load(f)["groups"]:
            out += [("rules: " + (r.get("alert") or r.get("record")), r["expr"]) for r in g["rules"]]
    for g in one("prometheusrule.yaml", "PrometheusRule")["spec"]["groups"]:
        out += [("PrometheusRule: " + (r.get("alert") or r.get("record")), r["expr"]) for r in g["rules"]]
    dash = json.load(open(os.path.join(D, "grafana-dashboard.json")))
    def walk(o, where):
        if isinstance(o, dict):
            title = o.get("title", where)
            for k, v in o.items():
                if k in ("expr", "definition") and isinstance(v, str):
                    out.append((f"dashboard: {title}", v))
                elif k == "query" and isinstance(v, str) and o.get("type") == "query":
                    out.append((f"dashboard: variable {o.get('name')}", v))
                else:
                    walk(v, title)
        elif isinstance(o, list):
            for v in o:
                walk(v, where)
    walk(dash, "dashboard")
    return out

def c_metric_names():
    contract = set(os.environ["CONTRACT"].split())
    used = set()
    for where, e in exprs():
        names = set(re.findall(r"\bgomaptrace_[a-zA-Z0-9_:]*", e))
        if not names:
            die(f"{where}: expression uses no gomaptrace metric: {e}")
        bad = names - contract
        if bad:
            die(f"{where}: {' '.join(sorted(bad))} not a contract metric name")
        used |= names
    dash = json.dumps(json.load(open(os.path.join(D, "grafana-dashboard.json"))))
    for want in ("gomaptrace_map_entries", "gomaptrace_map_bucket_bytes_total", "gomaptrace_map_leak_suspected",
                 "gomaptrace_events_lost_total", "gomaptrace_targets", "gomaptrace_binaries_attached",
                 "gomaptrace_probe_hits_total", "gomaptrace_overhead_ratio"):
        if want not in dash:
            die(f"dashboard has no panel on {want}")

def c_dashboard_shape():
    dash = json.load(open(os.path.join(D, "grafana-dashboard.json")))
    if not 36 <= dash.get("schemaVersion", 0) <= 41:
        die(f"schemaVersion {dash.get('schemaVersion')}")
    vars_ = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    if vars_.get("datasource", {}).get("type") != "datasource" or vars_["datasource"].get("query") != "prometheus":
        die("no datasource variable of type prometheus")
    for v in ("namespace", "pod"):
        if v not in vars_:
            die(f"no template variable {v}")
    for v in vars_.values():
        if v.get("type") == "query" and (v.get("datasource") or {}).get("uid") != "${datasource}":
            die(f"variable {v['name']}: datasource is not ${{datasource}}")
    panels = [p for p in dash.get("panels", []) if p.get("type") != "row"]
    if len(panels) < 8:
        die(f"{len(panels)} panels")
    ids = [p.get("id") for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        die("panel ids not unique")
    for p in panels:
        ds = [p.get("datasource")] + [t.get("datasource") for t in p.get("targets", [])]
        if any((d or {}).get("uid") != "${datasource}" for d in ds):
            die(f"panel {p['title']}: datasource is not ${{datasource}}")
        if not p.get("targets"):
            die(f"panel {p['title']}: no query")

# argv: NAME=FUNCTION... ; one PASS/FAIL line each, in order.
for arg in sys.argv[1:]:
    name, _, fn = arg.partition("=")
    try:
        globals()["c_" + fn.replace("-", "_")]()
        print(f"PASS: {name}")
    except Fail as e:
        print(f"FAIL: {name}: {e}")
    except Exception as e:  # a file that does not have the expected shape
        print(f"FAIL: {name}: {type(e).__name__}: {e}")
    sys.stdout.flush()
PYEOF
)
py() { "$PY" -c "$PYCHECKS" "$@" || fail deploy-checks "python exited $?"; }

# --- lint and rule oracles -------------------------------------------------
check yamllint yamllint -s -d '{extends: default, rules: {line-length: {max: 160}, document-start: disable}}' "$DEPLOY/"
check promtool-check-rules promtool check rules "$DEPLOY/rules/gomaptrace.rules.yml"
# promtool prints SUCCESS even when the YAML has no tests at all.
promtool_test() {
	local out n
	n=$("$PY" -c 'import sys, yaml; print(len(yaml.safe_load(open(sys.argv[1]))["tests"]))' \
		"$DEPLOY/rules/gomaptrace.rules.test.yml" 2>&1) || { echo "$n"; return 1; }
	((n >= 3)) || { echo "only $n test groups"; return 1; }
	out=$(promtool test rules "$DEPLOY/rules/gomaptrace.rules.test.yml" 2>&1) && return 0
	# which test and time failed, in one line (the full diff is long)
	grep -E '^ +(name|alertname|expr): |FAILED|rror' <<<"$out" | head -4 | tr -s ' '
	return 1
}
check promtool-test-rules promtool_test
py prometheusrule-sync=rule-sync

# --- dashboard ---------------------------------------------------------------
check dashboard-json jq -e '.panels | length > 0' "$DEPLOY/grafana-dashboard.json"
py dashboard-shape=dashboard-shape metric-names-contract=metric-names

# --- Kubernetes manifests ----------------------------------------------------
py daemonset-hostpid=ds-hostpid daemonset-capabilities=ds-caps daemonset-readonly-rootfs=ds-rootfs \
	daemonset-unprivileged=ds-unprivileged daemonset-no-api-access=ds-no-api daemonset-volumes=ds-volumes \
	daemonset-apparmor=ds-apparmor networkpolicy=networkpolicy \
	daemonset-runtime=ds-runtime scrape-wiring=scrape-wiring kustomization=kustomization

# --- Dockerfile --------------------------------------------------------------
py dockerfile-lint=dockerfile-lint dockerfile-build-steps=dockerfile-build-steps \
	dockerfile-build-packages=dockerfile-packages dockerfile-readme=dockerfile-readme \
	dockerfile-runtime-libs=dockerfile-runtime dockerfile-copy-complete=dockerfile-copy
