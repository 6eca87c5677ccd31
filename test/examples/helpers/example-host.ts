import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { PluginHost } from '../../../src/plugins/host.js';
import type { Capability, ExecuteContext, ExecuteResult, HostCall, JsonValue } from '../../../src/plugins/types.js';

/** plugins/ of this checkout: the tests use the COMMITTED .wasm files, so no Rust is needed. */
export const PLUGINS_DIR = join(import.meta.dirname, '..', '..', '..', 'plugins');
export const EXAMPLES = ['wasm-minimal', 'wasm-template', 'setlist', 'chord', 'as-template'] as const;
export type Example = (typeof EXAMPLES)[number];

export function wasmPath(name: Example): string {
  return join(PLUGINS_DIR, name, `${name}.wasm`);
}

/** A real PluginHost on a temp state dir that records every midimon.* host call per plugin. */
export class ExampleHost {
  readonly calls: { plugin: string; call: HostCall }[] = [];
  readonly stateDir: string;
  readonly host: PluginHost;

  private constructor(stateDir: string, grants: Readonly<Record<string, readonly Capability[]>>) {
    this.stateDir = stateDir;
    this.host = new PluginHost({
      log: silentLogger(),
      stateDir,
      profile: 'desktop',
      grants,
      onHostCall: (plugin, call) => void this.calls.push({ plugin, call }),
    });
  }

  static async create(grants: Readonly<Record<string, readonly Capability[]>> = {}, stateDir?: string): Promise<ExampleHost> {
    return new ExampleHost(stateDir ?? (await mkdtemp(join(tmpdir(), 'midimon-examples-'))), grants);
  }

  async load(name: Example): Promise<void> {
    await this.host.load(name, { path: wasmPath(name) });
  }

  /** Runs an action and returns its code (asserting it returned rather than failed) plus the host calls it made. */
  async run(name: string, action: string, context: ExecuteContext = {}, params?: Readonly<Record<string, JsonValue>>): Promise<{ code: number; calls: HostCall[] }> {
    const before = this.calls.length;
    const r: ExecuteResult = await this.host.execute(name, action, { timestamp: 1_700_000_000_000, ...context }, params);
    assert.equal(r.status, 'returned', `${name}.${action} failed: ${r.status === 'error' ? `${r.error.kind}: ${r.error.message}` : ''}`);
    // Host calls are posted before the result; let any queued delivery run.
    await new Promise((resolve) => setImmediate(resolve));
    return { code: r.status === 'returned' ? r.code : -1, calls: this.calls.slice(before).filter((c) => c.plugin === name).map((c) => c.call) };
  }

  midi(calls: readonly HostCall[]): number[][] {
    return calls.flatMap((c) => (c.fn === 'midi_send' ? [[...c.bytes]] : []));
  }

  async stop(removeState = true): Promise<void> {
    await this.host.stop();
    if (removeState) await rm(this.stateDir, { recursive: true, force: true });
  }
}
