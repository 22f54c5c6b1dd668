/* 回复: replies waiting for staff, what duban did with the others, marking them dealt with. */
'use strict';

const ACTION = { optout: '已退订', ack: '已确认收到', done: '已办结', inbox: '待人工处理' };
const RSTATUS = { new: '待处理', handled: '已自动处理', read: '已处理' };

async function load() {
  const j = await api('GET', '/v1/inbox' + ($('inbox-all').checked ? '?all=1' : ''));
  const tb = document.querySelector('#inbox-list tbody');
  tb.textContent = '';
  for (const r of j.replies) {
    const act = el('td', {});
    if (r.status === 'new' && can('clerk'))
      act.append(el('button', { type: 'button', class: 'plain', onclick: async () => {
        await api('POST', `/v1/inbox/${r.id}/read`, {});
        await load();
      } }, '标为已处理'));
    tb.append(el('tr', {}, el('td', {}, fmtTime(r.received_at)), el('td', {}, r.from), el('td', {}, r.phone),
      el('td', {}, r.text), el('td', {}, ACTION[r.action] || r.action || ''),
      el('td', {}, RSTATUS[r.status] || r.status), act));
  }
  $('inbox-empty').hidden = j.replies.length > 0;
}

page(async () => {
  $('inbox-all').addEventListener('change', load);
  await load();
});
