import { runCli } from './main.js';

// The bin entry: real process streams and signals; everything else lives in runCli.
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => controller.abort());
}
const code = await runCli(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  stdin: process.stdin,
  isTTY: process.stderr.isTTY === true,
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;
