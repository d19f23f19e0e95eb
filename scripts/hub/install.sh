#!/usr/bin/env bash
# The lab installed once for every user of this machine or image (root; scripts/lab.sh hub-install runs
# setup first, so the checkout's library, addon and kernel are built):
#   bash scripts/lab.sh hub-install [--demo]
# Layout under LAB_PREFIX (default /opt/vector-lab), root's and read-only for everyone else:
#   lab/          the library (dist/), its production node_modules, the FAISS addon (built against the AVX2 faiss in
#                 native/faiss/vendor when there is one: linked statically), the notebooks, the kernel's own Node
#                 (lab/node/bin/node) and the wrappers in lab/bin. Replaced as a whole: running kernels keep the old.
#   data/ queries/ models/   the course's files and models, one copy for all (copied from the checkout's
#                 LAB_DATA_DIR, LAB_QUERIES_DIR, LAB_MODELS_DIR); data/demo/ always holds the generated demo set.
#   etc/lab.env   every student's LAB_* settings: the shared folders above, and their own caches, exports,
#                 photos and chdb folder under ~/vector-lab (rewritten by each hub-install).
# The tslab kernel goes to LAB_KERNEL_PREFIX/share/jupyter/kernels/tslab (default /usr/local: every Jupyter
# server on the machine lists it). A student's server copies the notebooks into ~/vector-lab/notebooks on first
# use (lab/bin/lab-singleuser), never over one the student edited.
# --demo: point every student at the demo set even when the course's vectors.csv.gz is there (without it,
# the demo set is used anyway, with a DEMO DATA warning, as scripts/main.ts does).
# The students get the hand-outs (bash scripts/lab.sh handout: solution regions as TODOs, written answers
# blank); --with-hints adds the Python of each call under each TODO; --worked gives them the worked notebooks,
# solutions included (a demonstration, or a course that hands out solutions).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

say() { printf '\033[1m[lab hub-install]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[lab hub-install] error:\033[0m %s\n' "$*" >&2; exit 1; }

demo=0
notebooks=handout
for a in "$@"; do
  case "$a" in
    --demo) demo=1 ;;
    --worked) notebooks=worked ;;
    --with-hints) notebooks=handout-hints ;;
    *) die "unknown option '$a': expected --demo, --worked or --with-hints" ;;
  esac
done

[ "$(id -u)" -eq 0 ] ||
  die "hub-install writes to ${LAB_PREFIX:-/opt/vector-lab} and the system's Jupyter kernels: run it as root"
PREFIX=$(realpath -m "${LAB_PREFIX:-/opt/vector-lab}")
KERNELS=$(realpath -m "${LAB_KERNEL_PREFIX:-/usr/local}")/share/jupyter/kernels
case "$PREFIX" in
  "$ROOT" | "$ROOT"/*) die "LAB_PREFIX=$PREFIX is inside the checkout: choose a folder outside it" ;;
esac
umask 022

addon=native/faiss/build/Release/faiss_lab.node
[ -f dist/index.js ] && [ -f "$addon" ] ||
  die "the library or the FAISS addon is not built: run bash scripts/lab.sh setup"
NODE=$(command -v node)

# --- 1. the lab's code, staged next to the old one and swapped in (skipped when nothing changed) -----
stamp=$( (node --version; echo "notebooks: $notebooks"; sha256sum package-lock.json "$addon"
  find dist notebooks scripts/hub scripts/handout.ts src/handout course src/explore/page -type f -print0 | sort -z | xargs -0 sha256sum) |
  sha256sum | cut -c1-64)
lab="$PREFIX/lab"
if [ -f "$lab/.lab-stamp" ] && [ "$(cat "$lab/.lab-stamp")" = "$stamp" ]; then
  say "the lab in $lab is up to date"
else
  stage="$PREFIX/.lab.new"
  rm -rf "$stage"
  mkdir -p "$stage/bin" "$stage/node/bin" "$stage/native/faiss/build/Release" "$stage/src/explore"
  say "copying the library, its production packages and the FAISS addon into $lab"
  cp -a package.json package-lock.json dist "$stage/"
  mkdir -p "$stage/notebooks"
  if [ "$notebooks" = worked ]; then
    say "the students get the worked notebooks, solutions included (--worked)"
    cp -a notebooks/[0-9][0-9]-*.ipynb "$stage/notebooks/"
  else
    say "the students get the hand-outs (solutions as TODOs$([ "$notebooks" = handout-hints ] && echo ', with hints'))"
    node_modules/.bin/tsx scripts/handout.ts --out "$stage/notebooks" \
      $([ "$notebooks" = handout-hints ] && echo --with-hints) notebooks/[0-9][0-9]-*.ipynb >/dev/null
  fi
  cp -a src/explore/page "$stage/src/explore/"
  cp -a native/faiss/package.json native/faiss/lib "$stage/native/faiss/"
  cp -a native/faiss/build/faiss-stamp.json "$stage/native/faiss/build/"
  cp -a "$addon" "$stage/native/faiss/build/Release/"
  # Production packages only (npm's own list: no test runner, linter or compiler), with their nested ones.
  # chdb's optional packages for other platforms are "missing" to npm ls: its exit status is not the list's.
  (npm ls --omit=dev --all --parseable 2>/dev/null || true) |
    sed -n "s|^$ROOT/\(node_modules/\(@[^/]*/\)\{0,1\}[^/@][^/]*\)$|\1|p" | sort -u |
    while IFS= read -r p; do [ -e "$p" ] && printf '%s\0' "$p"; done |
    xargs -0 cp -a --parents -t "$stage/"
  [ -d "$stage/node_modules/tslab" ] ||
    die "tslab was not copied: is node_modules complete? (bash scripts/lab.sh setup)"
  cp "$(readlink -f "$NODE")" "$stage/node/bin/node"
  cp scripts/hub/lab-env.sh scripts/hub/lab-kernel scripts/hub/kernel-watch.cjs scripts/hub/lab-notebooks \
    scripts/hub/lab-singleuser "$stage/bin/"
  chmod 755 "$stage"/bin/lab-kernel "$stage"/bin/lab-notebooks "$stage"/bin/lab-singleuser
  # The copy must load on its own: the library, the addon (and its faiss) and tslab, on the copied Node.
  (cd "$stage" && node/bin/node -e '
    const f = require("faiss-lab-native"); require("./dist"); require.resolve("tslab/bin/tslab");
    console.log(`[lab hub-install] the copy loads: Node ${process.version}, ` +
      `faiss ${f.faissVersion} (${f.faissBuild} build)`);
  ') || die "the copied lab does not load (see above)"
  echo "$stamp" > "$stage/.lab-stamp"
  chmod -R a+rX,go-w "$stage"
  rm -rf "$PREFIX/.lab.old"
  [ -e "$lab" ] && mv "$lab" "$PREFIX/.lab.old"
  mv "$stage" "$lab"
  rm -rf "$PREFIX/.lab.old"
  say "installed the lab: $(du -sh "$lab" | cut -f1) in $lab"
fi

# --- 2. course data and models: one read-only copy for everyone -------------------------------------
# The checkout's folders as the library sees them (LAB_* or the project's defaults).
eval "$(node -e '
  const { config } = require("./dist/config");
  for (const k of ["dataDir", "queriesDir", "modelsDir"]) console.log(`src_${k}=${JSON.stringify(config[k])}`);
')"
copy_tree() { # copy_tree FROM TO [names left out...]: new and changed files only
  local from=$1 to=$2
  shift 2
  mkdir -p "$to"
  [ -d "$from" ] || return 0
  local e name skip x
  for e in "$from"/* "$from"/.[!.]*; do
    [ -e "$e" ] || continue
    name=$(basename "$e")
    skip=0
    for x in "$@"; do [ "$name" = "$x" ] && skip=1; done
    [ $skip -eq 1 ] || cp -a -u "$e" "$to/"
  done
}
# chdb's folder is each student's own (LAB_SQL_DIR); the demo set is generated in place below.
copy_tree "$src_dataDir" "$PREFIX/data" chdb demo
# Queries inside the data folder travel with it; elsewhere (the project's queries/) they get their own.
queries="$PREFIX/queries"
if [ "$(realpath -m "$src_queriesDir")" = "$(realpath -m "$src_dataDir/queries")" ]; then
  queries="$PREFIX/data/queries"
else
  copy_tree "$src_queriesDir" "$queries"
fi
copy_tree "$src_modelsDir" "$PREFIX/models"
mkdir -p "$PREFIX/queries"

say "the demo set in $PREFIX/data/demo (generated once)"
demo_env=$(LAB_DEMO_DIR="$PREFIX/data/demo" node_modules/.bin/tsx scripts/main.ts --demo-env)

course=''
for f in vectors.csv.gz vectors.csv; do [ -f "$PREFIX/data/$f" ] && course="$PREFIX/data/$f" && break; done
{
  echo "# Every student's lab settings, read by $lab/bin/lab-env.sh (their server and kernel)."
  echo "# Written by bash scripts/lab.sh hub-install (each run rewrites it). A setting in the hub's"
  echo "# c.Spawner.environment (or the server's own environment) wins over this file. ~/ is the student's home."
  if [ $demo -eq 1 ] || [ -z "$course" ]; then
    echo "# DEMO DATA: drawn photos and tiny random models; every result is meaningless."
    # The demo env's values are shell-quoted absolute paths; this file holds plain KEY=value lines.
    printf '%s\n' "$demo_env" | sed -n "s/^export \(LAB_[A-Z_]*\)='\(.*\)'$/\1=\2/p" | grep -v '^LAB_CACHE_DIR='
    echo 'LAB_CACHE_DIR=~/vector-lab/cache/demo'
  else
    echo "LAB_DATA_DIR=$PREFIX/data"
    echo "LAB_QUERIES_DIR=$queries"
    echo "LAB_MODELS_DIR=$PREFIX/models"
    echo '# Students never download: the models are in LAB_MODELS_DIR (read-only for them).'
    echo 'LAB_OFFLINE=1'
    echo 'LAB_CACHE_DIR=~/vector-lab/cache'
  fi
  echo 'LAB_HOME=~/vector-lab'
  echo 'LAB_EXPORT_DIR=~/vector-lab/export'
  echo 'LAB_MY_PHOTOS_DIR=~/vector-lab/my-photos'
  echo 'LAB_SQL_DIR=~/vector-lab/chdb'
} > "$PREFIX/etc.lab.env.new"
mkdir -p "$PREFIX/etc"
mv "$PREFIX/etc.lab.env.new" "$PREFIX/etc/lab.env"
if [ $demo -eq 1 ] || [ -z "$course" ]; then
  say "DEMO DATA: every student works on the generated demo set (results mean nothing)"
  [ -z "$course" ] || say "  (--demo: the course file $course is installed too)"
  [ -n "$course" ] ||
    say "  no vectors.csv.gz in $src_dataDir: put the course's files there (or LAB_DATA_DIR), run hub-install again"
else
  model=$(node -e 'const { config } = require("./dist/config"); console.log(config.clipModel)')
  [ -d "$PREFIX/models/$model" ] || [ -d "$model" ] ||
    say "warning: the CLIP model $model is not in $PREFIX/models: run bash scripts/lab.sh main once with" \
      "internet (it downloads into models/), then hub-install again"
fi
chmod -R a+rX,go-w "$PREFIX/data" "$PREFIX/queries" "$PREFIX/models" "$PREFIX/etc"
chmod 755 "$PREFIX"

# --- 3. the kernel, for every Jupyter server on the machine -----------------------------------------
mkdir -p "$KERNELS/tslab"
cat > "$KERNELS/tslab/kernel.json.new" <<EOF
{
  "argv": ["$lab/bin/lab-kernel", "{connection_file}"],
  "display_name": "TypeScript (vector lab)",
  "language": "typescript"
}
EOF
mv "$KERNELS/tslab/kernel.json.new" "$KERNELS/tslab/kernel.json"
chmod -R a+rX "$KERNELS/tslab"
say "kernel 'tslab' registered in $KERNELS (runs $lab/bin/lab-kernel)"
say "done: students' servers run $lab/bin/lab-singleuser (bash scripts/lab.sh hub starts a hub that does)"
