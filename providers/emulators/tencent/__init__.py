"""A local Tencent Cloud (SSL + CDN) that the real tencentcloud SDK can talk to.

See :class:`TencentEmulator`; the TLS edge it binds certificates on is
:class:`providers.emulators.tls_edge.TlsEdge`.
"""

from providers.emulators.tencent.errors import ApiError
from providers.emulators.tencent.server import TencentEmulator

__all__ = ["ApiError", "TencentEmulator"]
