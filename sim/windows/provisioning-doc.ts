import { createHash, X509Certificate } from 'node:crypto';
import { childrenNamed, parseXml, XmlSyntaxError, type XmlElement } from './xml.ts';

/**
 * The WAP provisioning document of an enrollment (on-premise-authentication-device-enrollment.md,
 * "encoded provisioning XML"; w7-application-csp.md; dmclient-csp.md), read as the Windows
 * enrollment client applies it. Throws `ProvisioningDocumentError` for a document the client would
 * refuse.
 */
export interface AppAuth {
  level: string;
  type: string;
  name?: string;
  secret?: string;
  /** Base64 nonce for DIGEST. */
  data?: string;
}

export interface ProvisioningDocument {
  trustedRoots: { thumbprint: string; certificateDer: Uint8Array }[];
  clientCertificate: { store: string; thumbprint: string; certificateDer: Uint8Array };
  renew: Record<string, string>;
  application: {
    providerId: string;
    name: string | undefined;
    /** The management server URL (ADDR). */
    addr: string;
    parms: Record<string, string>;
    auth: AppAuth[];
  };
  dmClient: { providerId: string; poll: Record<string, string>; parms: Record<string, string> } | undefined;
}

export class ProvisioningDocumentError extends Error {
  constructor(message: string) {
    super(`provisioning document: ${message}`);
    this.name = 'ProvisioningDocumentError';
  }
}

function characteristics(element: XmlElement | undefined, type?: string): XmlElement[] {
  return childrenNamed(element, 'characteristic').filter((item) => type === undefined || item.attributes.type === type);
}

function parms(element: XmlElement | undefined): Record<string, string> {
  return Object.fromEntries(childrenNamed(element, 'parm').map((parm) => [parm.attributes.name ?? '', parm.attributes.value ?? '']));
}

function certificateAt(store: XmlElement, where: string): { thumbprint: string; certificateDer: Uint8Array } {
  const thumbprint = store.attributes.type ?? '';
  const encoded = parms(store).EncodedCertificate;
  if (!encoded) throw new ProvisioningDocumentError(`${where}/${thumbprint} has no EncodedCertificate`);
  const der = new Uint8Array(Buffer.from(encoded, 'base64'));
  try {
    new X509Certificate(der);
  } catch {
    throw new ProvisioningDocumentError(`${where}/${thumbprint} EncodedCertificate is not a base64 X.509 certificate`);
  }
  const sha1 = createHash('sha1').update(der).digest('hex').toUpperCase();
  if (sha1 !== thumbprint.toUpperCase()) throw new ProvisioningDocumentError(`${where}/${thumbprint} is named after another thumbprint (the certificate's SHA-1 is ${sha1})`);
  return { thumbprint: sha1, certificateDer: der };
}

export function readProvisioningDocument(xml: string): ProvisioningDocument {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new ProvisioningDocumentError(error.message);
    throw error;
  }
  if (root.name !== 'wap-provisioningdoc') throw new ProvisioningDocumentError(`the root is <${root.name}>, not <wap-provisioningdoc>`);
  const trustedRoots: ProvisioningDocument['trustedRoots'] = [];
  let clientCertificate: ProvisioningDocument['clientCertificate'] | undefined;
  let renew: Record<string, string> = {};
  for (const certificateStore of characteristics(root, 'CertificateStore')) {
    for (const rootStore of characteristics(certificateStore, 'Root')) {
      for (const system of characteristics(rootStore)) for (const item of characteristics(system)) trustedRoots.push(certificateAt(item, `CertificateStore/Root/${system.attributes.type}`));
    }
    for (const my of characteristics(certificateStore, 'My')) {
      for (const store of characteristics(my)) {
        if (store.attributes.type === 'WSTEP') {
          renew = parms(characteristics(store, 'Renew')[0]);
          continue;
        }
        for (const item of characteristics(store).filter((entry) => entry.attributes.type !== 'PrivateKeyContainer')) {
          if (clientCertificate) throw new ProvisioningDocumentError('more than one client certificate under CertificateStore/My');
          clientCertificate = { store: store.attributes.type ?? '', ...certificateAt(item, `CertificateStore/My/${store.attributes.type}`) };
        }
      }
    }
  }
  if (!clientCertificate) throw new ProvisioningDocumentError('no client certificate under CertificateStore/My/User or My/System');
  const w7 = characteristics(root, 'APPLICATION').filter((item) => parms(item).APPID === 'w7');
  if (w7.length !== 1) throw new ProvisioningDocumentError(`expected one APPLICATION with APPID w7, found ${w7.length}`);
  const application = parms(w7[0]);
  const addr = application.ADDR ?? '';
  if (!/^https:\/\/[^/]/i.test(addr)) throw new ProvisioningDocumentError(`the w7 ADDR must be an https URL, got "${addr}"`);
  const encoding = application.DEFAULTENCODING;
  if (encoding && encoding !== 'application/vnd.syncml.dm+xml') throw new ProvisioningDocumentError(`DEFAULTENCODING ${encoding}: this simulator speaks only application/vnd.syncml.dm+xml`);
  const providerId = application['PROVIDER-ID'] ?? '';
  const auth = characteristics(w7[0], 'APPAUTH').map((item) => {
    const values = parms(item);
    const entry: AppAuth = { level: values.AAUTHLEVEL ?? '', type: values.AAUTHTYPE ?? '' };
    if (values.AAUTHNAME !== undefined) entry.name = values.AAUTHNAME;
    if (values.AAUTHSECRET !== undefined) entry.secret = values.AAUTHSECRET;
    if (values.AAUTHDATA !== undefined) entry.data = values.AAUTHDATA;
    return entry;
  });
  let dmClient: ProvisioningDocument['dmClient'];
  for (const dm of characteristics(root, 'DMClient')) {
    for (const provider of characteristics(characteristics(dm, 'Provider')[0])) {
      // dmclient-csp / the documented example: "ProviderID in DMClient CSP must match to PROVIDER-ID in w7 APPLICATION characteristics".
      if (provider.attributes.type !== providerId) throw new ProvisioningDocumentError(`DMClient/Provider/${provider.attributes.type} does not match the w7 PROVIDER-ID ${providerId}`);
      dmClient = { providerId, poll: parms(characteristics(provider, 'Poll')[0]), parms: parms(provider) };
    }
  }
  return { trustedRoots, clientCertificate, renew, application: { providerId, name: application.NAME, addr, parms: application, auth }, dmClient };
}
