import { createTestCa, issuePushCertificate, issueServerCertificate, type TestCa, type TestIdentity } from '../../../../sim/apns/apns-test-pki.ts';
import { ApnsStandIn, type ApnsStandInOptions } from '../../../../sim/apns/apns-standin.ts';
import { ApnsProvider, type ApnsProviderOptions } from '../apns-provider.ts';
import { parsePushCertificate, type PushCertificate } from '../push-certificate.ts';

/**
 * A running APNs stand-in on 127.0.0.1 with fresh certificates, and providers pointed at it that trust
 * its test CA and authenticate with a push certificate it trusts. `close` stops all of it.
 */
export interface ApnsFixture {
  ca: TestCa;
  pushCertificate: PushCertificate;
  standIn: ApnsStandIn;
  provider(options?: Partial<ApnsProviderOptions>): ApnsProvider;
  close(): Promise<void>;
}

export async function startApnsFixture(options: Partial<ApnsStandInOptions> = {}): Promise<ApnsFixture> {
  const ca = await createTestCa();
  const server: TestIdentity = await issueServerCertificate(ca);
  const push = await issuePushCertificate(ca);
  const pushCertificate = parsePushCertificate({ certificate: push.certificatePem, privateKey: push.privateKeyPem }, new Date());
  const standIn = await ApnsStandIn.start({ certificatePem: server.certificatePem, privateKeyPem: server.privateKeyPem, clientCa: ca.certificatePem, ...options });
  const providers: ApnsProvider[] = [];
  return {
    ca,
    pushCertificate,
    standIn,
    provider(providerOptions = {}) {
      const provider = new ApnsProvider({ certificate: pushCertificate, url: standIn.url, ca: ca.certificatePem, ...providerOptions });
      providers.push(provider);
      return provider;
    },
    async close() {
      await Promise.all(providers.map((provider) => provider.close()));
      await standIn.close();
    },
  };
}

/** A well-formed 64-hex-digit device token, distinct per `n`. */
export function deviceToken(n: number): string {
  return n.toString(16).padStart(8, '0').repeat(8);
}
