#!/usr/bin/env node
// The `kadchain` executable (package.json "bin"): runs the commander program and exits with its
// code. Exiting explicitly matters for `node`, whose services may leave handles behind after stop.
import { run, report } from './program.js';

run(process.argv).then(
  (code) => process.exit(code),
  (e: unknown) => process.exit(report(e)),
);
