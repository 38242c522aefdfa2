import { definedOnly, PlistFields } from './plist-fields.ts';

/**
 * One installed profile in a `ProfileList` response.
 * https://developer.apple.com/documentation/devicemanagement/profilelistresponse/profilelistitem
 * Schema: apple/device-management `mdm/commands/profile.list.yaml`, `responsekeys`.
 */
export interface ProfileListItem {
  PayloadUUID: string;
  /** The top-level identifier: what `RemoveProfile` takes, and what a reinstall replaces. */
  PayloadIdentifier: string;
  PayloadVersion?: number;
  PayloadDisplayName?: string;
  PayloadOrganization?: string;
  PayloadDescription?: string;
  PayloadRemovalDisallowed?: boolean;
  HasRemovalPasscode?: boolean;
  IsEncrypted?: boolean;
  /** The signer's certificate, then intermediates, DER. */
  SignerCertificates?: Uint8Array[];
  /** True when this MDM service installed it (not reported on macOS or for supervised devices). */
  IsManaged?: boolean;
  /** iOS 18+: `Declarative Device Management` when DDM owns the profile. */
  Source?: string;
  /** Summaries of the inner payloads; absent when `IsEncrypted`. */
  PayloadContent?: ProfileListPayloadContentItem[];
}

/** https://developer.apple.com/documentation/devicemanagement/profilelistresponse/profilelistitem/payloadcontentitem */
export interface ProfileListPayloadContentItem {
  PayloadType: string;
  PayloadVersion: number;
  PayloadIdentifier: string;
  /** Sent from iOS 17 / macOS 14 on; Apple marks it required there, older systems omit it. */
  PayloadUUID?: string;
  PayloadDisplayName?: string;
  PayloadDescription?: string;
  PayloadOrganization?: string;
}

export function decodeProfileListItem(value: unknown, path: string): ProfileListItem {
  const fields = PlistFields.of(value, path);
  return {
    PayloadUUID: fields.string('PayloadUUID'),
    PayloadIdentifier: fields.string('PayloadIdentifier'),
    ...definedOnly({
      PayloadVersion: fields.optionalInteger('PayloadVersion'),
      ...fields.optionalStrings(['PayloadDisplayName', 'PayloadOrganization', 'PayloadDescription']),
      PayloadRemovalDisallowed: fields.optionalBoolean('PayloadRemovalDisallowed'),
      HasRemovalPasscode: fields.optionalBoolean('HasRemovalPasscode'),
      IsEncrypted: fields.optionalBoolean('IsEncrypted'),
      SignerCertificates: fields.optionalDataArray('SignerCertificates'),
      IsManaged: fields.optionalBoolean('IsManaged'),
      Source: fields.optionalString('Source'),
      PayloadContent: fields.optionalArrayOf('PayloadContent', decodePayloadContentItem),
    }),
  };
}

function decodePayloadContentItem(value: unknown, path: string): ProfileListPayloadContentItem {
  const fields = PlistFields.of(value, path);
  return {
    PayloadType: fields.string('PayloadType'),
    PayloadVersion: fields.integer('PayloadVersion'),
    PayloadIdentifier: fields.string('PayloadIdentifier'),
    ...fields.optionalStrings(['PayloadUUID', 'PayloadDisplayName', 'PayloadDescription', 'PayloadOrganization']),
  };
}

/** The item with Apple's keys only, in schema order, ready for `writePlistBody` (device side). */
export function profileListItemForWire(item: ProfileListItem): ProfileListItem {
  const { PayloadUUID, PayloadIdentifier, PayloadVersion, PayloadDisplayName, PayloadOrganization, PayloadDescription, PayloadRemovalDisallowed, HasRemovalPasscode, IsEncrypted, SignerCertificates, IsManaged, Source, PayloadContent } = item;
  return {
    PayloadUUID,
    PayloadIdentifier,
    ...definedOnly({ PayloadVersion, PayloadDisplayName, PayloadOrganization, PayloadDescription, PayloadRemovalDisallowed, HasRemovalPasscode, IsEncrypted, SignerCertificates, IsManaged, Source }),
    ...definedOnly({
      PayloadContent: PayloadContent?.map(({ PayloadType, PayloadVersion, PayloadIdentifier, PayloadUUID, PayloadDisplayName, PayloadDescription, PayloadOrganization }) => ({
        PayloadType,
        PayloadVersion,
        PayloadIdentifier,
        ...definedOnly({ PayloadUUID, PayloadDisplayName, PayloadDescription, PayloadOrganization }),
      })),
    }),
  };
}
