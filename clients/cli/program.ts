/**
 * Builds the `terrain` command tree and runs it, turning every outcome into an exit code:
 * 0 success, 1 an error (one line on stderr: `terrain: pfs: repo "x" not found`), 2 a usage error
 * (unknown option or command, missing argument, bad flag value).
 *
 * `run` never calls process.exit, so tests can drive it in-process; `main.ts` sets the exit code.
 */
import { Command } from 'commander';
import { isTerrainError } from '../../services/platform/errors.ts';
import { registerBranchCommands } from './branch.ts';
import { Cli, USAGE_EXIT_CODE, isCommanderError, type CliIo } from './cli.ts';
import { registerClusterCommands } from './cluster.ts';
import { registerCommitCommands } from './commit.ts';
import { registerCommitSetCommands } from './commitset.ts';
import { registerFileCommands } from './file.ts';
import { registerMiscCommands, terrainVersion } from './misc.ts';
import { registerMountCommands } from './mount.ts';
import { registerPpsCommands } from './pps.ts';
import { registerRepoCommands } from './repo.ts';
import { registerS3Commands } from './s3.ts';
import { registerTransactionCommands } from './transaction.ts';

/** Commander writes "error: unknown option '--x'\n(Did you mean --y?)"; we print one line. */
export function usageLine(message: string): string {
  const text = message
    .replace(/^error:\s*/i, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return `terrain: ${text} (see --help)\n`;
}

/** One line for any failure; no stack traces. */
export function errorLine(err: unknown): string {
  let text: string;
  if (isTerrainError(err)) {
    text =
      err.service === 'client' || err.service === 'cli'
        ? err.message.replace(/^(client|cli): /, '')
        : err.message;
  } else if (err instanceof Error) {
    text = err.message;
  } else {
    text = String(err);
  }
  return `terrain: ${text.replace(/\s*\n\s*/g, ' ').trim()}\n`;
}

export function buildCli(io: CliIo): Cli {
  const program = new Command('terrain');
  const cli = new Cli(io, program);
  program
    .description('Terrain: versioned data, pipelines and lineage. Commands follow pachctl: VERB NOUN [ARGS].')
    .version(terrainVersion(), '-V, --version', 'print the CLI version')
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => write(usageLine(text)),
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .addHelpText(
      'after',
      `
Refs: REPO, REPO@BRANCH, REPO@COMMIT_ID, REPO@BRANCH^N, and REPO@REF:/PATH for files.
The cluster is found through TERRAIN_ADDRESS or the context file written by \`terrain up\`
(TERRAIN_CONTEXT, default ~/.terrain/context.json); TERRAIN_PFS_ADDRESS, TERRAIN_PPS_ADDRESS and
TERRAIN_LINEAGE_ADDRESS override single services. Exit codes: 0 ok, 1 error, 2 usage error.`,
    );
  // Verbs in the order help lists them; resource files attach nouns to them.
  const verbs: [string, string][] = [
    ['create', 'create a repo or branch'],
    ['list', 'list repos, branches, commits, commit sets, files or transactions'],
    ['inspect', 'describe a repo, branch, commit, commit set, file or transaction'],
    ['delete', 'delete a repo, branch, commit, file or transaction'],
    ['put', 'write files'],
    ['get', 'read files'],
    ['glob', 'find files by pattern'],
    ['diff', 'compare files between commits'],
    ['copy', 'copy files between commits, by reference'],
    ['start', 'start a commit or transaction'],
    ['finish', 'finish a commit or transaction'],
    ['wait', 'wait for a commit or commit set to finish'],
    ['squash', 'fold a commit into its children'],
    ['stop', 'stop using the active transaction'],
    ['resume', 'make a transaction active again'],
  ];
  registerClusterCommands(cli); // up, down, status: top-level commands, listed first
  for (const [name, description] of verbs) cli.verb(name, description);
  registerRepoCommands(cli);
  registerBranchCommands(cli);
  registerCommitCommands(cli);
  registerCommitSetCommands(cli);
  registerFileCommands(cli);
  registerTransactionCommands(cli);
  registerPpsCommands(cli);
  registerMiscCommands(cli);
  registerS3Commands(cli);
  registerMountCommands(cli);
  return cli;
}

/** Runs `terrain ARGS…` and returns the exit code. */
export async function run(args: string[], io: CliIo): Promise<number> {
  const cli = buildCli(io);
  // The first Ctrl-C (or SIGTERM) cancels the running command through cli.signal, so calls end
  // cleanly and `terrain up` stops its cluster; a second one exits at once.
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(signal === 'SIGINT' ? 130 : 143);
    interrupted = true;
    cli.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await cli.program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (err) {
    if (isCommanderError(err)) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    }
    if (isEpipe(err)) return 0; // the reader went away (`| head`): not our failure
    io.stderr.write(errorLine(err));
    return interrupted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cli.close();
  }
}

function isEpipe(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EPIPE';
}
