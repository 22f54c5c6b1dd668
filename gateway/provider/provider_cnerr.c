/*
 * provider_cnerr.c - the one table saying what the error codes of Alibaba
 * Cloud's dysmsapi (2017-05-25) and Tencent Cloud's SMS (2021-01-11) mean
 * to duban, in four classes:
 *
 *   permanent  this message can never go (a bad number, a blacklisted
 *              word, a value the template refuses): the row fails with the
 *              provider's code and message;
 *   transient  try again with backoff (the provider's own trouble, its
 *              request rate, a reused nonce or a stale timestamp, which a
 *              new request replaces);
 *   limited    the provider refuses this number for a while (its
 *              per-number frequency windows): the number's messages wait
 *              until the window has passed, neither failed nor retried hot;
 *   halted     the provider refuses everything (balance, arrears,
 *              credentials, signature, a signature or template not
 *              approved, the account's daily cap): stop using it at once.
 *
 * Codes come from the providers' error code pages (Aliyun "SendSms error
 * codes", Tencent's errors of sms/v20210111 and the common API errors).  A
 * code in neither table is matched by its prefix (Tencent's "AuthFailure."
 * and the like); a code nobody knows is PERMANENT, so that a request the
 * provider refuses for a reason we cannot name fails its row rather than
 * retrying forever - a 5xx reply or a timeout never gets here: the
 * backends call it transient before looking at a code.
 */
#include "provider/provider.h"
#include "base/array.h"

#include <string.h>
#include <time.h>

#define P PROVIDER_PERMANENT
#define T PROVIDER_TRANSIENT
#define L PROVIDER_LIMITED
#define H PROVIDER_HALTED

/* Sentinel waits, resolved by wait_of(): the message names the window, or
 * the window ends at the provider's midnight. */
#define WAIT_FROM_MESSAGE (-1)
#define WAIT_MIDNIGHT     (-2)

struct cn_code {
	const char *code;
	enum provider_result cls;
	long wait_s; /* LIMITED: seconds, or a sentinel above */
};

static const struct cn_code aliyun_codes[] = {
	/* per message */
	{ "isv.MOBILE_NUMBER_ILLEGAL", P, 0 },
	{ "isv.MOBILE_COUNT_OVER_LIMIT", P, 0 },
	{ "isv.PHONENUMBERS_OVER_LIMIT", P, 0 },
	{ "isv.DOMESTIC_NUMBER_NOT_SUPPORTED", P, 0 },
	{ "isv.TEMPLATE_PARAMS_ILLEGAL", P, 0 },
	{ "isv.TEMPLATE_MISSING_PARAMETERS", P, 0 },
	{ "isv.PARAM_LENGTH_LIMIT", P, 0 },
	{ "isv.PARAM_NOT_SUPPORT_URL", P, 0 },
	{ "isv.INVALID_JSON_PARAM", P, 0 },
	{ "isv.INVALID_PARAMETERS", P, 0 },
	{ "isv.BLACK_KEY_CONTROL_LIMIT", P, 0 },
	{ "isv.SMS_CONTENT_ILLEGAL", P, 0 },
	{ "isv.EXTEND_CODE_ERROR", P, 0 },
	{ "isv.CUSTOMER_REFUSED", P, 0 },
	{ "isv.SMS_TEST_NUMBER_LIMIT", P, 0 },
	{ "isv.SMS_TEST_TEMPLATE_PARAMS_ILLEGAL", P, 0 },
	{ "MissingParameter", P, 0 },
	/* transient */
	{ "isp.SYSTEM_ERROR", T, 0 },
	{ "isp.GATEWAY_ERROR", T, 0 },
	{ "Throttling.User", T, 0 },
	{ "Throttling.Api", T, 0 },
	{ "Throttling", T, 0 },
	{ "ServiceUnavailable", T, 0 },
	{ "InternalError", T, 0 },
	{ "SignatureNonceUsed", T, 0 },
	{ "InvalidTimeStamp.Expired", T, 0 },
	/* per-number frequency windows */
	{ "isv.BUSINESS_LIMIT_CONTROL", L, WAIT_FROM_MESSAGE },
	/* the provider refuses everything */
	{ "isv.AMOUNT_NOT_ENOUGH", H, 0 },
	{ "isv.OUT_OF_SERVICE", H, 0 },
	{ "isv.DAY_LIMIT_CONTROL", H, 0 },
	{ "isv.MONTH_LIMIT_CONTROL", H, 0 },
	{ "isv.PRODUCT_UN_SUBSCRIPT", H, 0 },
	{ "isv.PRODUCT_UNSUBSCRIBE", H, 0 },
	{ "isv.ACCOUNT_NOT_EXISTS", H, 0 },
	{ "isv.ACCOUNT_ABNORMAL", H, 0 },
	{ "isv.SECURITY_FROZEN_ACCOUNT", H, 0 },
	{ "isv.DENY_IP_RANGE", H, 0 },
	{ "isv.RAM_PERMISSION_DENY", H, 0 },
	{ "isp.RAM_PERMISSION_DENY", H, 0 },
	{ "isv.SMS_SIGNATURE_ILLEGAL", H, 0 },
	{ "isv.SMS_SIGN_ILLEGAL", H, 0 },
	{ "isv.SIGN_NAME_ILLEGAL", H, 0 },
	{ "isv.SMS_TEMPLATE_ILLEGAL", H, 0 },
	{ "isv.SMS_SIGNATURE_SCENE_ILLEGAL", H, 0 },
	{ "isv.SMS_TEST_SIGN_TEMPLATE_LIMIT", H, 0 },
	{ "isv.SIGN_STATE_ILLEGAL", H, 0 },
	{ "SIGNATURE_BLACKLIST", H, 0 },
	{ "SignatureDoesNotMatch", H, 0 },
	{ "IncompleteSignature", H, 0 },
	{ "InvalidAccessKeyId.NotFound", H, 0 },
	{ "InvalidAccessKeyId.Inactive", H, 0 },
	{ "InvalidAccessKeyId", H, 0 },
	{ "Forbidden.RAM", H, 0 },
	{ "Forbidden.AccessKeyDisabled", H, 0 },
	{ "InvalidVersion", H, 0 },
	{ "InvalidAction.NotFound", H, 0 },
	{ "InvalidRegionId", H, 0 },
};

static const struct cn_code tencent_codes[] = {
	/* per message */
	{ "InvalidParameterValue.IncorrectPhoneNumber", P, 0 },
	{ "InvalidParameterValue.TemplateParameterFormatError", P, 0 },
	{ "InvalidParameterValue.TemplateParameterLengthLimit", P, 0 },
	{ "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter", P, 0 },
	{ "InvalidParameterValue.ContentLengthLimit", P, 0 },
	{ "FailedOperation.PhoneNumberInBlacklist", P, 0 },
	{ "FailedOperation.ContainSensitiveWord", P, 0 },
	{ "FailedOperation.JsonParseFail", P, 0 },
	{ "FailedOperation.FailResolvePacket", P, 0 },
	{ "FailedOperation.PhoneNumberParseFail", P, 0 },
	{ "LimitExceeded.AppCountryOrRegionInBlacklist", P, 0 },
	{ "LimitExceeded.PhoneNumberCountLimit", P, 0 },
	{ "MissingParameter.EmptyPhoneNumberSet", P, 0 },
	{ "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber", P, 0 },
	{ "UnsupportedOperation.UnsupportedRegion", P, 0 },
	{ "UnsupportedOperation.UnsuportedRegion", P, 0 }, /* (sic), as the API spells it */
	{ "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone", P, 0 },
	{ "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone", P, 0 },
	/* transient */
	{ "InternalError.Timeout", T, 0 },
	{ "InternalError.OtherError", T, 0 },
	{ "InternalError.SendAndRecvFail", T, 0 },
	{ "InternalError.UnknownError", T, 0 },
	{ "InternalError.RequestTimeException", T, 0 },
	{ "InternalError.ParseBackendResponseFail", T, 0 },
	{ "InternalError", T, 0 },
	{ "RequestLimitExceeded", T, 0 },
	{ "ServiceUnavailable", T, 0 },
	{ "ResourceUnavailable", T, 0 },
	/* per-number frequency windows */
	{ "LimitExceeded.PhoneNumberThirtySecondLimit", L, 30 },
	{ "LimitExceeded.PhoneNumberOneHourLimit", L, 3600 },
	{ "LimitExceeded.PhoneNumberDailyLimit", L, WAIT_MIDNIGHT },
	{ "LimitExceeded.PhoneNumberSameContentDailyLimit", L, WAIT_MIDNIGHT },
	{ "LimitExceeded.DeliveryFrequencyLimit", L, 60 },
	/* marketing SMS only in the daytime: a window, not a failure */
	{ "FailedOperation.MarketingSendTimeConstraint", L, 3600 },
	/* the provider refuses everything */
	{ "FailedOperation.InsufficientBalanceInSmsPackage", H, 0 },
	{ "FailedOperation.SignatureIncorrectOrUnapproved", H, 0 },
	{ "FailedOperation.TemplateIncorrectOrUnapproved", H, 0 },
	{ "FailedOperation.TemplateUnapprovedOrNotExist", H, 0 },
	{ "FailedOperation.TemplateIdNotExist", H, 0 },
	/* the approved template's placeholders differ from the configured
	 * binding: every message of it would fail the same way */
	{ "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", H, 0 },
	{ "FailedOperation.MissingSignature", H, 0 },
	{ "FailedOperation.MissingSignatureToModify", H, 0 },
	{ "InternalError.SigFieldMissing", H, 0 },
	{ "InternalError.SigVerificationFail", H, 0 },
	{ "InternalError.RestApiInterfaceNotExist", H, 0 },
	{ "InvalidParameterValue.SdkAppIdNotExist", H, 0 },
	{ "InvalidParameterValue.SdkAppidNotExist", H, 0 }, /* the 2019-07-11 spelling */
	{ "LimitExceeded.AppDailyLimit", H, 0 },
	{ "LimitExceeded.DailyLimit", H, 0 },
	{ "LimitExceeded.AppGlobalDailyLimit", H, 0 },
	{ "LimitExceeded.AppMainlandChinaDailyLimit", H, 0 },
	{ "LimitExceeded.AppCountryOrRegionDailyLimit", H, 0 },
	{ "UnauthorizedOperation.SerivceSuspendDueToArrears", H, 0 },
	{ "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny", H, 0 },
	{ "UnauthorizedOperation.RequestIpNotInWhitelist", H, 0 },
	{ "UnauthorizedOperation.RequestPermissionDeny", H, 0 },
	{ "UnauthorizedOperation.SdkAppIdIsDisabled", H, 0 },
	{ "UnauthorizedOperation.SmsSdkAppIdVerifyFail", H, 0 },
	{ "InvalidCredential", H, 0 },
	{ "InvalidAction", H, 0 },
	{ "InvalidRegion", H, 0 },
	{ "ActionOffline", H, 0 },
	{ "NoSuchVersion", H, 0 },
	{ "UnsupportedRegion", H, 0 },
	{ "UnsupportedProtocol", H, 0 },
	{ "IpInBlacklist", H, 0 },
	{ "IpNotInWhitelist", H, 0 },
	{ "NoSuchProduct", H, 0 },
	/* the common errors of every Tencent API */
	{ "InvalidRequest", P, 0 },
	{ "RequestSizeLimitExceeded", P, 0 },
	{ "UnknownParameter", P, 0 },
	{ "ResourceInsufficient", T, 0 },
};

/* Families of Tencent's common errors, by prefix (after the exact table). */
static const struct cn_code tencent_prefixes[] = {
	{ "AuthFailure.", H, 0 },
	{ "UnauthorizedOperation.", H, 0 },
	{ "InternalError.", T, 0 },
	{ "RequestLimitExceeded.", T, 0 },
	{ "ResourceUnavailable.", T, 0 },
	{ "InvalidParameter", P, 0 },
	{ "MissingParameter", P, 0 },
	{ "UnsupportedOperation", P, 0 },
};

static const struct cn_code aliyun_prefixes[] = {
	{ "InvalidAccessKeyId.", H, 0 },
	{ "Forbidden.", H, 0 },
	{ "Throttling.", T, 0 },
	{ "isp.", T, 0 },
};

/* Seconds from now until the next midnight in China (UTC+8, no summer
 * time), where both providers count their days; at least 1. */
static long
until_china_midnight(void)
{
	struct timespec ts;
	long into_day;

	clock_gettime(CLOCK_REALTIME, &ts);
	into_day = (long)((ts.tv_sec + 8 * 3600) % 86400);
	return 86400 - into_day;
}

/* The window Aliyun's isv.BUSINESS_LIMIT_CONTROL message names
 * ("触发分钟级流控Permits:1", "触发小时级流控...", "触发天级流控..."). */
static long
wait_from_message(const char *m)
{
	if (m == NULL)
		return 3600;
	if (strstr(m, "分钟") || strstr(m, "inute"))
		return 60;
	if (strstr(m, "小时") || strstr(m, "our"))
		return 3600;
	if (strstr(m, "天") || strstr(m, "ay"))
		return until_china_midnight();
	return 3600; /* an unnamed window: the middle one */
}

static long
wait_of(const struct cn_code *c, const char *message)
{
	if (c->cls != PROVIDER_LIMITED)
		return 0;
	if (c->wait_s == WAIT_FROM_MESSAGE)
		return wait_from_message(message);
	if (c->wait_s == WAIT_MIDNIGHT)
		return until_china_midnight();
	return c->wait_s;
}

static const struct cn_code *
lookup(const struct cn_code *t, size_t n, const char *code, bool prefix)
{
	for (size_t i = 0; i < n; i++)
		if (prefix ? strncmp(code, t[i].code, strlen(t[i].code)) == 0
			   : strcmp(code, t[i].code) == 0)
			return &t[i];
	return NULL;
}

enum provider_result
provider_cn_class(const char *type, const char *code, const char *message, long *wait_s)
{
	bool tencent = type != NULL && strcmp(type, "tencent") == 0;
	const struct cn_code *c;

	if (wait_s)
		*wait_s = 0;
	if (code == NULL || code[0] == '\0')
		return PROVIDER_PERMANENT;
	if (tencent)
		c = lookup(tencent_codes, ARRAY_LEN(tencent_codes), code, false);
	else
		c = lookup(aliyun_codes, ARRAY_LEN(aliyun_codes), code, false);
	if (c == NULL && tencent)
		c = lookup(tencent_prefixes, ARRAY_LEN(tencent_prefixes), code, true);
	else if (c == NULL)
		c = lookup(aliyun_prefixes, ARRAY_LEN(aliyun_prefixes), code, true);
	if (c == NULL)
		return PROVIDER_PERMANENT;
	if (wait_s)
		*wait_s = wait_of(c, message);
	return c->cls;
}
