"""Error answers of the Huawei Cloud emulator, with the vendor's own codes, statuses and shapes.

Huawei answers errors with an HTTP status and a JSON body in one of two shapes: flat
``{"error_code", "error_msg", "request_id"}`` (API gateway, ELB) or nested
``{"error": {"error_code", "error_msg"}}`` (CDN). The SDK reads either shape; certfleet's
classifier must not depend on which one arrives.

Where each code comes from (checked while writing the emulator):

* API gateway: the APIG error code table (support.huaweicloud.com ``api-elb/ErrorCode`` points
  to it; ``usermanual-apig/apig_03_0048``) and the signing guide's FAQ
  (``devg-apisign/api-sign-0001``): APIGW.0101 404 "The API does not exist or has not been
  published in the environment."; APIGW.0301 401 "Incorrect IAM authentication information:
  verify aksk signature fail" (also "AK access failed to reach the limit, forbidden" after five
  failures, lock of five minutes); APIGW.0308 429 "The throttling threshold has been reached:
  policy user over ratelimit,limit:XX,time:1 second". A real unknown-AK answer seen by users
  (jeessy2/ddns-go issue 844): 401 ``{"error_msg":"Incorrect IAM authentication information: ak
  … not exist","error_code":"APIGW.0301",…}``. Stale X-Sdk-Date: the gateway allows 15 minutes
  (signing FAQ); the message "calc ak sk signature fail:signature expired" is from the SIS FAQ.
* ELB v3: ELB.8902 400 invalid parameter and ELB.8904 404 "… could not be found." (real bodies
  quoted in public repositories), ELB.8907 409 conflict (Huawei's own cloud controller treats it
  as "data conflict"); DeleteCertificate answers 409 while a listener uses the certificate
  (ELB API reference, DeleteCertificate "接口约束").
* CDN v2: the CDN error code table: CDN.0105 domain does not exist, CDN.0108 domain belongs to
  another tenant, CDN.0116 domain locked, CDN.0402 certificate or key blank, CDN.0403 not PEM,
  CDN.0406 "The certificate and domain name do not match.", CDN.0004 insufficient permission.
  The table lists HTTP 200 for these, but users see them as HTTP 400 ClientRequestException
  (certd/certd issue 524), which is what the emulator answers.

Guessed (no public source found): CDN.0405 for "certificate and private key do not match" (the
table row next to CDN.0406 reads "…key do not match"); CDN.0001 for a bad paging parameter;
ELB.8902 for a listener protocol that cannot hold certificates, a bad marker and an SNI
certificate without a domain; the APIGW.0301 messages for a missing X-Sdk-Date and for a
project or domain id that is not the caller's; the format of ELB's ``fingerprint`` field (shown
as SHA-1 hex; certfleet never relies on it).
"""

from __future__ import annotations

from typing import Final, Literal

Shape = Literal["flat", "nested"]

# API gateway (APIG) in front of every service.
API_NOT_FOUND: Final = "APIGW.0101"
IAM_AUTH_FAILED: Final = "APIGW.0301"
THROTTLED: Final = "APIGW.0308"

# ELB v3.
ELB_INVALID: Final = "ELB.8902"
ELB_NOT_FOUND: Final = "ELB.8904"
ELB_CONFLICT: Final = "ELB.8907"

# CDN v2.
CDN_PARAM_ERROR: Final = "CDN.0001"  # guessed, see the module docstring
CDN_DOMAIN_NOT_FOUND: Final = "CDN.0105"
CDN_DOMAIN_STATE: Final = "CDN.0106"
CDN_DOMAIN_OF_OTHER_TENANT: Final = "CDN.0108"
CDN_DOMAIN_LOCKED: Final = "CDN.0116"
CDN_CERT_BLANK: Final = "CDN.0402"
CDN_CERT_NOT_PEM: Final = "CDN.0403"
CDN_CERT_KEY_MISMATCH: Final = "CDN.0405"  # guessed, see the module docstring
CDN_CERT_DOMAIN_MISMATCH: Final = "CDN.0406"


class ApiError(Exception):
    """One error answer: HTTP status, vendor code and message.

    ``gateway`` marks answers of the API gateway itself, which always use the flat shape;
    the service behind the gateway decides the shape of its own answers.
    """

    def __init__(self, status: int, code: str, message: str, *, gateway: bool = False) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.gateway = gateway
