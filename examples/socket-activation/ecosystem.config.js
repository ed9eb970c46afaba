// Two Python servers on one port, reloaded one at a time: pmx opens the port and passes it as fd 3.
module.exports = {
  apps: [
    {
      name: 'py-web',
      script: './server.py',
      instances: 2,
      listen: '127.0.0.1:3500',
      env: { GREETING: 'hello from python' },
    },
  ],
};
