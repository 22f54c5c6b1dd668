#!/bin/sh
# t_provider_cn.sh - `duban config check` with Alibaba Cloud and Tencent
# Cloud groups: both documented groups pass; a binding whose placeholders
# and values disagree, a free-text key on a template type and a key file
# others may read are refused with FILE:LINE; and no access key, from the
# environment or from a file, ever appears in what config check prints.
. "$TOP/tests/integration/lib.sh"
setup

export T_ALIYUN_ID="LTAI5tItKeyIdNeverShown"
export T_ALIYUN_SECRET="ItSecretNeverShown0123"
export T_TC_ID="AKIDItSecretIdNeverShown"
printf 'ItTencentKeyNeverShown\n' >"$T/tencent.key"
chmod 600 "$T/tencent.key"

cp "$DUBAN_CONFIG" "$T/base.cfg"
cat >>"$DUBAN_CONFIG" <<CFG
providers = (
  { name = "aliyun"; type = "aliyun";
    access_key_id = "{{env.T_ALIYUN_ID}}"; access_key_secret = "{{env.T_ALIYUN_SECRET}}";
    endpoint = "http://127.0.0.1:9";
    sign_name = "小雄镇人民政府";
    templates = {
      reminder = { code = "SMS_100001";
        text = "您牵头的“\${task}”将于\${deadline}到期，请抓紧办理。回复“完成\${code}”办结。";
        params = { task = "{{task.title}}"; deadline = "{{task.deadline|md}}"; code = "{{task.code}}"; }; };
    }; },
  { name = "tencent"; type = "tencent";
    secret_id = "{{env.T_TC_ID}}"; secret_key = "{{file:$T/tencent.key}}";
    sdk_app_id = "1400000001"; endpoint = "http://127.0.0.1:9";
    sign_name = "小雄镇人民政府";
    templates = {
      reminder = { id = "100001"; text = "您牵头的“{1}”将于{2}到期，请抓紧办理。回复“完成{3}”办结。";
                   params = [ "{{task.title}}", "{{task.deadline|md}}", "{{task.code}}" ]; };
    }; } );
CFG
check "config check passes the two documented groups" "$DUBAN" config check
cat "$T/last.out" "$T/last.err" >"$T/good.txt"

# A binding missing a value, an extra value, a free-text key, a readable key file.
cp "$T/base.cfg" "$T/bad.cfg"
cat >>"$T/bad.cfg" <<CFG
providers = (
  { name = "aliyun"; type = "aliyun";
    access_key_id = "{{env.T_ALIYUN_ID}}"; access_key_secret = "{{env.T_ALIYUN_SECRET}}";
    url = "http://127.0.0.1:9/";
    sign_name = "小雄镇人民政府";
    templates = {
      reminder = { code = "SMS_100001"; text = "\${task}将于\${deadline}到期";
        params = { task = "{{task.title}}";
                   code = "{{task.code}}"; }; };
    }; },
  { name = "tencent"; type = "tencent";
    secret_id = "{{env.T_TC_ID}}"; secret_key = "{{file:$T/open.key}}";
    sdk_app_id = "1400000001"; sign_name = "小雄镇人民政府";
    templates = { reminder = { id = "100001"; text = "{1}到期"; params = [ "{{task.title}}" ]; }; };
  } );
CFG
printf 'ItOpenKeyNeverShown\n' >"$T/open.key"
chmod 644 "$T/open.key"
expect_exit "config check refuses the bad groups" 1 "$DUBAN" -c "$T/bad.cfg" config check
base=$(wc -l <"$T/base.cfg")
expect_grep "a missing value is named at the text's line" \
	"bad.cfg:$((base + 7)): template 'reminder': placeholder \${deadline} has no value" "$T/last.err"
expect_grep "an extra value is named at its own line" \
	"bad.cfg:$((base + 9)): template 'reminder': value code has no placeholder" "$T/last.err"
expect_grep "a free-text key on a template type is refused at its line" \
	"bad.cfg:$((base + 4)): .*'url'" "$T/last.err"
expect_grep "a key file others may read is refused at its line" \
	"bad.cfg:$((base + 12)): 'secret_key': .*open.key may be read by others (mode 0644)" "$T/last.err"
cat "$T/last.out" "$T/last.err" >>"$T/bad.txt"

for s in "$T_ALIYUN_ID" "$T_ALIYUN_SECRET" "$T_TC_ID" ItTencentKeyNeverShown ItOpenKeyNeverShown; do
	if grep -q "$s" "$T/good.txt" "$T/bad.txt"; then notok "config check never shows a key ($s)"
	else ok "config check never shows a key"; fi
done
# The two example groups of etc/duban.cfg, uncommented, are valid as written.
awk '/^  # Alibaba Cloud SMS/ { on = 1 } /^\);/ { on = 0 }
	on && /^  #   / { sub(/^  # /, ""); print; next }
	on && /^  # , \{/ { print ", {"; next }
	on && /^  # \}$/ { print "}" }' "$TOP/etc/duban.cfg" >"$T/examples.txt"
{ cat "$T/base.cfg"
  echo 'providers = ( { name = "sim"; type = "http"; url = "http://127.0.0.1:9/"; }'
  cat "$T/examples.txt"
  echo ');'; } >"$T/examples.cfg"
expect_eq "etc/duban.cfg shows both template groups" "$(grep -c 'type = "aliyun"\|type = "tencent"' "$T/examples.txt")" 2
ALIYUN_ACCESS_KEY_ID=LTAI5tExample ALIYUN_ACCESS_KEY_SECRET=ExampleSecret \
TENCENT_SECRET_ID=AKIDExample TENCENT_SECRET_KEY=ExampleKey \
DUBAN_ALIYUN_SECRET=aliyun-callback-secret-0123 DUBAN_TENCENT_SECRET=tencent-callback-secret-0123 \
	check "the example groups of etc/duban.cfg pass config check" "$DUBAN" -c "$T/examples.cfg" config check
exit "$FAILED"
