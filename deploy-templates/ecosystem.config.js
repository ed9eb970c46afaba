// pmx (and PM2) ecosystem file. Start it with: pmx start ecosystem.config.js [--env production]
module.exports = {
  apps: [
    {
      name: 'app',
      script: './app.js',
      // cluster mode: `pmx reload app` replaces the instances without dropping a request
      exec_mode: 'cluster',
      instances: 1,
      max_memory_restart: '300M',
      env: {
        NODE_ENV: 'development',
      },
      env_production: {
        NODE_ENV: 'production',
      },
    },
  ],

  // pmx deploy production setup, then: pmx deploy production
  deploy: {
    production: {
      user: 'deploy',
      host: ['203.0.113.10'],
      ref: 'origin/main',
      repo: 'git@github.com:example/app.git',
      path: '/srv/app',
      'pre-deploy-local': '',
      'post-deploy': 'npm ci && pmx startOrReload ecosystem.config.js --env production',
      'pre-setup': '',
    },
  },
};
