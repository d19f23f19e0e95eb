#!/usr/bin/env bash
# A JupyterHub for a class on this machine, with Debian's jupyterhub and proxy (root: PAM logins, and each
# student's server runs as that student):
#   bash scripts/lab.sh hub-install       once (and after each update of the lab)
#   bash scripts/lab.sh hub [args]        the hub, in the foreground (args go to jupyterhub)
# The teacher's config, LAB_HUB_CONFIG (default LAB_PREFIX/etc/jupyterhub_config.py), is written from
# scripts/hub/jupyterhub_config.py the first time and never overwritten: edit the allowed users there.
# The hub's database and cookie secret live in LAB_HUB_STATE (default /var/lib/vector-lab-hub).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
say() { printf '\033[1m[lab hub]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[lab hub] error:\033[0m %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] ||
  die "the hub logs students in with their passwords (PAM) and starts servers as them: run it as root"
PREFIX=$(realpath -m "${LAB_PREFIX:-/opt/vector-lab}")
CONFIG=$(realpath -m "${LAB_HUB_CONFIG:-$PREFIX/etc/jupyterhub_config.py}")
STATE=$(realpath -m "${LAB_HUB_STATE:-/var/lib/vector-lab-hub}")
[ -x "$PREFIX/lab/bin/lab-singleuser" ] ||
  die "the lab is not installed in $PREFIX: run bash scripts/lab.sh hub-install first"
command -v jupyterhub >/dev/null ||
  die "jupyterhub is not installed (apt-get install -y jupyterhub node-configurable-http-proxy)"
command -v configurable-http-proxy >/dev/null ||
  die "the proxy is not installed (apt-get install -y node-configurable-http-proxy)"

if [ ! -f "$CONFIG" ]; then
  mkdir -p "$(dirname "$CONFIG")"
  sed "s|@LAB_PREFIX@|$PREFIX|g" "$ROOT/scripts/hub/jupyterhub_config.py" > "$CONFIG"
  say "wrote the hub's config: $CONFIG (yours to edit: allowed users, limits, culling; never overwritten)"
fi
mkdir -p "$STATE"
chmod 700 "$STATE"
cd "$STATE"
export LAB_PREFIX=$PREFIX LAB_HUB_STATE=$STATE
# Debian's proxy finds its modules (commander, http-proxy) in /usr/share/nodejs only with this,
# under a Node that is not Debian's own (NodeSource's: "Cannot find module 'commander'").
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"
say "JupyterHub $(jupyterhub --version) with $CONFIG (Ctrl-C stops it and every student's server)"
exec jupyterhub -f "$CONFIG" "$@"
