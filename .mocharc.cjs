// mocha runs the TypeScript tests through tsx; the reporter ends with "N passed, N failed" for CI.
module.exports = {
  spec: ['test/**/*.test.ts'],
  require: ['tsx/cjs'],
  reporter: './test/support/reporter.cjs',
  timeout: 180000,
  slow: 5000,
};
