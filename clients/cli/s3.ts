/** `terrain s3 info`: where the S3 gateway listens and the credentials to use with it. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadS3Credentials, s3CredentialsPath } from '../../services/cluster/start.ts';
import { cliErrors, withJson, type Cli } from './cli.ts';

export function registerS3Commands(cli: Cli): void {
  const s3 = cli.program
    .command('s3')
    .description('the S3 gateway: buckets are branch.repo, objects are files');
  withJson(
    s3
      .command('info')
      .description('print the S3 endpoint and credentials of the running cluster, and how to use them'),
    'endpoint and credentials as one JSON object',
  ).action(async (opts: { json?: boolean }) => {
    const context = cli.context();
    if (!context?.s3Endpoint || !context.dataDir) {
      throw cliErrors.unavailable('no cluster with an S3 gateway is known here: start one with `terrain up`');
    }
    if (!existsSync(s3CredentialsPath(context.dataDir))) {
      throw cliErrors.failedPrecondition(
        `no S3 credentials in ${join(context.dataDir, 's3-credentials.json')}`,
      );
    }
    const creds = loadS3Credentials(context.dataDir);
    const info = { endpoint: context.s3Endpoint, ...creds };
    await cli.printOne(
      opts.json,
      info,
      (i) => i,
      (i) => [
        ['endpoint', i.endpoint],
        ['access key', i.accessKeyId],
        ['secret key', i.secretAccessKey],
        ['region', i.region],
        ['buckets', 'branch.repo (read-write), commitID.branch.repo (read-only), repo = master.repo'],
        [
          'try',
          `AWS_ACCESS_KEY_ID=${i.accessKeyId} AWS_SECRET_ACCESS_KEY=${i.secretAccessKey} aws --endpoint-url ${i.endpoint} s3 ls`,
        ],
      ],
    );
  });
}
