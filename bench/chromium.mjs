// @ts-check
/**
 * Runs a benchmark module in headless Debian Chromium: serves the repository read-only on
 * 127.0.0.1 (bench/ and the terminal's files only), opens a page that sets `globals` on
 * `window` and loads `script`, and prints what the module POSTs to /result (a line with
 * ERROR sets a failing exit code). The module itself decides, by `inBrowser`, whether it
 * runs its browser half or calls this. Imports node's modules only when called, so a
 * module that imports it still loads in the browser.
 *
 * @param {string} script              the module's path from the repository root, e.g. "/bench/z_bench.mjs"
 * @param {Record<string, number>} globals  set on window before the module runs
 */
export async function runInChromium(script, globals) {
  const http = await import("node:http");
  const fs = await import("node:fs/promises");
  const path = await import("node:path");
  const os = await import("node:os");
  const { spawn } = await import("node:child_process");
  const root = path.resolve(new URL("..", import.meta.url).pathname);
  /** @type {(text: string) => void} */
  let finish = () => {};
  const done = new Promise((resolve) => (finish = resolve));
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "POST" && url.pathname === "/result") {
      let body = "";
      for await (const chunk of request) body += chunk;
      response.writeHead(204).end();
      finish(body);
      return;
    }
    if (url.pathname === "/") {
      const set = Object.entries(globals)
        .map(([name, value]) => `window.${name} = ${JSON.stringify(value)};`)
        .join(" ");
      response.writeHead(200, { "content-type": "text/html" });
      response.end(
        `<!doctype html><script type="module">${set}</script><script type="module" src="${script}"></script>`,
      );
      return;
    }
    const file = path.join(root, path.normalize(url.pathname));
    if (!file.startsWith(path.join(root, "bench")) && !file.startsWith(path.join(root, "src/kassa/terminal"))) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await fs.readFile(file);
      response.writeHead(200, { "content-type": "text/javascript" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const port = /** @type {import("node:net").AddressInfo} */ (server.address()).port;
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), "kassa-bench-"));
  const chromium = spawn(
    process.env.CHROMIUM ?? "chromium",
    ["--headless=new", "--no-sandbox", "--disable-gpu", `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`],
    { stdio: "ignore" },
  );
  const timeout = setTimeout(() => finish("ERROR: no result from Chromium within 300 s"), 300_000);
  const text = await done;
  clearTimeout(timeout);
  chromium.kill();
  await new Promise((resolve) => chromium.once("exit", resolve));
  server.close();
  await fs.rm(profile, { recursive: true, force: true });
  console.log(text);
  if (text.includes("ERROR")) process.exitCode = 1;
}
