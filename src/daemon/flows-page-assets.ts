/**
 * The inline style and script of the /flows page (flows-page.ts). The script polls the
 * figures once a second and writes them into the table and into the last line of each
 * resource's box in the SVG (the line the DOT renderer reserved for them). Plain ES2017,
 * no library: the page must work offline.
 */

export const FLOWS_PAGE_STYLE = `
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { padding: 12px 24px; background: #1d2330; color: #fff; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; font-size: 13px; color: #c9cfda; }
main { padding: 12px 24px; }
section.flow { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; margin: 12px 0; padding: 8px 16px; }
section.flow h2 { font-size: 16px; margin: 6px 0 10px; }
.kind { font-size: 11px; text-transform: uppercase; color: #6a7385; margin-right: 4px; }
.body { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.picture svg { max-width: 100%; height: auto; }
table.figures { border-collapse: collapse; font-size: 13px; }
table.figures th, table.figures td { border-bottom: 1px solid #e6e9ef; padding: 4px 10px; text-align: left; }
table.figures td.calls, table.figures td.errors, table.figures td.p50 { text-align: right; font-variant-numeric: tabular-nums; }
td.errors.some { color: #b42318; font-weight: 600; }
.what { color: #6a7385; }
text.figures { fill: #0b6bcb; font-size: 9px; }
text.figures.errors { fill: #b42318; }
`;

export const FLOWS_PAGE_SCRIPT = `
(function () {
  'use strict';
  var REFRESH_MS = 1000;
  function p50(ms) { return ms === null ? '–' : ms + ' ms'; }
  function apply(data) {
    data.flows.forEach(function (flow, i) {
      flow.resources.forEach(function (r, n) {
        var id = 'flow' + i + '-resource_' + n;
        var row = document.querySelector('tr[data-node="' + id + '"]');
        if (row) {
          row.querySelector('.calls').textContent = String(r.calls);
          var errors = row.querySelector('.errors');
          errors.textContent = String(r.errors);
          errors.classList.toggle('some', r.errors > 0);
          row.querySelector('.p50').textContent = p50(r.p50Ms);
        }
        var box = document.getElementById(id);
        var texts = box ? box.querySelectorAll('text') : [];
        var line = texts.length ? texts[texts.length - 1] : null;
        if (line) {
          line.textContent = r.calls + ' calls · ' + r.errors + ' errors · p50 ' + p50(r.p50Ms);
          line.setAttribute('class', r.errors > 0 ? 'figures errors' : 'figures');
        }
      });
    });
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  }
  function poll() {
    fetch('flows/figures', { cache: 'no-store' })
      .then(function (res) { return res.ok ? res.json() : Promise.reject(new Error(String(res.status))); })
      .then(apply)
      .catch(function (error) { document.getElementById('updated').textContent = 'not updated: ' + error.message; })
      .then(function () { setTimeout(poll, REFRESH_MS); });
  }
  poll();
})();
`;
