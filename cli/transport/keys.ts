// How pmx authenticates to one host: key files without a passphrase first, then the ssh-agent,
// then encrypted key files, whose passphrase is asked for only when their turn comes (so a key
// the agent already holds is never asked for).
import { readFileSync } from 'node:fs';
import ssh2, { type AnyAuthMethod, type AuthHandlerMiddleware, type IdentityCallback, type ParsedKey } from 'ssh2';
import type { HostTarget } from './host-target.js';

// ssh2 is CommonJS: Node's named-export detection misses OpenSSHAgent, so take it off the default export
const { OpenSSHAgent, utils } = ssh2;

/** Passphrase prompts, with hooks to stop the connect timer while a person types. */
export interface PassphraseAsker {
  prompt?: (keyFile: string) => Promise<string>;
  pause: () => void;
  resume: () => void;
}

/** The authentication attempts for one connection, and what they did. */
export interface AuthPlan {
  /** ssh2's authHandler: offers the next method each time it is called. */
  handler: AuthHandlerMiddleware;
  /** Whether there is anything to offer at all. */
  usable: boolean;
  /** Keys read at once but unusable (unreadable, not a key): a local problem rather than a refusal. */
  unreadable: string[];
  /** What was offered and why some keys were not, for the AUTH_FAILED message. */
  report: () => string;
}

interface Step {
  label: string;
  method: () => Promise<AnyAuthMethod | null>;
}

const PROMPT_ATTEMPTS = 3;

/** Plans authentication for `target` with the agent at `agentSocket` (SSH_AUTH_SOCK), if any. */
export function planAuth(target: HostTarget, agentSocket: string | undefined, asker: PassphraseAsker): AuthPlan {
  const username = target.user;
  const offered: string[] = [];
  const notes: string[] = [];
  const unreadable: string[] = [];
  const plain: Step[] = [];
  const encrypted: Step[] = [];
  const triedBlobs: Buffer[] = [];
  const lockedBlobs: Buffer[] = [];
  for (const file of target.keyFiles) {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (error) {
      unreadable.push(`${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
      continue;
    }
    const parsed = utils.parseKey(data);
    if (!(parsed instanceof Error)) {
      triedBlobs.push(parsed.getPublicSSH());
      plain.push({ label: file, method: async () => ({ type: 'publickey', username, key: data }) });
    } else if (!/passphrase/i.test(parsed.message)) {
      unreadable.push(`${file} (not a private key: ${parsed.message})`);
    } else if (!asker.prompt) {
      notes.push(`${file} (has a passphrase and there is no terminal to ask it on: add it to ssh-agent)`);
      lockedBlobs.push(...publicBlob(file, data));
    } else {
      lockedBlobs.push(...publicBlob(file, data));
      encrypted.push({ label: file, method: () => unlock(file, data, username, asker, notes) });
    }
  }
  const agent: Step[] = [];
  let agentKeys: number | null = null;
  if (target.useAgent && agentSocket) {
    const preferring = new PreferringAgent(agentSocket, lockedBlobs, triedBlobs, (count) => (agentKeys = count));
    agent.push({ label: 'ssh-agent', method: async () => ({ type: 'agent', username, agent: preferring }) });
  }
  const steps = [...plain, ...agent, ...encrypted];
  let next = 0;
  let serverMethods: string[] | null = null;
  const handler: AuthHandlerMiddleware = (methodsLeft, _partialSuccess, callback) => {
    serverMethods = methodsLeft ?? serverMethods;
    void (async () => {
      while (next < steps.length && (serverMethods === null || serverMethods.includes('publickey'))) {
        const step = steps[next++]!;
        const method = await step.method();
        if (method) {
          offered.push(step.label);
          return callback(method);
        }
      }
      callback(false as unknown as AnyAuthMethod); // ssh2: no more methods
    })();
  };
  const report = (): string => {
    const shown = offered.map((label) => (label === 'ssh-agent' && agentKeys !== null ? `ssh-agent (${agentKeys} keys)` : label));
    const parts = [`tried: ${shown.join(', ') || 'no key'}`];
    if (notes.length + unreadable.length > 0) parts.push(`skipped: ${[...notes, ...unreadable].join(', ')}`);
    if (serverMethods && !serverMethods.includes('publickey')) parts.push(`the server accepts only ${serverMethods.join(', ')}`);
    return parts.join('; ');
  };
  return { handler, usable: steps.length > 0, unreadable, report };
}

async function unlock(file: string, data: Buffer, username: string, asker: PassphraseAsker, notes: string[]): Promise<AnyAuthMethod | null> {
  asker.pause();
  try {
    for (let attempt = 0; attempt < PROMPT_ATTEMPTS; attempt++) {
      const passphrase = await asker.prompt!(file);
      // the key decrypted here, once, while the connect timer is stopped: ssh2 would decrypt it
      // again (a bcrypt KDF: a second or more on a busy machine) with the timer running
      const key = utils.parseKey(data, passphrase);
      if (!(key instanceof Error)) return { type: 'publickey', username, key: Array.isArray(key) ? key[0]! : key };
    }
    notes.push(`${file} (wrong passphrase)`);
    return null;
  } catch (error) {
    notes.push(`${file} (no passphrase given: ${(error as Error).message})`);
    return null;
  } finally {
    asker.resume();
  }
}

// The public half of a key whose private half is locked: from `<file>.pub`, or from the header of
// an OpenSSH-format key (which stores the public key unencrypted).
function publicBlob(file: string, data: Buffer): Buffer[] {
  try {
    const parsed = utils.parseKey(readFileSync(`${file}.pub`));
    if (!(parsed instanceof Error)) return [parsed.getPublicSSH()];
  } catch {
    // no .pub beside the key
  }
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(data.toString('latin1'))?.[1];
  if (!body) return [];
  const raw = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  let offset = 'openssh-key-v1\0'.length;
  const string = (): Buffer => {
    const length = raw.readUInt32BE(offset);
    offset += 4 + length;
    return raw.subarray(offset - length, offset);
  };
  try {
    string(); // cipher
    string(); // kdf
    string(); // kdf options
    offset += 4; // number of keys
    return [string()];
  } catch {
    return [];
  }
}

// The agent's keys with those of the locked key files first (so a key the agent holds is used
// before anyone is asked for its passphrase) and without those already offered from files (each
// refusal counts against sshd's MaxAuthTries).
class PreferringAgent extends OpenSSHAgent {
  constructor(
    socket: string,
    private readonly preferred: Buffer[],
    private readonly skipped: Buffer[],
    private readonly onCount: (count: number) => void,
  ) {
    super(socket);
  }

  override getIdentities(callback: IdentityCallback<ParsedKey>): void {
    super.getIdentities((error, keys) => {
      if (error || !keys) return callback(error, keys);
      const among = (list: Buffer[], key: (typeof keys)[number]): boolean => 'getPublicSSH' in key && list.some((blob) => blob.equals(key.getPublicSSH()));
      const usable = keys.filter((key) => !among(this.skipped, key));
      this.onCount(usable.length);
      callback(undefined, [...usable.filter((key) => among(this.preferred, key)), ...usable.filter((key) => !among(this.preferred, key))]);
    });
  }
}
