/* sdmission explorer page: controls -> POST /api/run -> uPlot charts and the target panel.
 *
 * One request in flight at a time; while it runs, further moves only mark the settings dirty and
 * the latest settings are sent when it returns ("latest wins"). window.__explore exposes the state
 * (settings, last series, last redraw time) for the browser test and for debugging.
 */
"use strict";

const S = {
  meta: null,        // /api/meta answer
  lang: null,
  scenario: null,    // key of the starting scenario
  targets: null,     // target set name
  settings: {},      // {lever: {level, start, ramp}} of the changed controls
  timing: {},        // {lever: {start, ramp}} of controls whose level is not changed yet
  charts: {},
  result: null,      // last /api/run answer
  inflight: false, dirty: false, t0: null,
  lastRedrawMs: null, runs: 0,
  band: null, bandOn: false, bandInflight: false, bandDirty: false, bandRuns: 0,
  bandMembers: 20,
};
window.__explore = S;

const $ = (id) => document.getElementById(id);
const OKABE = { current: "#0072B2", ghost: "#7F7F7F", target: "#D55E00", ref: "#333333" };

function ui(key, fields) {
  let s = (S.meta && S.meta.ui[key]) || key;
  for (const [k, v] of Object.entries(fields || {})) s = s.replace("{" + k + "}", v);
  return s;
}
function fmt(v, digits) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  return new Intl.NumberFormat(S.lang === "nl" ? "nl-NL" : "en-GB",
    { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v).replace("-", "\u2212");
}
function decimals(step) { return Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)); }

async function api(path, body) {
  const opts = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" },
                                            body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  const data = await r.json();
  if (!r.ok) throw new Error((data.errors || [r.statusText]).join("\n"));
  return data;
}
function showErrors(err) {
  const box = $("errors");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false; box.textContent = String(err.message || err);
}

// --- loading -----------------------------------------------------------------------------------
async function load(keepSettings) {
  const q = new URLSearchParams({ lang: S.lang || "", scenario: S.scenario || "", targets: S.targets || "" });
  const meta = await api("/api/meta?" + q.toString());
  S.meta = meta; S.lang = meta.lang; S.scenario = meta.scenario.key; S.targets = meta.target_set;
  if (!keepSettings) { S.settings = {}; S.timing = {}; }
  document.documentElement.lang = S.lang;
  buildHeader(); buildControls(); buildCharts();
  S.result = null;
  if (!keepSettings) S.band = null;
  if (Object.keys(S.settings).length) schedule(); else { draw(meta.ghost); if (S.bandOn) requestBand(); }
}

function buildHeader() {
  const m = S.meta;
  $("title").textContent = ui("explore.title");
  document.title = ui("explore.title");
  $("lbl-scenario").textContent = ui("explore.start_scenario");
  $("lbl-targets").textContent = ui("explore.target_set");
  $("reset-all").textContent = ui("explore.reset_all");
  $("save-open").textContent = ui("explore.save");
  $("save-button").textContent = ui("explore.save");
  $("open-button").textContent = ui("explore.open");
  $("open-path").placeholder = ui("explore.open_placeholder");
  $("lbl-name").textContent = ui("explore.name");
  $("lbl-description").textContent = ui("explore.description");
  $("targets-title").textContent = ui("explore.targets");
  $("lbl-band").textContent = ui("explore.band_toggle");
  $("scenario-description").textContent = m.scenario.description;
  $("scenario-description").title = m.scenario.description;
  const sel = $("scenario"); sel.innerHTML = "";
  for (const s of m.scenarios) {
    const o = new Option(s.label, s.key, false, s.key === m.scenario.key); o.title = s.file; sel.add(o);
  }
  const ts = $("targets"); ts.innerHTML = "";
  for (const t of m.target_sets) { const o = new Option(t.name, t.name, false, t.name === S.targets); o.title = t.description; ts.add(o); }
  const langs = $("langs"); langs.innerHTML = "";
  for (const l of m.langs) {
    const b = document.createElement("button"); b.type = "button"; b.textContent = l.toUpperCase();
    b.dataset.testid = "lang-" + l; b.setAttribute("data-testid", "lang-" + l);
    b.className = l === S.lang ? "on" : ""; b.onclick = () => { S.lang = l; load(true).catch(showErrors); };
    langs.appendChild(b);
  }
  if (!$("save-name").value) $("save-name").value = m.scenario.name + "-explored";
  updateChanged();
}

// --- controls ----------------------------------------------------------------------------------
function baseAt(c, year) {
  const i = Math.max(0, Math.min(c.base_years.length - 1, Math.round(year - c.base_years[0])));
  return c.base[i];
}
function timingOf(c) {
  const s = S.settings[c.name] || S.timing[c.name] || {};
  return { start: s.start !== undefined ? s.start : c.start_default, ramp: s.ramp !== undefined ? s.ramp : 0 };
}
function markerValue(c) { const t = timingOf(c); return c.timed ? baseAt(c, t.start + t.ramp) : c.base[0]; }

function buildControls() {
  const aside = $("controls"); aside.innerHTML = "";
  const byFamily = {};
  for (const c of S.meta.controls) (byFamily[c.family] = byFamily[c.family] || []).push(c);
  for (const f of S.meta.families) {
    const list = byFamily[f.id]; if (!list) continue;
    const d = document.createElement("details"); d.className = "family"; d.open = f.id !== "assumptions";
    d.dataset.family = f.id;
    const sum = document.createElement("summary"); sum.textContent = f.label; d.appendChild(sum);
    for (const c of list) d.appendChild(buildControl(c));
    aside.appendChild(d);
  }
}

function rangeRow(label, c, key, min, max, step, value, digits, onInput, withNumber) {
  const row = document.createElement("div"); row.className = "row";
  const lab = document.createElement("span"); lab.className = "lab"; lab.textContent = label;
  const track = document.createElement("div"); track.className = "track";
  const r = document.createElement("input"); r.type = "range"; r.min = min; r.max = max; r.step = step; r.value = value;
  r.setAttribute("data-testid", `lever-${c.name}-${key}`); r.setAttribute("aria-label", `${c.label}: ${label}`);
  track.appendChild(r);
  let out;
  if (withNumber) {
    out = document.createElement("input"); out.type = "number"; out.min = min; out.max = max; out.step = step;
    out.value = +(+value).toFixed(digits); out.setAttribute("data-testid", `lever-${c.name}-${key}-num`);
    out.setAttribute("aria-label", `${c.label}: ${label} (${c.units})`);
  } else {
    out = document.createElement("span"); out.className = "val"; out.textContent = value;
  }
  const sync = (v, from) => {
    if (from !== r) r.value = v;
    if (withNumber) { if (from !== out) out.value = +(+v).toFixed(digits); } else out.textContent = v;
  };
  r.addEventListener("input", () => { sync(r.value, r); onInput(+r.value); });
  if (withNumber) out.addEventListener("change", () => {
    let v = +out.value; if (!isFinite(v)) return; v = Math.min(max, Math.max(min, v)); sync(v, out); onInput(v);
  });
  row.append(lab, track, out);
  return { row, track, range: r, sync };
}

function buildControl(c) {
  const box = document.createElement("div"); box.className = "control"; box.dataset.lever = c.name;
  box.setAttribute("data-testid", `lever-${c.name}`);
  const head = document.createElement("div"); head.className = "head";
  const name = document.createElement("span"); name.className = "name"; name.textContent = c.label;
  name.title = c.name;
  const units = document.createElement("span"); units.className = "units";
  units.textContent = c.units + (c.elements.length ? " · " + ui("explore.total", { n: c.elements.length }) : "");
  const reset = document.createElement("button"); reset.type = "button"; reset.textContent = "\u21BA " + ui("explore.reset");
  reset.setAttribute("data-testid", `lever-${c.name}-reset`);
  const double = document.createElement("button"); double.type = "button"; double.textContent = "\u00D72";
  double.title = "2 \u00D7 " + ui("explore.ghost"); double.setAttribute("data-testid", `lever-${c.name}-double`);
  head.append(name, units, double, reset); box.appendChild(head);
  const d = decimals(c.step);
  const t = timingOf(c);
  const level = S.settings[c.name] ? S.settings[c.name].level : markerValue(c);
  const lv = rangeRow(ui("explore.level"), c, "level", c.low, c.high, c.step, level, d, (v) => setLevel(v), true);
  const marker = document.createElement("div"); marker.className = "marker"; lv.track.appendChild(marker);
  const ref = document.createElement("div"); ref.className = "ref"; ref.setAttribute("data-testid", `lever-${c.name}-ref`);
  box.append(lv.row, ref);
  const setLevel = (v) => {
    const tt = timingOf(c); S.settings[c.name] = { level: v, start: tt.start, ramp: tt.ramp };
    delete S.timing[c.name]; refresh(); schedule();
  };
  double.onclick = () => {
    const v = Math.min(c.high, Math.max(c.low, +(2 * markerValue(c)).toFixed(d))); lv.sync(v); setLevel(v);
  };
  let st = null, rp = null;
  const onTiming = (key) => (v) => {
    if (S.settings[c.name]) { S.settings[c.name][key] = v; refresh(); schedule(); }
    else { const tt = timingOf(c); tt[key] = v; S.timing[c.name] = tt; lv.sync(markerValue(c)); refresh(); }
  };
  if (c.timed) {
    st = rangeRow(ui("explore.start"), c, "start", c.start_min, c.start_max, 1, t.start, 0, onTiming("start"), false);
    rp = rangeRow(ui("explore.ramp"), c, "ramp", 0, c.ramp_max, 1, t.ramp, 0, onTiming("ramp"), false);
    box.append(st.row, rp.row);
  }
  function refresh() {
    const changed = !!S.settings[c.name];
    box.classList.toggle("changed", changed); reset.disabled = !changed;
    const mv = markerValue(c);
    const pct = (mv - c.low) / (c.high - c.low);
    marker.style.left = `calc(${100 * pct}% + ${8 - 16 * pct}px)`;
    const tt = timingOf(c);
    marker.title = ui("explore.marker", { value: fmt(mv, d) + " " + c.units });
    ref.textContent = "\u25BC " + ui("explore.marker", { value: fmt(mv, d) + " " + c.units }) +
      (c.timed ? " (" + (tt.start + tt.ramp) + ")" : "");
    updateChanged();
  }
  reset.onclick = () => {
    delete S.settings[c.name]; delete S.timing[c.name];
    const tt = timingOf(c);
    if (st) { st.sync(tt.start); rp.sync(tt.ramp); }
    lv.sync(markerValue(c)); refresh(); schedule();
  };
  refresh();
  return box;
}

function updateChanged() {
  const n = Object.keys(S.settings).length;
  $("changed").textContent = ui("explore.changed", { n });
  $("reset-all").disabled = n === 0;
}

// --- running -----------------------------------------------------------------------------------
function schedule() {
  if (S.t0 === null) S.t0 = performance.now();
  if (S.inflight) { S.dirty = true; return; }
  send();
}
async function send() {
  S.inflight = true; S.dirty = false;
  const t0 = S.t0; S.t0 = null;
  const body = { scenario: S.scenario, targets: S.targets, settings: JSON.parse(JSON.stringify(S.settings)) };
  try {
    const res = await api("/api/run", body);
    showErrors(null);
    if (!S.dirty) {
      const tDraw = performance.now();
      draw(res);
      S.lastDrawMs = performance.now() - tDraw;
      S.lastRedrawMs = performance.now() - t0; S.runs += 1;
      S.lastTiming = res.timing_ms;
      $("redraw").textContent = ui("explore.redraw", { ms: Math.round(S.lastRedrawMs) });
      $("redraw").dataset.ms = String(S.lastRedrawMs);
      if (S.bandOn) requestBand();
    } else if (S.t0 === null) S.t0 = t0;  // a newer move is waiting: measure from the older one
  } catch (e) { showErrors(e); }
  S.inflight = false;
  if (S.dirty) send();
}

async function requestBand() {
  if (S.bandInflight) { S.bandDirty = true; return; }
  S.bandInflight = true; S.bandDirty = false;
  try {
    const res = await api("/api/band", { scenario: S.scenario, members: S.bandMembers,
                                         settings: JSON.parse(JSON.stringify(S.settings)) });
    if (!S.bandDirty && S.bandOn) { S.band = res; S.bandRuns += 1; if (S.result) draw(S.result); }
  } catch (e) { showErrors(e); }
  S.bandInflight = false;
  if (S.bandDirty && S.bandOn) requestBand();
}
function bandOf(varName, scale) {
  const n = S.meta.ghost.series.years.length;
  if (!S.bandOn || !S.band) return [new Array(n).fill(null), new Array(n).fill(null)];
  const b = S.band[varName];
  return [b.p95.map((v) => (v === null ? null : scale * v)), b.p05.map((v) => (v === null ? null : scale * v))];
}
const bandSeries = (color) => [
  { label: ui("explore.band", { n: S.bandMembers }), stroke: color, width: 0.5, points: { show: false }, value: (u, v) => fmt(v, 1) },
  { label: "", stroke: color, width: 0.5, points: { show: false }, value: (u, v) => fmt(v, 1) },
];

// --- charts ------------------------------------------------------------------------------------
function chartSize(el) { const w = Math.max(320, el.parentElement.clientWidth); return { width: w, height: Math.round(Math.min(320, Math.max(220, w * 0.5))) }; }

function axes(yLabel, yDigits) {
  return [
    { stroke: "#222", grid: { stroke: "#eee" }, values: (u, vals) => vals.map((v) => String(v)), font: "13px system-ui" },
    { stroke: "#222", grid: { stroke: "#e4e4e4" }, label: yLabel, size: 64, labelFont: "bold 13px system-ui",
      font: "13px system-ui", values: (u, vals) => vals.map((v) => fmt(v, yDigits)) },
  ];
}
const line = (label, color, width, dash) => ({ label, stroke: color, width, dash, points: { show: false },
                                                value: (u, v) => fmt(v, 1) });
const pointsOnly = (label, color) => ({ label, stroke: color, fill: color, width: 0, paths: () => null,
                                        points: { show: true, size: 13, stroke: "#000", width: 1.5, fill: color },
                                        value: (u, v) => fmt(v, 1) });

function textHook(labelsFn) {
  return (u) => {
    const ctx = u.ctx; ctx.save(); ctx.font = `bold ${Math.round(13 * devicePixelRatio)}px system-ui`;
    ctx.fillStyle = "#000"; ctx.textBaseline = "bottom"; ctx.textAlign = "right";
    for (const [x, y, s] of labelsFn()) {
      if (y === null || y === undefined) continue;
      ctx.fillText(s, u.valToPos(x, "x", true) - 8 * devicePixelRatio, u.valToPos(y, "y", true) - 4 * devicePixelRatio);
    }
    ctx.restore();
  };
}

function targetPoints(years, metricToValue) {
  const pts = years.map(() => null); const labels = [];
  for (const t of S.targetsList || []) {
    const v = metricToValue(t); if (v === null) continue;
    const i = years.indexOf(t.year); if (i < 0) continue;
    pts[i] = v; labels.push([t.year, v, targetText(t)]);
  }
  return { pts, labels };
}
function targetText(t) {
  if (t.metric.endsWith("reduction_vs_1990")) return "\u2212" + fmt(100 * t.threshold, 0) + " %";
  if (t.metric === "circular_share") return fmt(100 * t.threshold, 0) + " %";
  if (t.threshold === 0) return ui("legend.net_zero");
  return fmt(t.threshold, 1) + " Mt";
}
function ghgTargetValue(t, panel) {
  const ref = S.meta.reference;
  if (panel === "national") {
    if (t.metric === "national_ghg") return t.threshold;
    if (t.metric === "ghg_reduction_vs_1990") return ref.national * (1 - t.threshold);
  } else {
    if (t.metric === "industry_ghg") return t.threshold;
    if (t.metric === "industry_ghg_reduction_vs_1990") return ref.industry * (1 - t.threshold);
  }
  return null;
}

function buildCharts() {
  for (const c of Object.values(S.charts)) c.u.destroy();
  S.charts = {};
  const ghost = S.meta.ghost.series;
  const years = ghost.years;
  S.targetsList = S.meta.ghost.targets;
  const routes = S.meta.routes, instruments = S.meta.instruments;
  const pal = S.meta.palettes;
  const mk = (id, opts, dataFn, labelsFn, bandIdx) => {
    const el = $(id);
    el.innerHTML = "";
    opts = Object.assign({ ...chartSize(el), scales: { x: { time: false } }, cursor: { drag: { x: false, y: false } },
                           legend: { live: true } }, opts);
    if (labelsFn) opts.hooks = { draw: [textHook(labelsFn)] };
    const u = new uPlot(opts, dataFn(S.meta.ghost), el);
    S.charts[id] = { u, dataFn, bandIdx: bandIdx || [] };
  };
  // 1. national GHG with the 1990 level and the target set
  const natT = () => targetPoints(years, (t) => ghgTargetValue(t, "national"));
  mk("chart-ghg", {
    title: `${ui("title.ghg")} — ${ui("var.national_ghg")} (${ui("axis.ghg")})`,
    axes: axes(ui("axis.ghg"), 0),
    scales: { x: { time: false }, y: { range: (u, lo, hi) => [Math.min(0, lo), Math.max(hi, S.meta.reference.national) * 1.05] } },
    series: [{ label: ui("axis.year"), value: (u, v) => v },
             line(ui("explore.current"), OKABE.current, 3),
             line(ui("explore.ghost"), OKABE.ghost, 2, [8, 5]),
             line(ui("legend.level_1990"), OKABE.ref, 1, [2, 4]),
             pointsOnly(ui("legend.target", { name: S.targets }), OKABE.target), ...bandSeries("rgba(0,114,178,0.5)")],
    bands: [{ series: [5, 6], fill: "rgba(0,114,178,0.15)" }],
  }, (res) => [years, res.series.national_ghg, ghost.national_ghg, years.map(() => S.meta.reference.national), natT().pts,
               ...bandOf("national_ghg", 1)],
     () => natT().labels, [5, 6]);
  // 2. industry GHG stacked by route (non-CO2 on top), the starting scenario's total as a ghost
  const order = [...routes.map((r) => r.id), "__non_co2"];
  const colours = Object.assign({ __non_co2: "#BBBBBB" }, pal.routes);
  const names = Object.fromEntries([...routes.map((r) => [r.id, r.label]), ["__non_co2", ui("legend.non_co2")]]);
  const part = (res, id) => (id === "__non_co2" ? res.series.non_co2 : res.series.routes[id]);
  let own = [];
  const stackSeries = [];
  for (let k = order.length - 1; k >= 0; k--) {
    const id = order[k];
    stackSeries.push({ label: names[id], stroke: "#fff", width: 1, fill: colours[id] || "#999", points: { show: false },
                       value: (u, v, si, i) => (i === null || i === undefined ? "–" : fmt(own[k][i], 1)) });
  }
  const indT = () => targetPoints(years, (t) => ghgTargetValue(t, "industry"));
  mk("chart-wedges", {
    title: `${ui("title.wedges")} (${ui("axis.ghg")})`, axes: axes(ui("axis.ghg"), 0),
    series: [{ label: ui("axis.year"), value: (u, v) => v }, ...stackSeries,
             line(ui("explore.ghost"), "#000", 2, [8, 5]), pointsOnly(ui("legend.target", { name: S.targets }), OKABE.target)],
  }, (res) => {
    own = order.map((id) => part(res, id));
    const cum = []; let acc = years.map(() => 0);
    for (const a of own) { acc = acc.map((v, i) => v + (a[i] || 0)); cum.push(acc); }
    return [years, ...cum.slice().reverse(), ghost.industry_ghg, indT().pts];
  }, () => indT().labels);
  // 3. circular share with 75 % and 100 %
  const pct = (a) => a.map((v) => (v === null ? null : 100 * v));
  const circT = () => targetPoints(years, (t) => (t.metric === "circular_share" ? 100 * t.threshold : null));
  mk("chart-circular", {
    title: `${ui("title.circular")} (%)`, axes: axes(ui("axis.share"), 0),
    scales: { x: { time: false }, y: { range: [0, 105] } },
    series: [{ label: ui("axis.year"), value: (u, v) => v },
             line(ui("explore.current"), "#009E73", 3), line(ui("explore.ghost"), OKABE.ghost, 2, [8, 5]),
             line("75 %", OKABE.ref, 1, [2, 4]), line("100 %", OKABE.ref, 1, [2, 4]),
             pointsOnly(ui("legend.target", { name: S.targets }), OKABE.target), ...bandSeries("rgba(0,158,115,0.5)")],
    bands: [{ series: [6, 7], fill: "rgba(0,158,115,0.15)" }],
  }, (res) => [years, pct(res.series.circular_share), pct(ghost.circular_share), years.map(() => 75), years.map(() => 100), circT().pts,
               ...bandOf("circular_share", 100)],
     () => circT().labels, [6, 7]);
  // 4. public cost by instrument and the net total
  const muted = pal.muted.length ? pal.muted : ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255"];
  mk("chart-cost", {
    title: `${ui("title.cost")} (${ui("axis.meur")})`, axes: axes(ui("axis.meur"), 0),
    series: [{ label: ui("axis.year"), value: (u, v) => v },
             ...instruments.map((it, j) => line(it.label, muted[j % muted.length], 2)),
             line(ui("legend.net_total"), "#000", 3.5), line(ui("explore.ghost") + " — " + ui("legend.net_total"), OKABE.ghost, 2, [8, 5])],
  }, (res) => [years, ...instruments.map((it) => res.series.public_cost[it.id]), res.series.public_cost_total, ghost.public_cost_total]);
  if (!S._resize) {
    S._resize = new ResizeObserver(() => { for (const [id, c] of Object.entries(S.charts)) c.u.setSize(chartSize($(id))); });
    S._resize.observe($("charts"));
  }
}

function draw(res) {
  S.result = res;
  S.targetsList = res.targets;
  for (const c of Object.values(S.charts)) {
    c.u.setData(c.dataFn(res));
    const rows = c.u.root.querySelectorAll(".u-legend .u-series");
    c.bandIdx.forEach((si, k) => { if (rows[si]) rows[si].style.display = S.bandOn && S.band && k === 0 ? "" : "none"; });
  }
  drawTargets(res);
}

function metricText(t, v) {
  if (v === null || v === undefined) return "–";
  if (t.units === "Dmnl") return fmt(100 * v, 1) + " %";
  return fmt(v, 1) + " Mt";
}
function drawTargets(res) {
  const head = $("target-panel").tHead; const body = $("target-panel").tBodies[0];
  head.innerHTML = ""; body.innerHTML = "";
  const hr = head.insertRow();
  for (const k of ["explore.col_target", "axis.year", "explore.col_value", "explore.col_start", "explore.col_met",
                   "explore.col_first", "explore.col_gap"]) {
    const th = document.createElement("th"); th.textContent = ui(k); hr.appendChild(th);
  }
  const ghost = Object.fromEntries(res.ghost_targets.map((g) => [g.id, g]));
  for (const t of res.targets) {
    const g = ghost[t.id] || {};
    const tr = body.insertRow(); tr.setAttribute("data-testid", "target-row-" + t.id); tr.dataset.value = String(t.value);
    tr.dataset.met = String(t.met); tr.dataset.firstYearMet = String(t.first_year_met); tr.dataset.gap = String(t.gap);
    const cells = [S.lang === "nl" ? t.label_nl : t.label, String(t.year), metricText(t, t.value), metricText(t, g.value),
                   ui(t.met ? "explore.met" : "explore.not_met"),
                   t.first_year_met === null ? ui("explore.never") : String(t.first_year_met), metricText(t, t.gap)];
    cells.forEach((txt, j) => {
      const td = tr.insertCell(); td.textContent = txt;
      const field = ["target", "year", "value", "start", "met", "first", "gap"][j]; td.dataset.field = field;
      if (field === "met") td.className = "met " + (t.met ? "yes" : "no");
      if (field === "value" && g.value !== undefined && t.value !== null && g.value !== null && t.value !== g.value) {
        const s = document.createElement("span"); s.className = "delta";
        const dv = t.value - g.value; const scale = t.units === "Dmnl" ? 100 : 1;
        s.textContent = (dv > 0 ? "\u25B2" : "\u25BC") + fmt(Math.abs(scale * dv), 1) + (t.units === "Dmnl" ? " pp" : "");
        td.appendChild(s);
      }
    });
  }
}

// --- header actions ----------------------------------------------------------------------------
function wire() {
  $("scenario").onchange = (e) => { S.scenario = e.target.value; $("save-name").value = ""; load(false).catch(showErrors); };
  $("open-button").onclick = async () => {
    try {
      const res = await api("/api/open", { path: $("open-path").value.trim() });
      S.scenario = res.key; $("save-name").value = ""; await load(false);
    } catch (e) { showErrors(e); }
  };
  $("targets").onchange = (e) => { S.targets = e.target.value; load(true).catch(showErrors); };
  $("band").onchange = (e) => {
    S.bandOn = e.target.checked; S.band = null;
    if (S.bandOn) requestBand(); else if (S.result) draw(S.result);
  };
  $("reset-all").onclick = () => { S.settings = {}; S.timing = {}; buildControls(); updateChanged(); schedule(); };
  $("save-open").onclick = () => { $("save-panel").hidden = !$("save-panel").hidden; };
  $("save-button").onclick = async () => {
    try {
      const res = await api("/api/save", { scenario: S.scenario, targets: S.targets, settings: S.settings,
                                           name: $("save-name").value.trim(), description: $("save-description").value });
      showErrors(null);
      $("save-result").textContent = ui("explore.saved", { path: res.path }) + "\n\n" + res.yaml;
      $("save-result").dataset.path = res.path;
    } catch (e) { showErrors(e); }
  };
}
wire();
load(false).catch(showErrors);
