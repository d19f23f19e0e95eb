#!/usr/bin/env bash
# The lab's entry point.
#   bash scripts/lab.sh setup   system packages (when missing), faiss with AVX2 (once), npm ci, the FAISS addon, the Jupyter kernel
#   bash scripts/lab.sh main    setup, then the main job: every notebook executed into export/ (HTML, signed .ipynb,
#                               my-photos.zip), on the course's files or, without them, a generated demo set
#                               (args go to scripts/main.ts: --demo, --build-data, --timeout S)
#   bash scripts/lab.sh jupyter setup, then Jupyter on notebooks/ with the lab's kernel (--demo: on the demo set)
#   bash scripts/lab.sh handout the students' versions into release/: solution regions become TODOs (--with-hints,
#                               --out DIR; args go to scripts/handout.ts)
#   bash scripts/lab.sh strip   strips outputs from notebooks/*.ipynb before committing (--check: only report)
#   bash scripts/lab.sh test    setup, then type check and the whole test suite
#   bash scripts/lab.sh bench   setup + the Python reference's packages, then the benchmarks (args go to bench/run.ts)
#   bash scripts/lab.sh check-submissions DIR [--out OUT] [--rerun] [--timeout S]  a teacher's report over a folder of
#                               submissions (one folder or zip per student): OUT/report.csv and report.html
#   bash scripts/lab.sh explore setup, then the dataset explorer web page; prints its URL (args go to src/explore/cli.ts:
#                               --port N, --host ADDR (needs the printed token), --state DIR, --demo)
#   bash scripts/lab.sh hub-install  (root) setup, then the lab for every user under LAB_PREFIX (/opt/vector-lab)
#                               with the kernel system-wide (scripts/hub/install.sh; --demo: students get the demo set;
#                               the notebooks as hand-outs, --with-hints, or --worked: with the solutions)
#   bash scripts/lab.sh hub     (root) a JupyterHub for a class on this machine (scripts/hub/hub.sh; --service: as a
#                               systemd service, vector-lab-hub)
# Without root, setup installs nothing: a missing package is named and setup stops.
# Every step checks first and skips what is already done, so running it twice is fast.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1m[lab]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[lab] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Debian packages: faiss for the addon, Python faiss/numpy as the reference, Jupyter for notebooks.
APT_PACKAGES=(libfaiss-dev libopenblas-dev python3-faiss python3-numpy
  jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client chromium)

check_node() {
  command -v node >/dev/null || die "Node.js is not installed: install Node >= 20.19 (Debian 12: apt-get install nodejs npm, or nodejs.org)"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
    die "Node $(node --version) is too old: this lab needs Node >= 20.19"
}

# The faster faiss (scripts/build-faiss.sh, on CPUs with AVX2) is compiled from Debian's source with these.
FAISS_BUILD_PACKAGES=(cmake g++ make dpkg-dev)

# Only the benchmarks' Python side needs these.
BENCH_PACKAGES=(python3-pandas python3-torch python3-torchvision python3-onnx)

# Only the class hub (hub-install, hub, its test) needs these.
HUB_PACKAGES=(jupyterhub node-configurable-http-proxy)

system_packages() { # [--optional] packages...: as root, installs the missing; else names them (and stops unless optional)
  local missing=() optional=0
  [ "${1:-}" = --optional ] && optional=1 && shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    say "not a Debian/Ubuntu system: install faiss yourself (conda install -c conda-forge faiss-cpu, or set FAISS_PREFIX) and Jupyter"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    # Without root nothing is installed and nothing asks for a password: name what is missing.
    if [ "$optional" -eq 1 ]; then
      say "not installed (optional, skipped): ${missing[*]}"
      return 0
    fi
    die "missing system packages: ${missing[*]}
  someone with root installs them:  apt-get install -y ${missing[*]}
  (faiss without root: conda install -c conda-forge faiss-cpu, then run this again with the env active)"
  fi
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists of a fresh machine are empty: update once, then install.
  apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null
    apt-get install -y -q "${missing[@]}" >/dev/null
  }
}

npm_packages() {
  local stamp=node_modules/.lab-lock-sha
  local want
  want=$(sha256sum package-lock.json native/faiss/package.json | sha256sum | cut -c1-64)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  say "npm ci (installs the pinned dependencies and builds the FAISS addon)"
  # Distribution Node keeps its headers in /usr/include/node: build against them, offline.
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ] && [ "$(command -v node)" = /usr/bin/node ]; then
    export npm_config_nodedir=/usr
  fi
  # chdb names optional native packages for macOS and arm64 that this registry does not serve, so the lock
  # cannot list them and npm ci refuses it as "out of sync". npm install with the same lock installs exactly
  # the locked versions (it skips optional packages it cannot get) and leaves the lock as it is.
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/tmp/lab-npm-ci.$$; then
    if grep -q 'EUSAGE' /tmp/lab-npm-ci.$$; then
      npm install --no-audit --no-fund --loglevel=error
    else
      cat /tmp/lab-npm-ci.$$ >&2; rm -f /tmp/lab-npm-ci.$$; exit 1
    fi
  fi
  rm -f /tmp/lab-npm-ci.$$
  echo "$want" > "$stamp"
}

# faiss 1.7.3 built from Debian's own source with the AVX2 kernels (3x faster HNSW builds),
# once, into native/faiss/vendor/ (kept across npm ci). LAB_FAISS_BUILD=0 skips it; without
# AVX2, with FAISS_PREFIX or a conda faiss, or when the build fails, the addon uses that
# faiss as before (native/faiss/lib/faiss-config.js decides).
fast_faiss() {
  case "$(node native/faiss/lib/faiss-config.js own-build)" in
    build*) system_packages --optional "${FAISS_BUILD_PACKAGES[@]}" ;;
  esac
  bash scripts/build-faiss.sh || true
}

native_addon() {
  local node_file=native/faiss/build/Release/faiss_lab.node
  local stamp_file=native/faiss/build/faiss-stamp.json
  local want
  # Rebuild when the sources changed or when the faiss to link did (npm ci built the addon
  # before the AVX2 faiss existed; LAB_FAISS_BUILD or FAISS_PREFIX changed; a new build).
  want=$(cd native/faiss && node lib/faiss-config.js stamp 2>/dev/null || true)
  if [ -f "$node_file" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ] &&
    [ -z "$(find native/faiss/src native/faiss/binding.gyp -newer "$node_file" 2>/dev/null)" ]; then
    return 0
  fi
  say "building the FAISS addon (against faiss: $(cd native/faiss && node lib/faiss-config.js build 2>/dev/null || echo 'not found'))"
  npm rebuild faiss-lab-native --loglevel=error
}

library() {
  # Notebooks import the compiled library (dist/): tslab only compiles files under the notebook's folder.
  if [ -f dist/index.js ] && [ -z "$(find src tsconfig.json tsconfig.build.json -newer dist/index.js 2>/dev/null)" ]; then
    return 0
  fi
  say "compiling the library to dist/"
  rm -rf dist
  node node_modules/typescript/bin/tsc -p tsconfig.build.json
}

jupyter_kernel() {
  local spec=.jupyter/share/jupyter/kernels/tslab/kernel.json
  local py=/usr/bin/python3
  [ -f "$spec" ] && grep -q "$ROOT/node_modules/.bin/tslab" "$spec" && return 0
  if ! "$py" -c 'import jupyter_client' 2>/dev/null; then
    say "Jupyter is not installed: notebooks will not run (see the packages above)"
    return 0
  fi
  say "registering the tslab kernel in $ROOT/.jupyter (JUPYTER_PATH; nothing is written to \$HOME)"
  LAB_JUPYTER_PYTHON="$py" bash scripts/kernel.sh >/dev/null
}

setup() {
  check_node
  system_packages "${APT_PACKAGES[@]}"
  fast_faiss
  npm_packages
  native_addon
  library
  jupyter_kernel
  node -e 'const f=require("faiss-lab-native"); console.log(`[lab] ready: Node ${process.version}, faiss ${f.faissVersion} (${f.faissBuild} build), ${f.ompGetMaxThreads()} threads`)'
}

cmd=${1:-main}
case "$cmd" in
  setup) setup ;;
  main)
    setup
    if [ $# -gt 0 ]; then shift; fi
    node_modules/.bin/tsx scripts/main.ts "$@"
    ;;
  jupyter)
    setup
    shift
    if [ "${1:-}" = "--demo" ]; then
      shift
      say "DEMO DATA: pointing the notebooks at the generated demo set (results mean nothing)"
      eval "$(node_modules/.bin/tsx scripts/main.ts --demo-env)"
    elif [ ! -f "${LAB_DATA_DIR:-data}/vectors.csv.gz" ] && [ ! -f "${LAB_DATA_DIR:-data}/vectors.csv" ]; then
      say "no ${LAB_DATA_DIR:-data}/vectors.csv.gz: the task notebooks need the course's file (bash scripts/lab.sh jupyter --demo runs them on a generated demo set)"
    fi
    py=${LAB_JUPYTER_PYTHON:-/usr/bin/python3}
    "$py" -c 'import notebook' 2>/dev/null || die "Jupyter Notebook is not installed for $py (apt-get install jupyter-notebook)"
    port=${LAB_JUPYTER_PORT:-8888}
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
    token=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')
    args=(--notebook-dir="$ROOT/notebooks" --port="$port" --NotebookApp.port_retries=0 --NotebookApp.token="$token")
    [ "$(id -u)" -eq 0 ] && args+=(--allow-root)
    [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" != Darwin ] && args+=(--no-browser)
    say "Jupyter on notebooks/ with the lab's TypeScript kernel (Ctrl-C stops it); open:"
    say "  http://localhost:$port/?token=$token"
    JUPYTER_PATH="$ROOT/.jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}" exec "$py" -m notebook "${args[@]}" "$@"
    ;;
  handout)
    shift
    node_modules/.bin/tsx scripts/handout.ts "$@"
    ;;
  strip)
    shift
    node_modules/.bin/tsx scripts/strip-notebooks.ts "$@"
    ;;
  test)
    setup
    say "type check (tsc)"
    node node_modules/typescript/bin/tsc --noEmit -p .
    say "tests (mocha)"
    node_modules/.bin/mocha
    ;;
  bench)
    setup
    system_packages "${BENCH_PACKAGES[@]}"
    shift
    node_modules/.bin/tsx bench/run.ts "$@"
    ;;
  check-submissions) shift; exec node_modules/.bin/tsx scripts/check-submissions.ts "$@" ;;
  explore)
    setup
    shift
    exec node_modules/.bin/tsx src/explore/cli.ts "$@"
    ;;
  hub-install) setup; system_packages "${HUB_PACKAGES[@]}"; shift; exec bash scripts/hub/install.sh "$@" ;;
  hub) system_packages "${HUB_PACKAGES[@]}"; shift; exec bash scripts/hub/hub.sh "$@" ;;
  *) die "unknown command '$cmd': use setup, main, test, bench, jupyter, explore, handout, check-submissions, strip, hub-install or hub" ;;
esac
