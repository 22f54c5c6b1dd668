/*
 * 报表: the four reports of `duban report` as tables with their columns in
 * Chinese, exported as CSV (UTF-8 with BOM, for Excel), and charts drawn
 * here as SVG: messages per day by outcome, the year's review per lead,
 * overdue tasks per lead.
 */
'use strict';

const COLS = {
  code: '编号', title: '事项', lead: '牵头领导', deadline: '期限', status: '状态', done_at: '完成时间',
  days_overdue: '逾期天数', days_early: '提前天数', reminders_sent: '已发提醒', escalations_sent: '已发督办',
  last_reply: '最近回复', name: '姓名', org: '单位', tasks_led: '牵头事项', done_on_time: '按时完成',
  done_late: '逾期完成', open: '进行中', overdue: '已逾期', kind: '类型', provider: '服务商',
  messages: '短信数', waiting: '待发', sent: '已发送', delivered: '已送达', failed: '失败',
  expired: '过期', cancelled: '撤销', parts_sent: '发送条数', parts_billed: '计费条数',
  supervisor: '督办人', tasks_owned: '负责事项', owned_on_time: '负责按时完成',
  owned_late: '负责逾期完成', owned_open: '负责进行中', owned_overdue: '负责已逾期',
};
/* The people report's title is the person's (职务), not a task's. */
const colName = (report, x) => (report === 'people' && x === 'title' ? '职务' : COLS[x] || x);
const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2e8b57', '#d98b00', '#c0392b', '#6bbf8a'];
let current = null;

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/* Stacked bars: labels, series [{name, values}], one bar per label. */
function bars(labels, series) {
  const w = 1200, h = 280, left = 40, bottom = 60, top = 30;
  const totals = labels.map((_, i) => series.reduce((s, x) => s + x.values[i], 0));
  const max = Math.max(1, ...totals);
  const bw = Math.min(60, (w - left) / Math.max(labels.length, 1) - 8);
  const root = svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}` });
  root.append(svg('line', { x1: left, y1: h - bottom, x2: w, y2: h - bottom, stroke: '#999' }));
  root.append(svg('text', { x: 4, y: top + 4, 'font-size': 12 }, String(max)));
  labels.forEach((l, i) => {
    const x = left + 8 + i * (bw + 8);
    let y = h - bottom;
    series.forEach((s, k) => {
      const bh = ((h - bottom - top) * s.values[i]) / max;
      y -= bh;
      if (bh > 0) {
        const r = svg('rect', { x, y, width: bw, height: bh, fill: COLORS[k % COLORS.length] });
        r.append(svg('title', {}, `${l} ${s.name}：${s.values[i]}`));
        root.append(r);
      }
    });
    root.append(svg('text', { x: x + bw / 2, y: h - bottom + 16, 'font-size': 12, 'text-anchor': 'middle' }, l));
    root.append(svg('text', { x: x + bw / 2, y: y - 4, 'font-size': 12, 'text-anchor': 'middle' }, String(totals[i])));
  });
  series.forEach((s, k) => {
    root.append(svg('rect', { x: left + k * 120, y: h - 22, width: 12, height: 12, fill: COLORS[k % COLORS.length] }));
    root.append(svg('text', { x: left + k * 120 + 18, y: h - 12, 'font-size': 13 }, s.name));
  });
  $('chart').textContent = '';
  $('chart').append(root);
}

/* Days as the town counts them (its time zone, from the server), not the browser's. */
function isoDay(d) {
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

async function perDay() {
  const today = (await api('GET', '/v1/dashboard')).now.slice(0, 10).split('-').map(Number);
  const base = Date.UTC(today[0], today[1] - 1, today[2]);
  const days = [];
  for (let i = 13; i >= 0; i--) days.push(new Date(base - i * 86400000));
  const rows = await Promise.all(days.map((d) => api('GET',
    `/v1/reports/delivery?from=${isoDay(d)}&to=${isoDay(new Date(d.getTime() + 86400000))}`)));
  const total = (j, col) => { const i = j.columns.indexOf(col); const r = j.rows.find((x) => x[0] === 'total'); return r ? r[i] : 0; };
  $('chart-title').textContent = '近两周每日短信';
  bars(days.map((d) => `${d.getUTCMonth() + 1}/${d.getUTCDate()}`), [
    { name: '已送达', values: rows.map((j) => total(j, 'delivered')) },
    { name: '已发送未回执', values: rows.map((j) => total(j, 'sent') - total(j, 'delivered')) },
    { name: '失败', values: rows.map((j) => total(j, 'failed') + total(j, 'expired')) },
  ]);
}

function chart(j) {
  const c = (name) => j.columns.indexOf(name);
  $('chart-panel').hidden = false;
  if (j.report === 'people') {
    $('chart-title').textContent = '年度考核：各牵头领导';
    bars(j.rows.map((r) => r[c('name')]), [
      { name: '按时完成', values: j.rows.map((r) => r[c('done_on_time')]) },
      { name: '逾期完成', values: j.rows.map((r) => r[c('done_late')]) },
      { name: '已逾期', values: j.rows.map((r) => r[c('overdue')]) },
    ]);
  } else if (j.report === 'overdue') {
    const by = {};
    for (const r of j.rows) by[r[c('lead')] || '（无）'] = (by[r[c('lead')] || '（无）'] || 0) + 1;
    $('chart-title').textContent = '逾期事项：各牵头领导';
    bars(Object.keys(by), [{ name: '逾期事项', values: Object.values(by) }]);
  } else if (j.report === 'delivery') {
    return perDay();
  } else {
    $('chart-panel').hidden = true;
  }
  return null;
}

function table(j) {
  const t = $('report-table');
  t.tHead.textContent = '';
  t.tBodies[0].textContent = '';
  t.tHead.append(el('tr', {}, ...j.columns.map((x) => el('th', {}, colName(j.report, x)))));
  for (const r of j.rows)
    t.tBodies[0].append(el('tr', {}, ...r.map((v, i) => el('td', {},
      v === null ? '' : /deadline|_at$/.test(j.columns[i]) ? fmtTime(String(v)) : String(v)))));
}

function csv() {
  const q = (v) => { const s = v === null ? '' : String(v); return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; };
  const lines = [current.columns.map((x) => q(colName(current.report, x))).join(',')]
    .concat(current.rows.map((r) => r.map(q).join(',')));
  const blob = new Blob(['\uFEFF' + lines.join('\r\n') + '\r\n'], { type: 'text/csv;charset=utf-8' });
  const a = el('a', { href: URL.createObjectURL(blob), download: `${current.report}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
}

async function load() {
  const kind = $('report-kind').value;
  const y = $('report-year').value.trim();
  current = await api('GET', `/v1/reports/${kind}` + (y && kind !== 'tasks' && kind !== 'overdue' ? '?year=' + y : ''));
  table(current);
  await chart(current);
}

page(async () => {
  $('report-year').value = String(new Date().getFullYear());
  $('report-kind').addEventListener('change', load);
  $('report-year').addEventListener('change', load);
  $('report-csv').addEventListener('click', csv);
  await load();
});
