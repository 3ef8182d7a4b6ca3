"""Error answers of the Tencent Cloud emulator, with the vendor's own codes.

Where each code comes from (checked while writing the emulator):

* common codes (AuthFailure.*, RequestLimitExceeded, InvalidAction, NoSuchVersion,
  MissingParameter, InternalError): Tencent's common error code list,
  https://cloud.tencent.com/document/api/400/41680 (also the SSL API error page);
* SSL codes: ``tencentcloud/ssl/v20191205/errorcodes.py`` of the SDK in our virtualenv, and the
  per-action list of UploadCertificate in tencentcloud-sdk-go ``ssl/v20191205/client.go``
  ("可能返回的错误码"): FailedOperation.CertificateInvalid, FailedOperation.CertificateMismatch;
  FailedOperation.CertificateNotFound from errorcodes.py (DescribeCertificateDetail);
* CDN codes: ``tencentcloud/cdn/v20180606/errorcodes.py`` and the per-action list of
  UpdateDomainConfig in tencentcloud-sdk-go ``cdn/v20180606/client.go``:
  ResourceNotFound.CdnHostNotExists, ResourceUnavailable.CdnHostIsLocked,
  InvalidParameter.CdnCertInfoNotFound, InvalidParameter.CdnParamError.

Guessed: which code the CDN gives for "certificate does not cover the domain". Users' reports
(zfb132/qcloud-ssl-cdn issue 18) show the vendor's message for it, "the HTTPS certificate does not
match the domain, check the certificate's domain configuration", but not its code; we answer
InvalidParameter.CdnParamError, a code UpdateDomainConfig documents.

CLB (2018-03-17) codes all exist in ``tencentcloud/clb/v20180317/errorcodes.py``. Confirmed for
the situation we use them in: FailedOperation.ResourceInOperating for a change while another
runs on the same load balancer (per-action lists of ModifyListener and ModifyDomainAttributes in
tencentcloud-sdk-go ``clb/v20180317/client.go``; users' logs in certimate-go/certimate issue 861,
"Loadbalancer(lb-…) is not in normal desState, maybe some tasks are being processed, please try
later.", and certd/certd issue 314); InvalidParameter.LBIdNotFound for DescribeListeners. Guessed
(the code exists, its use here is our reading of its description): InvalidParameter for a
listener-level certificate on an SNI listener and for an unknown CertId, ListenerIdNotFound,
LocationNotFound (domain not on the listener), ProtocolCheckFailed, InvalidLBStatus (isolated
instance), RegionNotFound, InvalidParameterValue.Range (Limit above 100).

WAF (2018-01-25) codes all exist in ``tencentcloud/waf/v20180125/errorcodes.py``; which of them
ModifySpartaProtection answers in which situation is guessed from their descriptions:
QueryCertBySSLIDFailed (unknown SSLId), CertificationParameterErr (certificate does not cover
the domain), CertificateCheckErr (own certificate and key do not match), PortParameterErr (no
HTTPS port), ResourceNotFound (unknown domain), OperationDenied (expired instance).
"""

from __future__ import annotations

from typing import Final

# Common (API 3.0) codes.
INVALID_AUTHORIZATION: Final = "AuthFailure.InvalidAuthorization"
SECRET_ID_NOT_FOUND: Final = "AuthFailure.SecretIdNotFound"  # noqa: S105 - an error code
SIGNATURE_EXPIRE: Final = "AuthFailure.SignatureExpire"
SIGNATURE_FAILURE: Final = "AuthFailure.SignatureFailure"
REQUEST_LIMIT_EXCEEDED: Final = "RequestLimitExceeded"
INVALID_ACTION: Final = "InvalidAction"
NO_SUCH_VERSION: Final = "NoSuchVersion"
MISSING_PARAMETER: Final = "MissingParameter"
INVALID_PARAMETER: Final = "InvalidParameter"
INVALID_PARAMETER_VALUE: Final = "InvalidParameterValue"
INTERNAL_ERROR: Final = "InternalError"

# SSL 2019-12-05.
CERTIFICATE_INVALID: Final = "FailedOperation.CertificateInvalid"
CERTIFICATE_MISMATCH: Final = "FailedOperation.CertificateMismatch"
CERTIFICATE_NOT_FOUND: Final = "FailedOperation.CertificateNotFound"
SSL_INVALID_PARAM: Final = "FailedOperation.InvalidParam"

# CDN 2018-06-06.
CDN_HOST_NOT_EXISTS: Final = "ResourceNotFound.CdnHostNotExists"
CDN_HOST_IS_LOCKED: Final = "ResourceUnavailable.CdnHostIsLocked"
CDN_CERT_INFO_NOT_FOUND: Final = "InvalidParameter.CdnCertInfoNotFound"
CDN_PARAM_ERROR: Final = "InvalidParameter.CdnParamError"
CDN_CERT_DOMAIN_MISMATCH: Final = CDN_PARAM_ERROR  # guessed code, see the module docstring

# CLB 2018-03-17.
CLB_RESOURCE_IN_OPERATING: Final = "FailedOperation.ResourceInOperating"
CLB_INVALID_LB_STATUS: Final = "FailedOperation.InvalidLBStatus"
CLB_LB_NOT_FOUND: Final = "InvalidParameter.LBIdNotFound"
CLB_LISTENER_NOT_FOUND: Final = "InvalidParameter.ListenerIdNotFound"
CLB_LOCATION_NOT_FOUND: Final = "InvalidParameter.LocationNotFound"
CLB_PROTOCOL_CHECK_FAILED: Final = "InvalidParameter.ProtocolCheckFailed"
CLB_REGION_NOT_FOUND: Final = "InvalidParameter.RegionNotFound"
CLB_FORMAT_ERROR: Final = "InvalidParameter.FormatError"
CLB_RANGE: Final = "InvalidParameterValue.Range"

# WAF 2018-01-25.
WAF_QUERY_CERT_FAILED: Final = "InvalidParameter.QueryCertBySSLIDFailed"
WAF_CERTIFICATION_PARAMETER: Final = "InvalidParameter.CertificationParameterErr"
WAF_CERTIFICATE_CHECK: Final = "InvalidParameter.CertificateCheckErr"
WAF_PORT_PARAMETER: Final = "InvalidParameter.PortParameterErr"
WAF_RESOURCE_NOT_FOUND: Final = "ResourceNotFound"
WAF_OPERATION_DENIED: Final = "OperationDenied"


class ApiError(Exception):
    """An answer in the vendor's error format: ``{"Response":{"Error":{Code,Message}}}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
