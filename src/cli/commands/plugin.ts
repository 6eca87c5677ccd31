import { UsageError, type CliIo } from '../io.js';

export async function run(argv: readonly string[], _io: CliIo): Promise<number> {
  throw new UsageError(`plugin: subcommand '${argv[0] ?? ''}' not implemented yet`);
}
