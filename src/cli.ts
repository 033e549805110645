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
  .option('--llm <spec>', 'the model: scripted:FILE serves answers from a JSON file, in order')
  .option('--json', 'print the OrchestrationResult as JSON on stdout (progress stays on stderr)')
  .addHelpText('after', '\nExit codes: 0 every phase succeeded, 1 a phase failed, 2 bad input (nothing written), 3 interrupted.')
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
