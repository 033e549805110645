/**
 * Detects the placeholders models write when they elide part of a file instead of sending all of it
 * ("// ... existing code ...", "# ... rest of file unchanged"). Applying such a file would silently
 * delete the elided code, so it is refused. Only comments and bracketed notes are examined: valid code
 * that merely contains "..." (Python's Ellipsis, spread syntax, "Loading...") is never a placeholder.
 */

const ELLIPSIS = String.raw`(?:\.{3}|\u2026)`; // \u2026 is …, spelled so the CLI bundle stays ASCII (scripts/bundle-cli.mjs)
/** Where a comment's text starts in the common languages: //, #, /*, *, <!--, --, ;, %, {/* (JSX). */
const COMMENT = /^(?:\/\/+|#+|\/\*+|\*+|<!--|--|;+|%+|\{\/\*)\s*(.*?)\s*(?:\*\/\}?|-->)?\s*$/;
const ELISION_WORDS = String.raw`(?:rest|remaining|existing|unchanged|same|previous|omitted|original|other|as before|etc)`;

/** The comment starts with an ellipsis and either says nothing else or says what was left out. */
const LEADING_ELLIPSIS = new RegExp(String.raw`^[(\[]?\s*${ELLIPSIS}\s*(?:[)\]]\s*)?(?:$|.*\b${ELISION_WORDS}\b)`, 'i');
/** "rest of the file unchanged", "rest of the code remains the same", with or without dots. */
const REST_OF = /\brest of (?:the |this )?(?:file|code|class|function|module|implementation|component|content|methods|functions|tests|document|page|styles)\b.*\b(?:unchanged|the same|as before|as is|omitted|stays|here)\b/i;
/** "existing code here", "remaining methods unchanged", "other functions omitted". */
const KEPT_CODE = /\b(?:existing|remaining|other|previous|original|unchanged)\s+(?:code|methods|functions|content|implementation|logic|tests|imports|properties|fields|styles|routes|handlers|cases|sections)\b.*(?:\b(?:unchanged|the same|as before|here|omitted|remains?|stays?|goes here)\b|\.{3}|\u2026)/i;
/** "[... unchanged ...]" or "[...]" standing alone on a line, in any file type. */
const BRACKETED = new RegExp(String.raw`^\[\s*${ELLIPSIS}[^\]]*\]$|\[\s*${ELLIPSIS}[^\]]*\b${ELISION_WORDS}\b[^\]]*\]`, 'i');

function isPlaceholderLine(line: string): boolean {
  const trimmed = line.trim();
  if (trimmed === '') return false;
  if (BRACKETED.test(trimmed)) return true;
  const comment = COMMENT.exec(trimmed);
  if (comment === null) return false;
  const body = (comment[1] ?? '').trim();
  if (body === '') return false;
  return LEADING_ELLIPSIS.test(body) || REST_OF.test(body) || KEPT_CODE.test(body);
}

/** The first placeholder line (trimmed), or null when the content is whole. */
export function findElisionPlaceholder(content: string): string | null {
  for (const line of content.split(/\r?\n/)) {
    if (isPlaceholderLine(line)) return line.trim();
  }
  return null;
}
