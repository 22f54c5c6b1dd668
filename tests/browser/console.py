#!/usr/bin/python3
"""The staff console in headless Chromium (selenium), against the real
duban run that tests/integration/t_browser.sh started (URL), its database
(DB) and the simulator.  One TAP line per scenario; a failing scenario
saves a screenshot under T and prints its path.  Waits are explicit
(WebDriverWait on a condition), never a fixed sleep."""

import datetime
import http.server
import json
import os
import sqlite3
import sys
import threading
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

URL = os.environ["URL"]
T = os.environ["T"]
DB = os.environ["DB"]
WAIT = 20
MO_URL = os.environ["MO_URL"]  # a simulator that posts replies to duban, signed
SHOTS = os.environ.get("SHOTS")  # scripts/console-shots.sh: the README's pictures
failed = 0


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1366,768", "--lang=zh-CN"):
        o.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


D = browser()
# A table drawn again while it is read: look again, until the deadline.
W = WebDriverWait(D, WAIT, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def sql(q, *args):
    with sqlite3.connect(DB, timeout=10) as c:
        return c.execute(q, args).fetchall()


def scenario(name):
    def wrap(fn):
        global failed
        try:
            fn()
            print("ok - " + name, flush=True)
        except Exception as e:  # every failure is reported, with a screenshot
            failed += 1
            shot = os.path.join(T, "shot-%s.png" % fn.__name__)
            try:
                D.save_screenshot(shot)
            except Exception:
                shot = "(no screenshot)"
            print("not ok - %s (screenshot %s)" % (name, shot), flush=True)
            for line in traceback.format_exception_only(type(e), e):
                print("#   " + line.rstrip())
            print("#   at " + D.current_url)
        return fn
    return wrap


def picture(name):
    if SHOTS:
        D.save_screenshot(os.path.join(SHOTS, name))


def by_id(i):
    return W.until(EC.visibility_of_element_located((By.ID, i)))


def text_is(i, want):
    W.until(lambda d: d.find_element(By.ID, i).text == want,
            "#%s never read %r" % (i, want))


def logout():
    D.delete_all_cookies()


def login(user, password=None, then=None):
    logout()
    D.get(URL + (then or "/"))
    W.until(EC.url_contains("/login.html"))
    by_id("login").send_keys(user)
    by_id("password").send_keys(password or "console-pass-" + user)
    by_id("login-button").click()


# ---- logins -----------------------------------------------------------------------


@scenario("a page without a session goes to the login page, which keeps the target")
def t_redirect():
    logout()
    D.get(URL + "/tasks.html")
    W.until(EC.url_contains("/login.html?next="))
    by_id("login").send_keys("wangfang")
    by_id("password").send_keys("console-pass-wangfang")
    by_id("login-button").click()
    W.until(EC.url_to_be(URL + "/tasks.html"))
    text_is("who", "王芳（办事员）退出")


@scenario("a wrong password is refused and says so")
def t_wrong():
    login("wangfang", "not-the-password")
    box = by_id("login-error")
    assert box.text == "用户名或密码错误。", box.text
    assert "/login.html" in D.current_url


@scenario("five wrong passwords lock the account, which says for how long")
def t_lockout():
    login("zhoujie", "wrong-1")
    for i in range(2, 6):
        by_id("login-error")
        p = by_id("password")
        p.clear()
        p.send_keys("wrong-%d" % i)
        by_id("login-button").click()
        W.until(lambda d, i=i: sql("SELECT count(*) FROM login_attempt WHERE key = 'login:zhoujie'")[0][0] >= i)
    p = by_id("password")
    p.clear()
    p.send_keys("console-pass-zhoujie")  # the right one, too late
    by_id("login-button").click()
    W.until(lambda d: "锁定" in d.find_element(By.ID, "login-error").text)
    assert "15 分钟" in by_id("login-error").text, by_id("login-error").text
    assert "/login.html" in D.current_url


@scenario("an expired session sends the browser to the login page, and back where it was")
def t_expired():
    login("wangfang", then="/tasks.html?x=1")
    W.until(EC.url_contains("/tasks.html"))
    by_id("task-status")
    sql("DELETE FROM staff_session")  # as when it ends by its idle or absolute expiry
    Select(by_id("task-status")).select_by_value("done")  # the page asks the API again
    W.until(EC.url_contains("/login.html?next="))
    assert "next=%2Ftasks.html%3Fx%3D1" in D.current_url, D.current_url
    by_id("login").send_keys("wangfang")
    by_id("password").send_keys("console-pass-wangfang")
    by_id("login-button").click()
    W.until(EC.url_to_be(URL + "/tasks.html?x=1"))


# ---- tasks ------------------------------------------------------------------------

@scenario("a clerk adds a task and sees it on the home page")
def t_task():
    login("wangfang", then="/tasks.html")
    W.until(EC.url_contains("/tasks.html"))
    by_id("task-new").click()
    by_id("t-title").send_keys("梅岙塘农田改造工程")
    deadline = datetime.date.today() + datetime.timedelta(days=3)
    D.execute_script("document.getElementById('t-deadline').value = arguments[0]",
                     deadline.isoformat())
    by_id("t-lead").send_keys("郑秀兰")
    by_id("t-team").send_keys("村两委-梅岙塘村")
    by_id("t-supervisor").send_keys("林志远")
    by_id("task-save").click()
    W.until(lambda d: "已新增" in d.find_element(By.ID, "task-msg").text)
    code = sql("SELECT code FROM task WHERE title = '梅岙塘农田改造工程'")[0][0]
    row = W.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "tr[data-code=%s]" % code)))
    assert "郑秀兰" in row.text, row.text
    D.find_element(By.LINK_TEXT, "工作台").click()
    W.until(EC.url_to_be(URL + "/"))
    W.until(lambda d: "梅岙塘农田改造工程" in d.find_element(By.ID, "due-tasks").text)
    row = D.find_element(By.XPATH, "//table[@id='due-tasks']//tr[td[3]='梅岙塘农田改造工程']")
    want = "%d年%d月%d日" % (deadline.year, deadline.month, deadline.day)
    assert want in row.text and "郑秀兰" in row.text, row.text
    picture("console-home.png")


# ---- people -----------------------------------------------------------------------


def gb18030(name, rows):
    path = os.path.join(T, name)
    with open(path, "w", encoding="gb18030", newline="") as f:
        f.write("姓名,手机,职务,单位,类别,分组\r\n")
        for r in rows:
            f.write(",".join(r) + "\r\n")
    return path


@scenario("a clerk imports a GB18030 spreadsheet: a bad row is shown with its line, then a good file goes in")
def t_import():
    bad = gb18030("bad.csv", [("钟大伯", "13957601234", "茶农", "塔坑村", "farmer", "农户-塔坑村"),
                              ("钟二婶", "12345", "茶农", "塔坑村", "farmer", "农户-塔坑村")])
    good = gb18030("good.csv", [("钟大伯", "13957601234", "茶农", "塔坑村", "farmer", "农户-塔坑村"),
                                ("钟二婶", "13957605678", "茶农", "塔坑村", "farmer", "农户-塔坑村")])
    login("wangfang", then="/people.html")
    W.until(EC.url_contains("/people.html"))
    by_id("import-file").send_keys(bad)
    by_id("import-check").click()
    W.until(lambda d: d.find_element(By.ID, "import-errors").is_displayed())
    row = D.find_element(By.XPATH, "//table[@id='import-errors']/tbody/tr[1]")
    assert row.text.startswith("3 bad.csv:3:") and "12345" in row.text, row.text
    assert "有 1 行有问题" in by_id("import-msg").text, by_id("import-msg").text
    assert "钟二婶" in by_id("import-preview").text  # decoded from GB18030 for the preview
    assert not D.find_element(By.ID, "import-go").is_enabled()
    assert sql("SELECT count(*) FROM person WHERE name IN ('钟大伯', '钟二婶')")[0][0] == 0
    by_id("import-file").clear()
    by_id("import-file").send_keys(good)
    by_id("import-check").click()
    W.until(lambda d: "检查通过：2 人" in d.find_element(By.ID, "import-msg").text)
    assert sql("SELECT count(*) FROM person WHERE name IN ('钟大伯', '钟二婶')")[0][0] == 0  # only checked
    W.until(EC.element_to_be_clickable((By.ID, "import-go"))).click()
    W.until(lambda d: "已导入 2 人" in d.find_element(By.ID, "import-msg").text)
    W.until(lambda d: "钟二婶" in d.find_element(By.ID, "people-list").text)
    assert sql("SELECT count(*) FROM person WHERE name IN ('钟大伯', '钟二婶')")[0][0] == 2


@scenario("a clerk adds a person, changes the number, opts him out and removes him")
def t_person():
    by_id("person-new").click()
    by_id("p-name").send_keys("李明")
    by_id("p-phone").send_keys("138 0013 8000")
    by_id("p-title").send_keys("村会计")
    by_id("p-org").send_keys("小雄村")
    by_id("p-groups").send_keys("村两委-小雄村")
    by_id("person-save").click()
    W.until(lambda d: "已保存 李明" in d.find_element(By.ID, "people-msg").text)
    pid = sql("SELECT id FROM person WHERE phone = '+8613800138000'")[0][0]
    row = lambda: D.find_element(By.CSS_SELECTOR, "#people-list tr[data-id='%d']" % pid)
    W.until(lambda d: "+8613800138000" in row().text and "村两委-小雄村" in row().text)
    W.until(lambda d: row().find_element(By.XPATH, ".//button[.='编辑']").click() or True)
    p = by_id("p-phone")
    p.clear()
    p.send_keys("139-5760-0000")
    by_id("person-save").click()
    W.until(lambda d: "+8613957600000" in row().text)
    W.until(lambda d: row().find_element(By.XPATH, ".//button[.='退订']").click() or True)
    W.until(lambda d: "已退订" in row().text)
    assert sql("SELECT opted_out_at IS NOT NULL FROM person WHERE id = ?", pid)[0][0] == 1
    D.execute_script("window.confirm = () => true")
    W.until(lambda d: row().find_element(By.XPATH, ".//button[.='删除']").click() or True)
    W.until(lambda d: "已删除 李明" in d.find_element(By.ID, "people-msg").text)
    assert sql("SELECT count(*) FROM person WHERE id = ?", pid)[0][0] == 0
    assert sql("SELECT actor FROM event WHERE action = 'person.remove'")[0][0] == "staff:wangfang"


# ---- notices ----------------------------------------------------------------------

NOTICE = {}


@scenario("composing a notice counts recipients, opted out and SMS parts as she types")
def t_compose():
    login("wangfang", then="/notices.html")
    W.until(EC.url_contains("/notices.html"))
    by_id("compose").click()
    by_id("n-title").send_keys("竹笋收购通知")
    box = W.until(EC.element_to_be_clickable(
        (By.XPATH, "//div[@id='aud-groups']//label[starts-with(normalize-space(.), '农户-塔坑村')]/input")))
    box.click()
    text_is("c-recipients", "7")
    text_is("c-optedout", "0")
    area = by_id("n-text")
    area.send_keys("塔坑村竹笋收购点本周六上午开秤")
    text_is("c-parts", "1")
    text_is("c-total", "7")
    one = int(by_id("c-chars").text)
    assert one == len("塔坑村竹笋收购点本周六上午开秤") + len("【小雄镇人民政府】"), one
    # past 70 characters with the signature: two parts per message
    area.send_keys("，请各户带好身份证和银行卡，按村委会排定的顺序到场，价格随行就市，现场结算，不打白条，欢迎相互转告。")
    text_is("c-parts", "2")
    text_is("c-total", "14")
    NOTICE["chars"] = int(by_id("c-chars").text)
    assert NOTICE["chars"] > 70


@scenario("a notice from a template: its variables asked for, its sample text measured")
def t_template():
    D.find_element(By.ID, "mode-template").click()
    Select(by_id("n-template")).select_by_value("insurance")
    by_id("var-deadline").send_keys("12月20日")
    by_id("var-contact").send_keys("13800138000")
    W.until(lambda d: "12月20日" in d.find_element(By.ID, "n-sample").text)
    text_is("c-recipients", "7")
    W.until(lambda d: int(d.find_element(By.ID, "c-parts").text) >= 1)
    assert int(by_id("c-total").text) == 7 * int(by_id("c-parts").text)
    # back to the text typed before, for the rest of the story
    D.find_element(By.CSS_SELECTOR, "input[name=mode][value=text]").click()
    text_is("c-parts", "2")


@scenario("submitting it leaves it pending approval")
def t_submit():
    by_id("submit-notice").click()
    W.until(EC.url_contains("/notice.html?id="))
    NOTICE["id"] = D.current_url.split("id=")[1]
    text_is("n-status", "待审批")
    assert not D.find_element(By.ID, "approve").is_displayed()  # never one's own
    assert sql("SELECT count(*) FROM message WHERE kind = 'notice'")[0][0] == 0


@scenario("an approver approves it; the progress bar reaches 100% as the simulator accepts")
def t_approve():
    login("linzy", then="/notice.html?id=" + NOTICE["id"])
    W.until(EC.url_contains("/notice.html"))
    by_id("approve").click()
    W.until(lambda d: d.find_element(By.ID, "progress").get_attribute("aria-valuenow") == "100",
            "the progress bar stopped at %s%%" % by_id("pct").text)
    text_is("pct", "100%")
    text_is("k-failed", "1")
    text_is("k-sent", "6")
    assert sql("SELECT approved_by FROM notice WHERE id = ?", int(NOTICE["id"]))[0][0] == "staff:linzy"


@scenario("the failed number is listed with the provider's reason")
def t_failed():
    panel = by_id("failed-panel")
    W.until(lambda d: "卢金水" in panel.text)
    row = D.find_element(By.XPATH, "//table[@id='failed-list']//tr[td[1]='卢金水']")
    assert "17768094605" in row.text and "invalid number" in row.text, row.text
    assert by_id("resend").is_displayed()
    picture("console-notice.png")


# ---- a viewer; another site ---------------------------------------------------------


@scenario("a viewer sees no compose button, and a POST of hers is refused (403)")
def t_viewer():
    login("chenxia", then="/notices.html")
    W.until(EC.url_contains("/notices.html"))
    W.until(lambda d: "竹笋收购通知" in d.find_element(By.ID, "notice-list").text)
    assert not D.find_element(By.ID, "compose").is_displayed()
    status = D.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/v1/session').then(r => r.json()).then(s =>
          fetch('/v1/notices', {method: 'POST', headers: {'X-CSRF-Token': s.csrf,
                'Content-Type': 'application/json'},
                body: JSON.stringify({audience: ['kind:farmer'], text: 'x', dry_run: true})}))
          .then(r => done(r.status), e => done(String(e)));""")
    assert status == 403, status


class Evil(http.server.BaseHTTPRequestHandler):
    """Another site: a page whose form posts to duban without the CSRF token."""
    def do_GET(self):
        page = ("<!DOCTYPE html><form id=f method=post enctype=text/plain action='%s/v1/tasks'>"
                "<input name='{\"title\":\"伪造\",\"deadline\":\"2030-01-01\",\"lead\":\"郑秀兰\",\"x\":\"' value='\"}'>"
                "<button id=go>go</button></form>" % URL).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *a):
        pass


@scenario("a cross-site POST without the CSRF token is refused")
def t_csrf():
    srv = http.server.HTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        login("wangfang")
        W.until(EC.url_to_be(URL + "/"))
        D.get("http://127.0.0.1:%d/" % srv.server_port)
        by_id("go").click()
        W.until(lambda d: "csrf" in d.find_element(By.TAG_NAME, "body").text)
        assert sql("SELECT count(*) FROM task WHERE title = '伪造'")[0][0] == 0
        # and the session still works from the console itself
        D.get(URL + "/tasks.html")
        W.until(lambda d: "梅岙塘农田改造工程" in d.find_element(By.ID, "task-list").text)
    finally:
        srv.shutdown()


# ---- the other pages ----------------------------------------------------------------


@scenario("a task's page shows its timeline; the outbox finds the failed message and why")
def t_outbox():
    login("wangfang", then="/task.html?code=T1")
    W.until(lambda d: d.find_element(By.ID, "t-heading").text == "T1 梅岙塘农田改造工程")
    text_is("t-lead", "郑秀兰")
    assert not D.find_element(By.ID, "page-error").is_displayed()
    # a new deadline, through the same action as duban task update
    later = datetime.date.today() + datetime.timedelta(days=5)
    D.execute_script("document.getElementById('e-deadline').value = arguments[0]", later.isoformat())
    by_id("edit-save").click()
    text_is("t-deadline", "%d年%d月%d日 23:59" % (later.year, later.month, later.day))
    assert sql("SELECT actor FROM event WHERE action = 'task.update'")[0][0] == "staff:wangfang"
    D.find_element(By.LINK_TEXT, "发送记录").click()
    W.until(EC.url_contains("/outbox.html"))
    by_id("outbox-q").send_keys("卢金水")
    by_id("outbox-q").submit()
    cell = W.until(EC.element_to_be_clickable(
        (By.XPATH, "//table[@id='outbox-list']//tr[td[3]='卢金水']/td[1]/a")))
    cell.click()
    W.until(lambda d: "被拒绝" in d.find_element(By.ID, "msg-attempts").text)
    assert "invalid number" in by_id("msg-attempts").text, by_id("msg-attempts").text
    assert by_id("msg-heading").text.endswith("失败"), by_id("msg-heading").text


@scenario("reports: the year's review per lead as a table and an SVG chart, messages per day")
def t_reports():
    D.find_element(By.LINK_TEXT, "报表").click()
    W.until(EC.url_contains("/reports.html"))
    W.until(lambda d: "梅岙塘农田改造工程" in d.find_element(By.ID, "report-table").text)
    sel = by_id("report-kind")
    sel.find_element(By.XPATH, "option[@value='people']").click()
    W.until(lambda d: "按时完成" in d.find_element(By.ID, "report-table").text)
    row = D.find_element(By.XPATH, "//table[@id='report-table']//tr[td[1]='郑秀兰']")
    # led: tasks, on time, late, open, overdue; then the same of the tasks owned
    assert row.text.split()[3:] == ["1", "0", "0", "1", "0", "0", "0", "0", "0", "0"], row.text
    assert "负责事项" in by_id("report-table").text and "职务" in by_id("report-table").text
    W.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#chart svg rect[fill='#d98b00'], #chart svg rect"))
    assert "年度考核" in by_id("chart-title").text
    sel.find_element(By.XPATH, "option[@value='delivery']").click()
    W.until(lambda d: d.find_element(By.ID, "chart-title").text == "近两周每日短信")
    bars = D.find_elements(By.CSS_SELECTOR, "#chart svg rect title")
    assert any("失败：1" in b.get_attribute("textContent") for b in bars), [b.get_attribute("textContent") for b in bars]


@scenario("the inbox opens, empty")
def t_inbox():
    D.find_element(By.LINK_TEXT, "回复").click()
    W.until(EC.url_contains("/inbox.html"))
    W.until(lambda d: d.find_element(By.ID, "inbox-empty").is_displayed())
    assert not D.find_element(By.ID, "page-error").is_displayed()


@scenario("an admin adds an account in the console and reads its password once")
def t_staff():
    sql("INSERT INTO staff (login, name, role, pw_hash, created_at) SELECT 'admin1', '县信息中心', "
        "'admin', pw_hash, 0 FROM staff WHERE login = 'wangfang'")  # wangfang's password
    login("admin1", "console-pass-wangfang")
    W.until(EC.url_to_be(URL + "/"))
    D.find_element(By.LINK_TEXT, "账号管理").click()
    W.until(EC.url_contains("/staff.html"))
    by_id("s-login").send_keys("sunli")
    by_id("s-name").send_keys("孙莉")
    Select(by_id("s-role")).select_by_value("viewer")
    by_id("staff-add").click()
    W.until(lambda d: "初始密码" in d.find_element(By.ID, "staff-msg").text)
    pw = by_id("staff-msg").text.split("：")[-1]
    assert len(pw) == 16, pw
    W.until(lambda d: "孙莉" in d.find_element(By.ID, "staff-list").text)
    login("sunli", pw)
    W.until(EC.url_to_be(URL + "/"))
    text_is("who", "孙莉（查看员）退出")
    assert not D.find_elements(By.LINK_TEXT, "账号管理")


def api_status(token, path):
    """The HTTP status of GET path with an API token."""
    req = urllib.request.Request(URL + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


@scenario("an admin makes an API token in the console, reads it once, and revokes it")
def t_tokens():
    login("admin1", "console-pass-wangfang", "/staff.html")
    W.until(EC.url_contains("/staff.html"))
    name = by_id("t-name")
    name.send_keys("wechat")
    routes = by_id("t-routes")
    routes.clear()
    routes.send_keys("tasks")
    routes.send_keys(Keys.ENTER)  # the form is sent from the keyboard
    W.until(lambda d: d.find_element(By.ID, "token-once").is_displayed())
    assert "只显示这一次" in by_id("token-once").text
    token = by_id("token-value").get_attribute("value")
    assert token.startswith("dbn_") and len(token) == 47, token
    row = '#token-list tr[data-token="wechat"]'
    W.until(lambda d: "有效" in d.find_element(By.CSS_SELECTOR, row).text)
    assert token not in by_id("token-list").text
    assert api_status(token, "/v1/tasks") == 200
    assert api_status(token, "/v1/messages/1") == 403
    D.find_element(By.CSS_SELECTOR, row + " button").click()
    W.until(EC.alert_is_present()).accept()
    W.until(lambda d: "已吊销" in d.find_element(By.CSS_SELECTOR, row).text)
    assert api_status(token, "/v1/tasks") == 401
    assert sql("SELECT actor FROM event WHERE action = 'token.revoke'")[0][0] == "staff:admin1"


# ---- a task's timeline --------------------------------------------------------------


def mo(phone, text):
    """A reply by SMS from phone, through the simulator; duban's HTTP status."""
    req = urllib.request.Request(MO_URL + "/_sim/mo", method="POST",
                                 data=json.dumps({"from": phone, "text": text}).encode())
    with urllib.request.urlopen(req, timeout=WAIT) as r:
        return json.load(r)["status"]


def cn(d, hm=None):
    return "%d年%d月%d日" % (d.year, d.month, d.day) + (" " + hm if hm else "")


@scenario("a task's page shows its reply, its progress note and its planned steps in time order")
def t_timeline():
    login("wangfang")
    W.until(EC.url_to_be(URL + "/"))
    deadline = datetime.date.today() + datetime.timedelta(days=10)
    code = D.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/v1/session').then(r => r.json()).then(s =>
          fetch('/v1/tasks', {method: 'POST', headers: {'X-CSRF-Token': s.csrf,
                'Content-Type': 'application/json'},
                body: JSON.stringify({title: '小雄村道路硬化', deadline: arguments[0],
                                      lead: '郑秀兰', supervisor: '林志远'})}))
          .then(r => r.json()).then(j => done(j.code), e => done(String(e)));""",
        deadline.isoformat())
    assert mo("17768096319", "进展 %s 已完成土方" % code) == 200
    assert sql("SELECT count(*) FROM task_note n JOIN task t ON t.id = n.task WHERE t.code = ?",
               code)[0][0] == 1
    D.get(URL + "/task.html?code=" + code)
    W.until(lambda d: d.find_element(By.ID, "t-heading").text == code + " 小雄村道路硬化")
    rows = lambda: D.find_elements(By.CSS_SELECTOR, "#timeline tbody tr")
    W.until(lambda d: len(rows()) >= 13)
    kinds = [r.get_attribute("class") for r in rows()]
    # the reply, its note and duban's answer came today, before any step:
    # all ten steps of the rule set are still to come
    assert kinds == ["ev-reply", "ev-note", "ev-message"] + ["ev-planned"] * 10, kinds
    reply, note, answer, first = (r.text for r in rows()[:4])
    assert "进展 %s 已完成土方" % code in reply and "已记录进展" in reply, reply
    assert "郑秀兰" in note and "已完成土方" in note and "进展" in note, note
    assert "答复短信" in answer and "已记录%s的进展" % code in answer, answer
    week = deadline - datetime.timedelta(days=7)  # 7d before, at 09:00: to the lead (and owners)
    assert first.startswith(cn(week, "09:00")) and "到期前提醒" in first and "牵头领导" in first \
        and "待发送" in first, first
    last = rows()[-1].text
    assert last.startswith(cn(deadline + datetime.timedelta(days=5), "09:00")) and "逾期提醒" in last, last
    assert any("督办升级" in r.text and "督办人" in r.text for r in rows())
    D.execute_script("document.getElementById('timeline').scrollIntoView()")
    picture("console-task.png")


@scenario("marking it done on an earlier day shows that day, and nothing is planned any more")
def t_done_on():
    code = sql("SELECT code FROM task WHERE title = '小雄村道路硬化'")[0][0]
    on = datetime.date.today() - datetime.timedelta(days=2)
    D.execute_script("document.getElementById('e-done-on').value = arguments[0]", on.isoformat())
    by_id("t-done").click()
    text_is("t-status", "已完成")
    text_is("t-done-at", cn(on, "00:00"))
    W.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "#timeline tr.ev-planned"))
    assert len(D.find_elements(By.CSS_SELECTOR, "#timeline tr.ev-note")) == 1
    assert not D.find_element(By.ID, "e-done-on").is_displayed()
    town = datetime.timezone(datetime.timedelta(hours=8))  # the tests' Asia/Shanghai
    midnight = int(datetime.datetime(on.year, on.month, on.day, tzinfo=town).timestamp())
    done_at = sql("SELECT done_at, status FROM task WHERE code = ?", code)[0]
    assert done_at == (midnight, "done"), (done_at, midnight)
    assert sql("SELECT actor FROM event WHERE action = 'task.done' AND object = ?", code)[0][0] == "staff:wangfang"


D.quit()
sys.exit(1 if failed else 0)
