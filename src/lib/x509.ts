// @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs the Reflect metadata
// polyfill loaded first. Import x509 through this module, never directly.
import 'reflect-metadata';

export * from '@peculiar/x509';
