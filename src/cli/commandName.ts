import path from 'node:path';

const LAUNCHERS = new Set(['cli.js', 'bin.cjs']);

/**
 * How the user can type this CLI again, for the commands it suggests ("continue with: … resume RUN"):
 * `node dist/cli.js` when it was started as that file (as `npm run example` does; the path is relative to
 * where the user stands when it is below it), `npx autopack` when npx started it (in a clone, where no
 * `autopack` is on PATH), else `autopack`, the installed command (`npm link`, `npm install -g`).
 */
export function cliCommand(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  const script = argv[1];
  if (script !== undefined && LAUNCHERS.has(path.basename(script))) {
    // npm run sets INIT_CWD to the directory it was typed in; a script runs in the package root.
    const relative = path.relative(env['INIT_CWD'] ?? process.cwd(), script);
    return `node ${relative.startsWith('..') || path.isAbsolute(relative) ? script : relative}`;
  }
  return env['npm_command'] === 'exec' ? 'npx autopack' : 'autopack';
}
