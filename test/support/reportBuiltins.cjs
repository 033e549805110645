// Preloaded into a CLI child process (NODE_OPTIONS=--require ...): at exit, writes the node built-in modules
// the process loaded, one per line, to the file AUTOPACK_TEST_BUILTINS_FILE names. A test can so see
// that a command never loaded, say, node's fetch engine.
const fs = require('node:fs');

const file = process.env.AUTOPACK_TEST_BUILTINS_FILE;
if (file) {
  process.on('exit', () => {
    fs.writeFileSync(file, process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)).join('\n'));
  });
}
