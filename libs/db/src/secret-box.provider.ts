import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { SecretBox } from '@app/domain';

/**
 * The process's one SecretBox, keyed from ENCRYPTION_KEY (sealing, as ENCRYPTION_KEY_VERSION) and
 * ENCRYPTION_KEY_PREVIOUS (opening what older keys sealed). Callers seal and open with the value's owner:
 * `box.seal(plain, SealContext.endpointSecret(tenantId, endpointId))`. The API and the worker both get it by
 * injecting `AppSecretBox`; SecretResealService moves what older keys sealed to the current one.
 */
@Injectable()
export class AppSecretBox extends SecretBox {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super(config.encryptionKeys);
  }
}
