/**
 * Reads the policy file (BREAKGLASS_POLICY, YAML) and checks it: every problem
 * at once, one line each, prefixed with the file and the rule. The bot refuses
 * to start on any problem; `breakglass policy check <file>` prints the same lines.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { checkPolicy, checkPolicyAgainst, type DefaultRule, type PolicyCheck } from '../domain/policy.js';

/** Reads and checks `file`; given the bot's defaults, also checks the rules against them. */
export function loadPolicyFile(file: string, defaults?: Pick<DefaultRule, 'tasks'>): PolicyCheck {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : error instanceof Error
              ? error.message
              : String(error);
    return { problems: [`${file}: cannot read the policy file (${why})`], warnings: [] };
  }
  return checkPolicyText(text, file, defaults);
}

/** Checks the text of a policy file; `file` names it in every line. */
export function checkPolicyText(
  text: string,
  file: string,
  defaults?: Pick<DefaultRule, 'tasks'>,
): PolicyCheck {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((e) => {
        const line = e.linePos?.[0];
        const where = line ? `${file}:${line.line}:${line.col}` : file;
        return `${where}: YAML: ${firstLine(e.message)}`;
      }),
      warnings: [],
    };
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    return { problems: [`${file}: the policy file is empty; it needs a "rules:" list`], warnings: [] };
  }
  const checked = checkPolicy(data);
  const against = checked.policy && defaults ? checkPolicyAgainst(checked.policy, defaults) : [];
  const prefix = (line: string) => `${file}: ${line}`;
  const problems = [...checked.problems, ...against].map(prefix);
  const warnings = checked.warnings.map(prefix);
  return problems.length ? { problems, warnings } : { ...checked, problems, warnings };
}

function firstLine(message: string): string {
  // yaml's pretty message repeats the position ("… at line 3, column 1:") and a snippet.
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}
