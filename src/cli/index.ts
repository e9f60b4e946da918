import { INTERRUPTED_EXIT, runCli } from './main.js';

// The bin entry: real process streams and signals; everything else lives in runCli.
// The first Ctrl-C (or SIGTERM) stops the command cleanly: runs cancelled, writes committed or
// rolled back, exit 130. A second Ctrl-C while that runs leaves at once, also with 130.
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT);
    controller.abort();
  });
}
const code = await runCli(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  stdin: process.stdin,
  isTTY: process.stderr.isTTY === true,
  ...(process.stderr.isTTY ? { columns: process.stderr.columns } : {}),
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;
