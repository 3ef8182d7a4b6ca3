"""Per-(provider, account, API family) request budgets shared by every worker.

``local`` keeps buckets in this process (embedded mode); a Redis backend shares them across a
fleet. Both implement :class:`~workers.rate_limits.base.TokenBuckets`.
"""
