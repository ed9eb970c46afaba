// The demo's ecosystem file: a PM2-format file, used unchanged by pmx.
module.exports = {
  apps: [
    {
      name: 'web',
      script: './web.js',
      env: { PORT: 3400, GREETING: 'hello from development' },
      env_production: { GREETING: 'hello from production' },
      kill_timeout: 3000,
    },
    {
      name: 'worker',
      script: './worker.js',
      restart_delay: 200,
      max_memory_restart: '150M',
    },
  ],
};
