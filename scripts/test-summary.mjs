// Prints the plain closing line CI reads, "N passed, N failed", from one or more vitest JSON
// reports (the main suite and the chaos suite). A missing report counts as a failure: that run
// did not complete.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) files.push('.vitest-results.json');
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    console.error(`no vitest JSON report at ${file}: that test run did not complete`);
    failed += 1;
    ok = false;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (report.success === false) ok = false;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || !ok ? 1 : 0);
