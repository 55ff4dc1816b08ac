/**
 * @module parse-model-output
 * Reading what a model wrote, forgivingly: models wrap JSON in prose and code fences, drop code
 * fences, or answer with nothing useful. Each reader says when it had to guess.
 */

/** The first JSON object in the text (fenced or bare), or undefined. */
export function extractJsonObject(text: string): Record<string, unknown> | undefined {
  const candidates: string[] = [];
  for (const match of text.matchAll(/```(?:json)?\s*\n([\s\S]*?)```/g)) if (match[1]) candidates.push(match[1]);
  const start = text.indexOf('{');
  if (start >= 0) {
    let depth = 0;
    let inString = false;
    for (let index = start; index < text.length; index++) {
      const char = text[index];
      if (inString) {
        if (char === '\\') index++;
        else if (char === '"') inString = false;
      } else if (char === '"') inString = true;
      else if (char === '{') depth++;
      else if (char === '}' && --depth === 0) {
        candidates.push(text.slice(start, index + 1));
        break;
      }
    }
  }
  for (const candidate of candidates) {
    try {
      const parsed = JSON.parse(candidate) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/** The program in a reply: the longest fenced block (of the language, if any), else the whole text. */
export function extractCode(text: string, language: 'python' | 'javascript'): { code: string; fenced: boolean } {
  const aliases = language === 'python' ? ['python', 'py', 'python3'] : ['javascript', 'js', 'mjs', 'typescript', 'ts'];
  const blocks = [...text.matchAll(/```([\w+-]*)[^\n]*\n([\s\S]*?)```/g)].map((match) => ({
    tag: (match[1] ?? '').toLowerCase(),
    body: match[2] ?? '',
  }));
  const ofLanguage = blocks.filter((block) => aliases.includes(block.tag));
  const pool = ofLanguage.length > 0 ? ofLanguage : blocks.filter((block) => block.tag === '');
  const best = pool.sort((a, b) => b.body.length - a.body.length)[0];
  if (best?.body.trim()) return { code: best.body.trimEnd(), fenced: true };
  // An unterminated fence: take what follows it.
  const open = text.match(/```[\w+-]*[^\n]*\n([\s\S]*)$/);
  if (open?.[1]?.trim()) return { code: open[1].trimEnd(), fenced: true };
  return { code: text.trim(), fenced: false };
}

/** Strings from an array-like value; one-line strings only, at most `max`. */
export function stringList(value: unknown, max: number): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .map((item) =>
      typeof item === 'string' ? item : item && typeof item === 'object' && 'code' in item ? String((item as { code: unknown }).code) : '',
    )
    .map((item) => item.trim())
    .filter(Boolean)
    .slice(0, max);
}
