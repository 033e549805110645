import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shapeOf, splitFile, splitText } from '../../src/edits/lines.js';

describe('splitFile', () => {
  it('keeps each line\'s own ending, so that joining them gives back the bytes (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ' ', '\t', '\r', '\n', '\r\n') });
    fc.assert(
      fc.property(text, (content) => {
        const { texts, ends } = splitFile(content);
        expect(texts.map((line, i) => line + (ends[i] ?? '')).join('')).toBe(content);
        expect(texts.every((line) => !line.includes('\n'))).toBe(true);
      }),
    );
  });

  it('gives new lines the ending most lines have, LF on a tie', () => {
    expect(splitFile('a\r\nb\r\nc\n').eol).toBe('\r\n');
    expect(splitFile('a\r\nb\n').eol).toBe('\n');
    expect(splitFile('a').eol).toBe('\n');
  });

  it('reads a lone \\r as part of its line, and an empty file as no lines', () => {
    expect(splitFile('a\rb\r')).toEqual({ texts: ['a\rb\r'], ends: [''], eol: '\n', finalNewline: false });
    expect(splitFile('')).toEqual({ texts: [], ends: [], eol: '\n', finalNewline: false });
  });
});

describe('splitText', () => {
  it('reads a final newline as the end of the last line, not an empty line after it', () => {
    expect(splitText('a\nb\n')).toEqual({ lines: ['a', 'b'], finalNewline: true });
    expect(splitText('a\r\n\r\n')).toEqual({ lines: ['a', ''], finalNewline: true });
    expect(splitText('a')).toEqual({ lines: ['a'], finalNewline: false });
    expect(splitText('')).toEqual({ lines: [], finalNewline: false });
  });
});

describe('shapeOf', () => {
  it('splits a line into indentation and core, without trailing spaces, tabs and carriage returns', () => {
    expect(shapeOf(' \t if (x) { \t\r')).toEqual({ trimmed: ' \t if (x) {', indent: ' \t ', core: 'if (x) {' });
    expect(shapeOf(' \t\r ').core).toBe('');
  });
});
