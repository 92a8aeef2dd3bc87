// The console in a real browser: Debian's chromium driven by playwright-core, against the real programs of a build
// (voucher-gate, voucher-gated, voucher-gate-web, vg-lane-clips) in a temporary site. It does a committee clerk's
// and a guard's work as they would:
//   1. log in as committee; register a household; issue its month's vouchers; print its cards (PDF);
//   2. download a voucher as the image a child keeps on a phone; the lane's camera is then shown exactly that code
//      (read back from the downloaded PNG) on a car, from a folder camera, and the real daemon admits the car;
//   3. the car appears in 在场车辆; its decision is in 通行记录 with the frame that decided and the plate crop;
//   4. the month's report: the print view (saved as a PDF), the CSV (UTF-8 with BOM, Chinese headers) and the .xlsx;
//   5. a guard on a phone-sized screen sees the lane's live state on 道闸.
// Screenshots, the card PDF, the printed report and the downloads are kept in --out (the test's artefacts).
//
//   node console_test.mjs --build BUILD_DIR --out ARTEFACT_DIR [--chromium /usr/bin/chromium] [--keep]
// Exit 0 when every step passed; 1 naming the step that failed (with a screenshot failure-*.png and the logs).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const args = new Map();
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === '--keep') args.set('keep', true);
  else if (a.startsWith('--')) args.set(a.slice(2), process.argv[++i]);
}
const build = path.resolve(args.get('build') ?? 'build/default');
const out = path.resolve(args.get('out') ?? path.join(build, 'test-artifacts', 'browser'));
const chromiumPath = args.get('chromium') ?? '/usr/bin/chromium';
const bins = {
  cli: path.join(build, 'cli', 'voucher-gate'),
  daemon: path.join(build, 'daemon', 'voucher-gated'),
  web: path.join(build, 'web', 'voucher-gate-web'),
  clips: path.join(build, 'daemon', 'vg-lane-clips'),
};

let playwright;
try {
  playwright = await import('playwright-core');
} catch {
  console.error('console_test: playwright-core is not installed; run ./bootstrap.sh deps (npm ci in tests/web/browser)');
  process.exit(1);
}
for (const [what, file] of Object.entries({ ...bins, chromium: chromiumPath })) {
  if (!fs.existsSync(file)) {
    console.error(`console_test: ${what} not found at ${file} (build the project; chromium comes from ./bootstrap.sh deps)`);
    process.exit(1);
  }
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const site = fs.mkdtempSync(path.join(os.tmpdir(), 'vg-browser-'));
const children = [];
let step = 'start';

function log(...words) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${words.join(' ')}`);
}

// A free loopback port: bound, read, released.
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function cli(argv, input) {
  const r = spawnSync(bins.cli, ['--config', config, ...argv], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`voucher-gate ${argv.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function start(name, file, argv) {
  const logFile = path.join(site, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(file, argv, { stdio: ['ignore', fd, fd] });
  children.push({ name, child, logFile });
  return child;
}

async function waitFor(what, test, seconds) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    if (await test()) return;
    if (Date.now() > until) throw new Error(`waited ${seconds} s for ${what}`);
    await delay(250);
  }
}

function expect(ok, what) {
  if (!ok) throw new Error(what);
}

const webPort = await freePort();
const healthPort = await freePort();
const base = `http://127.0.0.1:${webPort}`;
const config = path.join(site, 'voucher-gate.toml');
const clip = path.join(site, 'clip-entry-1');
fs.mkdirSync(clip);
fs.writeFileSync(
  config,
  `[site]
name = "幸福里小区"
phone = "021-55550101"
[vouchers]
per_month = 2
key_file = "${site}/voucher.keys"
[stay]
max = "4h"
overstay_fee_per_hour = 5
[database]
path = "${site}/ledger.db"
spool_path = "${site}/spool.jsonl"
busy_timeout = "500ms"
[audit]
key_file = "${site}/audit.key"
[http]
listen = "127.0.0.1:${healthPort}"
[control]
socket = "${site}/control.sock"
[web]
listen = "127.0.0.1:${webPort}"
[lanes]
repeat_window = "2s"
plate_timeout = "6s"
pair_window = "10s"
[[lane]]
name = "entry-1"
direction = "entry"
plate_camera = "${clip}"
camera_fps = 10
[lane.relay]
driver = "sim"
file = "${site}/relay-entry-1.jsonl"
`,
);

const unit = '3-502';
const plate = '沪A12345';
let browser;
let page;
try {
  step = 'set up the site (voucher-gate init, accounts)';
  cli(['init']);
  cli(['user', 'add', 'clerk', '--role', 'committee', '--password-stdin'], 'clerk-password-1\n');
  cli(['user', 'add', 'guard', '--role', 'guard', '--password-stdin'], 'guard-password-1\n');
  start('web', bins.web, ['--config', config]);
  await waitFor('the console to listen', async () => {
    try {
      return (await fetch(`${base}/`)).status === 200;
    } catch {
      return false;
    }
  }, 30);

  browser = await playwright.chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const clerk = await browser.newContext({ acceptDownloads: true, locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  page = await clerk.newPage();
  const shot = (name) => page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });

  step = '1. log in as committee';
  await page.goto(`${base}/`);
  expect((await page.title()).length > 0, 'the login page has no title');
  await shot('01-login');
  await page.fill('input[name=username]', 'clerk');
  await page.fill('input[name=password]', 'clerk-password-1');
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("登录")')]);
  expect(await page.locator('text=clerk').first().isVisible(), 'after login the header does not name the account');

  step = '1. register a household';
  await page.click('nav >> text=住户与停车券');
  await page.fill('input[name=unit]', unit);
  await page.selectOption('select[name=category]', { index: 0 });
  await page.fill('input[name=contact]', '王阿姨');
  await page.fill('input[name=phone]', '13800001234');
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("登记")')]);
  const row = page.locator('tr', { hasText: unit });
  await row.waitFor();
  expect(await row.locator('text=王阿姨').count() === 1, 'the new household is not listed with its contact');

  step = '1. issue the month\'s vouchers';
  await Promise.all([page.waitForLoadState(), row.locator('button:has-text("发放本月券")').click()]);
  await page.locator('tr', { hasText: unit }).locator('a:has-text("图片")').first().waitFor();
  expect(await page.locator('tr', { hasText: unit }).locator('a:has-text("图片")').count() === 2,
    'the household does not show its 2 vouchers');
  expect(await page.locator('tr', { hasText: unit }).locator('button:has-text("发放本月券")').isDisabled(),
    'issuing is still offered after the month\'s vouchers were issued');
  await shot('02-households-issued');

  step = '1. print the household\'s cards (PDF)';
  const cardsHref = await page.locator('tr', { hasText: unit }).locator('a:has-text("打印卡片")').getAttribute('href');
  const cards = await clerk.request.get(`${base}${cardsHref}`);
  expect(cards.status() === 200, `cards.pdf answered ${cards.status()}`);
  const pdf = await cards.body();
  expect(pdf.subarray(0, 5).toString() === '%PDF-', 'cards.pdf is not a PDF');
  fs.writeFileSync(path.join(out, '03-cards.pdf'), pdf);

  step = '2. download a voucher as an image for a phone';
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('tr', { hasText: unit }).locator('a:has-text("图片")').first().click(),
  ]);
  expect(/\.png$/.test(download.suggestedFilename()), `the voucher image is named ${download.suggestedFilename()}`);
  const voucherPng = path.join(out, '04-voucher.png');
  await download.saveAs(voucherPng);
  const scan = JSON.parse(spawnSync(bins.cli, ['--json', 'scan', voucherPng], { encoding: 'utf8' }).stdout);
  expect(scan.qr.length === 1, `the voucher image holds ${scan.qr.length} QR codes`);
  const token = scan.qr[0].text;
  expect(cli(['verify', token]).length > 0, 'verify said nothing');

  step = '2. the daemon admits the car from a folder camera';
  fs.writeFileSync(path.join(site, 'scenes.txt'), `frames=5\nframes=30 plate=${plate} card=${token}\nframes=5\n`);
  const clips = spawnSync(bins.clips, [clip, path.join(site, 'scenes.txt')], { encoding: 'utf8' });
  expect(clips.status === 0, `vg-lane-clips failed: ${clips.stderr}`);
  start('daemon', bins.daemon, ['--config', config]);
  const relayFile = path.join(site, 'relay-entry-1.jsonl');
  await waitFor('the relay to pulse', () => fs.existsSync(relayFile) && /"pulse"/.test(fs.readFileSync(relayFile, 'utf8')), 120);

  step = '3. the car is in 在场车辆';
  await page.click('nav >> text=在场车辆');
  await waitFor(`${plate} in 在场车辆`, async () => {
    await page.reload();
    return (await page.locator('tr', { hasText: plate }).count()) === 1;
  }, 60);
  expect(await page.locator('tr', { hasText: plate }).locator(`text=${unit}`).count() === 1,
    'the car inside is not shown with its unit');
  await shot('05-inside');

  step = '3. its decision with the frame in 通行记录';
  await page.click('nav >> text=通行记录');
  await page.fill('input[name=plate]', plate);
  await Promise.all([page.waitForLoadState(), page.click('button:has-text("查找")')]);
  const decision = page.locator('tr', { hasText: plate }).first();
  await decision.waitFor();
  expect(await decision.locator('text=凭券入场').count() > 0, 'the decision does not give its reason in words (凭券入场)');
  await waitFor('the evidence frame to load', async () => {
    await page.reload();
    const imgs = page.locator('tr', { hasText: plate }).first().locator('img.frame');
    if ((await imgs.count()) === 0) return false;
    // Decoded, not only present: the evidence route served a real JPEG.
    return imgs.first().evaluate((img) => img.decode().then(() => img.naturalWidth > 0, () => false));
  }, 30);
  await shot('06-decisions');

  step = '4. the month\'s report: page, print view, CSV and xlsx';
  await page.click('nav >> text=月度报表');
  const reportRow = page.locator('tr', { hasText: unit });
  await reportRow.waitFor();
  await shot('07-report');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("下载 CSV")')]);
  const csvFile = path.join(out, '08-report.csv');
  await csv.saveAs(csvFile);
  const csvBytes = fs.readFileSync(csvFile);
  expect(csvBytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'the CSV has no UTF-8 BOM');
  const csvText = csvBytes.toString('utf8');
  expect(csvText.startsWith('\ufeff月份,户号,') && csvText.includes(unit),
    'the CSV lacks the Chinese header (月份,户号: the page\'s words) or the household');
  const month = new URL(csv.url()).searchParams.get('month');
  // The same bytes as the CLI's report. A stay still running is counted up to now, so a minute can turn between
  // the two: then both are taken again, at once.
  const cliReport = () => spawnSync(bins.cli, ['--config', config, 'report', '--month', month, '--format', 'csv'],
    { encoding: 'buffer' }).stdout;
  let cliCsv = cliReport();
  let pageCsv = csvBytes;
  if (Buffer.compare(cliCsv, pageCsv) !== 0) {
    pageCsv = await (await clerk.request.get(csv.url())).body();
    cliCsv = cliReport();
  }
  fs.writeFileSync(path.join(out, '08-report-cli.csv'), cliCsv);
  expect(Buffer.compare(cliCsv, pageCsv) === 0, 'the page\'s CSV differs from `voucher-gate report --format csv`');
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("下载 Excel")')]);
  const xlsxFile = path.join(out, '09-report.xlsx');
  await xlsx.saveAs(xlsxFile);
  expect(fs.readFileSync(xlsxFile).subarray(0, 2).toString() === 'PK', 'the .xlsx is not a zip');
  const sheets = spawnSync('unzip', ['-p', xlsxFile, 'xl/sharedStrings.xml'], { encoding: 'utf8' }).stdout;
  expect(sheets.includes('月份') && sheets.includes(unit), 'the .xlsx lacks the Chinese header or the household');
  await page.click('a:has-text("打印（A4）")');
  await page.locator('text=签字').first().waitFor();
  await page.pdf({ path: path.join(out, '10-report-print.pdf'), format: 'A4', printBackground: true });

  step = '5. a guard on a phone sees 道闸';
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true,
    deviceScaleFactor: 2 });
  const guard = await phone.newPage();
  await guard.goto(`${base}/`);
  await guard.fill('input[name=username]', 'guard');
  await guard.fill('input[name=password]', 'guard-password-1');
  await Promise.all([guard.waitForLoadState(), guard.click('button:has-text("登录")')]);
  await guard.click('nav >> text=道闸');
  await guard.locator('text=entry-1').first().waitFor();
  expect(await guard.locator('text=月度报表').count() === 0, 'a guard is offered 月度报表');
  await guard.screenshot({ path: path.join(out, '11-guard-gate-phone.png'), fullPage: true });
  await phone.close();

  log('console_test: all steps passed; artefacts in', out);
} catch (e) {
  console.error(`console_test: FAILED at "${step}": ${e.message}`);
  if (page) await page.screenshot({ path: path.join(out, 'failure-clerk.png'), fullPage: true }).catch(() => {});
  for (const { name, logFile } of children) {
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    console.error(`---- ${name} log (last 40 lines) ----\n${text.split('\n').slice(-40).join('\n')}`);
  }
  process.exitCode = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const { child } of children) child.kill('SIGTERM');
  await Promise.all(children.map(({ child }) =>
    child.exitCode !== null ? null : new Promise((resolve) => child.once('exit', resolve))));
  for (const { name, logFile } of children) fs.copyFileSync(logFile, path.join(out, `${name}.log`));
  if (!args.get('keep')) fs.rmSync(site, { recursive: true, force: true });
}
