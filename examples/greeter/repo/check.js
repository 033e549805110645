// The example plan's health check: fails until the phase has produced a working greet().
import assert from 'node:assert/strict';

const { greet } = await import('./src/greet.js');
assert.equal(greet(), 'Hello, world!');
assert.equal(greet('Ada'), 'Hello, Ada!');
console.log('check.js: greet() works');
