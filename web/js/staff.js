/* 账号管理 (admins): the console's accounts; a password is made up by duban and shown once. */
'use strict';

const ROLE_LABEL = { viewer: '查看员', clerk: '办事员', approver: '审批人', admin: '管理员' };

async function load() {
  const j = await api('GET', '/v1/staff');
  const tb = document.querySelector('#staff-list tbody');
  tb.textContent = '';
  for (const s of j.staff) {
    const acts = el('td', {});
    if (!s.disabled) {
      acts.append(el('button', { type: 'button', class: 'plain', onclick: async () => {
        const r = await api('POST', `/v1/staff/${encodeURIComponent(s.login)}/passwd`, {});
        showMsg('staff-msg', `${s.login} 的新密码（只显示这一次）：${r.password}`, 'ok');
      } }, '重设密码'), ' ', el('button', { type: 'button', class: 'plain', onclick: async () => {
        if (!confirm(`停用 ${s.login}？`)) return;
        await api('POST', `/v1/staff/${encodeURIComponent(s.login)}/disable`, {});
        showMsg('staff-msg', `已停用 ${s.login}`, 'ok');
        await load();
      } }, '停用'));
    }
    tb.append(el('tr', {}, el('td', {}, s.login), el('td', {}, s.name), el('td', {}, ROLE_LABEL[s.role] || s.role),
      el('td', {}, s.disabled ? '已停用' : '正常'), el('td', {}, fmtTime(s.created_at)), acts));
  }
}

/* API tokens: the configured ones read-only, the database's made and revoked here. */
async function loadTokens() {
  const j = await api('GET', '/v1/tokens');
  const tb = document.querySelector('#token-list tbody');
  tb.textContent = '';
  for (const t of j.tokens) {
    const acts = el('td', {});
    if (t.source === 'database' && !t.revoked_at) {
      acts.append(el('button', { type: 'button', class: 'plain', 'aria-label': `吊销令牌 ${t.name}`, onclick: async () => {
        if (!confirm(`吊销令牌 ${t.name}？吊销后立即失效，不能恢复。`)) return;
        try {
          await api('POST', `/v1/tokens/${encodeURIComponent(t.name)}/revoke`, {});
          showMsg('token-msg', `已吊销令牌 ${t.name}`, 'ok');
          await loadTokens();
        } catch (e) {
          showMsg('page-error', '吊销失败：' + e.message);
        }
      } }, '吊销'));
    }
    const state = t.source === 'config' ? '配置文件中（只读）' : t.revoked_at ? `已吊销（${fmtTime(t.revoked_at)}）` : '有效';
    tb.append(el('tr', { 'data-token': t.name }, el('td', {}, t.name), el('td', {}, t.source === 'config' ? '配置文件' : '数据库'),
      el('td', {}, t.routes.join(', ')), el('td', {}, t.created_by || ''), el('td', {}, t.created_at ? fmtTime(t.created_at) : ''),
      el('td', { class: 'token-state' }, state), acts));
  }
}

page(async () => {
  $('token-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/v1/tokens', { name: $('t-name').value.trim(), routes: $('t-routes').value.trim() });
      $('token-value').value = r.token;
      $('token-once').hidden = false;
      $('token-value').focus();
      $('token-value').select();
      $('token-form').reset();
      await loadTokens();
    } catch (e) {
      showMsg('page-error', '新建令牌失败：' + e.message);
    }
  });
  $('staff-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/v1/staff', { login: $('s-login').value.trim(), name: $('s-name').value.trim(),
                                                 role: $('s-role').value });
      showMsg('staff-msg', `已新增 ${r.login}（${ROLE_LABEL[r.role]}），初始密码（只显示这一次）：${r.password}`, 'ok');
      $('staff-form').reset();
      await load();
    } catch (e) {
      showMsg('page-error', '新增失败：' + e.message);
    }
  });
  await load();
  await loadTokens();
});
