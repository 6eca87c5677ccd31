/**
 * One error model for the whole box. Every failure carries a stable `kind`
 * (tests and the CLI switch on it, never on message text), a human message
 * that says what was wrong and where, and optional details. `toJSON()` gives a
 * plain object that survives postMessage and the control socket.
 */

/** Plugin sandbox kinds: a documented, stable list (docs/plugins.md). */
export const PLUGIN_ERROR_KINDS = [
  'invalid_module',
  'missing_export',
  'bad_signature',
  'forbidden_import',
  'memory_too_large',
  'bad_metadata',
  'out_of_fuel',
  'memory_limit',
  'stack_overflow',
  'timeout',
  'trap',
  'plugin_exit',
  'bad_pointer',
  /** The host stopped reloading a plugin whose reloads kept failing (until it is loaded again). */
  'plugin_failed',
  /** One execute (or init) passed the host-call bounds: calls or payload bytes (src/plugins/limits.ts). */
  'send_limit',
] as const;
export type PluginErrorKind = (typeof PLUGIN_ERROR_KINDS)[number];

export const OTHER_ERROR_KINDS = [
  'config_parse',
  'config_invalid',
  'device_unavailable',
  'device_io',
  'checksum_mismatch',
  'signature_invalid',
  'not_found',
  'permission_denied',
  'bad_request',
  'internal',
] as const;
export type OtherErrorKind = (typeof OTHER_ERROR_KINDS)[number];

export type ErrorKind = PluginErrorKind | OtherErrorKind;

export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface SerializedError {
  readonly name: 'MidimonError';
  readonly kind: ErrorKind;
  readonly message: string;
  readonly details?: ErrorDetails;
  readonly cause?: SerializedError | { readonly message: string };
}

export class MidimonError extends Error {
  override readonly name = 'MidimonError';
  readonly kind: ErrorKind;
  readonly details: ErrorDetails | undefined;

  constructor(kind: ErrorKind, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.details = options.details;
  }

  toJSON(): SerializedError {
    const out: { -readonly [K in keyof SerializedError]: SerializedError[K] } = {
      name: 'MidimonError',
      kind: this.kind,
      message: this.message,
    };
    if (this.details !== undefined) out.details = this.details;
    if (this.cause instanceof MidimonError) out.cause = this.cause.toJSON();
    else if (this.cause instanceof Error) out.cause = { message: this.cause.message };
    return out;
  }

  static fromJSON(json: SerializedError): MidimonError {
    return new MidimonError(json.kind, json.message, json.details === undefined ? {} : { details: json.details });
  }
}

export function isMidimonError(err: unknown, kind?: ErrorKind): err is MidimonError {
  return err instanceof MidimonError && (kind === undefined || err.kind === kind);
}

/** Wraps anything thrown into a MidimonError, keeping MidimonErrors as they are. */
export function toMidimonError(err: unknown, kind: ErrorKind = 'internal'): MidimonError {
  if (err instanceof MidimonError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new MidimonError(kind, message, { cause: err });
}
