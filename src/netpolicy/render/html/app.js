// netpolicy report: data model, filters, permalink, details panel and lists.
// Every string from the input reaches the page through textContent (el() below), never as HTML.
'use strict';

const D = JSON.parse(document.getElementById('netpolicy-data').textContent);
const DIFF = D.meta.diff;
const N = D.nodes.length;
const NS = D.namespaces;
const $ = (id) => document.getElementById(id);

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

// ---- model ---------------------------------------------------------------------------------------
const pairs = [];
const pairAt = new Map();
for (const [gs, gd, c, w] of D.pairs) {
  for (const s of D.groups[gs]) for (const d of D.groups[gd]) {
    const p = { s, d, c, w, status: pairStatus(c) };
    pairs.push(p); pairAt.set(s * N + d, p);
  }
}
const memberNode = new Map();
D.nodes.forEach((n, i) => n.members.forEach((m) => memberNode.set(m, i)));
const searchText = D.nodes.map((n) => [n.name, NS[n.ns].name, n.kind, ...n.members,
  ...Object.entries(n.labels || {}).map(([k, v]) => `${k}=${v}`), ...(n.cidrs || [])].join('\n').toLowerCase());
const nodeName = (i) => (D.nodes[i].ns === NS.length - 1 && NS[NS.length - 1].external ? D.nodes[i].name : `${NS[D.nodes[i].ns].name}/${D.nodes[i].name}`);

function pairStatus(c) {
  if (!DIFF) return c[0] < 0 ? 'denied' : (D.conns[c[0]].text === 'all' ? 'allowed' : 'partial');
  const [b, a] = c;
  if (b < 0 && a < 0) return 'denied';
  if (b < 0) return 'added';
  if (a < 0) return 'removed';
  return a === b ? 'same' : 'changed';
}
const connsText = (c) => (c < 0 ? 'nothing' : D.conns[c].text);
const pairLabel = (p) => (DIFF ? (p.status === 'same' ? connsText(p.c[1]) : `${connsText(p.c[0])} ⇒ ${connsText(p.c[1])}`) : connsText(p.c[0]));

// ---- state and permalink -------------------------------------------------------------------------
const state = { view: 'graph', q: '', proto: '', port: '', hidden: new Set(), expanded: new Set(),
  changesOnly: DIFF, hideIdle: true, sel: '', policy: -1 };
if (N <= 80) NS.forEach((_, i) => state.expanded.add(i));

function readHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  const names = (key) => new Set((h.get(key) || '').split(',').filter(Boolean).map((n) => NS.findIndex((x) => x.name === n)).filter((i) => i >= 0));
  if (h.has('v')) state.view = h.get('v');
  state.q = h.get('q') || ''; state.proto = h.get('p') || ''; state.port = h.get('port') || '';
  if (h.has('hide')) state.hidden = names('hide');
  if (h.has('x')) state.expanded = names('x');
  if (h.has('c')) state.changesOnly = h.get('c') === '1';
  if (h.has('idle')) state.hideIdle = h.get('idle') === '1';
  state.sel = h.get('sel') || '';
  state.policy = h.has('pol') ? Number(h.get('pol')) : -1;
}
function writeHash() {
  const h = new URLSearchParams();
  h.set('v', state.view);
  if (state.q) h.set('q', state.q);
  if (state.proto) h.set('p', state.proto);
  if (state.port) h.set('port', state.port);
  if (state.hidden.size) h.set('hide', [...state.hidden].map((i) => NS[i].name).join(','));
  h.set('x', [...state.expanded].map((i) => NS[i].name).join(','));
  if (DIFF) h.set('c', state.changesOnly ? '1' : '0');
  h.set('idle', state.hideIdle ? '1' : '0');
  if (state.sel) h.set('sel', state.sel);
  if (state.policy >= 0) h.set('pol', String(state.policy));
  history.replaceState(null, '', `#${h.toString()}`);
}

// ---- filters -------------------------------------------------------------------------------------
function inRanges(text, port) {
  return text.split(',').some((r) => { const [lo, hi] = r.split('-').map(Number); return port >= lo && port <= (hi ?? lo); });
}
function connsMatch(c) {
  if (c < 0) return false;
  if (!state.proto && state.port === '') return true;
  const port = state.port === '' ? null : Number(state.port);
  return D.conns[c].items.some((it) => {
    if (state.proto && it.protocol.toLowerCase() !== state.proto.toLowerCase()) return false;
    if (port === null) return true;
    if (it.ports) return inRanges(it.ports, port);
    if (it.types) return inRanges(String(it.types), port);
    return it.protocol === 'ICMP' || it.protocol === 'ICMPv6';
  });
}
function nodeMatches(i) {
  const terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
  return terms.every((t) => searchText[i].includes(t));
}
function pairVisible(p) {
  if (p.status === 'denied') return false;
  if (state.changesOnly && DIFF && p.status === 'same') return false;
  if (state.hidden.has(D.nodes[p.s].ns) || state.hidden.has(D.nodes[p.d].ns)) return false;
  if (state.q && !nodeMatches(p.s) && !nodeMatches(p.d)) return false;
  return p.c.some(connsMatch);
}

/** What the views show: units (a node, or a collapsed namespace) and the pairs between them. */
function buildModel() {
  const shownPairs = pairs.filter(pairVisible);
  const shown = new Set();
  for (const p of shownPairs) { shown.add(p.s); shown.add(p.d); }
  if (!state.hideIdle || state.q) {
    for (let i = 0; i < N; i++) {
      if (state.hidden.has(D.nodes[i].ns)) continue;
      if (state.q ? nodeMatches(i) : true) shown.add(i);
    }
  }
  const byNs = new Map();
  [...shown].sort((a, b) => a - b).forEach((i) => {
    const ns = D.nodes[i].ns;
    if (!byNs.has(ns)) byNs.set(ns, []);
    byNs.get(ns).push(i);
  });
  const units = [], unitOf = new Map(), hl = policyNodes();
  for (const [ns, members] of [...byNs.entries()].sort((a, b) => a[0] - b[0])) {
    const name = NS[ns].name;
    if (state.expanded.has(ns)) {
      const children = members.map((i) => {
        const n = D.nodes[i], id = `n${i}`;
        const iso = (n.isolated || []).length;
        const classes = [n.kind === 'External' ? 'external' : '', iso === 2 ? 'iso-both' : iso === 1 ? 'iso-one' : '',
          n.status || '', hl.has(i) ? 'hl' : ''].filter(Boolean).join(' ');
        const u = { id, label: n.name, ns, node: i, classes, nodes: [i] };
        unitOf.set(i, u); return u;
      });
      units.push({ id: `ns${ns}`, label: name, ns, children });
    } else {
      const u = { id: `ns${ns}`, label: `${name} (${members.reduce((a, i) => a + D.nodes[i].size, 0)})`, ns,
        collapsed: true, nodes: members, classes: members.some((i) => hl.has(i)) ? 'hl' : '' };
      members.forEach((i) => unitOf.set(i, u));
      units.push(u);
    }
  }
  const edges = new Map();
  for (const p of shownPairs) {
    const a = unitOf.get(p.s), b = unitOf.get(p.d), key = `${a.id}>${b.id}`;
    if (!edges.has(key)) edges.set(key, { id: `e${edges.size}`, from: a.id, to: b.id, pairs: [] });
    edges.get(key).pairs.push(p);
  }
  for (const e of edges.values()) {
    const statuses = new Set(e.pairs.map((p) => p.status));
    e.status = statuses.size === 1 ? [...statuses][0] : (DIFF ? 'mixed' : (statuses.has('partial') ? 'partial' : 'allowed'));
    const labels = new Set(e.pairs.map(pairLabel));
    e.label = labels.size === 1 ? [...labels][0] : `${e.pairs.length} flows`;
    if (e.label.length > 40) e.label = `${e.label.slice(0, 38)}…`;
  }
  const flat = units.flatMap((u) => u.children || [u]);
  const index = new Map(flat.map((u, k) => [u.id, k]));
  const cells = new Map();
  for (const e of edges.values()) cells.set(index.get(e.from) * flat.length + index.get(e.to), e);
  return {
    units, edges: [...edges.values()], edgeById: new Map([...edges.values()].map((e) => [e.id, e])),
    flat: { units: flat.map((u) => ({ label: u.collapsed ? `▸ ${u.label}` : `${NS[u.ns].name}/${u.label}`, ns: u.ns, collapsed: !!u.collapsed, unit: u })),
      cell: (r, c) => cells.get(r * flat.length + c) },
  };
}

function policyNodes() {
  return new Set(state.policy >= 0 && D.policies[state.policy] ? D.policies[state.policy].nodes : []);
}

// ---- details panel -------------------------------------------------------------------------------
const details = $('details');
function panel(...children) { details.replaceChildren(...children); details.scrollTop = 0; }

function showPair(s, d) {
  state.sel = `pair:${s}:${d}`; writeHash();
  const p = pairAt.get(s * N + d);
  const ns = D.nodes[s], nd = D.nodes[d];
  const head = [el('h2', {}, `${nodeName(s)} → ${nodeName(d)}`)];
  const status = p ? p.status : 'denied';
  const words = { allowed: 'everything allowed', partial: 'some ports allowed', denied: 'nothing allowed' };
  head.push(el('div', {}, el('span', { class: `pill ${status}` }, words[status] || status),
    ` stands for ${ns.size} × ${nd.size} endpoint pair${ns.size * nd.size === 1 ? '' : 's'}`));
  if (p && DIFF) head.push(el('dl', { class: 'kv' }, el('dt', {}, 'before'), el('dd', {}, connsText(p.c[0])), el('dt', {}, 'after'), el('dd', {}, connsText(p.c[1]))));
  else head.push(el('dl', { class: 'kv' }, el('dt', {}, 'allowed'), el('dd', {}, p ? connsText(p.c[0]) : 'nothing')));
  const body = [];
  if (p && p.w >= 0) {
    body.push(el('h3', {}, 'Why'));
    for (const entry of D.whys[p.w]) body.push(explanationCell(entry, s, d));
  } else {
    body.push(el('h3', {}, 'Why'));
    body.push(el('p', { class: 'hint' }, p ? 'This decision was not traced in the report (its trace budget was spent).' : 'Nothing is allowed between these two; the report traces denied pairs of small clusters only.'));
    body.push(...isolationSummary(s, d));
    body.push(el('p', {}, 'Trace it with:'), el('code', { class: 'cmd' }, queryCommand(s, d, p)));
  }
  panel(...head, ...body);
}

function explanationCell(entry, s, d) {
  const what = entry.conns === null ? 'nothing allowed' : D.conns[entry.conns].text;
  const cell = el('div', { class: 'cell' }, el('div', { class: 'head' }, el('span', {}, what), el('span', { class: 'where' }, entry.probe ? `traced: ${entry.probe}` : '')));
  if (!entry.probe) {
    cell.append(el('p', { class: 'hint' }, 'Not traced here (more cells than the report traces per pair); trace it with:'),
      el('code', { class: 'cmd' }, queryCommand(s, d, null)));
    return cell;
  }
  entry.flows.forEach((f, k) => {
    if (DIFF) cell.append(el('div', { class: 'side-title' }, k === 0 ? 'Before the change' : 'After the change'));
    cell.append(f === null ? el('p', { class: 'hint' }, 'An end does not exist on this side.') : flowView(D.flows[f]));
  });
  return cell;
}

function flowView(f) {
  const out = el('div', {});
  const what = `${f.protocol}${f.port !== null ? ` ${f.port}` : ''}${f.src_port !== null ? ` from source port ${f.src_port}` : ''}`;
  out.append(el('div', {}, el('span', { class: `verdict ${f.verdict}` }, f.verdict), ' ', el('span', { class: 'mono' }, `${f.from} → ${f.to}  ${what}`)));
  if (f.allowed_src_ports) out.append(el('div', { class: 'note' }, `only from source ports ${f.allowed_src_ports}`));
  out.append(sideView(`Egress of ${f.from}`, f.egress), sideView(`Ingress of ${f.to}`, f.ingress));
  for (const note of f.notes || []) out.append(el('div', { class: 'note' }, `note: ${note}`));
  if (f.pending) {
    out.append(el('div', { class: 'side-title' }, 'Pending (with the staged policies enforced): ', el('span', { class: `verdict ${f.pending.verdict}` }, f.pending.verdict)));
    out.append(sideView(`Egress of ${f.from} (pending)`, f.pending.egress), sideView(`Ingress of ${f.to} (pending)`, f.pending.ingress));
  }
  return out;
}

function sideView(title, side) {
  const list = el('ol', { class: 'steps' });
  for (const id of side.trace) {
    const s = D.steps[id];
    const where = [s.tier ? `tier ${s.tier}` : '', s.policy ? `${s.kind} ${s.policy}` : '', s.rule || ''].filter(Boolean).join(' · ');
    const li = el('li', {}, el('strong', {}, s.action), where ? el('span', { class: 'where' }, `  ${where}`) : null, el('div', {}, s.reason));
    if (s.unmatched) li.append(el('ul', { class: 'unmatched' }, s.unmatched.map((u) => el('li', {}, `${u.policy} ${u.rule}: ${u.reason}`))));
    if (s.location) li.append(el('div', { class: 'loc' }, s.location));
    for (const finding of s.findings || []) li.append(el('div', { class: 'lint' }, `lint: ${finding}`));
    list.append(li);
  }
  return el('div', { class: 'side' }, el('div', { class: 'side-title' }, `${title}: `, el('span', { class: `verdict ${side.verdict}` }, side.verdict)), list);
}

function isolationSummary(s, d) {
  const by = (node, dir) => D.policies.filter((p) => !p.staged && p.types.includes(dir) && p.nodes.includes(node)).map((p) => p.id);
  const eg = by(s, 'egress'), ig = by(d, 'ingress');
  return [el('dl', { class: 'kv' },
    el('dt', {}, 'source egress'), el('dd', {}, eg.length ? `isolated by ${eg.join(', ')}` : 'not isolated'),
    el('dt', {}, 'destination ingress'), el('dd', {}, ig.length ? `isolated by ${ig.join(', ')}` : 'not isolated'))];
}

function queryCommand(s, d, p) {
  const ref = (i) => { const m = D.nodes[i].members[0]; return D.nodes[i].kind === 'External' ? m.split('-')[0] : m; };
  const files = D.meta.sources.map((f) => `-f ${f}`).join(' ');
  let port = '';
  const c = p ? p.c.find((x) => x >= 0) : undefined;
  if (c !== undefined) { const it = D.conns[c].items[0]; port = ` --protocol ${it.protocol}${it.ports ? ` --port ${it.ports.split(/[-,]/)[0]}` : ''}`; }
  return `netpolicy query ${files} --from ${ref(s)} --to ${ref(d)}${port}`;
}

function showNode(i) {
  state.sel = `node:${i}`; writeHash();
  const n = D.nodes[i];
  const kv = el('dl', { class: 'kv' }, el('dt', {}, 'kind'), el('dd', {}, n.kind), el('dt', {}, 'namespace'), el('dd', {}, NS[n.ns].name));
  if (n.cidrs) kv.append(el('dt', {}, 'ranges'), el('dd', {}, n.cidrs.join(', ')));
  if (n.labels) kv.append(el('dt', {}, 'labels'), el('dd', {}, Object.entries(n.labels).map(([k, v]) => el('span', { class: 'pill' }, `${k}=${v}`))));
  if (n.isolated) kv.append(el('dt', {}, 'isolated'), el('dd', {}, n.isolated.length ? n.isolated.join(' and ') : 'no: every flow is allowed unless a Calico profile says otherwise'));
  if (n.status) kv.append(el('dt', {}, 'change'), el('dd', {}, el('span', { class: `pill ${n.status}` }, n.status)));
  const pols = D.policies.map((p, k) => [p, k]).filter(([p]) => p.nodes.includes(i));
  const peers = (out) => pairs.filter((p) => (out ? p.s === i : p.d === i) && p.status !== 'denied').map((p) => {
    const other = out ? p.d : p.s;
    return el('li', {}, el('button', { class: 'peer', onclick: () => showPair(p.s, p.d) }, nodeName(other)), `  ${pairLabel(p)}`);
  });
  panel(el('h2', {}, nodeName(i)), kv,
    el('h3', {}, `Members (${n.size})`), el('ul', { class: 'members' }, n.members.map((m) => el('li', {}, m)), n.size > n.members.length ? el('li', {}, `… ${n.size - n.members.length} more`) : null),
    el('h3', {}, 'Policies selecting it'), pols.length ? el('ul', { class: 'members' }, pols.map(([p, k]) => el('li', {}, el('button', { class: 'peer', onclick: () => showPolicy(k) }, p.id)))) : el('p', { class: 'hint' }, 'none'),
    el('h3', {}, 'Reaches'), el('ul', { class: 'members' }, peers(true)),
    el('h3', {}, 'Reached from'), el('ul', { class: 'members' }, peers(false)));
}

function showNamespace(ns) {
  const count = D.nodes.filter((n) => n.ns === ns).length;
  panel(el('h2', {}, NS[ns].name),
    el('dl', { class: 'kv' }, el('dt', {}, 'groups'), el('dd', {}, String(count)),
      el('dt', {}, 'labels'), el('dd', {}, Object.entries(NS[ns].labels).map(([k, v]) => el('span', { class: 'pill' }, `${k}=${v}`)))),
    el('p', {}, el('button', { class: 'ghost', onclick: () => toggleNs(ns) }, state.expanded.has(ns) ? 'Collapse' : 'Expand')));
}

function showEdge(e) {
  if (e.pairs.length === 1) { showPair(e.pairs[0].s, e.pairs[0].d); return; }
  panel(el('h2', {}, `${e.pairs.length} flows`),
    el('ul', { class: 'members' }, e.pairs.map((p) => el('li', {}, el('button', { class: 'peer', onclick: () => showPair(p.s, p.d) }, `${nodeName(p.s)} → ${nodeName(p.d)}`), el('span', { class: `pill ${p.status}` }, pairLabel(p))))));
}

function showPolicy(k) {
  state.policy = k; state.sel = `policy:${k}`; render();
  const p = D.policies[k];
  const findings = D.findings.filter((f) => f.policy === k);
  panel(el('h2', {}, p.id),
    el('dl', { class: 'kv' }, el('dt', {}, 'kind'), el('dd', {}, p.kind), el('dt', {}, 'tier'), el('dd', {}, p.tier || '—'),
      el('dt', {}, 'directions'), el('dd', {}, p.types.join(', ')), el('dt', {}, 'file'), el('dd', { class: 'loc' }, p.location || '—'),
      p.staged ? el('dt', {}, 'staged') : null, p.staged ? el('dd', {}, 'yes: not enforced') : null),
    el('h3', {}, `Selects (${p.nodes.length}, highlighted)`), el('ul', { class: 'members' }, p.nodes.map((i) => el('li', {}, el('button', { class: 'peer', onclick: () => showNode(i) }, nodeName(i))))),
    el('h3', {}, 'Lint findings'), findings.length ? el('ul', { class: 'members' }, findings.map((f) => el('li', {}, el('span', { class: `sev ${f.severity}` }, f.severity), ` ${f.rule}: ${f.message}`))) : el('p', { class: 'hint' }, 'none'),
    el('p', {}, el('button', { class: 'ghost', onclick: () => { state.policy = -1; render(); } }, 'Clear highlight')));
}

// ---- lists ---------------------------------------------------------------------------------------
function rowsTable(headers, rows) {
  return el('table', { class: 'grid' }, el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))), el('tbody', {}, rows));
}
function clickableRow(cells, action) {
  return el('tr', { class: 'clickable', tabindex: 0, onclick: action, onkeydown: (ev) => { if (ev.key === 'Enter') action(); } }, cells.map((c) => el('td', {}, c)));
}
function renderFindings() {
  const rows = D.findings.map((f) => clickableRow([el('span', { class: `sev ${f.severity}` }, f.severity), f.rule, f.message,
    el('span', { class: 'loc' }, f.file ? `${f.file}:${f.line ?? ''}` : ''), f.object], () => (f.policy !== null ? showPolicy(f.policy) : null)));
  $('view-findings').replaceChildren(el('h2', {}, `Lint findings (${D.findings.length})`),
    D.findings.length ? rowsTable(['severity', 'rule', 'message', 'file:line', 'object'], rows) : el('p', { class: 'empty' }, 'No findings.'));
}
function renderExpectations() {
  const x = D.expectations;
  if (!x) { $('view-expectations').replaceChildren(el('p', { class: 'empty' }, 'No expectations: give --expect FILE.')); return; }
  const rows = x.results.map((r) => clickableRow([el('span', { class: `st ${r.status}` }, r.status), r.name, `${r.expect} ${r.quantifier}`,
    `${r.from.join(', ')} → ${r.to.join(', ')}`, el('span', { class: 'loc' }, `${r.file}:${r.line}`),
    (r.failures || []).map((f) => el('div', {}, el('button', { class: 'peer', onclick: (ev) => { ev.stopPropagation(); openFlow(f.from, f.to); } }, `${f.from} → ${f.to}`)))],
  () => { const f = (r.failures || [])[0]; if (f) openFlow(f.from, f.to); }));
  const s = x.summary;
  $('view-expectations').replaceChildren(el('h2', {}, `Expectations: ${s.passed} passed, ${s.failed} failed, ${s.errors} errors`),
    rowsTable(['status', 'name', 'expect', 'from → to', 'file:line', 'failing pairs'], rows));
}
function openFlow(from, to) {
  const s = memberNode.get(from), d = memberNode.get(to);
  if (s !== undefined && d !== undefined) showPair(s, d);
}
function renderPolicies() {
  const rows = D.policies.map((p, k) => clickableRow([p.id, p.kind, p.tier || '', p.types.join(', '), String(p.nodes.length), el('span', { class: 'loc' }, p.location || '')], () => showPolicy(k)));
  $('view-policies').replaceChildren(el('h2', {}, `Policies (${D.policies.length})`), rowsTable(['policy', 'kind', 'tier', 'directions', 'selects', 'file:line'], rows));
}

// ---- views ---------------------------------------------------------------------------------------
let cy = null, model = null;
const matrix = new MatrixView($('matrix-scroll'), $('matrix-spacer'), $('matrix-canvas'), $('matrix-tip'), {
  cell: (r, c) => { const e = model.flat.cell(r, c); const a = model.flat.units[r].unit, b = model.flat.units[c].unit;
    if (e) showEdge(e); else if (!a.collapsed && !b.collapsed) showPair(a.node, b.node); else panel(el('p', { class: 'hint' }, 'Nothing allowed between these namespaces (with the filters set).')); },
  header: (k) => { const u = model.flat.units[k].unit; if (u.collapsed) toggleNs(u.ns); else showNode(u.node); },
});

function toggleNs(ns) {
  if (state.expanded.has(ns)) state.expanded.delete(ns); else state.expanded.add(ns);
  render(); renderNamespaces();
}

function render() {
  writeHash();
  model = buildModel();
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.view === state.view));
  for (const v of ['graph', 'matrix', 'findings', 'expectations', 'policies']) $(`view-${v}`).hidden = v !== state.view;
  if (state.view === 'graph') {
    cy = drawGraph($('graph'), model, {
      edge: (id) => showEdge(model.edgeById.get(id)),
      node: (id) => (id.startsWith('ns') ? showNamespace(Number(id.slice(2))) : showNode(Number(id.slice(1)))),
      toggle: (id) => toggleNs(Number(id.slice(2))),
    }, cy);
    if (!model.units.length) $('graph').replaceChildren(el('p', { class: 'empty' }, 'No flow matches the filters.'));
  } else if (state.view === 'matrix') matrix.show(model.flat);
  else if (!listed.has(state.view)) { listed.add(state.view); LISTS[state.view](); }
}
const LISTS = { findings: renderFindings, expectations: renderExpectations, policies: renderPolicies };
const listed = new Set();   // lists are built when first shown

function renderNamespaces() {
  const counts = new Map();
  D.nodes.forEach((n) => counts.set(n.ns, (counts.get(n.ns) || 0) + n.size));
  $('namespaces').replaceChildren(...NS.map((ns, i) => el('li', {},
    el('input', { type: 'checkbox', checked: !state.hidden.has(i), 'aria-label': `show ${ns.name}`, onchange: (ev) => { if (ev.target.checked) state.hidden.delete(i); else state.hidden.add(i); render(); } }),
    el('span', { class: 'name', title: ns.name }, ns.name), el('span', { class: 'count' }, String(counts.get(i) || 0)),
    el('button', { class: 'toggle', title: state.expanded.has(i) ? 'collapse' : 'expand', 'aria-label': `${state.expanded.has(i) ? 'collapse' : 'expand'} ${ns.name}`, onclick: () => toggleNs(i) }, state.expanded.has(i) ? '▾' : '▸'))));
}

function renderLegend() {
  const line = (color, text, dashed) => [el('span', { class: 'sw line', style: `background:${color};${dashed ? 'opacity:.7' : ''}` }), el('span', {}, text)];
  const items = DIFF
    ? [...line(COLORS.added, 'added: newly allowed'), ...line(COLORS.removed, 'removed: newly blocked (dashed)'), ...line(COLORS.changed, 'changed ports, or mixed'), ...line(COLORS.same, 'unchanged')]
    : [...line(COLORS.allowed, 'everything allowed'), ...line(COLORS.partial, 'some protocols or ports')];
  items.push(el('span', { class: 'sw', style: 'background:#4b7bd8;border:2px solid #1d2330' }), el('span', {}, 'isolated both ways (dashed: one way)'),
    el('span', { class: 'sw', style: 'background:#4b7bd8' }), el('span', {}, 'not isolated'),
    el('span', { class: 'sw', style: 'background:#8e6fc4' }), el('span', {}, 'external range'),
    el('span', { class: 'sw box' }), el('span', {}, 'namespace (double-click: expand)'));
  $('legend').replaceChildren(el('strong', { style: 'grid-column: 1 / 3' }, 'Legend'), ...items);
}

function renderSummary() {
  document.title = `netpolicy report: ${D.meta.title}`;
  $('title').textContent = D.meta.title;
  const shown = pairs.filter((p) => p.status !== 'denied');
  let text = `${D.meta.workloads} endpoints · ${NS.length} namespaces · ${N} groups · `;
  if (DIFF) {
    const count = (s) => shown.filter((p) => p.status === s).length;
    text += `${count('added')} added · ${count('removed')} removed · ${count('changed')} changed`;
  } else text += `${shown.length} allowed group pairs`;
  $('summary').textContent = text;
  $('count-findings').textContent = String(D.findings.length);
  if (D.findings.some((f) => f.severity === 'error')) $('count-findings').classList.add('bad');
  $('count-policies').textContent = String(D.policies.length);
  if (D.expectations) {
    $('count-expectations').textContent = `${D.expectations.summary.passed}/${D.expectations.summary.expectations}`;
    if (D.expectations.summary.failed || D.expectations.summary.errors) $('count-expectations').classList.add('bad');
  }
  $('changes-only-box').hidden = !DIFF;
}

function restoreSelection() {
  const [kind, a, b] = state.sel.split(':');
  if (kind === 'pair' && a < N && b < N) showPair(Number(a), Number(b));
  else if (kind === 'node' && a < N) showNode(Number(a));
  else if (kind === 'policy' && D.policies[a]) showPolicy(Number(a));
}

function setView(view) { state.view = view; render(); }

function wire() {
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => setView(b.dataset.view));
  const debounce = (f) => { let t; return () => { clearTimeout(t); t = setTimeout(f, 200); }; };
  $('search').addEventListener('input', debounce(() => { state.q = $('search').value.trim(); render(); }));
  $('protocol').addEventListener('change', () => { state.proto = $('protocol').value; render(); });
  $('port').addEventListener('input', debounce(() => { state.port = $('port').value; render(); }));
  $('changes-only').addEventListener('change', () => { state.changesOnly = $('changes-only').checked; render(); });
  $('hide-denied').addEventListener('change', () => { state.hideIdle = $('hide-denied').checked; render(); });
  $('ns-all').addEventListener('click', () => { state.hidden.clear(); renderNamespaces(); render(); });
  $('ns-none').addEventListener('click', () => { NS.forEach((_, i) => state.hidden.add(i)); renderNamespaces(); render(); });
  $('ns-expand').addEventListener('click', () => { NS.forEach((_, i) => state.expanded.add(i)); renderNamespaces(); render(); });
  $('ns-collapse').addEventListener('click', () => { state.expanded.clear(); renderNamespaces(); render(); });
  $('copy-link').addEventListener('click', () => { writeHash(); navigator.clipboard?.writeText(location.href).catch(() => {}); $('copy-link').textContent = 'Copied'; setTimeout(() => { $('copy-link').textContent = 'Copy link'; }, 1200); });
  document.addEventListener('keydown', (ev) => {
    if (ev.target.matches('input, select, textarea')) { if (ev.key === 'Escape') ev.target.blur(); return; }
    const views = { g: 'graph', m: 'matrix', f: 'findings', e: 'expectations', p: 'policies' };
    if (ev.key === '/') { ev.preventDefault(); $('search').focus(); } else if (views[ev.key] && !ev.ctrlKey && !ev.metaKey) setView(views[ev.key]);
    else if (ev.key === 'Escape') { state.sel = ''; state.policy = -1; render(); panel(el('p', { class: 'hint' }, 'Click an edge, a node or a matrix cell to see why.')); }
  });
  $('search').value = state.q; $('protocol').value = state.proto; $('port').value = state.port;
  $('changes-only').checked = state.changesOnly; $('hide-denied').checked = state.hideIdle;
}

readHash();
renderSummary(); renderLegend(); renderNamespaces();
wire();
render();
restoreSelection();
document.body.dataset.ready = '1';
