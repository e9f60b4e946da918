import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SelfSigned } from './self-signed.js';

export interface FakeVsphereOptions {
  readonly tls: SelfSigned;
  /** 'VirtualCenter' (vCenter) or 'HostAgent' (ESXi); 'none' answers like a plain web server. */
  readonly apiType: 'VirtualCenter' | 'HostAgent' | 'none';
  readonly username?: string;
  readonly password?: string;
  /** Fault the permission check with NoPermission. */
  readonly noPermission?: boolean;
}

export interface FakeVsphere {
  readonly port: number;
  /** Every request body the server received (tests grep them). */
  readonly bodies: string[];
  close(): Promise<void>;
}

const env = (body: string): string =>
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  `xmlns="urn:vim25"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

const fault = (type: string, text: string): string =>
  env(
    `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${text}</faultstring>` +
      `<detail><${type}Fault xmlns="urn:vim25" xsi:type="${type}"></${type}Fault></detail></soapenv:Fault>`,
  );

/** Just enough of the vSphere SOAP API for the doctor: ServiceContent, Login, one read, Logout. */
export async function startFakeVsphere(o: FakeVsphereOptions): Promise<FakeVsphere> {
  const bodies: string[] = [];
  const server: Server = createServer({ key: o.tls.key, cert: o.tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      if (o.apiType === 'none') {
        res
          .writeHead(404, { 'content-type': 'text/html', server: 'nginx' })
          .end('<html>Not Found</html>');
        return;
      }
      res.setHeader('content-type', 'text/xml; charset=utf-8');
      if (body.includes('RetrieveServiceContent')) {
        const vc = o.apiType === 'VirtualCenter';
        res.end(
          env(
            '<RetrieveServiceContentResponse><returnval><rootFolder type="Folder">group-d1</rootFolder>' +
              '<propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>' +
              `<about><name>${vc ? 'VMware vCenter Server' : 'VMware ESXi'}</name><fullName>${vc ? 'VMware vCenter Server 8.0.2 build-1' : 'VMware ESXi 8.0.2 build-1'}</fullName>` +
              `<version>8.0.2.0</version><apiType>${o.apiType}</apiType></about>` +
              `<sessionManager type="SessionManager">${vc ? 'SessionManager' : 'ha-sessionmgr'}</sessionManager>` +
              '</returnval></RetrieveServiceContentResponse>',
          ),
        );
        return;
      }
      if (body.includes('<vim25:Login>')) {
        const user = /<vim25:userName>([^<]*)</.exec(body)?.[1];
        const pass = /<vim25:password>([^<]*)</.exec(body)?.[1];
        if (user !== (o.username ?? 'admin') || pass !== (o.password ?? 'right')) {
          res.statusCode = 500;
          res.end(
            fault(
              'InvalidLogin',
              'Cannot complete login due to an incorrect user name or password.',
            ),
          );
          return;
        }
        res.setHeader('set-cookie', 'vmware_soap_session="abc"; Path=/; HttpOnly; Secure');
        res.end(
          env(
            `<LoginResponse><returnval><key>k</key><userName>${user}</userName></returnval></LoginResponse>`,
          ),
        );
        return;
      }
      if (body.includes('RetrievePropertiesEx')) {
        if (o.noPermission) {
          res.statusCode = 500;
          res.end(fault('NoPermission', 'Permission to perform this operation was denied.'));
          return;
        }
        res.end(
          env(
            '<RetrievePropertiesExResponse><returnval><objects><obj type="Folder">group-d1</obj><propSet><name>childEntity</name>' +
              '<val><ManagedObjectReference type="Datacenter">datacenter-2</ManagedObjectReference></val></propSet></objects></returnval></RetrievePropertiesExResponse>',
          ),
        );
        return;
      }
      res.end(env('<LogoutResponse></LogoutResponse>'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
