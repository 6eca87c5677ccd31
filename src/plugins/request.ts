import type { ExecuteContext, JsonValue } from './types.js';

/**
 * The guide's request JSON: {"action", "context": {"velocity", "current_mode",
 * "timestamp", ...extra}} plus "params" only for actions configured with
 * parameters (plugins that ignore unknown fields keep working).
 */
export function buildRequest(action: string, context: ExecuteContext, params?: Readonly<Record<string, JsonValue>>): string {
  const ctx: Record<string, JsonValue> = {
    velocity: context.velocity ?? null,
    current_mode: context.currentMode ?? null,
    timestamp: context.timestamp ?? Date.now(),
  };
  for (const [k, v] of Object.entries(context.extra ?? {})) if (!(k in ctx)) ctx[k] = v;
  const req: Record<string, JsonValue> = { action, context: ctx };
  if (params !== undefined) req['params'] = params;
  return JSON.stringify(req);
}
