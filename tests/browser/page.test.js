// The decisions page in a real browser (headless Chromium driven by playwright-core), against
// the real binaries: a denial appears live, opens into its failing condition, the filters
// hide what they should and stay in the URL, the page reconnects after a restart, "try it"
// answers allow and deny, the lint's warnings and the coverage show. With SCREENSHOT=FILE it
// also writes the page's picture for the README.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const h = require("./harness");

const PAGE = "/_sts-mock/";
let issuer;
let sts;
let stsPort;
let browser;
let page;

test.before(async () => {
  issuer = await h.startIssuer();
  stsPort = await h.freePort();
  sts = await h.startStsMock(issuer.url, stsPort);
  browser = await h.launchBrowser();
  page = await browser.context.newPage();
  page.on("pageerror", (error) => { throw error; });
});

test.after(async () => {
  if (browser) await browser.close();
  h.stop(sts);
  h.stop(issuer);
});

async function openPage(query = "") {
  await page.goto(`${sts.url}${PAGE}${query}`);
  await page.waitForSelector("#status[data-state=live]", { timeout: 5000 });
}

/** The decision rows of the page that show `text`. */
function rows(text, result) {
  return page.locator(`li.decision${result ? "." + result : ""}`, { hasText: text });
}

test("a denial by a sub condition appears on an open page within a second, without reload", async () => {
  await openPage();
  await page.evaluate(() => { window.sameDocument = true; });
  const token = await h.mint(issuer.url, { tenant: "abc12345", connection: "other-connection" });
  const answer = await h.assume(sts.url, token);
  assert.equal(answer.status, 403, answer.body);
  assert.match(answer.body, /AccessDenied/);
  const started = Date.now();
  await rows("dtid:connection/other-connection", "refused").first().waitFor({ state: "visible", timeout: 1000 });
  assert.ok(Date.now() - started < 1000, `appeared after ${Date.now() - started} ms`);
  assert.equal(await page.evaluate(() => window.sameDocument), true, "the page was reloaded");
  const row = rows("dtid:connection/other-connection", "refused").first();
  const summary = await row.locator("summary").innerText();
  for (const shown of ["Refused", "AssumeRoleWithWebIdentity", "dynatrace-aws-connector", "token.dynatrace.com", "AccessDenied"]) {
    assert.ok(summary.includes(shown), `the row lacks ${shown}: ${summary}`);
  }
  assert.match(summary, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, "the row shows the time");
});

test("opening the denial by keyboard shows the failing condition and both values", async () => {
  // Keyboard only: Tab from the top of the page reaches the decision, Enter opens it.
  const summary = rows("dtid:connection/other-connection", "refused").first().locator("summary");
  await page.locator("body").focus();
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await summary.evaluate((node) => node === document.activeElement);
  }
  assert.ok(reached, "Tab never reached the decision");
  await page.keyboard.press("Enter");
  const failed = rows("dtid:connection/other-connection", "refused").first().locator("tr.condition.failed");
  await failed.waitFor({ state: "visible", timeout: 2000 });
  assert.equal(await failed.count(), 1);
  const cells = await failed.locator("td").allInnerTexts();
  assert.deepEqual(cells, [
    "✗ FAILED",
    "StringEquals",
    "token.dynatrace.com:sub",
    "dtid:connection/my-connection",
    "dtid:connection/other-connection",
  ]);
  // The other condition passed, and says so in words too.
  const passed = rows("dtid:connection/other-connection", "refused").first().locator("tr.condition.passed");
  assert.match(await passed.innerText(), /passed.*token\.dynatrace\.com:aud/s);
  const statement = await rows("dtid:connection/other-connection", "refused").first().locator("li.statement").innerText();
  assert.match(statement, /statement #0.*does not apply/s);
  assert.match(statement, /Principal: matched/);
});

test("the result filter hides allowed decisions, and the URL keeps it", async () => {
  const token = await h.mint(issuer.url, { tenant: "abc12345", connection: "my-connection" });
  assert.equal((await h.assume(sts.url, token)).status, 200);
  const allowed = rows("dtid:connection/my-connection", "allowed").first();
  await allowed.waitFor({ state: "visible", timeout: 1000 });
  // An allowed decision marks the statement that decided, in words.
  await allowed.locator("summary").click();
  assert.match(await allowed.locator("li.statement.deciding").innerText(), /statement #0 Allow: applies ★ deciding statement/);
  await page.selectOption("#filter-result", "refused");
  await allowed.waitFor({ state: "hidden", timeout: 1000 });
  assert.equal(await rows("dtid:connection/other-connection", "refused").first().isVisible(), true);
  assert.match(page.url(), /[?&]result=refused/);
  assert.match(await page.locator("#shown").innerText(), /Showing 1 of 2 decisions/);
  // The filtered view, shared as its URL: the same on a fresh load.
  await openPage("?result=refused");
  await rows("dtid:connection/other-connection", "refused").first().waitFor({ state: "visible", timeout: 2000 });
  assert.equal(await page.locator("#filter-result").inputValue(), "refused");
  assert.equal(await rows("dtid:connection/my-connection", "allowed").first().isHidden(), true);
  // A new allowed decision arrives hidden; the role filter narrows by role.
  const github = await h.mint(issuer.url, { repository: "octo-org/octo-repo", ref: "refs/heads/main" }, "/github");
  assert.equal((await h.assume(sts.url, github, "arn:aws:iam::000000000000:role/github-deploy")).status, 200);
  await page.waitForSelector("li.decision.allowed >> text=repo:octo-org/octo-repo:ref:refs/heads/main", { state: "attached", timeout: 1000 });
  assert.equal(await rows("repo:octo-org/octo-repo", "allowed").first().isHidden(), true);
  await page.selectOption("#filter-result", "");
  await page.selectOption("#filter-role", "arn:aws:iam::000000000000:role/github-deploy");
  await rows("repo:octo-org/octo-repo", "allowed").first().waitFor({ state: "visible", timeout: 1000 });
  assert.equal(await rows("dtid:connection/other-connection").first().isHidden(), true);
  assert.match(page.url(), /role=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fgithub-deploy/);
  await page.selectOption("#filter-issuer", "https://token.dynatrace.com");
  assert.match(await page.locator("#shown").innerText(), /Showing 0 of 3/);
  await page.click("#filter-clear");
  assert.match(await page.locator("#shown").innerText(), /^3 decisions/);
});

test("the page reconnects by itself when sts-mock restarts", async () => {
  await openPage();
  await page.evaluate(() => { window.sameDocument = true; });
  h.stop(sts);
  await page.waitForSelector("#status[data-state=reconnecting]", { timeout: 5000 });
  sts = await h.startStsMock(issuer.url, stsPort);
  await page.waitForSelector("#status[data-state=live]", { timeout: 10000 });
  // A new server, a new log: the page starts over, then shows what the new one decides.
  const token = await h.mint(issuer.url, { tenant: "abc12345", connection: "after-restart" });
  assert.equal((await h.assume(sts.url, token)).status, 403);
  await rows("dtid:connection/after-restart", "refused").first().waitFor({ state: "visible", timeout: 1000 });
  assert.equal(await rows("dtid:connection/other-connection").count(), 0, "the old server's decisions stayed");
  assert.equal(await page.evaluate(() => window.sameDocument), true, "the page was reloaded");
});

test("try it answers allow and deny, and assumes nothing", async () => {
  const before = (await (await fetch(`${sts.url}/_sts-mock/decisions`)).json()).decisions.length;
  await openPage("#try");
  await page.waitForSelector("#try-role option", { state: "attached" });
  await page.selectOption("#try-role", h.ROLE_ARN);
  await page.selectOption("#try-issuer", h.DYNATRACE);
  await page.fill("#try-fields", JSON.stringify({ tenant: "abc12345", connection: "my-connection" }));
  await page.click("#try-submit");
  const verdict = page.locator("#try-answer .verdict-line");
  await verdict.waitFor({ timeout: 5000 });
  assert.match(await verdict.innerText(), /^✓ Allowed/);
  assert.match(await page.locator("#try-answer").innerText(), /allowed by trust policy statement #0/);

  await page.fill("#try-fields", JSON.stringify({ tenant: "abc12345", connection: "someone-else" }));
  await page.click("#try-submit");
  await page.waitForSelector("#try-answer .verdict-line.refused", { timeout: 5000 });
  assert.match(await verdict.innerText(), /^✗ Refused: STS would answer AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity/);
  const failed = await page.locator("#try-answer tr.condition.failed td").allInnerTexts();
  assert.deepEqual(failed.slice(2), ["token.dynatrace.com:sub", "dtid:connection/my-connection", "dtid:connection/someone-else"]);

  // A pasted token: the same checks, signature and expiry included.
  const github = await h.mint(issuer.url, { repository: "octo-org/octo-repo", ref: "refs/heads/main" }, "/github");
  await page.check("input[name=source][value=paste]");
  await page.fill("#try-token", github);
  await page.selectOption("#try-role", "arn:aws:iam::000000000000:role/github-deploy");
  await page.click("#try-submit");
  await page.waitForSelector("#try-answer .verdict-line.allowed", { timeout: 5000 });
  await page.selectOption("#try-role", h.ROLE_ARN);
  await page.click("#try-submit");
  await page.waitForSelector("#try-answer .verdict-line.refused", { timeout: 5000 });
  assert.match(await verdict.innerText(), /AccessDenied/);
  await page.fill("#try-token", github.slice(0, -4) + "AAAA");
  await page.selectOption("#try-role", "arn:aws:iam::000000000000:role/github-deploy");
  await page.click("#try-submit");
  await page.waitForSelector("#try-answer .verdict-line.refused >> text=InvalidIdentityToken", { timeout: 5000 });

  const after = (await (await fetch(`${sts.url}/_sts-mock/decisions`)).json()).decisions.length;
  assert.equal(after, before, "try it made a decision of the STS");
});

test("a trust policy created or updated with lint findings shows as a warning", async () => {
  await openPage();
  const policy = {
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow",
      Principal: { Federated: "arn:aws:iam::000000000000:oidc-provider/token.dynatrace.com" },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: { StringEquals: { "token.dynatrace.com:aud": "abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector" } },
    }],
  };
  const created = await h.iam(sts.url, "CreateRole", { RoleName: "no-sub", AssumeRolePolicyDocument: JSON.stringify(policy) });
  assert.equal(created.status, 200, created.body);
  const banner = page.locator("#warning-banner");
  await banner.waitFor({ state: "visible", timeout: 1000 });
  assert.match(await banner.innerText(), /no-sub \(CreateRole\).*tenant-claim-missing/);
  assert.equal(await page.locator("#warning-count").innerText(), "(1)");
  policy.Statement[0].Condition.StringEquals["token.dynatrace.com:email"] = "a@example.com";
  const updated = await h.iam(sts.url, "UpdateAssumeRolePolicy", { RoleName: "no-sub", PolicyDocument: JSON.stringify(policy) });
  assert.equal(updated.status, 200, updated.body);
  await page.waitForSelector("#warning-count >> text=(2)", { timeout: 1000 });
  await page.click("a[href='#warnings']");
  const newest = page.locator("#warnings li.warning").first();
  assert.match(await newest.innerText(), /UpdateAssumeRolePolicy of role no-sub/);
  assert.match(await newest.innerText(), /key-never-sent/);
  assert.match(await newest.innerText(), /\$\.Statement\[0\]\.Condition\.StringEquals\["token\.dynatrace\.com:email"\]/);
});

test("the coverage view counts each condition true and false", async () => {
  for (const connection of ["my-connection", "intruder"]) {
    await h.assume(sts.url, await h.mint(issuer.url, { tenant: "abc12345", connection }));
  }
  await openPage("#coverage");
  const sub = page.locator(".coverage-role", { hasText: "dynatrace-aws-connector" }).locator("tr.condition-row", { hasText: "token.dynatrace.com:sub" });
  await sub.waitFor({ timeout: 2000 });
  const cells = await sub.locator("td").allInnerTexts();
  assert.equal(cells[0], "dtid:connection/my-connection");
  assert.ok(Number(cells[1]) >= 1 && Number(cells[2]) >= 1, cells.join(" | "));
  assert.equal(cells[3], "seen both ways");
  const aud = page.locator(".coverage-role", { hasText: "dynatrace-aws-connector" }).locator("tr.condition-row", { hasText: "token.dynatrace.com:aud" });
  assert.equal((await aud.locator("td").allInnerTexts())[3], "never seen false");
  // Live: another decision updates the open view.
  const github = page.locator(".coverage-role", { hasText: "github-deploy" }).locator("tr.condition-row", { hasText: ":sub" });
  assert.equal((await github.locator("td").allInnerTexts())[3], "never evaluated");
  await h.assume(sts.url, await h.mint(issuer.url, { repository: "octo-org/octo-repo", ref: "refs/heads/dev" }, "/github"), "arn:aws:iam::000000000000:role/github-deploy");
  await page.waitForFunction(() => [...document.querySelectorAll(".coverage-role")]
    .find((s) => s.textContent.includes("github-deploy"))
    ?.textContent.includes("never seen true"), null, { timeout: 2000 });
  await page.click("#coverage-reset");
  await page.waitForSelector("#coverage-summary >> text=/0 of \\d+ conditions.*since/", { timeout: 2000 });
});

test("screenshot for the README", { skip: !process.env.SCREENSHOT }, async () => {
  await page.setViewportSize({ width: 1360, height: 1020 });
  // A fresh sts-mock: the picture shows only what is made here.
  h.stop(sts);
  sts = await h.startStsMock(issuer.url, stsPort);
  const lax = JSON.parse(require("node:fs").readFileSync(`${h.REPO}/examples/policies/dynatrace-trust.json`, "utf8"));
  delete lax.Statement[0].Condition.StringEquals["token.dynatrace.com:sub"];
  await h.iam(sts.url, "CreateRole", { RoleName: "any-connection", AssumeRolePolicyDocument: JSON.stringify(lax) });
  await h.assume(sts.url, await h.mint(issuer.url, { tenant: "abc12345", connection: "other-connection" }));
  await h.assume(sts.url, await h.mint(issuer.url, { tenant: "abc12345", connection: "my-connection" }));
  await h.assume(sts.url, await h.mint(issuer.url, { repository: "octo-org/octo-repo", ref: "refs/heads/main" }, "/github"), "arn:aws:iam::000000000000:role/github-deploy");
  await openPage();
  const denial = rows("dtid:connection/other-connection", "refused").first();
  await denial.locator("summary").click();
  await denial.locator("tr.condition.failed").waitFor();
  await page.mouse.move(0, 0);
  await page.screenshot({ path: process.env.SCREENSHOT });
});
