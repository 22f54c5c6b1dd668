/* The login page: posts the login, then goes where the browser was going. */
'use strict';

function target() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  /* Only a path of this site: never "//elsewhere" or "https://..." */
  return /^\/(?!\/)/.test(next) && next.indexOf('\\') < 0 ? next : '/';
}

document.getElementById('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const err = document.getElementById('login-error');
  const button = document.getElementById('login-button');
  err.hidden = true;
  button.disabled = true;
  try {
    const r = await fetch('/v1/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        login: document.getElementById('login').value.trim(),
        password: document.getElementById('password').value,
      }),
    });
    const j = await r.json().catch(() => ({}));
    if (r.ok) {
      location.href = target();
      return;
    }
    if (r.status === 429) {
      const min = Math.ceil((j.locked_for || 60) / 60);
      err.textContent = `登录失败次数过多，账号已锁定，请在 ${min} 分钟后再试。`;
    } else if (r.status === 401) {
      err.textContent = '用户名或密码错误。';
    } else {
      err.textContent = '登录失败：' + (j.error || r.status);
    }
  } catch (e) {
    err.textContent = '无法连接服务器：' + e.message;
  }
  err.hidden = false;
  button.disabled = false;
  document.getElementById('password').select();
});
