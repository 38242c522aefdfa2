import { createPrivateKey } from 'node:crypto';

/**
 * The parts of a Google service-account key file (the JSON the Firebase console's "Generate new
 * private key" downloads) an FCM sender needs.
 * Google: https://firebase.google.com/docs/cloud-messaging/auth-server ("Provide credentials manually")
 */
export interface FcmServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKeyId: string | null;
  /** PKCS#8 PEM. */
  privateKey: string;
}

/** Why a service-account file was refused, naming the JSON field. */
export class ServiceAccountError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'ServiceAccountError';
    this.field = field;
  }
}

const projectIdPattern = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/**
 * Reads a service-account key file (its text). Throws ServiceAccountError naming the field when it
 * is not JSON, not `type: service_account`, lacks `project_id` (a Google project id), `client_email`
 * or a `private_key` that is an RSA private key in PEM.
 */
export function parseServiceAccount(text: string): FcmServiceAccount {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ServiceAccountError('serviceAccount', 'serviceAccount is not JSON: paste the whole key file the Firebase console downloaded.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ServiceAccountError('serviceAccount', 'serviceAccount must be the key file\'s JSON object.');
  const file = json as Record<string, unknown>;
  if (file.type !== 'service_account') throw new ServiceAccountError('serviceAccount.type', 'serviceAccount.type must be "service_account" (a service-account key file, not an OAuth client file).');
  const projectId = file.project_id;
  if (typeof projectId !== 'string' || !projectIdPattern.test(projectId)) throw new ServiceAccountError('serviceAccount.project_id', 'serviceAccount.project_id must be the Firebase project id, e.g. contoso-envelope.');
  const clientEmail = file.client_email;
  if (typeof clientEmail !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(clientEmail) || clientEmail.length > 320) {
    throw new ServiceAccountError('serviceAccount.client_email', 'serviceAccount.client_email must be the service account\'s email address.');
  }
  const privateKey = file.private_key;
  if (typeof privateKey !== 'string') throw new ServiceAccountError('serviceAccount.private_key', 'serviceAccount.private_key is missing.');
  try {
    const key = createPrivateKey(privateKey);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw new ServiceAccountError('serviceAccount.private_key', 'serviceAccount.private_key must be the key file\'s RSA private key (-----BEGIN PRIVATE KEY-----…).');
  }
  const privateKeyId = typeof file.private_key_id === 'string' && /^[A-Za-z0-9]{1,64}$/.test(file.private_key_id) ? file.private_key_id : null;
  return { projectId, clientEmail, privateKeyId, privateKey };
}
