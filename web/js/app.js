/*
 * app.js - what every page of the console shares: the session (who is
 * logged in, the CSRF token), calls to the JSON API, the header and its
 * menu, dates as 2008年12月31日, and building elements without ever
 * parsing data as HTML.
 */
'use strict';

const ROLES = { viewer: 1, clerk: 2, approver: 3, admin: 4 };
const STATUS = {
  open: '进行中', overdue: '已逾期', done: '已完成', cancelled: '已撤销',
  pending: '待审批', scheduled: '定时发送', queued: '发送中', sending: '发送中',
  sent: '已发送', delivered: '已送达', failed: '失败', expired: '已过期',
};
const KINDS = { official: '干部', farmer: '农户', enterprise: '企业', other: '其他' };
const PAGES = [
  ['/', '工作台'], ['/tasks.html', '督办事项'], ['/people.html', '人员与分组'],
  ['/notices.html', '通知'], ['/inbox.html', '回复'], ['/reports.html', '报表'],
  ['/outbox.html', '发送记录'],
];

const duban = { session: null };

function goLogin() {
  location.href = '/login.html?next=' + encodeURIComponent(location.pathname + location.search);
}

/* Call the API: the answer's JSON, or an Error with .status and .body. */
async function api(method, path, body) {
  const opt = { method, credentials: 'same-origin', headers: {} };
  if (method !== 'GET' && duban.session) opt.headers['X-CSRF-Token'] = duban.session.csrf;
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  const j = await r.json().catch(() => ({}));
  if (r.status === 401) {
    goLogin();
    throw Object.assign(new Error('请重新登录'), { status: 401, body: j });
  }
  if (!r.ok) throw Object.assign(new Error(j.error || ('HTTP ' + r.status)), { status: r.status, body: j });
  return j;
}

/* el('td', {class: 'x'}, 'text', child...): an element; strings become text, never HTML. */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids) {
    if (k === null || k === undefined || k === false) continue;
    e.append(typeof k === 'string' || typeof k === 'number' ? document.createTextNode(String(k)) : k);
  }
  return e;
}

function $(id) { return document.getElementById(id); }

/* "2008-12-31T23:59:00+08:00" (local time with its offset) as 2008年12月31日 [23:59]. */
function fmtDate(s, withTime) {
  if (!s) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(s);
  if (!m) return s;
  const d = `${m[1]}年${+m[2]}月${+m[3]}日`;
  return withTime && m[4] ? `${d} ${m[4]}:${m[5]}` : d;
}
function fmtTime(s) { return fmtDate(s, true); }

function showMsg(id, text, kind) {
  const box = $(id);
  if (!box) return;
  box.textContent = text;
  box.className = 'msg ' + (kind || 'error');
  box.hidden = !text;
}

/* Show or hide what needs a role: data-need="clerk" and the like. */
function applyRole() {
  const mine = ROLES[duban.session.role] || 0;
  document.querySelectorAll('[data-need]').forEach((e) => {
    e.hidden = mine < (ROLES[e.dataset.need] || 99);
  });
}
function can(role) { return (ROLES[duban.session.role] || 0) >= ROLES[role]; }

function header() {
  const here = location.pathname === '/index.html' ? '/' : location.pathname;
  const nav = el('nav', { 'aria-label': '主菜单' });
  const pages = can('admin') ? PAGES.concat([['/staff.html', '账号管理']]) : PAGES;
  for (const [href, name] of pages)
    nav.append(el('a', { href, class: here === href ? 'current' : null,
                         'aria-current': here === href ? 'page' : null }, name));
  const s = duban.session;
  const out = el('button', { type: 'button', class: 'plain', id: 'logout' }, '退出');
  out.addEventListener('click', async () => {
    try { await api('DELETE', '/v1/session'); } catch (e) { /* gone already */ }
    location.href = '/login.html';
  });
  const h = el('header', {}, el('span', { class: 'brand' }, '督办短信平台'), nav,
               el('span', { class: 'who', id: 'who' }, `${s.name}（${s.role_label}）`, out));
  document.body.prepend(h);
}

/* Every page: load the session, draw the header, then run start(). */
function page(start) {
  document.addEventListener('DOMContentLoaded', async () => {
    try {
      duban.session = await api('GET', '/v1/session');
    } catch (e) {
      return;
    }
    header();
    applyRole();
    try {
      await start();
    } catch (e) {
      if (e.status !== 401) showMsg('page-error', '出错了：' + e.message);
    }
  });
}

/* Wait ms, resolved; for debouncing what the user types. */
function debounce(fn, ms) {
  let t = null;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}
