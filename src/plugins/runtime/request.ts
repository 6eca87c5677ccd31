import type { ExecuteContext, JsonValue } from '../types.js';

/**
 * The guide's request JSON: {"action", "context": {"velocity", "current_mode",
 * "timestamp", ...extra}}, plus the action's parameters in the three forms
 * plugins read them (docs/plugins.md, "Parameters"):
 * - "params": the configured table as JSON, only when the action has one;
 * - "parameters": its values, in the order written, as strings (desktop
 *   MIDIMon's plugins read this positional list);
 * - "context.metadata": the same table with string values (MIDIMon's template
 *   reads it and fails to parse a request without it, so it is always sent).
 */
export function buildRequest(action: string, context: ExecuteContext, params?: Readonly<Record<string, JsonValue>>): string {
  const ctx: Record<string, JsonValue> = {
    velocity: context.velocity ?? null,
    current_mode: context.currentMode ?? null,
    timestamp: context.timestamp ?? Date.now(),
  };
  for (const [k, v] of Object.entries(context.extra ?? {})) if (!(k in ctx)) ctx[k] = v;
  const entries = Object.entries(params ?? {});
  if (!('metadata' in ctx)) ctx['metadata'] = Object.fromEntries(entries.map(([k, v]) => [k, paramString(v)]));
  const req: Record<string, JsonValue> = { action, context: ctx, parameters: entries.map(([, v]) => paramString(v)) };
  if (params !== undefined) req['params'] = params;
  return JSON.stringify(req);
}

/** Strings as they are, other scalars as written in TOML (42, true), tables and arrays as JSON; null as "". */
export function paramString(v: JsonValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
