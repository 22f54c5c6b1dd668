/* One task: its fields and its timeline (every reminder and what became of it). */
'use strict';

const KIND = { reminder: '提醒', escalation: '督办升级', notice: '通知', manual: '短信', reply: '回复' };

page(async () => {
  const code = new URLSearchParams(location.search).get('code');
  const t = await api('GET', '/v1/tasks/' + encodeURIComponent(code));
  $('t-heading').textContent = `${t.code} ${t.title}`;
  $('t-status').textContent = t.status === 'open' && t.overdue ? '已逾期' : (STATUS[t.status] || t.status);
  $('t-deadline').textContent = fmtTime(t.deadline);
  $('t-lead').textContent = t.lead || '';
  $('t-team').textContent = t.team || '';
  $('t-rules').textContent = t.rules;
  $('t-detail').textContent = t.detail;
  const tl = await api('GET', `/v1/tasks/${encodeURIComponent(code)}/timeline`);
  $('t-next').textContent = tl.next_reminder ? fmtTime(tl.next_reminder) : '无';
  $('t-reply').textContent = tl.last_reply ? `${fmtTime(tl.last_reply.at)} ${tl.last_reply.text}` : '无';
  const tb = document.querySelector('#timeline tbody');
  for (const m of tl.messages) {
    const why = m.status === 'skipped' || m.status === 'cancelled' || m.status === 'failed' ? (m.error || '') : (m.step || '');
    tb.append(el('tr', {}, el('td', {}, fmtTime(m.sent_at || m.not_before || m.created_at)),
      el('td', {}, KIND[m.kind] || m.kind), el('td', {}, m.person), el('td', {}, m.to),
      el('td', {}, STATUS[m.status] || (m.status === 'skipped' ? '已跳过' : m.status)), el('td', {}, why)));
  }
  $('no-timeline').hidden = tl.messages.length > 0;
});
