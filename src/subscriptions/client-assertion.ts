/**
 * Certificate credentials for Microsoft Entra: the client assertion an app signs with its certificate's private key
 * instead of sending a client secret (Microsoft identity platform, "Application authentication certificate
 * credentials", https://learn.microsoft.com/entra/identity-platform/certificate-credentials; OpenID Connect
 * `private_key_jwt`). Header: `alg` PS256, `typ` JWT, `x5t#S256` the base64url SHA-256 thumbprint of the
 * certificate's DER encoding (and `x5t`, the SHA-1 one earlier versions of the page name, which Entra still reads).
 * Claims: `aud` the token endpoint the assertion is posted to, `iss` and `sub` the client id, a GUID `jti`, `nbf` and
 * `iat` now, `exp` a few minutes later (the page: "5-10 minutes after nbf at most").
 */

import { createHash, createPrivateKey, type KeyObject, randomUUID, X509Certificate } from 'node:crypto'
import { AppError } from '../core/errors.ts'

/** The form parameter naming the assertion's type (RFC 7523). */
export const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** What Leadrelay shows of a certificate: never the private key. */
export interface CertificateSummary {
  /** SHA-1 thumbprint in upper-case hex, as the Entra admin center lists the app's certificates. */
  readonly thumbprint: string
  readonly subject: string
  readonly notAfter: number
}

export interface CertificateCredential {
  readonly certificatePem: string
  readonly privateKeyPem: string
}

function thumbprintOf(certificate: X509Certificate, algorithm: 'sha1' | 'sha256'): Buffer {
  return createHash(algorithm).update(certificate.raw).digest()
}

export function summarizeCertificate(certificatePem: string): CertificateSummary {
  const certificate = new X509Certificate(certificatePem)
  return {
    thumbprint: thumbprintOf(certificate, 'sha1').toString('hex').toUpperCase(),
    subject: certificate.subject.replaceAll('\n', ', '),
    notAfter: Date.parse(certificate.validTo),
  }
}

/**
 * Checks a certificate and private key before they are stored: both readable PEM, an RSA key (PS256 needs one), the
 * key the certificate's, the certificate not expired. Errors name the field at fault.
 */
export function checkCertificateCredential(credential: CertificateCredential, now: number): CertificateSummary {
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(credential.certificatePem)
  } catch {
    throw new AppError('VALIDATION_FAILED', 'certificate must be an X.509 certificate in PEM form', {
      field: 'certificate.certificatePem',
    })
  }
  let key: KeyObject
  try {
    key = createPrivateKey(credential.privateKeyPem)
  } catch {
    throw new AppError('VALIDATION_FAILED', 'the private key must be an unencrypted PEM private key', {
      field: 'certificate.privateKeyPem',
    })
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new AppError('VALIDATION_FAILED', 'Microsoft Entra client assertions need an RSA key', {
      field: 'certificate.privateKeyPem',
    })
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new AppError('VALIDATION_FAILED', 'the private key does not belong to the certificate', {
      field: 'certificate.privateKeyPem',
    })
  }
  const summary = summarizeCertificate(credential.certificatePem)
  if (summary.notAfter <= now) {
    throw new AppError('VALIDATION_FAILED', `the certificate expired on ${new Date(summary.notAfter).toISOString()}`, {
      field: 'certificate.certificatePem',
    })
  }
  return summary
}

/** A signed client assertion for `clientId`, to be posted to `tokenEndpoint`. */
export async function createClientAssertion(
  credential: CertificateCredential,
  options: { readonly clientId: string; readonly tokenEndpoint: string; readonly now: number },
): Promise<string> {
  const certificate = new X509Certificate(credential.certificatePem)
  const seconds = Math.floor(options.now / 1000)
  // jose loads with the first assertion: most installations never sign one.
  const { SignJWT } = await import('jose')
  return new SignJWT({})
    .setProtectedHeader({
      alg: 'PS256',
      typ: 'JWT',
      'x5t#S256': thumbprintOf(certificate, 'sha256').toString('base64url'),
      x5t: thumbprintOf(certificate, 'sha1').toString('base64url'),
    })
    .setAudience(options.tokenEndpoint)
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setJti(randomUUID())
    .setNotBefore(seconds)
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + 5 * 60)
    .sign(createPrivateKey(credential.privateKeyPem))
}
