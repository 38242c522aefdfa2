import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals secrets at rest (private keys) with AES-256-GCM under the server's 32-byte secret key.
 * Sealed layout: version byte 0x01 | 12-byte nonce | 16-byte tag | ciphertext. `context` (e.g. the
 * tenant id and secret kind) is bound as associated data, so a sealed value copied to another row or
 * tenant fails to open.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key.');
    this.#key = key;
  }

  seal(plaintext: Uint8Array, context: string): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([1]), nonce, cipher.getAuthTag(), body]);
  }

  /** Throws if the value was not sealed by this key for this context. */
  open(sealed: Uint8Array, context: string): Buffer {
    const data = Buffer.from(sealed);
    if (data.length < 29 || data[0] !== 1) throw new Error('Sealed secret has an unknown format.');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, data.subarray(1, 13));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(data.subarray(13, 29));
    return Buffer.concat([decipher.update(data.subarray(29)), decipher.final()]);
  }

  /** Never print the key. */
  toJSON(): string {
    return '[SecretBox]';
  }
}
