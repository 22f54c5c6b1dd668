/* 发送记录: search the outbox by number or name; one message's attempts and reports. */
'use strict';

const RESULT = { accepted: '已接受', transient: '临时失败（重试）', permanent: '被拒绝' };

async function show(id) {
  const m = await api('GET', '/v1/outbox/' + id);
  $('msg-heading').textContent = `#${m.id} ${m.person} ${m.to}：${STATUS[m.status] || m.status}`;
  $('msg-text').textContent = m.text;
  const at = document.querySelector('#msg-attempts tbody');
  at.textContent = '';
  for (const a of m.attempts_made)
    at.append(el('tr', {}, el('td', {}, fmtTime(a.at)), el('td', {}, a.provider),
      el('td', {}, RESULT[a.result] || a.result), el('td', {}, a.http_status || ''), el('td', {}, a.error || '')));
  const rp = document.querySelector('#msg-reports tbody');
  rp.textContent = '';
  for (const d of m.reports)
    rp.append(el('tr', {}, el('td', {}, fmtTime(d.received_at)), el('td', {}, d.provider),
      el('td', {}, STATUS[d.status] || d.status), el('td', {}, d.error || '')));
  $('msg-panel').hidden = false;
}

async function load(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams();
  if ($('outbox-q').value.trim()) q.set('q', $('outbox-q').value.trim());
  if ($('outbox-status').value) q.set('status', $('outbox-status').value);
  const j = await api('GET', '/v1/outbox?' + q.toString());
  const tb = document.querySelector('#outbox-list tbody');
  tb.textContent = '';
  for (const m of j.messages)
    tb.append(el('tr', {}, el('td', {}, el('a', { href: '#m' + m.id, onclick: (e) => { e.preventDefault(); show(m.id); } }, String(m.id))),
      el('td', {}, fmtTime(m.sent_at || m.created_at)), el('td', {}, m.person), el('td', {}, m.to),
      el('td', {}, m.kind), el('td', {}, STATUS[m.status] || m.status), el('td', {}, m.text)));
}

page(async () => {
  $('outbox-form').addEventListener('submit', (e) => load(e).catch((x) => showMsg('page-error', x.message)));
  await load();
});
