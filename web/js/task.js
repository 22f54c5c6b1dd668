/* One task: its fields and its timeline (every reminder and what became of it). */
'use strict';

const KIND = { reminder: '提醒', escalation: '督办升级', notice: '通知', manual: '短信', reply: '回复' };

const code = new URLSearchParams(location.search).get('code');
let task = null;

function fill(t) {
  task = t;
  $('e-title').value = t.title;
  $('e-deadline').value = (t.deadline || '').slice(0, 10);
  $('e-lead').value = t.lead || '';
  $('e-team').value = t.team || '';
  $('e-rules').value = t.rules || '';
  $('e-detail').value = t.detail || '';
  $('t-done').hidden = t.status !== 'open';
  $('t-cancel').hidden = t.status !== 'open';
  $('t-reopen').hidden = t.status === 'open';
}

async function save(ev) {
  ev.preventDefault();
  const b = {};
  const set = (k, v, old) => { if (v !== (old || '')) b[k] = v; };
  set('title', $('e-title').value.trim(), task.title);
  if ($('e-deadline').value && $('e-deadline').value !== task.deadline.slice(0, 10)) b.deadline = $('e-deadline').value;
  set('lead', $('e-lead').value.trim(), task.lead);
  set('team', $('e-team').value.trim(), task.team);
  set('rules', $('e-rules').value.trim(), task.rules);
  set('detail', $('e-detail').value.trim(), task.detail);
  if ($('e-supervisor').value.trim()) b.supervisor = $('e-supervisor').value.trim();
  const owners = $('e-owners').value.split(/[,，、]+/).map((x) => x.trim()).filter(Boolean);
  if (owners.length) b.owners = owners;
  try {
    await api('POST', '/v1/tasks/' + encodeURIComponent(code), b);
    location.reload();
  } catch (e) {
    showMsg('edit-msg', '保存失败：' + e.message);
  }
}

async function verb(v) {
  try {
    await api('POST', `/v1/tasks/${encodeURIComponent(code)}/${v}`);
    location.reload();
  } catch (e) {
    showMsg('edit-msg', '操作失败：' + e.message);
  }
}

page(async () => {
  $('edit-form').addEventListener('submit', save);
  for (const v of ['done', 'cancel', 'reopen']) $('t-' + v).addEventListener('click', () => verb(v));
  const t = await api('GET', '/v1/tasks/' + encodeURIComponent(code));
  fill(t);
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
