"""offer-reconciler: GitOps for Microsoft commercial marketplace private offers."""

__version__ = "0.1.0"
