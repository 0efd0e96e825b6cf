// Browser test of the registry UI: the real `registry-server` binary on a loopback port, driven in the system's
// headless Chromium by playwright-core, run by node's built-in test runner (`node --test browser.test.mjs`).
//
// Environment: REGISTRY_SERVER_BIN and DEMO_REQUEST_BIN (default: the debug builds under target/), CHROMIUM_BIN
// (default /usr/bin/chromium), UI_SCREENSHOT_DIR (default target/ui-screenshots). scripts/ui-test.sh builds the
// binaries and installs the npm dependency first.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const serverBin = process.env.REGISTRY_SERVER_BIN || path.join(root, 'target/debug/registry-server');
const demoRequestBin = process.env.DEMO_REQUEST_BIN || path.join(root, 'target/debug/examples/demo_request');
const chromiumBin = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const shots = process.env.UI_SCREENSHOT_DIR || path.join(root, 'target/ui-screenshots');
const token = `ui-test-token-${process.pid}-0123456789abcdef0123456789`;

const SECOND_ID = 'browser-ledger';
const SECOND_VERSION = '1.2.0';
const HOSTILE_ID = 'browser-hostile';

let server;
let serverLog = '';
let base;
let workDir;
let context;
const consoleErrors = [];
const foreignRequests = [];
const dialogs = [];
// Documents the test asks for expecting a 404: Chromium logs "Failed to load resource" for them, which is no fault.
const expectedMissing = new Set();

/** A free loopback port: bind port 0, read it, release it. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  let lastError;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`registry-server exited with ${server.exitCode}:\n${serverLog}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
      lastError = new Error(`status ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`registry not healthy at ${url}: ${lastError}\n${serverLog}`);
}

function demoRequest(id, version) {
  return JSON.parse(execFileSync(demoRequestBin, [id, version], { encoding: 'utf8' }));
}

async function publish(request) {
  const response = await fetch(`${base}/registry-api/v1/publications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  const body = await response.json();
  assert.equal(response.status, 201, `publish ${request.package_id}: ${JSON.stringify(body)}`);
  return body;
}

before(async () => {
  for (const [what, file] of [['registry-server', serverBin], ['demo_request', demoRequestBin], ['chromium', chromiumBin]]) {
    assert.ok(existsSync(file), `${what} not found at ${file} (run scripts/ui-test.sh)`);
  }
  mkdirSync(shots, { recursive: true });
  workDir = mkdtempSync(path.join(tmpdir(), 'anip-ui-test-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(
    serverBin,
    ['--addr', `127.0.0.1:${port}`, '--data-dir', path.join(workDir, 'data'), '--seed-demo',
      '--publish-token', token, '--log-format', 'text'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } },
  );
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  await waitHealthy(`${base}/registry-api/v1/healthz`, 30_000);

  const second = demoRequest(SECOND_ID, SECOND_VERSION);
  second.readme = '# Browser ledger\n\nA ledger service published by the browser test.\n\n- one\n- two\n';
  second.source_links = [{ title: 'Repository', url: 'https://example.com/acme/browser-ledger' }];
  await publish(second);

  // Hostile text: nothing of it may run, load or call another host.
  const hostile = demoRequest(HOSTILE_ID, '0.0.1');
  hostile.readme = '# <script>alert(1)</script>\n\n<img src="https://tracker.example/x.png" onerror="alert(2)">\n\n'
    + '![pixel](https://tracker.example/p.png) [x](javascript:alert(3))\n\n<iframe src="https://evil.example"></iframe>\n';
  hostile.source_links = [{ title: '"><script>alert(4)</script>', url: 'https://example.com/?q="><script>alert(5)</script>' }];
  hostile.manifest.name = '"><img src=x onerror=alert(6)>';
  await publish(hostile);

  context = await chromium.launchPersistentContext(path.join(workDir, 'profile'), {
    executablePath: chromiumBin,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.hostname !== '127.0.0.1') foreignRequests.push(request.url());
  });
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
});

function watch(page) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const at = message.location().url || page.url();
    if (expectedMissing.has(at) && /status of 404/.test(message.text())) return;
    consoleErrors.push(`${at}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error}`));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
}

after(async () => {
  if (context) await context.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => { server.kill('SIGKILL'); resolve(); }, 5_000);
      server.on('exit', () => { clearTimeout(timer); resolve(); });
    });
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function newPage() {
  const page = await context.newPage();
  return page;
}

test('the package list, search, a package page and its lock', { timeout: 120_000 }, async () => {
  const page = await newPage();
  const listResponse = await page.goto(`${base}/registry/packages`);
  assert.equal(listResponse.status(), 200);
  assert.match(await page.title(), /ANIP Registry/);
  assert.match(await page.locator('#count').innerText(), /3 packages · 3 versions/);
  assert.match(await page.locator('header.site').innerText(), /Packages[\s\S]*Templates[\s\S]*Keys/);
  assert.match(await page.locator('.banner-danger').first().innerText(), /public development key/);
  await page.screenshot({ path: path.join(shots, 'packages-desktop.png'), fullPage: true });

  // Search by capability: every package has the demo's capabilities, so all three match.
  await page.fill('#q', 'work_item.prepare_update');
  await Promise.all([page.waitForURL(/q=work_item\.prepare_update/), page.press('#q', 'Enter')]);
  assert.equal(await page.locator('li.card').count(), 3);
  // Search by id: one result, and it links to the latest version.
  await page.fill('#q', 'ledger');
  await Promise.all([page.waitForURL(/q=ledger/), page.click('form.search button')]);
  assert.equal(await page.locator('li.card').count(), 1);
  assert.match(await page.locator('#count').innerText(), /1 package · 1 version matching “ledger”/);

  await Promise.all([page.waitForURL(`**/registry/packages/${SECOND_ID}/${SECOND_VERSION}`),
    page.click(`li.card h2 a:text("${SECOND_ID}")`)]);
  assert.match(await page.title(), new RegExp(`${SECOND_ID}@${SECOND_VERSION} · ANIP Registry`));
  const record = await (await fetch(`${base}/registry-api/v1/packages/${SECOND_ID}/${SECOND_VERSION}`)).json();
  const digests = await page.locator('#digests').innerText();
  for (const field of ['definition_digest', 'manifest_digest', 'lock_digest', 'package_execution_signature']) {
    assert.ok(digests.includes(record[field]), `${field} ${record[field]} not shown`);
  }
  const receipt = await page.locator('#receipt').innerText();
  assert.match(receipt, /Receipt verifies/);
  assert.match(receipt, /verifies/);
  const command = await page.locator('pre.command').innerText();
  assert.equal(command.trim(),
    `registry resolve ${SECOND_ID}@${SECOND_VERSION} --registry-url ${base} --lock-file anip.lock.json --write-lock`);
  assert.match(await page.locator('#readme').innerText(), /A ledger service published by the browser test\./);
  assert.match(await page.locator('#capabilities').innerText(), /work_item\.search/);
  await page.screenshot({ path: path.join(shots, 'package-desktop.png'), fullPage: true });

  // The lock link: a JSON download with the lock schema.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#lock-link')]);
  assert.match(download.suggestedFilename(), /\.anip\.lock\.json$/);
  const lock = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(lock.lock_schema_version, 'anip-package-lock/v1');
  assert.equal(lock.package_id, SECOND_ID);
  await page.close();
});

test('the keys page warns about the development key', { timeout: 60_000 }, async () => {
  const page = await newPage();
  const response = await page.goto(`${base}/registry/keys`);
  assert.equal(response.status(), 200);
  assert.match(await page.title(), /Signing keys · ANIP Registry/);
  const warning = await page.locator('#dev-key-warning').innerText();
  assert.match(warning, /public development key/);
  const keys = await (await fetch(`${base}/registry-api/v1/keys`)).json();
  const text = await page.locator('main').innerText();
  assert.ok(text.includes(keys.items[0].public_key), 'the base64 key is shown');
  assert.ok(text.includes(keys.active_key_id));
  await page.screenshot({ path: path.join(shots, 'keys-desktop.png'), fullPage: true });
  await page.close();
});

test('hostile text is inert and nothing else is loaded', { timeout: 60_000 }, async () => {
  const page = await newPage();
  const response = await page.goto(`${base}/registry/packages/${HOSTILE_ID}/0.0.1`);
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('main script, main img, main iframe').count(), 0);
  const readme = await page.locator('#readme').innerText();
  assert.match(readme, /<script>alert\(1\)<\/script>/);
  assert.match(await page.locator('h1').innerText(), /"><img src=x onerror=alert\(6\)>/);
  await page.goto(`${base}/registry/packages?q=${encodeURIComponent('<img')}`);
  assert.equal(await page.locator('li.card').count(), 1);
  await page.close();
});

test('404 and the phone layout', { timeout: 60_000 }, async () => {
  const page = await newPage();
  const missingUrl = `${base}/registry/no-such-page`;
  expectedMissing.add(missingUrl);
  const missing = await page.goto(missingUrl);
  assert.equal(missing.status(), 404);
  assert.match(await page.title(), /ANIP Registry/);
  assert.match(await page.locator('main').innerText(), /Not found/);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/registry/packages`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the list is ${overflow}px wider than a phone`);
  await page.screenshot({ path: path.join(shots, 'packages-phone.png'), fullPage: true });
  await page.goto(`${base}/registry/packages/${SECOND_ID}/${SECOND_VERSION}`);
  const detailOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(detailOverflow <= 0, `the package page is ${detailOverflow}px wider than a phone`);
  await page.screenshot({ path: path.join(shots, 'package-phone.png'), fullPage: true });
  await page.close();
});

test('no console errors, no dialogs, no request to another host', () => {
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(foreignRequests, []);
});
