#!/usr/bin/env node
// A PowerShell test double: speaks node-powershell's protocol on stdin/stdout/stderr exactly as
// `pwsh -NoLogo ... -NoExit -Command -` does, and answers the project's scripts from fixtures.
//
// Point NODE_POWERSHELL at this file. It reads PS_DOUBLE_CONTROL (a JSON file path):
//   fixture             fixture file: { psVersion, endpoint, nodes: { NAME: nodeDoc } }
//   record              JSON-lines file this process appends to (start: argv + env; each script run)
//   expectUser          the user name the PSCredential must carry (else: logon failure)
//   expectPasswordSha256  sha256 hex of the password that must arrive on stdin (else: logon failure)
//   scripts             { "get-endpoint": ["hang", "ok"], ... }: the n-th run of a script (across
//                       processes) does the n-th behaviour; the last one repeats. Behaviours:
//                       ok | hang | crash | garbage | enormous | schema | echo-secret |
//                       error:<class>
//   nodeErrors          { NODE: "<class>" }: get-nodes fails like Invoke-Command for that node
//   enormousChars       how much "enormous" writes (default 64 Mi)
// Error classes: access-denied, logon-failure, winrm-unreachable, module-missing,
// cluster-module-missing, not-hyperv, double-hop, hyperv-permission.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const controlPath = process.env.PS_DOUBLE_CONTROL;
const control = controlPath ? JSON.parse(readFileSync(controlPath, 'utf8')) : {};
const fixture = control.fixture ? JSON.parse(readFileSync(control.fixture, 'utf8')) : {};
const psVersion = fixture.psVersion ?? '7.4.6';
const winps = psVersion.startsWith('5.');

function record(entry) {
  if (control.record)
    appendFileSync(control.record, `${JSON.stringify({ pid: process.pid, ...entry })}\n`);
}
record({ event: 'start', argv: process.argv, env: process.env });

const out = (s) => process.stdout.write(`${s}\n`);
const err = (s) => process.stderr.write(`${s}\n`);

/** ConvertTo-Json -Compress as the fixture's PowerShell writes it. */
function psJson(value) {
  let s = JSON.stringify(value);
  if (winps) {
    // JavaScriptSerializer: "\/Date(ms)\/" and HTML-safe escapes.
    s = s
      .replace(/"\/Date\((-?\d+)\)\/"/g, '"\\/Date($1)\\/"')
      .replace(/'/g, '\\u0027')
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026');
  }
  return s;
}

function nextBehaviour(script) {
  const list = control.scripts?.[script] ?? ['ok'];
  const statePath = controlPath ? `${controlPath}.state` : null;
  const state =
    statePath && existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {};
  const n = state[script] ?? 0;
  state[script] = n + 1;
  if (statePath) writeFileSync(statePath, JSON.stringify(state));
  return list[Math.min(n, list.length - 1)] ?? 'ok';
}

function position(scriptFile, line, text) {
  return [
    `At ${scriptFile}:${line} char:9`,
    `+ ${text}`,
    `+         ${'~'.repeat(Math.max(4, text.length - 8))}`,
  ];
}

/** Error records as Windows PowerShell 5.1 formats them on stderr. */
function errorRecord(kind, computer, scriptFile) {
  const connect = (msg, id) => [
    `[${computer}] Connecting to remote server ${computer} failed with the following error message : ${msg} For more information, see the about_Remote_Troubleshooting Help topic.`,
    ...position(scriptFile, 25, '$json = Invoke-Command @remote -ScriptBlock {'),
    `    + CategoryInfo          : OpenError: (${computer}:String) [], PSRemotingTransportException`,
    `    + FullyQualifiedErrorId : ${id}`,
  ];
  const remote = (lines, category, id) => [
    ...lines,
    `    + CategoryInfo          : ${category}`,
    `    + FullyQualifiedErrorId : ${id}`,
    `    + PSComputerName        : ${computer}`,
  ];
  switch (kind) {
    case 'access-denied':
      return connect('Access is denied.', 'AccessDenied,PSSessionStateBroken');
    case 'logon-failure':
      return connect(
        'The user name or password is incorrect.',
        'LogonFailure,PSSessionStateBroken',
      );
    case 'winrm-unreachable':
      return connect(
        'WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. By default, the WinRM firewall exception for public profiles limits access to remote computers within the same local subnet.',
        'WinRMOperationTimeout,PSSessionStateBroken',
      );
    case 'module-missing':
      return remote(
        [
          "The specified module 'Hyper-V' was not loaded because no valid module file was found in any module directory.",
        ],
        'ResourceUnavailable: (Hyper-V:String) [Import-Module], FileNotFoundException',
        'Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand',
      );
    case 'cluster-module-missing':
      return remote(
        [
          "The specified module 'FailoverClusters' was not loaded because no valid module file was found in any module directory.",
        ],
        'ResourceUnavailable: (FailoverClusters:String) [Import-Module], FileNotFoundException',
        'Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand',
      );
    case 'not-hyperv':
      return remote(
        [
          `The Hyper-V Management Tools could not access an expected WMI class on computer '${computer.toUpperCase()}'. This may indicate that the Hyper-V Platform is not enabled on the computer or not fully enabled. Verify that the Hyper-V Platform is enabled on the computer and that you have the proper rights.`,
        ],
        'NotImplemented: (:) [Get-VMHost], VirtualizationException',
        'Unspecified,Microsoft.HyperV.PowerShell.Commands.GetVMHost',
      );
    case 'double-hop':
      return remote(
        [
          `Infrascope: ${computer.toUpperCase()} could not read its failover cluster from a remote session (a Kerberos second hop): You do not have administrative privileges on the cluster. Contact your network administrator to request access.`,
          '    Access is denied',
        ],
        'PermissionDenied: (:) [Write-Error], WriteErrorException',
        'InfrascopeSecondHop',
      );
    case 'hyperv-permission':
      return remote(
        [
          `You do not have the required permission to complete this task. Contact the administrator of the authorization policy for the computer '${computer.toUpperCase()}'.`,
        ],
        'PermissionDenied: (:) [Get-VM], VirtualizationException',
        'Unspecified,Microsoft.HyperV.PowerShell.Commands.GetVM',
      );
    default:
      return remote(
        [`Unexpected failure ${kind}.`],
        'NotSpecified: (:) [], RuntimeException',
        kind,
      );
  }
}

const session = { secret: null, readSecret: false, user: null, hung: false };

function passwordOk() {
  if (control.expectUser !== undefined && session.user !== control.expectUser) return false;
  if (control.expectPasswordSha256 === undefined) return true;
  if (session.secret === null) return false;
  return (
    createHash('sha256').update(session.secret, 'utf8').digest('hex') ===
    control.expectPasswordSha256
  );
}

function unquote(s) {
  return s.slice(1, -1).replace(/''/g, "'");
}

/** `& 'path' -ComputerName 'a','b' -Port 5985 [-UseSSL] [-Credential $InfrascopeCredential]` */
function parseInvocation(line) {
  const m = /^&\s+('(?:[^']|'')*')\s*(.*)$/.exec(line);
  if (!m) return null;
  const path = unquote(m[1]);
  const rest = m[2];
  const computers = [];
  const cm = /-ComputerName\s+((?:'(?:[^']|'')*'\s*,?\s*)+)/.exec(rest);
  if (cm) for (const q of cm[1].match(/'(?:[^']|'')*'/g) ?? []) computers.push(unquote(q));
  const port = Number(/-Port\s+(\d+)/.exec(rest)?.[1] ?? 0);
  return {
    path,
    computers,
    port,
    useSsl: /-UseSSL\b/.test(rest),
    credential: /-Credential\s+\$InfrascopeCredential\b/.test(rest),
  };
}

function nodeFor(name) {
  const short = name.split('.')[0].toLowerCase();
  for (const [key, doc] of Object.entries(fixture.nodes ?? {})) {
    if (key.toLowerCase() === short) return doc;
  }
  return null;
}

async function writeBig(chars) {
  const chunk = `{"Nodes":[],"Padding":"${'x'.repeat(1 << 16)}`;
  let written = 0;
  while (written < chars) {
    if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
    written += chunk.length;
  }
  out('"}');
}

async function runScript(inv, line) {
  let script = null;
  if (existsSync(inv.path)) {
    script = /^# infrascope-script: (\S+)/m.exec(readFileSync(inv.path, 'utf8'))?.[1] ?? null;
  }
  if (script === null) {
    err(
      `& : The term '${inv.path}' is not recognized as the name of a cmdlet, function, script file, or operable program.`,
    );
    err('    + CategoryInfo          : ObjectNotFound: (:String) [], CommandNotFoundException');
    err('    + FullyQualifiedErrorId : CommandNotFoundException');
    return;
  }
  const behaviour = nextBehaviour(script);
  record({
    event: 'script',
    script,
    computers: inv.computers,
    port: inv.port,
    useSsl: inv.useSsl,
    credential: inv.credential,
    user: inv.credential ? session.user : null,
    passwordOk: inv.credential ? passwordOk() : null,
    behaviour,
    command: line,
  });
  const first = inv.computers[0] ?? 'localhost';
  if (inv.credential && !passwordOk()) {
    for (const l of errorRecord('logon-failure', first, inv.path)) err(l);
    return;
  }
  if (behaviour === 'hang') {
    session.hung = true;
    return;
  }
  if (behaviour === 'crash') {
    process.stdout.write('{"Nodes":[{"Comp', () => process.exit(3));
    session.hung = true;
    return;
  }
  if (behaviour === 'garbage') {
    out('WARNING: garbage follows');
    out(
      '\u00ff\u00fe<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S>#< CLIXML',
    );
    out('{"Nodes": [ this is not json');
    return;
  }
  if (behaviour === 'enormous') {
    await writeBig(control.enormousChars ?? 64 * 1024 * 1024);
    return;
  }
  if (behaviour === 'echo-secret') {
    // What PowerShell prints if the secret line were ever run as code: the line itself.
    const b64 = Buffer.from(session.secret ?? '', 'utf8').toString('base64');
    err(
      `${b64} : The term '${b64}' is not recognized as the name of a cmdlet (password ${session.secret}).`,
    );
    err(
      `    + CategoryInfo          : ObjectNotFound: (${b64}:String) [], CommandNotFoundException`,
    );
    err('    + FullyQualifiedErrorId : CommandNotFoundException');
    return;
  }
  if (behaviour.startsWith('error:')) {
    for (const l of errorRecord(behaviour.slice(6), first, inv.path)) err(l);
    return;
  }
  if (script === 'get-endpoint') {
    let doc = fixture.endpoint;
    if (behaviour === 'schema') doc = { ...doc, ComputerName: 42 };
    out(psJson(doc));
    return;
  }
  if (script === 'get-nodes') {
    const parts = [];
    for (const c of inv.computers) {
      const failure = control.nodeErrors?.[c.split('.')[0].toUpperCase()];
      const doc = nodeFor(c);
      if (failure || !doc) {
        for (const l of errorRecord(failure ?? 'winrm-unreachable', c, inv.path)) err(l);
        return;
      }
      parts.push(doc);
    }
    if (behaviour === 'schema' && parts[0]?.VMs?.[0]) {
      // An enum left as its number: what ConvertTo-Json writes without .ToString().
      parts[0] = { ...parts[0], VMs: [{ ...parts[0].VMs[0], State: 2 }, ...parts[0].VMs.slice(1)] };
    }
    out(`{"Nodes":[${parts.map(psJson).join(',')}]}`);
    return;
  }
  err(`Unknown infrascope script ${script}`);
}

const DELIM = /^\[Console\]::(Out|Error)\.WriteLine\("([^"]*)"\)$/;
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
let queue = Promise.resolve();

function handle(raw) {
  const line = raw.trim();
  if (session.hung) return;
  if (session.readSecret) {
    session.readSecret = false;
    session.secret = Buffer.from(raw, 'base64').toString('utf8');
    return;
  }
  if (line === '') return;
  const d = DELIM.exec(line);
  if (d) {
    (d[1] === 'Out' ? out : err)(d[2]);
    return;
  }
  if (line === 'exit') process.exit(0);
  if (line === '$InfrascopeSecretLine = [Console]::In.ReadLine()') {
    session.readSecret = true;
    return;
  }
  if (line.includes("'infrascope-ready ' + $PSVersionTable.PSVersion.ToString()")) {
    out(`infrascope-ready ${psVersion}`);
    return;
  }
  const cred =
    /^\$InfrascopeCredential = New-Object System\.Management\.Automation\.PSCredential\(('(?:[^']|'')*')/.exec(
      line,
    );
  if (cred) {
    if (session.secret === null) {
      err('Exception calling "FromBase64String" with "1" argument(s): "Value cannot be null."');
      err('    + FullyQualifiedErrorId : ArgumentNullException');
      return;
    }
    session.user = unquote(cred[1]);
    out('credential-ready');
    return;
  }
  const inv = parseInvocation(line);
  if (inv) return runScript(inv, line);
  const word = line.split(/\s+/)[0];
  err(
    `${word} : The term '${word}' is not recognized as the name of a cmdlet, function, script file, or operable program.`,
  );
  err(
    `    + CategoryInfo          : ObjectNotFound: (${word}:String) [], CommandNotFoundException`,
  );
  err('    + FullyQualifiedErrorId : CommandNotFoundException');
}

rl.on('line', (raw) => {
  queue = queue.then(() => handle(raw));
});
rl.on('close', () => {
  void queue.then(() => process.exit(0));
});
