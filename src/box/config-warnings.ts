/**
 * At load: each warning of the applied config (today: mappings the menu's
 * "enter" control shadows, src/config/menu-shadows.ts) is logged and put on
 * the problems board (`midimon status`, the OLED Errors page); the next
 * config's warnings replace them.
 */
import { formatIssue, type ConfigIssue } from '../config/issues.js';
import type { Logger } from '../log.js';
import type { Problems } from './problems.js';

const PREFIX = 'config-warning:';

export function reportConfigWarnings(warnings: readonly ConfigIssue[], problems: Problems, log: Logger, now: number): void {
  problems.resolvePrefix(PREFIX);
  for (const w of warnings) {
    log.warn({ file: w.file, line: w.line, field: w.path }, formatIssue(w));
    problems.report({ key: `${PREFIX}${w.path}`, at: now, severity: 'warning', kind: 'config_invalid', message: `${w.path}: ${w.message}`, source: w.line === undefined ? w.file : `${w.file}:${w.line}` });
  }
}
