// The pmx version, compiled in so that the single-file agent bundle knows it too.
// test/agent/version.test.ts keeps it equal to package.json's.
export const PMX_VERSION = '0.1.0';
