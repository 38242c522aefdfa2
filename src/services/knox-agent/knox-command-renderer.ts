import { notFound, unprocessable } from '../../domain/errors.ts';
import { isEmailProfileType, platformFamilyOf, settingsOf } from '../../domain/profiles/index.ts';
import type { KnoxEmailProfileSettings } from '../../payloads/android/android-profile-input.ts';
import { renderKnoxAccount } from '../../payloads/android/render-knox-account.ts';
import type { KnoxCommand } from '../../protocols/knox-agent/agent-messages.ts';
import { knoxCommandTypeOf } from '../../protocols/knox-agent/event-mapping.ts';
import type { Stores } from '../../store/postgres/stores.ts';
import type { DeliveryCommand } from '../delivery/delivery-service.ts';

/**
 * Renders delivery commands for the Knox agent at the moment it fetches them (delivery renders
 * nothing up front, decision 0011), from the profile as it is now:
 * - email (`androidEasEmailProfileConfiguration`): the `envelope.knox.exchangeAccount/1` envelope of
 *   `renderKnoxAccount` under the ledger's account id as `accountKey`; a replace also names the
 *   account to delete first; a removal names only the account key;
 * - `androidTrustedRootCertificate`: the certificate under the profile id as alias.
 * Other Knox types (SCEP, PKCS identities) are not delivered by this agent yet: 422
 * `NotSupportedByKnoxAgent`. Throws a 404 EnvelopeError when the profile or user is gone and the 422s
 * of the compiler; the caller records those as the command's failure.
 */
export class KnoxCommandRenderer {
  readonly #stores: Pick<Stores, 'profiles' | 'users'>;

  constructor(deps: { stores: Pick<Stores, 'profiles' | 'users'> }) {
    this.#stores = deps.stores;
  }

  async render(tenantId: string, command: DeliveryCommand): Promise<KnoxCommand> {
    if (platformFamilyOf(command.odataType) !== 'knox') throw unprocessable('NotKnoxProfile', `'${command.odataType}' is not a Samsung Knox profile type.`);
    const isAccount = isEmailProfileType(command.odataType);
    if (!isAccount && command.odataType !== 'androidTrustedRootCertificate') {
      throw unprocessable('NotSupportedByKnoxAgent', `The Knox agent does not install '${command.odataType}' profiles yet; only email profiles and trusted roots.`);
    }
    const base = { commandId: command.commandId, type: knoxCommandTypeOf(isAccount, command.kind), profileId: command.profileId, profileVersion: command.version };
    if (!isAccount) {
      if (command.kind === 'remove') return { ...base, certificateAlias: command.profileId };
      const profile = await this.#stores.profiles.get(tenantId, command.profileId);
      if (!profile) throw notFound('Device configuration', command.profileId);
      const settings = settingsOf(profile, 'androidTrustedRootCertificate');
      return { ...base, certificate: { alias: command.profileId, certificate: settings.trustedRootCertificate } };
    }
    const accountKey = command.target.accountId;
    if (accountKey === null) throw unprocessable('NoAccountId', 'The Knox email command carries no account key.');
    if (command.kind === 'remove') return { ...base, accountKey };
    const profile = await this.#stores.profiles.get(tenantId, command.profileId);
    if (!profile) throw notFound('Device configuration', command.profileId);
    const userId = command.target.userId;
    const user = userId === null ? null : await this.#stores.users.get(tenantId, userId);
    if (!user) throw notFound('User', String(userId));
    const exchangeAccount = renderKnoxAccount(profile.settings as unknown as KnoxEmailProfileSettings, user, { accountKey });
    const previousAccountKey = command.kind === 'replace' ? command.previous?.accountId ?? null : null;
    return { ...base, exchangeAccount, ...(previousAccountKey === null ? {} : { previousAccountKey }) };
  }
}
