/*
 * One notice: what it says and to whom, approving it (an approver, never
 * their own), its progress while it goes out (polled, never reloaded),
 * then the numbers that failed with the reasons, resending those, cancel.
 */
'use strict';

const id = new URLSearchParams(location.search).get('id');
let timer = null;

function progress(n) {
  const k = n.counts;
  const all = Math.max(n.recipients + k.resent, 1);
  const done = k.sent + k.delivered + k.failed + k.expired + k.cancelled;
  const pct = n.status === 'pending' ? 0 : Math.min(100, Math.round((100 * done) / all));
  const w = (x) => (100 * x) / all + '%';
  $('bar-delivered').style.width = w(k.delivered);
  $('bar-sent').style.width = w(k.sent);
  $('bar-failed').style.width = w(k.failed + k.expired);
  $('progress').setAttribute('aria-valuenow', String(pct));
  $('pct').textContent = pct + '%';
  $('k-queued').textContent = String(k.queued + k.sending);
  $('k-sent').textContent = String(k.sent + k.delivered);
  $('k-delivered').textContent = String(k.delivered);
  $('k-failed').textContent = String(k.failed + k.expired);
  $('k-parts').textContent = String(k.parts);
  return k.queued + k.sending === 0;
}

async function failed() {
  const j = await api('GET', `/v1/notices/${id}/failed`);
  const tb = document.querySelector('#failed-list tbody');
  tb.textContent = '';
  for (const m of j.failed)
    tb.append(el('tr', {}, el('td', {}, m.person), el('td', {}, m.to),
      el('td', {}, STATUS[m.status] || m.status), el('td', {}, m.attempts), el('td', {}, m.error)));
  $('failed-panel').hidden = j.failed.length === 0;
  $('resend').hidden = j.failed.length === 0 || !can('clerk');
}

async function load() {
  const n = await api('GET', '/v1/notices/' + id);
  $('n-heading').textContent = `通知 ${n.ref}：${n.title}`;
  $('n-status').textContent = STATUS[n.status] || n.status;
  $('n-text').textContent = n.text;
  $('n-recipients').textContent = String(n.recipients);
  $('n-optedout').textContent = String(n.opted_out);
  $('n-by').textContent = n.created_by.replace(/^staff:/, '');
  $('n-approved').textContent = (n.approved_by || '').replace(/^staff:/, '');
  $('n-when').textContent = n.send_at ? fmtTime(n.send_at) : '立即';
  const mine = n.created_by === 'staff:' + duban.session.login;
  $('approve').hidden = !(n.status === 'pending' && can('approver') && !mine);
  $('cancel').hidden = !(can('clerk') && ['pending', 'scheduled', 'queued'].includes(n.status));
  const settled = progress(n);
  if (n.status !== 'pending' && n.status !== 'scheduled') await failed();
  clearTimeout(timer);
  if (!settled || n.status === 'scheduled' || (n.counts.sent > 0 && n.counts.delivered < n.counts.sent))
    timer = setTimeout(() => load().catch((e) => showMsg('page-error', e.message)), 1000);
}

async function act(path, done) {
  try {
    await api('POST', `/v1/notices/${id}/${path}`, {});
    showMsg('n-msg', done, 'ok');
    await load();
  } catch (e) {
    showMsg('page-error', '操作失败：' + e.message);
  }
}

page(async () => {
  $('approve').addEventListener('click', () => act('approve', '已审批，开始发送。'));
  $('resend').addEventListener('click', () => act('resend', '已重新排队发送失败的号码。'));
  $('cancel').addEventListener('click', () => {
    if (confirm('撤销这条通知尚未发送的短信？')) act('cancel', '已撤销未发送部分。');
  });
  await load();
});
