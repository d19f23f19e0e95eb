# Sourced by lab-kernel, lab-notebooks and lab-singleuser: one user's lab settings.
# Precedence: the environment (the hub's c.Spawner.environment) > ../../etc/lab.env (hub-install's) > nothing.
# ~/ in lab.env is this user's home. JupyterHub's cpu_limit and mem_limit reach the server as CPU_LIMIT and
# MEM_LIMIT (LocalProcessSpawner enforces neither): they bound the threads of ONNX Runtime and faiss's OpenMP,
# and Node's heap in the kernel.
LAB_BIN=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
LAB_CODE=$(dirname "$LAB_BIN")
LAB_PREFIX_DIR=$(dirname "$LAB_CODE")
export HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}

if [ -f "$LAB_PREFIX_DIR/etc/lab.env" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    key=${line%%=*}
    value=${line#*=}
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    [ -n "${!key:-}" ] && continue
    case "$value" in '~/'*) value="$HOME/${value#'~/'}" ;; '~') value=$HOME ;; esac
    export "$key=$value"
  done < "$LAB_PREFIX_DIR/etc/lab.env"
fi
export LAB_HOME=${LAB_HOME:-$HOME/vector-lab}

if [ -n "${CPU_LIMIT:-}" ] && [ -z "${LAB_THREADS:-}" ]; then
  # cpu_limit may be fractional (0.5): at least one thread, rounded up.
  LAB_THREADS=$(awk -v c="$CPU_LIMIT" 'BEGIN { n = int(c); if (n < c) n++; if (n < 1) n = 1; print n }')
  export LAB_THREADS
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$LAB_THREADS}
fi
if [ -n "${MEM_LIMIT:-}" ] && [[ "$MEM_LIMIT" =~ ^[0-9]+$ ]] && [[ "${NODE_OPTIONS:-}" != *max-old-space-size* ]]; then
  # Three quarters of the limit for V8's heap; the rest for faiss, ONNX Runtime and the server.
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-old-space-size=$((MEM_LIMIT / 1024 / 1024 * 3 / 4))"
fi
export PATH="$LAB_CODE/node/bin:${PATH:-/usr/local/bin:/usr/bin:/bin}"
