/* One task: its fields and its timeline (every reminder planned or sent and what became of
 * it, every reply and progress note, in time order). */
'use strict';

const KIND = { reminder: '提醒', escalation: '督办升级', notice: '通知', manual: '短信', reply: '答复短信',
  digest: '汇总提醒' };
const STEP_KIND = { reminder: '到期前提醒', overdue: '逾期提醒', escalation: '督办升级' };
const ROLE = { lead: '牵头领导', owner: '责任人', member: '工作班子', supervisor: '督办人' };
/* What duban made of a reply (inbound.action, core/reply.c). */
const ACTION = {
  done: '已办结', 'done-already': '此前已办结', 'done-refused': '未能办结（已转工作人员）',
  ack: '已确认收到', 'ack-none': '无可确认的提醒', progress: '已记录进展', inbox: '已转工作人员',
};
/* Why the scheduler did not send a step (its words, from core/sched.c), in Chinese. */
const WHY = {
  'superseded by a later step': '已被后一条提醒取代',
  'expired before it could be sent': '过期未发送',
  'sent with a later step of the same task': '与本事项后一条提醒合并发送',
  'acknowledged (收到): no repeats after it (repeat_after_ack = false)': '已回复"收到"，不再重复提醒',
  'notice cancelled': '通知已撤销',
};

function why(m) {
  const e = m.error || '';
  if (m.digest) return `已并入汇总短信 #${m.digest}`;
  return WHY[e] || e;
}

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
  $('e-done-on').hidden = t.status !== 'open';
  $('e-done-on').labels.forEach((l) => { l.hidden = t.status !== 'open'; });
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

/* One row of the timeline: a message, a planned step, a reply or a progress note. */
function eventRow(e) {
  const row = (cls, type, who, to, state, text) => el('tr', { class: 'ev-' + cls },
    el('td', {}, fmtTime(e.at)), el('td', {}, type), el('td', {}, who), el('td', {}, to),
    el('td', {}, state), el('td', {}, text));
  if (e.type === 'planned') {
    return row('planned', STEP_KIND[e.kind] || e.kind, (e.roles || []).map((r) => ROLE[r] || r).join('、'),
      '', '待发送', e.template ? `模板 ${e.template}` : '');
  }
  if (e.type === 'reply') {
    return row('reply', '回复', e.from, '', ACTION[e.action] || e.action || '', e.text);
  }
  if (e.type === 'note') return row('note', '进展', e.from || '工作人员', '', '', e.text);
  const state = STATUS[e.status] || (e.status === 'skipped' ? '已跳过' : e.status);
  const bad = e.status === 'skipped' || e.status === 'cancelled' || e.status === 'failed' ||
    e.status === 'expired';
  return row('message', KIND[e.kind] || e.kind, e.person, e.to, state, bad ? why(e) : (e.text || ''));
}

async function done() {
  const on = $('e-done-on').value;
  try {
    await api('POST', `/v1/tasks/${encodeURIComponent(code)}/done`, on ? { on } : undefined);
    location.reload();
  } catch (e) {
    showMsg('edit-msg', '操作失败：' + e.message);
  }
}

page(async () => {
  $('edit-form').addEventListener('submit', save);
  $('t-done').addEventListener('click', done);
  for (const v of ['cancel', 'reopen']) $('t-' + v).addEventListener('click', () => verb(v));
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
  $('t-done-at').textContent = tl.done_at ? fmtTime(tl.done_at) : '';
  const tb = document.querySelector('#timeline tbody');
  for (const e of tl.events) tb.append(eventRow(e));
  $('no-timeline').hidden = tl.events.length > 0;
});
