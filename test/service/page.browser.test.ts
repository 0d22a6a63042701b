/**
 * The page at `/` in a real browser (Debian's headless `chromium`, driven by puppeteer-core): it
 * lists the served models, shows the card, and for a shipped image picked in the file input draws
 * the four pictures at the sizes of the service's outputs, with the service's ELBO numbers; with a
 * token, it asks for it. Skips itself, saying so, where no chromium binary is installed
 * (`apt-get install chromium`; CI installs it).
 */
import { existsSync, readFileSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelPath } from '@entropy-sc/inference/default-model';
import { startService, type RunningService } from '../../service/serve.ts';
import { post, startFake } from './fake-service.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', process.env.CHROMIUM_PATH ?? ''].find(
  (path) => path !== '' && existsSync(path),
);
if (!CHROMIUM)
  console.warn('page browser test skipped: no chromium binary (apt-get install chromium, or set CHROMIUM_PATH)');
/** Code run in the page (as text: the tests are compiled without the DOM's types). */
const inPage = <T = unknown>(page: Page, code: string) => page.evaluate(code) as Promise<T>;
const text = (page: Page, selector: string) =>
  inPage<string>(page, `document.querySelector(${JSON.stringify(selector)}).textContent`);
const PATCH = 'entropy-sc-lowrank-h100';
const IMAGE = new URL('../../data/natural-images/camera.png', import.meta.url).pathname;

describe.skipIf(!CHROMIUM)('the page at /, in headless Chromium', () => {
  let browser: Browser;
  let service: RunningService;
  let page: Page;

  beforeAll(async () => {
    [browser, service] = await Promise.all([
      puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] }),
      startService({ modelPath: defaultModelPath, port: 0, pool: { workers: 1, threadsPerWorker: 1 } }),
    ]);
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('shows the card, then a picked image as the four pictures with the service numbers', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${service.url}/`);
    await page.waitForFunction(`document.querySelector('#card dl') !== null`);
    const card = await text(page, '#card');
    expect(card).toContain(PATCH);
    expect(card).toContain('16×16 (D=256)');
    // The shipped model and its image model.
    expect(await inPage(page, `[...document.querySelectorAll('#model option')].map((o) => o.value)`)).toEqual([
      PATCH,
      `${PATCH}-image`,
    ]);

    const input = await page.$('#file');
    await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(IMAGE);
    await page.waitForFunction(`!document.getElementById('pictures').hidden`, { timeout: 30_000 });
    const pictures = await inPage<{ id: string; width: number; height: number; colours: number }[]>(
      page,
      `[...document.querySelectorAll('canvas')].map((canvas) => {
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        const colours = new Set();
        for (let i = 0; i < pixels.length; i += 4) colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
        return { id: canvas.id, width: canvas.width, height: canvas.height, colours: colours.size };
      })`,
    );
    // 512×512 pixels; 16×16 windows at stride 8: 63×63
    expect(pictures.map(({ id, width, height }) => ({ id, width, height }))).toEqual([
      { id: 'whitened', width: 512, height: 512 },
      { id: 'reconstruction', width: 512, height: 512 },
      { id: 'elbo', width: 63, height: 63 },
      { id: 'uncertainty', width: 63, height: 63 },
    ]);
    // Pictures, not blank canvases.
    for (const p of pictures) expect(p.colours, p.id).toBeGreaterThan(50);

    // The page's numbers are the service's.
    const answer = await post(
      `${service.url}/v1/encode-image?model=${PATCH}&outputs=elbo`,
      readFileSync(IMAGE),
      'image/png',
      {
        accept: 'application/json',
      },
    );
    const elbo = (answer.json().elbo as number[][]).flat();
    const mean = elbo.reduce((a, b) => a + b, 0) / elbo.length;
    expect(Number(await inPage(page, `document.getElementById('pictures').dataset.elboMean`))).toBeCloseTo(mean, 3);
    expect(await text(page, '#elbo-range')).toBe(
      `${Math.min(...elbo).toFixed(1)} to ${Math.max(...elbo).toFixed(1)} nats, mean ${mean.toFixed(2)}`,
    );
    expect(await text(page, '#summary')).toMatch(/^camera\.png: 512×512 pixels, 63×63 = 3969 windows/);

    // The image model (its own graph whitens and cuts the windows): the same pictures.
    await page.select('#model', `${PATCH}-image`);
    await page.waitForFunction(`document.querySelector('#card').textContent.includes('uint8 images')`);
    await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(IMAGE);
    await page.waitForFunction(`document.getElementById('pictures').dataset.model === '${PATCH}-image'`, {
      timeout: 30_000,
    });
    expect(Number(await inPage(page, `document.getElementById('pictures').dataset.elboMean`))).toBeCloseTo(mean, 1);
    expect(errors).toEqual([]);
  }, 90_000);

  it('asks for the token when the service has one, then lists its models', async () => {
    const guarded = await startFake('fake:4:2', { token: 's3cret-token' });
    try {
      const fresh = await browser.newPage();
      await fresh.goto(`${guarded.url}/`);
      await fresh.waitForFunction(`!document.getElementById('token-form').hidden`);
      expect(await text(fresh, '#status')).toBe('this service needs a token');
      await fresh.type('#token', 's3cret-token');
      await fresh.click('#token-form button');
      await fresh.waitForFunction(`document.querySelectorAll('#model option').length > 0`);
      expect(await inPage(fresh, `[...document.querySelectorAll('#model option')].map((o) => o.value)`)).toEqual([
        'fake',
      ]);
      expect(await inPage(fresh, `document.getElementById('token-form').hidden`)).toBe(true);
    } finally {
      await guarded.close();
    }
  }, 60_000);
});
