// make bench's peer for our policy engine: @cloud-copilot/iam-simulate (installed by
// scripts/bench.sh under build/node from bench/node's lock) deciding bench/policy_cases.json.
// Prints JSON: each case's decision, then decisions per second over a few seconds.
// Usage: node bench/iam_simulate.mjs CASES.json NODE_DIR (the directory holding node_modules).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// ES modules resolve packages next to the script, not from NODE_PATH: resolve in NODE_DIR.
const require = createRequire(join(resolve(process.argv[3]), 'package.json'));
const entry = require.resolve('@cloud-copilot/iam-simulate');
const { runSimulation } = await import(pathToFileURL(entry).href);
const version = JSON.parse(readFileSync(join(resolve(process.argv[3]),
  'node_modules/@cloud-copilot/iam-simulate/package.json'), 'utf8')).version;
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const PRINCIPAL = 'arn:aws:iam::123456789012:user/alice';

const simulation = (c) => ({
  request: {
    principal: PRINCIPAL,
    action: c.action,
    resource: { resource: c.resource, accountId: '123456789012' },
    contextVariables: c.context,
  },
  identityPolicies: [{ name: 'case', policy: c.policy }],
  serviceControlPolicies: [],
  resourceControlPolicies: [],
});

const decide = async (c) => {
  const result = await runSimulation(simulation(c), {});
  if (result.resultType === 'error') return 'error: ' + JSON.stringify(result.errors).slice(0, 200);
  return result.overallResult;
};

const decisions = [];
for (const c of cases) decisions.push(await decide(c));

// Guess: 3 s is long enough for V8's JIT to have warmed up the hot path.
const sims = cases.map(simulation);
for (let i = 0; i < 200; i++) for (const s of sims) await runSimulation(s, {});
let n = 0;
const t0 = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < 3) {
  for (const s of sims) await runSimulation(s, {});
  n += sims.length;
  elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
}
console.log(JSON.stringify({ decisions, per_second: n / elapsed, version, node: process.version }));
