// A browser's EventSource against sr-eventd (tests/bats/events-http.bats).
//
// Chromium loads a page from its own origin (served here), which opens
// EventSource(--stream) and publishes with fetch(POST) to the same address,
// both cross-origin (CORS). Then --stop-cmd stops the sr-eventd serving the
// stream, two messages are published elsewhere (--publish-other), and
// --start-cmd starts it again: the EventSource must reconnect on its own,
// with Last-Event-ID, and get those two, then a last one, each once and in
// order. Prints the messages as JSON; exit 0 when they are exactly m1..m5
// with ids 1..5 (the topic must be new).
//
// node sse_reconnect.mjs --page 127.0.0.1:PORT --stream URL --publish-other URL
//                        --stop-cmd CMD --start-cmd CMD [--chromium PATH]
import http from "node:http";
import { execSync } from "node:child_process";
import puppeteer from "puppeteer-core";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const [pageHost, pagePort] = args.page.split(":");

const html = `<!doctype html><meta charset="utf-8"><title>sr-eventd</title><script>
window.got = []; window.opens = 0;
const es = new EventSource(${JSON.stringify(args.stream)});
es.onopen = () => { window.opens++; };
es.addEventListener("message", e => window.got.push([e.lastEventId, e.data]));
window.publish = async text => {
  const r = await fetch(${JSON.stringify(args.stream)}, { method: "POST", body: text });
  if (!r.ok) throw new Error("POST " + r.status + " " + await r.text());
  return (await r.json()).seq;
};
</script>`;
const server = http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(html);
});
await new Promise(done => server.listen(Number(pagePort), pageHost, done));

const browser = await puppeteer.launch({
  executablePath: args.chromium || "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless=new"],
});
let status = 1;
try {
  const page = await browser.newPage();
  await page.goto(`http://${args.page}/`);
  const got = n => page.waitForFunction(k => window.got.length >= k, { timeout: 30000 }, n);
  await page.waitForFunction(() => window.opens >= 1, { timeout: 10000 });
  for (const m of ["m1", "m2"]) await page.evaluate(t => window.publish(t), m);
  await got(2);
  execSync(args["stop-cmd"], { stdio: "inherit", shell: "/bin/bash" });
  for (const m of ["m3", "m4"]) {
    const r = await fetch(args["publish-other"], { method: "POST", body: m });
    if (!r.ok) throw new Error(`POST elsewhere: ${r.status} ${await r.text()}`);
  }
  execSync(args["start-cmd"], { stdio: "inherit", shell: "/bin/bash" });
  await got(4);  // the EventSource reconnected by itself
  await page.evaluate(() => window.publish("m5"));
  await got(5);
  const messages = await page.evaluate(() => window.got);
  const opens = await page.evaluate(() => window.opens);
  console.log(JSON.stringify({ messages, opens }));
  const want = [1, 2, 3, 4, 5].map(i => [String(i), `m${i}`]);
  status = JSON.stringify(messages) === JSON.stringify(want) && opens >= 2 ? 0 : 1;
} catch (e) {
  console.error(`sse_reconnect: ${e.message}`);
} finally {
  await browser.close();
  server.close();
}
process.exit(status);
