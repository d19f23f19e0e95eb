# JupyterHub for the vector search lab: the teacher's file. `bash scripts/lab.sh hub` wrote it once and
# never overwrites it; it starts the hub with it.
# JupyterHub 3.0 (Debian 12): https://jupyterhub.readthedocs.io/en/3.0.0/
import os

LAB = '@LAB_PREFIX@'  # where `bash scripts/lab.sh hub-install` put the lab
c = get_config()  # noqa: F821 (JupyterHub provides it)

# --- Where students connect. Behind TLS in a real class: c.JupyterHub.ssl_cert / ssl_key, or a reverse proxy.
c.JupyterHub.bind_url = os.environ.get('LAB_HUB_URL', 'http://:8000')
# The hub's own API and the proxy's (on this machine only); other ports let two hubs share a machine.
c.JupyterHub.hub_bind_url = f'http://127.0.0.1:{os.environ.get("LAB_HUB_API_PORT", "8081")}'
c.ConfigurableHTTPProxy.api_url = f'http://127.0.0.1:{os.environ.get("LAB_HUB_PROXY_API_PORT", "8001")}'

# --- Who logs in: the machine's own accounts, with their usual password (PAM).
c.JupyterHub.authenticator_class = 'pam'
# The class: list the students' user names, or name a Unix group (usermod -aG vector-lab alice).
c.Authenticator.allowed_users = set()  # e.g. {'alice', 'bob'}
# c.LocalAuthenticator.allowed_groups = {'vector-lab'}  # (set, it replaces allowed_users)
# Teachers: see every student's server on the hub's Admin page and stop or start it.
c.Authenticator.admin_users = set()
# Without a list every account of the machine could log in: the hub refuses to start (see the end).

# --- Each student's server: runs as the student, in their home; the lab copies the notebooks into
# ~/vector-lab/notebooks on first use (never over an edited one) and its kernel is the default.
c.JupyterHub.spawner_class = 'localprocess'
c.Spawner.cmd = [f'{LAB}/lab/bin/lab-singleuser']
c.Spawner.notebook_dir = '~'
c.Spawner.default_url = '/tree/vector-lab/notebooks'
c.Spawner.args = ['--MultiKernelManager.default_kernel_name=tslab']
# LAB_* settings for every student; they win over LAB/etc/lab.env (hub-install's): e.g.
# {'LAB_THREADS': '1'} or another course folder {'LAB_DATA_DIR': '/srv/course/data'}.
c.Spawner.environment = {}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60

# --- Limits. LocalProcessSpawner enforces neither mem_limit nor cpu_limit (JupyterHub's docs: the spawner
# must support them); it hands them to the server as MEM_LIMIT and CPU_LIMIT, and the lab's kernel uses them:
# cpu_limit threads for ONNX Runtime and faiss (LAB_THREADS, OMP_NUM_THREADS), 3/4 of mem_limit for Node's heap.
# Enforced limits need another spawner (systemdspawner, not packaged by Debian 12) or Kubernetes (README).
c.Spawner.cpu_limit = 1
c.Spawner.mem_limit = '2G'
c.JupyterHub.active_server_limit = 0  # servers running at once; 0: no limit
c.JupyterHub.concurrent_spawn_limit = 10  # servers starting at once

# --- Idle culling. jupyterhub-idle-culler (the hub-side service) is not packaged by Debian 12; the students'
# servers (Notebook 6) cull themselves: an idle kernel stops after IDLE_KERNEL seconds, a server with no
# kernel and no activity after IDLE_SERVER seconds; the hub notices within poll_interval.
IDLE_KERNEL = 3600
IDLE_SERVER = 1800
c.Spawner.args += [
    f'--MappingKernelManager.cull_idle_timeout={IDLE_KERNEL}',
    '--MappingKernelManager.cull_interval=60',
    f'--NotebookApp.shutdown_no_activity_timeout={IDLE_SERVER}',
]
c.Spawner.poll_interval = 30

# --- The hub's own files (LAB_HUB_STATE, set by lab.sh hub: default /var/lib/vector-lab-hub).
_state = os.environ.get('LAB_HUB_STATE', '/var/lib/vector-lab-hub')
c.JupyterHub.cookie_secret_file = os.path.join(_state, 'jupyterhub_cookie_secret')
c.JupyterHub.db_url = 'sqlite:///' + os.path.join(_state, 'jupyterhub.sqlite')
c.ConfigurableHTTPProxy.pid_file = os.path.join(_state, 'jupyterhub-proxy.pid')
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server

if not c.Authenticator.allowed_users and not c.LocalAuthenticator.get('allowed_groups'):
    raise SystemExit(
        f'[lab hub] no allowed users: edit {__file__}: c.Authenticator.allowed_users = {{"alice", "bob"}} '
        '(or c.LocalAuthenticator.allowed_groups), then start the hub again'
    )
