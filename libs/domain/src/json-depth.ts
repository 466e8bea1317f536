/**
 * How deep JSON may nest: objects and arrays inside each other. Far beyond any real payload, far below what
 * breaks a recursive serialiser (a payload nested a few thousand levels, 25 KB of brackets, used to be stored
 * and then fail every response that included it).
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether JSON text nests deeper than `max`, read without parsing (brackets inside strings do not count),
 * so a hostile body costs one linear scan and no recursion. Text that is not valid JSON is left to the
 * parser to refuse.
 */
export function jsonNestsDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}
