// Runs the chaos scenarios in file-name order (01-…, 02-…), so that runs and their tables compare.
// A jest test sequencer needs sort(); it keeps no timing cache between runs.
module.exports = class ByNameSequencer {
  sort(tests) {
    return [...tests].sort((a, b) => a.path.localeCompare(b.path));
  }

  cacheResults() {}
};
