#!/usr/bin/env bash
# A JupyterHub for a class on this machine, with Debian's jupyterhub and proxy (root: PAM logins, and each
# student's server runs as that student):
#   bash scripts/lab.sh hub-install       once (and after each update of the lab)
#   bash scripts/lab.sh hub [args]        the hub, in the foreground (args go to jupyterhub)
#   bash scripts/lab.sh hub --service     the hub as a systemd service (vector-lab-hub): up after a reboot
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

if [ "${1:-}" = --service ]; then
  # The same script under systemd, with this run's LAB_* settings; it runs from this checkout (keep it).
  [ $# -eq 1 ] || die "--service takes no other arguments (edit $CONFIG for the hub's settings)"
  unit_dir=${LAB_SYSTEMD_DIR:-/etc/systemd/system}
  unit="$unit_dir/vector-lab-hub.service"
  mkdir -p "$unit_dir"
  {
    echo '# Written by bash scripts/lab.sh hub --service (again to rewrite it). The hub: its config is'
    echo "# $CONFIG; systemctl stop vector-lab-hub stops it and every student's server."
    echo '[Unit]'
    echo 'Description=JupyterHub for the vector search lab'
    echo 'After=network-online.target'
    echo 'Wants=network-online.target'
    # systemd reads the restart limit from [Unit], not [Service]
    echo 'StartLimitIntervalSec=120'
    echo 'StartLimitBurst=5'
    echo '[Service]'
    echo 'Type=simple'
    for k in LAB_PREFIX LAB_HUB_CONFIG LAB_HUB_STATE LAB_HUB_URL LAB_HUB_API_PORT LAB_HUB_PROXY_API_PORT; do
      case $k in
        LAB_PREFIX) v=$PREFIX ;; LAB_HUB_CONFIG) v=$CONFIG ;; LAB_HUB_STATE) v=$STATE ;; *) v=${!k:-} ;;
      esac
      [ -z "$v" ] || echo "Environment=\"$k=$v\""
    done
    echo "ExecStart=/bin/bash $ROOT/scripts/hub/hub.sh"
    # A config without allowed users stops the hub at once: a few tries, then systemctl status says why.
    echo 'Restart=on-failure'
    echo 'RestartSec=5'
    echo '[Install]'
    echo 'WantedBy=multi-user.target'
  } > "$unit.new"
  mv "$unit.new" "$unit"
  say "wrote $unit"
  if [ -z "${LAB_SYSTEMD_DIR:-}" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now vector-lab-hub.service
    say "the hub runs as vector-lab-hub: systemctl status vector-lab-hub; journalctl -u vector-lab-hub"
  else
    say "systemd does not run here (or LAB_SYSTEMD_DIR is set): start it where it does with" \
      "systemctl daemon-reload && systemctl enable --now vector-lab-hub"
  fi
  exit 0
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
