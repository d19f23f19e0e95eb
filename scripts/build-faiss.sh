#!/usr/bin/env bash
# Builds faiss with its AVX2 kernels from Debian's own source package of the installed
# libfaiss-dev, for the FAISS addon (native/faiss/lib/faiss-config.js links it when the
# CPU has AVX2). Debian's libfaiss.a is a generic x86-64 build: scalar distance loops.
#
#   bash scripts/build-faiss.sh           build unless done already (or not wanted: see below)
#   bash scripts/build-faiss.sh --force   build again, also after a failed build
#
# Result: native/faiss/vendor/faiss-<version>-avx2/ with include/faiss, lib/libfaiss.a,
# build.json (what was built, how, how long) and build.log. scripts/lab.sh setup runs this.
# Not built (a line says why) when LAB_FAISS_BUILD=0 (or generic), when FAISS_PREFIX or a
# conda env with faiss is in use, when the CPU has no AVX2, or without Debian's libfaiss-dev.
# Needs apt-get, dpkg-source (dpkg-dev), cmake, make, g++ and libopenblas-dev.
# The source comes through apt with a private sources list, package lists and cache in
# the work folder: the machine's apt configuration and lists stay as they are.
# Exit status: 0 when built, up to date or not wanted; 1 when the build failed (the end
# of its log is printed; the addon then keeps Debian's generic libfaiss).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1m[lab]\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33m[lab]\033[0m %s\n' "$*" >&2; }

force=0
[ "${1:-}" = "--force" ] && force=1

# faiss-config.js decides (the same rules the addon's build follows).
plan=$(node native/faiss/lib/faiss-config.js own-build)
if [ "${plan%% *}" != build ]; then
  say "faiss: ${plan#skip }"
  exit 0
fi
read -r _ version dir <<< "$plan"

if ! src=$(dpkg-query -W -f='${source:Package} ${source:Version}' libfaiss-dev 2>/dev/null) || [ -z "$src" ]; then
  say "faiss: libfaiss-dev is not a Debian package here: the addon uses the faiss in /usr as it is"
  exit 0
fi
src_pkg=${src% *}
src_ver=${src#* }
flags=(-DFAISS_OPT_LEVEL=avx2 -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF -DFAISS_ENABLE_C_API=OFF
  -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release -DBLA_VENDOR=OpenBLAS)
key="$src_pkg $src_ver: ${flags[*]}"
vendor=$(dirname "$dir")
failed="$dir.failed"
log="$dir.log"

if [ $force -eq 0 ] && [ -f "$dir/build.json" ] && grep -qF "\"key\": \"$key\"" "$dir/build.json"; then
  exit 0
fi
if [ $force -eq 0 ] && [ -f "$failed" ] && [ "$(cat "$failed")" = "$key" ]; then
  say "faiss: the AVX2 build failed before (log: $log): the addon uses Debian's generic libfaiss."
  say "       Retry with: bash scripts/build-faiss.sh --force   (LAB_FAISS_BUILD=0 silences this)"
  exit 0
fi

missing=()
for tool in apt-get dpkg-source cmake make g++; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "faiss: cannot build the AVX2 library without ${missing[*]} (Debian: apt-get install -y cmake g++ make dpkg-dev);"
  say "       the addon uses Debian's generic libfaiss (LAB_FAISS_BUILD=0 silences this)"
  exit 0
fi

mkdir -p "$vendor"
work="$vendor/.work-faiss-$version"
rm -rf "$work" "$failed"
mkdir -p "$work"
: > "$log"
started=$(date +%s)
nproc=$(nproc 2>/dev/null || echo 2)
say "building faiss $version with AVX2 from Debian's source $src_pkg $src_ver (about 2 minutes on 2 cores; once: kept in ${dir#"$ROOT"/})"
say "  log: ${log#"$ROOT"/}; LAB_FAISS_BUILD=0 skips this and keeps Debian's generic libfaiss"

# A failure leaves the log's end on screen and a marker, so that later setups stay quick (offline,
# apt would wait for the network every time) and say how to retry instead of trying again.
fail() {
  warn "the AVX2 faiss build failed: $*"
  warn "last lines of $log:"
  tail -n 25 "$log" | sed 's/^/    /' >&2
  echo "$key" > "$failed"
  warn "the addon uses Debian's generic libfaiss (same results, about 3x slower HNSW builds);"
  warn "retry with: bash scripts/build-faiss.sh --force"
  rm -rf "$work"
  exit 1
}

# --- 1. the source package, through apt, with private configuration and lists ------------
# deb-src entries derived from the machine's own deb entries, restricted to the archives
# that serve the installed libfaiss-dev (apt-cache madison), when it knows them.
aptdir="$work/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/sources.list.d"
: > "$aptdir/sources.list"
mapfile -t uris < <(apt-cache madison libfaiss-dev 2>/dev/null | awk -F' [|] ' -v v="$(dpkg-query -W -f='${Version}' libfaiss-dev)" '$2 == v { split($3, a, " "); print a[1] }' | sort -u)
keep_uri() { # does this one-line entry name one of the archives that serve libfaiss-dev?
  [ ${#uris[@]} -eq 0 ] && return 0
  local u; for u in "${uris[@]}"; do case "$1 " in *"$u "*|*"$u/ "*) return 0 ;; esac; done
  return 1
}
n=0
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  while IFS= read -r line; do
    case "$line" in deb\ *|deb$'\t'*) keep_uri "$line" && echo "deb-src ${line#deb}" >> "$aptdir/sources.list" ;; esac
  done < "$f"
done
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  n=$((n + 1))
  # deb822: one paragraph per entry; keep those with Types deb (and Enabled not no), as deb-src.
  awk 'BEGIN { RS = ""; ORS = "\n\n" }
    /(^|\n)[Tt]ypes:[^\n]*deb/ && !/(^|\n)[Ee]nabled:[ \t]*[Nn]o/ {
      sub(/(^|\n)[Tt]ypes:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$f" |
    awk -v keep="${uris[*]}" 'BEGIN { RS = ""; ORS = "\n\n"; n = split(keep, k, " ") }
      { if (n == 0) { print; next }
        for (i = 1; i <= n; i++) if (index($0 "\n", k[i] "\n") || index($0 "\n", k[i] " ") || index($0 "\n", k[i] "/")) { print; next } }' \
      > "$aptdir/sources.list.d/$n.sources"
done
apt_opts=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o "Dir::Etc::SourceParts=$aptdir/sources.list.d"
  -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache" -o Acquire::Languages=none -q)
# As root, apt downloads as the user _apt, who cannot write into this folder: stay root.
[ "$(id -u)" -eq 0 ] && apt_opts+=(-o APT::Sandbox::User=root)
{
  echo "== private deb-src entries"; cat "$aptdir/sources.list" "$aptdir"/sources.list.d/*
  echo "== apt-get update (private lists in $aptdir/lists)"
} >> "$log"
apt-get "${apt_opts[@]}" update >> "$log" 2>&1 || warn "apt-get update reported errors (see $log); trying the download anyway"
echo "== apt-get source $src_pkg=$src_ver" >> "$log"
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only "$src_pkg=$src_ver") >> "$log" 2>&1 ||
  fail "could not download the source package $src_pkg $src_ver with apt"
echo "== dpkg-source -x (unpacks and applies Debian's patches)" >> "$log"
(cd "$work" && dpkg-source -x ./*.dsc source) >> "$log" 2>&1 || fail "dpkg-source -x failed"
say "  source $src_pkg $src_ver unpacked with Debian's patches ($(( $(date +%s) - started )) s); compiling on $nproc cores..."

# --- 2. CMake: the faiss_avx2 target only --------------------------------------------------
echo "== cmake ${flags[*]}" >> "$log"
cmake -S "$work/source" -B "$work/build" "${flags[@]}" >> "$log" 2>&1 || fail "cmake could not configure the build"
echo "== cmake --build --target faiss_avx2 -j$nproc" >> "$log"
cmake --build "$work/build" --target faiss_avx2 -j"$nproc" >> "$log" 2>&1 &
pid=$!
# Progress: make's percentage every 20 s.
while kill -0 "$pid" 2>/dev/null; do
  for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null || break
  pct=$(grep -o '^\[ *[0-9]*%\]' "$log" | tail -n 1 | tr -d '[] ' || true)
  say "  faiss build ${pct:-0%} ($(( $(date +%s) - started )) s)"
done
wait "$pid" || fail "the compilation failed"

# --- 3. a prefix faiss-config.js can use: include/faiss, lib/libfaiss.a, build.json ------
prefix="$work/prefix"
mkdir -p "$prefix/include" "$prefix/lib"
lib=$(find "$work/build" -name 'libfaiss_avx2.a' | head -n 1)
[ -n "$lib" ] || fail "the build made no libfaiss_avx2.a"
cp "$lib" "$prefix/lib/libfaiss.a"
(cd "$work/source" && find faiss -name '*.h' -not -path 'faiss/gpu/*' -not -path 'faiss/python/*' -print0 |
  xargs -0 cp --parents -t "$prefix/include")
seconds=$(( $(date +%s) - started ))
cat > "$prefix/build.json" <<EOF
{
  "key": "$key",
  "version": "$version",
  "debianSource": "$src_pkg $src_ver",
  "optLevel": "avx2",
  "cmakeFlags": "${flags[*]}",
  "compiler": "$(g++ --version | head -n 1)",
  "cores": $nproc,
  "seconds": $seconds,
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF
mv "$log" "$prefix/build.log"
rm -rf "$dir"
mv "$prefix" "$dir"
rm -rf "$work"
say "faiss $version with AVX2 built in ${seconds} s: ${dir#"$ROOT"/} ($(du -sh "$dir/lib/libfaiss.a" | cut -f1) library)"
