import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { SecretBox } from '@app/domain';

/**
 * The process's one SecretBox, keyed from ENCRYPTION_KEY. Building it here, and nowhere else, means a key
 * rotation (adding the next version in front and keeping retired ones to open old values) is a change to
 * this constructor only; the API and the worker both get it by injecting `AppSecretBox`.
 */
@Injectable()
export class AppSecretBox extends SecretBox {
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    super([{ version: 1, key: config.encryptionKey }]);
  }
}
