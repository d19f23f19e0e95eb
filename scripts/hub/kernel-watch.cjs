// Preloaded into the lab's kernel by lab-kernel: the kernel ends when the Jupyter server that started it is
// gone. A server killed outright (SIGKILL, the kernel's OOM killer) cannot shut its kernels down; without this
// they run on as orphans, holding a student's memory and threads until someone kills them by hand.
'use strict';
const parent = process.ppid; // lab-kernel execs Node: the parent is the student's Jupyter server
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  process.stderr.write(`[lab kernel] its Jupyter server (pid ${parent}) is gone: the kernel stops\n`);
  process.exit(0);
}, 1000);
timer.unref();
