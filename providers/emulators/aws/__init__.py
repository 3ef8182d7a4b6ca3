"""A local AWS (ACM, IAM, STS, CloudFront, ELBv2, Classic ELB) the real boto3 SDK can talk to.

A real moto server behind our fault proxy: see :class:`AwsEmulator`. Certificates bound to
resources are served on a :class:`providers.emulators.tls_edge.TlsEdge`.
"""

from providers.emulators.aws.emulator import AwsEmulator

__all__ = ["AwsEmulator"]
