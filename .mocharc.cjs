// mocha runs the TypeScript tests through tsx; the reporter ends with "N passed, N failed" for CI.
// `npx mocha test/x.test.ts` runs that file only (mocha would add it to the spec below).
const named = process.argv.slice(2).some((a) => /\.test\.ts$/.test(a));
module.exports = {
  spec: named ? [] : ['test/**/*.test.ts'],
  require: ['tsx/cjs'],
  reporter: './test/support/reporter.cjs',
  timeout: 180000,
  slow: 5000,
};
