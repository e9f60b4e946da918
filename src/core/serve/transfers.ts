import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { serializeError } from '../../shared/errors.js';
import type { SerializedError } from '../../shared/errors.js';
import { IMPORT_ID } from '../../shared/export.js';
import { auditPersonAction } from '../accounts/audit-requests.js';
import type { RequestContext } from '../contract/handlers.js';
import { refusal, roleRefusal } from '../contract/handlers.js';
import type { Core } from '../core.js';
import { MAX_IMPORT_BYTES, importSnapshotUpload } from '../snapshots/upload.js';

/*
 * serve's two file routes: the download of a file an export of this run saved, and the upload of
 * a snapshot to import (a browser has no native open dialog). Each stands for a channel and asks
 * its role, and on a team server each is audited with the person and address.
 */

const UPLOAD_STATUS: Partial<Record<SerializedError['code'], number>> = {
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  IMPORT_INVALID: 422,
  IMPORT_TOO_LARGE: 413,
  VALIDATION: 400,
  CANCELLED: 409,
};

/** A request header's (first) value, or ''. */
export function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

export interface TransferDeps {
  readonly core: Core;
  readonly now: () => Date;
  /** Largest snapshot upload accepted (tests lower it). */
  readonly maxUploadBytes?: number;
  /** Who a POST from our own page speaks for, or null (server.ts). */
  readonly fromOurPage: (req: IncomingMessage) => Promise<RequestContext | null>;
  /** Logs a failure and answers 500 or closes the socket (server.ts). */
  readonly lastResort: (what: string, e: unknown, res?: ServerResponse) => void;
}

export interface Transfers {
  download(req: IncomingMessage, res: ServerResponse): Promise<void>;
  upload(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createTransfers(deps: TransferDeps): Transfers {
  const { core, fromOurPage, lastResort, now } = deps;
  const log = core.log;
  const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
    res
      .writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      })
      .end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, error: SerializedError): void => {
    // The rest of the body is not read: close the connection rather than drain it.
    res.setHeader('Connection', 'close');
    sendJson(res, UPLOAD_STATUS[error.code] ?? 500, { ok: false, error });
  };

  /**
   * Audits what a person did through an HTTP route (team server only, as for requests), then
   * answers: a refusal or failure with `error`, or nothing more for the caller to send.
   */
  const audited = async (
    ctx: RequestContext,
    action: string,
    target: string | null,
    outcome: SerializedError | null,
    details: Record<string, unknown>,
  ): Promise<void> => {
    await auditPersonAction(core.store.db, ctx, {
      action,
      target,
      outcome: outcome?.code ?? 'done',
      details,
      at: now(),
    }).catch((e: unknown) => log.error({ err: e, action }, 'could not write an audit row'));
  };

  /**
   * The file an `export:save` of this run wrote, by its export id, as an attachment. Nothing
   * else can be fetched: no path or name comes from the request.
   */
  const download = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume();
    const ctx = await fromOurPage(req);
    if (!ctx) {
      fail(res, { code: 'FORBIDDEN', message: 'Download refused: wrong method, origin or token' });
      return;
    }
    const exportId = header(req, 'x-infrascope-export-id').slice(0, 100);
    // The same check the dispatcher makes for the channel the download completes.
    const refused = refusal('export:save', ctx);
    if (refused) {
      await audited(ctx, 'export:download', null, refused, { exportId });
      fail(res, refused);
      return;
    }
    const file = core.savedExports.fileOf(exportId);
    if (file === undefined || !existsSync(file)) {
      const missing: SerializedError = {
        code: 'NOT_FOUND',
        message: 'No file of an export of this run by that id',
      };
      await audited(ctx, 'export:download', null, missing, { exportId });
      fail(res, missing);
      return;
    }
    const name = basename(file);
    // Who took a copy of the inventory away, and which: the file's name says its format and time.
    await audited(ctx, 'export:download', name, null, { exportId, bytes: statSync(file).size });
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Content-Disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    createReadStream(file)
      .on('error', (e) => lastResort('sending an export', e, res))
      .pipe(res);
  };

  /**
   * A browser has no native open dialog, so `serve` takes the file's bytes: POST with our own
   * Origin, the run's token in a header (a cross-site form can set neither) and a raw
   * `application/octet-stream` body. The core writes them to a temporary file, tells the format by
   * content, imports and deletes the file.
   */
  const upload = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const ctx = await fromOurPage(req);
    if (!ctx) {
      req.resume();
      fail(res, { code: 'FORBIDDEN', message: 'Upload refused: wrong method, origin or token' });
      return;
    }
    const max = deps.maxUploadBytes ?? MAX_IMPORT_BYTES;
    const length = Number(header(req, 'content-length') || '0');
    let name = 'upload';
    try {
      name = decodeURIComponent(header(req, 'x-infrascope-filename')) || name;
    } catch {
      // A malformed name only loses the default label.
    }
    /** Audits the upload's outcome (who, from where, which file), then answers. */
    const outcome = async (error: SerializedError | null, snapshotId?: number): Promise<void> => {
      await audited(ctx, 'snapshots:upload', name.slice(0, 200), error, {
        bytes: length,
        ...(snapshotId !== undefined ? { snapshotId } : {}),
      });
      if (error) fail(res, error);
    };
    // The upload is the serve page's snapshots:import (a path-taking channel only the CLI may
    // call), so it needs that channel's role.
    const refused = roleRefusal('snapshots:import', ctx);
    if (refused) {
      req.resume();
      await outcome(refused);
      return;
    }
    if (header(req, 'content-type') !== 'application/octet-stream') {
      await outcome({ code: 'VALIDATION', message: 'Upload the file as application/octet-stream' });
      return;
    }
    if (length > max) {
      await outcome({
        code: 'IMPORT_INVALID',
        message: `${name} is larger than the ${Math.round(max / 2 ** 20)} MiB an import may be`,
        details: { reason: 'too-large', limit: max },
      });
      return;
    }
    const askedId = header(req, 'x-infrascope-import-id');
    // The browser going away (tab closed, fetch aborted) cancels the import too.
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) gone.abort();
    });
    try {
      const info = await core.imports.run(
        IMPORT_ID.test(askedId) ? askedId : undefined,
        (ctl) =>
          importSnapshotUpload(core.store, req, {
            name,
            maxBytes: max,
            ...(length > 0 ? { size: length } : {}),
            ...ctl,
          }),
        { signal: gone.signal },
      );
      core.log.info({ id: info.id, origin: info.origin }, 'snapshot imported from upload');
      await outcome(null, info.id);
      sendJson(res, 200, { ok: true, result: info });
    } catch (e) {
      await outcome(serializeError(e));
    }
  };

  return { download, upload };
}
