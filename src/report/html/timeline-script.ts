/**
 * The HTML report's timeline, as the browser script inlined into the page. It is a string in a module (not a file
 * read at run time) so that the ncc bundles in dist/ carry it. It draws SVG, one element per stage, span, initcall,
 * unit and log record, each focusable, so hover and keyboard focus show its text, time and duration, and the tests
 * can find them in the DOM; wheel or the buttons zoom, dragging pans, double-click resets.
 *
 * Why not uPlot (installed, ~50 KB): it plots x/y series on a canvas. A boot timeline is intervals on rows, which
 * uPlot would only draw through custom paint hooks, and a canvas has no elements to hover, focus or find; this
 * script is ~9 KB and the axis, zoom and pan are a few lines of it.
 *
 * Guest text only ever reaches the page through textContent and setAttribute, never as markup. The data comes from a
 * `<script type="application/json">` element whose `<` are escaped, so no text in it can close that element.
 */
export const TIMELINE_SCRIPT = String.raw`(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var ROW = 22, AXIS = 24, LABEL = 130, PAD = 12;
  var dataElement = document.getElementById('bb-data');
  if (!dataElement) return;
  var data = JSON.parse(dataElement.textContent);

  function fmt(ms) {
    var a = Math.abs(ms);
    if (a === 0) return '0';
    if (a < 1) return (ms * 1000).toFixed(0) + ' µs';
    if (a < 10) return ms.toFixed(2) + ' ms';
    if (a < 999.5) return ms.toFixed(0) + ' ms';
    return (ms / 1000).toFixed(a < 9995 ? 2 : 1) + ' s';
  }
  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function lanes(items) {
    var out = [];
    items.slice().sort(function (a, b) { return a.t0 - b.t0; }).forEach(function (item) {
      for (var i = 0; i < out.length; i++) if (out[i].end <= item.t0) break;
      if (i === out.length) out.push({ end: item.t1, items: [] });
      out[i].items.push(item);
      out[i].end = item.t1;
    });
    return out.map(function (l) { return l.items; });
  }

  function rowsFor(sc, passIndex) {
    var b = sc.sides[0], a = sc.sides[1];
    var pass = b.passes[passIndex];
    var other = a ? a.passes[Math.min(passIndex, a.passes.length - 1)] : null;
    var budgets = {};
    sc.stages.forEach(function (s) { budgets[s.name] = s; });
    var side = a ? ' (' + b.label + ')' : '';
    var rows = [];
    var stageItems = pass.stages.map(function (s) {
      var judged = budgets[s.name] || {};
      var text = s.name + side + ': ' + fmt(s.endT - s.startT) + ', from ' + fmt(s.startT) + ' to ' + fmt(s.endT);
      if (judged.budget !== undefined && judged.budget !== null)
        text += '\nbudget: ' + judged.statistic + ' ≤ ' + fmt(judged.budget) + ' (' + judged.verdict + ' over all passes)';
      return { kind: 'stage', name: s.name, t0: s.startT, t1: s.endT, text: text, cls: 'stage v-' + (judged.verdict || 'none'), budget: judged.budget };
    });
    lanes(stageItems).forEach(function (lane, i) {
      var row = { label: i === 0 ? 'stages' : '', items: lane, marks: [] };
      lane.forEach(function (item) {
        if (item.budget !== undefined && item.budget !== null)
          row.marks.push({ t: item.t0 + item.budget, cls: 'budget ' + (item.t1 - item.t0 > item.budget ? 'over' : 'under'), text: item.name + ' budget: ' + fmt(item.budget) });
      });
      if (other) other.stages.forEach(function (s) {
        if (lane.some(function (it) { return it.name === s.name; }))
          row.items = row.items.concat([{ kind: 'stage-a', name: s.name, t0: s.startT, t1: s.endT, cls: 'side-a', text: s.name + ' (A): ' + fmt(s.endT - s.startT) + ', from ' + fmt(s.startT) + ' to ' + fmt(s.endT) }]);
      });
      rows.push(row);
    });
    var spans = pass.stages.filter(function (s) { return s.span; }).map(function (s) {
      var sp = s.span;
      return { kind: 'span', name: s.name, t0: sp.fromT, t1: sp.toT, cls: 'span',
        text: 'offending span of ' + s.name + ': ' + fmt(sp.ms) + '\n' + fmt(sp.fromT) + '  ' + sp.from + '\n' + fmt(sp.toT) + '  ' + sp.to };
    });
    lanes(spans).forEach(function (lane, i) { rows.push({ label: i === 0 ? 'offending spans' : '', items: lane, marks: [] }); });
    var calls = pass.initcalls.map(function (c) {
      return { kind: 'initcall', name: c.name, t0: c.startT, t1: c.endT, cls: 'initcall', text: 'initcall ' + c.name + ': ' + fmt(c.ms) + ' at ' + fmt(c.startT) };
    });
    lanes(calls).forEach(function (lane, i) { rows.push({ label: i === 0 ? 'initcalls' : '', items: lane, marks: [] }); });
    var units = (pass.units || []).map(function (u) {
      return { kind: 'unit', name: u.name, t0: u.startT, t1: u.endT, cls: 'unit' + (u.critical ? ' critical' : ''),
        text: u.name + ': ' + fmt(u.endT - u.startT) + ' from ' + fmt(u.startT) + (u.critical ? '\n(on the critical chain)' : '') };
    });
    lanes(units).forEach(function (lane, i) { rows.push({ label: i === 0 ? 'systemd units' : '', items: lane, marks: [] }); });
    rows.push({ label: 'log records', ticks: true, marks: [], items: pass.events.map(function (e) {
      return { kind: 'log', name: e.source, t0: e.t, t1: e.t, cls: 'tick ' + e.source, text: fmt(e.t) + '  [' + e.source + ']  ' + e.text };
    }) });
    var end = 0;
    [pass, other].forEach(function (p) {
      if (p) p.stages.forEach(function (s) { end = Math.max(end, s.endT); });
      if (p) p.events.forEach(function (e) { end = Math.max(end, e.t); });
    });
    return { rows: rows, end: end || 1 };
  }

  function niceStep(span, count) {
    var raw = span / count, pow = Math.pow(10, Math.floor(Math.log10(raw))), n = raw / pow;
    return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * pow;
  }

  function setup(sc) {
    var root = document.getElementById('tl-' + sc.id);
    if (!root) return;
    var svg = root.querySelector('svg.timeline');
    var tip = root.querySelector('.tip');
    var select = root.querySelector('select.pass');
    var passIndex = sc.median, model, view;
    root.classList.add('live');

    function load() {
      model = rowsFor(sc, passIndex);
      view = [0, model.end * 1.02];
    }
    function x(t, width) { return LABEL + ((t - view[0]) / (view[1] - view[0])) * (width - LABEL - PAD); }
    function show(item, event) {
      tip.textContent = item.text;
      tip.hidden = false;
      var box = root.getBoundingClientRect();
      var px = event && event.clientX !== undefined ? event.clientX - box.left : LABEL;
      tip.style.left = Math.max(0, Math.min(px + 12, box.width - 320)) + 'px';
      tip.style.top = (event && event.clientY !== undefined ? event.clientY - box.top + 14 : AXIS) + 'px';
    }
    function hide() { tip.hidden = true; }

    function render() {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      var width = svg.clientWidth || 900;
      var height = AXIS + model.rows.length * ROW + 4;
      svg.setAttribute('height', String(height));
      svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
      var clipId = 'clip-' + sc.id;
      var clip = el('clipPath', { id: clipId }, el('defs', {}, svg));
      el('rect', { x: LABEL, y: 0, width: Math.max(0, width - LABEL - PAD), height: height }, clip);
      var step = niceStep(view[1] - view[0], Math.max(2, Math.floor((width - LABEL) / 110)));
      var axis = el('g', { class: 'axis' }, svg);
      for (var t = Math.ceil(view[0] / step) * step; t <= view[1]; t += step) {
        var tx = x(t, width);
        el('line', { x1: tx, x2: tx, y1: AXIS - 4, y2: height, class: 'grid' }, axis);
        el('text', { x: tx, y: AXIS - 8, 'text-anchor': 'middle' }, axis).textContent = fmt(t);
      }
      var plot = el('g', { 'clip-path': 'url(#' + clipId + ')' });
      model.rows.forEach(function (row, r) {
        var y = AXIS + r * ROW;
        if (row.label) el('text', { x: 4, y: y + ROW / 2 + 4, class: 'row-label' }, svg).textContent = row.label;
        row.items.forEach(function (item) {
          var x0 = x(item.t0, width), x1 = x(item.t1, width);
          if (x1 < LABEL - 4 || x0 > width) return;
          var isA = item.kind === 'stage-a';
          var w = row.ticks ? 3 : Math.max(1.5, x1 - x0);
          var node = el('rect', {
            x: row.ticks ? x0 - 1 : x0, y: isA ? y + ROW - 7 : y + 3, width: w, height: isA ? 5 : ROW - (isA ? 0 : 8),
            class: 'item ' + item.cls, tabindex: '0', role: 'img',
            'data-kind': item.kind, 'data-name': item.name, 'data-start': item.t0, 'data-end': item.t1,
          }, plot);
          node.setAttribute('aria-label', item.text);
          node.addEventListener('mouseenter', function (e) { show(item, e); });
          node.addEventListener('mousemove', function (e) { show(item, e); });
          node.addEventListener('mouseleave', hide);
          node.addEventListener('focus', function () {
            var b = node.getBoundingClientRect();
            show(item, { clientX: b.left, clientY: b.bottom });
          });
          node.addEventListener('blur', hide);
          if (!row.ticks && !isA && x1 - x0 > 40 && item.kind !== 'log')
            el('text', { x: Math.max(x0, LABEL) + 4, y: y + ROW / 2 + 3, class: 'bar-label' }, plot).textContent = item.name;
        });
        row.marks.forEach(function (mark) {
          var mx = x(mark.t, width);
          var line = el('line', { x1: mx, x2: mx, y1: y - 1, y2: y + ROW + 1, class: mark.cls, 'data-kind': 'budget' }, plot);
          el('title', {}, line).textContent = mark.text;
        });
      });
      svg.appendChild(plot);
    }

    function zoom(factor, at) {
      var span = view[1] - view[0], center = at === undefined ? view[0] + span / 2 : at;
      var next = Math.max(0.05, Math.min(model.end * 1.02, span * factor));
      var left = center - ((center - view[0]) / span) * next;
      view = [Math.max(0, Math.min(left, model.end * 1.02 - next)), 0];
      view[1] = view[0] + next;
      render();
    }
    function pan(deltaMs) {
      var span = view[1] - view[0];
      view[0] = Math.max(0, Math.min(view[0] + deltaMs, model.end * 1.02 - span));
      view[1] = view[0] + span;
      render();
    }
    function timeAt(clientX) {
      var width = svg.clientWidth || 900, box = svg.getBoundingClientRect();
      return view[0] + ((clientX - box.left - LABEL) / (width - LABEL - PAD)) * (view[1] - view[0]);
    }
    svg.addEventListener('wheel', function (e) {
      e.preventDefault();
      zoom(Math.exp(e.deltaY * 0.0015), timeAt(e.clientX));
    }, { passive: false });
    var drag = null;
    svg.addEventListener('pointerdown', function (e) { drag = { x: e.clientX, view: view.slice() }; });
    window.addEventListener('pointerup', function () { drag = null; });
    svg.addEventListener('pointermove', function (e) {
      if (!drag || Math.abs(e.clientX - drag.x) < 3) return;
      var perPx = (drag.view[1] - drag.view[0]) / ((svg.clientWidth || 900) - LABEL - PAD);
      view = drag.view.slice();
      pan(-(e.clientX - drag.x) * perPx);
    });
    svg.addEventListener('dblclick', function () { load(); render(); });
    root.querySelector('.zoom-in').addEventListener('click', function () { zoom(0.5); });
    root.querySelector('.zoom-out').addEventListener('click', function () { zoom(2); });
    root.querySelector('.zoom-reset').addEventListener('click', function () { load(); render(); });
    root.querySelector('.pan-left').addEventListener('click', function () { pan(-(view[1] - view[0]) / 4); });
    root.querySelector('.pan-right').addEventListener('click', function () { pan((view[1] - view[0]) / 4); });
    select.addEventListener('change', function () { passIndex = Number(select.value); hide(); load(); render(); });
    window.addEventListener('resize', render);
    load();
    render();
  }
  data.scenarios.forEach(setup);
})();
`;
