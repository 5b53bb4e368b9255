// The explorer's browser script, kept as a string (String.raw, so regex escapes survive) that the
// API serves at /explorer.js. Plain DOM code with no dependencies: hash routing, live updates
// over /api/events, inline-SVG charts. All data goes through textContent, never innerHTML, so
// nothing a peer puts in a block can inject markup. The source must avoid backticks and
// dollar-brace sequences, since it lives inside a template literal.

export const EXPLORER_JS = String.raw`/* kadchain explorer */
(function () {
  'use strict';

  var K = 20;
  var RECENT = 100;
  var SHOWN_BLOCKS = 25;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var UNITS = BigInt(100000000);

  var state = {
    status: null,
    recent: [],
    seen: {},
    reorgs: [],
    wsOpen: null,
    fetchFailed: false,
    retry: 0,
    routeName: 'home',
    routeArg: '',
    storeKey: null
  };

  // ---------- DOM helpers ----------
  function $(id) { return document.getElementById(id); }
  function append(n, kids) {
    (Array.isArray(kids) ? kids : [kids]).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      n.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return n;
  }
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    setAttrs(n, attrs);
    if (kids !== undefined) append(n, kids);
    return n;
  }
  function svg(tag, attrs, kids) {
    var n = document.createElementNS(SVGNS, tag);
    setAttrs(n, attrs);
    if (kids !== undefined) append(n, kids);
    return n;
  }
  function setAttrs(n, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') n.textContent = String(v);
      else n.setAttribute(k, v === true ? '' : String(v));
    });
  }
  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); return n; }
  function link(href, text, attrs) {
    var a = el('a', attrs || {}, text);
    a.setAttribute('href', href);
    return a;
  }
  function blockLink(id, text) { return link('#/block/' + id, text || short(id), { 'class': 'mono', title: id }); }
  function txLink(id, text) { return link('#/tx/' + id, text || short(id), { 'class': 'mono', title: id }); }
  function acctLink(addr, text) { return addr ? link('#/account/' + addr, text || shortAddr(addr), { 'class': 'mono', title: addr }) : document.createTextNode('–'); }
  function td(content, cls) { return el('td', cls ? { 'class': cls } : null, content); }
  function kv(rows) {
    var dl = el('dl', { 'class': 'kv' });
    rows.forEach(function (r) { if (r) append(dl, [el('dt', null, r[0]), el('dd', r[2] || null, r[1])]); });
    return dl;
  }
  function message(target, text, cls) { clear(target); append(target, el('p', { 'class': cls || 'muted', role: cls === 'error' ? 'alert' : null }, text)); }
  /** "Loading…" only when the page shows something else: live refreshes do not flicker. */
  function loading(target, ref) {
    if (target.getAttribute('data-ref') === ref) return;
    target.setAttribute('data-ref', ref);
    message(target, 'Loading…');
  }

  // ---------- formatting ----------
  function short(h) { return h && h.length > 16 ? h.slice(0, 10) + '…' + h.slice(-4) : (h || ''); }
  function shortAddr(a) { return a && a.length > 20 ? a.slice(0, 11) + '…' + a.slice(-5) : (a || ''); }
  function coins(units) {
    var u;
    try { u = BigInt(units); } catch (e) { return String(units); }
    var neg = u < BigInt(0);
    if (neg) u = -u;
    var frac = (u % UNITS).toString().padStart(8, '0').replace(/0+$/, '');
    return (neg ? '-' : '') + (u / UNITS).toString() + (frac ? '.' + frac : '');
  }
  function ago(ms) {
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + ' s ago';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ago';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ago';
    return Math.floor(h / 24) + ' d ago';
  }
  function when(ms) { return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'); }
  function timeCell(ms) { return el('time', { datetime: new Date(ms).toISOString(), 'data-time': ms, title: when(ms) }, ago(ms)); }
  function rate(h) {
    var u = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'];
    var i = 0;
    while (h >= 1000 && i < u.length - 1) { h /= 1000; i++; }
    return (i ? h.toFixed(2) : String(Math.round(h))) + ' ' + u[i];
  }
  function fmtDiff(d) {
    if (!isFinite(d)) return '∞';
    if (d >= 1e6) return d.toExponential(3);
    if (d >= 100) return d.toFixed(0);
    return String(Number(d.toPrecision(4)));
  }
  function bytes(n) { return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(2) + ' MiB'; }
  function targetNum(hex) { try { return Number(BigInt('0x' + hex)); } catch (e) { return NaN; } }
  /** Expected hashes per block at a target: 2^256 / (target + 1). */
  function workOf(hex) { return Math.pow(2, 256) / (targetNum(hex) + 1); }
  /** Difficulty of a block relative to powLimit, using the status' difficulty as the anchor. */
  function diffOf(hex) {
    var s = state.status;
    if (!s) return NaN;
    return s.difficulty * targetNum(s.target) / targetNum(hex);
  }

  // ---------- reachability ----------
  function updateBanner() {
    var down = state.wsOpen === false || state.fetchFailed;
    $('banner').hidden = !down;
    $('conn-state').textContent = state.wsOpen ? 'live' : state.wsOpen === null ? 'connecting…' : 'reconnecting…';
  }

  function api(path) {
    return fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (state.fetchFailed) { state.fetchFailed = false; updateBanner(); }
        if (!r.ok) {
          var e = new Error(j.error || ('HTTP ' + r.status));
          e.status = r.status;
          e.reason = j.reason;
          throw e;
        }
        return j;
      });
    }, function () {
      state.fetchFailed = true;
      updateBanner();
      var e = new Error('node unreachable, retrying');
      e.status = 0;
      e.reason = 'unreachable';
      throw e;
    });
  }

  // ---------- status and recent blocks ----------
  function renderStatus(s) {
    var first = !state.status || state.status.genesis !== s.genesis;
    state.status = s;
    if (first) {
      loadForkLog(s.genesis);
      // The chart's target line and difficulty scale need the status.
      if (state.recent.length) renderChart();
    }
    $('network').textContent = s.network;
    $('tip-height').textContent = String(s.height);
    var tip = $('tip-id');
    tip.textContent = short(s.tip);
    tip.setAttribute('href', '#/block/' + s.tip);
    tip.setAttribute('title', s.tip);
    var age = $('tip-age');
    clear(age);
    append(age, timeCell(s.tipTime));
    $('difficulty').textContent = fmtDiff(s.difficulty);
    $('hashrate').textContent = s.mining && s.mining.enabled ? rate(s.mining.hashrate) : 'not mining';
    $('peer-count').textContent = s.peers.connected + ' connected, ' + s.peers.table + ' known';
    $('mempool-count').textContent = s.mempool + (s.mempool === 1 ? ' tx' : ' txs');
    $('sync-state').textContent = s.syncing ? 'syncing…' : 'in sync';
  }

  function refreshStatus() {
    return api('/api/status').then(renderStatus, function () {});
  }

  function remember(b, main) {
    var old = state.seen[b.id];
    state.seen[b.id] = {
      id: b.id, height: b.height, prevHash: b.prevHash, timestamp: b.timestamp,
      main: main === undefined ? (old ? old.main : b.main !== false) : main,
      miner: b.miner || null, txCount: b.txCount
    };
  }

  function loadRecent() {
    return api('/api/blocks?limit=' + RECENT).then(function (list) {
      state.recent = list;
      var byHeight = {};
      list.forEach(function (b) { byHeight[b.height] = b.id; remember(b, true); });
      // Anything seen at a height the main chain now fills with another block is a side block.
      Object.keys(state.seen).forEach(function (id) {
        var s = state.seen[id];
        if (byHeight[s.height] !== undefined && byHeight[s.height] !== id) s.main = false;
      });
      saveForkLog();
      renderBlocks();
      renderChart();
      if (state.routeName === 'forks') renderForks();
    }, function (e) {
      if (!state.recent.length) append(clear($('blocks')), el('tr', null, el('td', { colspan: 6, 'class': 'error', role: 'alert' }, e.message)));
    });
  }

  function renderBlocks() {
    var body = clear($('blocks'));
    if (!state.recent.length) { append(body, el('tr', null, el('td', { colspan: 6, 'class': 'muted' }, 'No blocks yet.'))); return; }
    state.recent.slice(0, SHOWN_BLOCKS).forEach(function (b) {
      append(body, el('tr', { 'data-testid': 'block-row', 'data-height': b.height, 'data-id': b.id }, [
        td(link('#/block/' + b.height, String(b.height)), 'num'),
        td(blockLink(b.id)),
        td(timeCell(b.timestamp)),
        td(String(b.txCount), 'num'),
        td(b.miner ? acctLink(b.miner) : 'genesis'),
        td(bytes(b.size), 'num')
      ]));
    });
  }

  // ---------- chart: block times, target time and difficulty ----------
  function renderChart() {
    var box = clear($('chart'));
    var summary = $('chart-summary');
    var bs = state.recent.slice().reverse();
    var pts = [];
    for (var i = 1; i < bs.length; i++) {
      // The genesis timestamp is fixed long before mining starts: that gap is not a block time.
      if (bs[i].height === bs[i - 1].height + 1 && bs[i - 1].height > 0) pts.push({ h: bs[i].height, dt: (bs[i].timestamp - bs[i - 1].timestamp) / 1000, d: diffOf(bs[i].target), w: workOf(bs[i].target) });
    }
    if (pts.length < 2) { append(box, el('p', { 'class': 'muted' }, 'Not enough blocks yet for a chart.')); summary.textContent = ''; return; }
    var W = 720, H = 230, L = 46, R = 62, T = 16, B = 30;
    var targetS = state.status ? state.status.targetBlockTimeMs / 1000 : 0;
    var maxDt = Math.max(targetS * 2, 1);
    var dMin = Infinity, dMax = 0, sumDt = 0, sumWork = 0;
    pts.forEach(function (p) { maxDt = Math.max(maxDt, p.dt); dMin = Math.min(dMin, p.d); dMax = Math.max(dMax, p.d); sumDt += p.dt; sumWork += p.w; });
    if (!(dMax > dMin)) { dMin = dMin * 0.5; dMax = dMax * 1.5 || 1; }
    var x = function (j) { return L + j * (W - L - R) / (pts.length - 1); };
    var yT = function (v) { return T + (H - T - B) * (1 - Math.max(0, v) / maxDt); };
    var yD = function (v) { return T + (H - T - B) * (1 - (v - dMin) / (dMax - dMin)); };
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
    var avg = sumDt / pts.length;
    append(s, svg('title', { id: 'chart-title' }, 'Block times and difficulty, heights ' + pts[0].h + ' to ' + pts[pts.length - 1].h));
    append(s, svg('desc', { id: 'chart-desc' }, 'Average block time ' + avg.toFixed(1) + ' s against a target of ' + targetS + ' s.'));
    append(s, [
      svg('line', { 'class': 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
      svg('line', { 'class': 'axis', x1: L, y1: T, x2: L, y2: H - B }),
      svg('line', { 'class': 'axis', x1: W - R, y1: T, x2: W - R, y2: H - B }),
      svg('text', { x: L - 6, y: yT(0) + 4, 'text-anchor': 'end' }, '0 s'),
      svg('text', { x: L - 6, y: yT(maxDt) + 4, 'text-anchor': 'end' }, maxDt.toFixed(0) + ' s'),
      svg('text', { x: W - R + 6, y: yD(dMax) + 4 }, fmtDiff(dMax)),
      svg('text', { x: W - R + 6, y: yD(dMin) + 4 }, fmtDiff(dMin)),
      svg('text', { x: L, y: H - 8 }, 'height ' + pts[0].h),
      svg('text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, 'height ' + pts[pts.length - 1].h)
    ]);
    if (targetS > 0) {
      append(s, svg('line', { 'class': 'series-target', x1: L, y1: yT(targetS), x2: W - R, y2: yT(targetS) }));
      append(s, svg('text', { x: L + 4, y: yT(targetS) - 4 }, 'target ' + targetS + ' s'));
    }
    append(s, svg('polyline', { 'class': 'series-time', points: pts.map(function (p, j) { return x(j).toFixed(1) + ',' + yT(p.dt).toFixed(1); }).join(' ') }));
    append(s, svg('polyline', { 'class': 'series-diff', points: pts.map(function (p, j) { return x(j).toFixed(1) + ',' + yD(p.d).toFixed(1); }).join(' ') }));
    append(s, [
      svg('line', { 'class': 'series-time', x1: W - R - 230, y1: T, x2: W - R - 214, y2: T }),
      svg('text', { x: W - R - 210, y: T + 4 }, 'block time (left)'),
      svg('line', { 'class': 'series-diff', x1: W - R - 112, y1: T, x2: W - R - 96, y2: T }),
      svg('text', { x: W - R - 92, y: T + 4 }, 'difficulty (right)')
    ]);
    append(box, s);
    // The node computes the hash rate and block-time figures (/api/stats, shown by main.js).
    summary.textContent = 'Block times of the last ' + pts.length + ' blocks against a target of ' + targetS + ' s; the figures above come from the node.';
  }

  // ---------- block, tx and account pages ----------
  function showError(target, e, what) {
    if (e.status === 404) message(target, 'No ' + what + ' found.', 'error');
    else if (e.status === 400) message(target, 'Not a valid ' + what + ' reference: ' + e.message, 'error');
    else message(target, e.message, 'error');
  }

  function txRows(txs) {
    var table = el('table', { 'class': 'grid', 'data-testid': 'block-txs' });
    append(table, el('thead', null, el('tr', null, ['Transaction', 'Kind', 'From', 'To', 'Amount', 'Fee'].map(function (h, i) { return el('th', { scope: 'col', 'class': i >= 4 ? 'num' : null }, h); }))));
    var body = el('tbody');
    txs.forEach(function (t) {
      append(body, el('tr', { 'data-testid': 'tx-row' }, [
        td(txLink(t.id)),
        td(t.kind),
        td(t.kind === 'coinbase' ? 'new coins' : acctLink(t.sender)),
        td(acctLink(t.to)),
        td(coins(t.amount), 'num'),
        td(t.kind === 'coinbase' ? '–' : coins(t.fee), 'num')
      ]));
    });
    append(table, body);
    return el('div', { 'class': 'table-wrap' }, table);
  }

  function showBlock(ref) {
    var box = $('block-detail');
    $('h-block').textContent = 'Block ' + (/^\d+$/.test(ref) ? ref : short(ref));
    loading(box, ref);
    api('/api/blocks/' + encodeURIComponent(ref)).then(function (b) {
      if (state.routeName !== 'block' || state.routeArg !== ref) return;
      remember(b, b.main);
      $('h-block').textContent = 'Block ' + b.height;
      clear(box);
      append(box, kv([
        ['Id', el('span', { 'class': 'hash', id: 'block-id', 'data-testid': 'block-id' }, b.id)],
        ['Height', el('span', { id: 'block-height', 'data-testid': 'block-height' }, String(b.height))],
        ['Status', el('span', { 'class': 'tag ' + (b.main ? 'main' : 'side') }, b.main ? 'main chain' : 'side branch')],
        ['Confirmations', String(b.confirmations)],
        ['Time', when(b.timestamp) + ' (' + ago(b.timestamp) + ')'],
        ['Miner', b.miner ? acctLink(b.miner, b.miner) : 'genesis'],
        ['Reward + fees', coins(b.reward) + ' coins'],
        ['Previous', b.height > 0 ? blockLink(b.prevHash, b.prevHash) : 'none'],
        ['Next', b.next ? blockLink(b.next, b.next) : 'none yet'],
        ['Target', el('span', { 'class': 'hash' }, b.target)],
        ['Difficulty', fmtDiff(diffOf(b.target))],
        ['Nonce', String(b.nonce)],
        ['Merkle root', el('span', { 'class': 'hash' }, b.header.merkleRoot)],
        ['Size', bytes(b.size)],
        ['Chain work', el('span', { 'class': 'hash' }, b.work)]
      ]));
      append(box, [el('h2', null, b.txs.length + (b.txs.length === 1 ? ' transaction' : ' transactions')), txRows(b.txs)]);
    }, function (e) { showError(box, e, 'block'); });
  }

  function showTx(id) {
    var box = $('tx-detail');
    $('h-tx').textContent = 'Transaction ' + short(id);
    loading(box, id);
    api('/api/txs/' + encodeURIComponent(id)).then(function (r) {
      if (state.routeName !== 'tx' || state.routeArg !== id) return;
      var t = r.tx;
      clear(box);
      append(box, kv([
        ['Id', el('span', { 'class': 'hash', id: 'tx-id', 'data-testid': 'tx-id' }, r.id)],
        ['Status', el('span', { 'class': 'tag ' + r.status, id: 'tx-status', 'data-testid': 'tx-status' }, r.status)],
        ['Block', r.block ? blockLink(r.block, r.height + ' · ' + short(r.block)) : 'not yet in a block'],
        ['Confirmations', String(r.confirmations)],
        ['Kind', t.kind],
        t.kind === 'transfer' ? ['From', acctLink(t.sender, t.sender)] : ['Height', String(t.height)],
        ['To', acctLink(t.to, t.to)],
        ['Amount', coins(t.amount) + ' coins'],
        t.kind === 'transfer' ? ['Fee', coins(t.fee) + ' coins'] : null,
        t.kind === 'transfer' ? ['Nonce', String(t.nonce)] : null,
        t.kind === 'transfer' ? ['Public key', el('span', { 'class': 'hash' }, t.from)] : null,
        t.kind === 'transfer' ? ['Chain id', el('span', { 'class': 'hash' }, t.chainId)] : null,
        t.kind === 'transfer' ? ['Signature', el('span', { 'class': 'hash' }, t.signature)] : null,
        ['Size', bytes(t.size)]
      ]));
    }, function (e) { showError(box, e, 'transaction'); });
  }

  function showAccount(addr) {
    var box = $('account-detail');
    $('h-account').textContent = 'Account ' + shortAddr(addr);
    loading(box, addr);
    Promise.all([api('/api/accounts/' + encodeURIComponent(addr)), api('/api/mempool').catch(function () { return []; })]).then(function (res) {
      if (state.routeName !== 'account' || state.routeArg !== addr) return;
      var a = res[0];
      var pending = res[1].filter(function (t) { return t.sender === addr || t.to === addr; });
      clear(box);
      append(box, kv([
        ['Address', el('span', { 'class': 'hash', id: 'account-address', 'data-testid': 'account-address' }, a.address)],
        ['Balance', el('span', { id: 'account-balance', 'data-testid': 'account-balance' }, coins(a.balance) + ' coins')],
        ['Nonce', el('span', { id: 'account-nonce', 'data-testid': 'account-nonce' }, a.nonce)],
        ['Next nonce (with pending)', a.pendingNonce]
      ]));
      append(box, el('h2', null, 'Pending transactions'));
      if (!pending.length) append(box, el('p', { 'class': 'muted' }, 'None in the mempool.'));
      else append(box, txRows(pending));
    }, function (e) { showError(box, e, 'account'); });
  }

  // ---------- mempool ----------
  function showMempool() {
    var body = $('mempool-rows');
    api('/api/mempool').then(function (list) {
      if (state.routeName !== 'mempool') return;
      var total = list.reduce(function (s, t) { return s + t.size; }, 0);
      $('mempool-summary').textContent = list.length + (list.length === 1 ? ' transaction' : ' transactions') + ', ' + bytes(total) + ', highest fee rate first.';
      clear(body);
      if (!list.length) append(body, el('tr', null, el('td', { colspan: 8, 'class': 'muted' }, 'The mempool is empty.')));
      list.forEach(function (t) {
        append(body, el('tr', { 'data-testid': 'mempool-row', 'data-id': t.id }, [
          td(txLink(t.id)), td(acctLink(t.sender)), td(acctLink(t.to)), td(coins(t.amount), 'num'), td(coins(t.fee), 'num'),
          td(t.feeRate + ' units/kB', 'num'), td(String(t.nonce), 'num'), td(timeCell(t.addedAt))
        ]));
      });
    }, function (e) { append(clear(body), el('tr', null, el('td', { colspan: 8, 'class': 'error', role: 'alert' }, e.message))); });
  }

  // ---------- peers ----------
  function showPeers() {
    api('/api/peers').then(function (p) {
      if (state.routeName !== 'peers') return;
      var body = clear($('peers-connected'));
      if (!p.connected.length) append(body, el('tr', null, el('td', { colspan: 6, 'class': 'muted' }, 'No connected peers.')));
      p.connected.forEach(function (c) {
        append(body, el('tr', { 'data-testid': 'peer-row', 'data-id': c.id }, [
          td(el('span', { 'class': 'mono', title: c.id }, short(c.id))), td(c.host + ':' + c.port), td(c.direction),
          td(String(c.height), 'num'), td(String(c.score), 'num'), td(timeCell(c.connectedAt))
        ]));
      });
      renderBuckets(p.buckets || []);
      var tb = clear($('peers-table'));
      var entries = p.table.slice().sort(function (a, b) { return b.bucket - a.bucket || b.lastSeen - a.lastSeen; });
      if (!entries.length) append(tb, el('tr', null, el('td', { colspan: 4, 'class': 'muted' }, 'The routing table is empty.')));
      entries.forEach(function (e) {
        append(tb, el('tr', { 'data-testid': 'table-row', 'data-bucket': e.bucket }, [
          td(String(e.bucket), 'num'), td(el('span', { 'class': 'mono', title: e.id }, short(e.id))), td(e.host + ':' + e.port), td(timeCell(e.lastSeen))
        ]));
      });
    }, function (e) { append(clear($('peers-connected')), el('tr', null, el('td', { colspan: 6, 'class': 'error', role: 'alert' }, e.message))); });
  }

  function renderBuckets(fill) {
    var box = clear($('buckets'));
    var last = 0;
    fill.forEach(function (n, i) { if (n > 0) last = i; });
    var count = Math.max(24, last + 2);
    count = Math.min(count, fill.length || count);
    var bw = 18, gap = 4, L = 30, T = 10, B = 34, H = 150;
    var W = L + count * (bw + gap) + 10;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'group', 'aria-label': 'Routing table buckets 0 to ' + (count - 1) });
    append(s, [svg('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, String(K)), svg('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, '0')]);
    for (var i = 0; i < count; i++) {
      var n = fill[i] || 0;
      var full = H - T - B;
      var h = Math.round(full * Math.min(n, K) / K);
      var x = L + i * (bw + gap);
      var g = svg('g', { 'data-testid': 'bucket', 'data-bucket': i, 'data-fill': n, tabindex: n > 0 ? 0 : null, role: 'img', 'aria-label': 'bucket ' + i + ': ' + n + ' of ' + K });
      append(g, [
        svg('title', null, 'bucket ' + i + ' (shared prefix ' + i + ' bits): ' + n + ' / ' + K),
        svg('rect', { 'class': 'bucket-bg', x: x, y: T, width: bw, height: full }),
        svg('rect', { 'class': 'bucket-bar', x: x, y: T + full - h, width: bw, height: h })
      ]);
      if (i % 4 === 0) append(g, svg('text', { x: x + bw / 2, y: H - B + 14, 'text-anchor': 'middle' }, String(i)));
      append(s, g);
    }
    append(s, svg('text', { x: L, y: H - 4 }, 'shared-prefix length with this node (bucket)'));
    append(box, s);
  }

  // ---------- forks: a client-side log of blocks seen and reorgs ----------
  function loadForkLog(genesis) {
    state.storeKey = 'kadchain-forks:' + genesis;
    try {
      var raw = sessionStorage.getItem(state.storeKey);
      if (!raw) return;
      var saved = JSON.parse(raw);
      if (saved && saved.seen) Object.keys(saved.seen).forEach(function (k) { if (!state.seen[k]) state.seen[k] = saved.seen[k]; });
      if (saved && Array.isArray(saved.reorgs) && !state.reorgs.length) state.reorgs = saved.reorgs;
    } catch (e) { /* storage unavailable or corrupt: start empty */ }
  }

  var saveTimer = null;
  function saveForkLog() {
    var ids = Object.keys(state.seen);
    if (ids.length > 600) {
      ids.sort(function (a, b) { return state.seen[a].height - state.seen[b].height; });
      ids.slice(0, ids.length - 500).forEach(function (id) { delete state.seen[id]; });
    }
    if (state.reorgs.length > 50) state.reorgs = state.reorgs.slice(-50);
    if (!state.storeKey || saveTimer) return;
    saveTimer = setTimeout(function () {
      saveTimer = null;
      try { sessionStorage.setItem(state.storeKey, JSON.stringify({ seen: state.seen, reorgs: state.reorgs })); } catch (e) { /* quota or privacy mode */ }
    }, 300);
  }

  function fetchSeen(id, main) {
    if (state.seen[id]) { state.seen[id].main = main; return Promise.resolve(); }
    return api('/api/blocks/' + id).then(function (b) { remember(b, main); }, function () {});
  }

  function renderForks() {
    var box = clear($('fork-tree'));
    var all = Object.keys(state.seen).map(function (k) { return state.seen[k]; });
    var tipH = state.status ? state.status.height : all.reduce(function (m, b) { return Math.max(m, b.height); }, 0);
    var minH = Math.max(0, tipH - 20);
    all.forEach(function (b) { if (!b.main && b.height > tipH - 200 && b.height - 1 < minH) minH = Math.max(0, b.height - 1); });
    var shown = all.filter(function (b) { return b.height >= minH; });
    var branches = $('branches');
    clear(branches);
    if (!shown.length) { append(box, el('p', { 'class': 'muted' }, 'No blocks seen yet.')); append(branches, el('li', { 'class': 'muted' }, 'None seen.')); renderReorgs(); return; }
    var maxH = shown.reduce(function (m, b) { return Math.max(m, b.height); }, tipH);
    var byId = {};
    shown.forEach(function (b) { byId[b.id] = b; });
    var lane = {};
    var next = 1;
    var taken = {};
    shown.filter(function (b) { return b.main; }).forEach(function (b) { lane[b.id] = 0; });
    var side = shown.filter(function (b) { return !b.main; }).sort(function (a, b) { return a.height - b.height; });
    side.forEach(function (b) {
      var p = byId[b.prevHash];
      if (p && !p.main && lane[p.id] !== undefined && !taken[p.id]) lane[b.id] = lane[p.id];
      else lane[b.id] = next++;
      taken[b.prevHash] = true;
    });
    var lanes = Math.min(next, 12);
    var dx = 34, dy = 40, L = 24, T = 22;
    var W = L * 2 + (maxH - minH) * dx, H = T + lanes * dy + 16;
    var px = function (b) { return L + (b.height - minH) * dx; };
    var py = function (b) { return T + Math.min(lane[b.id], lanes - 1) * dy; };
    var s = svg('svg', { viewBox: '0 0 ' + Math.max(W, 200) + ' ' + H, width: Math.max(W, 200), height: H, role: 'group', 'aria-label': 'Block tree from height ' + minH + ' to ' + maxH });
    for (var h = minH; h <= maxH; h++) {
      if ((h - minH) % 5 === 0 || h === maxH) append(s, svg('text', { x: L + (h - minH) * dx, y: 12, 'text-anchor': 'middle' }, String(h)));
    }
    shown.forEach(function (b) {
      var p = byId[b.prevHash];
      if (p) append(s, svg('line', { 'class': 'fork-edge', x1: px(p), y1: py(p), x2: px(b), y2: py(b) }));
    });
    shown.forEach(function (b) {
      var isTip = state.status && b.id === state.status.tip;
      var a = svg('a', { href: '#/block/' + b.id, 'data-testid': 'fork-node', 'data-id': b.id, 'data-main': b.main ? 'true' : 'false', 'aria-label': 'block ' + b.height + ' ' + short(b.id) + (b.main ? ', main chain' : ', side branch') });
      append(a, [
        svg('title', null, 'height ' + b.height + ' · ' + b.id + (b.main ? ' (main)' : ' (side)')),
        svg('circle', { 'class': 'fork-node ' + (b.main ? 'main' : 'side') + (isTip ? ' tip' : ''), cx: px(b), cy: py(b), r: 9 })
      ]);
      append(s, a);
    });
    append(box, s);
    var groups = {};
    side.forEach(function (b) { (groups[lane[b.id]] = groups[lane[b.id]] || []).push(b); });
    var keys = Object.keys(groups);
    if (!keys.length) append(branches, el('li', { 'class': 'muted', 'data-testid': 'no-branches' }, 'No side branches seen in this window.'));
    keys.forEach(function (k) {
      var g = groups[k];
      var li = el('li', { 'data-testid': 'branch' }, 'Branch off height ' + (g[0].height - 1) + ', ' + g.length + (g.length === 1 ? ' block: ' : ' blocks: '));
      g.forEach(function (b, i) { if (i) append(li, ', '); append(li, blockLink(b.id, b.height + ' ' + short(b.id))); });
      append(branches, li);
    });
    renderReorgs();
  }

  // ---------- chain tips from the node (GET /api/tips) ----------
  function loadTips() {
    return api('/api/tips?limit=20').then(function (tips) {
      renderTips(tips);
      // Draw recent side branches too, not only the ones this tab saw happen.
      var tipH = state.status ? state.status.height : 0;
      var walks = tips.filter(function (t) { return t.status !== 'active' && t.branchLength <= 20 && t.height > tipH - 200; })
        .map(function (t) { return walkBranch(t.id, t.branchLength); });
      return Promise.all(walks).then(function () {
        saveForkLog();
        if (state.routeName === 'forks') renderForks();
      });
    }, function (e) {
      append(clear($('tips')), el('tr', null, el('td', { colspan: 5, 'class': 'error', role: 'alert' }, e.message)));
    });
  }

  function walkBranch(id, n) {
    if (n <= 0) return Promise.resolve();
    return fetchSeen(id, false).then(function () {
      var b = state.seen[id];
      if (b) return walkBranch(b.prevHash, n - 1);
    });
  }

  function renderTips(tips) {
    var body = clear($('tips'));
    tips.forEach(function (t) {
      append(body, el('tr', { 'data-testid': 'tip-row', 'data-status': t.status }, [
        td(t.status), td(String(t.height), 'num'), td(String(t.forkHeight), 'num'), td(String(t.branchLength), 'num'), td(blockLink(t.id))
      ]));
    });
  }

  function renderReorgs() {
    var body = clear($('reorgs'));
    if (!state.reorgs.length) { append(body, el('tr', null, el('td', { colspan: 4, 'class': 'muted' }, 'No reorganisations seen since this tab opened.'))); return; }
    state.reorgs.slice().reverse().forEach(function (r) {
      var list = function (ids) {
        var span = el('span', null, ids.length + ': ');
        ids.slice(0, 6).forEach(function (id, i) { if (i) append(span, ', '); append(span, blockLink(id)); });
        if (ids.length > 6) append(span, ', …');
        return span;
      };
      append(body, el('tr', { 'data-testid': 'reorg-row' }, [td(timeCell(r.at)), td(String(r.forkHeight), 'num'), td(list(r.disconnected)), td(list(r.connected))]));
    });
  }

  // ---------- live events ----------
  var timers = {};
  function soon(name, fn, ms) {
    if (timers[name]) return;
    timers[name] = setTimeout(function () { timers[name] = null; fn(); }, ms);
  }

  function onEvent(ev) {
    switch (ev.type) {
      case 'hello':
        renderStatus(ev.data || ev);
        break;
      case 'block': {
        var b = ev.data || ev;
        remember(b, true);
        var top = state.recent[0];
        if (top && b.prevHash === top.id && b.height === top.height + 1) {
          state.recent.unshift(b);
          if (state.recent.length > RECENT) state.recent.pop();
          renderBlocks();
          renderChart();
        } else soon('recent', loadRecent, 150);
        if (state.status) {
          state.status.height = b.height;
          state.status.tip = b.id;
          state.status.tipTime = b.timestamp;
          renderStatus(state.status);
        }
        saveForkLog();
        soon('status', refreshStatus, 250);
        if (state.routeName === 'mempool') soon('mempool', showMempool, 250);
        if (state.routeName === 'forks') { soon('forks', renderForks, 200); soon('tips', loadTips, 500); }
        // Confirmations, balances and pending status change with every block.
        if (state.routeName === 'block' || state.routeName === 'tx' || state.routeName === 'account') soon('page', refreshRoute, 300);
        break;
      }
      case 'tx':
        soon('status', refreshStatus, 250);
        if (state.routeName === 'mempool') soon('mempool', showMempool, 250);
        break;
      case 'reorg': {
        var r = ev.data || ev;
        state.reorgs.push({ at: Date.now(), forkHeight: r.forkHeight, disconnected: r.disconnected, connected: r.connected });
        Promise.all(r.disconnected.map(function (id) { return fetchSeen(id, false); }).concat(r.connected.map(function (id) { return fetchSeen(id, true); }))).then(function () {
          saveForkLog();
          if (state.routeName === 'forks') renderForks();
        });
        if (state.routeName === 'forks') soon('tips', loadTips, 500);
        soon('recent', loadRecent, 150);
        break;
      }
      case 'peer':
        soon('status', refreshStatus, 250);
        if (state.routeName === 'peers') soon('peers', showPeers, 250);
        break;
    }
  }

  function connect() {
    var ws;
    try {
      ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/events');
    } catch (e) {
      state.wsOpen = false;
      updateBanner();
      return reconnectLater();
    }
    ws.onopen = function () {
      state.retry = 0;
      state.wsOpen = true;
      updateBanner();
      loadRecent();
      refreshRoute();
    };
    ws.onmessage = function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (ev && typeof ev.type === 'string') onEvent(ev);
    };
    ws.onclose = function () {
      state.wsOpen = false;
      updateBanner();
      reconnectLater();
    };
  }
  function reconnectLater() {
    var delay = Math.min(5000, 500 * Math.pow(2, state.retry++));
    setTimeout(connect, delay);
  }

  // ---------- routing and search ----------
  // dht, lookups and propagation are filled by the typed modules (/explorer/main.js); this script only shows them.
  var VIEWS = { home: 'view-home', block: 'block-view', tx: 'tx-view', account: 'account-view', mempool: 'mempool', peers: 'peers', forks: 'forks', dht: 'dht', lookups: 'lookups', propagation: 'propagation', notfound: 'notfound-view' };

  function parseRoute() {
    // Plain in-page anchors (the skip link) are not routes: they keep the current view.
    if (location.hash && location.hash.indexOf('#/') !== 0) return { name: state.routeName, arg: state.routeArg };
    var h = location.hash.replace(/^#\/?/, '');
    var parts = h.split('/');
    var name = parts[0] || 'home';
    var arg = parts.slice(1).join('/');
    try { arg = decodeURIComponent(arg); } catch (e) { name = 'notfound'; }
    if (!VIEWS[name] || ((name === 'block' || name === 'tx' || name === 'account') && !arg)) name = 'notfound';
    return { name: name, arg: arg };
  }

  function refreshRoute() {
    var n = state.routeName, a = state.routeArg;
    if (n === 'block') showBlock(a);
    else if (n === 'tx') showTx(a);
    else if (n === 'account') showAccount(a);
    else if (n === 'mempool') showMempool();
    else if (n === 'peers') showPeers();
    else if (n === 'forks') { renderForks(); loadTips(); }
  }

  function onRoute(focus) {
    var r = parseRoute();
    state.routeName = r.name;
    state.routeArg = r.arg;
    Object.keys(VIEWS).forEach(function (k) { $(VIEWS[k]).hidden = k !== r.name; });
    Array.prototype.forEach.call(document.querySelectorAll('nav a[data-nav]'), function (a) {
      if (a.getAttribute('data-nav') === r.name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    document.title = (r.name === 'home' ? 'Overview' : r.name.charAt(0).toUpperCase() + r.name.slice(1) + (r.arg ? ' ' + short(r.arg) : '')) + ' · kadchain explorer';
    refreshRoute();
    if (focus) {
      var heading = $(VIEWS[r.name]).querySelector('h1');
      if (heading) heading.focus();
    }
  }

  function search(q) {
    var err = $('search-error');
    err.textContent = '';
    q = q.trim();
    if (!q) return;
    if (/^\d+$/.test(q)) { location.hash = '#/block/' + q; return; }
    if (/^kc1[0-9a-z]+$/i.test(q)) { location.hash = '#/account/' + q.toLowerCase(); return; }
    if (/^[0-9a-f]{64}$/i.test(q)) {
      var id = q.toLowerCase();
      api('/api/blocks/' + id).then(function () { location.hash = '#/block/' + id; }, function (e) {
        if (e.status === 404) location.hash = '#/tx/' + id;
        else err.textContent = e.message;
      });
      return;
    }
    err.textContent = 'Enter a block height, a 64-hex-digit block or transaction id, or a kc1… address.';
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll('time[data-time]'), function (t) {
      t.textContent = ago(Number(t.getAttribute('data-time')));
    });
  }

  function init() {
    $('search-form').addEventListener('submit', function (e) {
      e.preventDefault();
      search($('search').value);
    });
    window.addEventListener('hashchange', function () {
      if (location.hash && location.hash.indexOf('#/') !== 0) return;
      onRoute(true);
    });
    onRoute(false);
    updateBanner();
    refreshStatus();
    loadRecent();
    connect();
    setInterval(refreshStatus, 5000);
    setInterval(tick, 1000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
`;
