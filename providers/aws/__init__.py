"""AWS products over the real boto3 SDK: CloudFront, ALB, NLB and Classic ELB.

Each product module exposes ``INFO`` (a :class:`providers.base.ProductInfo`) for the registry:
``providers.aws.cloudfront.INFO``, ``providers.aws.alb.INFO``, ``providers.aws.nlb.INFO``,
``providers.aws.clb.INFO``.
"""
