import type { Db } from '../store/db.ts';
import { createStores, createTransactor } from '../store/postgres/stores.ts';
import { EnrollmentTokenService } from '../services/enrollment/enrollment-token-service.ts';
import { PushCertificateService } from '../services/enrollment/push-certificate-service.ts';
import { SecretBox } from '../services/secrets/secret-box.ts';
import { randomUUID } from 'node:crypto';

/** The enrollment services the CLI's commands use: the server's own while it runs, or these on a database the CLI opened. */
export interface EnrollmentServices {
  enrollmentTokens: EnrollmentTokenService;
  pushCertificates: PushCertificateService;
}

/**
 * The enrollment services on a database this process opened, configured as the server would be:
 * enrollment links on ENVELOPE_PUBLIC_URL, push keys sealed with the server's secret key (the CLI
 * must see the same ENVELOPE_SECRET_KEY or data directory as the server, or the server cannot open them).
 */
export function enrollmentServicesOn(db: Db, options: { publicUrl: string | null; secretKey: Buffer }): EnrollmentServices {
  const stores = createStores(db);
  return {
    enrollmentTokens: new EnrollmentTokenService({ enrollmentTokens: stores.enrollmentTokens, publicUrl: options.publicUrl, newId: randomUUID }),
    pushCertificates: new PushCertificateService({ stores, transact: createTransactor(db), box: new SecretBox(options.secretKey) }),
  };
}
