// Mocha's spec reporter plus one plain closing line that any CI can read:
// "<suite>: N passed, N failed, N skipped". The suite name comes from TERRAIN_SUITE.
'use strict';
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats ?? this.stats;
      const suite = process.env.TERRAIN_SUITE ? `${process.env.TERRAIN_SUITE}: ` : '';
      process.stdout.write(`${suite}${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SummaryReporter;
