// The apps of the pod: a web server with a health probe, and a worker. pmx-runtime serves
// /livez and /readyz for the pod's probes (see deployment.yaml).
module.exports = {
  apps: [
    {
      name: 'web',
      script: './web.js',
      env: { PORT: 3000 },
      kill_timeout: 5000,
      health: { http: 'http://127.0.0.1:3000/health', interval: '5s', timeout: '2s', failures: 3, start_period: '10s' },
    },
    { name: 'worker', script: './worker.js' },
  ],
};
