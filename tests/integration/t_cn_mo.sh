#!/bin/sh
# t_cn_mo.sh - replies Alibaba Cloud pushes as one SmsUp array (the
# simulator in aliyun mode, several replies in one push) are applied in
# one transaction: TD, 完成T1 and 收到 all act together and the push is
# answered {"code":0,"msg":"接收成功"}; the same array pushed again changes
# nothing; an array with an element duban cannot read is refused whole;
# and an array whose second element fails in the database is refused
# whole - nothing of the first applied, not the success answer - so the
# simulator pushes it again, as Aliyun does, and once the database is
# well the push applies every reply once.
. "$TOP/tests/integration/lib.sh"
setup
sed -i 's/^quiet_hours = .*/quiet_hours = { enabled = false; from = "21:00"; to = "08:00"; };/;
        s/^log = .*/log = { level = "info"; };/' "$DUBAN_CONFIG"
d() { "$DUBAN" "$@"; }
is() { [ "$(eval "$1")" = "$2" ]; }

SECRET=cb-secret-mo-0123456789
write_cfg() {
	sed -i '/^# ---- providers/,$d' "$DUBAN_CONFIG"
	cat >>"$DUBAN_CONFIG" <<CFG
# ---- providers
providers = (
  { name = "aliyun"; type = "aliyun";
    access_key_id = "{{env.ALIYUN_ACCESS_KEY_ID}}"; access_key_secret = "{{env.ALIYUN_ACCESS_KEY_SECRET}}";
    endpoint = "${SIM_URL:-http://127.0.0.1:9}"; sign_name = "小雄镇人民政府"; callback_secret = "$SECRET";
    templates = {
      reminder = { code = "SMS_100001";
        text = "您牵头的“\${task}”将于\${deadline}到期，请抓紧办理。回复“完成\${code}”办结。";
        params = { task = "{{task.title}}"; deadline = "{{task.deadline|md}}"; code = "{{task.code}}"; }; };
    }; }
);
dispatcher = { poll_ms = 100; };
http = { listen = "127.0.0.1:${HTTP_PORT:-0}"; };
CFG
}
export ALIYUN_ACCESS_KEY_ID=LTAI5tSimTestKeyId ALIYUN_ACCESS_KEY_SECRET=SimTestKeySecret0123
write_cfg
check "duban init" d init
start_duban || exit 1
MO="$API/callbacks/mo/aliyun/$SECRET"
start_sim_cn aliyun --push-retry-ms 200 --push-retries 5 --mo-url "$MO" || exit 1
write_cfg
kill -HUP "$DPID"
wait_for 10 grep -q 'configuration reloaded' "$T/daemon.log" && ok "reloaded with the simulator" ||
	notok "reloaded with the simulator"

d person add --name 郑秀兰 --phone 17768096319 --title 纪委书记 --org 小雄镇 --kind official >/dev/null
d person add --name 陈宝根 --phone 15068766188 --org 梅岙塘村 --kind official >/dev/null
d person add --name 张阿满 --phone 13957601140 --org 庙峙村 --kind farmer >/dev/null
d person add --name 林阿昌 --phone 13957608929 --org 小雄村 --kind farmer >/dev/null
d task add --title 梅岙塘农田改造工程 --deadline 2030-12-31 --lead 郑秀兰 --member 陈宝根 >/dev/null
now=$(date +%s)
# the reminder the dispatcher sent 陈宝根, which his 收到 acknowledges
sql "INSERT INTO message_text (body) VALUES ('提醒');
     INSERT INTO message (person, phone, text_id, encoding, parts, kind, task, status, created_at,
       not_before, sent_at, provider, provider_ref, dedupe_key)
     SELECT p.id, p.phone, (SELECT max(id) FROM message_text), 'UCS-2', 1, 'reminder', 1, 'sent',
       $now, $now, $now - 60,
       'aliyun', 'old-1', 'test-r1' FROM person p WHERE p.phone = '+8615068766188'"
R=$(sql "select id from message where dedupe_key = 'test-r1'")

# What the three replies did: who opted out, T1's status and who closed
# it, the acknowledged reminder, the replies and their audit events.
state() {
	sql "select coalesce((select group_concat(name) from person where opted_out_at is not null), '') || ' | ' ||
	  (select t.status || ' ' || coalesce(p.name, '') from task t left join person p on p.id = t.done_by
	   where t.code = 'T1') || ' | ' ||
	  (select count(*) from message where id = $R and acked_at is not null) || ' | ' ||
	  (select count(*) from inbound) || ' | ' || (select count(*) from event where actor like 'sms:%')"
}
expect_eq "before: nobody opted out, T1 open, nothing acknowledged" "$(state)" " | open  | 0 | 0 | 0"

# ---- an array of three, pushed by the simulator as Aliyun pushes it ----------------------------------
curl -s -X POST -H 'Content-Type: application/json' --data \
	'[{"from":"+8613957601140","text":"TD"},{"from":"+8617768096319","text":"完成T1"},{"from":"+8615068766188","text":"收到"}]' \
	"$SIM_URL/_sim/mo" >"$T/mo1.json"
expect_eq "the push of three was answered as Aliyun expects" "$(jq -c '[.posted, .status, .accepted]' "$T/mo1.json")" \
	'[true,200,true]'
expect_eq "all three acted: TD opted out, 完成T1 closed T1 by its lead, 收到 acknowledged the reminder" \
	"$(state)" "张阿满 | done 郑秀兰 | 1 | 3 | 3"
expect_eq "each reply stored with its action, under Aliyun's sequence_id" \
	"$(sql "select group_concat(action || '/' || status, ' ') from (select * from inbound order by id)")" \
	"optout/handled done/handled ack/handled"
expect_eq "the three sequence_ids are distinct numbers" \
	"$(sql "select count(distinct provider_ref) from inbound where provider_ref glob '[0-9]*'")" 3

# ---- the same array again, as Aliyun pushes when unsure ----------------------------------------------
sql "select json_group_array(json_object('phone_number', substr(phone, 4), 'content', text,
	'send_time', '2026-12-02 08:00:00', 'dest_code', '', 'sequence_id', cast(provider_ref as integer),
	'sign_name', '小雄镇人民政府')) from (select * from inbound order by id)" >"$T/again.json"
before=$(state)
for i in 1 2; do
	curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$T/again.json" "$MO" >"$T/again$i.out"
done
expect_eq "the same array again is answered as Aliyun expects" "$(cat "$T/again2.out")" '{"code":0,"msg":"接收成功"}'
expect_eq "and changes nothing, twice" "$(state)" "$before"

# ---- an element duban cannot read: the whole array is refused ----------------------------------------
printf '[{"phone_number":"13957608929","content":"TD","sequence_id":7001},{"content":"收到","sequence_id":7002}]' \
	>"$T/bad.json"
code=$(curl -s -o "$T/bad.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary @"$T/bad.json" "$MO")
expect_eq "an array whose second reply has no phone_number is refused (400)" "$code" 400
expect_grep "naming the reply and the field at fault" 'reply 2 of 2.*phone_number' "$T/bad.out"
expect_eq "and nothing of it applied: the first reply's TD did not opt 林阿昌 out" "$(state)" "$before"

# ---- a database failure half way: nothing applied, pushed again, then applied once -------------------
# A trigger makes the second reply's insert fail as a database error would.
sql "CREATE TRIGGER test_fail BEFORE INSERT ON inbound WHEN NEW.text = '路灯坏了'
     BEGIN SELECT abs(-9223372036854775807 - 1); END"
curl -s -X POST -H 'Content-Type: application/json' --data \
	'[{"from":"+8613957608929","text":"TD"},{"from":"+8617768096319","text":"路灯坏了"}]' \
	"$SIM_URL/_sim/mo" >"$T/mo2.json"
expect_eq "a database error on reply 2 of 2: not the success answer (500), so Aliyun pushes again" \
	"$(jq -c '[.posted, .status, .accepted]' "$T/mo2.json")" '[true,500,false]'
expect_eq "and nothing of it applied: 林阿昌 is not opted out, no reply stored" "$(state)" "$before"
expect_grep "the daemon says none was applied and which reply failed" \
	'2 replies from aliyun, none applied: reply 2 of 2: .*integer overflow' "$T/daemon.log"
sql "DROP TRIGGER test_fail"
wait_for 20 is "sql \"select count(*) from inbound\"" 5 &&
	ok "once the database is well, the simulator's push again is applied" ||
	notok "the push again was applied ($(state))"
expect_eq "both replies, once each: 林阿昌 opted out, 路灯坏了 waits for staff" \
	"$(sql "select group_concat(action || '/' || status, ' ') from (select * from inbound where id > 3 order by id)")" \
	"optout/handled inbox/new"
expect_eq "the state after" "$(state)" "张阿满,林阿昌 | done 郑秀兰 | 1 | 5 | 4"
accepted() { [ "$(curl -s "$SIM_URL/_sim/stats" | jq '.mo_sent')" -ge 2 ]; }
check "the simulator counts the push again as taken" wait_for 10 accepted

kill -TERM "$DPID"
wait "$DPID"
expect_eq "the daemon stops cleanly" "$?" 0
exit 0
