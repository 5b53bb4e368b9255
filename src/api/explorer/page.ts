// The explorer's HTML shell and stylesheet, as strings so tsc carries them into dist/ with no copy
// step. The page loads only /explorer.css and its typed ES modules (/explorer/main.js and what it
// imports, compiled from src/explorer/) from the node itself (no CDN, no bundler), and every
// element a browser test drives has a stable id and a matching data-testid.

export const EXPLORER_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kadchain explorer</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/explorer.css">
<script type="module" src="/explorer/main.js"></script>
</head>
<body>
<a class="skip" href="#main-content" id="skip-link">Skip to content</a>
<header class="top">
  <div class="brand-row">
    <a href="#/" class="brand" id="home-link" data-testid="home-link">kadchain</a>
    <span class="network" id="network" data-testid="network" title="network">…</span>
    <nav aria-label="Sections" id="nav" data-testid="nav">
      <a href="#/" data-nav="home">Overview</a>
      <a href="#/mempool" data-nav="mempool" id="nav-mempool" data-testid="nav-mempool">Mempool</a>
      <a href="#/peers" data-nav="peers" id="nav-peers" data-testid="nav-peers">Peers</a>
      <a href="#/forks" data-nav="forks" id="nav-forks" data-testid="nav-forks">Forks</a>
      <a href="#/dht" data-nav="dht" id="nav-dht" data-testid="nav-dht">DHT</a>
      <a href="#/lookups" data-nav="lookups" id="nav-lookups" data-testid="nav-lookups">Lookups</a>
      <a href="#/propagation" data-nav="propagation" id="nav-propagation" data-testid="nav-propagation">Propagation</a>
    </nav>
  </div>
  <form id="search-form" data-testid="search-form" role="search" autocomplete="off">
    <label for="search" class="sr-only">Search by block height, block id, transaction id or address</label>
    <input id="search" data-testid="search" name="q" type="search" spellcheck="false" placeholder="Height, block or tx id, or kc1… address">
    <button type="submit" id="search-button" data-testid="search-button">Search</button>
    <span id="search-error" data-testid="search-error" class="search-error" role="status" aria-live="polite"></span>
  </form>
</header>
<div id="banner" data-testid="banner" class="banner" role="alert" hidden>node unreachable, retrying</div>
<section class="stats" aria-label="Chain at a glance" id="stats" data-testid="stats">
  <dl>
    <div><dt>Height</dt><dd id="tip-height" data-testid="tip-height">–</dd></div>
    <div><dt>Tip</dt><dd><a id="tip-id" data-testid="tip-id" class="mono" href="#/">–</a></dd></div>
    <div><dt>Last block</dt><dd id="tip-age" data-testid="tip-age">–</dd></div>
    <div><dt>Difficulty</dt><dd id="difficulty" data-testid="difficulty">–</dd></div>
    <div><dt>Hash rate (this node)</dt><dd id="hashrate" data-testid="hashrate">–</dd></div>
    <div><dt>Hash rate (network, from work)</dt><dd id="net-hashrate" data-testid="net-hashrate">–</dd></div>
    <div><dt>Block time (mean)</dt><dd id="block-time-mean" data-testid="block-time-mean">–</dd></div>
    <div><dt>Block time (median)</dt><dd id="block-time-median" data-testid="block-time-median">–</dd></div>
    <div><dt>Next retarget</dt><dd id="next-retarget" data-testid="next-retarget">–</dd></div>
    <div><dt>Forks</dt><dd id="fork-counts" data-testid="fork-counts">–</dd></div>
    <div><dt>Peers</dt><dd id="peer-count" data-testid="peer-count">–</dd></div>
    <div><dt>Mempool</dt><dd id="mempool-count" data-testid="mempool-count">–</dd></div>
    <div><dt>Sync</dt><dd id="sync-state" data-testid="sync-state">–</dd></div>
  </dl>
</section>
<main id="main-content" tabindex="-1">
  <section id="view-home" data-testid="view-home" data-view="home" aria-labelledby="h-home">
    <h1 id="h-home" tabindex="-1">Recent blocks</h1>
    <div class="table-wrap">
      <table class="grid" aria-labelledby="h-home">
        <thead><tr><th scope="col" class="num">Height</th><th scope="col">Block</th><th scope="col">Time</th><th scope="col" class="num">Txs</th><th scope="col">Miner</th><th scope="col" class="num">Size</th></tr></thead>
        <tbody id="blocks" data-testid="blocks"><tr><td colspan="6" class="muted">Loading…</td></tr></tbody>
      </table>
    </div>
    <h2 id="h-chart">Block times and difficulty</h2>
    <div id="chart" data-testid="chart" class="chart"></div>
    <p id="chart-summary" data-testid="chart-summary" class="muted"></p>
    <p id="stats-note" data-testid="stats-note" class="muted"></p>
  </section>
  <section id="block-view" data-testid="block-view" data-view="block" hidden aria-labelledby="h-block">
    <h1 id="h-block" tabindex="-1">Block</h1>
    <div id="block-detail" data-testid="block-detail"></div>
  </section>
  <section id="tx-view" data-testid="tx-view" data-view="tx" hidden aria-labelledby="h-tx">
    <h1 id="h-tx" tabindex="-1">Transaction</h1>
    <div id="tx-detail" data-testid="tx-detail"></div>
  </section>
  <section id="account-view" data-testid="account-view" data-view="account" hidden aria-labelledby="h-account">
    <h1 id="h-account" tabindex="-1">Account</h1>
    <div id="account-detail" data-testid="account-detail"></div>
  </section>
  <section id="mempool" data-testid="mempool" data-view="mempool" hidden aria-labelledby="h-mempool">
    <h1 id="h-mempool" tabindex="-1">Mempool</h1>
    <p id="mempool-summary" data-testid="mempool-summary" class="muted"></p>
    <div class="table-wrap">
      <table class="grid" aria-labelledby="h-mempool">
        <thead><tr><th scope="col">Transaction</th><th scope="col">From</th><th scope="col">To</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Fee</th><th scope="col" class="num">Fee rate</th><th scope="col" class="num">Nonce</th><th scope="col">Waiting</th></tr></thead>
        <tbody id="mempool-rows" data-testid="mempool-rows"></tbody>
      </table>
    </div>
  </section>
  <section id="peers" data-testid="peers" data-view="peers" hidden aria-labelledby="h-peers">
    <h1 id="h-peers" tabindex="-1">Peers</h1>
    <h2 id="h-connected">Connected (WebSocket)</h2>
    <div class="table-wrap">
      <table class="grid" aria-labelledby="h-connected">
        <thead><tr><th scope="col">Node id</th><th scope="col">Address</th><th scope="col">Direction</th><th scope="col" class="num">Height</th><th scope="col" class="num">Score</th><th scope="col">Connected</th></tr></thead>
        <tbody id="peers-connected" data-testid="peers-connected"></tbody>
      </table>
    </div>
    <h2 id="h-buckets">Kademlia routing table</h2>
    <p class="muted">One bar per bucket, by the length of the id prefix a contact shares with this node; bar height is the bucket's fill out of k = 20.</p>
    <div id="buckets" data-testid="buckets" class="chart"></div>
    <div class="table-wrap">
      <table class="grid" aria-labelledby="h-buckets">
        <thead><tr><th scope="col" class="num">Bucket</th><th scope="col">Node id</th><th scope="col">Address</th><th scope="col">Last seen</th></tr></thead>
        <tbody id="peers-table" data-testid="peers-table"></tbody>
      </table>
    </div>
  </section>
  <section id="forks" data-testid="forks" data-view="forks" hidden aria-labelledby="h-forks">
    <h1 id="h-forks" tabindex="-1">Forks and reorganisations</h1>
    <p class="muted">Blocks by height: the main chain on the top lane, side branches below (recent branches from the node, and whatever this tab saw happen).</p>
    <div id="fork-tree" data-testid="fork-tree" class="chart"></div>
    <h2 id="h-branches">Side branches</h2>
    <ul id="branches" data-testid="branches"></ul>
    <h2 id="h-tips">Chain tips</h2>
    <p class="muted">Every branch end the node has stored, the active tip first (from <code>/api/tips</code>).</p>
    <div class="table-wrap">
      <table class="grid" aria-labelledby="h-tips">
        <thead><tr><th scope="col">Status</th><th scope="col" class="num">Height</th><th scope="col" class="num">Fork height</th><th scope="col" class="num">Branch length</th><th scope="col">Tip</th></tr></thead>
        <tbody id="tips" data-testid="tips"></tbody>
      </table>
    </div>
    <h2 id="h-reorgs">Reorganisations</h2>
    <div class="table-wrap">
      <table class="grid" aria-labelledby="h-reorgs">
        <thead><tr><th scope="col">When</th><th scope="col" class="num">Fork height</th><th scope="col">Disconnected</th><th scope="col">Connected</th></tr></thead>
        <tbody id="reorgs" data-testid="reorgs"></tbody>
      </table>
    </div>
    <h2 id="h-node-reorgs">Reorganisations the node made</h2>
    <p class="muted">Depth, fork height, old and new tips since the node started (from <code>/api/reorgs</code>, bounded history).</p>
    <div id="node-reorgs" data-testid="node-reorgs" class="table-wrap"></div>
    <h2 id="h-difficulty">Difficulty over time</h2>
    <div id="difficulty-chart" data-testid="difficulty-chart" class="chart"></div>
  </section>
  <section id="dht" data-testid="dht" data-view="dht" hidden aria-labelledby="h-dht">
    <h1 id="h-dht" tabindex="-1">Kademlia routing table</h1>
    <div id="dht-buckets" data-testid="dht-buckets"><p class="muted">Loading…</p></div>
  </section>
  <section id="lookups" data-testid="lookups" data-view="lookups" hidden aria-labelledby="h-lookups">
    <h1 id="h-lookups" tabindex="-1">Recent lookups</h1>
    <div id="lookups-list" data-testid="lookups-list"><p class="muted">Loading…</p></div>
  </section>
  <section id="propagation" data-testid="propagation" data-view="propagation" hidden aria-labelledby="h-propagation">
    <h1 id="h-propagation" tabindex="-1">Block propagation</h1>
    <div id="propagation-list" data-testid="propagation-list"><p class="muted">Loading…</p></div>
  </section>
  <section id="notfound-view" data-testid="notfound-view" data-view="notfound" hidden aria-labelledby="h-notfound">
    <h1 id="h-notfound" tabindex="-1">Not found</h1>
    <p>There is no page at this address. <a href="#/">Back to the overview</a>.</p>
  </section>
</main>
<footer class="foot">
  <span>Live over <code>/api/events</code>:</span> <span id="conn-state" data-testid="conn-state">connecting…</span>
</footer>
</body>
</html>
`;

export const EXPLORER_CSS = `:root {
  --bg: #ffffff; --fg: #1b1b1b; --muted: #4f4f4f; --line: #d0d4d9; --panel: #f3f5f7;
  --link: #0b53a6; --accent: #0b6e4f; --side: #b3261e; --focus: #ffbf00; --banner-bg: #7a1010; --banner-fg: #ffffff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; line-height: 1.45; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px #1b1b1b; }
svg a:focus-visible circle, svg a:focus-visible rect { stroke: #1b1b1b; stroke-width: 4px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.skip { position: absolute; left: -999px; top: 0; background: var(--fg); color: var(--bg); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.mono, code, .hash { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
.hash { word-break: break-all; }
.muted { color: var(--muted); }
.top { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: center; justify-content: space-between; padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand-row { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: baseline; }
.brand { font-weight: 700; font-size: 1.3rem; text-decoration: none; color: var(--fg); }
.network { font-size: .85rem; padding: .1rem .5rem; border: 1px solid var(--line); border-radius: 1rem; background: var(--bg); }
nav a { margin-right: .9rem; font-weight: 500; }
nav a[aria-current="page"] { color: var(--fg); text-decoration-thickness: 3px; }
#search-form { display: flex; gap: .4rem; align-items: center; flex-wrap: wrap; }
#search { width: min(36rem, 80vw); padding: .45rem .6rem; border: 1px solid #767676; border-radius: 4px; font-size: 1rem; }
button { padding: .45rem .9rem; border: 1px solid #1b1b1b; background: #1b1b1b; color: #fff; border-radius: 4px; font-size: 1rem; cursor: pointer; }
.search-error { color: var(--side); font-size: .9rem; }
.banner { background: var(--banner-bg); color: var(--banner-fg); padding: .6rem 1.25rem; font-weight: 600; }
.stats dl { display: grid; grid-template-columns: repeat(auto-fit, minmax(10.5rem, 1fr)); gap: .5rem; margin: 0; padding: .9rem 1.25rem; }
.stats dl > div { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .45rem .7rem; min-width: 0; }
.stats dt { font-size: .78rem; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.stats dd { margin: 0; font-size: 1.15rem; font-weight: 600; overflow-wrap: anywhere; }
main { padding: .5rem 1.25rem 2rem; max-width: 84rem; }
main:focus { outline: none; }
h1 { font-size: 1.35rem; margin: 1rem 0 .6rem; }
h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; }
.table-wrap { overflow-x: auto; }
table.grid { border-collapse: collapse; width: 100%; font-size: .95rem; }
.grid th, .grid td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
.grid th { background: var(--panel); font-weight: 600; }
.grid td.num, .grid th.num { text-align: right; font-variant-numeric: tabular-nums; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.2rem; margin: 0 0 1rem; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; min-width: 0; word-break: break-all; }
.tag { display: inline-block; padding: 0 .45rem; border-radius: .7rem; font-size: .82rem; font-weight: 600; border: 1px solid currentColor; }
.tag.main, .tag.confirmed { color: var(--accent); }
.tag.side, .tag.pending { color: var(--side); }
.chart { margin: .5rem 0; overflow-x: auto; }
.chart svg { display: block; max-width: 100%; height: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
.chart text { font-size: 11px; fill: var(--muted); font-family: system-ui, sans-serif; }
.series-time { fill: none; stroke: #0b53a6; stroke-width: 2; }
.series-target { stroke: #0b6e4f; stroke-width: 1.5; stroke-dasharray: 6 4; }
.series-diff { fill: none; stroke: #b3261e; stroke-width: 1.5; }
.axis { stroke: #767676; stroke-width: 1; }
.bucket-bar { fill: #0b53a6; }
.bucket-bg { fill: #dde3ea; }
.fork-edge { stroke: #767676; stroke-width: 2; }
.fork-node.main { fill: #0b6e4f; }
.fork-node.side { fill: #b3261e; }
.fork-node.tip { stroke: #1b1b1b; stroke-width: 3; }
.foot { padding: .8rem 1.25rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .9rem; }
.error { color: var(--side); font-weight: 600; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #121417; --fg: #eceff2; --muted: #b4bbc3; --line: #3a4048; --panel: #1c2026; --link: #8cc4ff; --accent: #5fd3a5; --side: #ff8a80; }
  .brand { color: var(--fg); }
  button { background: #eceff2; color: #121417; border-color: #eceff2; }
  #search { background: #1c2026; color: var(--fg); border-color: #8a939c; }
  .bucket-bg { fill: #2a3038; }
  .series-time { stroke: #8cc4ff; } .series-target { stroke: #5fd3a5; } .series-diff { stroke: #ff8a80; }
  .fork-node.main { fill: #5fd3a5; } .fork-node.side { fill: #ff8a80; } .fork-node.tip { stroke: #eceff2; }
  .bucket-bar { fill: #8cc4ff; }
  a:focus-visible, button:focus-visible, input:focus-visible, [tabindex]:focus-visible { box-shadow: 0 0 0 5px #121417; }
}
`;

export const EXPLORER_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b53a6"/><path d="M9 7v18M9 16l10-9M9 16l10 9" stroke="#fff" stroke-width="3.5" fill="none" stroke-linecap="round"/></svg>
`;
