#!/usr/bin/env node
import { Command, Option } from 'commander';
import { exitCodeFor, messageFor } from './cli/cliError.js';
import { processIo } from './cli/io.js';
import { logCommand } from './cli/logCommand.js';
import { runCommand } from './cli/runCommand.js';
import { statusCommand } from './cli/statusCommand.js';

const program = new Command('autopack')
  .description('Run autonomous build phases: an LLM proposes whole-file changes, autopack validates, applies,\nhealth-checks and retries them, and logs every step to SQLite so a run can be inspected and resumed.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

const dbOption = () => new Option('--db <path>', 'event log database (default: <repo>/.autonomous_runs/autopack.db)');
const repoOption = (what: string) => new Option('--repo <dir>', what).default(undefined, 'the current directory');

program
  .command('run')
  .description('run a plan (YAML or JSON: phases and optional health_checks) against a repository')
  .argument('<plan>', 'plan file, e.g. plan.yaml')
  .addOption(repoOption('repository the phases change'))
  .addOption(dbOption())
  .option('--max-retries <n>', 'retries per phase after the first attempt', '3')
  .option('--no-health-checks', 'skip the plan\'s health-check commands (the deliverables check still runs)')
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
  .option('--json', 'print the OrchestrationResult as JSON on stdout (progress stays on stderr)')
  .addHelpText(
    'after',
    '\nExit codes: 0 every phase succeeded, 1 a phase failed, 2 bad input (nothing written), 3 interrupted (Ctrl-C, SIGTERM or a budget; the log keeps everything done), 4 internal error.\nEnvironment: OPENAI_API_KEY, OPENAI_BASE_URL, AUTOPACK_MODEL. See docs/llm.md.',
  )
  .action(async (plan: string, flags: Record<string, unknown>) => {
    process.exitCode = await runCommand(plan, flags, processIo);
  });

program
  .command('status')
  .description('list runs, or show one run\'s phases and where each stands')
  .argument('[run]', 'run id (from `autopack status` or a run\'s output)')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .option('--json', 'print JSON')
  .action((run: string | undefined, flags: { repo?: string; db?: string; json?: boolean }) => {
    process.exitCode = statusCommand(run, flags, processIo);
  });

program
  .command('log')
  .description('print a run\'s event log: one line per transition of every actor')
  .argument('<run>', 'run id')
  .addOption(repoOption('repository whose log to read'))
  .addOption(dbOption())
  .option('--json', 'print each event as a JSON line, with its full data')
  .action((run: string, flags: { repo?: string; db?: string; json?: boolean }) => {
    process.exitCode = logCommand(run, flags, processIo);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number' && 'code' in error) {
    // commander already printed its message (usage errors, --help, --version).
    process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
  } else {
    process.stderr.write(`autopack: ${messageFor(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}
