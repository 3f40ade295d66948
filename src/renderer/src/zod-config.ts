/**
 * Imported first by main.tsx. The page's CSP forbids eval, and zod probes `new Function`
 * to decide whether to compile its parsers; Chromium logs the refused probe as an error on
 * every load. Jitless zod parses the same way without the probe.
 */
import { config } from 'zod';

config({ jitless: true });
