// Headless Chromium for the staff pages' tests.
//
//   const b = await Browser.launch({ secureOrigins: ['http://127.0.0.2:5000'] });
//   const page = await b.newPage();
//   const auth = await b.virtualAuthenticator(page);  // CTAP2, internal, UV
//   ... page.goto(url) ... await auth.credentials() ... await auth.setSignCount(id, 0)
//   await b.close();
//
// Debian's chromium (/usr/bin/chromium, or PIPIT_CHROMIUM) is driven through
// npm playwright-core, which brings no browser of its own.  WebAuthn is
// exercised for real: a DevTools Protocol virtual authenticator holds the
// keys, Chromium makes clientDataJSON with the page's true origin and signs
// over it, exactly as a hardware key would.  Chromium runs as root here, so
// --no-sandbox.  WebAuthn and `Secure` cookies need a secure context:
// http://localhost is one; any other origin the test serves (a look-alike on
// another loopback address) is named in `secureOrigins`.

import fs from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM_BIN = process.env.PIPIT_CHROMIUM || '/usr/bin/chromium';

export class Browser {
  static async launch({ secureOrigins = [], args = [] } = {}) {
    if (!fs.existsSync(CHROMIUM_BIN)) {
      throw new Error(`Chromium not found at ${CHROMIUM_BIN}; install Debian's chromium (make deps) or set PIPIT_CHROMIUM`);
    }
    const flags = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', ...args];
    if (secureOrigins.length) flags.push(`--unsafely-treat-insecure-origin-as-secure=${secureOrigins.join(',')}`);
    const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: flags });
    return new Browser(browser);
  }

  constructor(browser) {
    this.browser = browser;
    this.contexts = [];
  }

  // A page in a fresh context (its own cookies).  Console errors, page
  // errors and answers of 400 or more are kept in page.problems for the
  // test to look at.
  async newPage() {
    const context = await this.browser.newContext();
    this.contexts.push(context);
    const page = await context.newPage();
    page.problems = [];
    page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
    // A refused request is kept with its address (the console's line has
    // none); the favicon Chromium asks for on its own is not the page's.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    return page;
  }

  // Adds a virtual authenticator to `page`'s target: CTAP2 over the
  // "internal" transport (a platform authenticator), resident keys, user
  // verification that always succeeds, presence given automatically.
  async virtualAuthenticator(page) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        ctap2Version: 'ctap2_1',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return new VirtualAuthenticator(cdp, authenticatorId);
  }

  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
    await this.browser.close();
  }
}

// One virtual authenticator.  Credentials are as the protocol gives them:
// { credentialId (base64), isResidentCredential, rpId, privateKey (PKCS#8,
// base64), userHandle, signCount }.
export class VirtualAuthenticator {
  constructor(cdp, id) {
    this.cdp = cdp;
    this.id = id;
  }

  async credentials() {
    const { credentials } = await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: this.id });
    return credentials;
  }

  // Adds (or, with the same credentialId, replaces) a credential.
  async addCredential(credential) {
    await this.cdp.send('WebAuthn.addCredential', { authenticatorId: this.id, credential });
  }

  async removeCredential(credentialId) {
    await this.cdp.send('WebAuthn.removeCredential', { authenticatorId: this.id, credentialId });
  }

  // Rewrites credential `credentialId`'s counter: the next assertion
  // carries count + 1 (a cloned key going backwards when `count` is below
  // what the relying party saw).
  async setSignCount(credentialId, count) {
    const cred = (await this.credentials()).find((c) => c.credentialId === credentialId);
    if (!cred) throw new Error(`no credential ${credentialId} on the virtual authenticator`);
    await this.removeCredential(credentialId);
    await this.addCredential({ ...cred, signCount: count });
  }

  // Copies `credential` (same key) to this authenticator under another
  // relying party ID: what an authenticator that ignored RP binding would
  // hold.
  // Credential ids are unique on an authenticator: this replaces the
  // original until it is added back (addCredential(credential)).
  async cloneForRp(credential, rpId) {
    await this.removeCredential(credential.credentialId);
    await this.addCredential({ ...credential, rpId });
  }
}

// base64 (the protocol's) to base64url (WebAuthn JSON's), unpadded.
export function b64ToB64url(s) {
  return s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
