// pmx (and PM2) ecosystem file. Start it with: pmx start ecosystem.config.js
module.exports = {
  apps: [
    {
      name: 'app',
      script: './app.js',
    },
  ],
};
