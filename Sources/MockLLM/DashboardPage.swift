/// The dashboard's page (`GET /_mockllm/ui`, `Dashboard`): one HTML document with its CSS and
/// JavaScript inline, so the binary serves it with nothing to fetch from elsewhere and no build
/// step. It polls `/metrics`, `/_mockllm/requests?limit=40`, `/_mockllm/rules`,
/// `/_mockllm/faults` and `/_mockllm/tests?limit=20` once a second and derives everything it
/// shows (rates, histogram windows, the engines' history) in the browser. Edit it here; the
/// browser test (`scripts/dashboard-test`) loads it against a server under load.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mockllm dashboard</title>
<style>
:root {
  --bg: #f5f6f8; --card: #ffffff; --line: #e2e5e9; --text: #1d2127; --muted: #68707b;
  --faint: #9aa1ab; --accent: #2f6db5; --accent-soft: #e7eef8; --bad: #b3261e;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px;
  background: var(--card); border-bottom: 1px solid var(--line); }
header h1 { font-size: 17px; margin: 0; font-weight: 600; letter-spacing: .01em; }
header .where { color: var(--muted); font-family: var(--mono); font-size: 13px; }
#status { margin-left: auto; color: var(--muted); font-size: 13px; }
#status .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%;
  background: var(--accent); margin-right: 6px; vertical-align: 1px; }
#status.stale .dot { background: var(--faint); }
body.stale main { opacity: .5; }  /* the numbers shown are the last ones read */
#banner { display: none; margin: 16px 24px 0; padding: 12px 16px; border: 1px solid var(--bad);
  border-radius: 6px; background: #fff; color: var(--bad); }
#banner.shown { display: block; }
#banner code { color: var(--text); }
main { padding: 16px 24px 32px; display: grid; gap: 16px;
  grid-template-columns: repeat(12, minmax(0, 1fr)); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 14px 16px; min-width: 0; }
section h2 { font-size: 13px; font-weight: 600; margin: 0 0 10px; color: var(--muted);
  text-transform: uppercase; letter-spacing: .06em; display: flex; gap: 8px; align-items: baseline; }
section h2 .note { text-transform: none; letter-spacing: 0; font-weight: 400; color: var(--faint); margin-left: auto; }
.w12 { grid-column: span 12; } .w8 { grid-column: span 8; } .w6 { grid-column: span 6; }
.w4 { grid-column: span 4; } .w3 { grid-column: span 3; }
@media (max-width: 1100px) { .w8, .w6, .w4, .w3 { grid-column: span 12; } }
.tiles { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 16px; }
.tile .label { color: var(--muted); font-size: 12px; }
.tile .value { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.tile .unit { font-size: 13px; color: var(--muted); font-weight: 400; margin-left: 3px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px;
  border-bottom: 1px solid var(--line); padding: 4px 8px; white-space: nowrap; }
td { padding: 4px 8px; border-bottom: 1px solid #f0f1f3; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; max-width: 260px; }
th.n, td.n { text-align: right; }
td.mono, .mono { font-family: var(--mono); font-size: 12.5px; }
td.bad { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
#journal { max-height: 420px; overflow: auto; }
#journal thead th { position: sticky; top: 0; background: var(--card); }
#journal tbody tr { cursor: pointer; }
#journal tbody tr:hover { background: #f7f8fa; }
#journal tbody tr.selected { background: var(--accent-soft); }
.empty { color: var(--muted); padding: 14px 4px; }
.empty code, .hint code { font-family: var(--mono); font-size: 12px; background: #f1f3f5;
  padding: 1px 5px; border-radius: 4px; color: var(--text); }
.spark { width: 100%; height: 64px; display: block; }
.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.spark polygon { fill: var(--accent-soft); stroke: none; }
.hist { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 20px; }
.hist h3, .engine h3 { font-size: 13px; margin: 0 0 4px; font-weight: 600; }
.hist .pcts { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; margin-bottom: 6px; min-height: 18px; }
.bars { width: 100%; height: 90px; display: block; }
.bars rect { fill: var(--accent); }
.ticks { position: relative; height: 16px; border-top: 1px solid var(--line); }
.ticks span { position: absolute; top: 2px; transform: translateX(-50%); font-size: 10.5px; color: var(--faint);
  font-family: var(--mono); white-space: nowrap; }
.engine { display: grid; grid-template-columns: 180px repeat(3, minmax(0, 1fr)); gap: 16px;
  align-items: center; padding: 8px 0; border-bottom: 1px solid #f0f1f3; }
.engine .g .label { font-size: 12px; color: var(--muted); display: flex; justify-content: space-between; }
.engine .g .label b { color: var(--text); font-weight: 600; font-variant-numeric: tabular-nums; }
.engine .spark { height: 40px; }
#detail { display: none; position: fixed; top: 0; right: 0; bottom: 0; width: min(720px, 92vw); z-index: 2;
  border-radius: 0; border-width: 0 0 0 1px; overflow: auto; box-shadow: -8px 0 24px rgba(20, 24, 30, .10); }
#detail.shown { display: block; }
#detail pre { max-height: none; }
#detail .meta { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 2px 14px; font-size: 13px; margin-bottom: 10px; }
#detail .meta dt { color: var(--muted); }
#detail .meta dd { margin: 0; font-variant-numeric: tabular-nums; }
.cols { display: grid; grid-template-columns: 1fr; gap: 4px; }
pre { margin: 0; font-family: var(--mono); font-size: 12px; background: #f7f8fa; border: 1px solid var(--line);
  border-radius: 6px; padding: 10px; max-height: 340px; overflow: auto; white-space: pre-wrap; word-break: break-word; }
h4 { margin: 6px 0; font-size: 12px; color: var(--muted); font-weight: 500; }
button { font: inherit; font-size: 12px; border: 1px solid var(--line); background: #fff; border-radius: 5px;
  padding: 2px 9px; color: var(--muted); cursor: pointer; }
</style>
</head>
<body>
<header>
  <h1>mockllm</h1><span class="where" id="where"></span>
  <span id="status" class="stale"><span class="dot"></span><span id="status-text">connecting…</span></span>
</header>
<div id="banner" role="alert"></div>
<main>
  <section class="w12">
    <div class="tiles">
      <div class="tile"><div class="label">Requests</div><div class="value"><span id="t-rps">–</span><span class="unit">/s</span></div></div>
      <div class="tile"><div class="label">Errors (4xx, 5xx)</div><div class="value"><span id="t-eps">–</span><span class="unit">/s</span></div></div>
      <div class="tile"><div class="label">Stream events</div><div class="value"><span id="t-events">–</span><span class="unit">/s</span></div></div>
      <div class="tile"><div class="label">Streams open</div><div class="value" id="t-streams">–</div></div>
      <div class="tile"><div class="label">Connections open</div><div class="value" id="t-conns">–</div></div>
      <div class="tile"><div class="label">Requests since start</div><div class="value" id="t-total">–</div></div>
    </div>
  </section>

  <section class="w8">
    <h2>Requests per second <span class="note" id="rps-note">since this page opened, up to 2 minutes</span></h2>
    <svg class="spark" id="rps-spark" viewBox="0 0 120 64" preserveAspectRatio="none"></svg>
    <div id="by-provider"></div>
  </section>
  <section class="w4">
    <h2>Rules <span class="note">use counters</span></h2>
    <div id="rules"></div>
  </section>

  <section class="w12">
    <h2>Latency <span class="note">streams in the last 10 seconds</span></h2>
    <div class="hist" id="hist"></div>
  </section>
  <section class="w12">
    <h2>Latest requests <span class="note" id="journal-note">newest first · click a row for its bodies</span></h2>
    <div id="journal"></div>
  </section>


  <section class="w12">
    <h2>Engines <span class="note">running, waiting and KV-cache use, up to the last 2 minutes</span></h2>
    <div id="engines"></div>
  </section>
  <section class="w6">
    <h2>Faults <span class="note" id="scenario"></span></h2>
    <div id="faults"></div>
  </section>
  <section class="w6">
    <h2>Test scopes <span class="note" id="scopes-note"></span></h2>
    <div id="scopes"></div>
  </section>

</main>
<section id="detail" aria-label="The selected request"></section>
<script>
"use strict";
// Everything here runs in the browser: the server only answers the admin API's bounded
// requests (counters, the newest journal entries) and this page derives rates and windows.
const POLL_MS = 1000, HISTORY = 120, WINDOW_S = 10, JOURNAL_ROWS = 40, SCOPE_ROWS = 20;
const TOKEN_KEY = "mockllm-admin-token";

// ?token= once: kept for this tab only, dropped from the address bar and history.
(function takeToken() {
  const url = new URL(location.href);
  const token = url.searchParams.get("token");
  if (token !== null) {
    sessionStorage.setItem(TOKEN_KEY, token);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + (url.search || "") + url.hash);
  }
})();
document.getElementById("where").textContent = location.host;

const $ = (id) => document.getElementById(id);
const state = {
  samples: [],          // [{t, counters, hists, gauges}] oldest first, about one a second
  journal: [], selected: null, lastOk: 0, failing: null,
};

function headers() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { "Authorization": "Bearer " + token } : {};
}

class HTTPError extends Error { constructor(status, text) { super(text); this.status = status; } }

async function get(path, asText) {
  const response = await fetch(path, { headers: headers(), cache: "no-store" });
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error.message; } catch (_) {}
    throw new HTTPError(response.status, message);
  }
  return asText ? response.text() : response.json();
}

// ---- Prometheus text: the few families the page shows -------------------------------------
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const brace = line.indexOf("{");
    const space = line.lastIndexOf(" ");
    let name, labels = {};
    if (brace >= 0 && brace < space) {
      name = line.slice(0, brace);
      const body = line.slice(brace + 1, line.lastIndexOf("}"));
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let m;
      while ((m = re.exec(body)) !== null) labels[m[1]] = m[2].replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
    } else {
      name = line.slice(0, space);
    }
    samples.push({ name, labels, value: Number(line.slice(space + 1)) });
  }
  return samples;
}

function digest(samples) {
  const counters = { byKey: {}, byRule: {}, events: 0, total: 0, errors: 0 };
  const gauges = { streams: 0, conns: 0, engines: {} };
  const hists = { ttft: [], itl: [], late: [] };
  const histNames = { mockllm_time_to_first_token_seconds_bucket: "ttft",
    mockllm_inter_token_seconds_bucket: "itl", mockllm_emission_lateness_seconds_bucket: "late" };
  for (const s of samples) {
    if (s.name === "mockllm_requests_total") {
      const key = (s.labels.provider || "–") + " " + s.labels.status;
      counters.byKey[key] = (counters.byKey[key] || 0) + s.value;
      if (s.labels.rule) counters.byRule[s.labels.rule] = (counters.byRule[s.labels.rule] || 0) + s.value;
      counters.total += s.value;
      if (Number(s.labels.status) >= 400) counters.errors += s.value;
    } else if (s.name === "mockllm_stream_events_total") counters.events = s.value;
    else if (s.name === "mockllm_streams_open") gauges.streams = s.value;
    else if (s.name === "mockllm_connections_open") gauges.conns = s.value;
    else if (histNames[s.name]) hists[histNames[s.name]].push([s.labels.le === "+Inf" ? Infinity : Number(s.labels.le), s.value]);
    else if (s.name.startsWith("vllm:") || s.name.startsWith("sglang:")) {
      // vLLM's names or SGLang's (--metrics-style). Every model has the gauges (a model without
      // an engine: its requests in flight); only an engine's has samples in the TTFT histogram.
      const model = s.labels.model_name;
      if (!model) continue;
      const e = gauges.engines[model] || (gauges.engines[model] = {});
      const n = s.name.slice(s.name.indexOf(":") + 1);
      if (n === "num_requests_running" || n === "num_running_reqs") e.running = s.value;
      else if (n === "num_requests_waiting" || n === "num_queue_reqs") e.waiting = s.value;
      else if (n === "kv_cache_usage_perc" || n === "token_usage") e.kv = s.value;
      else if (n === "time_to_first_token_seconds_count") e.engine = true;
    }
  }
  return { counters, gauges, hists };
}

// ---- formatting -----------------------------------------------------------------------------
const nf0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
function rate(x) { return x === null || x === undefined ? "–" : x >= 100 ? nf0.format(x) : nf1.format(x); }
function count(x) { return x === null || x === undefined ? "–" : nf0.format(x); }
function seconds(s) {
  if (s === null || s === undefined || !isFinite(s)) return "–";
  // 0 is exact: a reply written whole in the callback that read its request (the journal reads no clock for it).
  if (s === 0) return "0 ms";
  if (s > 0 && s < 0.000001) return "< 1 µs";
  if (s < 0.001) return (s * 1e6).toFixed(0) + " µs";
  if (s < 1) return (s * 1e3).toFixed(s < 0.01 ? 2 : 1) + " ms";
  return s.toFixed(2) + " s";
}
function ms(x) { return x === null || x === undefined ? "–" : seconds(x / 1000); }
function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function empty(html) { return '<div class="empty">' + html + "</div>"; }

// ---- charts, drawn here (SVG) ---------------------------------------------------------------
// The series spans the width: the samples since the page opened, up to HISTORY of them.
function sparkline(svg, values, maxHint) {
  const h = 64, width = 120;
  const max = Math.max(maxHint || 0, ...values, 1e-9);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const pts = values.map((v, i) => [values.length > 1 ? i * step : width, h - 2 - (v / max) * (h - 6)]);
  const line = pts.map((p) => p[0].toFixed(2) + "," + p[1].toFixed(2)).join(" ");
  const area = pts.length ? pts[0][0].toFixed(2) + "," + h + " " + line + " " + pts[pts.length - 1][0].toFixed(2) + "," + h : "";
  svg.setAttribute("viewBox", "0 0 " + width + " " + h);
  svg.innerHTML = '<polygon points="' + area + '"/><polyline points="' + line + '"/>';
}

// Per-bucket counts of a cumulative histogram window (latest minus the oldest sample kept).
function windowOf(kind) {
  const latest = state.samples[state.samples.length - 1];
  const now = latest.t;
  const base = state.samples.find((s) => now - s.t <= WINDOW_S * 1000 + 500) || latest;
  const a = latest.hists[kind], b = base === latest ? null : base.hists[kind];
  const cumulative = a.map(([le, v], i) => [le, v - (b && b[i] ? b[i][1] : 0)]);
  return cumulative.map(([le, v], i) => [le, Math.max(0, v - (i ? cumulative[i - 1][1] : 0))]);
}

function quantile(buckets, q) {
  const total = buckets.reduce((a, [, c]) => a + c, 0);
  if (!total) return null;
  let seen = 0, lower = 0;
  for (const [le, c] of buckets) {
    if (seen + c >= q * total) {
      if (!isFinite(le)) return lower;  // beyond the last bound: at least it
      return lower + (le - lower) * ((q * total - seen) / (c || 1));
    }
    seen += c; lower = le;
  }
  return lower;
}

function drawHistograms() {
  const titles = { ttft: "Time to first token", itl: "Inter-token latency", late: "Emission lateness" };
  const blocks = [];
  for (const kind of ["ttft", "itl", "late"]) {
    const buckets = windowOf(kind);
    const total = buckets.reduce((a, [, c]) => a + c, 0);
    let body;
    if (!total) {
      body = empty(kind === "late"
        ? "No timed writes. Paced streams show here: <code>x-mockllm-itl-ms: 20</code>."
        : "No streams. Run <code>mockllm bench " + esc(location.origin) + " --duration 30</code>.");
    } else {
      const max = Math.max(...buckets.map(([, c]) => c));
      const w = 100 / buckets.length;
      const rects = buckets.map(([le, c], i) => {
        const h = c ? Math.max(1, (c / max) * 72) : 0;
        return '<rect x="' + (i * w + 0.4).toFixed(2) + '" y="' + (76 - h).toFixed(2) + '" width="' + (w - 0.8).toFixed(2) +
          '" height="' + h.toFixed(2) + '"><title>≤ ' + (isFinite(le) ? seconds(le) : "∞") + ": " + count(c) + "</title></rect>";
      }).join("");
      // A tick under each bar that ends a decade (100 µs, 1 ms, 10 ms, ...), placed in percent.
      const ticks = buckets.map(([le], i) => [le, i]).filter(([le]) => isFinite(le) && Math.abs(Math.log10(le) - Math.round(Math.log10(le))) < 1e-9)
        .map(([le, i]) => '<span style="left:' + ((i + 1) * w).toFixed(2) + '%">' + seconds(le).replace(/\.0+ /, " ") + "</span>").join("");
      body = '<div class="pcts">p50 ' + seconds(quantile(buckets, 0.5)) + " · p99 " + seconds(quantile(buckets, 0.99)) +
        " · " + count(total) + (kind === "itl" ? " intervals" : kind === "late" ? " writes" : " streams") + "</div>" +
        '<svg class="bars" viewBox="0 0 100 90" preserveAspectRatio="none">' + rects + "</svg>" +
        '<div class="ticks">' + ticks + "</div>";
    }
    blocks.push('<div id="hist-' + kind + '"><h3>' + titles[kind] + "</h3>" + body + "</div>");
  }
  $("hist").innerHTML = blocks.join("");
}

// ---- the sections ---------------------------------------------------------------------------
function ratesBetween(a, b) {
  const dt = (b.t - a.t) / 1000;
  if (dt <= 0) return null;
  const d = (x, y) => Math.max(0, y >= x ? y - x : y) / dt;  // a restarted server counts from 0
  const byKey = {};
  for (const key of Object.keys(b.counters.byKey)) byKey[key] = d(a.counters.byKey[key] || 0, b.counters.byKey[key]);
  return { total: d(a.counters.total, b.counters.total), errors: d(a.counters.errors, b.counters.errors),
    events: d(a.counters.events, b.counters.events), byKey };
}

function drawTraffic() {
  const s = state.samples, latest = s[s.length - 1];
  const r = s.length > 1 ? ratesBetween(s[s.length - 2], latest) : null;
  $("t-rps").textContent = r ? rate(r.total) : "–";
  $("t-eps").textContent = r ? rate(r.errors) : "–";
  $("t-events").textContent = r ? rate(r.events) : "–";
  $("t-streams").textContent = count(latest.gauges.streams);
  $("t-conns").textContent = count(latest.gauges.conns);
  $("t-total").textContent = count(latest.counters.total);
  const series = [];
  for (let i = 1; i < s.length; i++) { const x = ratesBetween(s[i - 1], s[i]); series.push(x ? x.total : 0); }
  sparkline($("rps-spark"), series);
  if (series.length) $("rps-note").textContent = "since this page opened, up to 2 minutes · peak " + rate(Math.max(...series)) + "/s";
  const keys = Object.keys(latest.counters.byKey).sort();
  if (!keys.length) {
    $("by-provider").innerHTML = empty("No provider requests yet. Send one: <code>curl " + esc(location.origin) +
      "/v1/chat/completions -d '{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}'</code>");
    return;
  }
  const rows = keys.map((key) => {
    const [provider, status] = key.split(" ");
    const bad = Number(status) >= 400 ? ' class="n bad"' : ' class="n"';
    return "<tr><td>" + esc(provider) + "</td><td" + bad + ">" + esc(status) + '</td><td class="n">' +
      (r ? rate(r.byKey[key]) : "–") + '</td><td class="n">' + count(latest.counters.byKey[key]) + "</td></tr>";
  });
  $("by-provider").innerHTML = '<table><thead><tr><th>Provider</th><th class="n">Status</th><th class="n">Per second</th>' +
    '<th class="n">Since start</th></tr></thead><tbody>' + rows.join("") + "</tbody></table>";
}

// Answered and per second: every request the rule answered (in test scopes too), from
// mockllm_requests_total's rule label. "Used" is the rule's own count against its times: limit.
function drawRules(rules) {
  if (!rules.length) {
    $("rules").innerHTML = empty("The script has no <code>rules:</code>. Replies come from <code>responses:</code> and the default. " +
      "See docs/CONFIG.md to add one, then <code>POST /_mockllm/reload</code>.");
    return;
  }
  const s = state.samples, latest = s[s.length - 1], before = s.length > 1 ? s[s.length - 2] : null;
  const dt = before ? (latest.t - before.t) / 1000 : 0;
  const rows = rules.map((rule) => {
    const label = "rule " + rule.name;
    const answered = latest.counters.byRule[label] || 0;
    const perSecond = before && dt > 0 ? Math.max(0, answered - (before.counters.byRule[label] || 0)) / dt : null;
    const used = rule.times === null ? '<span class="muted">–</span>' : count(rule.answered) + ' <span class="muted">of ' + count(rule.times) + "</span>";
    return '<tr><td title="line ' + rule.line + '">' + esc(rule.name) + (rule.fault ? ' <span class="muted">· fault</span>' : "") +
      '</td><td class="n">' + count(answered) + '</td><td class="n">' + rate(perSecond) + '</td><td class="n">' + used + "</td></tr>";
  });
  $("rules").innerHTML = '<table><thead><tr><th>Rule</th><th class="n">Answered</th><th class="n">Per second</th>' +
    '<th class="n" title="times: limit, outside test scopes">Used</th></tr></thead><tbody>' + rows.join("") + "</tbody></table>";
}

function drawJournal(report) {
  // Rows do not move under the pointer: the table holds still while it is pointed at.
  if (state.hovering) { state.pendingJournal = report; return; }
  state.pendingJournal = null;
  const entries = report.requests.slice().reverse();
  state.journal = entries;
  if (!entries.length) {
    $("journal").innerHTML = empty(report.total
      ? "The journal holds no entries now (cleared). New requests appear here."
      : "No requests journaled yet. Requests to the provider endpoints appear here as they arrive " +
        "(the journal keeps the last 1,000; <code>--journal-size 0</code> turns it off).");
    return;
  }
  const rows = entries.map((e) => {
    const bad = e.status >= 400 ? ' class="n bad"' : ' class="n"';
    const sel = state.selected && state.selected.seq === e.seq ? ' class="selected"' : "";
    return "<tr" + sel + ' data-seq="' + e.seq + '"><td class="n muted">' + e.seq + '</td><td class="mono">' + esc(e.time.slice(11, 23)) +
      '</td><td class="mono">' + esc(e.method + " " + e.path) + "</td><td>" + esc(e.provider || "–") + "</td><td>" + esc(e.model || "–") +
      "</td><td>" + esc(e.rule || "–") + (e.fault ? ' <span class="muted">· ' + esc(e.fault) + "</span>" : "") + "</td><td" + bad + ">" + e.status +
      "</td><td>" + (e.stream ? "stream" : "") + '</td><td class="mono">' + esc(e.test || "") +
      '</td><td class="n">' + (e.stream ? ms(e.first_token_ms) : "–") + '</td><td class="n">' + (e.state === "in_progress" ? "…" : ms(e.duration_ms)) + "</td></tr>";
  });
  $("journal").innerHTML = '<table><thead><tr><th class="n">#</th><th>Time (UTC)</th><th>Request</th><th>Provider</th><th>Model</th>' +
    '<th>Answered by</th><th class="n">Status</th><th>Kind</th><th>Test scope</th><th class="n">First token</th><th class="n">Duration</th></tr></thead><tbody>' +
    rows.join("") + "</tbody></table>";
}

function pretty(body) {
  if (body === null || body === undefined) return "(empty)";
  return typeof body === "string" ? body : JSON.stringify(body, null, 2);
}

function drawDetail() {
  const e = state.selected, box = $("detail");
  if (!e) { box.classList.remove("shown"); box.innerHTML = ""; return; }
  box.classList.add("shown");
  const headers = Object.entries(e.headers || {}).map(([k, v]) => k + ": " + v).join("\n") || "(none shown)";
  const reply = e.reply_body !== undefined && e.reply_body !== null
    ? pretty(e.reply_body)
    : e.stream
      ? "A stream of " + (e.events ?? "…") + " events; the journal keeps no stream text."
      : "(not kept)";
  const dl = [["Status", e.status], ["Answered by", e.rule || "–"], ["Provider", e.provider || "–"], ["Fault", e.fault || "–"],
    ["Model", e.model || "–"], ["Test scope", e.test || "–"], ["First byte", ms(e.first_byte_ms)], ["First token", ms(e.first_token_ms)],
    ["Duration", ms(e.duration_ms)], ["Events", e.events ?? "–"], ["Body", count(e.body_bytes) + " bytes" + (e.body_truncated ? " (truncated)" : "")],
    ["API key sent", e.api_key ? "yes" : "no"]];
  box.innerHTML = '<h2>Request #' + e.seq + ' <span class="note mono">' + esc(e.method + " " + e.path + " · " + e.time) +
    '</span><button id="detail-close" type="button">Close</button></h2><dl class="meta">' +
    dl.map(([k, v]) => "<dt>" + k + "</dt><dd>" + esc(v) + "</dd>").join("") + '</dl><div class="cols"><div><h4>Request body</h4><pre id="detail-body">' +
    esc(pretty(e.body)) + '</pre><h4>Request headers</h4><pre id="detail-headers">' + esc(headers) +
    '</pre></div><div><h4>Reply</h4><pre id="detail-reply">' + esc(reply) + "</pre></div></div>";
  $("detail-close").onclick = () => { state.selected = null; drawDetail(); markSelected(); };
}

function markSelected() {
  for (const tr of document.querySelectorAll("#journal tbody tr")) {
    tr.classList.toggle("selected", !!state.selected && tr.dataset.seq === String(state.selected.seq));
  }
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && state.selected) { state.selected = null; drawDetail(); markSelected(); }
});
$("journal").addEventListener("mouseenter", () => {
  state.hovering = true;
  $("journal-note").textContent = "paused while the pointer is on the table";
});
$("journal").addEventListener("mouseleave", () => {
  state.hovering = false;
  $("journal-note").textContent = "newest first · click a row for its bodies";
  if (state.pendingJournal) drawJournal(state.pendingJournal);
});
$("journal").addEventListener("click", (event) => {
  const tr = event.target.closest("tr[data-seq]");
  if (!tr) return;
  state.selected = state.journal.find((e) => String(e.seq) === tr.dataset.seq) || null;
  drawDetail();
  markSelected();
});

function drawFaults(report) {
  $("scenario").textContent = report.scenario ? "scenario: " + report.scenario : "no scenario active";
  if (!report.faults.length) {
    $("faults").innerHTML = empty("No faults armed. Add a <code>faults:</code> section or a rule's <code>fault:</code> " +
      "(docs/FAULTS.md), or send <code>x-mockllm-fault: 429</code> on a request.");
    return;
  }
  const rows = report.faults.map((f) => "<tr><td>" + esc(f.name) + "</td><td>" + esc(f.scenario || "–") + "</td><td>" +
    (f.active ? "armed" : '<span class="muted">idle</span>') + '</td><td class="n">' + count(f.counted) + '</td><td class="n">' + count(f.injected) + "</td></tr>");
  $("faults").innerHTML = '<table><thead><tr><th>Fault</th><th>Scenario</th><th>State</th><th class="n">Requests seen</th>' +
    '<th class="n">Fired</th></tr></thead><tbody>' + rows.join("") + "</tbody></table>";
}

function drawScopes(report) {
  $("scopes-note").textContent = count(report.count) + " of " + count(report.limit) + " kept" + (report.evicted ? ", " + count(report.evicted) + " evicted" : "");
  if (!report.tests.length) {
    $("scopes").innerHTML = empty("No test scopes. A request with <code>x-mockllm-test: my_test</code> (or a path under " +
      "<code>/t/my_test/</code>) gets its own counters and script (docs/SCOPES.md).");
    return;
  }
  const rows = report.tests.map((t) => '<tr><td class="mono">' + esc(t.id) + "</td><td>" + (t.script ? "own script" : '<span class="muted">server\'s script</span>') + "</td></tr>");
  $("scopes").innerHTML = '<table><thead><tr><th>Scope (most recent first)</th><th>Script</th></tr></thead><tbody>' + rows.join("") + "</tbody></table>" +
    (report.count > report.tests.length ? '<div class="muted" style="margin-top:6px">and ' + count(report.count - report.tests.length) + " more</div>" : "");
}

function drawEngines() {
  const s = state.samples, latest = s[s.length - 1];
  const models = Object.keys(latest.gauges.engines).filter((m) => latest.gauges.engines[m].engine).sort();
  if (!models.length) {
    $("engines").innerHTML = empty("No engine models. An <code>engines:</code> section in the script makes latency follow load " +
      "(docs/LOAD-SIMULATION.md); its batch, queue and KV cache show here.");
    return;
  }
  const box = $("engines");
  if (box.dataset.models !== models.join("\n")) {
    box.dataset.models = models.join("\n");
    box.innerHTML = models.map((m, i) => '<div class="engine"><h3 class="mono">' + esc(m) + "</h3>" +
      ["running", "waiting", "kv"].map((g) => '<div class="g"><div class="label"><span>' + { running: "Running", waiting: "Waiting", kv: "KV cache" }[g] +
        '</span><b id="e' + i + "-" + g + '"></b></div><svg class="spark" id="e' + i + "-" + g + '-spark" preserveAspectRatio="none"></svg></div>').join("") + "</div>").join("");
  }
  models.forEach((m, i) => {
    for (const g of ["running", "waiting", "kv"]) {
      const series = s.map((x) => (x.gauges.engines[m] || {})[g] || 0);
      const now = latest.gauges.engines[m][g];
      $("e" + i + "-" + g).textContent = g === "kv" ? (now === undefined ? "–" : (now * 100).toFixed(1) + " %") : count(now);
      sparkline($("e" + i + "-" + g + "-spark"), series, g === "kv" ? 1 : 0);
    }
  });
}

// ---- the poll -------------------------------------------------------------------------------
function showProblem(error) {
  const banner = $("banner");
  banner.classList.add("shown");
  if (error instanceof HTTPError && error.status === 401) {
    banner.innerHTML = "<b>401: the admin token is missing or wrong.</b> This server runs with <code>--admin-token</code>: open " +
      "<code>" + esc(location.origin + location.pathname) + "?token=TOKEN</code>. (" + esc(error.message) + ")";
  } else if (error instanceof HTTPError) {
    banner.innerHTML = "<b>The server answered " + error.status + ".</b> " + esc(error.message);
  } else {
    const since = state.lastOk ? " since " + new Date(state.lastOk).toLocaleTimeString() : "";
    banner.innerHTML = "<b>No answer from " + esc(location.host) + since + ".</b> The server may have stopped; this page keeps trying every second.";
  }
  $("status").classList.add("stale");
  document.body.classList.add("stale");
  $("status-text").textContent = error instanceof HTTPError ? "error " + error.status : "server gone";
}

// A tab nobody looks at asks nothing of the server: polling stops while the page is hidden
// and starts again, at once, when it is shown.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.sleeping) { state.sleeping = false; poll(); }
});

async function poll() {
  if (document.hidden) { state.sleeping = true; $("status-text").textContent = "paused while the tab is hidden"; return; }
  const started = performance.now();
  try {
    const [metrics, journal, rules, faults, scopes] = await Promise.all([
      get("/metrics", true), get("/_mockllm/requests?limit=" + JOURNAL_ROWS), get("/_mockllm/rules"),
      get("/_mockllm/faults"), get("/_mockllm/tests?limit=" + SCOPE_ROWS)]);
    const sample = digest(parseMetrics(metrics));
    sample.t = Date.now();
    state.samples.push(sample);
    if (state.samples.length > HISTORY + 1) state.samples.shift();
    state.lastOk = sample.t;
    $("banner").classList.remove("shown");
    $("status").classList.remove("stale");
    document.body.classList.remove("stale");
    $("status-text").textContent = "live · updated " + new Date(sample.t).toLocaleTimeString();
    drawTraffic();
    drawRules(rules.rules);
    drawJournal(journal);
    drawHistograms();
    drawFaults(faults);
    drawScopes(scopes);
    drawEngines();
    document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
  } catch (error) {
    showProblem(error);
  }
  setTimeout(poll, Math.max(100, POLL_MS - (performance.now() - started)));
}
poll();
</script>
</body>
</html>
"""#
}
