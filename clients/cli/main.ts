/**
 * The `terrain` command. Run it through `bin/terrain`, which uses the project's own Node 24.
 *
 *   terrain up --detach
 *   terrain create repo images
 *   terrain put file images@master:/ -r -f ./photos
 *   terrain list commit images
 *   terrain get file images@master:/cat.png -o cat.png
 */
import { run } from './program.ts';

// A closed pipe (`terrain get file … | head`) is the reader's choice, not an error worth a trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
