import { z } from 'zod';
import { MidimonError, type ErrorKind } from '../errors.js';
import { CAPABILITIES, type BoxConfig, type Capability } from '../config/schema.js';
import type { ConfigIssue } from '../config/issues.js';
import type { MonitorSubscribe } from './monitor-protocol.js';
import { sendRequestFields, type MonitorStartResult, type SendResult } from './send-protocol.js';
import { learnRequestFields } from './learn-protocol.js';

/**
 * The control socket protocol: one JSON object per line each way. Requests
 * are a discriminated union on `cmd`, validated at the socket; an optional
 * `id` is echoed back so a client may pipeline.
 */

/**
 * One request line. 1 MiB carries `midimon send` of a 256 KiB SysEx dump as
 * JSON numbers (up to 4 characters a byte); 16 connections at most bound the
 * buffering to 16 MiB.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

const id = z.union([z.string().max(64), z.number().int()]).optional();
const pluginName = z.string().min(1).max(64);

export const controlRequestSchema = z.discriminatedUnion('cmd', [
  z.strictObject({ cmd: z.literal('status'), id }),
  z.strictObject({ cmd: z.literal('reload'), id }),
  z.strictObject({ cmd: z.literal('mode'), id, target: z.union([z.literal('next'), z.literal('prev'), z.strictObject({ name: z.string().min(1) })]) }),
  z.strictObject({ cmd: z.literal('config.show'), id }),
  z.strictObject({ cmd: z.literal('config.path'), id }),
  z.strictObject({ cmd: z.literal('screenshot'), id }),
  z.strictObject({ cmd: z.literal('plugin.list'), id }),
  z.strictObject({ cmd: z.literal('plugin.enable'), id, name: pluginName }),
  z.strictObject({ cmd: z.literal('plugin.disable'), id, name: pluginName }),
  z.strictObject({ cmd: z.literal('plugin.grant'), id, name: pluginName, capability: z.enum(CAPABILITIES) }),
  z.strictObject({ cmd: z.literal('plugin.revoke'), id, name: pluginName, capability: z.enum(CAPABILITIES) }),
  z.strictObject({ cmd: z.literal('plugin.install'), id, path: z.string().min(1).max(4096).optional() }),
  z.strictObject({
    cmd: z.literal('tempo'),
    id,
    bpm: z.number().min(20).max(300).optional(),
    nudge: z.number().min(-280).max(280).optional(),
    tap: z.literal(true).optional(),
    transport: z.enum(['start', 'stop', 'continue', 'toggle']).optional(),
    source: z.enum(['internal', 'external']).optional(),
  }),
  z.strictObject({ cmd: z.literal('send'), id, ...sendRequestFields }),
  // Streaming: answered once, then one MonitorEvent per line until the client hangs up (src/control/server.ts).
  z.strictObject({ cmd: z.literal('monitor'), id }),
  z.strictObject({ cmd: z.literal('panic'), id }),
  z.strictObject({ cmd: z.literal('devices'), id }),
  // Without a target: report. `song` counts from 1, as people do.
  z.strictObject({
    cmd: z.literal('setlist'),
    id,
    target: z.union([z.literal('next'), z.literal('prev'), z.strictObject({ song: z.number().int().min(1).max(1000) }), z.strictObject({ name: z.string().min(1).max(64) })]).optional(),
  }),
  z.strictObject({ cmd: z.literal('learn'), id, ...learnRequestFields }),
]);

export type ControlRequest = z.output<typeof controlRequestSchema>;
export type ControlCommand = ControlRequest['cmd'];
export const CONTROL_COMMANDS: readonly ControlCommand[] = controlRequestSchema.options.map((o) => o.shape.cmd.value);
export type ModeTarget = Extract<ControlRequest, { cmd: 'mode' }>['target'];
export type TempoRequest = Omit<Extract<ControlRequest, { cmd: 'tempo' }>, 'cmd' | 'id'>;
export type SendRequest = Omit<Extract<ControlRequest, { cmd: 'send' }>, 'cmd' | 'id'>;
export type SetlistTarget = NonNullable<Extract<ControlRequest, { cmd: 'setlist' }>['target']>;
export type LearnRequest = Omit<Extract<ControlRequest, { cmd: 'learn' }>, 'cmd' | 'id'>;

// ---- results ----

export interface ConfigStatus {
  readonly path: string;
  /** Hash of the config the box is running (null before the first apply). */
  readonly applied_hash: string | null;
  /** Hash of the file on disk now (null if unreadable/missing). */
  readonly disk_hash: string | null;
  /** true when the running config is the file on disk. */
  readonly up_to_date: boolean;
  readonly applied_origin: 'file' | 'builtin' | null;
  readonly applied_at: string | null;
  /** The last rejected edit, kept until a good one is applied. */
  readonly last_error: { readonly kind: ErrorKind; readonly message: string; readonly at: string; readonly issues: readonly ConfigIssue[] } | null;
}

export interface DeviceStatus {
  readonly name: string;
  readonly kind: 'midi-in' | 'midi-out' | 'footswitch' | 'display';
  readonly connected: boolean;
  readonly detail?: string;
}

export interface PluginStatus {
  readonly name: string;
  readonly version?: string;
  readonly enabled: boolean;
  readonly loaded: boolean;
  readonly lane: 'isolated' | 'realtime';
  readonly capabilities_granted: readonly Capability[];
  readonly capabilities_requested?: readonly Capability[];
  /** Declared by the plugin, never granted on this box (e.g. Audio, SystemControl). */
  readonly capabilities_unavailable?: readonly string[];
  readonly error?: string;
  /** ready | respawning (being reloaded after a timeout or crash) | failed (reloads kept failing; load it again). */
  readonly state?: 'ready' | 'respawning' | 'failed';
}

export interface RecentError {
  readonly at: string;
  readonly kind: ErrorKind;
  readonly message: string;
  readonly source?: string;
}

/** Configured hardware the box cannot use (never set in simulation): src/box/device-health.ts. */
export interface DegradedDeviceStatus {
  readonly device: 'midi' | 'footswitches' | 'display';
  readonly name: string;
  readonly reason: string;
}

export interface StatusResult {
  readonly version: string;
  readonly pid: number;
  readonly uptime_s: number;
  readonly simulated: boolean;
  readonly mode: { readonly name: string; readonly index: number; readonly count: number } | null;
  readonly devices: readonly DeviceStatus[];
  readonly plugins: readonly PluginStatus[];
  readonly recent_errors: readonly RecentError[];
  readonly config: ConfigStatus;
  /** Mounted USB sticks (absent from boxes older than this field). */
  readonly usb?: { readonly sticks: readonly UsbStickStatus[] };
  /** Tempo, transport and song position (absent from boxes before the clock). */
  readonly tempo?: TempoStatus | null;
  /** Empty when all configured hardware works; absent from boxes older than this field. */
  readonly degraded?: readonly DegradedDeviceStatus[];
  /** The setlist position; null without a [setlist]; absent from boxes older than this field. */
  readonly setlist?: SetlistStatus | null;
}

/** Songs count from 1 here, as people count (Program Change n selects song n+1). */
export interface SetlistStatus {
  /** 1-based; null until a song is first selected. */
  readonly position: number | null;
  readonly count: number;
  readonly song: string | null;
  readonly mode: string | null;
  /** The song after the current one (the first before any is selected); null on the last song (unless the list wraps). */
  readonly next: string | null;
  readonly songs: readonly { readonly number: number; readonly name: string; readonly mode: string }[];
}

export interface UsbStickStatus {
  readonly mount: string;
  /** queued and scanning: its packages are not listed yet. */
  readonly state: 'queued' | 'scanning' | 'scanned';
  readonly packages: number;
  /** Package folders refused (the summary is in recent_errors). */
  readonly refused: number;
}

/** The clock as `midimon tempo` and `midimon status` show it; positions count from the last Start. */
export interface TempoStatus {
  readonly bpm: number;
  readonly running: boolean;
  readonly source: 'internal' | 'external';
  readonly locked: boolean;
  readonly tick: number;
  readonly beat: number;
  readonly bar: number;
  readonly beat_in_bar: number;
  readonly beats_per_bar: number;
}

export type ReloadResult =
  | { readonly applied: true; readonly changed: readonly string[]; readonly hash: string }
  | { readonly applied: false; readonly reason: 'unchanged'; readonly hash: string }
  | { readonly applied: false; readonly reason: 'invalid' | 'apply_failed'; readonly error: { readonly kind: ErrorKind; readonly message: string; readonly issues: readonly ConfigIssue[] } };

export interface ModeResult {
  readonly name: string;
  readonly index: number;
  readonly count: number;
}

export interface ConfigShowResult {
  readonly path: string;
  readonly hash: string | null;
  readonly config: BoxConfig;
}

export interface ScreenshotResult {
  readonly width: number;
  readonly height: number;
  readonly png_base64: string;
}

export interface PluginChangeResult {
  readonly name: string;
  readonly enabled: boolean;
  readonly capabilities_granted: readonly Capability[];
}

/**
 * `plugin.install` without a path lists what the mounted sticks offer; with a
 * stick root (a folder holding midimon-plugins/) lists that stick's packages
 * and whether each verifies; with a package folder, installs it.
 */
export type PluginInstallResult =
  | {
      readonly installed: false;
      readonly packages: readonly {
        readonly path: string;
        readonly name: string;
        readonly version: string;
        /** Set when a stick root was listed: checksum and signature (per policy) pass. */
        readonly verifies?: boolean;
        /** Why it does not verify. */
        readonly reason?: string;
        readonly signed_by?: string;
      }[];
      /** The stick root that was listed. */
      readonly stick?: string;
      /** Where the listing stopped early (scan limits). */
      readonly note?: string;
    }
  | { readonly installed: true; readonly name: string; readonly version: string; readonly sha256: string };

/** What each command returns. */
export interface ControlResults {
  status: StatusResult;
  reload: ReloadResult;
  mode: ModeResult;
  'config.show': ConfigShowResult;
  'config.path': { readonly path: string };
  screenshot: ScreenshotResult;
  'plugin.list': { readonly plugins: readonly PluginStatus[] };
  'plugin.enable': PluginChangeResult;
  'plugin.disable': PluginChangeResult;
  'plugin.grant': PluginChangeResult;
  'plugin.revoke': PluginChangeResult;
  'plugin.install': PluginInstallResult;
  tempo: TempoStatus;
  send: SendResult;
  monitor: MonitorStartResult;
  /** `channels`: output channels that got all-notes-off and sustain-off. */
  panic: { readonly channels: number };
  devices: DevicesResult;
  setlist: SetlistStatus;
  learn: LearnResult;
}

/** `midimon learn` (src/control/learn-protocol.ts has the request). */
export interface LearnAdded {
  readonly file: string;
  /** The file as it was before the edit. */
  readonly backup: string;
  /** 1-based line of the inserted text. */
  readonly line: number;
  /** 1-based position of the new mapping in its list (as `midimon monitor` numbers mappings). */
  readonly mapping: number;
  readonly reload: ReloadResult;
}

export interface LearnResult {
  /** The trigger table for the event. */
  readonly trigger: Readonly<Record<string, string | number>>;
  /** "keys note 60 ch1", "left press". */
  readonly label: string;
  /** The mode the mapping is for; null for global mappings. */
  readonly mode: string | null;
  /** A ready-to-paste TOML block (with a placeholder action unless `add` gave one). */
  readonly toml: string;
  readonly added?: LearnAdded;
}

/** Every MIDI port the box sees now (`midimon devices`): where it is, and which [devices.midi] entry claims it. */
export interface DevicesResult {
  readonly backend: string;
  readonly ports: readonly {
    readonly direction: 'input' | 'output';
    readonly port: string;
    readonly name: string;
    readonly client?: string;
    readonly card?: number;
    readonly usb_port?: string;
    readonly serial?: string;
    readonly open: boolean;
    readonly matched: string | null;
  }[];
}

/**
 * Implemented by the composition root: one method per request. Throw a
 * MidimonError to answer `{ok:false}` with its kind (e.g. not_found for an
 * unknown mode or plugin); anything else becomes `internal`.
 */
export interface ControlHandlers {
  status(): Promise<StatusResult>;
  reload(): Promise<ReloadResult>;
  mode(target: ModeTarget): Promise<ModeResult>;
  configShow(): Promise<ConfigShowResult>;
  configPath(): Promise<{ readonly path: string }>;
  screenshot(): Promise<ScreenshotResult>;
  pluginList(): Promise<{ readonly plugins: readonly PluginStatus[] }>;
  pluginEnable(name: string): Promise<PluginChangeResult>;
  pluginDisable(name: string): Promise<PluginChangeResult>;
  pluginGrant(name: string, capability: Capability): Promise<PluginChangeResult>;
  pluginRevoke(name: string, capability: Capability): Promise<PluginChangeResult>;
  pluginInstall(path: string | undefined): Promise<PluginInstallResult>;
  tempo(request: TempoRequest): Promise<TempoStatus>;
  send(request: SendRequest): Promise<SendResult>;
  devices(): Promise<DevicesResult>;
  /** The box's event stream for `monitor`; the server subscribes per connection. */
  monitor: MonitorSubscribe;
  /** All notes off + sustain off on every output channel the box used. */
  panic(): Promise<{ readonly channels: number }>;
  /** Report the setlist position, or select a song first. */
  setlist(target: SetlistTarget | undefined): Promise<SetlistStatus>;
  /** Waits for the next incoming event (aborted when the client hangs up). */
  learn(request: LearnRequest, signal?: AbortSignal): Promise<LearnResult>;
}

export interface ControlErrorBody {
  readonly kind: ErrorKind;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type ControlResponse<C extends ControlCommand = ControlCommand> =
  | { readonly id?: string | number; readonly ok: true; readonly result: ControlResults[C] }
  | { readonly id?: string | number; readonly ok: false; readonly error: ControlErrorBody };

/** Routes a validated request to its handler (exhaustive over the union). */
export function dispatch(handlers: ControlHandlers, req: ControlRequest, signal?: AbortSignal): Promise<ControlResults[ControlCommand]> {
  switch (req.cmd) {
    case 'status':
      return handlers.status();
    case 'reload':
      return handlers.reload();
    case 'mode':
      return handlers.mode(req.target);
    case 'config.show':
      return handlers.configShow();
    case 'config.path':
      return handlers.configPath();
    case 'screenshot':
      return handlers.screenshot();
    case 'plugin.list':
      return handlers.pluginList();
    case 'plugin.enable':
      return handlers.pluginEnable(req.name);
    case 'plugin.disable':
      return handlers.pluginDisable(req.name);
    case 'plugin.grant':
      return handlers.pluginGrant(req.name, req.capability);
    case 'plugin.revoke':
      return handlers.pluginRevoke(req.name, req.capability);
    case 'plugin.install':
      return handlers.pluginInstall(req.path);
    case 'tempo': {
      const { cmd: _cmd, id: _id, ...request } = req;
      return handlers.tempo(request);
    }
    case 'send': {
      const { cmd: _cmd, id: _id, ...request } = req;
      return handlers.send(request);
    }
    case 'devices':
      return handlers.devices();
    case 'monitor':
      // The server answers `monitor` itself (it keeps the connection as a stream).
      return Promise.reject(new MidimonError('bad_request', "'monitor' is a streaming command: send it as the first request on a connection"));
    case 'panic':
      return handlers.panic();
    case 'setlist':
      return handlers.setlist(req.target);
    case 'learn': {
      const { cmd: _cmd, id: _id, ...request } = req;
      return handlers.learn(request, signal);
    }
  }
}
