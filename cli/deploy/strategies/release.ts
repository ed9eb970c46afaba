// The release strategy: the commit is archived locally once (git archive) and the same tar stream
// is sent to every host, which needs no access to the git server.
import { createReadStream } from 'node:fs';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { extractUploadCommand, receiveUploadCommand } from '../commands.js';
import type { HostContext } from '../context.js';
import { archiveCommit, resolveLocalRef } from '../local-git.js';
import { runOn } from '../remote.js';
import { createOnce } from './create-once.js';
import { releaseName } from '../remote-paths.js';
import type { SourceStrategy } from './types.js';

/** Progress is reported about this often while an archive uploads. */
const PROGRESS_EVERY_BYTES = 1024 * 1024;

/** Archive locally, upload the same archive to each host, unpack it there. */
export const releaseStrategy: SourceStrategy = {
  requires: ['tar'],
  async prepareLocal(run) {
    const dir = dirname(run.environment.file);
    const sha = await resolveLocalRef(dir, run.ref);
    const archive = await archiveCommit(dir, sha);
    run.emit({ kind: 'note', host: null, level: 'info', message: `archived ${sha.slice(0, 7)} (${run.ref}): ${archive.bytes} bytes, sent to every host` });
    return { ...run, archive };
  },
  async fetch(ctx, track) {
    const archive = ctx.run.archive!;
    const release = releaseName(ctx.run.startedAt, archive.sha);
    // an upload cut half-way leaves a .partial file: cleanup must know it may exist
    track({ sha: archive.sha, release, created: true });
    await runOn(ctx, 'fetch', receiveUploadCommand(ctx.run.paths, release), { what: 'the upload of the release archive', stdin: ctx.run.rehearsal ? '' : uploadStream(ctx, archive.file, archive.bytes) });
    return { sha: archive.sha, release };
  },
  async createRelease(ctx, track) {
    await createOnce(ctx, track, extractUploadCommand(ctx.run.paths, ctx.release!, ctx.sha!), 'unpacking the release archive');
  },
};

function uploadStream(ctx: HostContext, file: string, total: number): NodeJS.ReadableStream & import('node:stream').Readable {
  let sent = 0;
  let reported = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      if (sent - reported >= PROGRESS_EVERY_BYTES || sent === total) {
        reported = sent;
        ctx.run.emit({ kind: 'progress', host: ctx.target.label, phase: 'fetch', bytes: sent, total });
      }
      done(null, chunk);
    },
  });
  return createReadStream(file).pipe(counter);
}
