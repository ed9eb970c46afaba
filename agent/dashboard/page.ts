// The dashboard's one page, self-contained: markup, style and script inline, nothing fetched from
// elsewhere, so it works offline and ships inside the agent bundle as a string. The content
// security policy allows exactly this style and this script (by hash) and requests to this origin.
import { createHash } from 'node:crypto';
import { dashboardClient } from './client.js';

const STYLE = `
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d2430; background: #f5f6f8; }
header { display: flex; gap: 1em; align-items: baseline; padding: .6em 1.2em; background: #1d2430; color: #fff; }
header h1 { font-size: 1.2em; margin: 0; }
#connection.live { color: #7ee2a0; } #connection.down { color: #ffb4a8; }
#notice { margin-left: auto; }
main { padding: 1em 1.2em; }
table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { padding: .35em .6em; text-align: left; border-bottom: 1px solid #e3e6eb; white-space: nowrap; }
th { font-weight: 600; color: #5a6372; }
tbody tr { cursor: pointer; } tbody tr:hover { background: #f0f4fb; } tr.selected { background: #e3edfc; }
.status { padding: .1em .5em; border-radius: 1em; background: #e3e6eb; }
.status-online { background: #d4f5df; color: #176b35; }
.status-errored { background: #fde0dc; color: #9c2414; }
.status-launching, .status-waiting-restart, .status-stopping { background: #fff1c7; color: #7a5800; }
td.cpu span, td.memory span { display: inline-block; width: 5.5em; }
.chart { width: 90px; height: 22px; vertical-align: middle; background: #f5f6f8; }
.chart polyline { fill: none; stroke-width: 1.5; }
.chart.cpu polyline { stroke: #2f6fde; } .chart.memory polyline { stroke: #a3479f; }
button { margin-right: .3em; padding: .2em .7em; border: 1px solid #b8bfca; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #eef1f5; } button:disabled { opacity: .5; cursor: wait; }
#detail { margin-top: 1.2em; }
#detail h2 { font-size: 1.1em; }
.charts { display: flex; gap: 1.2em; }
figure { flex: 1; margin: 0; background: #fff; padding: .5em; }
figure .chart { width: 100%; height: 90px; }
#log { margin-top: 1em; height: 22em; overflow: auto; padding: .5em; background: #11161f; color: #d8dee9; font: 12px/1.45 ui-monospace, monospace; }
#log .line { white-space: pre-wrap; word-break: break-all; } #log .err { color: #ff9b8a; } #log .skipped { color: #8891a0; font-style: italic; }
`;

const SCRIPT = `(${dashboardClient.toString()})();`;

const BODY = `
<header><h1>pmx</h1><span id="connection">connecting…</span><span id="notice" role="status"></span></header>
<main>
<table>
<thead><tr><th>id</th><th>name</th><th>mode</th><th>status</th><th>pid</th><th>uptime</th><th>restarts</th><th>CPU</th><th>memory</th><th></th></tr></thead>
<tbody id="process-rows"></tbody>
</table>
<p id="empty" hidden>No processes yet: start one with <code>pmx start app.js</code>.</p>
<section id="detail" hidden>
<h2 id="detail-title"></h2>
<div class="charts">
<figure><figcaption>CPU <span id="cpu-now"></span></figcaption>${chartSvg('cpu')}</figure>
<figure><figcaption>Memory <span id="memory-now"></span></figcaption>${chartSvg('memory')}</figure>
</div>
<div id="log" aria-live="polite"></div>
</section>
</main>`;

function chartSvg(kind: 'cpu' | 'memory'): string {
  return `<svg id="${kind}-chart" class="chart ${kind}" viewBox="0 0 59 100" preserveAspectRatio="none"><polyline vector-effect="non-scaling-stroke"/></svg>`;
}

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page's HTML. */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>pmx dashboard</title><style>${STYLE}</style></head>
<body>${BODY}
<script>${SCRIPT}</script>
</body></html>
`;

/** The Content-Security-Policy sent with the page. */
export const PAGE_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
