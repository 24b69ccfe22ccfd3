// What the browser tests stand on: the real binaries (issuer and sts-mock, from RIG_BIN_DIR)
// on free ports, Debian's Chromium started headless by playwright-core with the flags this
// machine needs (it has no outside network) and a fresh profile, and small HTTP helpers that
// speak to the servers as AWS clients do. Nothing here is fetched from the network.
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const REPO = path.resolve(__dirname, "..", "..");
const BIN_DIR = process.env.RIG_BIN_DIR || path.join(process.env.CARGO_TARGET_DIR || path.join(REPO, "target"), "debug");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
// The flags Chromium needs here: no sandbox (root in a container), no GPU, and none of the
// background connections a closed network refuses.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const ROLE_ARN = "arn:aws:iam::000000000000:role/dynatrace-aws-connector";
const DYNATRACE = "https://token.dynatrace.com";
const GITHUB = "https://token.actions.githubusercontent.com";

function binary(name) {
  const file = path.join(BIN_DIR, name);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run cargo build --workspace --bins (make browser-test does)`);
  }
  return file;
}

/** A free TCP port on 127.0.0.1 (for a server that must come back on the same one). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a binary and resolves once it prints `listening on URL`. */
function serve(name, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary(name), args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 20000);
    const read = (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match && timer) {
        clearTimeout(timer);
        resolve({ url: match[1], child, output: () => output });
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", (chunk) => { output += chunk; });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}):\n${output}`));
    });
  });
}

function stop(server) {
  if (server && server.child.exitCode === null) {
    server.child.removeAllListeners("exit");
    server.child.kill("SIGKILL");
  }
}

/** The issuer (every built-in issuer) on a free port. */
function startIssuer() {
  return serve("issuer", ["serve", "--listen", "127.0.0.1:0", "--keys", path.join(REPO, "keys")]);
}

/** sts-mock on the built-in default, each built-in identity mapped to its prefix on `issuer`. */
function startStsMock(issuerUrl, port = 0) {
  return serve("sts-mock", [
    "serve",
    "--listen", `127.0.0.1:${port}`,
    "--oidc-endpoint", `${DYNATRACE}=${issuerUrl}`,
    "--oidc-endpoint", `${GITHUB}=${issuerUrl}/github`,
    "--oidc-endpoint", `https://gitlab.com=${issuerUrl}/gitlab`,
    "--oidc-endpoint", `https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B=${issuerUrl}/eks`,
  ]);
}

/** A token from the issuer's `POST /mint` (at `prefix`, `""` for Dynatrace). */
async function mint(issuerUrl, fields, prefix = "") {
  const response = await fetch(`${issuerUrl}${prefix}/mint`, { method: "POST", body: JSON.stringify(fields) });
  const answer = await response.json();
  if (!response.ok) throw new Error(`mint: ${JSON.stringify(answer)}`);
  return answer.token;
}

/** `AssumeRoleWithWebIdentity`, as any AWS client sends it: the HTTP status and the XML. */
async function assume(stsUrl, token, roleArn = ROLE_ARN, session = "browser-test") {
  const response = await fetch(`${stsUrl}/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: roleArn,
      RoleSessionName: session,
      WebIdentityToken: token,
    }),
  });
  return { status: response.status, body: await response.text() };
}

/** An IAM Query call with administrator credentials (sts-mock does not check their signature). */
async function iam(stsUrl, action, params) {
  const response = await fetch(`${stsUrl}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: "AWS4-HMAC-SHA256 Credential=test/20261123/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0000",
    },
    body: new URLSearchParams({ Action: action, Version: "2010-05-08", ...params }),
  });
  return { status: response.status, body: await response.text() };
}

/** Chromium, headless, on a fresh profile that is removed afterwards. */
async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sts-mock-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

module.exports = {
  REPO,
  ROLE_ARN,
  DYNATRACE,
  GITHUB,
  freePort,
  startIssuer,
  startStsMock,
  stop,
  mint,
  assume,
  iam,
  launchBrowser,
};
