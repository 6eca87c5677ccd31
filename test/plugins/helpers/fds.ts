import { readdirSync, readFileSync } from 'node:fs';

/** Child pids of `pid` (every thread's list: Node's child processes may be forked from any thread). */
function children(pid: number | 'self'): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c !== '') out.push(Number(c));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/**
 * Open file descriptors of this process and every process below it: plugins
 * run in a child process, so their files are open there. Linux only.
 */
export function openFdsInTree(): number {
  let total = 0;
  const queue: Array<number | 'self'> = ['self'];
  while (queue.length > 0) {
    const pid = queue.shift() as number | 'self';
    try {
      total += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      continue;
    }
    queue.push(...children(pid));
  }
  return total;
}
