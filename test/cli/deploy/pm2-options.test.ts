// PM2's global options on a `pmx deploy` line: taken as PM2 takes them, -f as --force.
import { describe, expect, it } from 'vitest';
import { takePm2Options } from '../../../cli/deploy/pm2-options.js';

describe("PM2's options on a deploy line", () => {
  it('take -f as --force before exec\'s command, and leave exec\'s own -f to it', () => {
    expect(takePm2Options(['production', '-f'])).toEqual({ words: ['production'], force: true, ignored: [] });
    expect(takePm2Options(['-f', 'production', 'setup'])).toEqual({ words: ['production', 'setup'], force: true, ignored: [] });
    expect(takePm2Options(['production'])).toEqual({ words: ['production'], force: false, ignored: [] });
    expect(takePm2Options(['production', 'exec', 'ls', '-f'])).toEqual({ words: ['production', 'exec', 'ls', '-f'], force: false, ignored: [] });
  });

  it('take the others out with their values, as commander reads them, naming each', () => {
    expect(takePm2Options(['production', '--env', 'production', '--update-env'])).toEqual({ words: ['production'], force: false, ignored: ['--env', '--update-env'] });
    expect(takePm2Options(['production', '--env=production', 'update'])).toEqual({ words: ['production', 'update'], force: false, ignored: ['--env'] });
    expect(takePm2Options(['production', '--watch', '--time'])).toEqual({ words: ['production'], force: false, ignored: ['--watch', '--time'] });
    expect(takePm2Options(['production', '--max-restarts', '3'])).toEqual({ words: ['production'], force: false, ignored: ['--max-restarts'] });
    expect(takePm2Options(['production', 'exec', 'ls', '--time'])).toEqual({ words: ['production', 'exec', 'ls', '--time'], force: false, ignored: [] });
  });

  it('leave options PM2 has not to the words, which refuse them', () => {
    expect(takePm2Options(['production', '--verbose']).words).toEqual(['production', '--verbose']);
    expect(takePm2Options(['production', '-F']).words).toEqual(['production', '-F']);
  });
});
