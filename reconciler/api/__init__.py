"""The Product Ingestion API: client, authentication, retries, paging and the job poller.

Commands open a client with :func:`open_client`; everything else talks to the API only
through :class:`ProductIngestionClient`.
"""

from reconciler.api.client import ProductIngestionClient, RequestStats
from reconciler.api.connect import open_client
from reconciler.api.jobs import JobError, JobStatus

__all__ = ["JobError", "JobStatus", "ProductIngestionClient", "RequestStats", "open_client"]
