"""offer-reconciler: GitOps for Microsoft commercial marketplace private offers."""

import sys

__version__ = "0.1.0"

# httpx imports its own command line (httpx._main, with rich and pygments) whenever those two
# are installed, as they are beside many development tools: about 40 ms of every command's
# start-up for a module the reconciler never uses. An empty entry makes that import fail, and
# httpx then keeps its stub (`httpx.main` asks for `pip install httpx[cli]`).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
