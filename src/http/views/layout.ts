/**
 * The HTML shell of every page the decision service renders. No script at all: the page is a
 * plain form, so it works on any device and a strict CSP costs nothing. The stylesheet is inline
 * and allowed by its SHA-256 hash in the CSP, so no other style (an injected `<style>` or `style=`
 * attribute) can apply.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../../evidence/text';

const STYLESHEET = `
:root{color-scheme:light;--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--bg:#f5f7fa;--card:#fff;--ok:#0f7b3f;--no:#b42318;--warn-bg:#fffbeb;--warn-line:#d97706;--warn-ink:#92400e}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:760px;margin:0 auto;padding:16px}
header.top{display:flex;justify-content:space-between;align-items:baseline;gap:8px;flex-wrap:wrap;margin:4px 0 12px;color:var(--muted);font-size:14px}
header.top strong{color:var(--ink);letter-spacing:.02em}
h1{font-size:22px;line-height:1.3;margin:4px 0 8px;overflow-wrap:anywhere}
h2{font-size:17px;margin:0 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;margin:0 0 14px}
.label{font-size:13px;color:var(--muted);margin:0}
.untrusted{background:var(--warn-bg);border:2px dashed var(--warn-line)}
.untrusted>.label{color:var(--warn-ink);font-weight:600}
.untrusted h3.label{margin:12px 0 2px;font-weight:600;color:var(--warn-ink)}
p.text{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:6px 0;border-bottom:1px solid var(--line)}
tr:last-child>th,tr:last-child>td{border-bottom:0}
th{width:34%;padding-right:12px;color:var(--muted);font-weight:500}
td{overflow-wrap:anywhere}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace}
code{font:13px ui-monospace,Menlo,Consolas,monospace;overflow-wrap:anywhere}
ul{margin:0;padding-left:20px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:13px;font-weight:600;background:#e4e7eb}
.risk-low{background:#e3f9e5;color:#05400a}.risk-medium{background:#fff3c4;color:#7c5e10}
.risk-high{background:#ffe3d3;color:#8a2c0d}.risk-critical{background:#fde2e2;color:#7a0c0c}
.notice{border-left:4px solid var(--warn-line);background:var(--warn-bg)}
.who{font-size:15px}
form{margin:0}
label{display:block;font-weight:600;margin:0 0 4px}
textarea{width:100%;min-height:80px;padding:8px;border:1px solid #9aa5b1;border-radius:6px;font:inherit}
button{display:block;width:100%;margin-top:10px;padding:12px 16px;border:0;border-radius:8px;font-family:inherit;font-size:16px;font-weight:600;line-height:1.2;color:#fff;cursor:pointer}
.approve{background:var(--ok)}.reject{background:var(--no)}.changes{background:#1d4ed8}.escalate{background:#3e4c59}
.edits{background:#6d28d9}.delegate{background:#0e7490}
select{width:100%;padding:8px;border:1px solid #9aa5b1;border-radius:6px;font:inherit;background:#fff;color:var(--ink)}
textarea.code{min-height:200px;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre;overflow-wrap:normal;overflow-x:auto}
label.spaced{margin-top:10px}
.hint{font-size:14px;color:var(--muted);margin:0 0 8px}
table.diff thead th{color:var(--muted);font-size:13px;font-weight:600}
table.diff th{width:26%}
table.diff td{width:37%;padding-right:12px}
td.old pre{color:var(--no)}td.new pre{color:var(--ok);font-weight:600}
.decide{display:grid;gap:14px}
.wide{grid-column:1/-1}
@media (min-width:700px){.decide{grid-template-columns:1fr 1fr}}
.result-ok{border-left:6px solid var(--ok)}.result-queued{border-left:6px solid var(--warn-line)}.result-problem{border-left:6px solid var(--no)}
footer{color:var(--muted);font-size:13px;margin:18px 0 8px}
`.trim();

/** `'sha256-…'` source for the CSP `style-src` directive. */
export const STYLESHEET_CSP_SOURCE = `'sha256-${createHash('sha256').update(STYLESHEET, 'utf8').digest('base64')}'`;

/** A full page. `title` is escaped here; `body` must already be safe HTML. */
export function page(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${escapeHtml(title)} · Gatehouse</title>`,
    `<style>${STYLESHEET}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<header class="top"><strong>Gatehouse</strong><span>Human approval for AI-agent actions</span></header>',
    body,
    '</main>',
    '</body>',
    '</html>',
  ].join('\n');
}

/** A date as `YYYY-MM-DD HH:MM UTC`; unparseable text is shown as is (escaped by the caller). */
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
