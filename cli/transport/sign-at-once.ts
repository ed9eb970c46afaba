// Public-key login in one round trip instead of two. ssh2, as OpenSSH, first asks whether the
// server would accept a key (USERAUTH_REQUEST without a signature, answered PK_OK), then sends the
// signed request. For a key file we hold, the signed request can go first: the server answers it
// with success or failure (RFC 4252 section 7), and ssh2's own failure handling (next algorithm,
// next key) is unchanged. Agent keys keep the query (the agent signs, and may ask its user).
// ssh2 has no option for it: this wraps its protocol's authPK (ssh2 1.x lib/protocol/Protocol.js)
// and does nothing when that is not there.
import type { Client } from 'ssh2';

type Sign = (data: Buffer, send: (signature: Buffer) => void) => void;
interface PrivateKey {
  isPrivateKey?(): boolean;
  sign?(data: Buffer, hash?: string): Buffer | Error;
}
interface ProtocolInternals {
  authPK?(username: string, key: unknown, keyAlgo?: string | Sign, sign?: Sign): void;
}

/** The hash a signature algorithm names (ssh2 picks the key's default for the others). */
function hashOf(keyAlgo: string | undefined): string | undefined {
  if (keyAlgo === 'rsa-sha2-256') return 'sha256';
  if (keyAlgo === 'rsa-sha2-512') return 'sha512';
  return undefined;
}

/** From the end of the key exchange on, public-key requests made with a private key are sent signed. */
export function signAtOnce(client: Client): void {
  client.once('handshake', () => {
    const proto = (client as unknown as { _protocol?: ProtocolInternals })._protocol;
    const authPK = proto?.authPK;
    if (!proto || typeof authPK !== 'function') return;
    proto.authPK = function (username, key, keyAlgo, sign) {
      const own = key as PrivateKey;
      const algo = typeof keyAlgo === 'string' ? keyAlgo : undefined;
      if (sign || typeof keyAlgo === 'function' || typeof own?.sign !== 'function' || own.isPrivateKey?.() !== true) return authPK.call(this, username, key, keyAlgo, sign);
      const signing: Sign = (data, send) => {
        const signature = own.sign!(data, hashOf(algo));
        // a key that cannot sign: the query, and ssh2's own path from there
        if (signature instanceof Error) return void authPK.call(this, username, key, algo);
        send(signature);
      };
      return authPK.call(this, username, key, algo, signing);
    };
  });
}
