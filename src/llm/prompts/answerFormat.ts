import type { AnswerFormat } from '../../model/llmSettings.js';

/**
 * How the model writes its answer (AnswerFormat): one JSON object (`{summary, files}`), or markdown (a
 * summary, then each file's path on a line of its own followed by a fenced block with the whole file or
 * one SEARCH/REPLACE edit). Markdown cannot delete a file.
 */
export type { AnswerFormat };

/**
 * The one example answer every prompt shows: a new file sent whole and, when the prompt asks for edits,
 * an existing file changed with one edit. Written once as data, rendered in each format.
 */
const EXAMPLE = {
  summary: { whole: 'Add greet() in src/greet.ts.', withEdit: 'Add greet() in src/greet.ts and export it from src/index.ts.' },
  whole: {
    path: 'src/greet.ts',
    content: "export function greet(name: string): string {\n  return 'Hello, ' + name + '!';\n}\n",
  },
  edit: {
    path: 'src/index.ts',
    search: "export { add } from './add.js';\n",
    replace: "export { add } from './add.js';\nexport { greet } from './greet.js';\n",
  },
};

const INTRO = 'You are a careful software engineer making changes to a repository.';

/** The rules the edit engine holds every edit to, whatever the format. */
const EDIT_RULES = [
  'Each search must match exactly one place in the file as shown: copy whole lines exactly, with their indentation, spaces and comments, and include just enough neighbouring lines to make it unique.',
  'Keep searches short, a few lines: for changes far apart, use several edits rather than one long one. Searches must not overlap.',
  'An empty replace deletes the searched lines.',
  'The edits of an answer are applied all together or not at all: if one search does not match, nothing is changed and the attempt fails.',
];

const COMMON_RULES = ['Never change a protected path.', 'Every deliverable must exist after your change.'];

const rules = (items: readonly string[]): string => `Rules:\n${items.map((item) => `- ${item}`).join('\n')}`;

function jsonExample(withEdit: boolean): string {
  const created = { path: EXAMPLE.whole.path, mode: 'create', new_content: EXAMPLE.whole.content };
  const files = withEdit
    ? [
        { ...created, edits: null },
        { path: EXAMPLE.edit.path, mode: 'edit', new_content: null, edits: [{ search: EXAMPLE.edit.search, replace: EXAMPLE.edit.replace }] },
      ]
    : [created];
  const summary = withEdit ? EXAMPLE.summary.withEdit : EXAMPLE.summary.whole;
  return `{\n  "summary": ${JSON.stringify(summary)},\n  "files": [\n${files.map((file) => `    ${JSON.stringify(file)}`).join(',\n')}\n  ]\n}`;
}

function jsonSystem(asksEdits: boolean): string {
  if (!asksEdits) {
    return `${INTRO} You answer with whole files.

Reply with one JSON object and nothing else:
{ "summary": string, "files": [ { "path": string, "mode": "create" | "modify" | "delete", "new_content": string | null } ] }

For example, an answer that creates ${EXAMPLE.whole.path}:
${jsonExample(false)}

${rules([
  '"path" is relative to the repository root and uses forward slashes.',
  '"new_content" is the COMPLETE new content of the file. Never elide with "...", "rest unchanged" or similar: such an answer is rejected.',
  'Use "create" for a new file, "modify" to replace an existing file, "delete" (with "new_content": null) to remove one.',
  ...COMMON_RULES,
  '"summary" says in one or two sentences what you changed and why.',
])}`;
  }
  return `${INTRO} You answer with whole files and targeted edits.

Reply with one JSON object and nothing else:
{ "summary": string, "files": [ { "path": string, "mode": "create" | "modify" | "delete" | "edit", "new_content": string | null, "edits": [ { "search": string, "replace": string } ] | null } ] }

For example, an answer that creates ${EXAMPLE.whole.path} and changes ${EXAMPLE.edit.path} with one edit:
${jsonExample(true)}

${rules([
  '"path" is relative to the repository root and uses forward slashes.',
  'Change a file listed under "# Files to change with edits" with mode "edit", and send any other existing file whole with mode "modify". A new file is always sent whole, with mode "create".',
  '"create" and "modify" carry the COMPLETE new content of the file in "new_content", with "edits": null. Never elide with "...", "rest unchanged" or similar: such an answer is rejected.',
  '"edit" carries "edits", with "new_content": null: each edit replaces the text "search" in the file with "replace".',
  '"delete" (with "new_content": null and "edits": null) removes a file.',
  ...EDIT_RULES,
  ...COMMON_RULES,
  '"summary" says in one or two sentences what you changed and why.',
])}`;
}

function markdownExample(withEdit: boolean): string {
  const whole = `${EXAMPLE.whole.path}\n\`\`\`ts\n${EXAMPLE.whole.content}\`\`\``;
  const edit = `${EXAMPLE.edit.path}\n\`\`\`ts\n<<<<<<< SEARCH\n${EXAMPLE.edit.search}=======\n${EXAMPLE.edit.replace}>>>>>>> REPLACE\n\`\`\``;
  return withEdit ? [EXAMPLE.summary.withEdit, whole, edit].join('\n\n') : [EXAMPLE.summary.whole, whole].join('\n\n');
}

function markdownSystem(asksEdits: boolean): string {
  const shape = asksEdits
    ? `Begin with one or two sentences saying what you changed and why. Then, for each change, write the file's path alone on a line, followed by a fenced code block:
- to send a file whole, the block holds its COMPLETE new content;
- to change a file with an edit, the block holds "<<<<<<< SEARCH", the lines to find, "=======", the lines to put in their place, and ">>>>>>> REPLACE", each marker alone on its line. For several edits to one file, repeat the path line and the block for each.`
    : `Begin with one or two sentences saying what you changed and why. Then, for each file you create or change, write its path alone on a line, followed by a fenced code block with the file's COMPLETE new content.`;
  const example = asksEdits
    ? `For example, an answer that creates ${EXAMPLE.whole.path} and changes ${EXAMPLE.edit.path} with one edit:`
    : `For example, an answer that creates ${EXAMPLE.whole.path}:`;
  return `${INTRO} You answer ${asksEdits ? 'with whole files and targeted edits' : 'with whole files'} in markdown, never in JSON.

${shape}

${example}

${markdownExample(asksEdits)}

${rules([
  'A path is relative to the repository root, uses forward slashes, and stands alone on its line.',
  ...(asksEdits ? ['Change a file listed under "# Files to change with edits" with edits, and send any other file whole. A new file is always sent whole.'] : []),
  `A whole file is its COMPLETE new content. Never elide with "...", "rest unchanged" or similar: such an answer is rejected.`,
  'When a file itself contains a run of three backticks, fence it with more backticks than its longest run, as the current files are.',
  'This format cannot delete a file: never send an empty file to remove one; say in the summary which file should go.',
  ...(asksEdits ? EDIT_RULES : []),
  ...COMMON_RULES,
])}`;
}

/** The system message: the answer's exact shape, one example, and the rules, only for the forms asked for. */
export function systemMessage(answerFormat: AnswerFormat, asksEdits: boolean): string {
  switch (answerFormat) {
    case 'json':
      return jsonSystem(asksEdits);
    case 'markdown':
      return markdownSystem(asksEdits);
    default: {
      const unknown: never = answerFormat;
      throw new Error(`unknown answer format ${JSON.stringify(unknown)}`);
    }
  }
}
