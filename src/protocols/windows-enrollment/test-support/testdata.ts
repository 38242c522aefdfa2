import { readFileSync } from 'node:fs';

/** A file of `testdata/` as bytes. */
export function testdataBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../testdata/${name}`, import.meta.url)));
}

/** The PKCS#10 whose PrintableString CN holds `!` and NUL, as a Windows PC writes it (testdata/README.md). */
export function oddSubjectCertificateRequest(): Uint8Array {
  return new Uint8Array(Buffer.from(new TextDecoder().decode(testdataBytes('csr-odd-subject.der.b64')).replace(/\s+/g, ''), 'base64'));
}
