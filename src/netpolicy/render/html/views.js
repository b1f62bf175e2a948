// netpolicy report: the graph (cytoscape, preset layout) and the matrix (canvas, only visible cells drawn).
// Data never becomes HTML here: cytoscape draws labels on a canvas, the matrix uses fillText.
'use strict';

const COLORS = {
  allowed: '#2e9d5b', partial: '#8fd1a8', denied: '#eef0f3', added: '#1f9d55', removed: '#d64545',
  changed: '#e0a100', same: '#9aa3b2', mixed: '#e0a100',
};
const CELL_W = 170, CELL_H = 74, NS_GAP = 60;

/** Positions of units: namespaces packed in shelves, the nodes of an expanded namespace in a grid inside. */
function presetPositions(units) {
  const boxes = units.map((u) => {
    if (!u.children) return { u, w: CELL_W, h: CELL_H };
    const cols = Math.max(1, Math.ceil(Math.sqrt(u.children.length * 1.5)));
    return { u, cols, w: cols * CELL_W, h: Math.ceil(u.children.length / cols) * CELL_H + 20 };
  });
  const area = boxes.reduce((a, b) => a + (b.w + NS_GAP) * (b.h + NS_GAP), 0);
  const width = Math.max(900, Math.sqrt(area) * 1.4);
  const pos = new Map();
  let x = 0, y = 0, shelf = 0;
  for (const b of boxes) {
    if (x > 0 && x + b.w > width) { x = 0; y += shelf + NS_GAP; shelf = 0; }
    if (!b.u.children) pos.set(b.u.id, { x: x + b.w / 2, y: y + b.h / 2 });
    else b.u.children.forEach((c, k) => pos.set(c.id, {
      x: x + (k % b.cols) * CELL_W + CELL_W / 2, y: y + 30 + Math.floor(k / b.cols) * CELL_H + CELL_H / 2,
    }));
    x += b.w + NS_GAP; shelf = Math.max(shelf, b.h);
  }
  return pos;
}

/** The cytoscape graph of `model` (units, edges); `on` holds the click handlers. */
function drawGraph(container, model, on, previous) {
  if (previous) previous.destroy();
  const pos = presetPositions(model.units);
  const els = [];
  for (const u of model.units) {
    if (u.children) {
      els.push({ group: 'nodes', data: { id: u.id, label: u.label, kind: 'ns' }, classes: 'ns' });
      for (const c of u.children) {
        els.push({ group: 'nodes', data: { id: c.id, parent: u.id, label: c.label, kind: 'node' },
          position: pos.get(c.id), classes: c.classes });
      }
    } else {
      els.push({ group: 'nodes', data: { id: u.id, label: u.label, kind: 'nsc' }, position: pos.get(u.id),
        classes: u.classes });
    }
  }
  const many = model.edges.length > 250;
  for (const e of model.edges) {
    els.push({ group: 'edges', data: { id: e.id, source: e.from, target: e.to, label: many ? '' : e.label,
      color: COLORS[e.status] || COLORS.same, width: Math.min(6, 1.2 + Math.log2(e.pairs.length)) },
      classes: e.status });
  }
  const cy = cytoscape({
    container, elements: els, layout: { name: 'preset', fit: true, padding: 30 },
    wheelSensitivity: 0.3, minZoom: 0.05, maxZoom: 3, boxSelectionEnabled: false,
    textureOnViewport: els.length > 1500, hideEdgesOnViewport: model.edges.length > 1500,
    style: [
      { selector: 'node', style: {
        label: 'data(label)', 'font-size': 11, color: '#1d2330', 'text-valign': 'bottom', 'text-margin-y': 4,
        'text-wrap': 'ellipsis', 'text-max-width': CELL_W - 16, width: 22, height: 22, shape: 'round-rectangle',
        'background-color': '#4b7bd8', 'border-width': 0 } },
      { selector: 'node.external', style: { 'background-color': '#8e6fc4', shape: 'hexagon' } },
      { selector: 'node.iso-both', style: { 'border-width': 3, 'border-color': '#1d2330' } },
      { selector: 'node.iso-one', style: { 'border-width': 3, 'border-color': '#1d2330', 'border-style': 'dashed' } },
      { selector: 'node.added', style: { 'background-color': COLORS.added } },
      { selector: 'node.removed', style: { 'background-color': COLORS.removed } },
      { selector: 'node.ns', style: {
        'background-color': '#eef2f8', 'background-opacity': 0.7, 'border-width': 1, 'border-color': '#b8c2d3',
        'text-valign': 'top', 'text-halign': 'center', 'font-size': 13, 'font-weight': 600, color: '#44506a',
        padding: 14, shape: 'round-rectangle' } },
      { selector: 'node.nsc', style: { width: 46, height: 46, 'background-color': '#dfe7f5', 'border-width': 1,
        'border-color': '#8da1c4', 'font-size': 12, 'font-weight': 600, shape: 'round-rectangle' } },
      { selector: 'edge', style: {
        width: 'data(width)', 'line-color': 'data(color)', 'target-arrow-color': 'data(color)',
        'target-arrow-shape': 'triangle', 'curve-style': 'bezier', 'arrow-scale': 0.9, label: 'data(label)',
        'font-size': 9, color: '#44506a', 'text-background-color': '#f7f8fa', 'text-background-opacity': 0.9,
        'text-background-padding': 2, 'text-rotation': 'autorotate', opacity: 0.85 } },
      { selector: 'edge.removed', style: { 'line-style': 'dashed' } },
      { selector: '.faded', style: { opacity: 0.12 } },
      { selector: 'node.hl', style: { 'underlay-color': '#f5b800', 'underlay-opacity': 0.45, 'underlay-padding': 6 } },
      { selector: ':selected', style: { 'overlay-color': '#2f6fde', 'overlay-opacity': 0.18, 'overlay-padding': 6 } },
      { selector: 'edge:selected', style: { width: 5, opacity: 1 } },
    ],
  });
  cy.on('tap', 'edge', (ev) => on.edge(ev.target.id()));
  cy.on('tap', 'node', (ev) => on.node(ev.target.id()));
  cy.on('dbltap', 'node.ns, node.nsc', (ev) => on.toggle(ev.target.id()));
  cy.on('mouseover', 'edge', (ev) => { if (many) ev.target.style('label', model.edgeById.get(ev.target.id()).label); });
  cy.on('mouseout', 'edge', (ev) => { if (many) ev.target.style('label', ''); });
  return cy;
}

/** The matrix on a canvas that stays in view while its scroll box scrolls; only visible cells are drawn. */
class MatrixView {
  constructor(scroll, spacer, canvas, tip, on) {
    Object.assign(this, { scroll, spacer, canvas, tip, on, model: null, cursor: null });
    this.ctx = canvas.getContext('2d');
    scroll.addEventListener('scroll', () => this.draw());
    window.addEventListener('resize', () => this.resize());
    canvas.addEventListener('mousemove', (ev) => this.hover(ev));
    canvas.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    canvas.addEventListener('click', (ev) => this.click(ev));
    scroll.addEventListener('keydown', (ev) => this.key(ev));
  }

  show(model) {
    this.model = model;
    const n = model.units.length;
    this.cs = n > 300 ? 6 : n > 120 ? 9 : n > 40 ? 14 : 22;
    const ctx = this.ctx;
    ctx.font = '12px system-ui, sans-serif';
    const longest = Math.min(240, Math.max(60, ...model.units.map((u) => ctx.measureText(u.label).width + 24)));
    this.lw = longest; this.th = Math.min(200, longest);
    this.spacer.style.width = `${this.lw + n * this.cs + 20}px`;
    this.spacer.style.height = `${this.th + n * this.cs + 20}px`;
    if (this.cursor && (this.cursor[0] >= n || this.cursor[1] >= n)) this.cursor = null;
    this.resize();
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.scroll.clientWidth, h = this.scroll.clientHeight;
    this.canvas.width = w * dpr; this.canvas.height = h * dpr;
    this.canvas.style.width = `${w}px`; this.canvas.style.height = `${h}px`;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.draw();
  }

  at(ev) {
    const r = this.canvas.getBoundingClientRect();
    const x = ev.clientX - r.left, y = ev.clientY - r.top;
    const col = Math.floor((x - this.lw + this.scroll.scrollLeft) / this.cs);
    const row = Math.floor((y - this.th + this.scroll.scrollTop) / this.cs);
    const n = this.model.units.length;
    return { x, y, row: x < this.lw && y >= this.th && row < n ? row : (y < this.th ? -1 : row),
      col: y < this.th && x >= this.lw && col < n ? col : (x < this.lw ? -1 : col), inCells: x >= this.lw && y >= this.th && row < n && col < n };
  }

  draw() {
    const m = this.model; if (!m) return;
    const ctx = this.ctx, cs = this.cs, lw = this.lw, th = this.th, n = m.units.length;
    const w = this.scroll.clientWidth, h = this.scroll.clientHeight;
    const sx = this.scroll.scrollLeft, sy = this.scroll.scrollTop;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, w, h);
    const r0 = Math.max(0, Math.floor(sy / cs)), r1 = Math.min(n, Math.ceil((sy + h - th) / cs));
    const c0 = Math.max(0, Math.floor(sx / cs)), c1 = Math.min(n, Math.ceil((sx + w - lw) / cs));
    for (let r = r0; r < r1; r++) {
      const y = th + r * cs - sy;
      for (let c = c0; c < c1; c++) {
        const cell = m.cell(r, c);
        ctx.fillStyle = cell ? COLORS[cell.status] : ((r + c) % 2 ? '#f6f7f9' : '#f2f4f7');
        ctx.fillRect(lw + c * cs - sx + 0.5, y + 0.5, cs - 1, cs - 1);
      }
    }
    // namespace boundaries
    ctx.strokeStyle = '#98a2b3'; ctx.lineWidth = 1;
    for (let k = 1; k < n; k++) {
      if (m.units[k].ns === m.units[k - 1].ns) continue;
      const p = k * cs;
      ctx.beginPath(); ctx.moveTo(lw + p - sx, th); ctx.lineTo(lw + p - sx, h); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(lw, th + p - sy); ctx.lineTo(w, th + p - sy); ctx.stroke();
    }
    if (this.cursor) {
      const [r, c] = this.cursor;
      ctx.strokeStyle = '#2f6fde'; ctx.lineWidth = 2;
      ctx.strokeRect(lw + c * cs - sx, th + r * cs - sy, cs, cs);
    }
    // headers, drawn over the cells
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, lw, h); ctx.fillRect(0, 0, w, th);
    ctx.fillStyle = '#1d2330'; ctx.textBaseline = 'middle';
    const fs = Math.min(12, Math.max(8, cs - 2));
    ctx.font = `${fs}px system-ui, sans-serif`;
    const step = cs < fs ? Math.ceil(fs / cs) : 1;
    ctx.save(); ctx.beginPath(); ctx.rect(0, th, lw, h - th); ctx.clip();
    for (let r = r0; r < r1; r += step) {
      const u = m.units[r];
      ctx.fillStyle = u.collapsed ? '#2f6fde' : '#1d2330';
      ctx.fillText(clip(ctx, u.label, lw - 10), 6, th + r * cs - sy + cs / 2);
    }
    ctx.restore();
    ctx.save(); ctx.beginPath(); ctx.rect(lw, 0, w - lw, th); ctx.clip();
    for (let c = c0; c < c1; c += step) {
      const u = m.units[c];
      ctx.save(); ctx.translate(lw + c * cs - sx + cs / 2, th - 6); ctx.rotate(-Math.PI / 3);
      ctx.fillStyle = u.collapsed ? '#2f6fde' : '#1d2330';
      ctx.fillText(clip(ctx, u.label, th * 1.1), 0, 0); ctx.restore();
    }
    ctx.restore();
    ctx.fillStyle = '#667085'; ctx.font = '11px system-ui, sans-serif';
    ctx.fillText('from ↓  to →', 6, th - 10);
  }

  hover(ev) {
    const p = this.at(ev);
    if (!p.inCells) { this.tip.hidden = true; return; }
    const m = this.model, cell = m.cell(p.row, p.col);
    this.tip.textContent = `${m.units[p.row].label} → ${m.units[p.col].label}: ${cell ? cell.label : 'nothing allowed'}`;
    this.tip.style.left = `${Math.min(p.x + 14, this.scroll.clientWidth - 300)}px`;
    this.tip.style.top = `${p.y + 14}px`;
    this.tip.hidden = false;
  }

  click(ev) {
    const p = this.at(ev);
    if (p.inCells) { this.cursor = [p.row, p.col]; this.draw(); this.on.cell(p.row, p.col); }
    else if (p.row >= 0 && p.col < 0 && p.row < this.model.units.length) this.on.header(p.row);
    else if (p.col >= 0 && p.row < 0 && p.col < this.model.units.length) this.on.header(p.col);
  }

  key(ev) {
    const n = this.model ? this.model.units.length : 0;
    if (!n) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[ev.key]) {
      ev.preventDefault();
      const [r, c] = this.cursor || [0, 0];
      const [dr, dc] = this.cursor ? moves[ev.key] : [0, 0];
      this.cursor = [Math.min(n - 1, Math.max(0, r + dr)), Math.min(n - 1, Math.max(0, c + dc))];
      this.reveal(); this.draw();
    } else if (ev.key === 'Enter' && this.cursor) {
      ev.preventDefault(); this.on.cell(this.cursor[0], this.cursor[1]);
    }
  }

  reveal() {
    const [r, c] = this.cursor, cs = this.cs, s = this.scroll;
    const vw = s.clientWidth - this.lw, vh = s.clientHeight - this.th;
    if (c * cs < s.scrollLeft) s.scrollLeft = c * cs; else if ((c + 1) * cs > s.scrollLeft + vw) s.scrollLeft = (c + 1) * cs - vw;
    if (r * cs < s.scrollTop) s.scrollTop = r * cs; else if ((r + 1) * cs > s.scrollTop + vh) s.scrollTop = (r + 1) * cs - vh;
  }
}

function clip(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ctx.measureText(text.slice(0, mid) + '…').width <= width) lo = mid; else hi = mid - 1; }
  return text.slice(0, lo) + '…';
}
