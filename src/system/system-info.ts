import { networkInterfaces, hostname, freemem, totalmem, uptime } from 'node:os';
import { statfs } from 'node:fs/promises';

/** What the OLED's System page shows: enough to SSH in and to spot a full disk. */
export interface SystemInfo {
  readonly hostname: string;
  readonly addresses: readonly string[];
  readonly memFreeMb: number;
  readonly memTotalMb: number;
  readonly diskFreeMb: number | null;
  readonly uptimeS: number;
}

export async function readSystemInfo(dataPath = '/'): Promise<SystemInfo> {
  const addresses = Object.entries(networkInterfaces()).flatMap(([, list]) =>
    (list ?? []).filter((a) => !a.internal && a.family === 'IPv4').map((a) => a.address),
  );
  let diskFreeMb: number | null = null;
  try {
    const s = await statfs(dataPath);
    diskFreeMb = Math.round((s.bavail * s.bsize) / 1048576);
  } catch {
    diskFreeMb = null;
  }
  return {
    hostname: hostname(),
    addresses,
    memFreeMb: Math.round(freemem() / 1048576),
    memTotalMb: Math.round(totalmem() / 1048576),
    diskFreeMb,
    uptimeS: Math.round(uptime()),
  };
}
