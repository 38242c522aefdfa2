/** SCIM 2.0 schema URNs (RFC 7643 §8.7, RFC 7644 §3). */
export const scimSchemas = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  /** Envelope's extension: the on-premises account attributes email profiles build usernames from. */
  envelopeUser: 'urn:ietf:params:scim:schemas:extension:envelope:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** Extension URNs a PATCH path or a body key may start with (longest first, so a prefix never wins). */
export const userExtensionUrns = [scimSchemas.enterpriseUser, scimSchemas.envelopeUser] as const;

/** Most resources one list page returns (`count` above it is lowered to it, as RFC 7644 §3.4.2.4 allows). */
export const scimMaxResults = 200;
