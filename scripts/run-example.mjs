// `npm run example`: runs examples/greeter/plan.yaml on a scratch copy of examples/greeter/repo with the
// recorded model answers, so the whole flow runs offline without touching the checked-in example.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliCommand } from '../dist/cli/commandName.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples', 'greeter');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'autopack-example-'));
fs.cpSync(path.join(example, 'repo'), scratch, { recursive: true });
// A git repository, as most are: each phase that succeeds becomes a commit (docs/git.md).
const identity = { GIT_AUTHOR_NAME: 'example', GIT_AUTHOR_EMAIL: 'example@localhost', GIT_COMMITTER_NAME: 'example', GIT_COMMITTER_EMAIL: 'example@localhost' };
const git = (...gitArgs) => spawnSync('git', gitArgs, { cwd: scratch, stdio: 'ignore', env: { ...process.env, ...identity } }).status === 0;
const isGit = git('init', '-q') && git('add', '-A') && git('commit', '-q', '-m', 'the greeter before autopack');

const cli = path.join(root, 'dist', 'cli.js');
// Printed as the CLI prints its own suggestions (`Log: … log RUN`): `node dist/cli.js`, which works in a
// clone with no `autopack` on PATH (README: npx autopack, npm link).
const autopack = cliCommand([process.execPath, cli]);
const args = ['run', path.join(example, 'plan.yaml'), '--repo', scratch, '--llm', `replay:${path.join(example, 'recording.jsonl')}`];
process.stderr.write(`scratch copy: ${scratch}\n$ ${autopack} ${args.join(' ')}\n\n`);
const run = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
process.stderr.write(
  `\nLook at it: ${autopack} status --repo ${scratch}\n` +
    (isGit ? `   the phases' commits: git -C ${scratch} log --stat\n   take the run back: ${autopack} undo RUN --repo ${scratch}\n` : '') +
    `   or in a browser: ${autopack} inspect --repo ${scratch} --open\n`,
);
process.exit(run.status ?? 1);
