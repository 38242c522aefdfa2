import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { throwawayCa } from '../../pki/test-support/throwaway-ca.ts';
import { readSyncMl } from '../../../test/conformance/windows-syncml-reader.ts';
import { renderSyncBodyCommands } from './render-syncml.ts';
import { installCertificateCommands, isUserScopedLocUri, removeCertificateCommands, windowsCertificateNode } from './root-certificate-commands.ts';

describe('Windows trusted root certificate commands', () => {
  let der: Buffer;
  let thumbprint: string;

  before(async () => {
    const ca = await throwawayCa({ name: 'Contoso Root' });
    der = Buffer.from(ca.certificate.rawData);
    // The thumbprint as Windows shows it: SHA-1 of the DER, hex, without separators.
    thumbprint = new X509Certificate(der).fingerprint.replaceAll(':', '');
  });

  it('names the certificate node by its SHA-1 thumbprint in the store the profile chooses', () => {
    const b64 = der.toString('base64');
    assert.equal(windowsCertificateNode(b64, 'computerCertStoreRoot').nodeLocUri, `./Device/Vendor/MSFT/RootCATrustedCertificates/Root/${thumbprint}`);
    assert.equal(windowsCertificateNode(b64, 'computerCertStoreIntermediate').nodeLocUri, `./Device/Vendor/MSFT/RootCATrustedCertificates/CA/${thumbprint}`);
    assert.equal(windowsCertificateNode(b64, 'userCertStoreIntermediate').nodeLocUri, `./User/Vendor/MSFT/RootCATrustedCertificates/CA/${thumbprint}`);
    assert.equal(isUserScopedLocUri(windowsCertificateNode(b64, 'userCertStoreIntermediate').nodeLocUri), true);
    assert.equal(isUserScopedLocUri(windowsCertificateNode(b64, 'computerCertStoreRoot').nodeLocUri), false);
  });

  it('installs with one Add of EncodedCertificate as b64, without line breaks, and removes with a Delete of the node', () => {
    const wrapped = der.toString('base64').replace(/(.{64})/g, '$1\n');
    const node = windowsCertificateNode(wrapped, 'computerCertStoreRoot');
    const xml = renderSyncBodyCommands([...installCertificateCommands(node, 5), ...removeCertificateCommands(node.nodeLocUri, 6)]);
    assert.deepEqual(readSyncMl(xml), {
      commands: [
        { command: 'Add', CmdID: 5, LocURI: `${node.nodeLocUri}/EncodedCertificate`, Format: 'b64', Data: der.toString('base64') },
        { command: 'Delete', CmdID: 6, LocURI: node.nodeLocUri },
      ],
      problems: [],
    });
    assert.doesNotMatch(node.encodedCertificate, /\s/);
  });

  it('refuses a value that is not base64 DER', () => {
    assert.throws(() => windowsCertificateNode('bm90IGEgY2VydA==', 'computerCertStoreRoot'), TypeError);
  });
});
