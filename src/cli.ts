#!/usr/bin/env node
// `node dist/cli.js` keeps working as it always has (the tests and scripts run it): it starts the same
// launcher as the `autopack` command, dist/bin.cjs, which the package's bin now names directly.
import './bin.cjs';
