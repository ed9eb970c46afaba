// The body of one GET to a test host's app, as text, or '(why)' when there is no answer: the demo
// and the deploy benchmark both ask each host which version it serves.
import { request } from 'node:http';

/** GET http://address:port/ and resolve with the trimmed body; never rejects. */
export function httpText(address, port, timeoutMs) {
  return new Promise((resolve) => {
    const req = request({ host: address, port, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', (error) => resolve(`(${error.message})`));
    req.end();
  });
}
