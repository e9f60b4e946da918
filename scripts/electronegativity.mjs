// Runs Doyensec's Electronegativity over src/ and fails on any HIGH finding. The tool itself
// exits 0 whatever it finds, so this reads its CSV report. Lower findings are printed; each one
// in our code carries an `eng-disable` comment that says why (global checks ignore those).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const electron = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
mkdirSync('.tmp', { recursive: true });
const report = join('.tmp', 'electronegativity.csv');
execFileSync(
  process.execPath,
  [
    require.resolve('@doyensec/electronegativity/dist/index.js'),
    '-i',
    'src',
    '-e',
    electron,
    '-x',
    'AvailableSecurityFixesGlobalCheck',
    '-o',
    report,
    '-r',
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);

/** Minimal RFC 4180 reader: the report quotes fields that hold commas. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field.trim());
      field = '';
    } else if (c === '\n') {
      row.push(field.trim());
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (field || row.length) rows.push([...row, field.trim()]);
  return rows;
}

const [header, ...findings] = parseCsv(readFileSync(report, 'utf8')).filter((r) => r.length > 3);
const col = (name) => header.findIndex((h) => h.trim() === name);
const [iIssue, iSev, iFile, iLoc] = [
  col('issue'),
  col('severity'),
  col('filename'),
  col('location'),
];
let high = 0;
for (const f of findings) {
  const sev = f[iSev];
  if (sev === 'HIGH') high++;
  process.stdout.write(`${sev.padEnd(8)} ${f[iIssue]} ${f[iFile]}:${f[iLoc]}\n`);
}
process.stdout.write(
  `Electronegativity (Electron ${electron}): ${findings.length} finding(s), ${high} high\n`,
);
process.exit(high > 0 ? 1 : 0);
