// The wording of `pmx metrics`: the URL, and a warning for an address beyond loopback.
import { describe, expect, it } from 'vitest';
import { endpointUrl, renderEndpoint } from '../../../cli/output/metrics-endpoint.js';
import { styleFor } from '../../../cli/output/style.js';

const style = styleFor(false);

describe('renderEndpoint', () => {
  it('gives the URL to scrape, without a warning on loopback', () => {
    const out = renderEndpoint({ host: '127.0.0.1', port: 9209 }, style);
    expect(out).toBe('[PMX] Prometheus metrics at http://127.0.0.1:9209/metrics');
  });

  it('warns that another address exposes every app to the network, unauthenticated', () => {
    const out = renderEndpoint({ host: '0.0.0.0', port: 9209 }, style);
    expect(out).toContain('http://0.0.0.0:9209/metrics');
    expect(out).toContain('0.0.0.0 is not a loopback address');
    expect(out).toContain('no authentication or TLS');
  });

  it('says when nothing is served', () => {
    expect(renderEndpoint(null, style)).toContain('pmx metrics --port');
  });

  it('puts an IPv6 host in brackets', () => {
    expect(endpointUrl({ host: '::1', port: 9300 })).toBe('http://[::1]:9300/metrics');
  });
});
