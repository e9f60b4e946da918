/**
 * vSphere tags through the vAPI REST endpoint (/rest/com/vmware/cis/...). Tags are not visible to
 * the vim25 property collector, so this is a separate, optional read: an endpoint without the
 * tagging service (a standalone ESXi host answers 404) simply has no tags.
 */
import type http from 'node:http';
import { AppError } from '../../../shared/errors.js';
import { jsonRequest } from './transport.js';

export interface TagReaderOptions {
  readonly baseUrl: URL;
  readonly agent: http.Agent;
  readonly pin: string | null;
  readonly username: string;
  readonly password: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

const SESSION_HEADER = 'vmware-api-session-id';

function valueOf(body: unknown): unknown {
  return body && typeof body === 'object' && 'value' in body
    ? (body as { value: unknown }).value
    : undefined;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Returns moref value → sorted "Category/Tag"; an empty map when tagging is unavailable. */
export async function readTags(opts: TagReaderOptions): Promise<Map<string, string[]>> {
  const url = (p: string): URL => new URL(`/rest/com/vmware/cis${p}`, opts.baseUrl);
  const base = { agent: opts.agent, pin: opts.pin, timeoutMs: opts.timeoutMs, signal: opts.signal };
  const basic = Buffer.from(`${opts.username}:${opts.password}`, 'utf8').toString('base64');
  const login = await jsonRequest({
    ...base,
    url: url('/session'),
    method: 'POST',
    headers: { Authorization: `Basic ${basic}` },
  });
  if (login.status === 404) return new Map();
  if (login.status === 401 || login.status === 403) {
    throw new AppError('INVALID_LOGIN', 'The vSphere tagging service rejected the credentials.', {
      status: login.status,
    });
  }
  const token = valueOf(login.body);
  if (login.status !== 200 || typeof token !== 'string') {
    throw new AppError('HTTP_ERROR', `The tagging service answered HTTP ${login.status}.`, {
      status: login.status,
    });
  }
  const headers = { [SESSION_HEADER]: token };
  const get = async (p: string): Promise<unknown> => {
    const r = await jsonRequest({ ...base, url: url(p), method: 'GET', headers });
    if (r.status !== 200)
      throw new AppError('HTTP_ERROR', `GET ${p} answered HTTP ${r.status}.`, { status: r.status });
    return valueOf(r.body);
  };
  try {
    const categoryNames = new Map<string, string>();
    for (const id of stringList(await get('/tagging/category'))) {
      const c = (await get(`/tagging/category/id:${encodeURIComponent(id)}`)) as
        { name?: unknown } | undefined;
      categoryNames.set(id, typeof c?.name === 'string' ? c.name : id);
    }
    const tagNames = new Map<string, string>();
    const tagIds = stringList(await get('/tagging/tag'));
    for (const id of tagIds) {
      const t = (await get(`/tagging/tag/id:${encodeURIComponent(id)}`)) as
        { name?: unknown; category_id?: unknown } | undefined;
      const cat =
        typeof t?.category_id === 'string'
          ? (categoryNames.get(t.category_id) ?? t.category_id)
          : '';
      tagNames.set(id, `${cat}/${typeof t?.name === 'string' ? t.name : id}`);
    }
    const out = new Map<string, string[]>();
    if (tagIds.length === 0) return out;
    const r = await jsonRequest({
      ...base,
      url: url('/tagging/tag-association?~action=list-attached-objects-on-tags'),
      method: 'POST',
      headers,
      json: { tag_ids: tagIds },
    });
    if (r.status !== 200)
      throw new AppError('HTTP_ERROR', `Listing tag associations answered HTTP ${r.status}.`);
    const list = valueOf(r.body);
    for (const item of Array.isArray(list) ? list : []) {
      const tagId = (item as { tag_id?: unknown }).tag_id;
      const objects = (item as { object_ids?: unknown }).object_ids;
      const tag = typeof tagId === 'string' ? tagNames.get(tagId) : undefined;
      if (!tag || !Array.isArray(objects)) continue;
      for (const o of objects) {
        const id = (o as { id?: unknown }).id;
        if (typeof id !== 'string') continue;
        const tags = out.get(id) ?? [];
        if (!tags.includes(tag)) tags.push(tag);
        out.set(id, tags);
      }
    }
    for (const tags of out.values()) tags.sort();
    return out;
  } finally {
    await jsonRequest({
      ...base,
      url: url('/session'),
      method: 'DELETE',
      headers,
      signal: undefined,
    }).catch(() => undefined);
  }
}
