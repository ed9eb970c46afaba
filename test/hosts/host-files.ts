// Files of namespace hosts: the deploy user, keys, per-host home/srv/tmp, sshd_config and known_hosts.
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runChecked } from './run-command.js';

/** The login user on every host. */
export const DEPLOY_USER = 'deploy';

/** The deploy account as /etc/passwd has it. */
export interface DeployUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function passwdEntry(user: string): DeployUser | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user) return { name: user, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? `/home/${user}` };
  }
  return null;
}

function shadowPassword(user: string): string | null {
  const line = readFileSync('/etc/shadow', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  return line?.split(':')[1] ?? null;
}

function loginShell(user: string): string | null {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  return line?.split(':')[6] ?? null;
}

/** Create the machine's deploy user once (bash shell, unlocked with '*', no password); call under the lock. */
export async function ensureDeployUser(): Promise<DeployUser> {
  if (!passwdEntry(DEPLOY_USER)) {
    await runChecked('useradd', ['--create-home', '--shell', '/bin/bash', DEPLOY_USER]);
  }
  // useradd leaves the account locked ('!'): with `UsePAM no` sshd then refuses even key logins
  if (shadowPassword(DEPLOY_USER) !== '*') await runChecked('usermod', ['-p', '*', DEPLOY_USER]);
  if (loginShell(DEPLOY_USER) !== '/bin/bash') await runChecked('usermod', ['-s', '/bin/bash', DEPLOY_USER]);
  const user = passwdEntry(DEPLOY_USER)!;
  // the per-host home is bound over this path inside each host, so it must exist here
  if (!existsSync(user.home)) {
    await mkdir(user.home, { recursive: true, mode: 0o755 });
    await chown(user.home, user.uid, user.gid);
  }
  return user;
}

/** Generate an ed25519 key pair without passphrase at file (and file.pub). */
export async function generateKey(file: string, comment: string): Promise<void> {
  await runChecked('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  await chmod(file, 0o600);
}

async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await chown(p, uid, gid);
  for (const e of await readdir(p, { withFileTypes: true })) {
    const child = path.join(p, e.name);
    if (e.isDirectory()) await chownTree(child, uid, gid);
    else await chown(child, uid, gid);
  }
}

/** ~/.bashrc: PATH lines first, then Debian's skeleton (whose interactive guard returns early for `ssh host cmd`). */
async function bashrc(pathDirs: readonly string[]): Promise<string> {
  const skel = existsSync('/etc/skel/.bashrc') ? await readFile('/etc/skel/.bashrc', 'utf8') : '';
  const dirs = pathDirs.map((d) => `"${d.replace(/["\\$`]/g, '\\$&')}"`).join(' ');
  return [
    '# >>> pmx test host: PATH for ssh sessions, non-interactive ones too (keep above the interactive guard)',
    `for __d in ${dirs}; do __p=":$PATH:"; __p="\${__p//:$__d:/:}"; __p="\${__p#:}"; PATH="$__d:\${__p%:}"; done`,
    'unset __d __p; export PATH',
    '# <<< pmx test host',
    skel,
  ].join('\n');
}

/** What prepareHostDir needs to know about one host. */
export interface HostDirSpec {
  dir: string;
  hostName: string;
  address: string;
  user: DeployUser;
  authorizedKey: string;
  /** dirs put first in PATH, first one ends up first */
  pathDirs: readonly string[];
}

/** Lay out one host's directory: home/ (skel, .bashrc, .ssh, .gitconfig), srv/, tmp/, host key, sshd_config. */
export async function prepareHostDir(spec: HostDirSpec, baseDir: string): Promise<void> {
  const { dir, user } = spec;
  const home = path.join(dir, 'home');
  const srv = path.join(dir, 'srv');
  await mkdir(path.join(dir, 'tmp', path.basename(baseDir)), { recursive: true, mode: 0o755 });
  await chmod(path.join(dir, 'tmp'), 0o1777);
  await mkdir(srv, { mode: 0o755 });
  if (existsSync('/etc/skel')) await cp('/etc/skel', home, { recursive: true });
  else await mkdir(home);
  await writeFile(path.join(home, '.bashrc'), await bashrc([...spec.pathDirs].reverse()));
  // git >= 2.39.4 refuses repositories owned by another user ("dubious ownership")
  await writeFile(path.join(home, '.gitconfig'), '[safe]\n\tdirectory = *\n');
  await mkdir(path.join(home, '.ssh'), { mode: 0o700 });
  await writeFile(path.join(home, '.ssh', 'authorized_keys'), spec.authorizedKey, { mode: 0o600 });
  // StrictModes: home not group/world-writable, .ssh 700, authorized_keys 600, all owned by the user
  await chownTree(home, user.uid, user.gid);
  await chown(srv, user.uid, user.gid);
  await chmod(home, 0o755);
  await chmod(path.join(home, '.ssh'), 0o700);
  await chmod(dir, 0o755);
  await generateKey(path.join(dir, 'ssh_host_ed25519_key'), spec.hostName);
  await writeFile(path.join(dir, 'sshd_config'), sshdConfig(spec));
}

function sshdConfig(spec: HostDirSpec): string {
  return `# sshd of pmx test host ${spec.hostName} (${spec.address}), written by test/hosts
ListenAddress ${spec.address}:22
HostKey ${spec.dir}/ssh_host_ed25519_key
PidFile ${spec.dir}/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers ${spec.user.name}
UsePAM no
StrictModes yes
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 100:30:300
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel VERBOSE
`;
}

/** The "type key" part of a public key file (comment dropped). */
export async function publicKey(file: string): Promise<string> {
  const [type, key] = (await readFile(file, 'utf8')).trim().split(/\s+/);
  return `${type} ${key}`;
}

/** Write known_hosts with one line per host ("addr" for port 22, "[addr]:port" otherwise). */
export async function writeKnownHosts(
  file: string,
  hosts: ReadonlyArray<{ address: string; port: number; hostKey: string }>,
): Promise<void> {
  const lines = hosts.map((h) => `${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${h.hostKey}`);
  await writeFile(file, lines.join('\n') + '\n', { mode: 0o644 });
}
