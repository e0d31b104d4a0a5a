// A real player against sr-streamd (tests/bats/streamd.bats): Chromium loads
// a page from its own origin (served here) with a <video> and a player,
// dash.js for a --src ending in .mpd, hls.js otherwise, plays --src, and
// succeeds once the video reports `playing` and its currentTime has moved
// --seconds (default 5) past where it first played: from 0 for a title, from
// the live edge for a live channel. A page load alone proves nothing.
//
// node play.mjs --page 127.0.0.1:PORT --src URL [--seconds S] [--chromium PATH]
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const [pageHost, pagePort] = args.page.split(":");
const seconds = Number(args.seconds || 5);
const here = path.dirname(fileURLToPath(import.meta.url));
const dash = new URL(args.src).pathname.endsWith(".mpd");
const players = {
  "/hls.min.js": "node_modules/hls.js/dist/hls.min.js",
  "/dash.all.min.js": "node_modules/dashjs/dist/modern/umd/dash.all.min.js",
};
const script = dash ? "/dash.all.min.js" : "/hls.min.js";
const player = fs.readFileSync(path.join(here, players[script]));

const start = dash ? `
const p = dashjs.MediaPlayer().create();
p.on(dashjs.MediaPlayer.events.ERROR, e => {
  window.failure = "dash.js: " + (e.error ? e.error.code + " " + e.error.message : JSON.stringify(e));
});
p.on(dashjs.MediaPlayer.events.PLAYBACK_NOT_ALLOWED, () => { window.failure = "dash.js: playback not allowed"; });
p.initialize(v, src, true);` : `
if (!Hls.isSupported()) window.failure = "hls.js: MSE not supported";
const hls = new Hls();
hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) window.failure = "hls.js: " + d.type + " " + d.details; });
hls.loadSource(src);
hls.attachMedia(v);
hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch(e => { window.failure = "play(): " + e.message; }));`;

const html = `<!doctype html><meta charset="utf-8"><title>player</title>
<video id="v" muted autoplay playsinline width="320"></video>
<script src="${script}"></script><script>
window.events = []; window.failure = null;
const v = document.getElementById("v");
for (const e of ["playing", "waiting", "ended", "error"]) v.addEventListener(e, () => window.events.push(e));
window.startedAt = null;
v.addEventListener("playing", () => { if (window.startedAt === null) window.startedAt = v.currentTime; });
const src = ${JSON.stringify(args.src)};
${start}
</script>`;
const server = http.createServer((req, res) => {
  if (req.url === script) {
    res.writeHead(200, { "Content-Type": "text/javascript" });
    return res.end(player);
  }
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(html);
});
await new Promise(done => server.listen(Number(pagePort), pageHost, done));

const browser = await puppeteer.launch({
  executablePath: args.chromium || "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless=new", "--autoplay-policy=no-user-gesture-required"],
});
let status = 1;
try {
  const page = await browser.newPage();
  await page.goto(`http://${args.page}/`);
  await page.waitForFunction(
    s => window.failure ||
      (window.startedAt !== null && document.getElementById("v").currentTime - window.startedAt > s),
    { timeout: 60000, polling: 200 }, seconds);
  const r = await page.evaluate(() => ({
    failure: window.failure, events: window.events, startedAt: window.startedAt,
    currentTime: document.getElementById("v").currentTime,
    width: document.getElementById("v").videoWidth, height: document.getElementById("v").videoHeight,
  }));
  console.log(JSON.stringify(r));
  status = r.failure ? 1 : 0;
} catch (e) {
  console.error(`play: ${e.message}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(status);
