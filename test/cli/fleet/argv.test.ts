// What a fleet command forwards to each host's pmx: the command line as typed, without the
// options that choose the environment.
import { describe, expect, it } from 'vitest';
import { remoteWords, replaceOptionValue } from '../../../cli/fleet/argv.js';

describe('remoteWords', () => {
  it('drops --deploy and --deploy-file with their values, in both spellings', () => {
    expect(remoteWords(['reload', 'web', '--deploy', 'production', '--parallel', '2'])).toEqual(['reload', 'web', '--parallel', '2']);
    expect(remoteWords(['ls', '--deploy=production', '--deploy-file=eco.config.js'])).toEqual(['ls']);
    expect(remoteWords(['--deploy-file', 'eco.config.js', 'logs', 'api', '--lines', '5', '--deploy', 'staging'])).toEqual(['logs', 'api', '--lines', '5']);
  });

  it('drops the host selection (--hosts, --roles): each host runs the command on itself', () => {
    expect(remoteWords(['logs', 'web', '--deploy', 'production', '--hosts', 'web0*', '--roles=db', '--nostream'])).toEqual(['logs', 'web', '--nostream']);
  });

  it('leaves the script arguments after -- alone, even one spelled --deploy', () => {
    expect(remoteWords(['start', 'app.js', '--deploy', 'production', '--', '--deploy', 'x'])).toEqual(['start', 'app.js', '--', '--deploy', 'x']);
  });

  it('replaces an option\'s value in both spellings, never after --', () => {
    const at = '2026-12-05T10:00:00.000Z';
    expect(replaceOptionValue(['logs', '--since', '10m', '--grep', 'x'], '--since', at)).toEqual(['logs', '--since', at, '--grep', 'x']);
    expect(replaceOptionValue(['logs', '--since=2h'], '--since', at)).toEqual(['logs', `--since=${at}`]);
    expect(replaceOptionValue(['start', 'a.js', '--', '--since', '1m'], '--since', at)).toEqual(['start', 'a.js', '--', '--since', '1m']);
  });
});
