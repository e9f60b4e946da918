import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors.js';
import {
  arr,
  decodeXml,
  envelope,
  faultToError,
  readEnvelope,
  VimDecoder,
  xmlEscape,
} from './codec.js';
import { VimClient, parseObjects } from './client.js';

const ENV_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>';
const ENV_CLOSE = '</soapenv:Body></soapenv:Envelope>';

function fault(type: string, message: string, inner = ''): string {
  return (
    `${ENV_OPEN}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${message}</faultstring>` +
    `<detail><${type}Fault xmlns="urn:vim25" xsi:type="${type}">${inner}</${type}Fault></detail></soapenv:Fault>${ENV_CLOSE}`
  );
}

const RETRIEVE_RESULT =
  `${ENV_OPEN}<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>tok-1</token>` +
  '<objects><obj type="VirtualMachine">vm-1</obj>' +
  '<propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference">' +
  '<ManagedObjectReference type="Datastore">datastore-7</ManagedObjectReference></val></propSet>' +
  '<propSet><name>network</name><val xsi:type="ArrayOfManagedObjectReference"></val></propSet>' +
  '<propSet><name>config.hardware.numCPU</name><val xsi:type="xsd:int">4</val></propSet>' +
  '<propSet><name>config.template</name><val xsi:type="xsd:boolean">false</val></propSet>' +
  '<propSet><name>name</name><val xsi:type="xsd:string">a &amp; b &lt;c&gt; ü</val></propSet>' +
  '<propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">poweredOff</val></propSet>' +
  '<propSet><name>runtime.host</name><val type="HostSystem" xsi:type="ManagedObjectReference">host-9</val></propSet>' +
  '<propSet><name>config.hardware.device</name><val xsi:type="ArrayOfVirtualDevice">' +
  '<VirtualDevice xsi:type="VirtualDisk"><key>2000</key><capacityInKB>1024</capacityInKB>' +
  '<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[ds] a.vmdk</fileName>' +
  '<datastore type="Datastore">datastore-7</datastore></backing></VirtualDevice></val></propSet>' +
  '<propSet><name>guest.net</name><val xsi:type="ArrayOfGuestNicInfo"><GuestNicInfo>' +
  '<ipAddress>10.0.0.1</ipAddress><ipAddress>fe80::1</ipAddress></GuestNicInfo></val></propSet>' +
  '<missingSet><path>guest.hostName</path><fault><fault xsi:type="NoPermission"></fault></fault></missingSet>' +
  '</objects></returnval></RetrievePropertiesExResponse>' +
  ENV_CLOSE;

describe('vim25 decoding', () => {
  it('decodes ArrayOf, morefs, xsd types, enums, nested data objects and escapes', () => {
    const env = readEnvelope(decodeXml(RETRIEVE_RESULT));
    expect(env?.kind).toBe('response');
    if (env?.kind !== 'response') return;
    const rv = (env.value as { returnval: { token: string; objects: unknown } }).returnval;
    expect(rv.token).toBe('tok-1');
    const [o] = parseObjects(rv.objects as never);
    expect(o?.obj).toEqual({ type: 'VirtualMachine', value: 'vm-1' });
    const p = o!.props;
    expect(p.get('datastore')).toEqual([{ type: 'Datastore', value: 'datastore-7' }]); // one element → array
    expect(p.get('network')).toEqual([]); // empty ArrayOf → empty array
    expect(p.get('config.hardware.numCPU')).toBe(4);
    expect(p.get('config.template')).toBe(false);
    expect(p.get('name')).toBe('a & b <c> ü');
    expect(p.get('runtime.powerState')).toBe('poweredOff');
    expect(p.get('runtime.host')).toEqual({ type: 'HostSystem', value: 'host-9' });
    const devices = p.get('config.hardware.device') as {
      _type: string;
      backing: { datastore: unknown };
    }[];
    expect(devices).toHaveLength(1);
    expect(devices[0]?._type).toBe('VirtualDisk');
    expect(devices[0]?.backing.datastore).toEqual({ type: 'Datastore', value: 'datastore-7' });
    const net = p.get('guest.net') as { ipAddress: unknown }[];
    expect(arr(net[0]?.ipAddress as never)).toEqual(['10.0.0.1', 'fe80::1']);
    expect(o?.missing).toEqual([{ path: 'guest.hostName', fault: 'NoPermission' }]);
  });

  it('decodes the same document fed one byte at a time (multi-byte UTF-8 split across chunks)', () => {
    const d = new VimDecoder();
    const buf = Buffer.from(RETRIEVE_RESULT, 'utf8');
    for (let i = 0; i < buf.length; i++) d.write(buf.subarray(i, i + 1));
    expect(d.end()).toEqual(decodeXml(RETRIEVE_RESULT));
  });

  it('maps faults to error codes, keeping type and message in details', () => {
    const cases: [string, string][] = [
      ['InvalidLogin', 'INVALID_LOGIN'],
      ['NotAuthenticated', 'NOT_AUTHENTICATED'],
      ['NoPermission', 'NO_PERMISSION'],
      ['InvalidProperty', 'INVALID_PROPERTY'],
      ['ManagedObjectNotFound', 'SOAP_FAULT'],
    ];
    for (const [type, code] of cases) {
      const env = readEnvelope(
        decodeXml(
          fault(type, `msg ${type}`, type === 'InvalidProperty' ? '<name>foo.bar</name>' : ''),
        ),
      );
      expect(env?.kind).toBe('fault');
      if (env?.kind !== 'fault') continue;
      const err = faultToError(env, 'RetrievePropertiesEx');
      expect(err.code).toBe(code);
      expect(err.details?.['faultType']).toBe(type);
      expect(err.details?.['faultMessage']).toBe(`msg ${type}`);
      if (type === 'InvalidProperty') expect(err.details?.['property']).toBe('foo.bar');
    }
  });

  it('malformed or truncated XML → PROTOCOL_ERROR', () => {
    for (const bad of [RETRIEVE_RESULT.slice(0, 500), '<a><b></a>', '', 'not xml at all <']) {
      let code = 'none';
      try {
        decodeXml(bad);
      } catch (e) {
        code = e instanceof AppError ? e.code : 'other';
      }
      expect(code, bad.slice(0, 30)).toBe('PROTOCOL_ERROR');
    }
  });

  it('escapes every value written into an envelope', () => {
    expect(xmlEscape(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
    const xml = envelope(
      'Login',
      { type: 'SessionManager', value: 'SessionManager' },
      `<password>${xmlEscape('p<&>')}</password>`,
    );
    const env = readEnvelope(decodeXml(xml));
    expect(env?.kind).toBe('response');
    expect(JSON.stringify(env)).toContain('p<&>');
  });

  // Its speed is measured by `npm run bench` (bench/raw-soap.ts), not here.
  it('parses a ~23 MB RetrievePropertiesEx response fed in 64 KiB chunks', () => {
    const one =
      '<objects><obj type="VirtualMachine">vm-N</obj>' +
      '<propSet><name>name</name><val xsi:type="xsd:string">some-vm-name</val></propSet>' +
      '<propSet><name>config.hardware.device</name><val xsi:type="ArrayOfVirtualDevice">' +
      '<VirtualDevice xsi:type="VirtualDisk"><key>2000</key><deviceInfo><label>Hard disk 1</label><summary>1 GB</summary></deviceInfo>' +
      '<backing xsi:type="VirtualDiskFlatVer2BackingInfo"><fileName>[ds] vm/vm.vmdk</fileName><datastore type="Datastore">datastore-1</datastore>' +
      '<diskMode>persistent</diskMode><thinProvisioned>true</thinProvisioned></backing><controllerKey>1000</controllerKey><unitNumber>0</unitNumber><capacityInKB>1048576</capacityInKB></VirtualDevice>' +
      '<VirtualDevice xsi:type="VirtualVmxnet3"><key>4000</key><deviceInfo><label>Network adapter 1</label><summary>VM Network</summary></deviceInfo>' +
      '<backing xsi:type="VirtualEthernetCardNetworkBackingInfo"><deviceName>VM Network</deviceName><network type="Network">network-1</network></backing>' +
      '<connectable><startConnected>true</startConnected><allowGuestControl>true</allowGuestControl><connected>true</connected></connectable>' +
      '<macAddress>00:50:56:00:00:01</macAddress></VirtualDevice></val></propSet>' +
      '<propSet><name>summary.quickStats</name><val xsi:type="VirtualMachineQuickStats"><overallCpuUsage>12</overallCpuUsage><guestMemoryUsage>100</guestMemoryUsage><uptimeSeconds>1000</uptimeSeconds></val></propSet>' +
      '</objects>';
    const n = Math.ceil((23 * 1024 * 1024) / one.length);
    const body = `${ENV_OPEN}<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval>${one.repeat(n)}</returnval></RetrievePropertiesExResponse>${ENV_CLOSE}`;
    const buf = Buffer.from(body);
    expect(buf.length).toBeGreaterThan(23 * 1024 * 1024);
    const d = new VimDecoder();
    for (let i = 0; i < buf.length; i += 64 * 1024) d.write(buf.subarray(i, i + 64 * 1024));
    const env = readEnvelope(d.end());
    expect(env?.kind).toBe('response');
    const objects = parseObjects(
      (env as unknown as { value: { returnval: { objects: never } } }).value.returnval.objects,
    );
    expect(objects).toHaveLength(n);
    expect(objects[n - 1]?.obj).toEqual({ type: 'VirtualMachine', value: 'vm-N' });
  });
});

describe('SOAP transport failures against local HTTP servers', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
      server = undefined;
    }
  });

  async function serve(handler: http.RequestListener): Promise<number> {
    server = http.createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  }

  function client(port: number, timeoutMs = 5000): VimClient {
    return new VimClient({
      host: '127.0.0.1',
      port,
      thumbprint: null,
      protocol: 'http',
      timeoutMs,
      username: 'u',
      password: 'hunter2-secret',
    });
  }

  async function codeOf(p: Promise<unknown>): Promise<string> {
    try {
      await p;
      return 'OK';
    } catch (e) {
      return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
    }
  }

  it('connection cut mid-response → CONNECTION_LOST', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, {
        'Content-Type': 'text/xml',
        'Content-Length': String(RETRIEVE_RESULT.length * 2),
      });
      res.write(RETRIEVE_RESULT.slice(0, 300));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const c = client(port);
    expect(await codeOf(c.retrieveServiceContent())).toBe('CONNECTION_LOST');
    await c.dispose();
  });

  it('a stalled server → TIMEOUT', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.write(ENV_OPEN); // then nothing
    });
    const c = client(port, 300);
    // The server never finishes: only the client's own timeout can end the call.
    expect(await codeOf(c.retrieveServiceContent())).toBe('TIMEOUT');
    await c.dispose();
  });

  it('an abort mid-call → CANCELLED', async () => {
    const port = await serve(() => undefined);
    const c = client(port);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect(await codeOf(c.retrieveServiceContent({ signal: ac.signal }))).toBe('CANCELLED');
    await c.dispose();
  });

  it('an HTML web server → NOT_VSPHERE; an HTTP error without SOAP fault → HTTP_ERROR', async () => {
    let status = 200;
    const port = await serve((_req, res) => {
      res.writeHead(status, { 'Content-Type': 'text/html' });
      res.end('<html><body>It works!</body></html>');
    });
    const c = client(port);
    expect(await codeOf(c.retrieveServiceContent())).toBe('NOT_VSPHERE');
    status = 503;
    expect(await codeOf(c.retrieveServiceContent())).toBe('HTTP_ERROR');
    await c.dispose();
  });

  it('truncated XML on a closed-delimited body → PROTOCOL_ERROR', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/xml', Connection: 'close' });
      res.end(RETRIEVE_RESULT.slice(0, 400));
    });
    const c = client(port);
    expect(await codeOf(c.retrieveServiceContent())).toBe('PROTOCOL_ERROR');
    await c.dispose();
  });

  it('logs in again once on NotAuthenticated, reusing the session cookie, never leaking the password', async () => {
    const calls: string[] = [];
    let logins = 0;
    let expired = false;
    const serviceContent =
      `${ENV_OPEN}<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>` +
      '<rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>' +
      '<viewManager type="ViewManager">ViewManager</viewManager><about><name>x</name><fullName>x</fullName><vendor>VMware, Inc.</vendor>' +
      '<version>8.0.2</version><build>1</build><apiType>VirtualCenter</apiType><apiVersion>8.0.2.0</apiVersion><instanceUuid>u</instanceUuid></about>' +
      '<sessionManager type="SessionManager">SessionManager</sessionManager></returnval></RetrieveServiceContentResponse>' +
      ENV_CLOSE;
    const port = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const method = /<soapenv:Body><(\w+)/.exec(body)?.[1] ?? '?';
        calls.push(`${method} ${req.headers.cookie ?? '-'}`);
        if (method === 'RetrieveServiceContent') {
          res.writeHead(200, { 'Content-Type': 'text/xml' }).end(serviceContent);
        } else if (method === 'Login') {
          logins++;
          expired = false;
          res
            .writeHead(200, {
              'Content-Type': 'text/xml',
              'Set-Cookie': `vmware_soap_session="s${logins}"; Path=/; HttpOnly`,
            })
            .end(
              `${ENV_OPEN}<LoginResponse xmlns="urn:vim25"><returnval><key>k</key><userName>u</userName></returnval></LoginResponse>${ENV_CLOSE}`,
            );
        } else if (method === 'CurrentTime') {
          if (expired) {
            res
              .writeHead(500, { 'Content-Type': 'text/xml' })
              .end(fault('NotAuthenticated', 'session gone'));
          } else {
            res
              .writeHead(200, { 'Content-Type': 'text/xml' })
              .end(
                `${ENV_OPEN}<CurrentTimeResponse xmlns="urn:vim25"><returnval>2026-01-01T00:00:00Z</returnval></CurrentTimeResponse>${ENV_CLOSE}`,
              );
          }
        } else if (method === 'Logout') {
          res
            .writeHead(200, { 'Content-Type': 'text/xml' })
            .end(`${ENV_OPEN}<LogoutResponse xmlns="urn:vim25"></LogoutResponse>${ENV_CLOSE}`);
        } else {
          res.writeHead(500, { 'Content-Type': 'text/xml' }).end(fault('MethodNotFound', 'no'));
        }
      });
    });
    const c = client(port);
    await c.retrieveServiceContent();
    await c.login();
    expect(await c.currentTime()).toBe('2026-01-01T00:00:00Z');
    expired = true;
    // Both calls are queued at once: they must run one at a time, and only one re-login happens.
    const [a, b] = await Promise.all([c.currentTime(), c.currentTime()]);
    expect([a, b]).toEqual(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z']);
    expect(logins).toBe(2);
    const err = await c.call('Whatever', { type: 'X', value: 'y' }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('SOAP_FAULT');
    expect(JSON.stringify(err)).not.toContain('hunter2');
    await c.dispose();
    expect(calls).toEqual([
      'RetrieveServiceContent -',
      'Login -',
      'CurrentTime vmware_soap_session="s1"',
      'CurrentTime vmware_soap_session="s1"',
      'Login -',
      'CurrentTime vmware_soap_session="s2"',
      'CurrentTime vmware_soap_session="s2"',
      'Whatever vmware_soap_session="s2"',
      'Logout vmware_soap_session="s2"',
    ]);
  });
  it('pages RetrievePropertiesEx with maxObjects and ContinueRetrievePropertiesEx tokens', async () => {
    const bodies: string[] = [];
    const objects = (from: number, count: number): string =>
      Array.from(
        { length: count },
        (_, i) =>
          `<objects><obj type="VirtualMachine">vm-${from + i}</obj><propSet><name>name</name><val xsi:type="xsd:string">VM ${from + i}</val></propSet></objects>`,
      ).join('');
    const port = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        const method = /<soapenv:Body><(\w+)/.exec(body)?.[1] ?? '?';
        const token = /<token>([^<]*)<\/token>/.exec(body)?.[1];
        let inner = '';
        if (method === 'RetrievePropertiesEx') inner = `<token>t1</token>${objects(0, 2)}`;
        else if (token === 't1') inner = `<token>t2</token>${objects(2, 2)}`;
        else if (token === 't2') inner = objects(4, 1);
        res
          .writeHead(200, { 'Content-Type': 'text/xml' })
          .end(
            `${ENV_OPEN}<${method}Response xmlns="urn:vim25"><returnval>${inner}</returnval></${method}Response>${ENV_CLOSE}`,
          );
      });
    });
    const c = client(port);
    const pages: string[][] = [];
    await c.retrieveAll(
      '<propSet><type>VirtualMachine</type><pathSet>name</pathSet></propSet>',
      2,
      (objs) => pages.push(objs.map((o) => `${o.obj.value}=${String(o.props.get('name'))}`)),
      {},
      { type: 'PropertyCollector', value: 'propertyCollector' },
    );
    expect(pages).toEqual([['vm-0=VM 0', 'vm-1=VM 1'], ['vm-2=VM 2', 'vm-3=VM 3'], ['vm-4=VM 4']]);
    expect(bodies[0]).toContain('<options><maxObjects>2</maxObjects></options>');
    expect(bodies.slice(1).map((b) => /<soapenv:Body><(\w+)/.exec(b)?.[1])).toEqual([
      'ContinueRetrievePropertiesEx',
      'ContinueRetrievePropertiesEx',
    ]);
    await c.dispose();
  });
});

describe('the XML scanner under the decoder', () => {
  function decodes(xml: string): unknown {
    try {
      return decodeXml(xml).value;
    } catch (e) {
      return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
    }
  }

  it('reads CDATA, comments, processing instructions, character references, single quotes', () => {
    expect(
      decodes(
        "<?xml version='1.0'?><!-- c --><r><a>x<![CDATA[<b>&amp;]]>y</a><!-- in -->" +
          "<b type='T'>&#x1F600;&#65;&lt;</b><c/><d  ></d  ></r>",
      ),
    ).toEqual({ a: 'x<b>&amp;y', b: { type: 'T', value: '😀A<' }, c: '', d: '' });
  });

  it('keeps a > inside an attribute value, and self-closing elements', () => {
    expect(
      decodes('<r><v xsi:type="xsd:string" note="a>b"/><m type="VirtualMachine">vm-1</m></r>'),
    ).toEqual({
      v: '',
      m: { type: 'VirtualMachine', value: 'vm-1' },
    });
  });

  it('refuses what is not well-formed', () => {
    for (const bad of [
      '<r></s>',
      '<r><a></r>',
      '<r>',
      '</r>',
      '<r/><s/>',
      'text<r/>',
      '<r/>text',
      '<r a="1></r>',
      '<r a=1></r>',
      '<r a></r>',
      '<r>&unknown;</r>',
      '<r>&#xD800;</r>',
      '<r>&#0;</r>',
      '<r>& </r>',
      '<1r></1r>',
      '<r><</r>',
      '<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>',
      '<r><![CDATA[x</r>',
      '<r x="<"/>',
      '<r/ >',
    ]) {
      expect(decodes(bad), bad).toBe('PROTOCOL_ERROR');
    }
  });

  it('tells apart element names that share length and first and last letters', () => {
    // name/nxme and a 13-letter pair land in the same slot of the scanner's name table.
    const xml =
      '<r><name>1</name><nxme>2</nxme><name>3</name><propertyValue>4</propertyValue>' +
      '<propertyVxlue>5</propertyVxlue></r>';
    expect(decodes(xml)).toEqual({
      name: ['1', '3'],
      nxme: '2',
      propertyValue: '4',
      propertyVxlue: '5',
    });
    // A close tag is still matched against the name as written.
    expect(decodes('<r><name>1</name><nxme>2</name></r>')).toBe('PROTOCOL_ERROR');
  });

  it('bounds an endless tag instead of rescanning it on every chunk', () => {
    const d = new VimDecoder();
    d.write('<r><a b="');
    const block = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 8; i++) d.write(block);
    expect(() => d.end()).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
  });
});

describe('the compact form the watch cache keeps', () => {
  it('maps a VM exactly as its full properties do', async () => {
    const { SEEDS } = await import('../../../../tests/vsphere/vim25-fuzz.js');
    const { InventoryCache, compactProperty, mapObject } = await import('./mapper.js');
    const env = readEnvelope(decodeXml(SEEDS[0] ?? ''));
    if (env?.kind !== 'response') throw new Error('seed is not a response');
    const objects = parseObjects(
      (env.value as { returnval: { objects: never } }).returnval.objects,
    );
    const cache = new InventoryCache();
    for (const o of objects) cache.put(o.obj, o.props);
    const vm = objects.find((o) => o.obj.type === 'VirtualMachine');
    if (!vm) throw new Error('no VM in the seed');
    const compact = new Map(
      [...vm.props].map(([k, v]) => [k, compactProperty('VirtualMachine', k, v)] as const),
    );
    expect(
      compactProperty('VirtualMachine', 'config.hardware.device', [
        {
          _type: 'VirtualE1000',
          key: '4000',
          slotInfo: { _type: 'VirtualDevicePciBusSlotInfo', pciSlotNumber: '32' },
          deviceInfo: { _type: 'Description', label: 'ethernet-0', summary: 'DVSwitch: …' },
        },
      ]),
    ).toEqual([
      {
        _type: 'VirtualE1000',
        key: '4000',
        deviceInfo: { _type: 'Description', label: 'ethernet-0' },
      },
    ]);
    expect(mapObject(cache, { ref: vm.obj, props: compact })).toEqual(
      mapObject(cache, { ref: vm.obj, props: vm.props }),
    );
  });
});
