import { scimMaxResults, scimSchemas } from './scim-schemas.ts';

/**
 * The discovery resources (RFC 7644 §4, RFC 7643 §5–7): what Envelope's SCIM endpoint supports, for
 * clients that read them (Okta's and Entra ID's validators do). `base` is the `…/scim/v2` URL.
 */
export function serviceProviderConfig(base: string): Record<string, unknown> {
  return {
    schemas: [scimSchemas.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: scimMaxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{
      type: 'oauthbearertoken',
      name: 'Bearer token',
      description: "A tenant token with the scim role: envelope token create --tenant NAME --role scim",
      primary: true,
    }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string): Record<string, unknown>[] {
  return [
    {
      schemas: [scimSchemas.resourceType],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'Directory users (email profiles take their usernames and addresses from them)',
      schema: scimSchemas.user,
      schemaExtensions: [
        { schema: scimSchemas.enterpriseUser, required: false },
        { schema: scimSchemas.envelopeUser, required: false },
      ],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [scimSchemas.resourceType],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Groups of users (profiles are assigned to groups)',
      schema: scimSchemas.group,
      schemaExtensions: [],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

interface Attribute {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference';
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'default' | 'never';
  uniqueness?: 'none' | 'server';
  description: string;
  subAttributes?: Attribute[];
  referenceTypes?: string[];
}

function attribute(a: Attribute): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    description: a.description,
    required: a.required ?? false,
    caseExact: a.caseExact ?? false,
    mutability: a.mutability ?? 'readWrite',
    returned: a.returned ?? 'default',
    uniqueness: a.uniqueness ?? 'none',
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attribute) } : {}),
  };
}

const string = (name: string, description: string, extra: Partial<Attribute> = {}): Attribute => ({ name, type: 'string', description, ...extra });

export function scimSchemaDefinitions(base: string): Record<string, unknown>[] {
  const schema = (id: string, name: string, description: string, attributes: Attribute[]) => ({
    schemas: [scimSchemas.schema],
    id,
    name,
    description,
    attributes: attributes.map(attribute),
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${id}` },
  });
  return [
    schema(scimSchemas.user, 'User', 'User account', [
      string('userName', "The user's UPN (user@domain); unique in the tenant", { required: true, uniqueness: 'server' }),
      { name: 'name', type: 'complex', description: "The user's name", subAttributes: [
        string('givenName', 'Given name'), string('familyName', 'Family name'), string('formatted', 'Full name', { mutability: 'readOnly' }),
      ] },
      string('displayName', 'Display name'),
      { name: 'emails', type: 'complex', multiValued: true, description: 'The primary (else work) email becomes the user\'s mail', subAttributes: [
        string('value', 'Email address'), string('type', 'work, home, other'), { name: 'primary', type: 'boolean', description: 'The primary address' },
      ] },
      { name: 'active', type: 'boolean', description: 'False: the account is disabled (its devices keep their profiles)' },
      string('externalId', "The client's id for the user", { caseExact: true }),
    ]),
    schema(scimSchemas.group, 'Group', 'Group', [
      string('displayName', 'Group name; unique in the tenant', { required: true, uniqueness: 'server' }),
      { name: 'members', type: 'complex', multiValued: true, description: 'Users in the group (device members are managed in Envelope)', subAttributes: [
        string('value', 'User id', { mutability: 'immutable' }),
        { name: '$ref', type: 'reference', referenceTypes: ['User'], mutability: 'immutable', description: 'User URL' },
        string('type', 'User', { mutability: 'immutable' }),
      ] },
      string('externalId', "The client's id for the group", { caseExact: true }),
    ]),
    schema(scimSchemas.enterpriseUser, 'EnterpriseUser', 'Enterprise user (kept as sent, not used by profiles)', [
      string('employeeNumber', 'Employee number'), string('costCenter', 'Cost center'), string('organization', 'Organization'),
      string('division', 'Division'), string('department', 'Department'),
      { name: 'manager', type: 'complex', description: 'Manager', subAttributes: [string('value', 'Manager id')] },
    ]),
    schema(scimSchemas.envelopeUser, 'EnvelopeUser', 'On-premises account attributes email profiles build usernames from', [
      string('samAccountName', 'sAMAccountName (onPremisesSamAccountName), up to 64 characters'),
      string('domainName', 'DNS domain (onPremisesDomainName), e.g. contoso.com'),
      string('netBiosName', 'NetBIOS domain (onPremisesNetBiosName), e.g. CONTOSO, up to 15 characters'),
    ]),
  ];
}
