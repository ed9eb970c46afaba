#!/bin/sh
# Entrypoint of a pmx SSH test host container (test/hosts/Dockerfile): the client key, a host key of
# its own, PATH for ssh sessions, then sshd. Prints "pmx-host ready" once sshd listens.
set -eu

# client key: mounted or copied to /run/pmx/authorized_keys (compose, testcontainers),
# or baked in at build time from the PMX_AUTHORIZED_KEY build arg
if [ -f /run/pmx/authorized_keys ]; then
  install -o deploy -g deploy -m 600 /run/pmx/authorized_keys /home/deploy/.ssh/authorized_keys
fi
if [ ! -s /home/deploy/.ssh/authorized_keys ]; then
  echo "pmx-host: no client key (mount it at /run/pmx/authorized_keys)" >&2
  exit 1
fi

# every container gets its own host key (the image has none)
if [ ! -f /etc/ssh/ssh_host_ed25519_key ]; then
  ssh-keygen -q -t ed25519 -N '' -C "$(hostname)" -f /etc/ssh/ssh_host_ed25519_key
fi

# PATH for non-interactive "ssh host cmd": above Debian's interactive guard in ~/.bashrc
if [ -n "${PMX_EXTRA_PATH:-}" ] && ! grep -q '^# >>> pmx extra path' /home/deploy/.bashrc; then
  {
    echo '# >>> pmx extra path'
    echo "export PATH=\"$PMX_EXTRA_PATH:\$PATH\""
    cat /home/deploy/.bashrc
  } > /tmp/bashrc.pmx
  install -o deploy -g deploy -m 644 /tmp/bashrc.pmx /home/deploy/.bashrc
  rm -f /tmp/bashrc.pmx
fi

mkdir -p /run/sshd
chmod 755 /run/sshd
# without -D sshd binds its port, then daemonizes and writes /run/sshd.pid
/usr/sbin/sshd -E /var/log/sshd.log
echo "pmx-host ready"
exec sleep infinity
