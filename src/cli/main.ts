import './zodConfig.js';
import { Command, Option, type AddHelpTextContext } from 'commander';
import { z } from 'zod';
import { exitCodeFor, messageFor } from './cliError.js';
import { processIo } from './io.js';

// Each command loads only what it uses: `autopack status` need not load the model client or the inspector.
const load = {
  decide: () => import('./decideCommand.js'),
  graph: () => import('./graphCommand.js'),
  inspect: () => import('./inspectCommand.js'),
  log: () => import('./logCommand.js'),
  replay: () => import('./replayCommand.js'),
  resume: () => import('./resumeCommand.js'),
  run: () => import('./runCommand.js'),
  state: () => import('./stateCommand.js'),
  status: () => import('./statusCommand.js'),
  submit: () => import('./submitCommand.js'),
  undo: () => import('./undoCommand.js'),
  worker: () => import('./workerCommand.js'),
};

// `autopack … | head` closes the pipe early: that ends the output, not in a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

/**
 * Help is wrapped by commander to the terminal's width, or, when piped, to $COLUMNS if set (`COLUMNS=120
 * autopack run --help | less`), else 80. So no help text is broken into lines by hand.
 */
const helpWidth = (stream: NodeJS.WriteStream): number =>
  (stream.isTTY ? stream.columns : undefined) ?? z.coerce.number().int().positive().safeParse(process.env['COLUMNS']).data ?? 80;

/** Text after a command's help, wrapped like the rest of it (commander prints `addHelpText` as given). */
const wrapped =
  (text: string) =>
  ({ command, error }: AddHelpTextContext): string =>
    command.createHelp().boxWrap(text, helpWidth(error ? process.stderr : process.stdout));

const program = new Command('autopack')
  .description('Run autonomous build phases: an LLM proposes whole-file changes, autopack validates, applies, health-checks and retries them, and logs every step to SQLite so a run can be inspected and resumed.')
  .configureOutput({ getOutHelpWidth: () => helpWidth(process.stdout), getErrHelpWidth: () => helpWidth(process.stderr) })
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

const dbOption = () =>
  new Option('--db <path|url>', 'event log: a SQLite file (default: <repo>/.autonomous_runs/autopack.db) or a PostgreSQL URL, postgres://user@host/db (env AUTOPACK_DB; see docs/scale-out.md)');
const repoOption = (what: string) => new Option('--repo <dir>', what).default(undefined, 'the current directory');

program
  .command('run')
  .description('run a plan (YAML or JSON: phases and optional health_checks) against a repository')
  .argument('<plan>', 'plan file, e.g. plan.yaml')
  .addOption(repoOption('repository the phases change'))
  .addOption(dbOption())
  .option('--max-retries <n>', 'retries per phase after the first attempt', '3')
  .option('--stuck-after <n>', "end a phase at once (STUCK) when this many attempts in a row fail the same way, even with retries left; 0: never (default: the plan's stuck_after, else 2)")
  .option('--no-health-checks', 'skip the plan\'s health-check commands (the deliverables check still runs)')
  .option('--no-baseline', 'do not run the health checks before the first phase; a check that already fails then fails every phase')
  .option('--continue-on-failure', 'run the remaining phases after a phase fails')
  .option('--llm <spec>', 'the model: openai (any OpenAI-compatible server; the default when OPENAI_API_KEY or a base URL is set), replay:FILE (answers recorded with --record, offline), scripted:FILE (answers from a JSON list, in order)')
  .option('--base-url <url>', 'OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama (env OPENAI_BASE_URL; no key needed)')
  .option('--model <name>', 'model to ask (env AUTOPACK_MODEL; default gpt-4o-mini)')
  .option('--api-key-env <name>', 'environment variable holding the API key (default OPENAI_API_KEY)')
  .option('--request-timeout <seconds>', 'give up on one HTTP attempt after this long (default 600); transient failures are retried')
  .option('--record <file>', 'append every request and answer to FILE (JSONL, no keys) for --llm replay:FILE')
  .option('--max-prompt-tokens <n>', 'prompt budget: context files are cut to fit (default 200000)')
  .option('--max-total-tokens <n>', 'stop the run (resumably) before a call that could take its tokens past N')
  .option('--max-cost-usd <amount>', 'stop the run (resumably) before a call that could take its cost past this; prices per model can be set in the plan')
  .option('--durability <level>', 'normal (survives a crash) or full (also a power cut; slower); see docs/durability.md', 'normal')
  .option('--edit-format <format>', 'how the model changes existing files: auto (search/replace edits for files over 150 lines, whole files otherwise), edits, or whole; see docs/edits.md (default: the edit_format of the plan, else auto)')
  .option('--answer-format <format>', 'what the prompt asks the answer to be written in: json (default) or markdown; either is accepted whatever was asked')
  .option('--no-commit', 'in a git repository, do not commit each succeeded phase (see docs/git.md)')
  .option('--allow-dirty', 'let the run overwrite files with your uncommitted changes (their pre-images are kept under .autonomous_runs/backups/)')
  .option('--worktree', 'work in a git worktree on a new branch autopack/<run id>, leaving your checkout untouched')
  .option('--approve', 'every phase waits for your approval of its validated changes before writing them (a phase with approval: true in the plan waits anyway); see docs/approval.md')
  .option('--no-wait', 'at an approval gate, exit with code 5 instead of waiting; decide with approve/reject, then resume')
  .option('--json', 'print the OrchestrationResult as JSON on stdout (progress stays on stderr)')
  .option('--inspect <ws-url>', "also stream XState inspection events, in @statelyai/inspect's protocol, to this WebSocket (e.g. a Stately inspector)")
  .addHelpText(
    'after',
    wrapped(
      '\nAt an approval gate the run shows the diff and waits: on a terminal it asks (y approves, n or any text rejects, the text being the feedback), and `autopack approve RUN` or `reject RUN --feedback TEXT` from another shell decide too.' +
        '\nExit codes: 0 every phase succeeded, 1 a phase failed, 2 bad input (nothing written), 3 interrupted (Ctrl-C, SIGTERM or a budget; the log keeps everything done), 4 internal error, 5 awaiting approval (--no-wait).\nEnvironment: OPENAI_API_KEY, OPENAI_BASE_URL, AUTOPACK_MODEL. See docs/llm.md.',
    ),
  )
  .action(async (plan: string, flags: Record<string, unknown>) => {
    process.exitCode = await (await load.run()).runCommand(plan, flags, processIo);
  });

program
  .command('resume')
  .description('continue an interrupted or crashed run from its log: nothing logged is done again (no model call, no apply)')
  .argument('[run]', 'run id (see `autopack runs`)')
  .option('--last', 'resume the latest run')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .option('--llm <spec>', 'the model, if not the one the run was started with: openai, replay:FILE or scripted:FILE')
  .option('--base-url <url>', 'OpenAI-compatible server (default: as recorded in the run)')
  .option('--model <name>', 'model to ask (default: as recorded in the run)')
  .option('--api-key-env <name>', 'environment variable holding the API key (default: as recorded, else OPENAI_API_KEY)')
  .option('--request-timeout <seconds>', 'give up on one HTTP attempt after this long')
  .option('--record <file>', 'append every new request and answer to FILE')
  .option('--max-total-tokens <n>', 'a new token budget for the whole run (what was spent still counts)')
  .option('--max-cost-usd <amount>', 'a new cost budget for the whole run (what was spent still counts)')
  .option('--durability <level>', 'normal (survives a crash) or full (also a power cut; slower)', 'normal')
  .option('--no-wait', 'at an approval gate with no decision yet, exit with code 5 instead of waiting')
  .option('--json', 'print the OrchestrationResult as JSON on stdout')
  .addHelpText('after', wrapped('\nThe repository, plan and options come from the log. A run stopped at an approval gate goes on with the decision made meanwhile (approve/reject). Exit codes as for `run`; 2 also when another process holds the run.'))
  .action(async (run: string | undefined, flags: Record<string, unknown>) => {
    process.exitCode = await (await load.resume()).resumeCommand(run, flags, processIo);
  });

for (const approved of [true, false]) {
  const command = program
    .command(approved ? 'approve' : 'reject')
    .description(
      approved
        ? "let the changes of the phase waiting at its approval gate be written (see docs/approval.md)"
        : 'reject the changes of the phase waiting at its approval gate: the phase tries again, and the model is told your feedback',
    )
    .argument('<run>', 'run id (from `autopack runs`, or the run\'s output)')
    .option('--phase <id>', 'the waiting phase (default: the one waiting)');
  if (!approved) command.requiredOption('--feedback <text>', 'what the model should change; it reads this as the reason its answer was not used');
  else command.option('--feedback <text>', 'a comment, kept in the log with the approval');
  command
    .option('--by <name>', 'who decides, as the log records it (default user@host)')
    .addOption(repoOption('repository whose log holds the run'))
    .addOption(dbOption())
    .option('--json', 'print the decision as JSON')
    .addHelpText(
      'after',
      wrapped(
        '\nA run waiting in a live process goes on by itself; one that exited at the gate (--no-wait) continues with `autopack resume RUN`. Exit 2 when no phase of the run is waiting for approval, or it was decided already.',
      ),
    )
    .action(async (run: string, flags: Record<string, unknown>) => {
      process.exitCode = await (await load.decide()).decideCommand(approved, run, flags, processIo);
    });
}

program
  .command('submit')
  .description('queue a plan for workers on any machine to run (PostgreSQL log); prints the run id')
  .argument('<plan>', 'plan file, e.g. plan.yaml: checked now')
  .requiredOption('--repo <git-url>', 'repository every worker clones and pushes the run\'s branch to (a URL, or a path they all reach)')
  .option('--ref <ref>', 'branch, tag or commit the run starts from, resolved now', 'HEAD')
  .addOption(dbOption())
  .option('--json', 'print {"run_id": …} on stdout')
  .addHelpText('after', wrapped('\nThe run works on branch autopack/<run id>, pushed after every phase commit. See docs/scale-out.md.'))
  .action(async (plan: string, flags: Record<string, unknown>) => {
    process.exitCode = await (await load.submit()).submitCommand(plan, flags as { repo: string }, processIo);
  });

program
  .command('worker')
  .description('take queued runs and drive them, pushing each run\'s branch after every phase commit; SIGTERM hands the runs in progress back')
  .addOption(dbOption())
  .option('--concurrency <n>', 'runs driven at once', '1')
  .option('--workdir <dir>', 'where clones and run worktrees go (one worker per folder; default a folder in the temp dir)')
  .option('--lease-ttl <seconds>', 'a run whose worker is silent this long (dead, frozen, cut off) goes to another worker', '30')
  .option('--max-retries <n>', 'retries per phase after the first attempt', '3')
  .option('--llm <spec>', 'the model: openai (any OpenAI-compatible server), replay:FILE or scripted:FILE')
  .option('--base-url <url>', 'OpenAI-compatible server (env OPENAI_BASE_URL)')
  .option('--model <name>', 'model to ask (env AUTOPACK_MODEL; default gpt-4o-mini)')
  .option('--api-key-env <name>', 'environment variable holding the API key, read from this worker\'s environment and never logged (default OPENAI_API_KEY)')
  .option('--request-timeout <seconds>', 'give up on one HTTP attempt after this long')
  .option('--record <file>', 'append every request and answer to FILE')
  .addHelpText('after', wrapped('\nRuns until SIGTERM or Ctrl-C (a second one quits at once). A run reaching an approval gate is parked, not waited for: autopack approve|reject RUN sends it back to the workers. See docs/scale-out.md.'))
  .action(async (flags: Record<string, unknown>) => {
    process.exitCode = await (await load.worker()).workerCommand(flags, processIo);
  });

program
  .command('runs')
  .description('list the runs in a log, newest last')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (flags: { repo?: string; db?: string; json?: boolean }) => {
    process.exitCode = await (await load.status()).statusCommand(undefined, flags, processIo);
  });

program
  .command('replay')
  .description('rebuild a run\'s state from its log by a pure fold, running nothing')
  .argument('<run>', 'run id')
  .option('--verify', 're-run the machines over the logged outcomes and check they reproduce every logged transition; exit 1 on a difference')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (run: string, flags: { repo?: string; db?: string; json?: boolean; verify?: boolean }) => {
    process.exitCode = await (await load.replay()).replayCommand(run, flags, processIo);
  });

program
  .command('state')
  .description('print the state of every actor after a given event (time travel over the log)')
  .argument('<run>', 'run id')
  .option('--at <seq>', 'event number (from `autopack log`); default the last')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (run: string, flags: { repo?: string; db?: string; json?: boolean; at?: string }) => {
    process.exitCode = await (await load.state()).stateCommand(run, flags, processIo);
  });

program
  .command('inspect')
  .description('serve the web inspector on 127.0.0.1: runs, machine diagrams with live state, a timeline to step back through any run, and the diff a phase waiting for approval proposes')
  .argument('[run]', 'open this run directly')
  .option('--port <n>', 'port to listen on (0: any free port)', '4317')
  .option('--open', 'open it in the default browser')
  .option('--allow-approve', 'let the page approve or reject a phase waiting for approval, as you (user@host), opening the log writable; only the page this inspector serves can (a token made at each start; other origins are refused). Without it, read-only')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .action(async (run: string | undefined, flags: Record<string, unknown>) => {
    process.exitCode = await (await load.inspect()).inspectCommand(run, flags, processIo);
  });

program
  .command('graph')
  .description('print the orchestrator and phase machine diagrams, drawn from the machine definitions')
  .option('--format <format>', 'mermaid, dot or svg', 'mermaid')
  .option('--machine <name>', 'orchestrator or phase (svg needs one)')
  .action(async (flags: Record<string, unknown>) => {
    process.exitCode = (await load.graph()).graphCommand(flags, processIo);
  });

program
  .command('status')
  .description('list runs, or show one run\'s phases and where each stands')
  .argument('[run]', 'run id (from `autopack status` or a run\'s output)')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action(async (run: string | undefined, flags: { repo?: string; db?: string; json?: boolean }) => {
    process.exitCode = await (await load.status()).statusCommand(run, flags, processIo);
  });

program
  .command('undo')
  .description("put the files of a run's commits (or one phase's) back as they were before the run, as one new commit")
  .argument('<run>', 'run id (from `autopack status`)')
  .option('--phase <id>', "undo only this phase's commit")
  .addOption(repoOption('repository the run changed'))
  .addOption(dbOption())
  .option('--json', 'print the outcome as JSON')
  .addHelpText(
    'after',
    wrapped(
      "\nThe run's commits are read from its log. Your staged and unstaged changes to other files stay as they are. Refused (exit 2) when those files have uncommitted changes, or a later commit not being undone changed them; a second undo says there is nothing to undo.",
    ),
  )
  .action(async (run: string, flags: Record<string, unknown>) => {
    process.exitCode = await (await load.undo()).undoCommand(run, flags, processIo);
  });

program
  .command('log')
  .description('print a run\'s event log: one line per transition of every actor')
  .argument('<run>', 'run id')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .option('--json', 'print each event as a JSON line, with its full data')
  .option('-f, --follow', 'keep printing new events as a live run appends them, until it ends')
  .option('--diff', "after each changes.applied event, print each file's unified diff against its pre-image, kept in the run's backup folder (a line says when it is gone); not with --json")
  .action(async (run: string, flags: { repo?: string; db?: string; json?: boolean; follow?: boolean; diff?: boolean }) => {
    process.exitCode = await (await load.log()).logCommand(run, flags, processIo);
  });

/** Runs the command line `argv` (as process.argv: node, script, arguments), setting process.exitCode. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number' && 'code' in error) {
      // commander already printed its message (usage errors, --help, --version).
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    } else {
      process.stderr.write(`autopack: ${messageFor(error)}\n`);
      process.exitCode = exitCodeFor(error);
    }
  }
}
