#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (sshd, iproute2, chromium, ...) when they are missing.
# Runs before `npm test`; `--hosts` installs only what the SSH test hosts need (before `npm run demo`).
# As a non-root user it only says what is missing.
set -euo pipefail
hosts_only=0
[ "${1:-}" = --hosts ] && hosts_only=1
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  for c in python3 git ssh ip nsenter tmux openssl /usr/sbin/sshd /usr/bin/chromium; do command -v "$c" >/dev/null || [ -x "$c" ] || echo "[pmx] missing for the tests: $c" >&2; done
  exit 0
fi
missing=()
command -v git >/dev/null || missing+=(git)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null || missing+=(openssh-client)
command -v ip >/dev/null || missing+=(iproute2)
command -v nsenter >/dev/null || missing+=(util-linux)
if [ $hosts_only = 0 ]; then
  command -v python3 >/dev/null || missing+=(python3)
  command -v tmux >/dev/null || missing+=(tmux)
  # the cluster tests serve HTTPS with a certificate made at test time
  command -v openssl >/dev/null || missing+=(openssl)
  # the dashboard test drives Debian's chromium with playwright-core, at this path
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "[pmx] installing: ${missing[*]}"
  # openssh-server's install script would start a system sshd on port 22: forbid it
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ $made_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
