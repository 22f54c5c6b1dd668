/*
 * 人员与分组: search people, the groups, and importing a spreadsheet -
 * checked by the server first (every bad row with its line and reason),
 * then imported all or nothing.
 */
'use strict';

let upload = null;

async function load() {
  const q = new URLSearchParams();
  if ($('people-q').value.trim()) q.set('q', $('people-q').value.trim());
  if ($('people-group').value) q.set('group', $('people-group').value);
  if ($('people-kind').value) q.set('kind', $('people-kind').value);
  const j = await api('GET', '/v1/people?' + q.toString());
  const tb = document.querySelector('#people-list tbody');
  tb.textContent = '';
  for (const p of j.people) {
    const acts = el('td', {});
    if (can('clerk')) {
      const b = (name, fn) => el('button', { type: 'button', class: 'plain', onclick: fn }, name);
      acts.append(b('编辑', () => edit(p)), ' ',
        b(p.opted_out_at ? '恢复接收' : '退订', () => act('POST', `/v1/people/${p.id}/${p.opted_out_at ? 'optin' : 'optout'}`,
          `${p.name}：${p.opted_out_at ? '已恢复接收通知' : '已退订通知（提醒照发）'}`)), ' ',
        b('删除', () => { if (confirm(`删除 ${p.name}？`)) act('DELETE', `/v1/people/${p.id}`, `已删除 ${p.name}`); }));
    }
    tb.append(el('tr', { 'data-id': p.id }, el('td', {}, p.name), el('td', {}, p.phone), el('td', {}, p.title),
      el('td', {}, p.org), el('td', {}, KINDS[p.kind] || p.kind), el('td', {}, p.groups.split(';').join('、')),
      el('td', {}, p.opted_out_at ? '已退订（' + fmtDate(p.opted_out_at) + '）' : ''), acts));
  }
  $('people-count').textContent = `共 ${j.people.length} 人${j.truncated ? '（只显示前 2000 人）' : ''}`;
}

let editing = null;

function edit(p) {
  editing = p;
  $('person-form-title').textContent = p ? `编辑 ${p.name}` : '新增人员';
  $('person-form').reset();
  if (p) {
    $('p-name').value = p.name;
    $('p-phone').value = can('clerk') ? p.phone : '';
    $('p-title').value = p.title;
    $('p-org').value = p.org;
    $('p-kind').value = p.kind;
  }
  $('p-groups').disabled = !!p;
  $('person-panel').hidden = false;
  $('p-name').focus();
}

async function act(method, path, done) {
  try {
    await api(method, path, method === 'DELETE' ? undefined : {});
    showMsg('people-msg', done, 'ok');
    await load();
  } catch (e) {
    showMsg('page-error', '操作失败：' + e.message);
  }
}

async function savePerson(ev) {
  ev.preventDefault();
  const b = {};
  for (const k of ['name', 'phone', 'title', 'org', 'kind']) b[k] = $('p-' + k).value.trim();
  try {
    if (editing) {
      await api('POST', `/v1/people/${editing.id}`, b);
    } else {
      b.groups = $('p-groups').value.split(/[,，、]+/).map((x) => x.trim()).filter(Boolean);
      await api('POST', '/v1/people', b);
    }
    showMsg('people-msg', `已保存 ${b.name}`, 'ok');
    $('person-panel').hidden = true;
    showMsg('person-error', '');
    await load();
  } catch (e) {
    showMsg('person-error', '保存失败：' + e.message);
  }
}

async function members(add) {
  const who = $('m-who').value.split(/[,，、]+/).map((x) => x.trim()).filter(Boolean);
  try {
    const j = await api('POST', `/v1/groups/${encodeURIComponent($('m-group').value)}/members`,
      add ? { add: who } : { remove: who });
    showMsg('group-msg', `${j.group}：${add ? '加入' : '移出'} ${j.changed} 人`, 'ok');
    await groups();
    await load();
  } catch (e) {
    showMsg('group-msg', '操作失败：' + e.message);
  }
}

async function groups() {
  const g = await api('GET', '/v1/groups');
  const sel = $('people-group');
  const keep = sel.value;
  const tb = document.querySelector('#group-list tbody');
  tb.textContent = '';
  sel.textContent = '';
  sel.append(el('option', { value: '' }, '全部'));
  $('m-group').textContent = '';
  for (const x of g.groups) {
    sel.append(el('option', { value: x.name }, x.name));
    $('m-group').append(el('option', { value: x.name }, x.name));
    tb.append(el('tr', {}, el('td', {}, x.name), el('td', {}, x.members)));
  }
  sel.value = keep;
}

/* The file's text for the preview: UTF-8 when it is valid UTF-8, else GB18030. */
function decode(buf, enc) {
  if (enc === 'auto') {
    try { return new TextDecoder('utf-8', { fatal: true }).decode(buf); } catch (e) { enc = 'gb18030'; }
  }
  return new TextDecoder(enc).decode(buf);
}

function preview(text) {
  const rows = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim()).slice(0, 11)
    .map((l) => l.split(','));
  const t = $('import-preview');
  t.tHead.textContent = '';
  t.tBodies[0].textContent = '';
  if (!rows.length) return;
  t.tHead.append(el('tr', {}, el('th', {}, '行号'), ...rows[0].map((c) => el('th', {}, c))));
  rows.slice(1).forEach((r, i) => t.tBodies[0].append(
    el('tr', {}, el('td', {}, String(i + 2)), ...r.map((c) => el('td', {}, c)))));
  t.hidden = false;
}

async function send(dry) {
  const f = $('import-file').files[0];
  const q = new URLSearchParams({ name: f.name, encoding: $('import-encoding').value });
  if (dry) q.set('dry_run', '1');
  const r = await fetch('/v1/people/import?' + q.toString(), {
    method: 'POST', credentials: 'same-origin', body: upload,
    headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': duban.session.csrf },
  });
  if (r.status === 401) goLogin();
  return { status: r.status, body: await r.json().catch(() => ({})) };
}

function errors(list) {
  const t = $('import-errors');
  t.tBodies[0].textContent = '';
  for (const e of list) t.tBodies[0].append(el('tr', {}, el('td', {}, String(e.line)), el('td', {}, e.error)));
  t.hidden = list.length === 0;
}

async function check(ev) {
  ev.preventDefault();
  $('import-go').disabled = true;
  const f = $('import-file').files[0];
  if (!f) return;
  upload = await f.arrayBuffer();
  preview(decode(upload, $('import-encoding').value));
  const r = await send(true);
  errors(r.body.errors || []);
  if (r.status === 200) {
    showMsg('import-msg', `检查通过：${r.body.rows} 人，${r.body.groups} 个分组，可以导入。`, 'ok');
    $('import-go').disabled = false;
  } else {
    showMsg('import-msg', r.body.errors && r.body.errors.length
      ? `有 ${r.body.errors.length} 行有问题，改正后再导入（一个也没有导入）。` : '不能导入：' + (r.body.error || r.status));
  }
}

async function go() {
  $('import-go').disabled = true;
  const r = await send(false);
  errors(r.body.errors || []);
  if (r.status === 201) {
    showMsg('import-msg', `已导入 ${r.body.rows} 人。`, 'ok');
    $('import-preview').hidden = true;
    await load();
  } else {
    showMsg('import-msg', '导入失败：' + (r.body.error || r.status));
  }
}

page(async () => {
  $('people-q').addEventListener('input', debounce(load, 200));
  $('people-group').addEventListener('change', load);
  $('people-kind').addEventListener('change', load);
  $('import-form').addEventListener('submit', (ev) => check(ev).catch((e) => showMsg('import-msg', e.message)));
  $('import-go').addEventListener('click', () => go().catch((e) => showMsg('import-msg', e.message)));
  $('person-new').addEventListener('click', () => edit(null));
  $('person-close').addEventListener('click', () => { $('person-panel').hidden = true; });
  $('person-form').addEventListener('submit', savePerson);
  $('group-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/v1/groups', { name: $('g-name').value.trim() });
      showMsg('group-msg', `已建立分组 ${$('g-name').value.trim()}`, 'ok');
      $('g-name').value = '';
      await groups();
    } catch (e) {
      showMsg('group-msg', '操作失败：' + e.message);
    }
  });
  $('member-form').addEventListener('submit', (ev) => { ev.preventDefault(); members(true); });
  $('m-remove').addEventListener('click', () => members(false));
  await groups();
  await load();
});
