# cn_client.sh - a signing client for smsc-sim --api aliyun|tencent, in POSIX
# sh with openssl, jq and curl, for the scenarios (source it after lib.sh).
# Written from the providers' documentation of ACS3-HMAC-SHA256 and
# TC3-HMAC-SHA256, apart from the simulator's C, so that each checks the other.
#
#   ali_q K V [K V ...]      canonical query: pairs given in sorted key order,
#                            values RFC 3986-encoded (jq @uri)
#   ali_call OUT ACTION QUERY   signed POST "/?QUERY" (empty body); prints the
#                            HTTP status, the answer goes to OUT.  ALI_ID,
#                            ALI_SECRET; ALI_DATE / ALI_NONCE override the
#                            x-acs-date / nonce (default: now / random);
#                            ALI_SENT_Q sends another query than the signed one
#   tc_call OUT BODY         signed Tencent SendSms POST of the JSON BODY;
#                            prints the status.  TC_ID, TC_KEY; TC_TS
#                            overrides X-TC-Timestamp (default: now);
#                            TC_SENT_BODY sends another body than the signed one
# Both need SIM_PORT (start_sim sets it).

sha256_hex() { openssl dgst -sha256 -hex | sed 's/^.*= //'; }
hmac_hex() { openssl dgst -sha256 -hmac "$1" -hex | sed 's/^.*= //'; }
hmac_hexkey() { openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -hex | sed 's/^.*= //'; }

ali_q() {
	_q=""
	while [ $# -ge 2 ]; do
		_v=$(jq -rn --arg v "$2" '$v | @uri')
		_q="$_q${_q:+&}$1=$_v"
		shift 2
	done
	printf '%s' "$_q"
}

ali_call() {
	_out=$1 _action=$2 _q=$3
	_date=${ALI_DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
	_nonce=${ALI_NONCE:-$(openssl rand -hex 16)}
	_hash=$(printf '' | sha256_hex)
	_host="127.0.0.1:$SIM_PORT"
	_sh="host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
	_cr=$(printf 'POST\n/\n%s\nhost:%s\nx-acs-action:%s\nx-acs-content-sha256:%s\nx-acs-date:%s\nx-acs-signature-nonce:%s\nx-acs-version:2017-05-25\n\n%s\n%s' \
		"$_q" "$_host" "$_action" "$_hash" "$_date" "$_nonce" "$_sh" "$_hash")
	_crh=$(printf '%s' "$_cr" | sha256_hex)
	_sig=$(printf 'ACS3-HMAC-SHA256\n%s' "$_crh" | hmac_hex "$ALI_SECRET")
	curl -s --max-time 20 -o "$_out" -w '%{http_code}' -X POST \
		-H "Authorization: ACS3-HMAC-SHA256 Credential=$ALI_ID,SignedHeaders=$_sh,Signature=$_sig" \
		-H "x-acs-action: $_action" -H "x-acs-version: 2017-05-25" -H "x-acs-date: $_date" \
		-H "x-acs-signature-nonce: $_nonce" -H "x-acs-content-sha256: $_hash" \
		"http://$_host/?${ALI_SENT_Q:-$_q}"
}

tc_call() {
	_out=$1 _body=$2
	_ts=${TC_TS:-$(date +%s)}
	_d=$(date -u -d "@$_ts" +%Y-%m-%d)
	_ct="application/json; charset=utf-8"
	_host="127.0.0.1:$SIM_PORT"
	_hash=$(printf '%s' "$_body" | sha256_hex)
	_cr=$(printf 'POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s' "$_ct" "$_host" "$_hash")
	_sts=$(printf 'TC3-HMAC-SHA256\n%s\n%s/sms/tc3_request\n%s' "$_ts" "$_d" "$(printf '%s' "$_cr" | sha256_hex)")
	_k=$(printf '%s' "$_d" | hmac_hex "TC3$TC_KEY")
	_k=$(printf 'sms' | hmac_hexkey "$_k")
	_k=$(printf 'tc3_request' | hmac_hexkey "$_k")
	_sig=$(printf '%s' "$_sts" | hmac_hexkey "$_k")
	curl -s --max-time 20 -o "$_out" -w '%{http_code}' -X POST \
		-H "Authorization: TC3-HMAC-SHA256 Credential=$TC_ID/$_d/sms/tc3_request, SignedHeaders=content-type;host, Signature=$_sig" \
		-H "Content-Type: $_ct" -H "X-TC-Action: SendSms" -H "X-TC-Version: 2021-01-11" \
		-H "X-TC-Timestamp: $_ts" -H "X-TC-Region: ap-guangzhou" --data-binary "${TC_SENT_BODY:-$_body}" \
		"http://$_host/"
}
