/**
 * TOML 1.0 forbids a trailing comma in an inline table (`{ a = 1, }`), but
 * smol-toml accepts it: a file the box takes would then fail in every other
 * TOML tool. Found here, with its line and column, before parsing. Strings
 * and comments are skipped; arrays may end with a comma (the spec allows it).
 */
export function findInlineTableTrailingComma(text: string): { line: number; column: number } | null {
  return findInlineTableTrailingCommas(text)[0] ?? null;
}

/** Every trailing comma in an inline table, in file order (config check reports them all at once). */
export function findInlineTableTrailingCommas(text: string): { line: number; column: number }[] {
  const found: { line: number; column: number }[] = [];
  const stack: string[] = [];
  let lastComma: number | null = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      const end = triple ? c.repeat(3) : c;
      i += end.length;
      while (i < text.length && !text.startsWith(end, i)) {
        if (c === '"' && text[i] === '\\') i++;
        if (!triple && text[i] === '\n') break;
        i++;
      }
      i += end.length;
      lastComma = null;
      continue;
    }
    if (c === '{' || c === '[') stack.push(c);
    else if (c === ']') stack.pop();
    else if (c === '}') {
      if (lastComma !== null) found.push(position(text, lastComma));
      stack.pop();
    }
    if (c === ',') lastComma = stack[stack.length - 1] === '{' ? i : null;
    else if (!/\s/.test(c)) lastComma = null;
    i++;
  }
  return found;
}

function position(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  return { line, column: index - before.lastIndexOf('\n') };
}
