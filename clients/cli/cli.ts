/**
 * What every command file gets: the commander program with its shared verbs, output helpers, a
 * lazily connected client, the context file, the active transaction, and an AbortSignal that
 * Ctrl-C triggers.
 *
 * Commands are added by resource files (`repo.ts`, `file.ts`, …) through `cli.verb('create')
 * .command('repo')`, so a new resource (pipelines, lineage, s3, mount) is one new file that
 * registers its nouns under the existing verbs.
 */
import type { Command } from 'commander';
import { type CommanderError } from 'commander';
import { connect, type TerrainClient } from '../ts/client.ts';
import { contextPath, readContext, updateContext, type TerrainContext } from '../ts/context.ts';
import { errorFactory } from '../../services/platform/errors.ts';
import { Output } from './output.ts';

export const cliErrors = errorFactory('cli');

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/** The exit code of a usage error (commander's unknown option, missing argument, …). */
export const USAGE_EXIT_CODE = 2;

export class Cli {
  readonly program: Command;
  readonly io: CliIo;
  readonly out: Output;
  readonly #controller = new AbortController();
  readonly #verbs = new Map<string, Command>();
  #client: TerrainClient | undefined;

  constructor(io: CliIo, program: Command) {
    this.io = io;
    this.program = program;
    this.out = new Output(io.stdout);
  }

  /** Aborted on Ctrl-C (SIGINT) and SIGTERM; pass it to every call. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  abort(reason?: unknown): void {
    this.#controller.abort(reason);
  }

  /** A top-level verb (`create`, `list`, …), created on first use and shared by resource files. */
  verb(name: string, description = ''): Command {
    let command = this.#verbs.get(name);
    if (!command) {
      command = this.program.command(name).description(description);
      this.#verbs.set(name, command);
    }
    return command;
  }

  get contextFile(): string {
    return contextPath(this.io.env);
  }

  context(): TerrainContext | undefined {
    return readContext(this.contextFile);
  }

  updateContext(patch: Partial<TerrainContext>): TerrainContext {
    return updateContext(this.contextFile, patch);
  }

  /** The client, connected on first use (address from env / context file / default). */
  client(): TerrainClient {
    this.#client ??= connect(undefined, { env: this.io.env });
    return this.#client;
  }

  /** `TERRAIN_TRANSACTION`, else the transaction `terrain start transaction` stored in the context. */
  activeTransaction(): string | undefined {
    return this.io.env['TERRAIN_TRANSACTION'] || this.context()?.transaction || undefined;
  }

  /** A line for humans on stderr (notes, hints); never used for data. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /**
   * Fails the current command as a usage error (exit 2), printed like commander's own errors.
   * Use it for flag combinations commander cannot express (`-r` without `-o`).
   */
  usageError(command: Command, message: string): never {
    command.error(message, { exitCode: USAGE_EXIT_CODE, code: 'terrain.usage' });
  }

  /** Prints a listing: one JSON object per line with `json`, else an aligned table. */
  async printList<T>(
    json: boolean | undefined,
    items: AsyncIterable<T>,
    toJson: (item: T) => unknown,
    headers: string[],
    row: (item: T) => string[],
  ): Promise<void> {
    if (json) {
      for await (const item of items) await this.out.json(toJson(item));
      return;
    }
    const table = this.out.table(headers);
    for await (const item of items) await table.row(row(item));
    await table.end();
  }

  /** Prints one object: one JSON line with `json`, else "Key: value" lines. */
  async printOne<T>(
    json: boolean | undefined,
    item: T,
    toJson: (item: T) => unknown,
    fields: (item: T) => [string, string][],
  ): Promise<void> {
    if (json) await this.out.json(toJson(item));
    else await this.out.fields(fields(item));
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }
}

export function isCommanderError(err: unknown): err is CommanderError {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'CommanderError';
}

/** Adds `--json` to a command. */
export function withJson(
  command: Command,
  what = 'newline-delimited JSON (one object per line) instead of a table',
): Command {
  return command.option('--json', `print ${what}`);
}
