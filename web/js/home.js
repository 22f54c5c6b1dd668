/* 工作台: what needs attention today. */
'use strict';

const CIRCUIT = { closed: '正常', 'half-open': '试探恢复中', open: '暂停使用' };

async function health() {
  const r = await fetch('/healthz', { credentials: 'same-origin' });
  return r.json().catch(() => ({}));
}

page(async () => {
  const d = await api('GET', '/v1/dashboard');
  $('today-sent').textContent = d.today.sent;
  $('today-delivered').textContent = d.today.delivered;
  $('today-failed').textContent = d.today.failed;
  $('inbox-waiting').textContent = d.inbox_waiting;

  const tb = document.querySelector('#due-tasks tbody');
  /* By lead, then deadline: each leader sees their own together. */
  const tasks = d.tasks.slice().sort((a, b) => (a.lead || '').localeCompare(b.lead || '', 'zh-CN') ||
    (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
  for (const t of tasks)
    tb.append(el('tr', { class: t.overdue ? 'overdue' : null },
      el('td', {}, t.lead || ''),
      el('td', {}, el('a', { href: '/task.html?code=' + encodeURIComponent(t.code) }, t.code)),
      el('td', {}, t.title), el('td', {}, fmtTime(t.deadline)),
      el('td', {}, t.overdue ? '已逾期' : '本周到期')));
  $('no-due').hidden = d.tasks.length > 0;

  const nb = document.querySelector('#pending-notices tbody');
  for (const n of d.pending_notices)
    nb.append(el('tr', {},
      el('td', {}, el('a', { href: '/notice.html?id=' + n.id }, n.ref)),
      el('td', {}, n.title), el('td', {}, n.created_by.replace(/^staff:/, '')),
      el('td', {}, n.recipients)));
  $('no-pending').hidden = d.pending_notices.length > 0;

  const h = await health();
  const pb = document.querySelector('#providers tbody');
  for (const p of h.providers || []) {
    const why = p.circuit === 'open' ? '连续失败，暂停到 ' + fmtTime(p.open_until) : '';
    pb.append(el('tr', {}, el('td', {}, p.name), el('td', {}, CIRCUIT[p.circuit] || p.circuit),
                  el('td', {}, why)));
  }
  const tick = h.scheduler && h.scheduler.last_tick;
  $('last-tick').textContent = tick ? fmtTime(tick) : '尚未运行';
});
