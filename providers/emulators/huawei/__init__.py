"""A local Huawei Cloud (CDN v2 + ELB v3) that the real huaweicloudsdk clients can talk to.

See :class:`HuaweiEmulator`; the TLS edge it serves bound certificates on is
:class:`providers.emulators.tls_edge.TlsEdge`.
"""

from providers.emulators.huawei.errors import ApiError
from providers.emulators.huawei.server import HuaweiEmulator
from providers.emulators.huawei.setup import EmulatedAccount

__all__ = ["ApiError", "EmulatedAccount", "HuaweiEmulator"]
