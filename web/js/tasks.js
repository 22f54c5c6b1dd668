/* 督办事项: list, search, filter, add, done / cancel / reopen. */
'use strict';

let tasks = [];

function shownStatus(t) {
  if (t.status === 'open' && t.overdue) return '已逾期';
  return STATUS[t.status] || t.status;
}

function draw() {
  const q = $('task-search').value.trim();
  const tb = document.querySelector('#task-list tbody');
  tb.textContent = '';
  for (const t of tasks) {
    if (q && ![t.code, t.title, t.lead || ''].some((s) => s.includes(q))) continue;
    const acts = el('td', {});
    const act = (name, verb) => el('button', { type: 'button', class: 'plain', 'data-act': verb,
      onclick: () => change(t.code, verb) }, name);
    if (can('clerk')) {
      if (t.status === 'open') acts.append(act('完成', 'done'), ' ', act('撤销', 'cancel'));
      else acts.append(act('重新打开', 'reopen'));
    }
    tb.append(el('tr', { class: t.overdue && t.status === 'open' ? 'overdue' : null, 'data-code': t.code },
      el('td', {}, el('a', { href: '/task.html?code=' + encodeURIComponent(t.code) }, t.code)),
      el('td', {}, t.title), el('td', {}, t.lead || ''), el('td', {}, fmtTime(t.deadline)),
      el('td', { class: 'status' }, shownStatus(t)), acts));
  }
}

async function load() {
  const st = $('task-status').value;
  const j = await api('GET', '/v1/tasks' + (st ? '?status=' + st : ''));
  tasks = j.tasks;
  draw();
}

async function change(code, verb) {
  try {
    const t = await api('POST', `/v1/tasks/${encodeURIComponent(code)}/${verb}`);
    showMsg('task-msg', `${t.code}：${STATUS[t.status] || t.status}`, 'ok');
    await load();
  } catch (e) {
    showMsg('page-error', '操作失败：' + e.message);
  }
}

function list(s) { return s.split(/[,，、\s]+/).filter(Boolean); }

async function save(ev) {
  ev.preventDefault();
  const body = { title: $('t-title').value.trim(), deadline: $('t-deadline').value };
  const opt = { lead: 't-lead', team: 't-team', supervisor: 't-supervisor', rules: 't-rules',
                code: 't-code', detail: 't-detail' };
  for (const [k, id] of Object.entries(opt)) if ($(id).value.trim()) body[k] = $(id).value.trim();
  if ($('t-owners').value.trim()) body.owners = list($('t-owners').value);
  try {
    const t = await api('POST', '/v1/tasks', body);
    $('task-form').reset();
    $('task-form-panel').hidden = true;
    showMsg('task-form-error', '');
    showMsg('task-msg', `已新增 ${t.code} ${t.title}`, 'ok');
    await load();
  } catch (e) {
    showMsg('task-form-error', '保存失败：' + e.message);
  }
}

page(async () => {
  $('task-search').addEventListener('input', draw);
  $('task-status').addEventListener('change', load);
  $('task-new').addEventListener('click', () => { $('task-form-panel').hidden = false; $('t-title').focus(); });
  $('task-cancel-form').addEventListener('click', () => { $('task-form-panel').hidden = true; });
  $('task-form').addEventListener('submit', save);
  await load();
  if (can('clerk')) {
    const g = await api('GET', '/v1/groups');
    for (const x of g.groups) $('group-names').append(el('option', { value: x.name }));
  }
});
