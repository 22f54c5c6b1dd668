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

page(async () => {
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
});
