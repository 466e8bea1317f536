import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** PEM private key. */
  key: string;
  /** PEM certificate. */
  cert: string;
}

/**
 * Certificates made at run time with the `openssl` CLI (P-256 keys, valid for a day), in a temporary
 * directory: a CA of its own that issues certificates for given DNS names, and self-signed ones. Nothing is
 * checked in, so no test key outlives its run.
 */

/** `openssl req` arguments for a new unencrypted P-256 key, the same for the CA and every certificate. */
const NEW_P256_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export class TestPki {
  /** The CA certificate as a file, e.g. for DELIVERY_TEST_CA_FILE. */
  readonly caFile: string;
  private serial = 0;

  private constructor(
    private readonly dir: string,
    readonly name: string,
  ) {
    this.caFile = join(dir, 'ca.pem');
    openssl(dir, [
      'req',
      '-x509',
      ...NEW_P256_KEY,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
    ]);
  }

  /** A new CA; `close()` removes its files. */
  static create(name = 'Hookrelay test CA'): TestPki {
    return new TestPki(mkdtempSync(join(tmpdir(), 'hookrelay-pki-')), name);
  }

  /** The CA certificate (PEM). */
  get ca(): string {
    return readFileSync(this.caFile, 'utf8');
  }

  /** A certificate for these DNS names (all of them in subjectAltName), signed by this CA. */
  issue(...names: string[]): TestCertificate {
    const base = `leaf-${++this.serial}`;
    writeFileSync(
      join(this.dir, `${base}.ext`),
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`,
    );
    openssl(this.dir, [
      'req',
      '-new',
      ...NEW_P256_KEY,
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.csr`,
      '-subj',
      `/CN=${names[0]}`,
    ]);
    openssl(this.dir, [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(1000 + this.serial),
      '-days',
      '1',
      '-extfile',
      `${base}.ext`,
      '-out',
      `${base}.pem`,
    ]);
    return this.read(base);
  }

  /** A certificate for these DNS names that signs itself (no CA vouches for it). */
  selfSigned(...names: string[]): TestCertificate {
    const base = `self-${++this.serial}`;
    openssl(this.dir, [
      'req',
      '-x509',
      ...NEW_P256_KEY,
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.pem`,
      '-days',
      '1',
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ]);
    return this.read(base);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private read(base: string): TestCertificate {
    return {
      key: readFileSync(join(this.dir, `${base}.key`), 'utf8'),
      cert: readFileSync(join(this.dir, `${base}.pem`), 'utf8'),
    };
  }
}

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}
