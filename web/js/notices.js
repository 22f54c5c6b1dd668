/*
 * 通知: the list, and composing one with what it costs as it is typed:
 * recipients and opted out (a dry run of the real notice), characters and
 * SMS parts with the signature (the server's count), total parts.
 */
'use strict';

let parts = 0;
let recipients = 0;

function audience() {
  const sel = [];
  document.querySelectorAll('#compose-form input[data-sel]:checked').forEach((c) => sel.push(c.dataset.sel));
  for (const p of $('aud-people').value.split(/[,，、]+/).map((s) => s.trim()).filter(Boolean))
    sel.push('person:' + p);
  return sel;
}

function total() {
  $('c-total').textContent = String(parts * recipients);
}

let templates = [];

function usingTemplate() {
  return document.querySelector('input[name=mode]:checked').value === 'template';
}

/* The text the counter measures: what she types, or the template's sample from the dry run. */
let sample = '';
function measuredText() {
  return usingTemplate() ? sample : $('n-text').value;
}

const measure = debounce(async () => {
  const text = measuredText();
  const j = await api('GET', '/v1/notices/measure?text=' + encodeURIComponent(text));
  parts = text ? j.parts : 0;
  $('c-chars').textContent = String(j.chars);
  $('c-parts').textContent = String(parts);
  $('c-encoding').textContent = `${j.encoding}，签名【${j.signature}】计入字数`;
  total();
}, 150);

function body(dry) {
  const b = { audience: audience(), title: $('n-title').value.trim() || undefined };
  if (usingTemplate()) {
    b.template = $('n-template').value;
    b.vars = {};
    document.querySelectorAll('#n-vars input').forEach((i) => { b.vars[i.dataset.var] = i.value; });
  } else {
    b.text = $('n-text').value;
  }
  if (document.querySelector('input[name=when]:checked').value === 'at' && $('n-at').value)
    b.send_at = $('n-at').value.replace('T', ' ');
  if (dry) b.dry_run = true;
  else b.confirm = true;
  return b;
}

const countAudience = debounce(async () => {
  const a = audience();
  if (a.length === 0) {
    recipients = 0;
    $('c-recipients').textContent = '0';
    $('c-optedout').textContent = '0';
    total();
    return;
  }
  try {
    const probe = body(true);
    if (!usingTemplate() && !probe.text) probe.text = '测';
    const j = await api('POST', '/v1/notices', probe);
    recipients = j.recipients;
    if (usingTemplate()) {
      sample = j.text || '';
      $('n-sample').textContent = sample + (j.text_for ? `（以 ${j.text_for} 为例）` : '');
      measure();
    }
    $('c-recipients').textContent = String(j.recipients);
    $('c-optedout').textContent = String(j.opted_out);
    showMsg('compose-error', '');
  } catch (e) {
    recipients = 0;
    $('c-recipients').textContent = '0';
    showMsg('compose-error', '无法试算：' + e.message);
  }
  total();
}, 250);

function option(box, sel, text) {
  const id = 'sel-' + box.childElementCount + '-' + box.id;
  box.append(el('label', { for: id },
    el('input', { type: 'checkbox', id, 'data-sel': sel, onchange: countAudience }), ' ' + text));
}

async function dryRun() {
  try {
    const j = await api('POST', '/v1/notices', body(true));
    showMsg('dry-result', `试算：发给 ${j.recipients} 人（${j.opted_out} 人已退订不发），` +
      `每条 ${j.parts_per_message[1]} 条短信，共 ${j.total_parts} 条，编码 ${j.encoding}。`, 'ok');
    showMsg('compose-error', '');
  } catch (e) {
    showMsg('compose-error', '试算失败：' + e.message);
  }
}

async function submit(ev) {
  ev.preventDefault();
  try {
    const n = await api('POST', '/v1/notices', body(false));
    location.href = '/notice.html?id=' + n.id;
  } catch (e) {
    showMsg('compose-error', '提交失败：' + e.message);
  }
}

async function list() {
  const j = await api('GET', '/v1/notices');
  const tb = document.querySelector('#notice-list tbody');
  tb.textContent = '';
  for (const n of j.notices.slice().reverse())
    tb.append(el('tr', {},
      el('td', {}, el('a', { href: '/notice.html?id=' + n.id }, n.ref)), el('td', {}, n.title),
      el('td', {}, STATUS[n.status] || n.status), el('td', {}, n.recipients), el('td', {}, n.sent),
      el('td', {}, n.failed), el('td', {}, n.created_by.replace(/^staff:/, '')),
      el('td', {}, fmtTime(n.created_at))));
}

page(async () => {
  await list();
  if (!can('clerk')) return;
  $('compose').addEventListener('click', async () => {
    $('compose-panel').hidden = false;
    $('n-title').focus();
  });
  const g = await api('GET', '/v1/groups');
  for (const x of g.groups) option($('aud-groups'), 'group:' + x.name, `${x.name}（${x.members}人）`);
  for (const o of g.orgs) option($('aud-orgs'), 'org:' + o, o);
  for (const k of g.kinds) option($('aud-kinds'), 'kind:' + k, '全部' + (KINDS[k] || k));
  templates = (await api('GET', '/v1/notices/templates')).templates;
  for (const t of templates) $('n-template').append(el('option', { value: t.name }, t.name));
  const drawVars = () => {
    const t = templates.find((x) => x.name === $('n-template').value);
    $('n-vars').textContent = '';
    for (const v of (t ? t.vars : [])) {
      const id = 'var-' + v;
      $('n-vars').append(el('label', { for: id }, v + ' '),
        el('input', { type: 'text', id, 'data-var': v, oninput: countAudience }), ' ');
    }
    countAudience();
  };
  $('n-template').addEventListener('change', drawVars);
  document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', () => {
    document.querySelectorAll('.mode-text').forEach((e) => { e.hidden = usingTemplate(); });
    document.querySelectorAll('.mode-template').forEach((e) => { e.hidden = !usingTemplate(); });
    if (usingTemplate()) drawVars();
    measure();
  }));
  $('aud-people').addEventListener('input', countAudience);
  $('n-text').addEventListener('input', measure);
  $('dry-run').addEventListener('click', dryRun);
  $('compose-form').addEventListener('submit', submit);
  measure();
});
