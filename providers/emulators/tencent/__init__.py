"""A local Tencent Cloud (SSL, CDN, CLB, WAF) that the real tencentcloud SDK can talk to.

See :class:`TencentEmulator`; its per-product set-up lives on ``emulator.cdn``, ``emulator.clb``
and ``emulator.waf``. The TLS edge it binds certificates on is
:class:`providers.emulators.tls_edge.TlsEdge`.
"""

from providers.emulators.tencent.errors import ApiError
from providers.emulators.tencent.server import TencentEmulator
from providers.emulators.tencent.waf_control import WafDomainRef

__all__ = ["ApiError", "TencentEmulator", "WafDomainRef"]
