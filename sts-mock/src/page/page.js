// The decisions page of sts-mock: the decision log live (server-sent events from
// /_sts-mock/decisions/stream), each decision opening into the policy engine's explanation,
// filters kept in the URL, the lint's warnings, the coverage of the trust policies and the
// "try it" panel. Everything shown is set as text (never as markup): decisions carry what
// clients sent.
"use strict";

(function () {
  const MAX_SHOWN = 500; // the server keeps 200; the page keeps what it saw, within bounds
  const RECONNECT_MS = 2000;

  const $ = (id) => document.getElementById(id);
  const decisionsById = new Map();
  const warningsById = new Map();
  const knownRoles = new Set();
  const knownIssuers = new Set();
  let lastId = 0;
  let instance = null;
  let source = null;
  let coverageTimer = null;

  // --- small DOM helpers -------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function hiddenLabel(text) {
    return el("span", { class: "visually-hidden", text });
  }

  function roleName(arn) {
    if (!arn) return "";
    const at = arn.indexOf(":role/");
    return at >= 0 ? arn.slice(at + 6).split("/").pop() : arn;
  }

  function issuerName(iss) {
    return (iss || "").replace(/^https:\/\//, "");
  }

  function showTime(time) {
    return (time || "").replace("T", " ");
  }

  // --- views ---------------------------------------------------------------------------------

  const VIEWS = ["decisions", "try", "coverage", "warnings"];

  function currentView() {
    const name = location.hash.replace("#", "");
    return VIEWS.includes(name) ? name : "decisions";
  }

  function showView() {
    const view = currentView();
    for (const name of VIEWS) {
      $("view-" + name).hidden = name !== view;
    }
    for (const link of document.querySelectorAll("nav a[data-view]")) {
      if (link.dataset.view === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (view === "coverage") loadCoverage();
    if (view === "try") loadTryOptions();
  }

  // --- filters, kept in the URL ----------------------------------------------------------------

  function filters() {
    const params = new URLSearchParams(location.search);
    return {
      result: params.get("result") || "",
      role: params.get("role") || "",
      issuer: params.get("issuer") || "",
    };
  }

  function setFilters(next) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(next)) {
      if (value) params.set(key, value);
    }
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    applyFilters();
  }

  function readFilterControls() {
    setFilters({
      result: $("filter-result").value,
      role: $("filter-role").value,
      issuer: $("filter-issuer").value,
    });
  }

  function ensureOption(select, value, label) {
    if (!value) return;
    for (const option of select.options) {
      if (option.value === value) return;
    }
    select.append(el("option", { value, text: label || value }));
  }

  function syncFilterControls() {
    const f = filters();
    ensureOption($("filter-role"), f.role, roleName(f.role));
    ensureOption($("filter-issuer"), f.issuer, issuerName(f.issuer));
    $("filter-result").value = f.result;
    $("filter-role").value = f.role;
    $("filter-issuer").value = f.issuer;
  }

  function matches(record, f) {
    if (f.result && record.result !== f.result) return false;
    if (f.role && record.role_arn !== f.role) return false;
    if (f.issuer && record.issuer !== f.issuer) return false;
    return true;
  }

  function applyFilters() {
    syncFilterControls();
    const f = filters();
    let shown = 0;
    for (const { record, item } of decisionsById.values()) {
      const visible = matches(record, f);
      item.hidden = !visible;
      if (visible) shown += 1;
    }
    const total = decisionsById.size;
    const filtered = f.result || f.role || f.issuer;
    $("shown").textContent = filtered
      ? `Showing ${shown} of ${total} decisions (filtered).`
      : `${total} decision${total === 1 ? "" : "s"}.`;
    $("empty").hidden = total !== 0;
  }

  // --- explanations --------------------------------------------------------------------------

  function partText(value) {
    if (value === true) return "matched";
    if (value === false) return "did not match";
    return "not checked";
  }

  function valuesText(values) {
    if (values === null || values === undefined) return "(absent from the request)";
    if (values.length === 0) return "(present, no values)";
    return values.join(", ");
  }

  function sameStatement(a, b) {
    return a && b && a.policy === b.policy && a.statement === b.statement;
  }

  // The policy engine's explanation: statements in order, each with whether its principal,
  // action and resource matched, and each condition with its values and result.
  function renderExplanation(explanation, title) {
    const box = el("div", { class: "explanation-body" });
    if (title) box.append(el("h4", { text: title }));
    box.append(
      el("p", { class: "summary-line" },
        el("strong", { text: "Decision: " }), explanation.decision,
        explanation.action ? ` for ${explanation.action}` : ""),
    );
    if (explanation.principal) {
      box.append(el("p", {}, el("strong", { text: "Principal: " }),
        `${explanation.principal.kind} ${explanation.principal.id}`));
    }
    if (explanation.resource) {
      box.append(el("p", {}, el("strong", { text: "Resource: " }), explanation.resource));
    }
    const list = el("ol", { class: "statements" });
    for (const statement of explanation.statements || []) {
      const deciding = sameStatement(statement, explanation.deciding);
      const item = el("li", { class: "statement" + (deciding ? " deciding" : "") + (statement.applies ? " applies" : "") });
      const label = (statement.policy_label ? statement.policy_label + ", " : "") +
        `statement #${statement.statement}` + (statement.sid ? ` (${statement.sid})` : "");
      item.append(
        el("p", { class: "statement-head" },
          el("strong", { text: label }), ` ${statement.effect}: `,
          el("span", { class: "verdict", text: statement.applies ? "applies" : "does not apply" }),
          deciding ? el("span", { class: "deciding-mark", text: " ★ deciding statement" }) : null),
      );
      item.append(el("ul", { class: "parts" },
        el("li", {}, "Principal: ", el("span", { class: "part " + String(statement.principal), text: partText(statement.principal) })),
        el("li", {}, "Action: ", el("span", { class: "part " + String(statement.action), text: partText(statement.action) })),
        el("li", {}, "Resource: ", el("span", { class: "part " + String(statement.resource), text: partText(statement.resource) })),
      ));
      if ((statement.conditions || []).length > 0) {
        const table = el("table", { class: "conditions" },
          el("caption", { text: `Conditions of ${label}` }),
          el("thead", {}, el("tr", {},
            el("th", { scope: "col", text: "Result" }),
            el("th", { scope: "col", text: "Operator" }),
            el("th", { scope: "col", text: "Key" }),
            el("th", { scope: "col", text: "Policy's values" }),
            el("th", { scope: "col", text: "Request's values" }),
          )));
        const body = el("tbody");
        for (const condition of statement.conditions) {
          const row = el("tr", { class: "condition " + (condition.result ? "passed" : "failed") },
            el("td", { class: "result-cell", text: condition.result ? "✓ passed" : "✗ FAILED" }),
            el("td", {}, el("code", { text: condition.operator })),
            el("td", {}, el("code", { text: condition.key })),
            el("td", { class: "policy-values", text: valuesText(condition.policy_values) }),
            el("td", { class: "request-values", text: valuesText(condition.request_values) }),
          );
          row.title = condition.reason || "";
          body.append(row);
        }
        table.append(body);
        item.append(table);
      } else {
        item.append(el("p", { class: "no-conditions", text: "No conditions." }));
      }
      list.append(item);
    }
    box.append(list);
    return box;
  }

  function renderRecordDetails(record) {
    const box = el("div", { class: "explanation" });
    box.append(el("p", { class: "reason" }, el("strong", { text: "Why: " }), record.reason || ""));
    const facts = el("dl", { class: "facts" });
    const fact = (name, value) => {
      if (value === undefined || value === null || value === "") return;
      facts.append(el("dt", { text: name }), el("dd", { text: String(value) }));
    };
    fact("Result", record.result === "allowed" ? "Allowed" : "Refused");
    fact("Error", record.code ? `${record.code}: ${record.message}` : null);
    fact("Time", record.time);
    fact("Action", record.action);
    fact("Role", record.role_arn);
    fact("Session name", record.session_name);
    fact("Issuer", record.issuer);
    fact("Subject", record.subject);
    fact("Principal", record.principal);
    fact("Permission", record.permission);
    fact("Resource", record.resource);
    fact("Source IP", record.source_ip);
    fact("Request ID", record.request_id);
    box.append(facts);
    if (record.explanation) {
      box.append(renderExplanation(record.explanation, record.kind === "permission" ? "The deciding policy" : "The trust policy"));
    } else {
      box.append(el("p", { class: "no-explanation", text: "No policy was evaluated: the request was refused before (see Why)." }));
    }
    const shown = JSON.stringify(record.explanation);
    for (const evaluation of record.evaluations || []) {
      // The deciding policy's explanation is shown above already.
      if (JSON.stringify(evaluation.explanation) === shown) continue;
      box.append(renderExplanation(evaluation.explanation, `${evaluation.policy_type.replace(/_/g, " ")} policies: ${evaluation.decision}`));
    }
    box.append(el("details", { class: "raw" },
      el("summary", { text: "The record as JSON" }),
      el("pre", { text: JSON.stringify(record, null, 2) })));
    return box;
  }

  // --- the decision list ---------------------------------------------------------------------

  function renderDecision(record) {
    const allowed = record.result === "allowed";
    const item = el("li", { class: "decision " + (allowed ? "allowed" : "refused"), "data-id": record.id });
    const details = el("details");
    const summary = el("summary", { class: "row" },
      el("span", { class: "cell result" }, hiddenLabel("Result: "), allowed ? "✓ Allowed" : "✗ Refused"),
      el("span", { class: "cell time" }, hiddenLabel(", time: "), el("time", { datetime: record.time, text: showTime(record.time) })),
      el("span", { class: "cell action" }, hiddenLabel(", action: "), record.action || ""),
      el("span", { class: "cell role", title: record.role_arn || "" }, hiddenLabel(", role: "), roleName(record.role_arn) || "–"),
      el("span", { class: "cell issuer", title: record.issuer || "" }, hiddenLabel(", issuer: "), issuerName(record.issuer) || "–"),
      el("span", { class: "cell subject", title: record.subject || record.principal || "" }, hiddenLabel(", subject: "), record.subject || record.principal || "–"),
      el("span", { class: "cell code" }, hiddenLabel(", error code: "), record.code || (allowed ? "" : "–")),
    );
    details.append(summary);
    // The explanation is built when first opened: a long log stays cheap.
    details.addEventListener("toggle", () => {
      if (details.open && !details.dataset.built) {
        details.dataset.built = "1";
        details.append(renderRecordDetails(record));
      }
    });
    item.append(details);
    return item;
  }

  function addDecision(record) {
    if (decisionsById.has(record.id)) return;
    lastId = Math.max(lastId, record.id);
    const item = renderDecision(record);
    decisionsById.set(record.id, { record, item });
    // Newest first: find the first shown decision older than this one.
    const list = $("decisions");
    let before = null;
    for (const child of list.children) {
      if (Number(child.dataset.id) < record.id) { before = child; break; }
    }
    list.insertBefore(item, before);
    while (decisionsById.size > MAX_SHOWN) {
      const oldest = Math.min(...decisionsById.keys());
      decisionsById.get(oldest).item.remove();
      decisionsById.delete(oldest);
    }
    if (record.role_arn && !knownRoles.has(record.role_arn)) {
      knownRoles.add(record.role_arn);
      ensureOption($("filter-role"), record.role_arn, roleName(record.role_arn));
    }
    if (record.issuer && !knownIssuers.has(record.issuer)) {
      knownIssuers.add(record.issuer);
      ensureOption($("filter-issuer"), record.issuer, issuerName(record.issuer));
    }
    item.hidden = !matches(record, filters());
    applyFilters();
    if (currentView() === "coverage") scheduleCoverage();
  }

  function clearAll() {
    decisionsById.clear();
    warningsById.clear();
    $("decisions").replaceChildren();
    $("warnings").replaceChildren();
    lastId = 0;
    updateWarnings();
    applyFilters();
  }

  // --- warnings ------------------------------------------------------------------------------

  function renderFinding(finding) {
    return el("li", { class: "finding " + finding.severity },
      el("p", {},
        el("strong", { class: "severity", text: finding.severity.toUpperCase() }), " ",
        el("code", { text: finding.id }), " at ", el("code", { text: finding.path })),
      el("p", { text: finding.message }),
      el("p", {}, el("strong", { text: "Write instead: " }), el("code", { text: finding.fix })));
  }

  function addWarning(warning) {
    if (warningsById.has(warning.id)) return;
    lastId = Math.max(lastId, warning.id);
    warningsById.set(warning.id, warning);
    const item = el("li", { class: "warning", "data-id": warning.id },
      el("h3", {},
        `${warning.action} of role ${roleName(warning.role_arn)}: ${warning.findings.length} finding${warning.findings.length === 1 ? "" : "s"}`),
      el("p", { class: "meta" }, el("time", { datetime: warning.time, text: showTime(warning.time) }), ` · ${warning.role_arn}`),
      el("ol", { class: "findings" }, ...warning.findings.map(renderFinding)));
    const list = $("warnings");
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 100) list.lastChild.remove();
    updateWarnings();
  }

  function updateWarnings() {
    const count = warningsById.size;
    $("warning-count").textContent = `(${count})`;
    $("warnings-empty").hidden = count !== 0;
    const banner = $("warning-banner");
    if (count === 0) {
      banner.hidden = true;
      return;
    }
    const newest = warningsById.get(Math.max(...warningsById.keys()));
    banner.replaceChildren(
      el("strong", { text: "Warning: " }),
      `the trust policy of ${roleName(newest.role_arn)} (${newest.action}) has ${newest.findings.length} lint finding${newest.findings.length === 1 ? "" : "s"}, first ${newest.findings[0].id}. `,
      el("a", { href: "#warnings", text: `See all ${count} warning${count === 1 ? "" : "s"}` }));
    banner.hidden = false;
  }

  // --- the live feed -------------------------------------------------------------------------

  function setStatus(text, state) {
    const status = $("status");
    status.textContent = text;
    status.dataset.state = state;
  }

  function connect(after) {
    if (source) source.close();
    const url = "/_sts-mock/decisions/stream" + (after ? `?after=${after}` : "");
    source = new EventSource(url);
    source.addEventListener("open", () => setStatus("Live: new decisions appear as they are made.", "live"));
    source.addEventListener("hello", (event) => {
      const hello = JSON.parse(event.data);
      if (instance !== null && hello.instance !== instance) {
        // sts-mock restarted: its log started over, and so does the page.
        instance = hello.instance;
        clearAll();
        connect(0);
        return;
      }
      instance = hello.instance;
    });
    source.addEventListener("decision", (event) => addDecision(JSON.parse(event.data)));
    source.addEventListener("warning", (event) => addWarning(JSON.parse(event.data)));
    source.addEventListener("lagged", () => setStatus("Catching up…", "reconnecting"));
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        // The browser gives up on an answer that is not a stream (503 when too many are open):
        // try again later from where the page is.
        setStatus("Disconnected; reconnecting…", "reconnecting");
        setTimeout(() => connect(lastId), RECONNECT_MS);
      } else {
        setStatus("Reconnecting…", "reconnecting");
      }
    });
  }

  // --- coverage ------------------------------------------------------------------------------

  function scheduleCoverage() {
    clearTimeout(coverageTimer);
    coverageTimer = setTimeout(loadCoverage, 300);
  }

  function coverageState(yes, no) {
    if (yes === 0 && no === 0) return "never evaluated";
    if (no === 0) return "never seen false";
    if (yes === 0) return "never seen true";
    return "seen both ways";
  }

  async function loadCoverage() {
    let report;
    try {
      const response = await fetch("/_sts-mock/coverage", { cache: "no-store" });
      report = await response.json();
    } catch (error) {
      $("coverage-summary").textContent = `Cannot read the coverage: ${error}`;
      return;
    }
    const c = report.conditions;
    $("coverage-summary").textContent =
      `${c.seen_both_ways} of ${c.total} conditions seen both true and false (${c.percent}%)` +
      (report.since ? `, since ${showTime(report.since)}.` : ", since sts-mock started.");
    const box = $("coverage");
    box.replaceChildren();
    for (const role of report.roles) {
      const section = el("section", { class: "coverage-role" },
        el("h3", {}, roleName(role.role_arn), " ", el("small", { text: `${role.role_arn}, ${role.decisions} decision${role.decisions === 1 ? "" : "s"}` })));
      const table = el("table", { class: "coverage-table" },
        el("caption", { text: `Trust policy of ${roleName(role.role_arn)}` }),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col", text: "Element" }),
          el("th", { scope: "col", text: "Values" }),
          el("th", { scope: "col", text: "True" }),
          el("th", { scope: "col", text: "False" }),
          el("th", { scope: "col", text: "Seen" }))));
      const body = el("tbody");
      for (const statement of role.statements) {
        body.append(el("tr", { class: "statement-row" },
          el("th", { scope: "row" }, `Statement #${statement.statement}` + (statement.sid ? ` (${statement.sid})` : "") + ` ${statement.effect}`),
          el("td", { text: "" }),
          el("td", { text: String(statement.true) }),
          el("td", { text: String(statement.false) }),
          el("td", { text: coverageState(statement.true, statement.false) })));
        for (const condition of statement.conditions) {
          const state = coverageState(condition.true, condition.false);
          body.append(el("tr", { class: "condition-row " + (state === "seen both ways" ? "covered" : "gap") },
            el("th", { scope: "row" }, el("code", { text: condition.operator }), " ", el("code", { text: condition.key })),
            el("td", { text: condition.values.join(", ") }),
            el("td", { text: String(condition.true) }),
            el("td", { text: String(condition.false) }),
            el("td", { class: "state", text: state })));
        }
      }
      table.append(body);
      section.append(table);
      box.append(section);
    }
  }

  async function resetCoverage() {
    await fetch("/_sts-mock/coverage", { method: "DELETE" });
    loadCoverage();
  }

  // --- try it --------------------------------------------------------------------------------

  // What the rig's issuer mints for each of its built-in identities, as a starting point.
  const MINT_EXAMPLES = {
    "https://token.dynatrace.com": { tenant: "abc12345", connection: "my-connection" },
    "https://token.actions.githubusercontent.com": { repository: "octo-org/octo-repo", ref: "refs/heads/main" },
    "https://gitlab.com": { project_path: "my-group/my-project", ref: "main" },
  };
  let fieldsEdited = false;
  let tryLoaded = false;

  function mintExample(issuer) {
    if (MINT_EXAMPLES[issuer]) return MINT_EXAMPLES[issuer];
    if (/^https:\/\/oidc\.eks\./.test(issuer)) return { namespace: "default", service_account: "app" };
    return {};
  }

  async function loadTryOptions() {
    if (tryLoaded) return;
    let options;
    try {
      options = await (await fetch("/_sts-mock/try", { cache: "no-store" })).json();
    } catch (error) {
      $("try-answer").textContent = `Cannot read the roles: ${error}`;
      return;
    }
    tryLoaded = true;
    const roles = $("try-role");
    roles.replaceChildren(...options.roles.map((r) => el("option", { value: r.arn, text: r.arn })));
    for (const r of options.roles) {
      ensureOption($("filter-role"), r.arn, roleName(r.arn));
    }
    const issuers = $("try-issuer");
    issuers.replaceChildren(...options.issuers.map((i) => el("option", { value: i.issuer, text: i.issuer })));
    if (options.issuers.length === 0) {
      issuers.append(el("option", { value: "", text: "(no issuer is mapped: paste a token)" }));
    }
    $("try-session").placeholder = options.default_session_name || "try-it";
    if (!fieldsEdited) $("try-fields").value = JSON.stringify(mintExample(issuers.value));
    syncFilterControls();
  }

  function tokenSource() {
    return document.querySelector("input[name=source]:checked").value;
  }

  function parseTags(text) {
    const tags = {};
    for (const line of text.split("\n")) {
      const trimmed = line.trim();
      if (!trimmed) continue;
      const at = trimmed.indexOf("=");
      if (at <= 0) throw new Error(`"${trimmed}" is not KEY=VALUE`);
      tags[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
    }
    return Object.keys(tags).length ? tags : null;
  }

  function renderTryAnswer(answer) {
    const box = $("try-answer");
    const allowed = answer.allowed;
    const head = el("p", { class: "verdict-line " + (allowed ? "allowed" : "refused") },
      el("strong", { text: allowed ? "✓ Allowed" : "✗ Refused" }),
      allowed
        ? ": AssumeRoleWithWebIdentity would return credentials for this token."
        : `: STS would answer ${answer.error.code}: ${answer.error.message}`);
    box.replaceChildren(head, el("p", { class: "reason" }, el("strong", { text: "Why: " }), answer.reason || ""));
    if (answer.subject || answer.issuer) {
      box.append(el("p", {}, el("strong", { text: "Token: " }), `iss ${answer.issuer || "(none)"}, sub ${answer.subject || "(none)"}`));
    }
    for (const note of answer.notes || []) box.append(el("p", { class: "note", text: `Note: ${note}` }));
    if (answer.explanation) box.append(renderExplanation(answer.explanation, "The trust policy"));
    if (answer.context) {
      const rows = Object.entries(answer.context).map(([key, values]) =>
        el("tr", {}, el("th", { scope: "row" }, el("code", { text: key })), el("td", { text: values.join(", ") })));
      box.append(el("details", { class: "context" },
        el("summary", { text: "The request context STS would build" }),
        el("table", {}, el("tbody", {}, ...rows))));
    }
    if (answer.token) {
      box.append(el("details", { class: "minted" },
        el("summary", { text: "The minted token" }),
        el("pre", { class: "token", text: answer.token })));
    }
  }

  async function tryIt(event) {
    event.preventDefault();
    const box = $("try-answer");
    const body = {
      role_arn: $("try-role").value,
      session_name: $("try-session").value.trim() || undefined,
    };
    try {
      const tags = parseTags($("try-tags").value);
      if (tags) body.tags = tags;
      if (tokenSource() === "mint") {
        const text = $("try-fields").value.trim();
        body.mint = { issuer: $("try-issuer").value, fields: text ? JSON.parse(text) : {} };
      } else {
        body.token = $("try-token").value.trim();
      }
    } catch (error) {
      box.replaceChildren(el("p", { class: "error-text", text: `Cannot ask: ${error.message}` }));
      return;
    }
    box.replaceChildren(el("p", { text: "Asking…" }));
    try {
      const response = await fetch("/_sts-mock/try", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      if (!response.ok) {
        box.replaceChildren(el("p", { class: "error-text", text: `Cannot ask: ${answer.message || response.status}` }));
        return;
      }
      renderTryAnswer(answer);
    } catch (error) {
      box.replaceChildren(el("p", { class: "error-text", text: `Cannot ask: ${error}` }));
    }
  }

  // --- start ---------------------------------------------------------------------------------

  function start() {
    for (const id of ["filter-result", "filter-role", "filter-issuer"]) {
      $(id).addEventListener("change", readFilterControls);
    }
    $("filter-clear").addEventListener("click", () => setFilters({ result: "", role: "", issuer: "" }));
    $("coverage-refresh").addEventListener("click", loadCoverage);
    $("coverage-reset").addEventListener("click", resetCoverage);
    $("try-form").addEventListener("submit", tryIt);
    $("try-fields").addEventListener("input", () => { fieldsEdited = true; });
    $("try-issuer").addEventListener("change", () => {
      if (!fieldsEdited) $("try-fields").value = JSON.stringify(mintExample($("try-issuer").value));
    });
    for (const radio of document.querySelectorAll("input[name=source]")) {
      radio.addEventListener("change", () => {
        const mint = tokenSource() === "mint";
        $("mint-part").hidden = !mint;
        $("paste-part").hidden = mint;
      });
    }
    window.addEventListener("hashchange", showView);
    window.addEventListener("popstate", applyFilters);
    showView();
    applyFilters();
    loadTryOptions();
    connect(0);
  }

  start();
})();
