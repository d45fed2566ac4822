// Validates every statement of an xapi/statements.json with Learning
// Locker's xapi-validation (npm, installed by scripts/deps.sh npm), which
// portex did not write. Prints "xapi: N statements, N rejected" and the
// first problems; exits 1 when any statement is rejected.
'use strict';
const fs = require('fs');
const path = require('path');
const top = process.env.PX_TOP || path.join(__dirname, '..', '..');
const validate = require(path.join(top, 'build/npm/node_modules/xapi-validation')).default;

const statements = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
if (!Array.isArray(statements)) {
  console.error('not a JSON array of statements');
  process.exit(1);
}
let rejected = 0;
statements.forEach((s, i) => {
  const warnings = validate(s);
  if (warnings.length) {
    rejected++;
    if (rejected <= 5)
      console.error(`statement ${i}: ${JSON.stringify(warnings).slice(0, 600)}`);
  }
});
console.log(`xapi: ${statements.length} statements, ${rejected} rejected`);
process.exit(rejected ? 1 : 0);
