// Renders resources/icon.svg to resources/icon.png (512×512, transparent corners) in Debian's
// Chromium, for electron-builder (Linux icons are PNG). Run after editing the SVG:
//   node scripts/make-icon.mjs
import { chromium } from 'playwright-core';
import { fileURLToPath, pathToFileURL } from 'node:url';

const svg = fileURLToPath(new URL('../resources/icon.svg', import.meta.url));
const png = fileURLToPath(new URL('../resources/icon.png', import.meta.url));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 512, height: 512 } });
  await page.goto(pathToFileURL(svg).href);
  await page.screenshot({ path: png, omitBackground: true });
} finally {
  await browser.close();
}
console.log(`wrote ${png}`);
