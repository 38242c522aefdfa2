import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { buildProvisioningDocument, clientCertificateSearchCriteria, type ProvisioningDocumentInput } from './provisioning-document.ts';

type Node = { '@_type'?: string; '@_name'?: string; '@_value'?: string; '@_datatype'?: string; characteristic?: Node[]; parm?: Node[] };

/** An independent reading: every `characteristic` and `parm` as an array, attributes kept. */
const parser = new XMLParser({ ignoreAttributes: false, parseAttributeValue: false, isArray: (name) => name === 'characteristic' || name === 'parm' });

function characteristicAt(root: Node, path: string[]): Node {
  let node = root;
  for (const type of path) {
    const next = (node.characteristic ?? []).filter((child) => child['@_type'] === type);
    assert.equal(next.length, 1, `one characteristic '${type}' under ${path.join('/')}`);
    node = next[0]!;
  }
  return node;
}

/** The parms of a characteristic as name → [value, datatype]. */
function parms(node: Node): Record<string, [string | undefined, string | undefined]> {
  return Object.fromEntries((node.parm ?? []).map((p) => [p['@_name']!, [p['@_value'], p['@_datatype']]]));
}

const caDer = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
const clientDer = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x02]);
const thumbprint = (der: Uint8Array) => createHash('sha1').update(der).digest('hex').toUpperCase();

function input(overrides: Partial<ProvisioningDocumentInput> = {}): ProvisioningDocumentInput {
  return {
    caCertificateDer: caDer,
    clientCertificateDer: clientDer,
    enrollmentType: 'Full',
    certificateCommonName: 'F717C0F05F684AC3A34101B2544219DF',
    providerId: 'Envelope',
    managementUrl: 'https://envelope.test/ManagementServer/MDM.svc',
    digest: { username: 'dm-0123456789abcdef', secret: 's3cr3t&<"' },
    entDmId: '6f1c2d3e-0000-4000-8000-000000000001',
    ...overrides,
  };
}

describe('buildProvisioningDocument', () => {
  it('writes well-formed XML that parses back into every node Windows reads', () => {
    const xml = buildProvisioningDocument(input());
    assert.equal(XMLValidator.validate(xml), true);
    const doc = parser.parse(xml)['wap-provisioningdoc'] as Node & { '@_version': string };
    assert.equal(doc['@_version'], '1.1');
    assert.deepEqual(doc.characteristic!.map((c) => c['@_type']), ['CertificateStore', 'APPLICATION', 'DMClient']);

    const root = characteristicAt(doc, ['CertificateStore', 'Root', 'System', thumbprint(caDer)]);
    assert.deepEqual(parms(root), { EncodedCertificate: [Buffer.from(caDer).toString('base64'), undefined] });

    const user = characteristicAt(doc, ['CertificateStore', 'My', 'User']);
    assert.deepEqual(user.characteristic!.map((c) => c['@_type']), [thumbprint(clientDer), 'PrivateKeyContainer']);
    assert.deepEqual(parms(characteristicAt(user, [thumbprint(clientDer)])), { EncodedCertificate: [Buffer.from(clientDer).toString('base64'), undefined] });
    assert.deepEqual(parms(characteristicAt(doc, ['CertificateStore', 'My', 'WSTEP', 'Renew'])), {
      ROBOSupport: ['true', 'boolean'],
      RenewPeriod: ['42', 'integer'],
      RetryInterval: ['4', 'integer'],
    });

    const application = characteristicAt(doc, ['APPLICATION']);
    assert.deepEqual(parms(application), {
      APPID: ['w7', undefined],
      'PROVIDER-ID': ['Envelope', undefined],
      NAME: ['Envelope', undefined],
      ADDR: ['https://envelope.test/ManagementServer/MDM.svc', undefined],
      CONNRETRYFREQ: ['6', undefined],
      INITIALBACKOFFTIME: ['30000', undefined],
      MAXBACKOFFTIME: ['120000', undefined],
      BACKCOMPATRETRYDISABLED: [undefined, undefined],
      DEFAULTENCODING: ['application/vnd.syncml.dm+xml', undefined],
      SSLCLIENTCERTSEARCHCRITERIA: ['Subject=CN%3DF717C0F05F684AC3A34101B2544219DF&Stores=My%5CUser', undefined],
    });
    const nonce = createHmac('sha256', 's3cr3t&<"').update('Envelope initial SyncML DIGEST nonce').digest().subarray(0, 16).toString('base64');
    const auth = application.characteristic!.filter((c) => c['@_type'] === 'APPAUTH').map(parms);
    assert.deepEqual(auth, ['CLIENT', 'APPSRV'].map((level) => ({
      AAUTHLEVEL: [level, undefined],
      AAUTHTYPE: ['DIGEST', undefined],
      AAUTHNAME: ['dm-0123456789abcdef', undefined],
      AAUTHSECRET: ['s3cr3t&<"', undefined],
      AAUTHDATA: [nonce, undefined],
    })));

    const provider = characteristicAt(doc, ['DMClient', 'Provider', 'Envelope']);
    assert.deepEqual(parms(provider), { EntDMID: ['6f1c2d3e-0000-4000-8000-000000000001', 'string'] });
    assert.deepEqual(parms(characteristicAt(provider, ['Poll'])), {
      NumberOfFirstRetries: ['10', 'integer'],
      IntervalForFirstSetOfRetries: ['1', 'integer'],
      NumberOfSecondRetries: ['8', 'integer'],
      IntervalForSecondSetOfRetries: ['15', 'integer'],
      NumberOfRemainingScheduledRetries: ['0', 'integer'],
      IntervalForRemainingScheduledRetries: ['60', 'integer'],
      PollOnLogin: ['true', 'boolean'],
      AllUsersPollOnFirstLogin: ['true', 'boolean'],
    });
  });

  it('puts a Device enrollment\'s certificate in the system store and searches there', () => {
    const doc = parser.parse(buildProvisioningDocument(input({ enrollmentType: 'Device' })))['wap-provisioningdoc'] as Node;
    const my = characteristicAt(doc, ['CertificateStore', 'My']);
    assert.deepEqual(my.characteristic!.map((c) => c['@_type']), ['System', 'WSTEP']);
    assert.equal(parms(characteristicAt(doc, ['APPLICATION'])).SSLCLIENTCERTSEARCHCRITERIA![0], 'Subject=CN%3DF717C0F05F684AC3A34101B2544219DF&Stores=My%5CSystem');
  });

  it('escapes what it writes: the XML stays well-formed whatever the values hold', () => {
    const xml = buildProvisioningDocument(input({ managementUrl: 'https://e.test/a?b=1&c="2"<3>' }));
    assert.equal(XMLValidator.validate(xml), true);
    const doc = parser.parse(xml)['wap-provisioningdoc'] as Node;
    assert.equal(parms(characteristicAt(doc, ['APPLICATION'])).ADDR![0], 'https://e.test/a?b=1&c="2"<3>');
  });
});

describe('clientCertificateSearchCriteria', () => {
  it('URI-escapes the subject and the store as the w7 APPLICATION CSP asks', () => {
    assert.equal(clientCertificateSearchCriteria('a b,c', 'Full'), 'Subject=CN%3Da%20b%2Cc&Stores=My%5CUser');
  });
});
