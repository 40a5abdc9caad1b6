/**
 * The model and detector registry, from the command line (`pnpm registry <command>`):
 *
 *   publish-pack <pack dir>                 upload a pack to MODEL_SOURCE (s3://bucket/prefix)
 *   publish-detector <file> [--not-live]    upload a detector version and make it live
 *   rollback-detector <name> <version>      make an earlier published version live again
 *   add-pack <pack dir> [--location URL]    record a pack in the models table
 *   add-detector <file> [--location URL] [--live]
 *                                           record a detector version in the detectors table
 *   set-live <name> <version>               mark a recorded version live in the table
 *
 * Bucket commands use MODEL_SOURCE, S3_ENDPOINT, S3_REGION and the AWS_* credentials; table
 * commands use SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (PostgREST).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createS3Client } from './bucket.ts';
import { registerDetector, registerPack, setLiveDetector, type Catalogue } from './catalogue.ts';
import { parseS3Url, RegistryError } from './location.ts';
import { publishDetector, publishPack, rollbackDetector } from './publish.ts';

const bucketEnv = z.object({
  MODEL_SOURCE: z.string().regex(/^s3:\/\//, 'set MODEL_SOURCE=s3://bucket/prefix'),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default('auto'),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('true'),
});
const tableEnv = z.object({ SUPABASE_URL: z.url(), SUPABASE_SERVICE_ROLE_KEY: z.string().min(1) });

function env<T extends z.ZodType>(schema: T): z.infer<T> {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) throw new RegistryError(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { location: { type: 'string' }, live: { type: 'boolean' }, 'not-live': { type: 'boolean' }, version: { type: 'string' } },
  });
  const [command, a, b] = positionals;
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new RegistryError(`${command}: missing ${what}`);
    return v;
  };
  const bucket = () => {
    const e = env(bucketEnv);
    return { s3: createS3Client(e), loc: parseS3Url(e.MODEL_SOURCE) };
  };
  const catalogue = (): Catalogue => {
    const e = env(tableEnv);
    return { url: e.SUPABASE_URL, serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY };
  };
  let out: unknown;
  switch (command) {
    case 'publish-pack': {
      const { s3, loc } = bucket();
      out = await publishPack(s3, loc, need(a, 'pack folder')).finally(() => s3.destroy());
      break;
    }
    case 'publish-detector': {
      const { s3, loc } = bucket();
      const r = await publishDetector(s3, loc, need(a, 'detector file'), { live: !values['not-live'] }).finally(() => s3.destroy());
      out = { name: r.detector.name, version: r.detector.version, sha256: r.sha256, location: r.location, live: !values['not-live'] };
      break;
    }
    case 'rollback-detector': {
      const { s3, loc } = bucket();
      out = await rollbackDetector(s3, loc, need(a, 'detector name'), need(b, 'version')).finally(() => s3.destroy());
      break;
    }
    case 'add-pack':
      out = await registerPack(catalogue(), need(a, 'pack folder'), { location: values.location, version: values.version });
      break;
    case 'add-detector':
      out = await registerDetector(catalogue(), need(a, 'detector file'), { location: values.location, live: values.live });
      break;
    case 'set-live':
      out = { previous: await setLiveDetector(catalogue(), need(a, 'detector name'), need(b, 'version')) };
      break;
    default:
      throw new RegistryError('usage: registry publish-pack|publish-detector|rollback-detector|add-pack|add-detector|set-live ... (see registry/src/cli.ts)');
  }
  console.log(JSON.stringify(out, null, 1));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof RegistryError ? err.message : String(err));
  process.exit(1);
});
